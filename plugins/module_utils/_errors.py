# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception type modules turn into fail_json. Pure: planners raise it too."""

from __future__ import annotations


class FabricError(Exception):
    """A failure with a message meant for the user: it names the option or the kernel object."""


class OptionError(FabricError):
    """An option value is invalid. Raised before any change is made."""

    def __init__(self, option, problem):
        self.option = option
        self.problem = problem
        super(OptionError, self).__init__("option '%s' %s" % (option, problem))
