"""Tests for the reporting calendar: working days, round plans, DST, due and next events."""

from __future__ import annotations

import calendar as stdcal
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest

from goalbot.config import ScheduleConfig, ScheduleError
from goalbot.domain import workdays
from goalbot.domain.periods import Period
from goalbot.scheduling.calendar import (
    EventKind,
    ScheduledEvent,
    WorkingCalendar,
    current_round,
    due_events,
    local_datetime,
    next_event,
    parse_event_key,
    plan_round,
    plan_year,
)

HEL = ZoneInfo("Europe/Helsinki")
SETTINGS = ScheduleConfig()
CAL = WorkingCalendar()
# Two weeks back from a day in a round reaches its opening but not the previous round.
LOOKBACK = timedelta(days=14)


def hel(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=HEL)


def utc(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def schedule(period: Period) -> list[tuple[str, datetime]]:
    return [(e.key, e.due_at) for e in plan_round(period, SETTINGS, CAL).events]


# --- working days -------------------------------------------------------------------------

FINNISH_HOLIDAYS_ON_WEEKDAYS = [
    date(2026, 1, 1),  # uudenvuodenpäivä, Thu
    date(2026, 1, 6),  # loppiainen, Tue
    date(2026, 4, 3),  # pitkäperjantai
    date(2026, 4, 6),  # 2. pääsiäispäivä
    date(2026, 5, 1),  # vappu, Fri
    date(2026, 5, 14),  # helatorstai
    date(2026, 6, 19),  # juhannusaatto
    date(2026, 12, 24),  # jouluaatto, Thu
    date(2026, 12, 25),  # joulupäivä, Fri
    date(2027, 1, 1),  # Fri
    date(2027, 1, 6),  # Wed
    date(2027, 3, 26),  # pitkäperjantai
    date(2027, 3, 29),  # 2. pääsiäispäivä
    date(2027, 5, 6),  # helatorstai
    date(2027, 6, 25),  # juhannusaatto
    date(2027, 12, 6),  # itsenäisyyspäivä, Mon
    date(2027, 12, 24),  # jouluaatto, Fri
]
HOLIDAYS_ON_WEEKENDS = [
    date(2026, 4, 5),  # pääsiäispäivä
    date(2026, 6, 20),  # juhannuspäivä
    date(2026, 10, 31),  # pyhäinpäivä
    date(2026, 12, 6),  # itsenäisyyspäivä, Sun
    date(2026, 12, 26),  # tapaninpäivä, Sat
    date(2027, 5, 1),  # vappu, Sat
    date(2027, 12, 25),
    date(2027, 12, 26),
]


@pytest.mark.parametrize("day", FINNISH_HOLIDAYS_ON_WEEKDAYS, ids=str)
def test_finnish_holidays_on_weekdays_are_not_working_days(day: date) -> None:
    assert day.weekday() < 5, "the fixture should hold weekday holidays only"
    assert not CAL.is_working_day(day)
    reason = CAL.non_working_reason(day)
    assert reason is not None
    assert reason != "Viikonloppu"


@pytest.mark.parametrize("day", HOLIDAYS_ON_WEEKENDS, ids=str)
def test_holidays_on_weekends_are_named(day: date) -> None:
    assert day.weekday() >= 5
    assert not CAL.is_working_day(day)
    assert CAL.non_working_reason(day) not in (None, "Viikonloppu")


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 2),  # Friday between New Year and the weekend: a normal day
        date(2026, 4, 2),  # kiirastorstai
        date(2026, 6, 18),  # Thursday before juhannusaatto
        date(2026, 12, 23),
        date(2026, 12, 31),  # uudenvuodenaatto is a working day by default
        date(2027, 1, 7),
    ],
    ids=str,
)
def test_ordinary_weekdays_are_working_days(day: date) -> None:
    assert CAL.is_working_day(day)
    assert CAL.non_working_reason(day) is None


def test_weekends_are_not_working_days() -> None:
    assert stdcal.weekday(2026, 3, 28) == stdcal.SATURDAY
    assert not CAL.is_working_day(date(2026, 3, 28))
    assert not CAL.is_working_day(date(2026, 3, 29))
    assert CAL.non_working_reason(date(2026, 3, 28)) == "Viikonloppu"


