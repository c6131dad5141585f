"""Answering on a phone: few, short messages; the recap one message, edited in place."""

from __future__ import annotations

from sqlalchemy import select

from goalbot.domain.answers import AnswerValue
from goalbot.domain.goals import MetricKind
from goalbot.domain.obligations import asked_items
from goalbot.scheduling.control import close_round_now
from goalbot.services.catalogue import get_catalogue
from goalbot.services.context import AppContext
from goalbot.storage.models import PersonRow
from goalbot.storage.repositories import save_answer, save_text
from tests.e2e.chat_steps import Q4, enrol, open_round, press, stored_answers, type_text
from tests.e2e.harness import running_bot
from tests.e2e.owner_flow import current_metric, good_typed_answer
from tests.fakes.botapi import FakeBotApi, MessageView, UserHandle

UPDATED = "✓ Tallennettu. Yhteenveto on päivitetty yllä."
TEN_METRICS = ("sivistysjohtaja", "lukion-rehtori", "kiinteistopaallikko")  # 3 + 5 + 2 in Q4/2026


def sent_to(botapi: FakeBotApi, owner: UserHandle, since: int = 0) -> list[str]:
    """The texts of the messages the bot sent to ``owner`` (new ones, not edits)."""
    return [
        str(r.params.get("text", ""))
        for r in botapi.driver.requests[since:]
        if r.method == "sendMessage" and str(r.params.get("chat_id")) == str(owner.id)
    ]


async def answer_walk(ctx: AppContext, owner: UserHandle, first: MessageView) -> MessageView:
    """Answer every question right the first time; returns the recap."""
    screen = first
    for _ in range(30):
        step, metric = current_metric(ctx, owner.id)
        if step == "recap":
            return screen
        assert step == "answer" and metric is not None, screen.content
        if metric.kind == MetricKind.YES_NO:
            screen = await press(owner, "Kyllä")
        else:
            screen = await type_text(owner, good_typed_answer(metric))
    raise AssertionError("the recap never came")


async def test_a_ten_metric_round_without_mistakes_takes_few_messages(
    q4_ctx: AppContext, botapi: FakeBotApi
) -> None:
    ctx = q4_ctx
    owner = botapi.driver.create_user("Kaisa")
    for role in TEN_METRICS:
        enrol(ctx, owner, role, "Kaisa Kaupunki")
    async with running_bot(ctx):
        owner.start()
        await botapi.driver.wait_until_idle()
        since = len(botapi.driver.requests)
        (reminder,) = await open_round(ctx, owner)
        first = await press(owner, "Aloita vastaaminen", reminder)
        assert "1/10 · " in first.content
        recap = await answer_walk(ctx, owner, first)
        assert "Yhteenveto, Q4/2026" in recap.content
        done = await press(owner, "✅ Vahvista", recap)
        assert "on vahvistettu" in done.content
        await botapi.driver.wait_until_idle()
    texts = sent_to(botapi, owner, since)
    # the reminder, ten questions, the recap and the thanks
    assert len(texts) <= 14, "\n---\n".join(texts)
    # the spring's results not given in their rounds are asked for again, for the spring
    given = [stored_answers(ctx, Q4.shifted(-back)) for back in range(3)]
    assert sum(len(answers) for answers in given) == 10


async def test_a_changed_answer_edits_the_recap_in_place(
    q4_ctx: AppContext, botapi: FakeBotApi
) -> None:
    ctx = q4_ctx
    driver = botapi.driver
    owner = driver.create_user("Reino")
    enrol(ctx, owner, "rakennustarkastaja", "Reino Rakennustarkastaja")
    async with running_bot(ctx):
        owner.start()
        await driver.wait_until_idle()
        (reminder,) = await open_round(ctx, owner)
        first = await press(owner, "Aloita vastaaminen", reminder)
        recap = await answer_walk(ctx, owner, first)
        assert "Yhteenveto, Q4/2026" in recap.content
        # typing at the recap: a short reply to it; the recap is not sent again
        typed = owner.send("ok")
        hint = await owner.wait_for_message()
        assert hint.content == "⚠️ Valitse viestin painikkeista."
        assert hint.json["reply_to_message"]["message_id"] == typed.message_id
        question = await press(owner, "Muuta 1", recap)
        assert "Nykyinen vastauksesi" in question.content
        # the recap lost its buttons while an answer is being changed
        await driver.wait_until_idle()
        assert driver.message(owner, recap.message_id).button_labels == []
        typed = owner.send("25 pv")
        pointer = await owner.wait_for_message()
        await driver.wait_until_idle()
        assert pointer.content == UPDATED
        assert pointer.json["reply_to_message"]["message_id"] == typed.message_id
        # the same message is the recap, showing the new answer, with its buttons back
        edited = driver.message(owner, recap.message_id)
        assert edited.version > recap.version and "25 päivää" in edited.content.replace("\xa0", " ")
        assert "✅ Vahvista" in edited.button_labels
        assert driver.message(owner, question.message_id).button_labels == []
        assert owner.last_bot_message() == pointer
        # a comment edits it in place too; confirming it is one short message
        pick = await press(owner, "💬 Kommentti", edited)
        prompt = await press(owner, pick.button_labels[0], pick)
        assert "Kirjoita kommentti" in prompt.content
        owner.send("Käsittelyajat lyhenivät.")
        assert (await owner.wait_for_message()).content == UPDATED
        await driver.wait_until_idle()
        commented = driver.message(owner, recap.message_id)
        assert "💬 Käsittelyajat lyhenivät." in commented.content
        done = await press(owner, "✅ Vahvista", commented)
        assert "on vahvistettu" in done.content
        recaps = [m for m in owner.bot_messages() if "Yhteenveto, Q4/2026" in m.content]
        assert [m.message_id for m in recaps] == [recap.message_id]
    assert stored_answers(ctx)["RV-1.1"].number == 25


