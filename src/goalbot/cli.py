"""The ``goalbot`` command line: run the bot and administer goals, owners and reports."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from goalbot import __version__
from goalbot.domain.protocol import DEFAULT_ENTERED_BY

if TYPE_CHECKING:
    from goalbot.config import Config
    from goalbot.services.context import AppContext, ServiceError

# Each command imports what it uses when it runs: '--help' and a mistyped command answer
# without loading the database layer, the catalogue or the texts.

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_CONFIG = 78  # sysexits' EX_CONFIG: systemd's RestartPreventExitStatus does not restart it
EXIT_ALREADY_RUNNING = 75  # sysexits' EX_TEMPFAIL: another bot holds the database


class CliError(Exception):
    """A failure to report as one line on stderr."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One clear line instead of argparse's usage dump.
        raise CliError(f"{self.prog}: {message} (see '{self.prog} --help')", EXIT_USAGE)


def _common_options(defaults: bool) -> argparse.ArgumentParser:
    """--config and --debug, accepted before and after the subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    # after the subcommand they must not reset what was given before it
    unset: dict[str, Any] = {} if defaults else {"default": argparse.SUPPRESS}
    common.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="config file (default: $GOALBOT_CONFIG, else built-in defaults)",
        **unset,
    )
    common.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of an error (normally one line)",
        **unset,
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _Parser(
        prog="goalbot",
        description="Quarterly goal reporting on Telegram.",
        parents=[_common_options(defaults=True)],
    )
    parser.add_argument("--version", action="version", version=f"goalbot {__version__}")
    common = [_common_options(defaults=False)]

    def group(parent: argparse.ArgumentParser, dest: str, metavar: str) -> Any:
        commands = parent.add_subparsers(dest=dest, metavar=metavar, parser_class=_Parser)
        commands.required = True
        return commands

    def command(commands: Any, name: str, help: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = commands.add_parser(
            name, help=help, description=help, parents=common
        )
        return sub

    commands = group(parser, "command", "COMMAND")
    command(commands, "run", "run the bot")
    command(commands, "health", "exit 0 if the bot is running and reaching Telegram, else say why")

    db_commands = group(command(commands, "db", "database maintenance"), "db_command", "ACTION")
    command(db_commands, "upgrade", "create the database or apply the migrations it lacks")
    command(db_commands, "current", "the database's migration and the newest one goalbot knows")
    command(db_commands, "history", "every migration goalbot knows, marking the applied ones")

    backup = command(commands, "backup", "copy the database to a file (safe while the bot runs)")
    backup.add_argument("file", type=Path, help="the backup file to write (must not exist)")
    restore = command(commands, "restore", "replace the database's contents with a backup")
    restore.add_argument("file", type=Path, help="a file written by 'goalbot backup'")
    restore.add_argument(
        "--yes", action="store_true", help="confirm that the current contents are replaced"
    )

    cfg_commands = group(
        command(commands, "config", "the configuration"), "config_command", "ACTION"
    )
    command(cfg_commands, "check", "report every problem of the configuration at once")

    cat_commands = group(
        command(commands, "catalogue", "the goal catalogue"), "catalogue_command", "ACTION"
    )
    load = command(cat_commands, "load", "load a catalogue file into the database")
    load.add_argument(
        "file", type=Path, nargs="?", help="catalogue file (default: the configured one)"
    )
    show = command(cat_commands, "show", "print the catalogue by tier, body, department")
    show.add_argument(
        "file", type=Path, nargs="?", help="a catalogue file (default: the one in the database)"
    )
    check = command(cat_commands, "check", "report every problem of a catalogue file")
    check.add_argument("file", type=Path, help="the catalogue file (TOML) to check")

    own_commands = group(
        command(commands, "owners", "goal owners and deputies"), "owners_command", "ACTION"
    )
    role_help = "role id, as 'goalbot owners list' shows them"
    person_help = "person id, @username or name"
    invite = command(own_commands, "invite", "print a single-use invite link for a role")
    invite.add_argument("--role", required=True, help=role_help)
    invite.add_argument("--name", required=True, help="the person's name")
    invite.add_argument("--deputy", action="store_true", help="invite a deputy, not the owner")
    command(own_commands, "list", "list roles with their owners and deputies")
    invites = command(own_commands, "invites", "list the invites not yet used, or revoke one")
    invites.add_argument(
        "action", nargs="?", choices=["list", "revoke"], default="list", help="list (default)"
    )
    invites.add_argument(
        "ref", nargs="?", help="for revoke: the invite's id as listed, or a role id (all of its)"
    )
    assign = command(own_commands, "assign", "give a role to a person the bot knows")
    assign.add_argument("--role", required=True, help=role_help)
    assign.add_argument("--person", required=True, help=person_help)
    assign.add_argument("--deputy", action="store_true", help="as the deputy, not the owner")
    pause = command(own_commands, "pause", "pause a person's nudges until a date")
    pause.add_argument("--person", required=True, help=person_help)
    pause.add_argument(
        "--until", required=True, help="last day of the pause (2026-12-31), or 'off' to resume"
    )
    revoke = command(own_commands, "revoke", "take a role away from its holder")
    revoke.add_argument("--role", required=True, help=role_help)
    revoke.add_argument("--deputy", action="store_true", help="the deputy, not the owner")

    person_commands = group(
        command(commands, "person", "one person's data: export or erase it"),
        "person_command",
        "ACTION",
    )
    person_export = command(person_commands, "export", "everything held about a person, as JSON")
    person_export.add_argument("who", help=person_help)
    person_export.add_argument(
        "--output", type=Path, help="file to write (default: standard output)"
    )
    person_erase = command(
        person_commands, "erase", "remove a person's data; their reported figures stay"
    )
    person_erase.add_argument("who", help=person_help)
    person_erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    answer_commands = group(
        command(commands, "answers", "figures entered for the roles by an administrator"),
        "answers_command",
        "ACTION",
    )
    by_help = f"whom the figures are recorded as entered by (default: {DEFAULT_ENTERED_BY})"
    answers_import = command(
        answer_commands,
        "import",
        "record the figures of a CSV or XLSX file (metric, period, value, comment), or none",
    )
    answers_import.add_argument("file", type=Path, help="the file: a header row, then one per line")
    answers_import.add_argument("--by", default=DEFAULT_ENTERED_BY, help=by_help)
    answers_set = command(answer_commands, "set", "record one figure for its role")
    answers_set.add_argument("metric", help="metric id, e.g. STR-5.1")
    answers_set.add_argument(
        "period", help="the period it describes: 2026Q4, or the year (2026) for a year's figure"
    )
    answers_set.add_argument("value", help="the figure as the chat takes it: 11,9 or -85 or yes")
    answers_set.add_argument("--comment", default="", help="kept with the figure")
    answers_set.add_argument("--by", default=DEFAULT_ENTERED_BY, help=by_help)

    send_commands = group(
        command(commands, "sends", "messages the bot sent on its own that may not have arrived"),
        "sends_command",
        "ACTION",
    )
    sends_list = command(send_commands, "list", "sends that did not surely arrive")
    sends_list.add_argument("--all", action="store_true", help="also those sent again")
    resend = command(send_commands, "resend", "send again what did not surely arrive")
    resend.add_argument("ids", nargs="+", type=int, metavar="ID", help="as 'sends list' shows")
    resend.add_argument(
        "--parts",
        metavar="N,N",
        help="only these parts of a long send, as 'sends list' numbers them (one ID)",
    )

    now_help = "do it now (required: a reminder that this acts at once)"
    remind = command(commands, "remind", "open the current period's answering round")
    remind.add_argument("--now", action="store_true", required=True, help=now_help)
    remind.add_argument("--period", help="period such as 2026Q2 (default: the current one)")
    close = command(commands, "close", "close the open answering round")
    close.add_argument("--now", action="store_true", required=True, help=now_help)
    close.add_argument("--period", help="period such as 2026Q2 (default: the open one)")

    round_commands = group(
        command(commands, "round", "change a round's deadline: extend it, or reopen a closed one"),
        "round_command",
        "ACTION",
    )
    until_help = "the new last day (2027-01-25); the round closes at the configured closing time"
    reopen = command(round_commands, "reopen", "open a closed round again until a day")
    reopen.add_argument("--period", required=True, help="period such as 2026Q4")
    reopen.add_argument("--until", required=True, help=until_help)
    extend = command(round_commands, "extend", "move the open round's deadline to a later day")
    extend.add_argument("--until", required=True, help=until_help)
    extend.add_argument("--period", help="period such as 2026Q4 (default: the open one)")

    summary = command(commands, "summary", "send a round's summary to the group again")
    summary.add_argument("--period", required=True, help="period such as 2026Q2")

    audit = command(commands, "audit", "every change recorded: who, when, what, old → new")
    audit.add_argument("--person", help=person_help)
    audit.add_argument("--goal", help="goal id, as 'goalbot catalogue show' lists them")
    audit.add_argument("--since", help="first day (2026-12-01)")
    audit.add_argument("--period", help="period such as 2026Q2")
    audit.add_argument("--format", choices=["text", "json"], default="text", help="text or json")

    sch_commands = group(
        command(commands, "schedule", "the reporting calendar"), "schedule_command", "ACTION"
    )
    command(sch_commands, "show", "the coming year's dates")

    status = command(commands, "status", "the status report, as /status gives it")
    status.add_argument(
        "scope",
        nargs="?",
        default="",
        help="department, responsibility area or goal id (default: all)",
    )
    status.add_argument("--period", help="period such as 2026Q2 (default: the latest)")
    status.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="text (as /status) or json (docs/report-schema.json)",
    )

    export = command(commands, "export", "export a period's filled-in goal tables")
    export.add_argument("--period", required=True, help="period such as 2026Q2")
    export.add_argument(
        "--format",
        required=True,
        choices=["xlsx", "docx", "csv", "json"],
        help="xlsx (Excel), docx (Word), csv or json (docs/report-schema.json)",
    )
    export.add_argument(
        "--output",
        type=Path,
        help="file to write, - for standard output (default: goalbot-PERIOD.EXT)",
    )
    export.add_argument(
        "--audit",
        action="store_true",
        help="add the period's audit log (xlsx: a sheet of its own; json: a list)",
    )

    sandbox = command(
        commands,
        "sandbox",
        "rehearse without Telegram: the real bot in a web chat, against goalbot's own "
        "Bot API emulator, with a clock to move and a database of its own",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to serve the page on")
    sandbox.add_argument("--port", type=_port, default=8080, help="port of the page (8080)")
    sandbox.add_argument(
        "--catalogue", type=Path, metavar="FILE", help="rehearse this catalogue file"
    )
    sandbox.add_argument(
        "--database",
        type=Path,
        metavar="FILE",
        default=Path("goalbot-sandbox.sqlite3"),
        help="the sandbox's own SQLite file (default: goalbot-sandbox.sqlite3 here)",
    )
    sandbox.add_argument("--reset", action="store_true", help="start afresh (delete it first)")
    sandbox.add_argument(
        "--date", help="the bot's date when a fresh sandbox starts (2026-12-01; default: today)"
    )
    return parser


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return int(text)


def _context(config: Config) -> AppContext:
    """The services' context on the existing database, for the commands that manage catalogues."""
    from goalbot.bootstrap import bootstrap

    return bootstrap(config, catalogue=False)