def test_default_extras_are_the_eves() -> None:
    assert CAL.extra_non_working_days == frozenset({"midsummer_eve", "christmas_eve"})


def test_eves_are_days_off_even_when_the_library_does_not_list_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Simulate a holidays release whose public list has no holidays at all: the default
    # extras must still close the offices on the two eves, and only on them.
    monkeypatch.setattr(holidays, "country_holidays", lambda *a, **kw: {})
    bare = WorkingCalendar()
    assert not bare.is_working_day(date(2026, 12, 24))
    assert not bare.is_working_day(date(2026, 6, 19))
    assert not bare.is_working_day(date(2027, 6, 25))
    assert bare.non_working_reason(date(2026, 12, 24)) == "Jouluaatto"
    assert bare.non_working_reason(date(2026, 6, 19)) == "Juhannusaatto"
    assert bare.is_working_day(date(2026, 12, 25))  # library list is empty here
    without_extras = WorkingCalendar(extra_non_working_days=())
    assert without_extras.is_working_day(date(2026, 12, 24))
    assert without_extras.is_working_day(date(2026, 6, 19))


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2024, date(2024, 6, 21)), (2025, date(2025, 6, 20)), (2026, date(2026, 6, 19)),
     (2027, date(2027, 6, 25)), (2028, date(2028, 6, 23)), (2032, date(2032, 6, 25))],
)  # fmt: skip
def test_midsummer_eve_rule_is_the_friday_from_19_to_25_june(
    monkeypatch: pytest.MonkeyPatch, year: int, expected: date
) -> None:
    monkeypatch.setattr(holidays, "country_holidays", lambda *a, **kw: {})
    cal = WorkingCalendar(["midsummer_eve"])
    june = [date(year, 6, d) for d in range(1, 31)]
    assert [d for d in june if cal.non_working_reason(d) == "Juhannusaatto"] == [expected]
    assert expected.weekday() == stdcal.FRIDAY


def test_configurable_extra_days() -> None:
    cal = WorkingCalendar(["new_years_eve", "08-14", date(2026, 6, 1), datetime(2026, 6, 2, 12)])
    assert not cal.is_working_day(date(2026, 12, 31))  # Thu
    assert not cal.is_working_day(date(2027, 12, 31))  # Fri
    assert cal.non_working_reason(date(2026, 12, 31)) == "Uudenvuodenaatto"
    assert not cal.is_working_day(date(2026, 8, 14))  # Fri, every year
    assert cal.non_working_reason(date(2026, 8, 14)) == "Ylimääräinen vapaapäivä"
    assert cal.is_working_day(date(2026, 8, 13))
    assert not cal.is_working_day(date(2026, 6, 1))  # one-off closure, a Monday
    assert not cal.is_working_day(date(2026, 6, 2))
    assert cal.is_working_day(date(2027, 6, 1))  # only in 2026


def test_leap_day_extra_only_applies_in_leap_years() -> None:
    cal = WorkingCalendar(["02-29"])
    assert not cal.is_working_day(date(2028, 2, 29))  # a Tuesday
    assert cal.is_working_day(date(2027, 3, 1))  # no spill-over in a common year


@pytest.mark.parametrize("bad", ["easter_eve", "13-01", "02-30", "12/24", ""])
def test_unknown_extra_days_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="extra_non_working_days"):
        WorkingCalendar([bad])


def test_next_and_previous_working_day() -> None:
    assert CAL.next_working_day(date(2026, 6, 30)) == date(2026, 6, 30)
    # Thu 24.12. → Fri joulupäivä, weekend → Mon 28.12.
    assert CAL.next_working_day(date(2026, 12, 24)) == date(2026, 12, 28)
    # Fri 3.4. pitkäperjantai → weekend → Mon 6.4. 2. pääsiäispäivä → Tue 7.4.
    assert CAL.next_working_day(date(2026, 4, 3)) == date(2026, 4, 7)
    assert CAL.previous_working_day(date(2026, 4, 6)) == date(2026, 4, 2)


