"""SQLAlchemy 2 models: what goalbot keeps in its database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC; SQLite forgets the zone, so it is put back on reading."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class DecimalText(TypeDecorator[Decimal]):
    """Exact decimals stored as text, the same on SQLite and PostgreSQL."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else format(value, "f")

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012
        datetime: UTCDateTime(),
        Decimal: DecimalText(),
        dict[str, Any]: JSON(),
    }


class CatalogueRow(Base):
    """A loaded catalogue; its TOML text is kept so the bot rebuilds it from the database."""

    __tablename__ = "catalogues"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    municipality: Mapped[str] = mapped_column(String(200))
    source_text: Mapped[str] = mapped_column(Text)
    source_path: Mapped[str] = mapped_column(String(1000), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoleRow(Base):
    __tablename__ = "roles"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    reports_to: Mapped[str | None] = mapped_column(String(100), nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(nullable=True)


class GoalRow(Base):
    __tablename__ = "goals"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    catalogue_id: Mapped[str] = mapped_column(ForeignKey("catalogues.id"))
    tier: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(String(100), nullable=True)
    area: Mapped[str | None] = mapped_column(String(100), nullable=True)
    title: Mapped[str] = mapped_column(Text)
    owner_role: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired_at: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    metrics: Mapped[list[MetricRow]] = relationship(back_populates="goal")


class MetricRow(Base):
    __tablename__ = "metrics"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)  # "GOAL.key"
    goal_id: Mapped[str] = mapped_column(ForeignKey("goals.id"))
    key: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(40), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired_at: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    goal: Mapped[GoalRow] = relationship(back_populates="metrics")


class PersonRow(Base):
    """A person who uses the bot; bound to a Telegram account by an invite."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True, nullable=True)
    telegram_username: Mapped[str] = mapped_column(String(100), default="")
    language: Mapped[str] = mapped_column(String(10), default="fi")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_bot_at: Mapped[datetime | None] = mapped_column(nullable=True)
    nudges_paused_until: Mapped[date | None] = mapped_column(Date, nullable=True)


class AssignmentRow(Base):
    """A person holding a role, as its owner or its deputy, for a stretch of time."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role_id: Mapped[str] = mapped_column(ForeignKey("roles.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(10))  # "owner" | "deputy"
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)

    person: Mapped[PersonRow] = relationship()

    __table_args__ = (
        Index("ix_assignments_role_kind", "role_id", "kind"),
        Index("ix_assignments_person", "person_id"),
    )


class InviteRow(Base):
    """A single-use invitation that binds a Telegram account to a role."""

    __tablename__ = "invites"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    role_id: Mapped[str] = mapped_column(ForeignKey("roles.id"))
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    used_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class RoundRow(Base):
    """A period's answering round."""

    __tablename__ = "rounds"

    period: Mapped[str] = mapped_column(String(10), primary_key=True)  # "2026Q2"
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # when an administrator set ``closes_at`` (extended or reopened): the calendar closes the
    # round then, not at the configured deadline
    deadline_set_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reopened_at: Mapped[datetime | None] = mapped_column(nullable=True)  # the latest reopening


class AnswerRow(Base):
    """The current answer to one metric for one period."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric_id: Mapped[str] = mapped_column(ForeignKey("metrics.id"))
    period: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10))
    number: Mapped[Decimal | None] = mapped_column(nullable=True)
    flag: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    explanation: Mapped[str] = mapped_column(Text, default="")
    corrective_action: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    on_behalf_of_role: Mapped[str | None] = mapped_column(String(100), nullable=True)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # the round the value was given in: a figure known only later is given in a later round
    # than the period it describes ("2027Q1" for 2026's), and "Ei tietoa vielä" given in an
    # earlier round does not answer this one
    given_in: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # who entered the value for the role, when not its holder (an administrator's import)
    entered_by: Mapped[str] = mapped_column(String(200), default="")

    answered_by: Mapped[PersonRow | None] = relationship()
    history: Mapped[list[AnswerHistoryRow]] = relationship(
        back_populates="answer", order_by="AnswerHistoryRow.id"
    )

    __table_args__ = (
        UniqueConstraint("metric_id", "period", name="uq_answers_metric_period"),
        Index("ix_answers_period", "period"),
    )


class AnswerHistoryRow(Base):
    """One change of an answer: who, when, old value, new value."""

    __tablename__ = "answer_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    changed_by_name: Mapped[str] = mapped_column(String(200), default="")
    field: Mapped[str] = mapped_column(String(30), default="value")
    old: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    new: Mapped[dict[str, Any]] = mapped_column()

    answer: Mapped[AnswerRow] = relationship(back_populates="history")


class GoalCommentRow(Base):
    """An owner's free comment on a goal for a period."""

    __tablename__ = "goal_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    goal_id: Mapped[str] = mapped_column(ForeignKey("goals.id"))
    period: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    written_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("goal_id", "period", name="uq_goal_comments_goal_period"),)


