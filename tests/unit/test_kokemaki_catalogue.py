"""The shipped Kokemäki 2026–2029 catalogue holds the whole seed document, and the reader
reports every problem of a bad catalogue file in one run, each with its place."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from goalbot.catalogues import shipped_catalogue_path
from goalbot.domain.catalogue_file import (
    CatalogueError,
    check_catalogue,
    parse_catalogue,
    read_catalogue,
)
from goalbot.domain.goals import (
    CadenceKind,
    Catalogue,
    Goal,
    Metric,
    MetricKind,
    Rule,
    Tier,
)
from goalbot.domain.periods import Period

# ---------------------------------------------------------------- the shipped catalogue


@pytest.fixture(scope="module")
def kokemaki() -> Catalogue:
    return read_catalogue(shipped_catalogue_path())


def metric(catalogue: Catalogue, metric_id: str) -> Metric:
    goal_id, key = metric_id.split(".")
    return catalogue.goal(goal_id).metric(key)


def due_periods(m: Metric, catalogue: Catalogue) -> list[str]:
    return [p.key for p in catalogue.periods() if m.cadence.is_due(p)]


def test_the_shipped_file_has_no_problems() -> None:
    assert check_catalogue(shipped_catalogue_path()) == []


def test_catalogue_head(kokemaki: Catalogue) -> None:
    assert kokemaki.id == "kokemaki-2026-2029"
    assert kokemaki.municipality == "Kokemäki"
    assert kokemaki.first_period == Period(2026, 2)
    assert kokemaki.last_period == Period(2029, 4)
    assert kokemaki.manager_role == "kaupunginjohtaja"


def test_goal_counts_per_tier(kokemaki: Catalogue) -> None:
    assert len(kokemaki.goals) == 52
    assert Counter(g.tier for g in kokemaki.goals) == {
        Tier.STRATEGIC: 7,
        Tier.DEPARTMENT: 8,
        Tier.AREA: 37,
    }


def test_goal_counts_per_body(kokemaki: Catalogue) -> None:
    assert Counter(g.body for g in kokemaki.goals) == {
        "valtuusto": 15,  # 7 strategic + 8 department goals
        "elinvoimalautakunta": 6,
        "kaupunginhallitus": 9,
        "sivistyslautakunta": 9,
        "tekninen-lautakunta": 13,
    }


def test_goal_counts_per_department(kokemaki: Catalogue) -> None:
    assert Counter(g.department for g in kokemaki.goals) == {
        None: 7,  # the strategic metrics are the whole city's
        "hallinto": 17,  # 2 council + 6 elinvoimalautakunta + 9 kaupunginhallitus
        "sivistys": 12,  # 3 council + 9 sivistyslautakunta
        "tekninen": 16,  # 3 council + 13 tekninen- ja ympäristölautakunta
    }
    assert Counter(g.department for g in kokemaki.goals if g.tier == Tier.DEPARTMENT) == {
        "hallinto": 2,
        "sivistys": 3,
        "tekninen": 3,
    }


def test_goal_counts_per_area(kokemaki: Catalogue) -> None:
    assert Counter(g.area for g in kokemaki.goals if g.tier == Tier.AREA) == {
        "elinvoima-ja-hyvinvointipalvelut": 3,
        "kirjasto-ja-kulttuuripalvelut": 3,
        "yleishallinto": 9,
        "varhaiskasvatus-ja-esiopetus": 2,
        "perusopetus": 2,
        "toisen-asteen-koulutus": 3,
        "vapaa-sivistystyo": 2,
        "tekninen-hallinto": 2,
        "yleisten-alueiden-hoito": 3,
        "kiinteistojen-hoito": 2,
        "tilahallintopalvelut": 2,
        "ymparistotoimi": 2,
        "rakennusvalvonta": 2,
    }
    # every area of the header has goals
    assert {a.id for a in kokemaki.areas} == {g.area for g in kokemaki.goals if g.area}


def test_metric_counts(kokemaki: Catalogue) -> None:
    metrics = list(kokemaki.metrics())
    assert len(metrics) == 67
    assert Counter(m.kind for m in metrics) == {
        MetricKind.YES_NO: 35,
        MetricKind.SURVEY: 13,
        MetricKind.NUMBER: 12,  # RV-1 is a number of days; TAK-1.2 the national average
        MetricKind.COUNT: 6,
        MetricKind.COMPLETION: 1,
    }


def test_goal_ids_are_the_readable_ones(kokemaki: Catalogue) -> None:
    ids = [g.id for g in kokemaki.goals]
    assert ids[:7] == [f"STR-{n}" for n in range(1, 8)]
    prefixes = Counter(i.rsplit("-", 1)[0] for i in ids)
    assert prefixes == {
        "STR": 7,
        "HAL": 2,
        "SIV": 3,
        "TEK": 3,
        "EHP": 3,
        "KIR": 3,
        "YH": 9,
        "VKE": 2,
        "PO": 2,
        "TAK": 3,
        "VST": 2,
        "THA": 2,
        "YAH": 3,
        "KH": 2,
        "TILA": 2,
        "YMP": 2,
        "RV": 2,
    }
    for goal in kokemaki.goals:
        assert [m.key for m in goal.metrics] == [str(n) for n in range(1, len(goal.metrics) + 1)]


def test_strategic_metrics_sit_under_their_themes(kokemaki: Catalogue) -> None:
    strategic = [g for g in kokemaki.goals if g.tier == Tier.STRATEGIC]
    assert {g.id: g.theme for g in strategic} == {
        "STR-1": "hyvinvoiva-koti",
        "STR-2": "alykas-maaseutukaupunki",
        "STR-3": "rohkea-tulevaisuus",
        "STR-4": "rohkea-tulevaisuus",
        "STR-5": "rohkea-tulevaisuus",
        "STR-6": "kestava-talous",
        "STR-7": "kestava-talous",
    }
    assert {g.owner_role for g in strategic} == {"kaupunginjohtaja"}
    assert {g.body for g in strategic} == {"valtuusto"}


def test_owners_are_the_department_heads_and_area_owners(kokemaki: Catalogue) -> None:
    for goal in kokemaki.goals:
        if goal.tier == Tier.DEPARTMENT:
            assert goal.department is not None
            assert goal.owner_role == kokemaki.department(goal.department).head_role, goal.id
        elif goal.tier == Tier.AREA:
            assert goal.area is not None
            assert goal.owner_role == kokemaki.area(goal.area).owner_role, goal.id


def test_every_goal_and_metric_carries_the_documents_words(kokemaki: Catalogue) -> None:
    for goal in kokemaki.goals:
        assert goal.title, goal.id
        if goal.tier == Tier.AREA:
            assert goal.action, goal.id  # every board table has a Toimenpide column
        for m in goal.metrics:
            assert m.name, m.id
            assert m.baseline.measured or m.baseline.value is None, m.id


EDITORIAL = ("ei ole annettu", "sarake on tyhjä", "oletettu", "Mittari:", "Toimenpide:")


def test_adopted_cells_hold_only_the_documents_words(kokemaki: Catalogue) -> None:
    # baselines and target texts fill the adopted table; remarks of the catalogue's editors
    # live in notes, which the exports keep apart
    for m in kokemaki.metrics():
        for text in (m.baseline.note, m.target.text, m.adopted_name):
            assert not any(word in text for word in EDITORIAL), (m.id, text)
    for goal in kokemaki.goals:
        assert not any(word in goal.title + goal.action for word in EDITORIAL), goal.id


def test_cells_that_say_only_yes_or_no_keep_the_documents_wording(kokemaki: Catalogue) -> None:
    adopted = {m.id: m.adopted_name for m in kokemaki.metrics() if m.adopted_name}
    assert adopted["EHP-1.1"] == adopted["EHP-1.2"] == "Kyllä/ei"
    assert adopted["EHP-2.1"] == "Tavoite täytetty Kyllä/ei"
    assert adopted["YH-8.2"] == "Valmistumisaste"
    assert adopted["TILA-2.1"] == "Biojätteen määrä vähenee edellisvuoteen verrattuna."
    assert metric(kokemaki, "EHP-1.1").name.startswith("Hyvinvointisuunnitelmaan")


# Every yes/no metric of the seed, read as what its "Kyllä" means (see the catalogue's notes).
MEANINGS = {
    "deliverable": {
        "HAL-1.1", "SIV-1.1", "SIV-2.1", "SIV-3.1", "TEK-2.1", "TEK-3.1", "EHP-1.1", "EHP-3.1",
        "YH-1.1", "YH-2.1", "YH-2.2", "YH-3.1", "YH-6.1", "YH-7.1", "YH-8.1", "YH-8.3",
        "YH-9.1", "TAK-3.1", "THA-1.1", "YAH-1.1", "KH-1.1", "KH-2.1",
    },
    "state": {"EHP-2.2", "THA-2.1", "YAH-2.1", "YMP-1.1", "YMP-2.1", "RV-2.1"},
    "recurring": {"HAL-2.1", "EHP-1.2", "EHP-3.2", "KIR-1.1", "YH-8.5", "YH-8.7", "VST-2.1"},
}  # fmt: skip


def test_every_yes_no_metric_says_what_it_means(kokemaki: Catalogue) -> None:
    found: dict[str, set[str]] = {}
    for m in kokemaki.metrics():
        if m.kind == MetricKind.YES_NO:
            found.setdefault(m.meaning.value, set()).add(m.id)
    assert found == MEANINGS
    dated = {m.id: m.due_date for m in kokemaki.metrics() if m.id in MEANINGS["deliverable"]}
    assert {k for k, v in dated.items() if v is not None} == {
        "EHP-1.1", "YH-3.1", "YH-6.1", "YH-8.1", "THA-1.1", "YAH-1.1", "KH-2.1",
    }  # fmt: skip
    for metric_id in MEANINGS["state"]:
        assert metric(kokemaki, metric_id).cadence.kind == CadenceKind.QUARTERLY, metric_id
    biennial = {m for m in MEANINGS["recurring"] if metric(kokemaki, m).cadence.kind != "yearly"}
    assert biennial == {"HAL-2.1", "EHP-1.2", "EHP-3.2"}


def test_one_plan_draft_is_asked_once(kokemaki: Catalogue) -> None:
    shared = metric(kokemaki, "YH-8.1")
    assert shared.same_as == "THA-1.1" and shared.answered_as == "THA-1.1"
    assert shared.name == metric(kokemaki, "THA-1.1").name
    assert not shared.is_asked(Period(2026, 2))
    assert metric(kokemaki, "THA-1.1").is_asked(Period(2026, 2))


def test_no_hyphenation_left_from_the_pdf(kokemaki: Catalogue) -> None:
    texts = [t for g in kokemaki.goals for t in (g.title, g.action, g.note)]
    texts += [
        t for m in kokemaki.metrics() for t in (m.name, m.note, m.baseline.note, m.target.text)
    ]
    for text in texts:
        for word in (
            "mes- sut",
            "Koke- mäelle",
            "budje- toinnin",
            "nykyai- kaistaminen",
            "lukio-koulutus",
            "luki-ossa",
            "vä- henee",
            "men- nessä",
        ):
            assert word not in text


# ---------------------------------------------------------------- spot checks against the seed


def test_unemployment(kokemaki: Catalogue) -> None:
    m = metric(kokemaki, "STR-3.1")
    assert (m.kind, m.unit) == (MetricKind.NUMBER, "%")
    assert (m.baseline.value, m.baseline.as_of) == (Decimal("12"), "12/2025")
    assert [(h.value, h.as_of) for h in m.baseline.history] == [(Decimal("11.9"), "02/2026")]
    assert (m.target.rule, m.target.value) == (Rule.BELOW, Decimal("8"))
    assert m.target.reference is not None
    assert m.target.reference.value == Decimal("10.5")
    assert m.target.reference.as_of == "02/2026"
    assert m.cadence.kind == CadenceKind.QUARTERLY


def test_resident_satisfaction_is_not_yet_measured(kokemaki: Catalogue) -> None:
    m = metric(kokemaki, "STR-1.1")
    assert m.kind == MetricKind.SURVEY
    assert m.scale == (Decimal(1), Decimal(5))
    assert not m.baseline.measured and m.baseline.value is None
    assert m.baseline.note == "ei vielä mitattua tilannekuva"
    assert (m.target.rule, m.target.value) == (Rule.AT_LEAST, Decimal(4))


def test_greenhouse_gases_relative_to_satakunta(kokemaki: Catalogue) -> None:
    m = metric(kokemaki, "STR-2.1")
    assert m.baseline.value == Decimal(8)
    assert m.target.rule == Rule.RELATIVE
    assert m.target.reference is not None
    assert (m.target.reference.label, m.target.reference.value) == ("Satakunta", Decimal("5.7"))
    assert m.target.text == "Samalla tasolla kuin muualla Satakunnassa"


def test_net_migration_and_population_change_are_not_mixed_up(kokemaki: Catalogue) -> None:
    migration, population = metric(kokemaki, "STR-4.1"), metric(kokemaki, "STR-5.1")
    assert migration.baseline.value == Decimal(-20)
    assert migration.target.rule == Rule.POSITIVE
    assert population.baseline.value == Decimal(-85) == Decimal(6587 - 6672)
    assert (population.target.rule, population.target.value) == (Rule.AT_LEAST, Decimal(0))
    assert "6587" in population.baseline.note and "6672" in population.baseline.note


def test_tax_revenue_and_corporate_tax(kokemaki: Catalogue) -> None:
    tax = metric(kokemaki, "STR-6.1")
    assert (tax.baseline.value, tax.baseline.as_of) == (Decimal(2373), "v. 2025")
    assert [h.value for h in tax.baseline.history] == [Decimal(2386)]
    assert "+0,6 %" in tax.baseline.note
    assert tax.target.rule == Rule.INCREASE
    corporate = metric(kokemaki, "STR-7.1")
    assert (corporate.baseline.value, corporate.unit) == (Decimal(1021000), "€")
    assert [(h.value, h.as_of) for h in corporate.baseline.history] == [
        (Decimal(961000), "v. 2024")
    ]
    assert corporate.target.rule == Rule.INCREASE
    assert corporate.target.text == "Kasvaa vuosittain"


def test_energy_annual_rate(kokemaki: Catalogue) -> None:
    m = metric(kokemaki, "TEK-1.1")
    assert (m.kind, m.unit) == (MetricKind.NUMBER, "%")
    assert m.target.rule == Rule.ANNUAL_RATE
    assert (m.target.rate, m.target.total) == (Decimal("-2.5"), Decimal(-10))
    assert (m.target.from_year, m.target.by) == (2025, date(2029, 12, 31))
    assert not m.baseline.measured and m.baseline.note == "ei"


def test_department_goals_baselines_and_targets(kokemaki: Catalogue) -> None:
    for goal_id in ("SIV-1", "SIV-2", "SIV-3", "TEK-2", "TEK-3"):
        m = metric(kokemaki, f"{goal_id}.1")
        assert (m.kind, m.baseline.value) == (MetricKind.YES_NO, False), goal_id
        assert (m.target.rule, m.target.value) == (Rule.DONE, True), goal_id
    assert metric(kokemaki, "SIV-2.1").target.text == "kyllä"
    for goal_id in ("HAL-1", "HAL-2"):
        assert not metric(kokemaki, f"{goal_id}.1").baseline.measured


def test_bio_waste_reaches_its_level_by_the_end_of_2028(kokemaki: Catalogue) -> None:
    m = metric(kokemaki, "TILA-2.1")
    assert (m.baseline.value, m.baseline.as_of, m.unit) == (Decimal(11715), "2025", "kg/vuosi")
    assert (m.target.rule, m.target.value) == (Rule.REACH, Decimal(10715))
    assert m.target.by == date(2028, 12, 31)
    assert "vähenee edellisvuoteen verrattuna" in m.adopted_name  # the Mittari cell
    assert m.cadence.kind == CadenceKind.YEARLY


def test_organic_food_reaches_30_percent_by_2029(kokemaki: Catalogue) -> None:
    m = metric(kokemaki, "TILA-1.1")
    assert (m.baseline.value, m.unit) == (Decimal(25), "%")
    assert (m.target.rule, m.target.value) == (Rule.REACH, Decimal(30))
    assert m.target.by == date(2029, 12, 31)


def test_library_counts(kokemaki: Catalogue) -> None:
    events, items = metric(kokemaki, "KIR-2.1"), metric(kokemaki, "KIR-3.1")
    assert (events.kind, events.baseline.value) == (MetricKind.COUNT, Decimal(25))
    assert events.target.rule == Rule.INCREASE
    assert events.target.compared_with == "baseline"  # more than the "about 25" a year
    # the metric counts the items acquired; the 112 of the baseline is the stock now
    assert (items.kind, items.baseline.value) == (MetricKind.COUNT, None)
    assert "112" in items.baseline.note and "hankittiin" in items.question
    assert items.target.rule == Rule.POSITIVE


def test_building_permits_are_a_number_of_days(kokemaki: Catalogue) -> None:
    m = metric(kokemaki, "RV-1.1")
    assert (m.kind, m.unit, m.target.rule, m.target.value) == (
        MetricKind.NUMBER,
        "päivää",
        Rule.BELOW,
        Decimal(30),
    )


def test_staff_survey_is_on_the_towns_scale(kokemaki: Catalogue) -> None:
    # the town's work-wellbeing survey runs on 1–4, as the seed says of it (PO-2)
    for metric_id in ("YH-4.1", "YH-5.1", "PO-2.1"):
        assert metric(kokemaki, metric_id).scale == (Decimal(1), Decimal(4)), metric_id


def test_seasonal_and_growth_comparisons(kokemaki: Catalogue) -> None:
    assert metric(kokemaki, "STR-3.1").target.compared_with == "year_before"
    assert metric(kokemaki, "STR-7.1").target.compared_with == "previous"
    bio_waste = metric(kokemaki, "TILA-2.1")
    assert (bio_waste.target.rule, bio_waste.target.also) == (Rule.REACH, Rule.DECREASE)


def test_count_targets(kokemaki: Catalogue) -> None:
    expected = {"EHP-2.1": 15, "YH-8.4": 50, "YH-8.6": 50, "YAH-3.1": 30}
    for metric_id, value in expected.items():
        m = metric(kokemaki, metric_id)
        assert (m.kind, m.target.rule, m.target.value) == (
            MetricKind.COUNT,
            Rule.AT_LEAST,
            Decimal(value),
        ), metric_id


def test_surveys_on_a_scale(kokemaki: Catalogue) -> None:
    teachers = metric(kokemaki, "PO-2.1")
    assert (teachers.scale, teachers.baseline.value) == ((Decimal(1), Decimal(4)), Decimal("3.6"))
    assert teachers.target.rule == Rule.AT_LEAST_PREVIOUS
    students = metric(kokemaki, "TAK-2.1")
    assert (students.scale, students.baseline.value) == ((Decimal(1), Decimal(4)), Decimal("3.3"))
    assert students.baseline.as_of == "kevät 2025"
    assert (
        metric(kokemaki, "YH-4.1").baseline.value,
        metric(kokemaki, "YH-5.1").baseline.value,
    ) == (Decimal("3.1"), Decimal("3.5"))


def test_surveys_in_percent(kokemaki: Catalogue) -> None:
    expected = {"VKE-1.1": "92", "VKE-2.1": "94", "VKE-2.2": "94", "TAK-2.2": "91.7"}
    for metric_id, value in expected.items():
        m = metric(kokemaki, metric_id)
        assert (m.kind, m.unit, m.baseline.value) == (MetricKind.SURVEY, "%", Decimal(value))
        assert m.target.rule == Rule.AT_LEAST_PREVIOUS
    assert metric(kokemaki, "TAK-2.2").baseline.as_of == "2025"


def test_surveys_without_a_figure_are_not_measured(kokemaki: Catalogue) -> None:
    for metric_id in ("PO-1.1", "PO-1.2", "PO-1.3", "VST-1.1"):
        m = metric(kokemaki, metric_id)
        assert not m.baseline.measured and m.baseline.value is None, metric_id
        assert m.baseline.note.startswith("Edellisen"), metric_id


def test_matriculation_results_against_the_national_average(kokemaki: Catalogue) -> None:
    m = metric(kokemaki, "TAK-1.1")
    assert m.target.rule == Rule.RELATIVE
    assert m.target.reference is not None
    assert m.target.reference.label == "valtakunnallinen keskiarvo"
    assert m.target.reference.value is None
    assert m.target.reference.metric == "TAK-1.2"  # the figure is asked too
    assert metric(kokemaki, "TAK-1.2").target.rule == Rule.REFERENCE
    assert not m.baseline.measured


def test_due_dates_from_the_text(kokemaki: Catalogue) -> None:
    for metric_id in ("THA-1.1", "YH-8.1"):  # "viimeistään 31.12.2026"
        m = metric(kokemaki, metric_id)
        assert m.target.by == date(2026, 12, 31) == m.cadence.by, metric_id
        assert m.cadence.kind == CadenceKind.ONCE
        assert due_periods(m, kokemaki) == ["2026Q2", "2026Q3", "2026Q4"]
    # "vuonna 2026" of a two-year cycle: every even year, by its end
    assert metric(kokemaki, "EHP-3.2").meaning == "recurring"
    assert metric(kokemaki, "YAH-1.1").target.by == date(2027, 3, 31)  # "vuoden 2027 alussa"
    assert metric(kokemaki, "KH-2.1").target.by == date(2029, 12, 31)  # "vuoteen 2029 mennessä"


def test_completion_metric(kokemaki: Catalogue) -> None:
    m = metric(kokemaki, "YH-8.2")
    assert m.kind == MetricKind.COMPLETION and m.is_percentage


def test_row_without_a_metric_is_kept_and_says_so(kokemaki: Catalogue) -> None:
    goal = kokemaki.goal("YH-8")
    assert len(goal.metrics) == 7
    last = goal.metric("7")
    assert last.kind == MetricKind.YES_NO and not last.baseline.measured
    assert "ei ole tälle toimenpiteelle mittaria" in last.note
    assert "kehityshankkeita" in goal.action


def test_stacked_cells_become_separate_goals(kokemaki: Catalogue) -> None:
    titles = [kokemaki.goal(i).title for i in ("YH-4", "YH-5", "YH-6")]
    assert titles == [
        "Työhyvinvoinnin edistäminen ja positiivisen työnantajakuva vahvistaminen.",
        "Toteutamme hyvää johtamista.",
        "Tuemme henkilöstömme työkykyä suunnitelmallisesti.",
    ]


# ---------------------------------------------------------------- cadences


def test_odd_year_survey_is_asked_in_2027_not_2026(kokemaki: Catalogue) -> None:
    m = metric(kokemaki, "VKE-1.1")
    assert m.cadence.kind == CadenceKind.ODD_YEARS
    assert due_periods(m, kokemaki) == ["2027Q4", "2029Q4"]
    goal = kokemaki.goal("VKE-1")
    assert goal.metrics_due(Period(2027, 4)) == (m,)
    assert goal.metrics_due(Period(2026, 4)) == ()


def test_even_year_survey_is_asked_in_2026_not_2027(kokemaki: Catalogue) -> None:
    m = metric(kokemaki, "PO-1.1")
    assert m.cadence.kind == CadenceKind.EVEN_YEARS
    assert due_periods(m, kokemaki) == ["2026Q4", "2028Q4"]
    goal = kokemaki.goal("PO-1")
    # the yearly pupil and staff surveys are asked every year; the guardians' only in 2026/2028
    assert [x.key for x in goal.metrics_due(Period(2027, 4))] == ["2", "3"]
    assert [x.key for x in goal.metrics_due(Period(2026, 4))] == ["1", "2", "3"]


def test_spring_surveys_are_asked_in_the_second_quarter(kokemaki: Catalogue) -> None:
    for metric_id in ("TAK-1.1", "TAK-2.1"):
        m = metric(kokemaki, metric_id)
        assert due_periods(m, kokemaki) == ["2026Q2", "2027Q2", "2028Q2", "2029Q2"], metric_id


def test_quarterly_metric_is_asked_every_quarter(kokemaki: Catalogue) -> None:
    assert len(due_periods(metric(kokemaki, "STR-3.1"), kokemaki)) == 15


# ---------------------------------------------------------------- the reader on small files

GOOD = """\
[catalogue]
id = "test"
municipality = "Kokemäki"
title = "Testi"
first_period = "2026Q2"
last_period = "2029Q4"

