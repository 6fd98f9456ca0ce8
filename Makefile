# linuxnet.fabric: the commands users and CI run. `make help` lists them.
#   make demo      install everything, build the 3-node lab, deploy the fabric (site.yml), verify it
#                  (FABRIC_MODE=overlay|routed|bridge_nat overrides the inventory's fabric_mode;
#                  LAB_DOCKER=false builds nodes without dockerd, for machines where it cannot run)
#   make test      every test: units, lint, sanity, integration, galaxy install, molecule, test-oldest
#   make test-oldest  units, sanity and molecule's bridge_nat with the oldest supported ansible-core
#   make lab-down  remove the lab
#   make verify    print the lab fabric's reachability matrix (playbooks/verify.yml)
#   make teardown  remove the fabric from the lab nodes (playbooks/teardown.yml)
#   make bench-endpoints  endpoints module vs a hand-written ip script (N=10 100 500)
#   make bench-fabric     site.yml on 3 lab nodes vs a hand-written script; iperf3 per fabric
#   make bench-overlay    leases (200 concurrent, 1000 sequential), overlay vs bridge_nat, iperf3 vs VXLAN by hand
#   make bench-docker     iperf3 between Docker containers on two nodes: the fabric's path vs the same by hand
#   make bench-scale      the plan for 1000/5000 nodes; 999 routes, 999 VXLAN peers, 1000 published ports on a node
#   make mutation  mutation check of the planners (plugins/module_utils/planners/_plan_*.py): a report, not part of make test
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# The OS Python (Debian 12: 3.11), the same interpreter the nodes run the modules with.
PYTHON ?= /usr/bin/python3
VENV ?= $(CURDIR)/.venv
BUILD := $(CURDIR)/build
COLLECTIONS := $(BUILD)/collections
# ansible-test must run inside .../ansible_collections/<namespace>/<name>/.
TREE := $(BUILD)/tree/ansible_collections/linuxnet/fabric
INVENTORY ?= inventories/lab
# The fabric of make demo / verify / teardown; empty: the inventory's fabric_mode.
FABRIC_MODE ?=
FABRIC_ARGS := $(if $(FABRIC_MODE),-e fabric_mode=$(FABRIC_MODE))
LAB_DOCKER ?=
LAB_ARGS := $(if $(LAB_DOCKER),-e lab_docker=$(LAB_DOCKER))
VERSION := $(shell awk '/^version:/ {print $$2}' galaxy.yml)
TARBALL := $(BUILD)/linuxnet-fabric-$(VERSION).tar.gz
APT_PACKAGES := $(shell awk '/^[a-z0-9]/ {print $$1}' bindep.txt)
# ansible-test keeps its virtual environments and caches under $HOME/.ansible/test.
ANSIBLE_TEST_HOME := $(BUILD)/ansible-test-home
# The script's name carries the pip version each ansible-test pins: 24.2 (2.19), 23.1.2 (2.16).
ANSIBLE_TEST_GET_PIP := $(ANSIBLE_TEST_HOME)/.ansible/test/cache/get_pip_24_2.py
OLDEST_ANSIBLE_TEST_GET_PIP := $(ANSIBLE_TEST_HOME)/.ansible/test/cache/get_pip_23_1_2.py
# The oldest ansible-core the collection supports (meta/runtime.yml), in a venv of its own with the
# packages of requirements-oldest.txt, and a collections path and Ansible home of its own (molecule
# installs the collection under ANSIBLE_HOME too), apart from the newest's.
OLDEST_VENV ?= $(BUILD)/venv-oldest
OLDEST_COLLECTIONS := $(BUILD)/collections-oldest
OLDEST_ANSIBLE_HOME := $(BUILD)/ansible-home-oldest
# The scenario of a user's first deploy: make demo's fabric.
OLDEST_SCENARIO ?= bridge_nat
# Commands that run with the oldest ansible-core: its venv first on PATH, its collections path.
OLDEST_ENV := PATH=$(OLDEST_VENV)/bin:$$PATH ANSIBLE_COLLECTIONS_PATH=$(OLDEST_COLLECTIONS) \
	ANSIBLE_HOME=$(OLDEST_ANSIBLE_HOME)
# Modules run by the integration targets: with the venv's pyroute2 (PyPI 0.9.x) and with the OS
# Python's python3-pyroute2 (0.7.2 on Debian 12).
# The integration targets run once with the venv's Python (PyPI's pyroute2 0.9.x); those whose
# modules go through pyroute2 (alias pyroute2/) again with the OS Python (Debian's 0.7.2), the
# version nodes have. The others (etcd, Docker's daemon.json, probes, facts, iptables/nft commands)
# do not depend on it.
INTEGRATION_PYTHON ?= $(VENV)/bin/python
INTEGRATION_OS_PYTHON ?= /usr/bin/python3

export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_HOME := $(BUILD)/ansible-home
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_FORCE_COLOR ?= false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help deps system-deps venv venv-oldest install demo lab lab-down verify teardown test units lint sanity \
	integration galaxy-check molecule mutation test-oldest units-oldest sanity-oldest molecule-oldest tree clean \
	bench-endpoints bench-fabric bench-overlay bench-docker bench-scale

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

