"""The owner's questionnaire: one step at a time, every step saved the moment it is given.

The position of every owner lives in the database (``conversations``), so a restart at any
moment loses nothing and asks nothing twice. Every input carries the Telegram update id; an
update seen before changes nothing and only shows the current step again. Buttons carry the
conversation's version: a button from an older step changes nothing either.

It is a state machine: the stored ``Step`` selects the handler of an input (``_HANDLERS``),
the handler moves the conversation on and the new step selects the screen (``_SCREENS``).

    ANSWER ──value──▶ (missed target) EXPLANATION ──▶ CORRECTIVE ──▶ next ANSWER … RECAP
           ──skip───▶ SKIP_REASON ──reason──▶ next ANSWER … RECAP
    RECAP ──confirm──▶ DONE   RECAP ──change n──▶ ANSWER (then back to RECAP)
    RECAP ──comment──▶ COMMENT_PICK ──goal──▶ COMMENT ──text──▶ RECAP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from goalbot.domain.answers import (
    Answer,
    AnswerValue,
    InvalidAnswer,
    other_reading,
    parse_no_data,
    parse_number,
    parse_reason,
    parse_yes_no,
)
from goalbot.domain.evaluation import Evaluation, Term, evaluate, is_target_missed
from goalbot.domain.goals import Catalogue, Goal, Metric, MetricKind
from goalbot.domain.obligations import Asked, Holder, Question, RoleHolders, asked_periods_of
from goalbot.domain.periods import Period
from goalbot.domain.protocol import HolderKind, Mode, ScreenKind, Step
from goalbot.services.access import (
    Identity,
    answering_hold,
    identity_of,
    person_by_telegram_id,
)
from goalbot.services.catalogue import active_catalogue
from goalbot.services.context import AppContext
from goalbot.services.entry import forget_late_text, late_text_asked, take_late_text
from goalbot.services.inbox import AlreadyApplied, is_applied, kept_for, mark_applied
from goalbot.services.rounds import (
    asked_of,
    judgement_day,
    open_round_row,
    read_obligations,
)
from goalbot.storage.database import UnitOfWork
from goalbot.storage.models import (
    AnswerRow,
    AssignmentRow,
    ConversationRow,
    PersonRow,
    RoundRow,
)
from goalbot.storage.repositories import (
    answers_before,
    asked_answers,
    comments_for_period,
    confirm_answer,
    get_answer,
    prior_answers,
    role_holders,
    row_to_answer,
    save_answer,
    save_comment,
    save_text,
)


class Action(StrEnum):
    """What a button means."""

    START = "go"
    YES = "y"
    NO = "n"
    NO_DATA = "nd"
    SKIP = "sk"
    CANCEL = "x"  # leave a text step without giving a text
    COMMENT = "cm"
    CONFIRM = "ok"
    CHANGE = "ch"
    READING = "rd"  # which reading of an implausible figure was meant (argument: 1 or 2)


@dataclass(frozen=True)
class OwnerInput:
    """One thing an owner did: typed text, pressed a button, or asked to start."""

    update_id: int
    telegram_user_id: int
    text: str | None = None
    action: Action | None = None
    version: int | None = None  # the conversation version a button was made for
    argument: str = ""


@dataclass(frozen=True)
class ItemView:
    """One metric in the questionnaire, with everything the owner needs to answer it."""

    index: int  # 1-based position among the owner's items
    total: int
    holder: Holder  # how the person holds the role the metric is asked for
    holders: RoleHolders  # everyone holding that role (a deputy sees for whom they answer)
    goal: Goal
    metric: Metric
    previous: Answer | None  # the latest answer with a value before the period asked for
    current: Answer | None  # the answer for the period asked for, so far
    period: Period | None = None  # the period the answer describes, if not the round's own


@dataclass(frozen=True)
class Screen:
    """What the owner should see now; the chat layer renders it with ``chat/<kind>.html.j2``."""

    kind: ScreenKind
    version: int = 0
    period: Period | None = None
    item: ItemView | None = None
    items: tuple[ItemView, ...] = ()
    comments: dict[str, str] = field(default_factory=dict)
    evaluation: Evaluation | None = None
    error: str = ""  # MISTAKE: why the typed text was not accepted
    error_params: dict[str, object] = field(default_factory=dict)  # the error's or note's
    note: str = ""  # a remark before the screen (e.g. "answers_missing")
    closes_at: datetime | None = None
    goal: Goal | None = None
    goals: tuple[Goal, ...] = ()
    person_name: str = ""
    recap_messages: tuple[int, ...] = ()  # RECAP: the message(s) to edit in place
    readings: tuple[Decimal, ...] = ()  # an implausible figure as typed, and the other reading


@dataclass(frozen=True)
class Reply:
    """The service's answer to one input."""

    screens: tuple[Screen, ...]
    accepted: bool = True  # False: the input changed nothing
    toast: str = ""  # a short note for the pressed button
    stranger: bool = False  # the person is not known to the bot: only the refusal is sent
    closing: tuple[int, ...] = ()  # messages of the step left behind: their buttons go