[[roles]]
id = "rakennustarkastaja"
name = "Rakennustarkastaja"

[[bodies]]
id = "lautakunta"
name = "Lautakunta"

[[departments]]
id = "tekninen"
name = "Tekninen osasto"
head_role = "rakennustarkastaja"

[[areas]]
id = "rakennusvalvonta"
name = "Rakennusvalvonta"
department = "tekninen"
owner_role = "rakennustarkastaja"

[[goals]]
id = "RV-1"
tier = "area"
body = "lautakunta"
department = "tekninen"
area = "rakennusvalvonta"
title = "Rakentamisluvat käsitellään nopeasti."
owner_role = "rakennustarkastaja"

  [[goals.metrics]]
  key = "1"
  name = "Kaavaluonnos valmis viimeistään 31.12.2026."
  kind = "yes_no"
  cadence = { every = "once", by = 2026-12-31 }
  baseline = { value = false, note = "Ei" }
  target = { rule = "done", value = true, by = 2026-12-31 }

  [[goals.metrics]]
  key = "2"
  name = "Kysely"
  kind = "survey"
  scale = [1, 4]
  baseline = { value = "3,6" }
  target = { rule = "at_least_previous" }
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(text, source="test.toml")
    assert caught.value.source == "test.toml"
    return [str(p) for p in caught.value.problems]