def _context_with_catalogue(config: Config) -> AppContext:
    """The services' context with the configured catalogue in use, as the bot has it."""
    from goalbot.bootstrap import bootstrap

    return bootstrap(config)


def cmd_db(args: argparse.Namespace, config: Config) -> int:
    from goalbot.reporting.rendering import render
    from goalbot.storage.database import (
        Database,
        database_revision,
        known_migrations,
        require_existing,
        safe_url,
        upgrade_database,
    )

    database = Database.connect(config.database.url, config.database.echo)
    url = safe_url(config.database.url)
    if args.db_command == "upgrade":
        applied = upgrade_database(database.engine)
        print(render("cli/db_upgraded.txt.j2", config.texts.language, url=url, applied=applied))
        return EXIT_OK
    require_existing(database)
    current, _head = database_revision(database.engine)
    steps = known_migrations(database.engine)
    revisions = [m.revision for m in steps]
    done = revisions[: revisions.index(current) + 1] if current in revisions else []
    print(
        render(
            f"cli/db_{args.db_command}.txt.j2",
            config.texts.language,
            url=url,
            current=current,
            migrations=steps,
            applied=done,
        )
    )
    return EXIT_OK


def cmd_catalogue(args: argparse.Namespace, config: Config) -> int:
    from goalbot.domain.catalogue_file import read_catalogue
    from goalbot.reporting.outline import outline
    from goalbot.reporting.rendering import render
    from goalbot.services import catalogue as catalogue_service

    action = args.catalogue_command
    if action == "check":
        _check_file(args.file)
        catalogue = read_catalogue(args.file)
        print(
            render(
                "cli/catalogue_ok.txt.j2",
                config.texts.language,
                catalogue=catalogue,
                path=args.file,
            )
        )
        return EXIT_OK
    if action == "show":
        if args.file is not None:
            _check_file(args.file)
            catalogue = read_catalogue(args.file)
        else:
            catalogue = catalogue_service.get_catalogue(_context_with_catalogue(config))
        print(
            render(
                "cli/catalogue_show.txt.j2",
                config.texts.language,
                catalogue=catalogue,
                outline=outline(catalogue),
            )
        )
        return EXIT_OK
    ctx = _context(config)
    if args.file is not None:
        _check_file(args.file)
    report = catalogue_service.load_catalogue(ctx, args.file)
    print(render("cli/catalogue_loaded.txt.j2", config.texts.language, report=report))
    return EXIT_OK


