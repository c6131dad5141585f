"""Inline keyboards for each questionnaire screen."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from goalbot.chat.callbacks import encode
from goalbot.domain.goals import MetricKind
from goalbot.domain.protocol import ScreenKind
from goalbot.reporting.rendering import render
from goalbot.services.questionnaire import Action, Screen

RECAP_BUTTONS_PER_ROW = 5


def _label(name: str, language: str, **values: object) -> str:
    return render("chat/button.txt.j2", language, name=name, **values)


def _button(
    name: str, language: str, version: int, action: Action, argument: str = "", **values: object
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        _label(name, language, **values), callback_data=encode(version, action, argument)
    )


def keyboard_for(screen: Screen, language: str) -> InlineKeyboardMarkup | None:
    """The buttons under a screen's message (None: the owner types)."""
    v = screen.version
    rows: list[list[InlineKeyboardButton]] = []
    match screen.kind:
        case ScreenKind.QUESTION if screen.item is not None:
            if screen.readings:
                metric = screen.item.metric
                rows.append(
                    [
                        _button(
                            "reading", language, v, Action.READING, str(n), value=r, metric=metric
                        )
                        for n, r in enumerate(screen.readings, start=1)
                    ]
                )
            if screen.item.metric.kind == MetricKind.YES_NO:
                rows.append(
                    [_button("yes", language, v, Action.YES), _button("no", language, v, Action.NO)]
                )
            rows.append(
                [
                    _button("no_data", language, v, Action.NO_DATA),
                    _button("skip", language, v, Action.SKIP),
                ]
            )
        case ScreenKind.SKIP_REASON:
            rows.append([_button("cancel_skip", language, v, Action.CANCEL)])
        case ScreenKind.EXPLANATION | ScreenKind.CORRECTIVE:
            rows.append([_button("skip_text", language, v, Action.SKIP)])
        case ScreenKind.COMMENT_PICK:
            rows.extend(
                [_button("goal", language, v, Action.COMMENT, str(number), goal=goal)]
                for number, goal in enumerate(screen.goals, start=1)
            )
            rows.append([_button("back", language, v, Action.CANCEL)])
        case ScreenKind.COMMENT:
            rows.append([_button("back", language, v, Action.CANCEL)])
        case ScreenKind.RECAP | ScreenKind.DONE:
            first = [_button("add_comment", language, v, Action.COMMENT)]
            if screen.kind == ScreenKind.RECAP:
                first.insert(0, _button("confirm", language, v, Action.CONFIRM))
            rows.append(first)
            change = [
                _button("change", language, v, Action.CHANGE, str(item.index), index=item.index)
                for item in screen.items
            ]
            rows.extend(
                change[i : i + RECAP_BUTTONS_PER_ROW]
                for i in range(0, len(change), RECAP_BUTTONS_PER_ROW)
            )
    if not rows:
        return None
    return InlineKeyboardMarkup(rows)


def start_keyboard(language: str) -> InlineKeyboardMarkup:
    """The reminder's single button: start (or continue) answering."""
    return InlineKeyboardMarkup([[_button("start", language, 0, Action.START)]])