def test_good_snippet_reads() -> None:
    catalogue = parse_catalogue(GOOD)
    goal: Goal = catalogue.goal("rv-1")
    assert goal.metric("2").baseline.value == Decimal("3.6")
    assert goal.metric("1").target.by == date(2026, 12, 31)


def test_every_problem_is_reported_in_one_run_with_its_place() -> None:
    bad = (
        GOOD.replace(
            'owner_role = "rakennustarkastaja"\n\n  [[goals.metrics]]',
            'owner_role = "rakennustarkastja"\n\n  [[goals.metrics]]',
        )
        .replace(
            'cadence = { every = "once", by = 2026-12-31 }',
            'cadence = { every = "once", by = "31.12.2026" }',
        )
        .replace("scale = [1, 4]\n", "")
        .replace(
            'baseline = { value = false, note = "Ei" }', 'baseline = { value = "Ei", note = "Ei" }'
        )
        .replace('title = "Testi"', 'title = "Testi"\ncolour = "sininen"')
        .replace(
            '[[bodies]]\nid = "lautakunta"\nname = "Lautakunta"',
            '[[bodies]]\nid = "lautakunta"\nname = "Lautakunta"\nnimi = "x"',
        )
    )
    bad += GOOD[GOOD.index("[[goals]]") :]  # the same goal once more
    problems = problems_of(bad)
    expected = [
        "catalogue.colour: unknown key",
        "bodies[0].nimi: unknown key",
        "goals[RV-1].owner_role: unknown role 'rakennustarkastja'",
        "goals[RV-1].metrics[1].cadence.by: '31.12.2026' is not a date (write 2026-12-31)",
        "goals[RV-1].metrics[1].baseline.value: a yes/no metric takes true or false",
        'goals[RV-1].metrics[2].scale: a survey needs a scale such as [1, 5], or unit = "%"',
        "goals[RV-1]: id used twice",
    ]
    for problem in expected:
        assert problem in problems
    assert len(problems) == len(expected)


