#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: probe
short_description: Check TCP reachability across network namespaces, and see the source address after NAT
version_added: 1.0.0
description:
  - With O(listen), opens TCP listeners (in any namespaces, from one process) that answer every
    connection with the source address they saw, then close it; they stop after O(duration)
    seconds. With O(background), the module binds them, leaves a detached process serving them
    and returns its RV(listener) at once; O(stop) ends it. Without, the module serves until the
    duration has passed, so run it with C(async) and C(poll=0) to serve while other tasks probe.
  - With O(connect), connects from inside namespaces to addresses and ports and returns, per
    target, whether it answered and the source address the listener saw - which tells whether
    the traffic was NATed on the way and to which address.
  - This is how C(playbooks/verify.yml) builds its reachability matrix; it changes nothing on the host.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  listen:
    description: Listeners to open. Mutually exclusive with O(connect).
    type: list
    elements: dict
    suboptions:
      netns:
        description: Namespace to listen in (a name under C(/run/netns) or a path); unset is the host's own.
        type: str
      address:
        description: Address to bind.
        type: str
        default: 0.0.0.0
      port:
        description: TCP port.
        type: int
        required: true
  background:
    description:
      - With O(listen), serve from a detached process and return as soon as every listener is
        bound, with the process's RV(listener) for O(stop). A port that cannot be bound fails the
        task, and nothing is left running.
      - Cheaper than C(async) with a ready file and a PID file, which cost a round trip to the
        host each.
    type: bool
    default: false
  stop:
    description:
      - End the background listener a task with O(background) returned (its RV(listener)). Only
        that very process is signalled, the one with that PID and start time (SIGTERM, and SIGKILL
        if it is still there 5 seconds later); one that has gone already (its O(duration) passed)
        is no error.
      - Mutually exclusive with O(listen) and O(connect). Runs in check mode too, so that a
        checked run leaves no listener behind.
    type: dict
    suboptions:
      pid:
        description: The listener's process ID.
        type: int
        required: true
      start_time:
        description: Its start time in clock ticks after boot, as RV(listener) gives it.
        type: int
        required: true
  duration:
    description: How long the listeners serve, in seconds (1 to 3600).
    type: int
    default: 60
  ready_file:
    description: File written once every listener is bound (and removed when they stop), for C(wait_for). Not with O(background).
    type: path
  pid_file:
    description: File holding the listening process's PID while it runs, so it can be stopped early. Not with O(background).
    type: path
  connect:
    description: Targets to connect to. Mutually exclusive with O(listen) and O(stop).
    type: list
    elements: dict
    suboptions:
      netns:
        description: Namespace to connect from; unset is the host's own.
        type: str
      address:
        description: Address to connect to.
        type: str
        required: true
      port:
        description: TCP port.
        type: int
        required: true
      timeout:
        description: Seconds to wait for the connection and the answer.
        type: float
        default: 3
      label:
        description: Free text returned with the result, to tell targets apart.
        type: str
      http:
        description:
          - The target is a web server (such as a container's, behind a published port), not a
            listener of this module; ask it for C(/) and count an HTTP status line as an answer.
            The source address it saw stays unknown (C(seen_source) is null); RV(results) has its status line as C(answer).
        type: bool
        default: false
  attempts:
    description:
      - With O(connect), how many times to try a target that does not answer (1 s apart) before it
        counts as a miss. A closed path fails every attempt; a loaded machine that drops a first
        connection does not make a false miss. RV(results) says how many attempts each took.
    type: int
    default: 1
attributes:
  check_mode:
    support: full
    description:
      - Probing changes nothing, so it runs in check mode too; so do listeners and O(stop), which
        ends only the process with the PID and start time it is given.
  diff_mode:
    support: none
    description: There is nothing to diff.
  platform:
    support: full
    platforms: posix
    description: Linux.
notes:
  - Must run as root to enter namespaces.
seealso:
  - module: linuxnet.fabric.endpoints
'''

EXAMPLES = r'''
- name: Listen in two containers, from a background process
  linuxnet.fabric.probe:
    listen:
      - {netns: web1, port: 7777}
      - {netns: db1, port: 7777}
    background: true
    duration: 600
  register: listening

- name: Probe db1 from web1
  linuxnet.fabric.probe:
    connect:
      - {netns: web1, address: 172.19.11.3, port: 7777, label: web1 -> db1}
  register: probes

- name: Stop the listeners
  linuxnet.fabric.probe:
    stop: "{{ listening.listener }}"
  when: listening.listener is defined

- name: Listen in two containers for two minutes
  linuxnet.fabric.probe:
    listen:
      - {netns: web1, port: 7777}
      - {netns: db1, port: 7777}
    duration: 120
    ready_file: /run/probe.ready
    pid_file: /run/probe.pid
  async: 150
  poll: 0

- name: Wait until they listen
  ansible.builtin.wait_for:
    path: /run/probe.ready

- name: Probe db1 from web1 and the outside host from web1
  linuxnet.fabric.probe:
    connect:
      - {netns: web1, address: 172.19.11.3, port: 7777, label: web1 -> db1}
      - {netns: web1, address: 203.0.113.10, port: 7777, label: web1 -> outside}
  register: probes
'''

RETURN = r'''
results:
  description: One entry per O(connect) target, in order.
  returned: with O(connect)
  type: list
  elements: dict
  sample:
    - {netns: web1, address: 203.0.113.10, port: 7777, label: web1 -> outside, ok: true, seen_source: 10.88.0.11, error: null, seconds: 0.002,
       attempts: 1}
    - {netns: null, address: 10.88.0.12, port: 18080, http: true, label: node1 -> web, ok: true, answer: HTTP/1.0 200 OK,
       seen_source: null, error: null, seconds: 0.003, attempts: 1}
served:
  description: Connections each listener answered, as C(netns address:port) -> count.
  returned: with O(listen), not O(background)
  type: dict
  sample: {"web1 0.0.0.0:7777": 4}
listener:
  description: The background process serving the listeners, for O(stop).
  returned: with O(listen) and O(background)
  type: dict
  contains:
    pid:
      description: Its process ID.
      type: int
    start_time:
      description: Its start time in clock ticks after boot (with the PID, it names this process and no later one).
      type: int
  sample: {pid: 4242, start_time: 1812345}
stopped:
  description: Whether O(stop) ended a running listener (false when it had gone already).
  returned: with O(stop)
  type: bool
  sample: true
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._probe import connect, listen, listen_in_background, stop_listener


def checked(option, entries, address_required):
    for position, entry in enumerate(entries):
        where = '%s[%d]' % (option, position)
        _common.check_netns_option(entry.get('netns'), option=where + '.netns')
        _common.require_existing_netns(where + '.netns', entry.get('netns'))
        _validate.port(where + '.port', entry['port'])
        if entry.get('address') or address_required:
            entry['address'] = str(_validate.ip_address(where + '.address', entry.get('address'), version=4))
    return entries


def main():
    module = AnsibleModule(
        argument_spec=dict(
            listen=dict(type='list', elements='dict', options=dict(
                netns=dict(type='str'),
                address=dict(type='str', default='0.0.0.0'),
                port=dict(type='int', required=True),
            )),
            duration=dict(type='int', default=60),
            background=dict(type='bool', default=False),
            ready_file=dict(type='path'),
            pid_file=dict(type='path'),
            stop=dict(type='dict', options=dict(
                pid=dict(type='int', required=True),
                start_time=dict(type='int', required=True),
            )),
            connect=dict(type='list', elements='dict', options=dict(
                netns=dict(type='str'),
                address=dict(type='str', required=True),
                port=dict(type='int', required=True),
                timeout=dict(type='float', default=3),
                label=dict(type='str'),
                http=dict(type='bool', default=False),
            )),
            attempts=dict(type='int', default=1),
        ),
        mutually_exclusive=[('listen', 'connect', 'stop'), ('background', 'ready_file'), ('background', 'pid_file')],
        required_one_of=[('listen', 'connect', 'stop')],
        required_if=[('background', True, ('listen',))],
        supports_check_mode=True,
    )
    with _common.failing_on_errors(module):
        if module.params['stop'] is not None:
            stop = module.params['stop']
            _validate.integer_in_range('stop.pid', stop['pid'], 2, 2 ** 22)
            _validate.integer_in_range('stop.start_time', stop['start_time'], 0, 2 ** 63 - 1)
            module.exit_json(changed=False, stopped=stop_listener(stop))
        if module.params['listen'] is not None:
            listeners = checked('listen', module.params['listen'], address_required=True)
            _validate.integer_in_range('duration', module.params['duration'], 1, 3600)
            try:
                if module.params['background']:
                    module.exit_json(changed=False, listener=listen_in_background(listeners, module.params['duration']))
                served = listen(listeners, module.params['duration'], module.params['ready_file'], module.params['pid_file'])
            except OSError as error:
                raise OptionError('listen', 'could not listen: %s' % error)
            module.exit_json(changed=False, served=dict(('%s %s:%s' % key, count) for key, count in served.items()))
        targets = checked('connect', module.params['connect'], address_required=True)
        _validate.integer_in_range('attempts', module.params['attempts'], 1, 10)
        module.exit_json(changed=False, results=[connect(target, module.params['attempts']) for target in targets])


if __name__ == '__main__':
    main()
