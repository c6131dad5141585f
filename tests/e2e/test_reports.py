"""Reports through the real client and the fake Bot API: /status, /missing, /export, /chart,
who may ask where, and the summary the management group gets when a round closes."""

from __future__ import annotations

import asyncio
import io

import openpyxl
from sqlalchemy import select

from goalbot.reporting.chart import PNG_MAGIC
from goalbot.reporting.messages import TEXT_LIMIT, html_to_text, utf16_length
from goalbot.reporting.report_texts import status_parts
from goalbot.services.context import AppContext
from goalbot.storage.models import SendRow
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi, GroupHandle, MessageView, UserHandle
from tests.report_data import (
    Q3,
    Q4,
    bind_person,
    close_round_of,
    fill_answers,
    open_round_without_deadline,
)

REFUSAL = "palvelee vain kutsuttuja käyttäjiä"


async def report_messages(
    chat: UserHandle | GroupHandle, parts: list[str], seconds: float = 15
) -> list[MessageView]:
    """The bot's messages carrying ``parts`` (sent one after another, paced per chat)."""
    received: list[MessageView] = []
    for part in parts:
        expected = html_to_text(part)
        message = await chat.wait_for_message(
            after=received[-1] if received else None,
            predicate=lambda m, text=expected: m.content == text,
            timeout=seconds,
        )
        received.append(message)
    return received


def is_report(message: MessageView) -> bool:
    return any(
        word in message.content
        for word in ("Tavoitteiden tilanne", "Tekninen osasto", "Vastaamatta", "Tavoiteraportti")
    )