def test_bad_toml_syntax_is_one_problem_with_the_line() -> None:
    problems = problems_of(GOOD.replace('title = "Testi"', 'title = "Testi'))
    assert len(problems) == 1
    assert problems[0].startswith("file: not valid TOML")
    assert "line 4" in problems[0]


def test_unknown_keys_are_reported_at_every_level() -> None:
    bad = (
        GOOD.replace('  key = "2"', '  key = "2"\n  unti = "%"')
        .replace(
            'target = { rule = "at_least_previous" }',
            'target = { rule = "at_least_previous", valeu = 3 }',
        )
        .replace('id = "RV-1"', 'id = "RV-1"\nowner = "x"')
    )
    assert sorted(problems_of(bad)) == [
        "goals[RV-1].metrics[2].target.valeu: unknown key",
        "goals[RV-1].metrics[2].unti: unknown key",
        "goals[RV-1].owner: unknown key",
    ]


def test_rules_must_fit_the_kind_and_have_what_they_need() -> None:
    bad = GOOD.replace(
        'target = { rule = "done", value = true, by = 2026-12-31 }',
        'target = { rule = "at_least", value = true }',
    ).replace('target = { rule = "at_least_previous" }', 'target = { rule = "reach" }')
    assert sorted(problems_of(bad)) == [
        "goals[RV-1].metrics[1].target.rule: a yes/no metric is judged by rule 'done'",
        "goals[RV-1].metrics[2].target.by: rule 'reach' needs the date 'by'",
        "goals[RV-1].metrics[2].target.value: rule 'reach' needs a target value",
    ]


