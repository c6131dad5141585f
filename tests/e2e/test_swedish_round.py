"""A quarter answered in Swedish from the invite to the summary, through the fake Bot API:
every screen in Swedish, answers typed in Swedish understood, the management group's summary
and table in its own language."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from goalbot.domain.goals import MetricKind
from goalbot.domain.periods import Period
from goalbot.scheduling.control import open_round_now
from goalbot.services.context import AppContext
from goalbot.services.owners import invite_owner
from goalbot.storage.models import AnswerRow, SendRow
from tests.conftest import Clock
from tests.e2e.harness import running_bot, with_telegram
from tests.e2e.owner_flow import current_metric, good_typed_answer
from tests.fakes.botapi import FakeBotApi, MessageView, UserHandle
from tests.integration.test_every_text_in_every_language import catalogue_words, finnish_in
from tests.report_data import close_round_of

Q4 = Period(2026, 4)


@pytest.fixture
def q4_clock(clock: Clock) -> Clock:
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    return clock


async def answer_in_swedish(ctx: AppContext, owner: UserHandle, screen: MessageView) -> set[str]:
    """Walk the questionnaire as a Swedish-speaking owner; the kinds of answer given."""
    given: set[str] = set()
    for _ in range(200):
        step, metric = current_metric(ctx, owner.id)
        if step == "recap":
            assert "Sammandrag, Q4/2026" in screen.content
            return given
        if step == "answer":
            assert metric is not None
            assert "Utgångsnivå:" in screen.content
            if metric.kind == MetricKind.YES_NO:
                # "nej" until one misses its target (a "not yet" may still be on schedule)
                if "typed_no" not in given:
                    owner.send("nej")  # typed in Swedish, understood
                    given.add("typed_no")
                elif "explained" not in given:
                    owner.press("Nej")
                else:
                    owner.press("Ja")
                    given.add("yes")
            elif "no_data" not in given:
                owner.press("Inga uppgifter ännu")
                given.add("no_data")
            elif "skipped" not in given:
                owner.press("Hoppa över…")
                prompt = await owner.wait_for_message(timeout=10)
                assert "Skriv kort varför du hoppar över den" in prompt.content
                owner.send("Statistiken publiceras först i mars")
                given.add("skipped")
            else:
                owner.send(good_typed_answer(metric))
                given.add("typed")
        elif step == "explanation":
            assert "Det når inte målet" in screen.content
            owner.send("Upphandlingen försenades.")
            given.add("explained")
        elif step == "corrective":
            assert "Vilka korrigerande åtgärder" in screen.content
            owner.press("Hoppa över")
        else:  # pragma: no cover - a failure message is more useful than a hang
            pytest.fail(f"unexpected step {step}: {screen.content}")
        screen = await owner.wait_for_message(timeout=10)
    pytest.fail("the questionnaire never reached the recap")


async def test_a_round_answered_in_swedish_end_to_end(
    sqlite_ctx: AppContext, botapi: FakeBotApi, q4_clock: Clock
) -> None:
    driver = botapi.driver
    admin = driver.create_user("Anna", language_code="fi")
    owner = driver.create_user("Sara", last_name="Lindqvist", language_code="sv")
    group = driver.create_group("Ledningsgruppen", members=[admin])
    ctx = with_telegram(sqlite_ctx, botapi, admins=(admin.id,), management_chat_id=group.id)
    allowed = catalogue_words() | {"sara", "lindqvist"}
    async with running_bot(ctx):
        await driver.wait_until_idle()
        # in a group Telegram hands a bot only commands of Latin letters: /sprak, not /språk
        driver.send_command_in_group(group, admin, "sprak", "svenska")
        await driver.wait_for_message(group)
        for role in ("hallintojohtaja", "kaupunginjohtaja"):
            owner.start(invite_owner(ctx, role, "Sara Lindqvist").token)
            welcome = await owner.wait_for_message(predicate=lambda m: "Välkommen" in m.content)
            assert "Du är nu ansvarsperson i rollen" in welcome.content

        assert open_round_now(ctx, Q4).reminders_queued == 1
        reminder = await owner.wait_for_message(predicate=lambda m: "Q4/2026" in m.content)
        assert "Målrapporteringen för kvartalet Q4/2026 har börjat" in reminder.content
        assert "Svara senast 18.1.2027 kl. 16.00." in reminder.content
        assert reminder.button_labels == ["Börja svara"]
        owner.press("Börja svara", message_id=reminder.message_id)
        first = await owner.wait_for_message(timeout=10)
        given = await answer_in_swedish(ctx, owner, first)
        assert given >= {"typed_no", "no_data", "skipped", "typed", "explained"}

        recap = owner.last_bot_message()
        assert recap is not None and "✅ Bekräfta" in recap.button_labels
        assert "En del av målens texter finns bara på finska." in recap.content
        owner.press("✅ Bekräfta", message_id=recap.message_id)
        thanks = await owner.wait_for_message(predicate=lambda m: "Tack" in m.content)
        assert "Dina svar (Q4/2026) är bekräftade." in thanks.content
        await driver.wait_until_idle()

        # every word the bot wrote to her is Swedish, but for the catalogue's own texts
        for message in owner.bot_messages():
            assert finnish_in(message.content, allowed) == set(), message.content
            assert finnish_in(" ".join(message.button_labels), allowed) == set()

        close_round_of(ctx, Q4)
        await group.wait_for_message(predicate=lambda m: m.kind == "document", timeout=20)
        summary = [m for m in group.bot_messages() if m.kind == "text"]
        assert any("Målrapport Q4/2026" in m.content for m in summary)
        for message in summary:
            assert finnish_in(message.content, allowed) == set(), message.content
        (table,) = [m for m in group.bot_messages() if m.kind == "document"]
        assert table.file is not None
        assert "De ifyllda måltabellerna Q4/2026" in (table.file.caption or "")

    workbook = load_workbook(io.BytesIO(table.file.data))
    headers = " ".join(str(c.value) for c in workbook.worksheets[0][3] if c.value)
    assert "Våra mätare" in headers and not finnish_in(headers, frozenset())
    with ctx.unit_of_work() as uow:
        languages = {s.kind: s.language for s in uow.session.scalars(select(SendRow))}
        assert languages["reminder"] == "sv" and languages["summary"] == "sv"
        states = {r.state for r in uow.session.scalars(select(AnswerRow))}
        assert {"value", "no_data", "skipped"} <= states