def _note(code: str, **params: object) -> Reply:
    return Reply((Screen(ScreenKind.NOTE, note=code, error_params=dict(params)),), accepted=False)


_SHOWN = "shown"  # conversation data: the messages that show the current step
_RECAP = "recap"  # conversation data: the messages that show the round's recap
_PERIOD = "period"  # conversation data: the period the question at hand describes


def _message_ids(value: object) -> tuple[int, ...]:
    return tuple(v for v in value if isinstance(v, int)) if isinstance(value, list) else ()


_SCREENS: dict[Step, ScreenKind] = {
    Step.ANSWER: ScreenKind.QUESTION,
    Step.SKIP_REASON: ScreenKind.SKIP_REASON,
    Step.EXPLANATION: ScreenKind.EXPLANATION,
    Step.CORRECTIVE: ScreenKind.CORRECTIVE,
    Step.COMMENT_PICK: ScreenKind.COMMENT_PICK,
    Step.COMMENT: ScreenKind.COMMENT,
    Step.RECAP: ScreenKind.RECAP,
    Step.DONE: ScreenKind.DONE,
}
"""What each step shows."""


@dataclass(frozen=True)
class _Item:
    """An answer the person is asked for (a metric's, for the period it describes), with their
    hold on the role it is asked of."""

    holder: Holder
    goal: Goal
    metric: Metric
    period: Period

    @property
    def question(self) -> Question:
        return Question(self.metric.id, self.period)