def test_a_file_that_does_not_exist(tmp_path: Path) -> None:
    problems = check_catalogue(tmp_path / "missing.toml")
    assert [str(p) for p in problems] == ["file: does not exist"]


def test_meanings_links_and_tables_are_checked() -> None:
    bad = (
        GOOD.replace(
            '  kind = "yes_no"\n',
            '  kind = "yes_no"\n  meaning = "recurring"\n  same_as = "RV-1.9"\n',
        )
        .replace(
            '  kind = "survey"\n',
            '  kind = "survey"\n  meaning = "state"\n',
        )
        .replace(
            'target = { rule = "at_least_previous" }',
            'target = { rule = "at_least_previous", also = "maintain", compared_with = "eilen" }',
        )
    )
    bad += """
[[tables]]
tier = "area"
body = "lautakunta"
department = "tekninen"
title = "Teknisen osaston vastuualueiden tavoitteet"
sheet = "Tekninen- ja ympäristölautakunta"
"""
    problems = problems_of(bad)
    for expected in (
        "goals[RV-1].metrics[1].cadence: a recurring action needs a yearly, odd_years or "
        "even_years cadence",
        "goals[RV-1].metrics[1].same_as: unknown metric 'RV-1.9'",
        "goals[RV-1].metrics[2].meaning: only a yes/no metric has a meaning",
        "goals[RV-1].metrics[2].target.also: 'maintain' is not one of: increase, decrease",
        "goals[RV-1].metrics[2].target.compared_with: 'eilen' is not one of: previous, baseline, "
        "year_before",
        "tables[0].sheet: at most 31 characters, not 32",
    ):
        assert expected in problems, problems