def _check_file(path: Path) -> None:
    if not path.exists():
        raise CliError(f"{path}: no such file")
    if path.is_dir():
        raise CliError(f"{path}: is a folder, not a catalogue file")


def cmd_owners(args: argparse.Namespace, config: Config) -> int:
    from goalbot.domain.periods import parse_day
    from goalbot.domain.protocol import HolderKind
    from goalbot.reporting.rendering import render
    from goalbot.services import owners as owner_service

    ctx = _context_with_catalogue(config)
    kind = HolderKind.DEPUTY if getattr(args, "deputy", False) else HolderKind.OWNER
    action = args.owners_command
    if action == "invite":
        invite = owner_service.invite_owner(ctx, args.role, args.name, kind, created_by="cli")
        username = _bot_username(ctx)
        print(
            render(
                "cli/invite.txt.j2",
                config.texts.language,
                invite=invite,
                username=username,
                timezone=config.schedule.zone,
            )
        )
    elif action == "list":
        print(
            render(
                "cli/owners.txt.j2", config.texts.language, owners=owner_service.list_owners(ctx)
            )
        )
    elif action == "invites":
        if args.action == "revoke":
            if not args.ref:
                raise CliError("goalbot: owners invites revoke needs an invite id or a role id")
            revoked = owner_service.revoke_invites(ctx, args.ref)
            print(
                render("cli/invites.txt.j2", config.texts.language, invites=revoked, revoked=True)
            )
        else:
            invites = owner_service.pending_invites(ctx)
            print(
                render(
                    "cli/invites.txt.j2",
                    config.texts.language,
                    invites=invites,
                    revoked=False,
                    timezone=config.schedule.zone,
                )
            )
    elif action == "pause":
        until = None if args.until.casefold() in ("off", "pois") else parse_day(args.until)
        if until is None and args.until.casefold() not in ("off", "pois"):
            raise CliError(
                f"goalbot: --until {args.until!r} is not a date (use 2026-12-31)", EXIT_USAGE
            )
        name, until = owner_service.pause_nudges(ctx, args.person, until)
        print(render("cli/paused.txt.j2", config.texts.language, name=name, until=until))
    elif action == "assign":
        binding = owner_service.assign_role(ctx, args.role, args.person, kind)
        print(render("cli/assigned.txt.j2", config.texts.language, binding=binding))
    else:
        name = owner_service.revoke_role(ctx, args.role, kind)
        print(
            render(
                "cli/revoked.txt.j2", config.texts.language, name=name, role=args.role, kind=kind
            )
        )
    return EXIT_OK