class _Session:
    """Everything one input needs, loaded inside its unit of work."""

    def __init__(
        self,
        uow: UnitOfWork,
        ctx: AppContext,
        identity: Identity,
        person: PersonRow,
        catalogue: Catalogue,
        holders: Mapping[str, RoleHolders],
        round_row: RoundRow,
    ) -> None:
        self.uow = uow
        self.ctx = ctx
        self.now = ctx.now()
        self.identity = identity
        self.person = person
        self.catalogue = catalogue
        self.round = round_row
        self.period = Period.parse(round_row.period)
        roles = list(dict.fromkeys(hold.role.id for hold in identity.roles))
        own = [m.id for role in roles for g in catalogue.goals_of_role(role) for m in g.metrics]
        prior = prior_answers(uow, self.period, own)
        triples = asked_of(uow, catalogue, roles, self.period, prior)
        # a metric owned by two roles the person holds is asked once; a figure still missing
        # from an earlier period is asked before the newest one
        self.items: list[_Item] = []
        self.asked: Asked = {}  # metric id → the periods its answers describe
        for _role, goal, metric in triples:
            if metric.id in self.asked:
                continue
            periods = asked_periods_of(
                catalogue, metric, self.period, prior.yes, prior.settled, prior.held
            )
            # how the person answers it: the one definition, as /vastaa has it
            hold = answering_hold(identity, catalogue, metric)
            if hold is None:
                continue
            self.asked[metric.id] = periods
            self.items.extend(_Item(hold, goal, metric, p) for p in periods)
        self.answers = asked_answers(uow, self.period, self.asked)
        # an input reads the history of the person's own metrics, not the town's
        history: dict[str, list[Answer]] = {}
        for row in answers_before(uow, self.period, [m.id for _, _, m in triples]):
            history.setdefault(row.metric_id, []).append(row_to_answer(row))
        self.history = history
        self.comments = comments_for_period(uow, self.period, {g.id for _, g, _ in triples})
        self.holders = holders
        self.conversation = uow.session.get(ConversationRow, person.id)
        self.left_messages: tuple[int, ...] = ()  # the messages of the step this input left

    def item(self, index: int) -> ItemView:
        item = self.items[index]
        asked = item.period
        earlier = [a for a in self.history.get(item.metric.id, []) if a.period < asked]
        previous = next((a for a in reversed(earlier) if a.value.has_value), None)
        current_row = self.answers.get(item.question)
        return ItemView(
            index + 1,
            len(self.items),
            item.holder,
            self.holders[item.holder.role.id],
            item.goal,
            item.metric,
            previous,
            row_to_answer(current_row) if current_row else None,
            asked,
        )

    def index_of(self, metric_id: str | None, period: Period | None = None) -> int | None:
        """The position of the metric's question for ``period`` (without one: its newest)."""
        found = None
        for i, item in enumerate(self.items):
            if item.metric.id == metric_id and (period is None or item.period == period):
                found = i
        return found

    def goals(self) -> tuple[Goal, ...]:
        """The owner's goals this round, in questionnaire order."""
        seen: dict[str, Goal] = {}
        for item in self.items:
            seen.setdefault(item.goal.id, item.goal)
        return tuple(seen.values())

    def item_views(self) -> tuple[ItemView, ...]:
        return tuple(self.item(i) for i in range(len(self.items)))

    def first_unanswered(self, start: int = 0) -> int | None:
        order = [*range(start, len(self.items)), *range(0, start)]
        return next((i for i in order if self.items[i].question not in self.answers), None)

    def evaluation(self, index: int) -> Evaluation:
        item = self.items[index]
        metric, asked = item.metric, item.period
        row = self.answers.get(item.question)
        current = row_to_answer(row) if row else None
        term = Term(self.catalogue.first_period, self.catalogue.last_period)
        reference = metric.target.reference
        reference_row = (
            get_answer(self.uow, reference.metric, asked)
            if reference is not None and reference.metric
            else None
        )
        return evaluate(
            metric,
            asked,
            current,
            self.history.get(metric.id, []),
            term=term,
            judged_on=judgement_day(self.period, self.round, self.ctx.config.schedule.zone),
            reference=reference_row.number if reference_row is not None else None,
        )

    # -- where the conversation is ------------------------------------------------------------
    @property
    def started(self) -> bool:
        """The questionnaire began in this round."""
        row = self.conversation
        return row is not None and row.period == self.period.key

    @property
    def step(self) -> Step:
        assert self.conversation is not None
        return Step(self.conversation.step)

    @property
    def index(self) -> int | None:
        """The position of the question the conversation is at (None: none, or not asked now)."""
        row = self.conversation
        if row is None:
            return None
        period = row.data.get(_PERIOD) if row.data else None
        return self.index_of(row.metric_id, Period.parse(period) if period else None)

    def readings(self) -> list[str]:
        """The two readings of an implausible figure the owner is asked to choose from."""
        row = self.conversation
        found = row.data.get("readings") if row is not None and row.data else None
        return [str(r) for r in found] if isinstance(found, list) else []

    def mode(self) -> Mode:
        row = self.conversation
        stored = row.data.get("mode") if row is not None and row.data else None
        return Mode(stored) if stored else Mode.WALK

    # -- moving -----------------------------------------------------------------------------
    def go(self, step: Step, goal_id: str | None = None) -> ConversationRow:
        """Move to ``step`` (one not about an item); the version changes, so old buttons go."""
        return self._go(step, None, goal_id, None, {})

    def go_item(self, step: Step, index: int, mode: Mode | None = None) -> ConversationRow:
        """Move to ``step`` for the item at ``index`` (keeping the walk/change mode)."""
        item = self.items[index]
        chosen = mode if mode is not None else self.mode()
        data: dict[str, object] = {"mode": chosen.value, _PERIOD: item.period.key}
        return self._go(step, item.metric.id, item.goal.id, item.holder.role.id, data)

    def _go(
        self,
        step: Step,
        metric_id: str | None,
        goal_id: str | None,
        role_id: str | None,
        data: dict[str, object],
    ) -> ConversationRow:
        row = self.conversation
        if row is None:
            row = ConversationRow(
                person_id=self.person.id,
                period=self.period.key,
                step=step.value,
                version=0,
                data={},
            )
            self.uow.session.add(row)
            self.conversation = row
        kept = dict(row.data or {}) if row.period == self.period.key else {}
        if not self.left_messages:
            self.left_messages = _message_ids(kept.get(_SHOWN))
        row.period = self.period.key
        row.step = step.value
        row.metric_id = metric_id
        row.goal_id = goal_id
        row.role_id = role_id
        # the recap's message stays the recap's through the round: it is edited, not re-sent
        row.data = {**data, **({_RECAP: kept[_RECAP]} if _RECAP in kept else {})}
        row.version = (row.version or 0) + 1
        row.updated_at = self.now
        return row

    def screen(self, note: str = "") -> Screen:
        """The screen for the conversation's current step."""
        row = self.conversation
        base = Screen(
            ScreenKind.NOTE,
            version=row.version if row else 0,
            period=self.period,
            note=note,
            closes_at=self.round.closes_at,
            person_name=self.person.name,
        )
        if not self.started:
            return replace(base, note="not_started")
        step, index = self.step, self.index
        kind = _SCREENS[step]
        if step.is_about_an_item and index is not None:
            item = self.item(index)
            judged = step in (Step.EXPLANATION, Step.CORRECTIVE)
            evaluation = self.evaluation(index) if judged else None
            readings = tuple(Decimal(r) for r in self.readings()) if step == Step.ANSWER else ()
            return replace(base, kind=kind, item=item, evaluation=evaluation, readings=readings)
        if step == Step.COMMENT and row is not None and row.goal_id:
            goal = self.catalogue.goal(row.goal_id)
            return replace(base, kind=kind, goal=goal, comments=self.comments)
        if step == Step.COMMENT_PICK:
            return replace(base, kind=kind, goals=self.goals(), comments=self.comments)
        if step == Step.DONE:
            return replace(base, kind=kind, items=self.item_views(), comments=self.comments)
        recap = _message_ids((row.data or {}).get(_RECAP)) if row is not None else ()
        return replace(
            base,
            kind=ScreenKind.RECAP,
            items=self.item_views(),
            comments=self.comments,
            recap_messages=recap,
        )

    def advance(self, from_index: int | None) -> Screen:
        """After an item is complete: the next question, or the recap."""
        if self.mode() == Mode.CHANGE:
            self.go(Step.RECAP)
            return self.screen()
        nxt = self.first_unanswered(from_index + 1 if from_index is not None else 0)
        if nxt is None:
            self.go(Step.RECAP)
            return self.screen()
        self.go_item(Step.ANSWER, nxt, mode=Mode.WALK)
        return self.screen()

    def on_behalf_of(self, index: int) -> str | None:
        """The role a deputy answers for (None for an owner's own answer)."""
        holder = self.items[index].holder
        return holder.role.id if holder.kind == HolderKind.DEPUTY else None


