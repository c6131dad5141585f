"""Several ``goalbot run`` on one PostgreSQL database: one leads, the others stand by.

Webhook mode: three processes behind a round-robin proxy share Telegram's posts; 200 owners are
reminded, answer and confirm, and the round's summary goes out, while the leader is killed
(SIGKILL) in the middle of the fan-out, during the answering and while the summary goes out. A
standby takes over within 30 seconds each time; every owner gets exactly one reminder, every
answer is applied once, the summary is posted once. Polling mode: two processes, and only the
leader polls; the standby polls once the leader is killed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import postgres_database
from tests.fakes.botapi import FakeBotApi
from tests.reliability.campaign import quarter
from tests.reliability.cluster import TAKEOVER_LIMIT, Clusters

pytestmark = [pytest.mark.slow, pytest.mark.reliability, pytest.mark.timeout(900)]
SECRET = "goalbot-cluster_secret"
WEBHOOK_PATH = "/goalbot/telegram"
OWNERS = 200
KILLS = {"fan_out": 1, "answering": 2, "close": 1}
CONFLICT = "terminated by other getUpdates request"


def test_three_instances_by_webhook_with_the_leader_killed(
    botapi: FakeBotApi, tmp_path: Path
) -> None:
    with Clusters(3, WEBHOOK_PATH, SECRET) as clusters, postgres_database() as url:
        run = quarter(
            "three instances, webhook",
            botapi,
            tmp_path,
            url,
            OWNERS,
            seed=15,
            figures=False,
            bots=clusters,
        )
        with run.bot:
            run.fan_out(KILLS["fan_out"])
            # the reminders in flight at a kill are reported; the administrators resend those
            # that did not arrive (an owner without one cannot start)
            run.repair()
            run.answering(KILLS["answering"], timeout=400)
            run.close(KILLS["close"])
            run.repair()
            figures = run.count()
        cluster, proxy = clusters.cluster, clusters.proxy
        assert proxy is not None
        print(
            f"takeovers (s): {[round(t, 1) for t in cluster.takeovers]}; "
            f"posts answered by each instance: {proxy.posts}"
        )
        assert not botapi.driver.requests_for("getUpdates")  # nobody polled
    figures.check(summaries=1)
    assert figures.kills == sum(KILLS.values())
    assert all(t < TAKEOVER_LIMIT for t in cluster.takeovers), cluster.takeovers
    assert all(count > 0 for count in proxy.posts.values()), proxy.posts  # spread over all


def test_two_instances_polling_only_the_leader_polls(botapi: FakeBotApi, tmp_path: Path) -> None:
    with Clusters(2) as clusters, postgres_database() as url:
        run = quarter(
            "two instances, polling",
            botapi,
            tmp_path,
            url,
            10,
            seed=16,
            figures=False,
            bots=clusters,
        )
        cluster = clusters.cluster
        with run.bot:
            first, second = cluster.members
            assert cluster.leader(timeout=10) is first
            time.sleep(8)  # both run a while: the standby does not poll meanwhile
            assert cluster.logged(second, "stands by")
            assert not cluster.logged(second, "leads now")
            assert not [e for e in botapi.driver.semantic_errors if CONFLICT in e.description]
            polls = len(botapi.driver.requests_for("getUpdates"))
            cluster.kill()  # the leader: the standby takes over and polls
            assert cluster.leader(timeout=1) is second
            assert cluster.logged(second, "leads now")
            botapi.driver.wait_until_sync(
                lambda: len(botapi.driver.requests_for("getUpdates")) > polls + 1, timeout=30
            )
            run.fan_out(0)
            run.answering(0)
            run.close(0)
            figures = run.count()
        assert not [e for e in botapi.driver.semantic_errors if CONFLICT in e.description]
    figures.check(summaries=1)
    assert cluster.takeovers and cluster.takeovers[0] < TAKEOVER_LIMIT, cluster.takeovers