async def test_a_manager_asks_in_private(ctx: AppContext, botapi: FakeBotApi) -> None:
    driver = botapi.driver
    manager = driver.create_user("Kaisa", last_name="Kaupunginjohtaja")
    fill_answers(ctx)
    open_round_without_deadline(ctx, Q4)
    bot_ctx = with_telegram(ctx, botapi, managers=(manager.id,))
    async with running_bot(bot_ctx):
        manager.send("/status")
        parts = status_parts(bot_ctx, "")
        overview, *_ = await report_messages(manager, parts)
        assert overview.content.startswith("Tavoitteiden tilanne Q4/2026")
        assert "Tekninen:" in overview.content and "Yhteensä:" in overview.content
        assert any(e["type"] == "bold" for e in overview.entities)
        await driver.wait_until_idle()

        manager.send("/status tekninen")
        parts = status_parts(bot_ctx, "tekninen")
        assert len(parts) > 1
        technical = await report_messages(manager, parts)
        assert technical[0].content.startswith("Tekninen osasto · Q4/2026")
        assert "TEK-1" in technical[0].content and "RV-2" in technical[-1].content

        manager.send("/status RV-1 2026Q3")
        (goal,) = await report_messages(manager, status_parts(bot_ctx, "RV-1", Q3))
        assert goal.content.startswith("RV-1 Rakentamisluvat käsitellään mahdollisimman nopeasti.")
        assert "Q3/2026" in goal.content and "Vastuu: Johtava rakennustarkastaja" in goal.content

        manager.send("/status nosuch")
        unknown = await manager.wait_for_message()
        assert "En tunnista kohdetta ”nosuch”" in unknown.content
        assert "tekninen, hallinto" not in unknown.content  # departments in catalogue order
        for valid in ("hallinto", "sivistys", "tekninen", "Rakennusvalvonta", "TEK-1"):
            assert valid in unknown.content

        manager.send("/status yle")
        ambiguous = await manager.wait_for_message()
        assert "yleishallinto, yleisten-alueiden-hoito" in ambiguous.content

        manager.send("/missing")
        missing = await manager.wait_for_message()
        assert missing.content.startswith("Vastaamatta Q4/2026")
        assert "Ei vastuuhenkilöä" in missing.content

        manager.send("/export")
        document = await manager.wait_for_message(predicate=lambda m: m.kind == "document")
        assert document.file is not None and document.file.filename is not None
        assert document.file.filename.endswith("-2026Q4.xlsx")
        assert "Q4/2026" in document.content
        workbook = openpyxl.load_workbook(io.BytesIO(document.file.data))
        assert (
            "Kaupunginhallitus" in workbook.sheetnames
            and "Selitykset ja kommentit" in workbook.sheetnames
        )

        manager.send("/export csv 2026Q3")
        table = await manager.wait_for_message(predicate=lambda m: m.kind == "document")
        assert table.file is not None and table.file.filename is not None
        assert table.file.filename.endswith("-2026Q3.csv")
        assert table.file.data.startswith(b"\xef\xbb\xbf")

        manager.send("/export docx")
        agenda = await manager.wait_for_message(
            predicate=lambda m: m.kind == "document", timeout=20
        )
        assert agenda.file is not None and agenda.file.filename is not None
        assert agenda.file.filename.endswith("-2026Q4.docx")
        from docx import Document

        tables = Document(io.BytesIO(agenda.file.data)).tables
        assert [c.text for c in tables[1].rows[0].cells][:3] == ["Toimiala", "Tavoite", "Mittari"]

        manager.send("/export pdf")
        bad = await manager.wait_for_message()
        assert "En ymmärrä ”pdf”" in bad.content

        manager.send("/chart TILA-2")
        photo = await manager.wait_for_message(predicate=lambda m: m.kind == "photo")
        assert photo.file is not None and photo.file.data.startswith(PNG_MAGIC)
        assert photo.file.filename == "goalbot-TILA-2.1-2026Q4.png"
        assert photo.file.mime_type == "image/png"
        assert photo.content.startswith("TILA-2.1 Biojätteen määrä")
        assert utf16_length(photo.content) <= 1024

        manager.send("/chart RV-2")
        not_numeric = await manager.wait_for_message()
        assert "kyllä/ei-mittari" in not_numeric.content
        manager.send("/chart YH-8")
        choose = await manager.wait_for_message()
        assert "/chart YH-8.2" in choose.content
        manager.send("/chart")
        usage = await manager.wait_for_message()
        assert "/chart TILA-2" in usage.content
        await driver.wait_until_idle()

    for message in manager.bot_messages():
        assert utf16_length(message.content) <= TEXT_LIMIT
    assert len(driver.documents) == 3 and len(driver.photos) == 1
    assert driver.errors == []