def handle_input(ctx: AppContext, owner_input: OwnerInput) -> Reply:
    """Apply one owner input and say what to show next (exactly once per update)."""
    try:
        return _handle_once(ctx, owner_input)
    except (IntegrityError, AlreadyApplied):
        # a concurrent input was stored first (the same update handled twice, or an owner and
        # a deputy answering one metric at once): apply it again to what is stored now
        return _handle_once(ctx, owner_input)


def _handle_once(ctx: AppContext, owner_input: OwnerInput) -> Reply:
    with ctx.unit_of_work() as uow:
        reply = _reply_to(uow, ctx, owner_input)
        uow.commit()
        return reply


def _reply_to(uow: UnitOfWork, ctx: AppContext, owner_input: OwnerInput) -> Reply:
    """The input applied inside ``uow`` (the caller commits, whatever the reply)."""
    # read once what identify() would read, and keep it for the session
    person = person_by_telegram_id(uow, owner_input.telegram_user_id)
    catalogue = active_catalogue(uow) if person is not None else None
    # the holders of the person's own roles only: an input reads nobody else's
    holders = role_holders(uow, catalogue, person.id) if person and catalogue else {}
    identity = identity_of(ctx, owner_input.telegram_user_id, person, catalogue, holders)
    if not identity.owns_goals:
        if not identity.is_known:
            return Reply((), accepted=False, stranger=True)
        # an administrator or a manager typing: a hint of their commands, not the refusal
        return _note("not_an_owner", admin=identity.is_admin, manager=identity.is_manager)
    assert person is not None and catalogue is not None
    # they write to the bot, so they no longer block it: nudges may reach them again
    person.blocked_bot_at = None
    # the person's position, read once here and kept: the session reads it from the identity
    # map (which holds only what something refers to)
    position = uow.session.get(ConversationRow, person.id)
    late = late_text_asked(uow, person, position)
    if late is not None:
        # a late figure (/vastaa) missed its target: the next text says why, then what is
        # done about it; anything else the person does goes on as usual
        if owner_input.text is not None and owner_input.action is None:
            if is_applied(uow, owner_input.update_id):
                return Reply((), accepted=False)
            code, params = take_late_text(uow, person, late, owner_input.text, ctx.now())
            mark_applied(uow, owner_input.update_id, ctx.now(), kept_for(ctx.config))
            return _note(code, **params)
        forget_late_text(uow, person, ctx.now())
    round_row = open_round_row(uow)
    if round_row is None:
        return _note("no_open_round")
    duplicate = is_applied(uow, owner_input.update_id)
    session = _Session(uow, ctx, identity, person, catalogue, holders, round_row)
    if not session.items:
        return _note("nothing_due", period=session.period.label)
    if duplicate:
        # the input was applied before (a redelivered update): show where things stand
        return Reply((session.screen(),), accepted=False)
    reply = _apply(session, owner_input)
    if _is_resume(owner_input) and session.conversation is not None:
        # asked to continue: everything is shown afresh at the bottom of the chat, and what
        # showed it before loses its buttons
        data = session.conversation.data or {}
        shown = session.left_messages + _message_ids(data.get(_SHOWN))
        shown += _message_ids(data.get(_RECAP))
        session.conversation.data = {k: v for k, v in data.items() if k not in (_SHOWN, _RECAP)}
        screens = tuple(replace(screen, recap_messages=()) for screen in reply.screens)
        reply = replace(reply, screens=screens, closing=tuple(dict.fromkeys(shown)))
    elif session.left_messages:
        reply = replace(reply, closing=session.left_messages)
    # the update is marked applied in the transaction of its effects: both, or neither
    mark_applied(uow, owner_input.update_id, session.now, kept_for(ctx.config))
    return reply