def test_add_working_days() -> None:
    assert CAL.add_working_days(date(2026, 6, 30), 0) == date(2026, 6, 30)
    assert CAL.add_working_days(date(2026, 6, 20), 0) == date(2026, 6, 22)
    # Counting starts from the neighbouring day: one working day after a Saturday is Monday.
    assert CAL.add_working_days(date(2026, 6, 20), 1) == date(2026, 6, 22)
    assert CAL.add_working_days(date(2026, 6, 18), 1) == date(2026, 6, 22)
    assert CAL.add_working_days(date(2026, 6, 22), -1) == date(2026, 6, 18)
    # 31.12.2026 + 10: 1.1. and 6.1. are holidays.
    assert CAL.add_working_days(date(2026, 12, 31), 10) == date(2027, 1, 18)
    assert CAL.add_working_days(date(2027, 1, 18), -10) == date(2026, 12, 31)
    assert CAL.working_days_before(date(2026, 6, 30), 10) == date(2026, 6, 15)
    assert CAL.working_days_after(date(2026, 6, 30), 10) == date(2026, 7, 14)
    with pytest.raises(ValueError):
        CAL.working_days_before(date(2026, 6, 30), -1)


def test_working_days_between_counts_the_half_open_interval() -> None:
    assert CAL.working_days_between(date(2026, 6, 15), date(2026, 6, 30)) == 10
    assert CAL.working_days_between(date(2026, 12, 31), date(2027, 1, 18)) == 10
    assert CAL.working_days_between(date(2026, 6, 30), date(2026, 6, 15)) == -10
    assert CAL.working_days_between(date(2026, 6, 30), date(2026, 6, 30)) == 0
    assert list(CAL.working_days(date(2026, 6, 18), date(2026, 6, 22))) == [
        date(2026, 6, 18),
        date(2026, 6, 22),
    ]


# --- settings -----------------------------------------------------------------------------


def test_default_settings() -> None:
    s = ScheduleConfig()
    assert s.timezone == "Europe/Helsinki"
    assert s.zone == HEL
    assert s.open_working_days_before_quarter_end == 10
    assert s.send_time == time(9, 0)
    assert s.nudge_every_working_days == 3
    assert s.escalate_to_head_working_days_before_close == 5
    assert s.escalate_to_manager_working_days_before_close == 2
    assert s.close_working_days_after_quarter_end == 10
    assert s.close_time == time(16, 0)
    assert s.grace_period == timedelta(days=1)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Europe/Helsinky"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"timezone": "Europe"}, "timezone"),
        ({"open_working_days_before_quarter_end": -1}, "open_working_days_before_quarter_end"),
        ({"nudge_every_working_days": -3}, "nudge_every_working_days"),
        ({"nudge_every_working_days": True}, "nudge_every_working_days"),
        ({"close_working_days_after_quarter_end": -1}, "close_working_days_after_quarter_end"),
        ({"close_working_days_after_quarter_end": 2.5}, "close_working_days_after_quarter_end"),
        ({"escalate_to_manager_working_days_before_close": -1},
         "escalate_to_manager_working_days_before_close"),
        # Head must come before the manager, on a separate day.
        ({"escalate_to_head_working_days_before_close": 2},
         "escalate_to_head_working_days_before_close"),
        ({"escalate_to_head_working_days_before_close": 1},
         "escalate_to_head_working_days_before_close"),
        # 10 + 10 working days: at most 18 is safe on every calendar.
        ({"escalate_to_head_working_days_before_close": 19},
         "escalate_to_head_working_days_before_close"),
        ({"open_working_days_before_quarter_end": 2, "close_working_days_after_quarter_end": 3},
         "escalate_to_head_working_days_before_close"),
        ({"escalate_to_manager_working_days_before_close": 0, "close_time": time(9, 0)},
         "escalate_to_manager_working_days_before_close"),
        ({"send_time": time(9, 0, tzinfo=UTC)}, "send_time"),
        ({"close_time": "16:00"}, "close_time"),
        ({"grace_period": timedelta(hours=-1)}, "grace_period"),
    ],
)  # fmt: skip
def test_invalid_settings_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        ScheduleConfig(**changes)
    assert caught.value.field == field
    assert field in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_boundary_settings_are_accepted() -> None:
    ScheduleConfig(escalate_to_head_working_days_before_close=18)
    ScheduleConfig(escalate_to_manager_working_days_before_close=0)  # 09:00 < 16:00
    ScheduleConfig(nudge_every_working_days=0, grace_period=timedelta(0))


