"""The administrator's commands in Telegram, and what others get from them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from goalbot.services.context import AppContext
from goalbot.services.outbox import get_management_chat
from goalbot.storage.models import PersonRow, RoundRow, SendRow
from tests.conftest import Clock
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi


@pytest.fixture
def december(clock: Clock) -> Clock:
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    return clock


def rounds(ctx: AppContext) -> dict[str, bool]:
    with ctx.unit_of_work() as uow:
        return {r.period: r.closed_at is None for r in uow.session.scalars(select(RoundRow))}


async def test_an_administrators_round_from_telegram(
    sqlite_ctx: AppContext, botapi: FakeBotApi, december: Clock
) -> None:
    driver = botapi.driver
    admin = driver.create_user("Anna")
    maija = driver.create_user("Maija")
    manager = driver.create_user("Kalle")
    group = driver.create_group("Johtoryhmä", members=[admin, manager])
    ctx = with_telegram(sqlite_ctx, botapi, admins=(admin.id,))
    async with running_bot(ctx):
        admin.start()
        await admin.wait_for_message()

        # an invite is never posted in a group
        driver.send_command_in_group(group, admin, "invite", "rakennustarkastaja Maija M")
        note = await driver.wait_for_message(group)
        assert "yksityisessä" in note.content and "start=" not in note.content

        admin.send("/invite rakennustarkastaja Maija Meikäläinen")
        link = await admin.wait_for_message()
        token = link.content.split("start=")[1].split()[0]
        maija.start(token)
        await maija.wait_for_message(predicate=lambda m: "Tervetuloa" in m.content)

        admin.send("/owners")
        owners = await admin.wait_for_message()
        assert "Maija Meikäläinen" in owners.content

        driver.send_command_in_group(group, admin, "setgroup")
        await driver.wait_for_message(group, predicate=lambda m: "yhteenvedot" in m.content)
        assert get_management_chat(ctx) == group.id

        # a period the bot cannot read changes nothing
        admin.send("/remind neljäs")
        usage = await admin.wait_for_message()
        assert "Käyttö: /remind" in usage.content
        assert rounds(ctx) == {}

        admin.send("/remind Q4-2026")
        opened = await admin.wait_for_message()
        assert "Raportointikierros Q4/2026 on avattu" in opened.content
        await maija.wait_for_message(predicate=lambda m: "alkanut" in m.content)

        admin.send("/pause Maija Meikäläinen 31.12.2026")
        paused = await admin.wait_for_message()
        assert "keskeytetty 31.12.2026 asti" in paused.content

        admin.send("/schedule")
        schedule = await admin.wait_for_message()
        assert "Q4/2026" in schedule.content and "Raportointikierros sulkeutuu" in schedule.content

        admin.send("/close 2026Q4")
        closed = await admin.wait_for_message()
        assert "Raportointikierros Q4/2026 on suljettu" in closed.content
        await driver.wait_for_message(
            group, predicate=lambda m: "Tavoiteraportti" in m.content, timeout=20
        )
        admin.send("/summary Q4/2026")
        again = await admin.wait_for_message()
        assert "lähtee johtoryhmälle" in again.content
        await driver.wait_until(
            lambda: (
                len([m for m in driver.bot_messages(group) if "Tavoiteraportti" in m.content]) == 2
            ),
            timeout=30,
        )

        # someone who is not an administrator
        manager.send("/start")
        await manager.wait_for_message()
        driver.send_command_in_group(group, manager, "close")
        await driver.wait_until_idle()
    assert rounds(ctx) == {"2026Q4": False}
    with ctx.unit_of_work() as uow:
        person = uow.session.scalars(select(PersonRow)).one()
        assert person.nudges_paused_until is not None
        summaries = list(uow.session.scalars(select(SendRow).where(SendRow.kind == "summary")))
    assert [s.status for s in summaries] == ["sent", "sent"]


async def test_an_administrator_extends_and_reopens_a_round_from_telegram(
    sqlite_ctx: AppContext, botapi: FakeBotApi, december: Clock
) -> None:
    driver = botapi.driver
    admin = driver.create_user("Anna")
    maija = driver.create_user("Maija")
    ctx = with_telegram(sqlite_ctx, botapi, admins=(admin.id,))
    async with running_bot(ctx):
        admin.start()
        await admin.wait_for_message()
        admin.send("/invite rakennustarkastaja Maija Meikäläinen")
        link = await admin.wait_for_message()
        maija.start(link.content.split("start=")[1].split()[0])
        await maija.wait_for_message(predicate=lambda m: "Tervetuloa" in m.content)
        admin.send("/remind")
        await admin.wait_for_message(predicate=lambda m: "on avattu" in m.content)
        await maija.wait_for_message(predicate=lambda m: "alkanut" in m.content)

        admin.send("/extend huomenna")
        usage = await admin.wait_for_message()
        assert "Käyttö: /extend" in usage.content
        admin.send("/extend 29.1.2027")
        extended = await admin.wait_for_message()
        assert "Raportointikierros Q4/2026 sulkeutuu nyt 29.1.2027" in extended.content
        told = await maija.wait_for_message(predicate=lambda m: "jatkettu" in m.content)
        assert "Vastauksia voi antaa ja muuttaa 29.1.2027" in told.content
        assert told.reply_markup is not None  # the start button takes her to her answers
        admin.send("/extend 20.1.2027")
        refused = await admin.wait_for_message()
        assert "sulkeutuu jo 29.1.2027" in refused.content

        admin.send("/close")
        await admin.wait_for_message(predicate=lambda m: "on suljettu" in m.content)
        await maija.wait_for_message(predicate=lambda m: "suljettiin" in m.content)
        admin.send("/reopen 30.1.2027")
        usage = await admin.wait_for_message()
        assert "Käyttö: /reopen" in usage.content
        admin.send("/reopen 2026Q4 30.1.2027")
        reopened = await admin.wait_for_message()
        assert "avattu uudelleen 30.1.2027" in reopened.content
        await maija.wait_for_message(predicate=lambda m: "avattu uudelleen" in m.content)

        maija.send("/extend 31.1.2027")  # an owner: the administrators' command is not hers
        await driver.wait_until_idle()
    assert rounds(ctx) == {"2026Q4": True}
    with ctx.unit_of_work() as uow:
        row = uow.session.get(RoundRow, "2026Q4")
        assert row is not None and row.closes_at is not None
        assert row.closes_at.astimezone(UTC).date().isoformat() == "2027-01-30"
        changes = list(uow.session.scalars(select(SendRow).where(SendRow.kind == "round_changed")))
    assert [s.payload["change"] for s in changes if s.payload] == [
        "extended",
        "closed_early",
        "reopened",
    ]