def _is_resume(given: OwnerInput) -> bool:
    """/raportoi, /start or the reminder's button: continue where the owner was."""
    return given.action == Action.START or (given.action is None and given.text is None)


def _apply(s: _Session, given: OwnerInput) -> Reply:
    if _is_resume(given):
        return _resume(s) if s.started else Reply((s.advance(None),))
    if not s.started:
        # text or a button before the questionnaire began in this round: begin it
        screen = s.advance(None)
        if given.action is not None:
            # the button belongs to a message of an earlier round
            stale = replace(screen, note="stale_button")
            return Reply((stale,), accepted=False, toast="stale_button")
        # the text answered no question yet: say so, rather than drop it or guess its place
        return Reply((replace(screen, note="text_before_start"),), accepted=False)
    assert s.conversation is not None
    if given.action is not None and given.version != s.conversation.version:
        # a second tap on a button already acted on, or a button of an older message: a
        # toast says so, and nothing is sent again (the current step is at the bottom)
        handled = given.version == s.conversation.version - 1
        return Reply((), accepted=False, toast="already_handled" if handled else "stale_button")
    if s.step.is_about_an_item and s.index is None:
        # the catalogue changed under the conversation: carry on from the first open item
        return Reply((s.advance(None),))
    return _HANDLERS[s.step](s, given)


def _item_index(s: _Session) -> int:
    index = s.index
    assert index is not None, "the steps about an item are handled only while it is asked"
    return index


def _stale(s: _Session) -> Reply:
    """A button of this conversation that means nothing at this step: a toast, nothing more."""
    return Reply((), accepted=False, toast="stale_button")


def _refused(s: _Session, code: str, params: dict[str, object] | None = None) -> Reply:
    """A typed text that is no valid input: a short reply says why and what is expected.

    The step's own message stays where it is, with its buttons; it is not sent again.
    """
    index = s.index if s.started and s.step.is_about_an_item else None
    screen = Screen(
        ScreenKind.MISTAKE,
        version=s.conversation.version if s.conversation else 0,
        period=s.period,
        item=s.item(index) if index is not None else None,
        error=code,
        error_params=dict(params or {}),
    )
    return Reply((screen,), accepted=False)


def _store_value(s: _Session, index: int, value: AnswerValue) -> Reply:
    item = s.items[index]
    answer_row, _ = save_answer(
        s.uow,
        item.metric.id,
        item.period,
        value,
        s.person,
        s.now,
        s.on_behalf_of(index),
        round_period=s.period,
    )
    s.answers[item.question] = answer_row
    if value.has_value and is_target_missed(s.evaluation(index)):
        s.go_item(Step.EXPLANATION, index)
        return Reply((s.screen(),))
    return Reply((s.advance(index),))