def test_a_goal_outside_every_listed_table_is_a_problem() -> None:
    text = (
        GOOD
        + """
[[tables]]
tier = "department"
body = "lautakunta"
department = "tekninen"
title = "Väärä taulukko"
"""
    )
    assert "goals[RV-1]: is in none of the [[tables]]" in problems_of(text)


def test_tables_given_keep_their_order_and_headings(kokemaki: Catalogue) -> None:
    tables = kokemaki.adopted_tables()
    assert [(t.tier.value, t.body, t.department) for t in tables] == [
        ("strategic", "valtuusto", None),
        ("department", "valtuusto", "hallinto"),
        ("department", "valtuusto", "sivistys"),
        ("department", "valtuusto", "tekninen"),
        ("area", "elinvoimalautakunta", "hallinto"),
        ("area", "kaupunginhallitus", "hallinto"),
        ("area", "sivistyslautakunta", "sivistys"),
        ("area", "tekninen-lautakunta", "tekninen"),
    ]
    assert all(sum(t.holds(g) for t in tables) == 1 for g in kokemaki.goals)
    assert kokemaki.area("tekninen-hallinto").table_name == "Hallinto"


def test_a_figure_says_when_it_becomes_known() -> None:
    text = GOOD.replace(
        '  kind = "survey"\n  scale = [1, 4]\n',
        '  kind = "survey"\n  scale = [1, 4]\n  known_after = 1\n',
    ).replace('title = "Testi"', 'title = "Testi"\nasked_rounds = 2')
    catalogue = parse_catalogue(text)
    assert catalogue.goal("RV-1").metric("2").lag == 1
    assert catalogue.asked_rounds == 2
    # the term's last figures are asked in the rounds after it
    assert catalogue.last_round == Period(2030, 2)
    assert catalogue.has_round(Period(2030, 2)) and not catalogue.has_round(Period(2030, 3))