## Dependencies ---------------------------------------------------------------------------------

# Services held while installing (policy-rc.d): the packages are for the lab's nodes, and the
# etcd package would otherwise start an etcd on this machine.
system-deps:
	@missing=$$(for package in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$package 2>/dev/null | grep -q '^install ok installed' || echo $$package; done); \
	if [ -n "$$missing" ]; then \
		echo "apt: installing" $$missing; \
		apt-get update -qq; \
		held=; \
		if [ ! -e /usr/sbin/policy-rc.d ]; then \
			printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && held=yes; \
		fi; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
			|| { [ -z "$$held" ] || rm -f /usr/sbin/policy-rc.d; exit 1; }; \
		[ -z "$$held" ] || rm -f /usr/sbin/policy-rc.d; \
	fi

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements-test.txt
	touch $@

venv: $(VENV)/.installed

$(OLDEST_VENV)/.installed: requirements-oldest.txt
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/pip install -q -r requirements-oldest.txt
	touch $@

venv-oldest: $(OLDEST_VENV)/.installed

deps: system-deps venv

# Build the Galaxy artefact and install it where ansible.cfg looks: playbooks run what users get.
install: venv
	@mkdir -p $(BUILD)
	ansible-galaxy collection build --force --output-path $(BUILD) . >/dev/null
	ansible-galaxy collection install --force --no-deps -p $(COLLECTIONS) $(TARBALL) >/dev/null
	@echo "installed linuxnet.fabric $(VERSION) into $(COLLECTIONS)"

## The lab and the demo ---------------------------------------------------------------------------

lab: deps install
	ansible-playbook -i $(INVENTORY) $(LAB_ARGS) playbooks/lab.yml

demo: lab
	ansible-playbook -i $(INVENTORY) $(LAB_ARGS) $(FABRIC_ARGS) playbooks/site.yml
	ansible-playbook -i $(INVENTORY) $(LAB_ARGS) $(FABRIC_ARGS) playbooks/lab_containers.yml
	ansible-playbook -i $(INVENTORY) $(LAB_ARGS) $(FABRIC_ARGS) playbooks/verify.yml
	@echo
	@echo "The lab is up with the fabric of $(INVENTORY): ansible -i $(INVENTORY) all -m ping"
	@echo "Check it again with: make verify; remove the fabric: make teardown; the lab: make lab-down"

verify: venv install
	ansible-playbook -i $(INVENTORY) $(LAB_ARGS) $(FABRIC_ARGS) playbooks/verify.yml

teardown: venv install
	ansible-playbook -i $(INVENTORY) $(LAB_ARGS) $(FABRIC_ARGS) playbooks/teardown.yml

lab-down: venv install
	ansible-playbook -i $(INVENTORY) playbooks/lab.yml -e lab_state=absent

## Tests ------------------------------------------------------------------------------------------

test: deps install units lint sanity integration galaxy-check molecule test-oldest
	@echo "make test: all passed"

# In a network namespace of their own: a unit test that reached for the host's network state
# would see an empty one (tests/unit/conftest.py refuses host reads in the first place).
UNITS = if unshare --net true 2>/dev/null; then unshare --net $(1) -m pytest -q -p no:cacheprovider tests/unit; \
	else $(1) -m pytest -q -p no:cacheprovider tests/unit; fi

units: venv
	@$(call UNITS,python)

lint: venv install
	ansible-lint --profile production

# A copy of the tracked (and new, not ignored) files at a path ansible-test accepts.
tree:
	rm -rf $(BUILD)/tree
	mkdir -p $(TREE)
	git ls-files -z --cached --others --exclude-standard \
		| rsync -a --from0 --files-from=- --ignore-missing-args ./ $(TREE)/
	@# ansible-test lists files with git from the nearest .git upwards: this tree's own, not the
	@# repository's (where build/ is ignored and the tree would look empty).
	git -C $(TREE) init -q

# ansible-test downloads a pip bootstrap script from a host this machine may not reach; the
# stand-in installs the same pip from the package index instead.
$(ANSIBLE_TEST_GET_PIP) $(OLDEST_ANSIBLE_TEST_GET_PIP): tests/utils/ansible_test_get_pip.py
	mkdir -p $(dir $@)wheels
	cp $< $@
	@# The pinned pip as a local wheel, when the index can be reached: later runs need no network.
	pip download --quiet --no-deps --dest $(dir $@)wheels pip==$(PIP_OF_GET_PIP) \
		|| echo "pip $(PIP_OF_GET_PIP) not downloaded; ansible-test will ask the index"

# get_pip_23_1_2.py -> 23.1.2
PIP_OF_GET_PIP = $(subst _,.,$(patsubst get_pip_%.py,%,$(notdir $@)))

sanity: venv tree $(ANSIBLE_TEST_GET_PIP)
	cd $(TREE) && HOME=$(ANSIBLE_TEST_HOME) ansible-test sanity --venv --python 3.11 --requirements --color no

