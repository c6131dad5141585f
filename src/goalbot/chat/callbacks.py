"""Inline-button data: short, versioned, and parsed back into a questionnaire action."""

from __future__ import annotations

from dataclasses import dataclass

from goalbot.services.questionnaire import Action

PREFIX = "q"
MAX_BYTES = 64


@dataclass(frozen=True)
class ButtonData:
    """What a pressed button carries: the conversation version it was made for and an action."""

    version: int
    action: Action
    argument: str = ""


def encode(version: int, action: Action, argument: str = "") -> str:
    """``q:<version>:<action>[:<argument>]``, within Telegram's 64 bytes."""
    data = f"{PREFIX}:{version}:{action.value}"
    if argument:
        data = f"{data}:{argument}"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def decode(data: str | None) -> ButtonData | None:
    """The button's meaning, or None for data this bot did not make."""
    if not data:
        return None
    parts = data.split(":", 3)
    if len(parts) < 3 or parts[0] != PREFIX:
        return None
    try:
        version = int(parts[1])
        action = Action(parts[2])
    except ValueError:
        return None
    return ButtonData(version, action, parts[3] if len(parts) > 3 else "")