def _bot_username(ctx: AppContext) -> str | None:
    """The @username of the bot the token belongs to: remembered for that bot by the running
    bot, else asked from Telegram. Without a token: of the bot that ran on this database."""
    from goalbot.services import owners as owner_service

    token = ctx.config.telegram.token
    number = token.partition(":")[0]
    bot_id = int(number) if number.isdigit() else None
    known = owner_service.bot_username(ctx, bot_id)
    if known or not token:
        return known
    from goalbot.chat.botinfo import fetch_bot_username

    username = fetch_bot_username(ctx.config)
    if username and bot_id is not None:
        owner_service.remember_bot_username(ctx, bot_id, username)
    return username


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    config.require_token()
    from goalbot.chat.application import run_bot

    run_bot(config)
    return EXIT_OK


def cmd_backup(args: argparse.Namespace, config: Config) -> int:
    """``backup FILE``: a consistent copy, also while the bot runs; ``restore`` puts one back."""
    from goalbot.reporting.rendering import render
    from goalbot.storage.backup import backup_database, restore_database
    from goalbot.storage.database import Database, require_existing, safe_url

    database = Database.connect(config.database.url, config.database.echo)
    try:
        require_existing(database)
        if args.command == "backup":
            copied = backup_database(database.engine, args.file)
        else:
            copied = restore_database(database.engine, args.file, replace=args.yes)
    finally:
        database.dispose()
    url = safe_url(config.database.url)
    print(render(f"cli/{args.command}.txt.j2", config.texts.language, copied=copied, url=url))
    return EXIT_OK