integration: venv tree
	@echo "== integration targets, modules run by $(INTEGRATION_PYTHON) (PyPI's pyroute2)"
	cd $(TREE) && HOME=$(ANSIBLE_TEST_HOME) ansible-test integration --color no --allow-root \
		--controller origin:python=3.11@$(VENV)/bin/python --target controller:python=3.11@$(INTEGRATION_PYTHON)
	@echo "== the targets whose modules go through pyroute2 (alias pyroute2/), run by $(INTEGRATION_OS_PYTHON) (Debian's python3-pyroute2)"
	cd $(TREE) && HOME=$(ANSIBLE_TEST_HOME) ansible-test integration --color no --allow-root \
		--controller origin:python=3.11@$(VENV)/bin/python --target controller:python=3.11@$(INTEGRATION_OS_PYTHON) pyroute2/

# The Galaxy artefact installs into an empty collections path and its modules run from there.
galaxy-check: install
	tests/galaxy/check_install.sh $(TARBALL)

# Every scenario (molecule/*/molecule.yml), MOLECULE_JOBS at a time, the long ones first; each on
# a lab of its own (molecule/resources/group_vars/all.yml). A scenario's output is printed when
# it ends, with its time. The scenarios use the collection `make install` put into build/collections
# (the built tarball): molecule's own prerun, which would reinstall it from the source into one
# directory while another scenario's playbooks read from it, is off (molecule/resources/base.yml).
MOLECULE_JOBS ?= 2
MOLECULE_LONG_FIRST := etcd faults docker overlay etcd_archive routed
MOLECULE_ALL := $(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/*/molecule.yml))
MOLECULE_SCENARIOS ?= $(foreach scenario,$(MOLECULE_LONG_FIRST),$(filter $(scenario),$(MOLECULE_ALL))) $(filter-out $(MOLECULE_LONG_FIRST),$(MOLECULE_ALL))

molecule: deps install
	$(MAKE) --no-print-directory -j$(MOLECULE_JOBS) --output-sync=target $(addprefix molecule-scenario-,$(MOLECULE_SCENARIOS))
	@echo "molecule: $(words $(MOLECULE_SCENARIOS)) scenarios passed ($(MOLECULE_SCENARIOS))"

molecule-scenario-%:
	@started=$$(date +%s); molecule -c molecule/resources/base.yml test -s $*; \
		echo "== molecule $*: passed in $$(( $$(date +%s) - started )) s"

# The oldest supported ansible-core (requirements-oldest.txt): the units, its own sanity rules, and
# one molecule scenario deployed with it. The other suites run with the newest only.
test-oldest: units-oldest sanity-oldest molecule-oldest
	@echo "test-oldest: passed with $$($(OLDEST_VENV)/bin/ansible --version | head -1)"

units-oldest: venv-oldest
	@$(call UNITS,$(OLDEST_VENV)/bin/python)

sanity-oldest: venv-oldest tree $(OLDEST_ANSIBLE_TEST_GET_PIP)
	cd $(TREE) && HOME=$(ANSIBLE_TEST_HOME) $(OLDEST_ENV) ansible-test sanity --venv --python 3.11 --requirements --color no

# The tarball make install built, installed the way a user of the oldest ansible-core installs it.
molecule-oldest: deps venv-oldest install
	rm -rf $(OLDEST_COLLECTIONS) $(OLDEST_ANSIBLE_HOME)
	$(OLDEST_ENV) ansible-galaxy collection install --no-deps -p $(OLDEST_COLLECTIONS) $(TARBALL) >/dev/null
	@echo "== molecule $(OLDEST_SCENARIO) with $$($(OLDEST_ENV) ansible-playbook --version | head -1)"
	$(OLDEST_ENV) molecule test -s $(OLDEST_SCENARIO)

# Flip comparisons, and/or, not, booleans and integer constants in each planner, one at a time, and
# run the unit tests that import it: prints mutants killed and survived per file, and the survivors.
# MUTATION_LIMIT mutants per file at most (0: all), chosen the same way on every run.
MUTATION_LIMIT ?= 20

mutation: venv
	@if unshare --net true 2>/dev/null; then unshare --net python tests/mutation/run.py --limit $(MUTATION_LIMIT); \
	else python tests/mutation/run.py --limit $(MUTATION_LIMIT); fi

## Benchmarks (print tables; not part of make test) ---------------------------------------------------

BENCH_COUNTS ?= 10 100 500

bench-endpoints: deps install
	python3 bench/endpoints.py $(BENCH_COUNTS)

FABRIC_BENCH_COUNTS ?= 1 10 100 500

bench-fabric: deps install
	python3 bench/fabric.py $(FABRIC_BENCH_COUNTS)

bench-overlay: deps install
	python3 bench/overlay.py

bench-docker: deps install
	python3 bench/docker.py

# Parts of bench/scale.py: controller (the plan for 1000 and 5000 nodes), leases (the overlay's
# leases of 1000 nodes in one run, against a throwaway etcd), node (999 routes, 999 VXLAN peers,
# 1000 published ports on one node).
SCALE_PARTS ?= controller leases node

bench-scale: deps install
	python3 bench/scale.py $(SCALE_PARTS)

clean:
	rm -rf $(BUILD) tests/output