async def test_a_long_recap_is_edited_part_by_part(q4_ctx: AppContext, botapi: FakeBotApi) -> None:
    ctx = q4_ctx
    driver = botapi.driver
    owner = driver.create_user("Hanna")
    enrol(ctx, owner, "hallintojohtaja", "Hanna Hallinto")
    async with running_bot(ctx):
        owner.start()
        await driver.wait_until_idle()
        await open_round(ctx, owner)
        # every answer given, each with a long explanation, so the recap needs parts
        items = asked_items(get_catalogue(ctx), ["hallintojohtaja"], Q4)
        with ctx.unit_of_work() as uow:
            person = uow.session.scalars(select(PersonRow)).one()
            for _, _, metric in items:
                row, _ = save_answer(uow, metric.id, Q4, AnswerValue.no_data(), person, ctx.now())
                save_text(uow, row, "explanation", "Pitkä selitys, " * 30, person, ctx.now())
            uow.commit()
        asked = owner.send("/raportoi")
        last = await owner.wait_for_message(predicate=lambda m: "✅ Vahvista" in m.button_labels)
        await driver.wait_until_idle()
        parts = [m for m in owner.bot_messages() if m.message_id > asked.message_id]
        assert len(parts) >= 2 and parts[-1] == last
        question = await press(owner, "Muuta 2", last)
        assert "Nykyinen vastauksesi" in question.content
        question = await press(owner, "Ei tietoa vielä", question)
        assert question.content == UPDATED
        await driver.wait_until_idle()
        # the same parts, edited where they changed; the buttons under the last
        after = [driver.message(owner, m.message_id) for m in parts]
        assert "Yhteenveto, Q4/2026" in after[0].content
        assert after[-1].version > parts[-1].version
        assert "✅ Vahvista" in after[-1].button_labels
        assert all(not a.buttons for a in after[:-1])
        assert sum("Yhteenveto, Q4/2026" in m.content for m in owner.bot_messages()) == 1


async def test_closing_a_round_early_is_announced_to_those_with_answers_open(
    q4_ctx: AppContext, botapi: FakeBotApi
) -> None:
    ctx = q4_ctx
    driver = botapi.driver
    done, halfway, unconfirmed = (driver.create_user(n) for n in ("Reino", "Ylva", "Kimmo"))
    enrol(ctx, done, "rakennustarkastaja", "Reino Rakennustarkastaja")
    enrol(ctx, halfway, "ymparistopaallikko", "Ylva Ympäristö")
    enrol(ctx, unconfirmed, "kiinteistopaallikko", "Kimmo Kiinteistö")
    async with running_bot(ctx):
        for person in (done, halfway, unconfirmed):
            person.start()
        await driver.wait_until_idle()
        reminders = await open_round(ctx, done, halfway, unconfirmed)
        recap = await answer_walk(ctx, done, await press(done, "Aloita vastaaminen", reminders[0]))
        await press(done, "✅ Vahvista", recap)
        await press(halfway, "Kyllä", await press(halfway, "Aloita vastaaminen", reminders[1]))
        await answer_walk(
            ctx, unconfirmed, await press(unconfirmed, "Aloita vastaaminen", reminders[2])
        )
        await driver.wait_until_idle()
        told = {p.id: len(p.bot_messages()) for p in (done, halfway, unconfirmed)}
        close_round_now(ctx)  # weeks before the deadline of 18.1.2027
        notice = await halfway.wait_for_message(predicate=lambda m: "suljettiin" in m.content)
        assert notice.content.startswith(
            "Vuosineljänneksen Q4/2026 raportointikierros suljettiin ennen määräaikaa "
            "(18.1.2027 klo 16.00). Vastauksia ei voi enää muuttaa; puuttuvan luvun voi antaa "
            "myöhemmin komennolla /vastaa."
        )
        assert "Vastaamatta jäi 1 mittari." in notice.content
        other = await unconfirmed.wait_for_message(predicate=lambda m: "suljettiin" in m.content)
        assert "Vahvistamatta jäi 2 vastausta" in other.content
        await driver.wait_until_idle()
        # the one who had confirmed everything is not bothered
        assert len(done.bot_messages()) == told[done.id]
        # a button pressed afterwards changes nothing
        late = await press(halfway, "Kyllä")
        assert "ei ole nyt auki" in late.content
