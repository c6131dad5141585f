"""The Bot API emulator under its old name: tests import ``tests.fakes.botapi`` as before.

The emulator ships with goalbot (:mod:`goalbot.emulator`); this package is the same modules,
not copies, so a test that patches ``tests.fakes.botapi.state`` patches the emulator itself.
"""

import sys

from goalbot import emulator
from goalbot.emulator import *  # noqa: F403
from goalbot.emulator import driver, entities, methods, server, spec, state, validation

__all__ = emulator.__all__

for _module in (driver, entities, methods, server, spec, state, validation):
    sys.modules[f"{__name__}.{_module.__name__.rsplit('.', 1)[1]}"] = _module
