"""Run the Bot API emulator by hand: python -m goalbot.emulator --port 8081."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .server import DEFAULT_TOKEN, FakeBotApi


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m goalbot.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="goalbot_test_bot")
    parser.add_argument("--bot-name", default="Goalbot")
    parser.add_argument(
        "--lenient",
        action="store_true",
        help=(
            "accept what Telegram accepts though its documentation forbids it "
            "(bare & and > in HTML, unknown fields)"
        ),
    )
    parser.add_argument(
        "--no-privacy", action="store_true", help="the bot sees every group message"
    )
    parser.add_argument(
        "--web", action="store_true", help="serve the web chat at / to play the people"
    )
    args = parser.parse_args(argv)

    api = FakeBotApi(
        token=args.token,
        bot_username=args.bot_username,
        bot_first_name=args.bot_name,
        host=args.host,
        port=args.port,
        strict=not args.lenient,
        privacy_mode=not args.no_privacy,
        web_chat=args.web,
    )
    api.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"fake Bot API for @{api.bot_username} listening", flush=True)
    print(f"base_url={api.base_url}", flush=True)
    print(f"base_file_url={api.base_file_url}", flush=True)
    print(f"token={api.token}", flush=True)
    if args.web:
        print(f"web chat: {api.url}/", flush=True)
    print(
        f"phone: python -m goalbot.emulator.phone --port {api.port} --user 1001 --name Maija",
        flush=True,
    )
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        api.stop()
        driver = api.driver
        print(f"{len(driver.requests)} requests served", flush=True)
        for label, entries in (
            ("invalid calls", [str(e) for e in driver.errors]),
            ("unsupported calls", [str(e) for e in driver.unsupported_calls]),
            (
                "rate limit violations",
                [f"{v.scope} {v.chat_id}: {v.detail}" for v in driver.rate_violations],
            ),
        ):
            if entries:
                print(f"{label}:", *entries, sep="\n  ", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