def _answered_meanwhile(s: _Session, question: Question) -> bool:
    """Someone else (a deputy, the owner) answered this question after it was shown."""
    row = s.answers.get(question)
    shown_at = s.conversation.updated_at if s.conversation is not None else None
    return (
        row is not None
        and shown_at is not None
        and row.answered_by_id != s.person.id
        and row.answered_at > shown_at
    )


def _on_answer(s: _Session, given: OwnerInput) -> Reply:
    index = _item_index(s)
    metric = s.items[index].metric
    if _answered_meanwhile(s, s.items[index].question):
        # nothing is overwritten unseen: the answer stands; changing it goes via the recap
        screen = replace(s.advance(index), note="answered_meanwhile")
        return Reply((screen,), accepted=False, toast="answered_meanwhile")
    if given.action == Action.NO_DATA or (given.text is not None and parse_no_data(given.text)):
        return _store_value(s, index, AnswerValue.no_data())
    if given.action == Action.SKIP:
        s.go_item(Step.SKIP_REASON, index)
        return Reply((s.screen(),))
    if metric.kind == MetricKind.YES_NO:
        if given.action in (Action.YES, Action.NO):
            return _store_value(s, index, AnswerValue.of_flag(given.action == Action.YES))
        if given.text is not None:
            flag = parse_yes_no(given.text)
            if flag is not None:
                return _store_value(s, index, AnswerValue.of_flag(flag))
            return _refused(s, "yes_or_no")
    elif given.action == Action.READING:
        readings = s.readings()
        if given.argument not in ("1", "2") or len(readings) != 2:
            return _stale(s)
        chosen = Decimal(readings[int(given.argument) - 1])
        return _store_value(s, index, AnswerValue.of_number(chosen))
    elif given.text is not None:
        try:
            number = parse_number(given.text, metric)
        except InvalidAnswer as exc:
            return _refused(s, exc.code, exc.params)
        compared, compared_with = _compared(s, index)
        other = other_reading(number, compared, metric)
        if other is not None:
            # nothing stored silently: the owner says which reading was meant
            s.go_item(Step.ANSWER, index)
            assert s.conversation is not None
            s.conversation.data = {**s.conversation.data, "readings": [str(number), str(other)]}
            params: dict[str, object] = {"compared": compared, "compared_with": compared_with}
            return Reply((replace(s.screen(note="implausible"), error_params=params),))
        return _store_value(s, index, AnswerValue.of_number(number))
    return _stale(s)


def _compared(s: _Session, index: int) -> tuple[Decimal | None, str]:
    """The figure a typed one is checked against: the previous figure, else the baseline."""
    item = s.item(index)
    if item.previous is not None and item.previous.value.number is not None:
        return item.previous.value.number, "previous"
    baseline = item.metric.baseline.value
    if isinstance(baseline, Decimal):
        return baseline, "baseline"
    return None, ""


def _on_skip_reason(s: _Session, given: OwnerInput) -> Reply:
    index = _item_index(s)
    if given.action == Action.CANCEL:
        s.go_item(Step.ANSWER, index)
        return Reply((s.screen(),))
    if given.text is None:
        return _stale(s)
    try:
        reason = parse_reason(given.text)
    except InvalidAnswer as exc:
        return _refused(s, exc.code, exc.params)
    return _store_value(s, index, AnswerValue.skipped(reason))


def _on_explanation(s: _Session, given: OwnerInput) -> Reply:
    """EXPLANATION (why the target is missed) and CORRECTIVE (what is done about it)."""
    index, step = _item_index(s), s.step
    text = ""
    if given.action != Action.SKIP:
        if given.text is None:
            return _stale(s)
        try:
            text = parse_reason(given.text)
        except InvalidAnswer as exc:
            return _refused(s, exc.code, exc.params)
    answer_row = s.answers[s.items[index].question]
    field_name = "explanation" if step == Step.EXPLANATION else "corrective_action"
    if text:
        save_text(s.uow, answer_row, field_name, text, s.person, s.now)
    if step == Step.EXPLANATION:
        s.go_item(Step.CORRECTIVE, index)
        return Reply((s.screen(),))
    return Reply((s.advance(index),))


