"""A recap longer than one Telegram message arrives in parts, and can still be confirmed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from goalbot.domain.periods import Period
from goalbot.scheduling.control import open_round_now
from goalbot.services.context import AppContext
from goalbot.services.owners import accept_invite, invite_owner
from goalbot.storage.models import AnswerRow, PersonRow
from goalbot.storage.repositories import save_answer, save_text
from tests.conftest import Clock
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi

Q4 = Period(2026, 4)
LONG = 'Selitys, joka on pitkä ja jossa on merkkejä & < > sekä lainausmerkkejä "näin". ' * 6


async def test_a_long_recap_comes_in_parts_and_can_be_confirmed(
    sqlite_ctx: AppContext, botapi: FakeBotApi, clock: Clock
) -> None:
    from goalbot.domain.answers import AnswerValue
    from goalbot.domain.obligations import asked_items
    from goalbot.services.catalogue import get_catalogue

    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    owner = botapi.driver.create_user("Hanna")
    ctx = with_telegram(sqlite_ctx, botapi)
    async with running_bot(ctx):
        owner.send("/start")
        await owner.wait_for_message()
        invite = invite_owner(ctx, "hallintojohtaja", "Hanna Hallinto")
        accept_invite(ctx, invite.token, owner.id)
        open_round_now(ctx, Q4)
        await owner.wait_for_message(predicate=lambda m: "alkanut" in m.content)
        # every answer given, each with a long explanation, before the recap is shown
        items = asked_items(get_catalogue(ctx), ["hallintojohtaja"], Q4)
        with ctx.unit_of_work() as uow:
            person = uow.session.scalars(select(PersonRow)).one()
            for _, _, metric in items:
                value = (
                    AnswerValue.of_flag(False)
                    if metric.kind.value == "yes_no"
                    else AnswerValue.no_data()
                )
                row, _ = save_answer(uow, metric.id, Q4, value, person, ctx.now())
                save_text(uow, row, "explanation", LONG[:480], person, ctx.now())
            uow.commit()
        owner.send("/raportoi")
        await owner.wait_for_message(
            predicate=lambda m: "Vastauksia voi muuttaa" in m.content, timeout=20
        )
        transcript = owner.transcript()
        asked = max(i for i, m in enumerate(transcript) if m.content == "/raportoi")
        recap_parts = [m for m in transcript[asked + 1 :] if m.from_bot]
        assert len(recap_parts) >= 2
        assert all(not m.buttons for m in recap_parts[:-1])
        assert "✅ Vahvista" in recap_parts[-1].button_labels
        owner.press("✅ Vahvista", message_id=recap_parts[-1].message_id)
        await owner.wait_for_message(predicate=lambda m: "vahvistettu" in m.content, timeout=10)
    with ctx.unit_of_work() as uow:
        rows = list(uow.session.scalars(select(AnswerRow)))
        assert rows and all(r.confirmed_at is not None for r in rows)
