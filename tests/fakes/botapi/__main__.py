"""``python -m tests.fakes.botapi`` still starts the emulator (``python -m goalbot.emulator``)."""

import sys

from goalbot.emulator.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
