"""The examples a question gives ("esim. 11,9") are answers the bot accepts for that metric."""

from __future__ import annotations

import re

from goalbot.catalogues import shipped_catalogue_path
from goalbot.domain.answers import parse_number
from goalbot.domain.catalogue_file import read_catalogue
from goalbot.domain.goals import MetricKind
from goalbot.reporting.rendering import environment

EXAMPLES = re.compile(r"esim\. (.+?)\.?$")


def test_every_example_in_a_question_is_a_valid_answer() -> None:
    catalogue = read_catalogue(shipped_catalogue_path())
    macros = environment().get_template("fi/chat/_macros.html.j2").make_module({"lang": "fi"})
    kinds_with_examples = set()
    for metric in catalogue.metrics():
        hint = str(vars(macros)["how_to_answer"](metric))
        found = EXAMPLES.search(hint)
        if found is None:
            continue
        kinds_with_examples.add(metric.kind)
        for example in found.group(1).split(" tai "):
            parse_number(example, metric)  # raises InvalidAnswer for a wrong example
    # yes/no is answered by button
    assert kinds_with_examples == set(MetricKind) - {MetricKind.YES_NO}


def test_the_example_is_in_the_metrics_own_unit() -> None:
    catalogue = read_catalogue(shipped_catalogue_path())
    macros = environment().get_template("fi/chat/_macros.html.j2").make_module({"lang": "fi"})
    how_to_answer = vars(macros)["how_to_answer"]
    hints = {m.id: str(how_to_answer(m)) for m in catalogue.metrics()}
    assert hints["STR-6.1"].endswith("esim. 2\u00a0373 €/as.")
    assert hints["TILA-2.1"].endswith("esim. 11\u00a0715 kg/vuosi.")
    assert hints["STR-4.1"].endswith("esim. \u221220 hlö.")
    assert hints["STR-2.1"].endswith("esim. 8,0 tCO₂/as.")
    assert hints["YH-8.4"].endswith("esim. 50 kontaktia.")