def _on_comment_pick(s: _Session, given: OwnerInput) -> Reply:
    goals = s.goals()
    if given.action == Action.CANCEL:
        s.go(Step.RECAP)
        return Reply((s.screen(),))
    if given.action != Action.COMMENT:
        if given.text is not None:
            return _refused(s, "use_buttons")
        return _stale(s)
    try:
        goal = goals[int(given.argument) - 1]
    except (ValueError, IndexError):
        return _stale(s)
    s.go(Step.COMMENT, goal_id=goal.id)
    return Reply((s.screen(),))


def _on_comment(s: _Session, given: OwnerInput) -> Reply:
    row = s.conversation
    assert row is not None and row.goal_id is not None
    goal_id = row.goal_id
    if given.action == Action.CANCEL:
        s.go(Step.RECAP)
        return Reply((s.screen(),))
    if given.text is None:
        return _stale(s)
    try:
        text = parse_reason(given.text)
    except InvalidAnswer as exc:
        return _refused(s, exc.code, exc.params)
    save_comment(s.uow, goal_id, s.period, text, s.person, s.now)
    s.comments[goal_id] = text
    s.go(Step.RECAP)
    return Reply((s.screen(),))


def _on_recap(s: _Session, given: OwnerInput) -> Reply:
    """RECAP, and DONE (whose screen is the recap confirmed: its buttons work the same)."""
    if given.action == Action.CONFIRM:
        if any(item.question not in s.answers for item in s.items):
            return _go_to_first_missing(s)
        for item in s.items:
            confirm_answer(s.uow, s.answers[item.question], s.person, s.now)
        s.go(Step.DONE)
        return Reply((s.screen(),))
    if given.action == Action.CHANGE:
        try:
            index = int(given.argument) - 1
        except ValueError:
            index = -1
        if not 0 <= index < len(s.items):
            return _stale(s)
        s.go_item(Step.ANSWER, index, mode=Mode.CHANGE)
        return Reply((s.screen(),))
    if given.action == Action.COMMENT:
        s.go(Step.COMMENT_PICK)
        return Reply((s.screen(),))
    if given.text is not None:
        return _refused(s, "use_buttons")
    return _stale(s)


_HANDLERS: dict[Step, Callable[[_Session, OwnerInput], Reply]] = {
    Step.ANSWER: _on_answer,
    Step.SKIP_REASON: _on_skip_reason,
    Step.EXPLANATION: _on_explanation,
    Step.CORRECTIVE: _on_explanation,
    Step.COMMENT_PICK: _on_comment_pick,
    Step.COMMENT: _on_comment,
    Step.RECAP: _on_recap,
    Step.DONE: _on_recap,
}
"""Which handler takes an input at each step."""


def _resume(s: _Session) -> Reply:
    """Continue where the owner was, unless that was settled meanwhile by someone else."""
    step, index = s.step, s.index
    if step.is_about_an_item and index is None:
        # the item is no longer asked of this person (role reassigned, catalogue changed)
        return Reply((s.advance(None),))
    answered = index is not None and s.items[index].question in s.answers
    if step == Step.ANSWER and s.mode() == Mode.WALK and answered:
        # a deputy (or the owner, for a deputy) answered this question meanwhile
        return Reply((s.advance(index),))
    if step in (Step.RECAP, Step.DONE) and s.first_unanswered() is not None:
        # a role taken over after the recap brought questions of its own
        return _go_to_first_missing(s)
    return Reply((s.screen(),))


def _go_to_first_missing(s: _Session) -> Reply:
    index = s.first_unanswered()
    assert index is not None
    s.go_item(Step.ANSWER, index, mode=Mode.WALK)
    return Reply((s.screen(note="answers_missing"),))


def remember_messages(
    ctx: AppContext, telegram_user_id: int, version: int, shown: list[int], recap: bool
) -> None:
    """Note which messages show the owner's current step (``recap``: they are the recap).

    Kept only while the conversation is still at ``version``: an input handled meanwhile has
    moved it on, and its own reply is noted instead.
    """
    with ctx.unit_of_work() as uow:
        note_messages(uow, telegram_user_id, version, shown, recap)
        uow.commit()


