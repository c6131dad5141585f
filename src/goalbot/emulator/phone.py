"""A command-line "phone" for a person chatting with the bot through the fake server.

    python -m goalbot.emulator.phone --port 8081 --user 1001 --name Maija

Type a line to send it. Bot messages are shown with their inline buttons numbered;
"#2" presses button 2 of the latest message with buttons, "#Kyllä" presses the button
labelled Kyllä, ":errors" lists invalid calls the bot made, ":quit" leaves.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from typing import Any

import httpx

JsonDict = dict[str, Any]


class Phone:
    def __init__(self, base: str, user_id: int, chat_id: int, *, out: Any = None) -> None:
        self.client = httpx.Client(base_url=base, timeout=10)
        self.user_id = user_id
        self.chat_id = chat_id
        self.out = out or sys.stdout
        self.seen: dict[int, int] = {}
        self.answers_seen = 0
        self.latest_with_buttons: JsonDict | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    def register(
        self, first_name: str, last_name: str | None, username: str | None, language: str
    ) -> None:
        self.client.post(
            "/_control/user",
            json={
                "user_id": self.user_id,
                "first_name": first_name,
                "last_name": last_name,
                "username": username,
                "language_code": language,
            },
        ).raise_for_status()

    def print(self, text: str) -> None:
        with self._lock:
            print(text, file=self.out, flush=True)

    def refresh(self) -> None:
        data = self.client.get("/_control/transcript", params={"chat_id": self.chat_id}).json()
        for message in data["messages"]:
            if not message["from_bot"]:
                self.seen[message["message_id"]] = message["version"]
                continue
            previous = self.seen.get(message["message_id"])
            if previous == message["version"]:
                continue
            self.seen[message["message_id"]] = message["version"]
            self.show(message, edited=previous is not None)
        answers = data["callback_answers"]
        for answer in answers[self.answers_seen :]:
            if answer["text"]:
                kind = "alert" if answer["show_alert"] else "toast"
                self.print(f"  ({kind}) {answer['text']}")
        self.answers_seen = len(answers)

    def show(self, message: JsonDict, *, edited: bool) -> None:
        tag = "edited" if edited else "bot"
        lines = [f"[{tag} #{message['message_id']}] {message['text']}"]
        if message.get("filename"):
            lines.append(f"  (file: {message['filename']})")
        number = 0
        for row in message["buttons"]:
            cells = []
            for label in row:
                number += 1
                cells.append(f"[{number}] {label}")
            lines.append("  " + "   ".join(cells))
        if message["buttons"]:
            self.latest_with_buttons = message
        self.print("\n".join(lines))

    def send(self, text: str) -> None:
        response = self.client.post(
            "/_control/send", json={"user_id": self.user_id, "chat_id": self.chat_id, "text": text}
        )
        if response.status_code != 200:
            self.print(f"  ! {response.json().get('description')}")

    def press(self, what: str) -> None:
        body: JsonDict = {"user_id": self.user_id, "chat_id": self.chat_id}
        if self.latest_with_buttons is not None:
            body["message_id"] = self.latest_with_buttons["message_id"]
        if what.isdigit():
            body["index"] = int(what)
        else:
            body["label"] = what
        response = self.client.post("/_control/press", json=body)
        if response.status_code != 200:
            self.print(f"  ! {response.json().get('description')}")

    def errors(self) -> None:
        data = self.client.get("/_control/errors").json()
        shown = False
        for kind, entries in data.items():
            for entry in entries:
                shown = True
                self.print(f"  {kind}: {entry}")
        if not shown:
            self.print("  no errors")

    def handle(self, line: str) -> bool:
        """Act on one typed line; False when the person wants to leave."""
        line = line.rstrip("\n")
        if not line.strip():
            return True
        if line.strip() in (":q", ":quit", ":exit"):
            return False
        if line.strip() == ":errors":
            self.errors()
        elif line.startswith("#") and len(line) > 1:
            self.press(line[1:].strip())
        else:
            self.send(line)
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m goalbot.emulator.phone", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--user", type=int, default=1001, help="Telegram user id")
    parser.add_argument("--name", default="Maija", help="first name")
    parser.add_argument("--last-name")
    parser.add_argument("--username")
    parser.add_argument("--language", default="fi")
    parser.add_argument("--chat", type=int, help="a group chat id (default: the private chat)")
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args(argv)

    phone = Phone(f"http://{args.host}:{args.port}", args.user, args.chat or args.user)
    try:
        phone.register(args.name, args.last_name, args.username, args.language)
    except httpx.HTTPError as exc:
        print(f"can't reach the fake Bot API on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(args.interval):
            with contextlib.suppress(httpx.HTTPError):
                phone.refresh()

    phone.print(
        f"{args.name} ({args.user}) in chat {phone.chat_id}. "
        "Type to send; #N presses button N; :quit"
    )
    phone.refresh()
    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        for line in sys.stdin:
            if not phone.handle(line):
                break
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        thread.join(2)
        phone.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
