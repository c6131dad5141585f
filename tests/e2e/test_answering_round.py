"""A goal owner answers a whole quarter on the phone: every metric kind, recap, confirm."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from goalbot.domain.goals import Metric, MetricKind
from goalbot.domain.periods import Period
from goalbot.scheduling.control import open_round_now
from goalbot.services.context import AppContext
from goalbot.services.owners import invite_owner
from goalbot.storage.models import AnswerHistoryRow, AnswerRow, GoalCommentRow, SendRow
from tests.conftest import Clock
from tests.e2e.harness import running_bot, with_telegram
from tests.e2e.owner_flow import current_metric, good_typed_answer
from tests.fakes.botapi import FakeBotApi, MessageView, UserHandle

Q4 = Period(2026, 4)


@pytest.fixture
def q4_clock(clock: Clock) -> Clock:
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    return clock


async def bind(
    owner: UserHandle, ctx: AppContext, role: str, name: str, kind: str = "owner"
) -> None:
    invite = invite_owner(ctx, role, name, kind)
    owner.start(invite.token)
    # the bot sends the welcome once the invite is applied (no round is open: nothing follows)
    await owner.wait_for_message(predicate=lambda m: "Tervetuloa" in m.content)


async def next_screen(owner: UserHandle) -> MessageView:
    return await owner.wait_for_message(timeout=10)


async def answer_everything(
    ctx: AppContext, botapi: FakeBotApi, owner: UserHandle, first: MessageView
) -> dict[str, str]:
    """Walk the questionnaire like a person; returns what was done per metric."""
    done: dict[str, str] = {}
    screen = first
    explained = False
    for _ in range(400):
        step, metric = current_metric(ctx, owner.id)
        if step == "recap":
            assert "Yhteenveto" in screen.content
            return done
        if step == "answer":
            assert metric is not None
            assert metric.name.split("\n")[0][:30] in screen.content
            if metric.kind == MetricKind.YES_NO:
                # "Ei" until one misses its target (a "not yet" may still be on schedule)
                if not explained:
                    owner.press("Ei")
                    done[metric.id] = "no"
                else:
                    owner.press("Kyllä")
                    done[metric.id] = "yes"
            elif "no_data" not in done.values():
                owner.press("Ei tietoa vielä")
                done[metric.id] = "no_data"
            elif "skipped" not in done.values():
                owner.press("Ohita…")
                prompt = await next_screen(owner)
                assert "miksi ohitat" in prompt.content
                owner.send("Tilasto julkaistaan vasta maaliskuussa")
                done[metric.id] = "skipped"
            else:
                owner.send(good_typed_answer(metric))
                done[metric.id] = "typed"
        elif step == "explanation":
            assert "jää tavoitteesta. Tavoite: " in screen.content
            assert ").)" not in screen.content and ".." not in screen.content
            if not explained:
                owner.send("Hankinta viivästyi toimittajan vuoksi.")
                explained = True
            else:
                owner.press("Ohita")
        elif step == "corrective":
            assert "korjaavia" in screen.content
            owner.send("Uusi kilpailutus tammikuussa.")
        else:  # pragma: no cover - a failure message is more useful than a hang
            pytest.fail(f"unexpected step {step}: {screen.content}")
        screen = await next_screen(owner)
    pytest.fail("the questionnaire never reached the recap")


async def test_a_full_round_covering_every_metric_kind(
    sqlite_ctx: AppContext, botapi: FakeBotApi, q4_clock: Clock
) -> None:
    driver = botapi.driver
    owner = driver.create_user("Hanna", last_name="Hallinto", username="hanna")
    ctx = with_telegram(sqlite_ctx, botapi)
    async with running_bot(ctx):
        await bind(owner, ctx, "hallintojohtaja", "Hanna Hallinto")
        await bind(owner, ctx, "kaupunginjohtaja", "Hanna Hallinto")
        opened = open_round_now(ctx, Q4)
        assert opened.reminders_queued == 1
        reminder = await owner.wait_for_message(predicate=lambda m: "Q4/2026" in m.content)
        assert "tavoiteraportointi on alkanut" in reminder.content
        assert "18.1.2027" in reminder.content and reminder.reply_markup is not None
        assert [b["text"] for row in reminder.reply_markup["inline_keyboard"] for b in row] == [
            "Aloita vastaaminen"
        ]

        owner.press("Aloita vastaaminen", message_id=reminder.message_id)
        first = await next_screen(owner)
        assert "1/19" in first.content
        done = await answer_everything(ctx, botapi, owner, await_first(first))
        recap = owner.last_bot_message()
        assert recap is not None and "Yhteenveto, Q4/2026" in recap.content
        # an answered question shows the answer given by button, and has no buttons left
        answered = [m for m in owner.bot_messages() if "✓ Vastaus: Ei" in m.content]
        assert answered and "Lähtötaso:" in answered[0].content and not answered[0].buttons
        # a comment on a goal, from the recap
        owner.press("💬 Kommentti", message_id=recap.message_id)
        pick = await next_screen(owner)
        assert "Mihin tavoitteeseen" in pick.content
        owner.press("Asukastyytyväisyys", message_id=pick.message_id)
        prompt = await next_screen(owner)
        assert "Kirjoita kommentti tavoitteeseen Asukastyytyväisyys" in prompt.content
        typed = owner.send("Hyvä neljännes kaikkiaan.")
        # the recap is edited in place; a short reply to the comment says so
        pointer = await next_screen(owner)
        assert pointer.content == "✓ Tallennettu. Yhteenveto on päivitetty yllä."
        assert pointer.json["reply_to_message"]["message_id"] == typed.message_id
        await driver.wait_until_idle()
        recap = driver.message(owner, recap.message_id)
        assert "Yhteenveto, Q4/2026" in recap.content
        assert "Hyvä neljännes kaikkiaan." in recap.content
        assert "Hankinta viivästyi" in recap.content
        assert "✅ Vahvista" in recap.button_labels

        # change answer 2 from the recap, then confirm
        owner.press("Muuta 2", message_id=recap.message_id)
        question = await next_screen(owner)
        assert "2/19" in question.content and "Nykyinen vastauksesi" in question.content
        # unemployment is known a month later: the Q4 round asks for Q3's figure
        assert "Vuosineljänneksen Q3/2026 luku:" in question.content
        _step, metric = current_metric(ctx, owner.id)
        assert metric is not None and metric.id == "STR-3.1"
        changed_metric = metric
        owner.send("9 %")  # misses the target: explanation and corrective action are asked
        after = await next_screen(owner)
        assert "jää tavoitteesta" in after.content
        await answer_everything(ctx, botapi, owner, after)
        await driver.wait_until_idle()
        assert owner.last_bot_message() == pointer_after(owner, recap.message_id)
        back = driver.message(owner, recap.message_id)
        assert "Yhteenveto" in back.content and "\n2. 9,0\xa0% (Q3/2026)\n" in back.content
        owner.press("✅ Vahvista", message_id=back.message_id)
        thanks = await next_screen(owner)
        assert "Vastauksesi (Q4/2026) on vahvistettu" in thanks.content
        await driver.wait_until_idle()

    kinds = {m.kind for m in _metrics(ctx, done)}
    assert kinds == set(MetricKind)
    with ctx.unit_of_work() as uow:
        rows = {
            r.metric_id: r
            for r in uow.session.scalars(select(AnswerRow).where(AnswerRow.given_in == "2026Q4"))
        }
        assert set(rows) == set(done)
        assert all(r.confirmed_at is not None for r in rows.values())
        states = {r.state for r in rows.values()}
        # the one skipped (unemployment) was given a figure from the recap
        assert done["STR-3.1"] == "skipped" and states == {"value", "no_data"}
        assert rows["STR-3.1"].number == Decimal("9") and rows["STR-3.1"].period == "2026Q3"
        explained = [r for r in rows.values() if r.explanation]
        assert explained and explained[0].corrective_action == "Uusi kilpailutus tammikuussa."
        history = list(
            uow.session.scalars(
                select(AnswerHistoryRow).where(
                    AnswerHistoryRow.answer_id == rows[changed_metric.id].id,
                    AnswerHistoryRow.field == "value",
                )
            )
        )
        assert len(history) == 2 and history[0].old is None
        assert history[0].new["reason"] == "Tilasto julkaistaan vasta maaliskuussa"
        assert history[1].changed_by_name == "Hanna Hallinto"
        comments = list(uow.session.scalars(select(GoalCommentRow)))
        assert [c.text for c in comments] == ["Hyvä neljännes kaikkiaan."]
        sends = list(uow.session.scalars(select(SendRow)))
        assert [(s.kind, s.status) for s in sends] == [("reminder", "sent")]
        assert sends[0].telegram_message_id == reminder.message_id


def pointer_after(owner: UserHandle, recap_id: int) -> MessageView | None:
    """The one message after the recap's own that says the recap above was updated."""
    later = [m for m in owner.bot_messages() if m.message_id > recap_id]
    updated = [m for m in later if "Yhteenveto on päivitetty yllä" in m.content]
    return updated[-1] if updated else None


def await_first(message: MessageView) -> MessageView:
    return message


def _metrics(ctx: AppContext, done: dict[str, str]) -> list[Metric]:
    from goalbot.services.catalogue import get_catalogue

    catalogue = get_catalogue(ctx)
    return [m for m in catalogue.metrics() if m.id in done]
