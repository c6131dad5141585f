"""Start-up: the one place where a configuration becomes the services' context.

``goalbot run``, every CLI command and the tests start here, so they all work on the same
database in the same state: migrated, with the configured texts, and with the configured
catalogue as the active one (loaded again when its file changed, as the bot does at start).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from goalbot.config import Config
from goalbot.reporting.folders import use_template_folder
from goalbot.services.catalogue import ensure_catalogue
from goalbot.services.context import AppContext
from goalbot.services.leadership import settle_interrupted
from goalbot.storage.database import Database, require_existing, upgrade_database
from goalbot.storage.models import utcnow

log = logging.getLogger(__name__)


def bootstrap(
    config: Config,
    *,
    clock: Callable[[], datetime] = utcnow,
    create: bool = False,
    catalogue: bool = True,
    delivers: bool = False,
) -> AppContext:
    """The services' context for ``config``: connected, migrated, texts and catalogue in place.

    ``create``: make the database if there is none (the bot and ``db upgrade``; other commands
    refuse a database nobody created). ``catalogue``: make the configured catalogue the active
    one (off for the commands that manage catalogues themselves). ``delivers``: this process
    sends the outbox (the bot): sends a stopped bot left half-done are marked, never repeated.
    """
    use_template_folder(config.texts.templates)
    database = Database.connect(config.database.url, config.database.echo, create)
    if not create:
        require_existing(database)
    applied = upgrade_database(database.engine)
    if applied:
        log.info(
            "database migrated: %s",
            ", ".join(f"{m.revision} {m.description}" for m in applied),
            extra={"event": "database_migrated", "migrations": len(applied)},
        )
    ctx = AppContext(config=config, db=database, clock=clock)
    if catalogue:
        report = ensure_catalogue(ctx)
        if report is not None:
            log.info(
                "catalogue %s loaded: %d added, %d updated, %d retired",
                report.catalogue_id,
                len(report.added),
                len(report.updated),
                len(report.retired),
            )
    if delivers:
        settle_interrupted(ctx)
    return ctx
