"""The examples a question gives ("esim. 11,9") are answers the bot accepts for that metric."""

from __future__ import annotations

import re

from goalbot.catalogues import shipped_catalogue_path
from goalbot.domain.answers import parse_number
from goalbot.domain.goals import MetricKind
from goalbot.reporting.rendering import environment
from goalbot.services.catalogue import read_catalogue_file

EXAMPLES = re.compile(r"esim\. (.+?)\.?$")


def test_every_example_in_a_question_is_a_valid_answer() -> None:
    catalogue = read_catalogue_file(shipped_catalogue_path())[1]
    macros = environment().get_template("fi/chat/_macros.html.j2").module
    kinds_with_examples = set()
    for metric in catalogue.metrics():
        hint = str(macros.how_to_answer(metric))  # type: ignore[attr-defined]
        found = EXAMPLES.search(hint)
        if found is None:
            continue
        kinds_with_examples.add(metric.kind)
        for example in found.group(1).split(" tai "):
            parse_number(example, metric)  # raises InvalidAnswer for a wrong example
    # yes/no is answered by button; a count's question asks for a whole number without one
    assert kinds_with_examples == set(MetricKind) - {MetricKind.YES_NO, MetricKind.COUNT}