# --- round plans --------------------------------------------------------------------------


def test_q2_2026_plan() -> None:
    # Last day Tue 30.6.; juhannusaatto Fri 19.6. is skipped both when counting back to the
    # opening and when spacing the nudges.  Summer time: 09:00 is 06:00 UTC.
    assert schedule(Period(2026, 2)) == [
        ("2026Q2:open", hel(2026, 6, 15)),
        ("2026Q2:nudge:1", hel(2026, 6, 18)),
        ("2026Q2:nudge:2", hel(2026, 6, 24)),
        ("2026Q2:nudge:3", hel(2026, 6, 29)),
        ("2026Q2:nudge:4", hel(2026, 7, 2)),
        ("2026Q2:escalate_head", hel(2026, 7, 7)),
        ("2026Q2:escalate_manager", hel(2026, 7, 10)),
        ("2026Q2:close", hel(2026, 7, 14, 16)),
    ]
    plan = plan_round(Period(2026, 2), SETTINGS, CAL)
    assert plan.open.due_at_utc == utc(2026, 6, 15, 6)
    assert plan.close.due_at_utc == utc(2026, 7, 14, 13)
    assert plan.deadline == hel(2026, 7, 14, 16)
    assert plan.opens_at == hel(2026, 6, 15)


def test_q4_2026_plan_crosses_christmas_and_new_year() -> None:
    # Last day Thu 31.12.; counting back skips jouluaatto, joulupäivä and the weekend.
    # The close skips 1.1. (Fri) and loppiainen 6.1. (Wed): Mon 18.1.2027.
    assert schedule(Period(2026, 4)) == [
        ("2026Q4:open", hel(2026, 12, 15)),
        ("2026Q4:nudge:1", hel(2026, 12, 18)),
        ("2026Q4:nudge:2", hel(2026, 12, 23)),
        ("2026Q4:nudge:3", hel(2026, 12, 30)),
        ("2026Q4:nudge:4", hel(2027, 1, 5)),
        ("2026Q4:escalate_head", hel(2027, 1, 11)),
        ("2026Q4:escalate_manager", hel(2027, 1, 14)),
        ("2026Q4:close", hel(2027, 1, 18, 16)),
    ]
    plan = plan_round(Period(2026, 4), SETTINGS, CAL)
    assert plan.open.due_at_utc == utc(2026, 12, 15, 7)  # winter time
    assert plan.close.due_at_utc == utc(2027, 1, 18, 14)


def test_q1_2026_plan_crosses_easter_and_dst() -> None:
    assert schedule(Period(2026, 1)) == [
        ("2026Q1:open", hel(2026, 3, 17)),
        ("2026Q1:nudge:1", hel(2026, 3, 20)),
        ("2026Q1:nudge:2", hel(2026, 3, 25)),
        ("2026Q1:nudge:3", hel(2026, 3, 30)),
        ("2026Q1:nudge:4", hel(2026, 4, 2)),
        ("2026Q1:escalate_head", hel(2026, 4, 9)),
        ("2026Q1:escalate_manager", hel(2026, 4, 14)),
        ("2026Q1:close", hel(2026, 4, 16, 16)),
    ]


def test_q4_2027_plan() -> None:
    # Last day Fri 31.12.2027; jouluaatto is a Friday, 1.1.2028 a Saturday, 6.1. a Thursday.
    assert schedule(Period(2027, 4)) == [
        ("2027Q4:open", hel(2027, 12, 16)),
        ("2027Q4:nudge:1", hel(2027, 12, 21)),
        ("2027Q4:nudge:2", hel(2027, 12, 27)),
        ("2027Q4:nudge:3", hel(2027, 12, 30)),
        ("2027Q4:nudge:4", hel(2028, 1, 4)),
        ("2027Q4:escalate_head", hel(2028, 1, 10)),
        ("2027Q4:escalate_manager", hel(2028, 1, 13)),
        ("2027Q4:close", hel(2028, 1, 17, 16)),
    ]


ALL_PERIODS = [Period(y, q) for y in (2026, 2027) for q in range(1, 5)]


