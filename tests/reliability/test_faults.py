"""A fifth of the bot's calls to the Bot API fail, over a whole quarter with 200 owners.

429 with retry_after, 500 and 502 answers, read timeouts after the request was sent (with and
without Telegram acting on it), connections dropped before the request arrived and after
Telegram acted on it: every owner gets exactly one reminder (one that may have arrived is
never repeated by the bot; those that did not arrive are reported and resent by an
administrator), no answer is lost or applied twice, and the summary is posted once, complete.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.botapi import FakeBotApi, Fault
from tests.reliability.campaign import quarter

pytestmark = [pytest.mark.slow, pytest.mark.reliability, pytest.mark.timeout(600)]
OWNERS = 200
RATE = 0.2
READ_TIMEOUT = 2.0


def test_a_fifth_of_the_calls_fail(botapi: FakeBotApi, tmp_path: Path) -> None:
    # one yes/no each, and owners who wait a while before asking again: a fifth of the bot's
    # replies are lost, and 200 owners asking again and again would only swamp it
    run = quarter(
        "faults",
        botapi,
        tmp_path,
        None,
        OWNERS,
        seed=20,
        read_timeout=READ_TIMEOUT,
        figures=False,
        patience=20.0,
    )
    late = READ_TIMEOUT + 0.5
    kinds = [
        Fault.rate_limit(retry_after=1),
        Fault.server_error(status=502),
        Fault.server_error(status=500),
        Fault.delay(seconds=late, perform=True),  # Telegram acted, the answer came too late
        Fault.delay(seconds=late),  # nothing happened, and no answer in time either
        Fault.drop(),  # the connection closed before anything happened
        Fault.drop(perform=True),  # Telegram acted, then the connection closed
    ]
    with run.bot:
        run.driver.random_faults(RATE, kinds, seed=20)  # every method but getUpdates
        run.fan_out(0)
        # the administrators resend the reminders that did not arrive (the owners without one
        # could not start), and the faults go on
        run.repair()
        run.driver.random_faults(RATE, kinds, seed=21)
        run.answering(0, timeout=400)
        run.close(0)
        faults = len(run.driver.faults_triggered)
        run.repair()
        figures = run.count()
    print(f"faults injected: {faults}")
    assert faults > OWNERS  # the faults did happen, and often
    figures.check(summaries=1)