def cmd_health(args: argparse.Namespace, config: Config) -> int:
    """``health``: 0 while the bot runs and reaches Telegram; otherwise one line why, and 1."""
    from goalbot.reporting.rendering import render
    from goalbot.services.context import AppContext
    from goalbot.services.health import health_of
    from goalbot.storage.database import Database, require_existing

    database = Database.connect(config.database.url, config.database.echo)
    try:
        require_existing(database)  # never creates one, never migrates
        health = health_of(AppContext(config=config, db=database))
    finally:
        database.dispose()
    print(
        render(
            "cli/health.txt.j2", config.texts.language, health=health, timezone=config.schedule.zone
        )
    )
    return EXIT_OK if health.healthy else EXIT_FAILURE


def cmd_status(args: argparse.Namespace, config: Config) -> int:
    from goalbot.domain.periods import Period
    from goalbot.reporting.report_texts import status_report

    ctx = _context_with_catalogue(config)
    period = Period.parse(args.period) if args.period else None
    if args.format == "json":
        from goalbot.reporting.export import status_json

        sys.stdout.write(status_json(ctx, args.scope, period))
        return EXIT_OK
    print(status_report(ctx, args.scope, period, fmt="text"))
    return EXIT_OK


def cmd_export(args: argparse.Namespace, config: Config) -> int:
    from goalbot.domain.periods import Period
    from goalbot.reporting.rendering import render

    period = Period.parse(args.period)
    from goalbot.reporting.export import export_period

    ctx = _context_with_catalogue(config)
    if args.audit and args.format not in ("xlsx", "json"):
        raise CliError("goalbot: --audit is for the xlsx and json exports", EXIT_USAGE)
    output = args.output or Path(f"goalbot-{period.key}.{args.format}")
    if str(output) != "-" and output.is_dir():
        raise CliError(f"{output}: is a folder; give a file name")
    data = export_period(ctx, period, args.format)
    if args.audit:
        from goalbot.reporting.audit_export import with_audit
        from goalbot.services.audit import audit_log

        entries = audit_log(ctx, period=period.key)
        data = with_audit(data, args.format, entries, config.texts.language)
    if str(output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return EXIT_OK
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise CliError(f"{output}: cannot write: {exc.strerror}") from exc
    print(
        render(
            "cli/exported.txt.j2", config.texts.language, path=output, period=period, size=len(data)
        )
    )
    return EXIT_OK


def cmd_remind(args: argparse.Namespace, config: Config) -> int:
    from goalbot.domain.periods import Period
    from goalbot.reporting.rendering import render
    from goalbot.scheduling.control import open_round_now

    period = Period.parse(args.period) if args.period else None
    ctx = _context_with_catalogue(config)
    opened = open_round_now(ctx, period)
    print(
        render(
            "cli/round_opened.txt.j2",
            config.texts.language,
            opened=opened,
            timezone=config.schedule.zone,
        )
    )
    return EXIT_OK


def cmd_close(args: argparse.Namespace, config: Config) -> int:
    from goalbot.domain.periods import Period
    from goalbot.reporting.rendering import render
    from goalbot.scheduling.control import close_round_now

    period = Period.parse(args.period) if args.period else None
    ctx = _context_with_catalogue(config)
    closed = close_round_now(ctx, period)
    print(render("cli/round_closed.txt.j2", config.texts.language, closed=closed))
    return EXIT_OK


def cmd_round(args: argparse.Namespace, config: Config) -> int:
    """``round reopen`` / ``round extend``: a new deadline; the owners who still owe are told."""
    from goalbot.domain.periods import Period
    from goalbot.reporting.rendering import render
    from goalbot.scheduling.control import extend_round_now, reopen_round_now

    until = _day("--until", args.until)
    assert until is not None
    period = Period.parse(args.period) if args.period else None
    ctx = _context_with_catalogue(config)
    if args.round_command == "reopen":
        assert period is not None
        changed = reopen_round_now(ctx, period, until)
    else:
        changed = extend_round_now(ctx, period, until)
    print(
        render(
            "cli/round_deadline.txt.j2",
            config.texts.language,
            changed=changed,
            timezone=config.schedule.zone,
        )
    )
    return EXIT_OK


def cmd_sends(args: argparse.Namespace, config: Config) -> int:
    from goalbot.reporting.rendering import render
    from goalbot.services import outbox

    ctx = _context_with_catalogue(config)
    if args.sends_command == "resend":
        ids = list(dict.fromkeys(args.ids))  # an id given twice is sent again once
        parts = _parts(args.parts)
        if parts and len(ids) > 1:
            raise CliError("goalbot: --parts is for one ID at a time", EXIT_USAGE)
        queued = [outbox.resend(ctx, send_id, parts) for send_id in ids]
        print(render("cli/sends_resent.txt.j2", config.texts.language, queued=queued, ids=ids))
        return EXIT_OK
    sends = outbox.undelivered_sends(ctx, everything=args.all)
    print(
        render(
            "cli/sends.txt.j2", config.texts.language, sends=sends, timezone=config.schedule.zone
        )
    )
    return EXIT_OK


def _parts(text: str | None) -> tuple[int, ...]:
    """``--parts 2,4``: the part numbers (none if not given); a usage error if it is no list."""
    if text is None:
        return ()
    items = [item.strip() for item in text.split(",")]
    if not all(item.isascii() and item.isdigit() and int(item) > 0 for item in items):
        raise CliError(
            f"goalbot: --parts {text!r} is not a list of part numbers (use 2,4)", EXIT_USAGE
        )
    return tuple(dict.fromkeys(int(item) for item in items))


def _day(option: str, text: str | None) -> date | None:
    """A date option's value (None if not given); a usage error if it is not a date."""
    from goalbot.domain.periods import parse_day

    if text is None:
        return None
    day = parse_day(text)
    if day is None:
        raise CliError(f"goalbot: {option} {text!r} is not a date (use 2026-12-01)", EXIT_USAGE)
    return day


def cmd_audit(args: argparse.Namespace, config: Config) -> int:
    from goalbot.domain.periods import Period
    from goalbot.reporting.export import json_text
    from goalbot.reporting.rendering import render
    from goalbot.services.audit import audit_log

    since = _day("--since", args.since)
    period = Period.parse(args.period).key if args.period else None
    ctx = _context(config)
    entries = audit_log(ctx, person=args.person, goal=args.goal, since=since, period=period)
    if args.format == "json":
        sys.stdout.write(json_text({"audit": [e.as_json() for e in entries]}))
        return EXIT_OK
    filtered = any(x is not None for x in (args.person, args.goal, since, period))
    print(
        render(
            "cli/audit.txt.j2",
            config.texts.language,
            entries=entries,
            filtered=filtered,
            timezone=config.schedule.zone,
        )
    )
    return EXIT_OK


def cmd_person(args: argparse.Namespace, config: Config) -> int:
    from goalbot.reporting.export import json_text
    from goalbot.reporting.rendering import render
    from goalbot.services import privacy

    ctx = _context(config)
    if args.person_command == "export":
        text = json_text(privacy.person_export(ctx, args.who))
        if args.output is None:
            sys.stdout.write(text)
            return EXIT_OK
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"{args.output}: cannot write: {exc.strerror}") from exc
        return EXIT_OK
    if not args.yes:
        found = privacy.person_export(ctx, args.who)["person"]
        print(
            render(
                "cli/person_erase_confirm.txt.j2",
                config.texts.language,
                name=found["name"],
                person_id=found["id"],
            )
        )
        try:
            from goalbot.reporting.cli_texts import translated

            prompt = f"Type {found['id']} to erase, anything else to stop: "
            answer = input(translated(prompt, config.texts.language))
        except EOFError:
            answer = ""
        if answer.strip() != str(found["id"]):
            raise CliError("goalbot: nothing erased (give --yes to erase without asking)")
    erasure = privacy.erase_person(ctx, args.who)
    print(render("cli/person_erased.txt.j2", config.texts.language, erasure=erasure))
    return EXIT_OK