@pytest.mark.parametrize("period", ALL_PERIODS, ids=str)
def test_every_round_in_2026_and_2027_is_well_formed(period: Period) -> None:
    plan = plan_round(period, SETTINGS, CAL)
    events = plan.events
    assert [e.kind for e in events] == [
        EventKind.OPEN,
        *[EventKind.NUDGE] * len(plan.nudges),
        EventKind.ESCALATE_HEAD,
        EventKind.ESCALATE_MANAGER,
        EventKind.CLOSE,
    ]
    assert [n.sequence for n in plan.nudges] == list(range(1, len(plan.nudges) + 1))
    assert len(plan.nudges) >= 1
    times = [e.due_at_utc for e in events]
    assert times == sorted(times)
    assert len(set(times)) == len(times), "strictly ordered"
    # Escalations and the close are on separate days, and no nudge is on the closing day.
    days = [e.local_date for e in events]
    assert len(set(days)) == len(days)
    assert all(e.period == period for e in events)
    for event in events:
        assert CAL.is_working_day(event.local_date), event.key
        assert event.due_at.tzinfo == HEL
        expected = SETTINGS.close_time if event.kind is EventKind.CLOSE else SETTINGS.send_time
        assert event.due_at.time() == expected, event.key
    assert plan.open.local_date <= period.last_day < plan.close.local_date
    assert CAL.working_days_between(plan.open.local_date, period.last_day) == 10
    assert CAL.working_days_between(period.last_day, plan.close.local_date) == 10


def test_whole_years_have_unique_keys_and_are_ordered() -> None:
    events = plan_year(2026, SETTINGS, CAL) + plan_year(2027, SETTINGS, CAL)
    keys = [e.key for e in events]
    assert len(keys) == len(set(keys)) == 8 * 8
    assert [e.due_at_utc for e in events] == sorted(e.due_at_utc for e in events)
    assert {e.period for e in events} == set(ALL_PERIODS)
    # Rounds do not overlap with the defaults.
    for earlier, later in pairwise(ALL_PERIODS):
        close = plan_round(earlier, SETTINGS, CAL).close.due_at_utc
        assert close < plan_round(later, SETTINGS, CAL).open.due_at_utc


def test_nudges_stop_before_the_first_escalation() -> None:
    # With a daily nudge the last one is on the working day before the head escalation.
    daily = ScheduleConfig(nudge_every_working_days=1)
    plan = plan_round(Period(2026, 2), daily, CAL)
    assert plan.nudges[0].local_date == date(2026, 6, 16)
    assert plan.nudges[-1].local_date == date(2026, 7, 6)
    assert len(plan.nudges) == 14  # 15 working days from the open to the head escalation
    assert date(2026, 6, 19) not in {n.local_date for n in plan.nudges}
    # An interval reaching past the first escalation gives no nudges at all.
    sparse = ScheduleConfig(nudge_every_working_days=15)
    assert plan_round(Period(2026, 2), sparse, CAL).nudges == ()
    off = ScheduleConfig(nudge_every_working_days=0)
    assert plan_round(Period(2026, 2), off, CAL).nudges == ()


def test_days_counted_from_a_weekend_quarter_end() -> None:
    # 30.6.2024 is a Sunday.  Opening 0 working days before means rolling forward to Monday;
    # closing 0 working days after likewise, at close_time on that Monday.
    assert stdcal.weekday(2024, 6, 30) == stdcal.SUNDAY
    settings = ScheduleConfig(
        open_working_days_before_quarter_end=0,
        close_working_days_after_quarter_end=3,
        escalate_to_head_working_days_before_close=1,
        escalate_to_manager_working_days_before_close=0,
        nudge_every_working_days=0,
    )
    plan = plan_round(Period(2024, 2), settings, CAL)
    assert plan.open.due_at == hel(2024, 7, 1)
    assert plan.escalate_head.due_at == hel(2024, 7, 2)
    assert plan.escalate_manager.due_at == hel(2024, 7, 3)
    assert plan.close.due_at == hel(2024, 7, 3, 16)