class ConversationRow(Base):
    """Where a person is in the questionnaire: survives any restart."""

    __tablename__ = "conversations"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(10))
    step: Mapped[str] = mapped_column(String(30))
    role_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    goal_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    metric_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    question_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxRow(Base):
    """An update Telegram handed over, kept from the moment it arrived until it is applied.

    Telegram forgets an update once the next poll confirms it, and that happens before the
    update is handled: what is stored here is handled after a stop, and ``applied_at``, set in
    the transaction of the update's effects, keeps a redelivered one from acting twice. A
    claim (who handles it, until when) lets several bots share one database.
    """

    __tablename__ = "inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    payload: Mapped[str] = mapped_column(Text, default="")  # the update's JSON
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(nullable=True)
    outcome: Mapped[str] = mapped_column(String(20), default="")
    claimed_by: Mapped[str] = mapped_column(String(64), default="")
    claimed_until: Mapped[datetime | None] = mapped_column(nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_inbox_outcome", "outcome"),
        Index("ix_inbox_received_at", "received_at"),
    )


class ScheduledEventRow(Base):
    """A calendar event of a round (open, nudge, escalation, close) and whether it was done."""

    __tablename__ = "scheduled_events"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)  # "2026Q2:nudge:2"
    kind: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(10))
    due_at: Mapped[datetime] = mapped_column()
    done_at: Mapped[datetime | None] = mapped_column(nullable=True)
    skipped_at: Mapped[datetime | None] = mapped_column(nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class SendRow(Base):
    """Every message the bot sends on its own: what, to whom, when, and the outcome."""

    __tablename__ = "sends"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # idempotency key
    kind: Mapped[str] = mapped_column(String(30))
    period: Mapped[str | None] = mapped_column(String(10), nullable=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # which bot is delivering it, until when (a claim that runs out is another bot's to take)
    claimed_by: Mapped[str] = mapped_column(String(64), default="")
    claimed_until: Mapped[datetime | None] = mapped_column(nullable=True)
    # a send of several parts (a long summary and its table): which went out, which may have
    # (see services.outbox.Progress)
    progress: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    reported_at: Mapped[datetime | None] = mapped_column(nullable=True)  # to the administrators
    resend_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # the recipient's language when the send was queued (None: the town's default), so that
    # every part of it, and every attempt, is in one language
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)

    __table_args__ = (Index("ix_sends_status", "status"),)


class AuditRow(Base):
    """One change to what goalbot holds: who (and for which role), when, what, old and new.

    Rows are only ever added (storage.audit.record_change); the one exception is erasing a
    person (services.privacy), which removes who they were and what they wrote from the rows
    and keeps the rest.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    # "person" (in the chat), "admin" (an administrator in Telegram), "operator" (the command
    # line), "bot" (the calendar, on its own)
    actor: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    on_behalf_of: Mapped[str] = mapped_column(String(100), default="")  # a role id
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200), default="")
    goal_id: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    period: Mapped[str | None] = mapped_column(String(10), nullable=True)
    old: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    new: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)


class SettingRow(Base):
    """Small values the bot learns at run time (e.g. a management group's new id)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InstanceRow(Base):
    """A run of the bot on this database: who, since when, and its last heartbeat."""

    __tablename__ = "bot_instances"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    bot_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    started_at: Mapped[datetime] = mapped_column()
    heartbeat_at: Mapped[datetime] = mapped_column(index=True)
    # whether the last requests reached the Bot API server, and since when that holds
    telegram_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    telegram_since: Mapped[datetime] = mapped_column()
    telegram_detail: Mapped[str] = mapped_column(Text, default="")
    stopped_at: Mapped[datetime | None] = mapped_column(nullable=True)