def cmd_schedule(args: argparse.Namespace, config: Config) -> int:
    from goalbot.reporting.rendering import render
    from goalbot.scheduling.runner import coming_events
    from goalbot.services.events import event_states, round_states

    ctx = _context_with_catalogue(config)
    events = coming_events(ctx, ctx.now())
    states = event_states(ctx, [e.key for e in events])
    print(
        render(
            "cli/schedule.txt.j2",
            config.texts.language,
            events=events,
            states=states,
            rounds=round_states(ctx),
            timezone=config.schedule.zone,
        )
    )
    return EXIT_OK


def cmd_summary(args: argparse.Namespace, config: Config) -> int:
    from goalbot.domain.periods import Period
    from goalbot.reporting.rendering import render
    from goalbot.services.rounds import resend_summary

    period = Period.parse(args.period)
    ctx = _context_with_catalogue(config)
    resend_summary(ctx, period)
    print(render("cli/summary_queued.txt.j2", config.texts.language, period=period))
    return EXIT_OK


def cmd_sandbox(args: argparse.Namespace, config: Config) -> int:
    """The sandbox: runs until Ctrl-C, printing the page's address once it is up."""
    from goalbot.storage.database import sqlite_file

    if args.catalogue is not None:
        _check_file(args.catalogue)
    database = args.database.resolve()
    if database == sqlite_file(config.database.url):
        raise CliError(
            f"goalbot: {args.database} is the bot's own database; give the sandbox another"
        )
    start = _day("--date", args.date)
    # the bot and the emulator are loaded only for arguments that can start them
    from goalbot.reporting.rendering import render
    from goalbot.sandbox.runner import Sandbox, SandboxOptions, run_sandbox

    options = SandboxOptions(
        host=args.host,
        port=args.port,
        database=database,
        catalogue=args.catalogue,
        reset=args.reset,
        start=start,
    )

    def ready(sandbox: Sandbox) -> None:
        text = render(
            "cli/sandbox_ready.txt.j2",
            config.texts.language,
            url=sandbox.url,
            catalogue=sandbox.catalogue,
            database=sandbox.database,
        )
        print(text, flush=True)

    run_sandbox(config, options, ready)
    return EXIT_OK


