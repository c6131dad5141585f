"""The log: text or JSON lines, event fields kept, the bot token never written."""

from __future__ import annotations

import io
import json
import logging

from goalbot.config import LoggingConfig
from goalbot.logs import setup_logging

TOKEN = "123456789:AAHk-secret-part-of-the-token-000000"


def test_the_token_is_never_written(restore_logging: None) -> None:
    stream = io.StringIO()
    setup_logging(LoggingConfig(), secrets=[TOKEN], stream=stream)
    log = logging.getLogger("telegram.ext._utils.networkloop")
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        log.exception("Network Retry Loop (Bootstrap Initialize): Invalid token. Aborting.")
    logging.getLogger("httpx").warning("POST https://api.telegram.org/bot%s/getMe", TOKEN)
    # a token of another bot, e.g. in a URL copied into a message, is caught by its shape
    logging.getLogger("goalbot.x").warning("bot 987654321:%s", "B" * 35)
    written = stream.getvalue()
    assert "secret-part" not in written and "BBBBBBBB" not in written
    assert "The token `[token]` was rejected" in written
    assert "/bot[token]/getMe" in written


def test_json_lines_carry_the_event_fields(restore_logging: None) -> None:
    stream = io.StringIO()
    setup_logging(LoggingConfig(format="json"), stream=stream)
    logging.getLogger("goalbot.chat.jobs").info(
        "round Q4/2026 opened: %d reminders queued",
        12,
        extra={"event": "round_opened", "period": "2026Q4", "queued": 12},
    )
    entry = json.loads(stream.getvalue().strip())
    assert entry["message"] == "round Q4/2026 opened: 12 reminders queued"
    assert (entry["event"], entry["period"], entry["queued"]) == ("round_opened", "2026Q4", 12)
    assert entry["level"] == "INFO" and entry["logger"] == "goalbot.chat.jobs"


def test_debug_is_for_goalbot_s_own_lines(restore_logging: None) -> None:
    stream = io.StringIO()
    setup_logging(LoggingConfig(level="debug"), stream=stream)
    logging.getLogger("goalbot.services").debug("goalbot detail")
    # PTB's debug lines carry the texts people typed
    logging.getLogger("telegram.ext.Application").debug("Processing update: 'my answer'")
    logging.getLogger("telegram.ext.Application").info("Application started")
    written = stream.getvalue()
    assert "goalbot detail" in written and "Application started" in written
    assert "my answer" not in written
    setup_logging(LoggingConfig(level="warning"), stream=stream)
    logging.getLogger("goalbot.services").info("not shown")
    assert "not shown" not in stream.getvalue()


def test_a_job_cancelled_by_the_stop_is_no_error_in_the_log() -> None:
    import asyncio
    import io
    import logging

    from goalbot.config import LoggingConfig
    from goalbot.logs import setup_logging

    stream = io.StringIO()
    handler = setup_logging(LoggingConfig(), stream=stream)
    try:
        scheduler = logging.getLogger("apscheduler.executors.default")
        try:
            raise asyncio.CancelledError
        except asyncio.CancelledError:
            scheduler.exception("Error running job 1")
        try:
            raise RuntimeError("a real failure")
        except RuntimeError:
            scheduler.exception("Error running job 2")
    finally:
        logging.getLogger().removeHandler(handler)
    assert "job 1" not in stream.getvalue()
    assert "job 2" in stream.getvalue() and "a real failure" in stream.getvalue()
