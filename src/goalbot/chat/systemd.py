"""systemd's notify protocol (``Type=notify``, ``WatchdogSec=``), without a library.

A datagram of ``KEY=value`` lines to the socket named in ``$NOTIFY_SOCKET`` (a path, or an
abstract socket written with a leading ``@``); see sd_notify(3). Outside systemd the variable
is unset and every call does nothing.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def notify(*lines: str) -> bool:
    """Send ``READY=1``, ``WATCHDOG=1``, ``STATUS=…``, ``STOPPING=1``; False outside systemd."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall("\n".join(lines).encode())
    except OSError as exc:
        log.warning("could not notify systemd at %s: %s", address, exc)
        return False
    return True


def watchdog_seconds() -> float | None:
    """The watchdog's timeout if systemd set one for this process (``WatchdogSec=``)."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1_000_000