def cmd_answers(args: argparse.Namespace, config: Config) -> int:
    from goalbot.reporting.rendering import render
    from goalbot.services import entry

    ctx = _context_with_catalogue(config)
    if args.answers_command == "import":
        report = entry.import_figures(ctx, args.file, args.by)
        source = str(args.file)
    else:
        report = entry.enter_figure(
            ctx, args.metric, args.period, args.value, args.comment, args.by
        )
        source = ""
    if report.refused:
        print(
            render(
                "cli/answers_refused.txt.j2", config.texts.language, report=report, source=source
            ),
            file=sys.stderr,
        )
        return EXIT_FAILURE
    print(render("cli/answers_entered.txt.j2", config.texts.language, report=report, source=source))
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Config], int]] = {
    "run": cmd_run,
    "health": cmd_health,
    "backup": cmd_backup,
    "restore": cmd_backup,
    "db": cmd_db,
    "catalogue": cmd_catalogue,
    "owners": cmd_owners,
    "status": cmd_status,
    "export": cmd_export,
    "remind": cmd_remind,
    "close": cmd_close,
    "round": cmd_round,
    "schedule": cmd_schedule,
    "audit": cmd_audit,
    "person": cmd_person,
    "answers": cmd_answers,
    "sends": cmd_sends,
    "summary": cmd_summary,
    "sandbox": cmd_sandbox,
}


def service_error_text(error: ServiceError, language: str = "fi") -> str:
    """The CLI's one line for a refused use case, in ``language`` (``[texts] language``)."""
    from goalbot.reporting.rendering import render

    return render("cli/service_error.txt.j2", language, code=error.code, **error.params)


def cmd_config(args: argparse.Namespace, language: str = "fi") -> int:
    """``config check``: every problem of the configuration and what it points at, at once."""
    from goalbot.config import ENV_CONFIG, ENV_TOKEN, ConfigError, load_config
    from goalbot.domain.catalogue_file import CatalogueError, read_catalogue
    from goalbot.reporting.rendering import render
    from goalbot.storage.database import database_problems, safe_url

    path = args.config
    source = path or (Path(os.environ[ENV_CONFIG]) if os.environ.get(ENV_CONFIG) else None)
    try:
        config = load_config(path)
    except ConfigError as exc:
        # a configuration that cannot be read: its messages in the language found before it
        # was read (the environment's, else Finnish)
        print(render("cli/config_check.txt.j2", language, source=source, problems=exc.problems))
        return EXIT_CONFIG
    problems = []
    if not config.telegram.token:
        problems.append(f"telegram.token: missing (set it in the config file or in ${ENV_TOKEN})")
    catalogue_path = config.catalogue.path
    if catalogue_path is not None:
        try:
            _check_file(catalogue_path)
            read_catalogue(catalogue_path)
        except CliError as exc:
            problems.append(f"catalogue.path: {exc}")
        except CatalogueError as exc:
            problems.append(
                f"catalogue.path: {catalogue_path} has {len(exc.problems)} problem(s), "
                f"see 'goalbot catalogue check {catalogue_path}'"
            )
    problems.extend(f"database.url: {p}" for p in database_problems(config.database.url))
    print(
        render(
            "cli/config_check.txt.j2",
            config.texts.language,
            source=source,
            problems=problems,
            config=config,
            database=safe_url(config.database.url),
        )
    )
    return EXIT_CONFIG if problems else EXIT_OK


EXIT_BROKEN_PIPE = 141  # what a shell reports for a program whose reader went away (128 + 13)