async def test_who_may_ask_where(sqlite_ctx: AppContext, botapi: FakeBotApi) -> None:
    driver = botapi.driver
    stranger = driver.create_user("Seppo")
    owner = driver.create_user("Raili")
    head = driver.create_user("Teemu")
    admin = driver.create_user("Anna")
    member = driver.create_user("Mikko")
    management = driver.create_group("Johtoryhmä", members=[member, stranger])
    elsewhere = driver.create_group("Kahvihuone", members=[stranger, head])
    bind_person(sqlite_ctx, "rakennustarkastaja", "Raili Rakentaja", owner.id)
    bind_person(sqlite_ctx, "tekninen-johtaja", "Teemu Tekninen", head.id)
    fill_answers(sqlite_ctx, (Q3,))
    ctx = with_telegram(sqlite_ctx, botapi, admins=(admin.id,), management_chat_id=management.id)
    async with running_bot(ctx):
        await driver.wait_until_idle()
        everything = ("/status", "/status tekninen", "/missing", "/export", "/chart TILA-2")
        for person, commands in ((stranger, everything), (owner, ("/export", "/missing"))):
            for command in commands:
                person.send(command)
                await driver.wait_until_idle()
        # refused three times, then left in peace for a while: the refusals go out beside
        # the updates' handling, one a second to a private chat, so they are waited for
        await driver.wait_until(
            lambda: len(stranger.bot_messages()) >= 3 and len(owner.bot_messages()) >= 2
        )
        await driver.wait_until_idle()
        await asyncio.sleep(1.2)  # a fourth would have left by now
        for person, refusals in ((stranger, 3), (owner, 2)):
            assert [REFUSAL in m.content for m in person.bot_messages()] == [True] * refusals
        # an owner's /status shows their own goals
        owner.send("/status")
        own = await owner.wait_for_message()
        assert own.content.startswith("Omat tavoitteesi · ") and "RV-1" in own.content
        # a department head and an administrator are managers
        for person in (head, admin):
            person.send("/status hallinto 2026Q3")
            reply, *_ = await report_messages(person, status_parts(ctx, "hallinto", Q3))
            assert reply.content.startswith("Hallinto-osasto · Q3/2026"), person

        # in the management group anyone in it may ask
        driver.send_command_in_group(management, member, "status", "Q3/2026")
        overview, *_ = await report_messages(management, status_parts(ctx, "", Q3))
        assert overview.content.startswith("Tavoitteiden tilanne Q3/2026")
        driver.send_command_in_group(management, stranger, "chart", "STR-3 2026Q3")
        photo = await driver.wait_for_message(management, predicate=lambda m: m.kind == "photo")
        assert photo.file is not None and photo.file.data.startswith(PNG_MAGIC)
        await driver.wait_until_idle()

        # in any other group nobody gets a report, not even a manager; the group is told once,
        # and then left in peace
        for person in (stranger, head):
            driver.send_command_in_group(elsewhere, person, "status", "tekninen")
            await driver.wait_until_idle()
        driver.send_command_in_group(elsewhere, head, "export")
        await driver.wait_until_idle()
        assert [REFUSAL in m.content for m in driver.bot_messages(elsewhere)] == [True]

    for chat in (stranger.id, owner.id, elsewhere.id):
        for message in driver.bot_messages(chat):
            if chat == owner.id and message.content.startswith("Omat tavoitteesi"):
                assert "RV-" in message.content and "TEK-" not in message.content
                continue  # the owner's own goals
            assert not is_report(message) and message.file is None
            assert "TEK-" not in message.content and "Q3/2026" not in message.content
    assert [f.chat_id for f in driver.documents] == []
    assert [f.chat_id for f in driver.photos] == [management.id]
    assert driver.errors == []


async def test_the_management_group_gets_the_summary_and_the_table(
    sqlite_ctx: AppContext, botapi: FakeBotApi
) -> None:
    driver = botapi.driver
    member = driver.create_user("Mikko")
    group = driver.create_group("Johtoryhmä", members=[member])
    # a group gets about 20 messages a minute: explanations long enough for a few parts
    fill_answers(sqlite_ctx, explanation_length=160)
    ctx = with_telegram(sqlite_ctx, botapi, management_chat_id=group.id)
    open_round_without_deadline(ctx, Q4)
    async with running_bot(ctx):
        await driver.wait_until_idle()
        closed = close_round_of(ctx, Q4)
        assert closed.summary_queued
        document = await driver.wait_for_message(
            group, predicate=lambda m: m.kind == "document", timeout=60
        )
        await driver.wait_until_idle()

    parts = [m for m in driver.bot_messages(group) if m.kind == "text"]
    assert len(parts) >= 3  # the long explanations do not fit in one message
    assert parts[0].content.startswith("Tavoiteraportti Q4/2026")
    assert all(utf16_length(p.content) <= TEXT_LIMIT for p in parts)
    assert all(p.message_id < document.message_id for p in parts)
    assert "Vastaamatta" in parts[-1].content
    assert document.file is not None and document.file.filename is not None
    assert document.file.filename.endswith("-2026Q4.xlsx")
    openpyxl.load_workbook(io.BytesIO(document.file.data))
    with ctx.unit_of_work() as uow:
        sends = list(uow.session.scalars(select(SendRow).where(SendRow.kind == "summary")))
    assert [s.status for s in sends] == ["sent"]
    assert driver.errors == []