def test_schedule_follows_a_custom_calendar() -> None:
    # A one-off closure on the computed opening day moves the count, not just the event.
    cal = WorkingCalendar([*workdays.DEFAULT_EXTRA_NON_WORKING_DAYS, date(2026, 6, 15)])
    plan = plan_round(Period(2026, 2), SETTINGS, cal)
    assert plan.open.local_date == date(2026, 6, 12)


# --- DST ----------------------------------------------------------------------------------


def test_last_sundays_of_march_and_october_2026() -> None:
    march = [w[stdcal.SUNDAY] for w in stdcal.monthcalendar(2026, 3) if w[stdcal.SUNDAY]]
    october = [w[stdcal.SUNDAY] for w in stdcal.monthcalendar(2026, 10) if w[stdcal.SUNDAY]]
    assert march[-1] == 29
    assert october[-1] == 25


def test_wall_time_is_kept_across_the_march_change() -> None:
    friday = local_datetime(date(2026, 3, 27), time(9), HEL)
    monday = local_datetime(date(2026, 3, 30), time(9), HEL)
    assert friday.astimezone(UTC) == utc(2026, 3, 27, 7)
    assert monday.astimezone(UTC) == utc(2026, 3, 30, 6)
    assert monday.astimezone(UTC) - friday.astimezone(UTC) == timedelta(hours=71)
    # The same through the Q1/2026 plan: nudge 2 before the change, nudge 3 after it.
    plan = plan_round(Period(2026, 1), SETTINGS, CAL)
    assert plan.nudges[1].due_at_utc == utc(2026, 3, 25, 7)
    assert plan.nudges[2].due_at == hel(2026, 3, 30)
    assert plan.nudges[2].due_at_utc == utc(2026, 3, 30, 6)


def test_wall_time_is_kept_across_the_october_change() -> None:
    friday = local_datetime(date(2026, 10, 23), time(9), HEL)
    monday = local_datetime(date(2026, 10, 26), time(9), HEL)
    assert friday.astimezone(UTC) == utc(2026, 10, 23, 6)
    assert monday.astimezone(UTC) == utc(2026, 10, 26, 7)
    # A later close puts the Q3/2026 escalations on both sides of 25.10.
    late = ScheduleConfig(close_working_days_after_quarter_end=20)
    plan = plan_round(Period(2026, 3), late, CAL)
    assert plan.escalate_head.due_at == hel(2026, 10, 21)
    assert plan.escalate_head.due_at_utc == utc(2026, 10, 21, 6)
    assert plan.escalate_manager.due_at == hel(2026, 10, 26)
    assert plan.escalate_manager.due_at_utc == utc(2026, 10, 26, 7)
    assert plan.close.due_at_utc == utc(2026, 10, 28, 14)


def test_missing_wall_time_moves_forward_by_the_gap() -> None:
    # 29.3.2026 03:00 EET jumps to 04:00 EEST; 03:30 does not exist.
    moved = local_datetime(date(2026, 3, 29), time(3, 30), HEL)
    assert moved.time() == time(4, 30)
    assert moved.astimezone(UTC) == utc(2026, 3, 29, 1, 30)
    assert moved.astimezone(UTC).astimezone(HEL) == moved


def test_ambiguous_wall_time_means_the_first_occurrence() -> None:
    # 25.10.2026 04:00 EEST falls back to 03:00 EET; 03:30 happens twice.
    first = local_datetime(date(2026, 10, 25), time(3, 30), HEL)
    assert first.astimezone(UTC) == utc(2026, 10, 25, 0, 30)
    assert first.fold == 0
    again = local_datetime(date(2026, 10, 25), time(3, 30, fold=1), HEL)
    assert again.astimezone(UTC) == first.astimezone(UTC)


# --- keys ---------------------------------------------------------------------------------


def test_event_keys_round_trip() -> None:
    for event in plan_year(2026, SETTINGS, CAL):
        assert parse_event_key(event.key) == (event.period, event.kind, event.sequence)
    assert parse_event_key("2026Q2:nudge:2") == (Period(2026, 2), EventKind.NUDGE, 2)
    assert parse_event_key("2026Q2:close") == (Period(2026, 2), EventKind.CLOSE, 0)