def test_a_yes_no_is_not_known_later_and_a_lag_has_a_limit() -> None:
    bad = GOOD.replace('  kind = "yes_no"\n', '  kind = "yes_no"\n  known_after = 1\n').replace(
        '  kind = "survey"\n', '  kind = "survey"\n  known_after = 9\n'
    )
    assert problems_of(bad) == [
        "goals[RV-1].metrics[1].known_after: only a figure is known after its period",
        "goals[RV-1].metrics[2].known_after: at most 8 quarters, not 9",
    ]
    assert problems_of(GOOD.replace('title = "Testi"', 'title = "Testi"\nasked_rounds = 0')) == [
        "catalogue.asked_rounds: must be at least 1, not 0"
    ]


def test_the_shipped_statistics_are_asked_in_the_next_year(kokemaki: Catalogue) -> None:
    for metric_id in ("STR-4.1", "STR-5.1", "STR-6.1", "STR-7.1", "TILA-1.1", "TILA-2.1"):
        m = metric(kokemaki, metric_id)
        assert m.lag == 1 and m.describes(Period(2027, 1)) == Period(2026, 4), metric_id
    assert metric(kokemaki, "STR-2.1").lag == 2  # emissions: spring of the next year
    assert metric(kokemaki, "STR-3.1").lag == 1  # a month's unemployment: a month later
    assert kokemaki.last_round == Period(2030, 4)
