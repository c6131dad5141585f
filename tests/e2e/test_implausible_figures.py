"""A figure a thousand times off its baseline or previous figure is not stored silently: the
bot asks, with buttons, which reading was meant ("11.715" for 11 715 kg)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from goalbot.domain.periods import Period
from goalbot.scheduling.control import open_round_now
from goalbot.services.context import AppContext
from tests.conftest import Clock
from tests.e2e.chat_steps import (
    Q1_2027,
    Q4,
    enrol,
    footprint,
    plain,
    press,
    stored_answers,
    type_text,
    walk_to,
)
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi, UserHandle


@pytest.fixture
def round_ctx(sqlite_ctx: AppContext, clock: Clock, botapi: FakeBotApi) -> AppContext:
    """The first round of 2027, which asks for 2026's statistics."""
    clock.set(datetime(2027, 3, 17, 8, 0, tzinfo=UTC))
    ctx = with_telegram(sqlite_ctx, botapi)
    open_round_now(ctx, Q1_2027)
    return ctx


def owner_at(ctx: AppContext, botapi: FakeBotApi, role: str, metric_id: str) -> UserHandle:
    owner = botapi.driver.create_user("Olli")
    enrol(ctx, owner, role, "Olli Omistaja")
    walk_to(ctx, owner, metric_id)
    return owner


async def test_a_thousands_separator_read_as_a_decimal_point_is_questioned(
    round_ctx: AppContext, botapi: FakeBotApi
) -> None:
    ctx = round_ctx
    owner = owner_at(ctx, botapi, "tilapalvelupaallikko", "TILA-2.1")  # baseline 11 715 kg
    async with running_bot(ctx):
        question = await type_text(owner, "/raportoi")
        assert "Biojätteen määrä" in question.content
        before = footprint(ctx).answers
        asked = await type_text(owner, "11.715")
        text = plain(asked.content)
        assert text.startswith(
            "❓ Tarkista luku: 11,715 kg/vuosi on noin tuhatkertaisesti eri kuin lähtötaso "
            "11 715 kg/vuosi. Tarkoititko 11 715 kg/vuosi?"
        ), text
        assert "Biojätteen määrä" in text  # the same question under it
        assert [plain(b) for b in asked.button_labels[:2]] == [
            "11,715 kg/vuosi",
            "11 715 kg/vuosi",
        ]
        assert footprint(ctx).answers == before  # nothing stored yet
        await press(owner, "11\u00a0715\u00a0kg/vuosi")
        await botapi.driver.wait_until_idle()
    answer = stored_answers(ctx, Q4)["TILA-2.1"]
    assert (answer.state, answer.number) == ("value", Decimal(11715))


async def test_the_figure_as_typed_may_be_kept_or_typed_again(
    round_ctx: AppContext, botapi: FakeBotApi
) -> None:
    ctx = round_ctx
    owner = owner_at(ctx, botapi, "kaupunginjohtaja", "STR-7.1")  # 1 021 000 € in 2025
    async with running_bot(ctx):
        await type_text(owner, "/raportoi")
        asked = await type_text(owner, "1.021")
        assert "Tarkoititko 1 021 000 €?" in plain(asked.content)
        # typing again replaces the question: a plausible figure goes through at once
        again = await type_text(owner, "1,1")
        assert "Tarkista luku" in again.content
        kept = await press(owner, "1,1\u00a0€")
        assert "Tarkista luku" not in kept.content
        await botapi.driver.wait_until_idle()
    assert stored_answers(ctx, Q4)["STR-7.1"].number == Decimal("1.1")


async def test_a_plausible_figure_is_not_questioned(
    round_ctx: AppContext, botapi: FakeBotApi
) -> None:
    ctx = round_ctx
    owner = owner_at(ctx, botapi, "tilapalvelupaallikko", "TILA-2.1")
    async with running_bot(ctx):
        await type_text(owner, "/raportoi")
        reply = await type_text(owner, "11 500")
        assert "Tarkista luku" not in reply.content
        await botapi.driver.wait_until_idle()
    assert stored_answers(ctx, Period(2026, 4))["TILA-2.1"].number == Decimal(11500)