@pytest.mark.parametrize(
    "bad", ["2026Q2", "2026Q5:open", "2026Q2:nudge", "2026Q2:open:1", "2026Q2:party", ""]
)
def test_bad_event_keys(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_event_key(bad)


def test_scheduled_event_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        ScheduledEvent(EventKind.OPEN, Period(2026, 2), datetime(2026, 6, 15, 9))
    with pytest.raises(ValueError):
        ScheduledEvent(EventKind.NUDGE, Period(2026, 2), hel(2026, 6, 18), 0)


# --- plan_year ----------------------------------------------------------------------------


def test_plan_year_from_a_date_covers_twelve_months() -> None:
    events = plan_year(date(2026, 7, 1), SETTINGS, CAL)
    assert events[0].key == "2026Q2:nudge:4"  # Thu 2.7.2026
    assert events[-1].key == "2027Q2:nudge:3"  # Tue 29.6.2027; 2.7.2027 is out of range
    assert all(date(2026, 7, 1) <= e.local_date < date(2027, 7, 1) for e in events)
    assert [e.sort_key() for e in events] == sorted(e.sort_key() for e in events)
    assert {e.period for e in events} == {
        Period(2026, 2),
        Period(2026, 3),
        Period(2026, 4),
        Period(2027, 1),
        Period(2027, 2),
    }


def test_plan_year_from_an_instant_includes_an_event_due_then() -> None:
    events = plan_year(hel(2026, 7, 2), SETTINGS, CAL)
    assert events[0].key == "2026Q2:nudge:4"
    later = plan_year(hel(2026, 7, 2, 9, 1), SETTINGS, CAL)
    assert later[0].key == "2026Q2:escalate_head"
    with pytest.raises(ValueError):
        plan_year(datetime(2026, 7, 2, 9), SETTINGS, CAL)


# --- current_round ------------------------------------------------------------------------


def test_current_round_boundaries() -> None:
    q2 = Period(2026, 2)
    tick = timedelta(microseconds=1)
    assert current_round(hel(2026, 6, 15) - tick, SETTINGS, CAL) is None
    assert current_round(hel(2026, 6, 15), SETTINGS, CAL) == q2
    assert current_round(utc(2026, 6, 15, 6), SETTINGS, CAL) == q2  # same instant in UTC
    assert current_round(hel(2026, 7, 14, 16) - tick, SETTINGS, CAL) == q2
    assert current_round(hel(2026, 7, 14, 16), SETTINGS, CAL) is None
    assert current_round(hel(2026, 8, 1), SETTINGS, CAL) is None
    # Christmas break inside the Q4 round, and the round still open in January.
    assert current_round(hel(2026, 12, 25, 12), SETTINGS, CAL) == Period(2026, 4)
    assert current_round(hel(2027, 1, 18, 15, 59), SETTINGS, CAL) == Period(2026, 4)
    assert current_round(hel(2027, 1, 18, 16), SETTINGS, CAL) is None


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        current_round(datetime(2026, 6, 20, 12), SETTINGS, CAL)
    with pytest.raises(ValueError, match="timezone-aware"):
        due_events(datetime(2026, 6, 20, 12), set(), SETTINGS, CAL)


# --- due_events ---------------------------------------------------------------------------


def test_nothing_due_before_the_first_event_of_a_round() -> None:
    assert due_events(hel(2026, 6, 15, 8, 59), set(), SETTINGS, CAL, timedelta(days=30)) == []


def test_event_due_exactly_now_is_due() -> None:
    due = due_events(hel(2026, 6, 15), set(), SETTINGS, CAL, LOOKBACK)
    assert [(d.event.key, d.lateness, d.missed) for d in due] == [
        ("2026Q2:open", timedelta(0), False)
    ]


def test_done_keys_are_left_out() -> None:
    now = hel(2026, 6, 18, 11)
    due = due_events(now, {"2026Q2:open"}, SETTINGS, CAL, LOOKBACK)
    assert [d.event.key for d in due] == ["2026Q2:nudge:1"]
    assert due[0].within_grace
    assert due[0].lateness == timedelta(hours=2)
    assert due_events(now, {"2026Q2:open", "2026Q2:nudge:1"}, SETTINGS, CAL, LOOKBACK) == []


def test_after_downtime_old_events_are_missed_and_recent_ones_within_grace() -> None:
    # Down from Wed 17.6. until Wed 24.6. 20:00: nudge 1 (Thu 18.6.) is long past, nudge 2
    # (today 09:00) is 11 hours late.
    due = due_events(hel(2026, 6, 24, 20), {"2026Q2:open"}, SETTINGS, CAL, LOOKBACK)
    assert [(d.event.key, d.missed) for d in due] == [
        ("2026Q2:nudge:1", True),
        ("2026Q2:nudge:2", False),
    ]
    assert due[0].lateness == timedelta(days=6, hours=11)


def test_grace_period_boundary_is_inclusive() -> None:
    due_at = hel(2026, 6, 24)
    at_limit = due_events(due_at + timedelta(days=1), {"2026Q2:open"}, SETTINGS, CAL, LOOKBACK)
    assert [(d.event.key, d.missed) for d in at_limit][-1] == ("2026Q2:nudge:2", False)
    past = due_events(
        due_at + timedelta(days=1, microseconds=1), {"2026Q2:open"}, SETTINGS, CAL, LOOKBACK
    )
    assert [(d.event.key, d.missed) for d in past][-1] == ("2026Q2:nudge:2", True)


def test_lateness_is_measured_in_real_time_across_dst() -> None:
    # Wed 25.3. 09:00 EET to Sun 29.3. 09:00 EEST is four wall-clock days but 95 hours.
    settings = ScheduleConfig(grace_period=timedelta(days=4))
    done = {"2026Q1:open", "2026Q1:nudge:1"}
    due = due_events(hel(2026, 3, 29), done, settings, CAL, LOOKBACK)
    assert [d.event.key for d in due] == ["2026Q1:nudge:2"]
    assert due[0].lateness == timedelta(hours=95)
    assert due[0].within_grace
    strict = ScheduleConfig(grace_period=timedelta(hours=94))
    assert due_events(hel(2026, 3, 29), done, strict, CAL, LOOKBACK)[0].missed


def test_lookback_limits_how_far_back_events_are_reported() -> None:
    now = hel(2026, 6, 24, 20)
    due = due_events(now, set(), SETTINGS, CAL, lookback=timedelta(days=3))
    assert [d.event.key for d in due] == ["2026Q2:nudge:2"]
    # A lookback shorter than the grace period never hides an event still to be done.
    due = due_events(now, set(), SETTINGS, CAL, lookback=timedelta(0))
    assert [d.event.key for d in due] == ["2026Q2:nudge:2"]
    with pytest.raises(ValueError):
        due_events(now, set(), SETTINGS, CAL, lookback=timedelta(days=-1))


def test_due_events_span_rounds_and_years() -> None:
    # Bot down for the whole Q4/2026 round: everything since the open is reported, in order,
    # and only the close (one hour ago) is still within grace.
    due = due_events(hel(2027, 1, 18, 17), set(), SETTINGS, CAL, lookback=timedelta(days=40))
    assert [d.event.key for d in due] == [
        "2026Q4:open",
        "2026Q4:nudge:1",
        "2026Q4:nudge:2",
        "2026Q4:nudge:3",
        "2026Q4:nudge:4",
        "2026Q4:escalate_head",
        "2026Q4:escalate_manager",
        "2026Q4:close",
    ]
    assert [d.missed for d in due] == [True] * 7 + [False]
    # The default lookback of one quarter does not reach the Q3 round closed in October.
    assert all(d.event.period == Period(2026, 4) for d in due_events(
        hel(2027, 1, 18, 17), set(), SETTINGS, CAL))  # fmt: skip


# --- next_event ---------------------------------------------------------------------------


def test_next_event() -> None:
    assert next_event(hel(2026, 6, 15) - timedelta(seconds=1), SETTINGS, CAL).key == "2026Q2:open"
    assert next_event(hel(2026, 6, 15), SETTINGS, CAL).key == "2026Q2:nudge:1"
    after_close = next_event(hel(2026, 7, 14, 16), SETTINGS, CAL)
    assert after_close.key == "2026Q3:open"
    assert after_close.due_at == hel(2026, 9, 16)
    assert next_event(hel(2026, 12, 31, 12), SETTINGS, CAL).due_at == hel(2027, 1, 5)
    assert next_event(hel(2027, 1, 18, 10), SETTINGS, CAL).key == "2026Q4:close"