def early_language(argv: Sequence[str] | None) -> str:
    """The language of the command line's messages before its arguments are read (for the
    help and the usage errors): ``[texts] language`` of the configuration that ``--config``
    (or ``$GOALBOT_CONFIG``) names, with the environment's overrides; Finnish when that
    cannot be read (the error then says why)."""
    from goalbot.config import load_config

    words = list(sys.argv[1:] if argv is None else argv)
    path: Path | None = None
    for index, word in enumerate(words):
        if word == "--config" and index + 1 < len(words):
            path = Path(words[index + 1])
        elif word.startswith("--config="):
            path = Path(word.partition("=")[2])
    try:
        config = load_config(path)
    except Exception:
        from goalbot.config import LANGUAGES

        asked = os.environ.get("GOALBOT_TEXTS__LANGUAGE", "")
        return asked if asked in LANGUAGES else "fi"
    from goalbot.reporting.folders import use_template_folder

    use_template_folder(config.texts.templates)  # a town's own wording of them, too
    return config.texts.language


def parse_arguments(argv: Sequence[str] | None, language: str) -> argparse.Namespace:
    """The arguments, read by a parser that speaks ``language`` where it says something: its
    help, and a usage error. (Arguments read without a word said need not load its texts.)"""
    words = sys.argv[1:] if argv is None else list(argv)
    if not {"-h", "--help"} & set(words):
        try:
            return build_parser().parse_args(words)
        except CliError:
            pass  # said again, in the language
    from goalbot.reporting.cli_texts import argparse_in, translate_parser

    with argparse_in(language):
        parser = build_parser()
        translate_parser(parser, language)
        return parser.parse_args(words)


def _error_line(exc: BaseException, config: Config | None, language: str) -> tuple[int, str]:
    """The exit code and the one line on stderr for a failure, in ``language``."""
    code, line = _english_error_line(exc, config, language)
    from goalbot.reporting.cli_texts import translated

    return code, translated(line, language)


def _english_error_line(
    exc: BaseException, config: Config | None, language: str
) -> tuple[int, str]:
    """The exit code and the line; what goalbot's code says in English, as it says it."""
    if isinstance(exc, CliError):  # a usage error: nothing else was loaded yet
        return exc.code, str(exc)
    from sqlalchemy.exc import DBAPIError, OperationalError

    from goalbot.config import ConfigError, StartupError
    from goalbot.domain.catalogue_file import CatalogueError
    from goalbot.domain.periods import PeriodError
    from goalbot.reporting.rendering import render
    from goalbot.services.context import ServiceError
    from goalbot.storage.database import StorageError, describe_db_error
    from goalbot.storage.instance import AlreadyRunning

    if isinstance(exc, ConfigError):
        return EXIT_CONFIG, f"goalbot: configuration error: {exc}"
    if isinstance(exc, CatalogueError):
        return EXIT_FAILURE, render("cli/catalogue_problems.txt.j2", language, error=exc)
    if isinstance(exc, ServiceError):
        return EXIT_FAILURE, f"goalbot: {service_error_text(exc, language)}"
    if isinstance(exc, PeriodError):
        return EXIT_USAGE, f"goalbot: {exc}"
    if isinstance(exc, AlreadyRunning):
        return EXIT_ALREADY_RUNNING, f"goalbot: {exc}"
    if isinstance(exc, StorageError | StartupError):
        return EXIT_FAILURE, f"goalbot: {exc}"
    if isinstance(exc, OperationalError | DBAPIError):
        url = config.database.url if config else ""
        return EXIT_FAILURE, f"goalbot: {describe_db_error(exc, url)}"
    # the last line of defence: never a traceback on the terminal unless asked for
    return EXIT_FAILURE, (
        f"goalbot: unexpected error: {type(exc).__name__}: {exc} (--debug shows where)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every failure is one line on stderr and a non-zero exit code."""
    config: Config | None = None
    debug = False
    language = "fi"
    try:
        language = early_language(argv)
        args = parse_arguments(argv, language)
        debug = args.debug
        from goalbot.config import load_config
        from goalbot.reporting.folders import use_template_folder

        if args.command == "config":
            code = cmd_config(args, language)
        else:
            config = load_config(args.config)
            language = config.texts.language
            use_template_folder(config.texts.templates)
            code = COMMANDS[args.command](args, config)
        sys.stdout.flush()  # a reader that went away (| head) is noticed here, not at exit
        return code
    except BrokenPipeError:
        # the rest of the output has no reader: end quietly, like other command-line tools
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if debug:
            traceback.print_exc()
        code, line = _error_line(exc, config, language)
        print(line, file=sys.stderr)
        return code