def note_messages(
    uow: UnitOfWork, telegram_user_id: int, version: int, shown: list[int], recap: bool
) -> None:
    """:func:`remember_messages` inside ``uow`` (the chat layer writes it with the update's
    done mark: one transaction for both)."""
    person = person_by_telegram_id(uow, telegram_user_id)
    row = uow.session.get(ConversationRow, person.id) if person is not None else None
    if row is None or row.version != version:
        return
    data = {**(row.data or {}), _SHOWN: list(shown)}
    if recap:
        data[_RECAP] = list(shown)
    row.data = data


@dataclass(frozen=True)
class ReminderView:
    """What a reminder tells an owner."""

    person_name: str
    period: Period
    closes_at: datetime | None
    goals: int
    metrics: int
    answered: int
    roles: tuple[Holder, ...]
    confirmed: int = 0
    is_open: bool = True

    @property
    def outstanding(self) -> int:
        """Answers still to give or to confirm."""
        return self.metrics - self.confirmed


def reminder_view(ctx: AppContext, person_id: int, period: Period) -> ReminderView | None:
    """The content of a reminder for ``person_id``; None if nothing awaits them."""
    return reminder_views(ctx, [(person_id, period)])[0]


def reminder_views(
    ctx: AppContext, wanted: Sequence[tuple[int, Period]]
) -> list[ReminderView | None]:
    """The contents of reminders, each for a person and a period (None where nothing awaits
    them), in one read: a claim of a round's reminders reads the catalogue, the holders of its
    people's roles and their answers once, not once a reminder."""
    with ctx.unit_of_work(read_only=True) as uow:
        ids = sorted({person_id for person_id, _period in wanted})
        people = {
            row.id: row
            for row in uow.session.scalars(select(PersonRow).where(PersonRow.id.in_(ids)))
        }
        keys = sorted({period.key for _person_id, period in wanted})
        rounds = {
            row.period: row
            for row in uow.session.scalars(select(RoundRow).where(RoundRow.period.in_(keys)))
        }
        catalogue = active_catalogue(uow)
        own: dict[int, set[str]] = {}
        for person_id, role_id in uow.session.execute(
            select(AssignmentRow.person_id, AssignmentRow.role_id).where(
                AssignmentRow.person_id.in_(ids), AssignmentRow.revoked_at.is_(None)
            )
        ):
            own.setdefault(person_id, set()).add(role_id)
        holders = role_holders(uow, catalogue, roles={r for roles in own.values() for r in roles})
        held: dict[int, list[str]] = {}
        identities: dict[int, Identity] = {}
        for person_id, row in people.items():
            if row.telegram_user_id is None:
                continue
            mine = {r: holders[r] for r in own.get(person_id, ()) if r in holders}
            found = identity_of(ctx, row.telegram_user_id, row, catalogue, mine)
            identities[person_id] = found
            held[person_id] = [hold.role.id for hold in found.roles]
        # only these people's obligations: a round's fan-out reads each owner's own once
        owed_in = {
            key: read_obligations(
                uow,
                catalogue,
                Period.parse(key),
                roles={
                    r
                    for person_id, period in wanted
                    if period.key == key
                    for r in held.get(person_id, ())
                },
            )
            for key in keys
            if key in rounds
        }
        views: list[ReminderView | None] = []
        for person_id, period in wanted:
            person, round_row = people.get(person_id), rounds.get(period.key)
            identity = identities.get(person_id)
            if person is None or identity is None or round_row is None:
                views.append(None)
                continue
            roles = set(held[person_id])
            owed = [o for o in owed_in[period.key] if o.role.id in roles]
            metrics = {Question(m.id, p) for o in owed for _goal, m, p in o.items}
            if not metrics:
                views.append(None)
                continue
            unanswered = {m for o in owed for m in o.unanswered}
            unconfirmed = {m for o in owed for m in o.unconfirmed}
            views.append(
                ReminderView(
                    person.name,
                    period,
                    round_row.closes_at,
                    len({goal.id for o in owed for goal, _metric, _period in o.items}),
                    len(metrics),
                    len(metrics - unanswered),
                    identity.roles,
                    len(metrics - unanswered - unconfirmed),
                    round_row.closed_at is None,
                )
            )
        return views


def stored_answer(ctx: AppContext, metric_id: str, period: Period) -> Answer | None:
    """The answer stored for a metric and a period, if any."""
    with ctx.unit_of_work(read_only=True) as uow:
        row = uow.session.scalars(
            select(AnswerRow).where(
                AnswerRow.metric_id == metric_id, AnswerRow.period == period.key
            )
        ).first()
        return None if row is None else row_to_answer(row)
