"""Owners answering at the same moment: every answer once, in its giver's name, in their chat."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from goalbot.scheduling.control import open_round_now
from goalbot.services.context import AppContext
from tests.conftest import Clock
from tests.e2e.chat_steps import Q1_2027, Q4, enrol, header, plain, stored_answers
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi, MessageView, UserHandle


async def replies_to_all(owners: list[UserHandle]) -> list[MessageView]:
    return [await o.wait_for_message() for o in owners]


def largest_batch(botapi: FakeBotApi) -> int:
    """The most updates the bot received in one getUpdates call (handled concurrently)."""
    batches = [r.response for r in botapi.driver.requests_for("getUpdates") if r.response]
    return max((len(b.get("result") or []) for b in batches), default=0)


async def test_three_owners_answer_at_the_same_moment(
    ctx: AppContext, clock: Clock, botapi: FakeBotApi
) -> None:
    # the first round of 2027: the catering figures of 2026 are asked in it
    clock.set(datetime(2027, 3, 17, 8, 0, tzinfo=UTC))
    ctx = with_telegram(ctx, botapi)
    driver = botapi.driver
    reino, ylva, tiina = (driver.create_user(n) for n in ("Reino", "Ylva", "Tiina"))
    owners = [reino, ylva, tiina]
    open_round_now(ctx, Q1_2027)
    enrol(ctx, reino, "rakennustarkastaja", "Reino Rakennustarkastaja")
    enrol(ctx, ylva, "ymparistopaallikko", "Ylva Ympäristö")
    enrol(ctx, tiina, "tilapalvelupaallikko", "Tiina Tilapalvelu")
    async with running_bot(ctx):
        for owner in owners:
            owner.send("/raportoi")
        firsts = await replies_to_all(owners)
        assert all(header(1, 2) in m.content for m in firsts)

        # every input reaches Telegram before the bot has answered any of them
        reino.send("24")
        ylva.press("Kyllä")
        tiina.send("30 %")
        seconds = await replies_to_all(owners)
        assert "Rakentamislupien" not in seconds[0].content  # RV-1.1 is not asked again
        assert "Pääosa viranhaltijapäätöksistä" in seconds[1].content  # YMP-2.1
        assert "Biojätteen määrä" in seconds[2].content  # TILA-2.1
        assert all(header(2, 2) in m.content for m in seconds)

        reino.press("Kyllä")
        ylva.send("kyllä")
        tiina.send("10 715")
        recaps = await replies_to_all(owners)
        assert all("Yhteenveto, Q1/2027" in m.content for m in recaps)
        recap = plain(recaps[2].content)
        assert ": 30 % (2026)" in recap and ": 10 715 kg/vuosi (2026)" in recap

        for owner in owners:
            owner.press("✅ Vahvista")
        thanks = await replies_to_all(owners)
        assert [m.content.split("!")[0] for m in thanks] == [
            "✅ Kiitos, Reino Rakennustarkastaja",
            "✅ Kiitos, Ylva Ympäristö",
            "✅ Kiitos, Tiina Tilapalvelu",
        ]
        await driver.wait_until_idle()
        assert largest_batch(botapi) == 3
        for owner in owners:
            assert len(owner.bot_messages()) == 4

    # the quarter's own figures, and the year's statistics for the year they describe
    answers = {**stored_answers(ctx, Q1_2027), **stored_answers(ctx, Q4)}
    by = {metric: (a.answered_by, a.history) for metric, a in answers.items()}
    assert by == {
        metric: (name, (("value", name),))
        for metric, name in [
            ("RV-1.1", "Reino Rakennustarkastaja"),
            ("RV-2.1", "Reino Rakennustarkastaja"),
            ("YMP-1.1", "Ylva Ympäristö"),
            ("YMP-2.1", "Ylva Ympäristö"),
            ("TILA-1.1", "Tiina Tilapalvelu"),
            ("TILA-2.1", "Tiina Tilapalvelu"),
        ]
    }
    assert answers["RV-1.1"].number == Decimal(24)
    assert answers["TILA-1.1"].number == Decimal(30)
    assert answers["TILA-2.1"].number == Decimal(10715)
    assert all(a.on_behalf_of_role is None for a in answers.values())
