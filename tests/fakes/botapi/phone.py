"""``python -m tests.fakes.botapi.phone`` still starts the emulator's terminal phone."""

import sys

from goalbot.emulator.phone import Phone, main

__all__ = ["Phone", "main"]

if __name__ == "__main__":
    sys.exit(main())
