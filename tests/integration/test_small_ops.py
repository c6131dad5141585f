"""Small things an operator meets: refused values, invite links, the schedule after a manual
open or close."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from goalbot.cli import main, service_error_text
from goalbot.domain.periods import Period
from goalbot.reporting.rendering import render
from goalbot.scheduling.control import close_round_now, open_round_now
from goalbot.scheduling.runner import coming_events
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.events import event_states, round_states
from goalbot.services.owners import accept_invite, invite_owner, pause_nudges, remember_bot_username
from tests.conftest import SMALL_CATALOGUE, Clock
from tests.fakes.botapi import FakeBotApi

Q4 = Period(2026, 4)


pytestmark = pytest.mark.usefixtures("english_cli")


def test_catalogue_check_refuses_negative_decimals(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    text = SMALL_CATALOGUE.read_text(encoding="utf-8")
    bad.write_text(text.replace('  unit = "€"\n', '  unit = "€"\n  decimals = -1\n'), "utf-8")
    assert main(["catalogue", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "goals[STR-1].metrics[1].decimals: must be at least 0, not -1" in err


def test_a_pause_cannot_end_in_the_past(sqlite_ctx: AppContext, clock: Clock) -> None:
    invite = invite_owner(sqlite_ctx, "rakennustarkastaja", "Reino R")
    accept_invite(sqlite_ctx, invite.token, 4242)
    today = clock.now.date()
    assert pause_nudges(sqlite_ctx, "Reino R", today)[1] == today  # today itself is fine
    with pytest.raises(ServiceError) as refused:
        pause_nudges(sqlite_ctx, "Reino R", date(2026, 6, 1))
    assert service_error_text(refused.value, "en") == (
        "--until 2026-06-01 is in the past (today is 2026-06-15): "
        "give today or a later day, or 'off'"
    )
    assert "Päivä 1.6.2026 on jo mennyt" in render(
        "chat/admin_error.html.j2", "fi", code="pause_in_past", p=refused.value.params
    )


def schedule_text(ctx: AppContext, now: datetime) -> tuple[str, str]:
    events = coming_events(ctx, now)
    values = {
        "events": events,
        "states": event_states(ctx, [e.key for e in events]),
        "rounds": round_states(ctx),
        "timezone": ctx.config.schedule.zone,
    }
    return render("cli/schedule.txt.j2", "en", **values), render(
        "chat/schedule.html.j2", "fi", **values
    )


def test_the_schedule_shows_a_round_opened_and_closed_by_hand(
    sqlite_ctx: AppContext, clock: Clock
) -> None:
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    cli, chat = schedule_text(sqlite_ctx, clock.now)
    assert "(round open since" not in cli and "not needed" not in cli
    open_round_now(sqlite_ctx, Q4)
    cli, chat = schedule_text(sqlite_ctx, clock.now)
    assert "Q4/2026 (round open since 01.12.2026 12:00)" in cli
    assert "round opens, reminders (not needed: opened by hand)" in cli
    assert (
        "kierros auki 1.12.2026 klo 12.00 alkaen" in chat and "(ei tarpeen: avattu käsin)" in chat
    )
    close_round_now(sqlite_ctx, Q4)
    cli, chat = schedule_text(sqlite_ctx, clock.now)
    assert "Q4/2026 (round closed 01.12.2026 12:00)" in cli
    assert "round closes, summary (not needed: closed by hand)" in cli
    assert "(ei tarpeen: suljettu käsin)" in chat


def test_an_invite_link_names_the_bot_of_the_token(
    capsys: pytest.CaptureFixture[str],
    sqlite_ctx: AppContext,
    botapi_factory: Callable[..., FakeBotApi],
    tmp_path: Path,
) -> None:
    api = botapi_factory(token="777000:REAL", bot_username="kokemaki_goal_bot")
    # a trial with another bot's token ran on this database once
    remember_bot_username(sqlite_ctx, 123, "trial_bot")
    config = tmp_path / "goalbot.toml"
    config.write_text(
        f'[telegram]\ntoken = "{api.token}"\nbase_url = "{api.base_url}"\n'
        f'[database]\nurl = "{sqlite_ctx.config.database.url}"\n',
        encoding="utf-8",
    )
    args = ["--config", str(config), "owners", "invite", "--role", "rakennustarkastaja"]
    assert main([*args, "--name", "Reino R"]) == 0
    assert "https://t.me/kokemaki_goal_bot?start=" in capsys.readouterr().out
    api.stop()  # remembered now for this bot: no need to ask Telegram again
    assert main([*args, "--name", "Ylva Y"]) == 0
    out = capsys.readouterr().out
    assert "https://t.me/kokemaki_goal_bot?start=" in out and "trial_bot" not in out
