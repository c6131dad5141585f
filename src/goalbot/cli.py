"""The ``goalbot`` command line: run the bot and administer goals, owners and reports."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from sqlalchemy.exc import DBAPIError, OperationalError

from goalbot import __version__
from goalbot.config import Config, ConfigError, StartupError, load_config
from goalbot.domain.catalogue_file import CatalogueError, load_catalogue
from goalbot.domain.periods import Period, PeriodError, parse_day
from goalbot.reporting.outline import outline
from goalbot.reporting.rendering import render, use_template_folder
from goalbot.scheduling.control import close_round_now, open_round_now
from goalbot.scheduling.runner import coming_events
from goalbot.services import catalogue as catalogue_service
from goalbot.services import owners as owner_service
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.events import event_states
from goalbot.services.rounds import resend_summary
from goalbot.storage.database import Database, StorageError, describe_db_error, upgrade_database

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_CONFIG = 78  # sysexits' EX_CONFIG: systemd's RestartPreventExitStatus does not restart it


class CliError(Exception):
    """A failure to report as one line on stderr."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One clear line instead of argparse's usage dump.
        raise CliError(f"{self.prog}: {message} (see '{self.prog} --help')", EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _Parser(prog="goalbot", description="Quarterly goal reporting on Telegram.")
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="config file (default: $GOALBOT_CONFIG, else built-in defaults)",
    )
    parser.add_argument("--version", action="version", version=f"goalbot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    commands.add_parser("run", help="run the bot")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", parser_class=_Parser)
    db_commands.required = True
    db_commands.add_parser("upgrade", help="apply database migrations")

    cat = commands.add_parser("catalogue", help="the goal catalogue")
    cat_commands = cat.add_subparsers(
        dest="catalogue_command", metavar="ACTION", parser_class=_Parser
    )
    cat_commands.required = True
    load = cat_commands.add_parser("load", help="load a catalogue file into the database")
    load.add_argument(
        "file", type=Path, nargs="?", help="catalogue file (default: the configured one)"
    )
    show = cat_commands.add_parser("show", help="print the catalogue by tier, body, department")
    show.add_argument(
        "file", type=Path, nargs="?", help="a catalogue file (default: the one in the database)"
    )
    check = cat_commands.add_parser("check", help="report every problem of a catalogue file")
    check.add_argument("file", type=Path)

    owners = commands.add_parser("owners", help="goal owners and deputies")
    own_commands = owners.add_subparsers(
        dest="owners_command", metavar="ACTION", parser_class=_Parser
    )
    own_commands.required = True
    invite = own_commands.add_parser("invite", help="print a single-use invite link for a role")
    invite.add_argument("--role", required=True)
    invite.add_argument("--name", required=True, help="the person's name")
    invite.add_argument("--deputy", action="store_true", help="invite a deputy, not the owner")
    own_commands.add_parser("list", help="list roles with their owners and deputies")
    assign = own_commands.add_parser("assign", help="give a role to a person the bot knows")
    assign.add_argument("--role", required=True)
    assign.add_argument("--person", required=True, help="person id, @username or name")
    assign.add_argument("--deputy", action="store_true")
    pause = own_commands.add_parser("pause", help="pause a person's nudges until a date")
    pause.add_argument("--person", required=True, help="person id, @username or name")
    pause.add_argument(
        "--until", required=True, help="last day of the pause (2026-12-31), or 'off' to resume"
    )
    revoke = own_commands.add_parser("revoke", help="take a role away from its holder")
    revoke.add_argument("--role", required=True)
    revoke.add_argument("--deputy", action="store_true")

    remind = commands.add_parser("remind", help="open the current period's answering round")
    remind.add_argument("--now", action="store_true", required=True)
    remind.add_argument("--period", help="period such as 2026Q2 (default: the current one)")
    close = commands.add_parser("close", help="close the open answering round")
    close.add_argument("--now", action="store_true", required=True)
    close.add_argument("--period", help="period such as 2026Q2 (default: the open one)")

    summary = commands.add_parser("summary", help="send a round's summary to the group again")
    summary.add_argument("--period", required=True, help="period such as 2026Q2")

    schedule = commands.add_parser("schedule", help="the reporting calendar")
    sch_commands = schedule.add_subparsers(
        dest="schedule_command", metavar="ACTION", parser_class=_Parser
    )
    sch_commands.required = True
    sch_commands.add_parser("show", help="the coming year's dates")

    status = commands.add_parser("status", help="the status report, as /status gives it")
    status.add_argument(
        "scope",
        nargs="?",
        default="",
        help="department, responsibility area or goal id (default: all)",
    )
    status.add_argument("--period", help="period such as 2026Q2 (default: the latest)")

    export = commands.add_parser("export", help="export a period's filled-in goal table")
    export.add_argument("--period", required=True, help="period such as 2026Q2")
    export.add_argument("--format", required=True, choices=["xlsx", "csv"])
    export.add_argument("--output", type=Path, help="file to write (default: goalbot-PERIOD.EXT)")
    return parser


def _context(config: Config) -> AppContext:
    database = Database.connect(config.database.url, config.database.echo)
    upgrade_database(database.engine)
    return AppContext(config=config, db=database)


def _context_with_catalogue(config: Config) -> AppContext:
    ctx = _context(config)
    try:
        catalogue_service.get_catalogue(ctx)
    except ServiceError as exc:
        if exc.code != "no_catalogue":
            raise
        catalogue_service.load_catalogue(ctx)
    return ctx


def cmd_db(args: argparse.Namespace, config: Config) -> int:
    database = Database.connect(config.database.url, config.database.echo)
    upgrade_database(database.engine)
    print(render("cli/db_upgraded.txt.j2", "fi", url=database.engine.url.render_as_string()))
    return EXIT_OK


def cmd_catalogue(args: argparse.Namespace, config: Config) -> int:
    action = args.catalogue_command
    if action == "check":
        _check_file(args.file)
        catalogue = load_catalogue(args.file)
        print(render("cli/catalogue_ok.txt.j2", "fi", catalogue=catalogue, path=args.file))
        return EXIT_OK
    if action == "show":
        if args.file is not None:
            _check_file(args.file)
            catalogue = load_catalogue(args.file)
        else:
            catalogue = catalogue_service.get_catalogue(_context_with_catalogue(config))
        print(
            render(
                "cli/catalogue_show.txt.j2", "fi", catalogue=catalogue, outline=outline(catalogue)
            )
        )
        return EXIT_OK
    ctx = _context(config)
    if args.file is not None:
        _check_file(args.file)
    report = catalogue_service.load_catalogue(ctx, args.file)
    print(render("cli/catalogue_loaded.txt.j2", "fi", report=report))
    return EXIT_OK


def _check_file(path: Path) -> None:
    if not path.exists():
        raise CliError(f"{path}: no such file")
    if path.is_dir():
        raise CliError(f"{path}: is a folder, not a catalogue file")


def cmd_owners(args: argparse.Namespace, config: Config) -> int:
    ctx = _context_with_catalogue(config)
    kind = owner_service.DEPUTY if getattr(args, "deputy", False) else owner_service.OWNER
    action = args.owners_command
    if action == "invite":
        invite = owner_service.invite_owner(ctx, args.role, args.name, kind, created_by="cli")
        username = _bot_username(ctx)
        print(
            render(
                "cli/invite.txt.j2",
                "fi",
                invite=invite,
                username=username,
                timezone=config.schedule.zone,
            )
        )
    elif action == "list":
        print(render("cli/owners.txt.j2", "fi", roles=owner_service.list_owners(ctx)))
    elif action == "pause":
        until = None if args.until.casefold() in ("off", "pois") else parse_day(args.until)
        if until is None and args.until.casefold() not in ("off", "pois"):
            raise CliError(
                f"goalbot: --until {args.until!r} is not a date (use 2026-12-31)", EXIT_USAGE
            )
        name, until = owner_service.pause_nudges(ctx, args.person, until)
        print(render("cli/paused.txt.j2", "fi", name=name, until=until))
    elif action == "assign":
        binding = owner_service.assign_role(ctx, args.role, args.person, kind)
        print(render("cli/assigned.txt.j2", "fi", binding=binding))
    else:
        name = owner_service.revoke_role(ctx, args.role, kind)
        print(render("cli/revoked.txt.j2", "fi", name=name, role=args.role, kind=kind))
    return EXIT_OK


def _bot_username(ctx: AppContext) -> str | None:
    """The bot's @username: remembered by the running bot, else asked from Telegram."""
    known = owner_service.bot_username(ctx)
    if known or not ctx.config.telegram.token:
        return known
    from goalbot.chat.botinfo import fetch_bot_username

    username = fetch_bot_username(ctx.config)
    if username:
        owner_service.remember_bot_username(ctx, username)
    return username


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    config.require_token()
    from goalbot.chat.application import run_bot

    run_bot(config)
    return EXIT_OK


def cmd_status(args: argparse.Namespace, config: Config) -> int:
    from goalbot.reporting.status import status_report

    ctx = _context_with_catalogue(config)
    period = Period.parse(args.period) if args.period else None
    print(status_report(ctx, args.scope, period, fmt="text"))
    return EXIT_OK


def cmd_export(args: argparse.Namespace, config: Config) -> int:
    period = Period.parse(args.period)
    from goalbot.reporting.export import export_period

    ctx = _context_with_catalogue(config)
    output = args.output or Path(f"goalbot-{period.key}.{args.format}")
    if output.is_dir():
        raise CliError(f"{output}: is a folder; give a file name")
    data = export_period(ctx, period, args.format)
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise CliError(f"{output}: cannot write: {exc.strerror}") from exc
    print(render("cli/exported.txt.j2", "fi", path=output, period=period, size=len(data)))
    return EXIT_OK


def cmd_remind(args: argparse.Namespace, config: Config) -> int:
    period = Period.parse(args.period) if args.period else None
    ctx = _context_with_catalogue(config)
    opened = open_round_now(ctx, period)
    print(render("cli/round_opened.txt.j2", "fi", opened=opened, timezone=config.schedule.zone))
    return EXIT_OK


def cmd_close(args: argparse.Namespace, config: Config) -> int:
    period = Period.parse(args.period) if args.period else None
    ctx = _context_with_catalogue(config)
    closed = close_round_now(ctx, period)
    print(render("cli/round_closed.txt.j2", "fi", closed=closed))
    return EXIT_OK


def cmd_schedule(args: argparse.Namespace, config: Config) -> int:
    ctx = _context_with_catalogue(config)
    events = coming_events(ctx, ctx.now())
    states = event_states(ctx, [e.key for e in events])
    print(
        render(
            "cli/schedule.txt.j2", "fi", events=events, states=states, timezone=config.schedule.zone
        )
    )
    return EXIT_OK


def cmd_summary(args: argparse.Namespace, config: Config) -> int:
    period = Period.parse(args.period)
    ctx = _context_with_catalogue(config)
    resend_summary(ctx, period)
    print(render("cli/summary_queued.txt.j2", "fi", period=period))
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Config], int]] = {
    "run": cmd_run,
    "db": cmd_db,
    "catalogue": cmd_catalogue,
    "owners": cmd_owners,
    "status": cmd_status,
    "export": cmd_export,
    "remind": cmd_remind,
    "close": cmd_close,
    "schedule": cmd_schedule,
    "summary": cmd_summary,
}


def service_error_text(error: ServiceError) -> str:
    """The CLI's one line for a refused use case."""
    return render("cli/service_error.txt.j2", "fi", code=error.code, **error.params)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every failure is one line on stderr and a non-zero exit code."""
    config: Config | None = None
    try:
        args = build_parser().parse_args(argv)
        config = load_config(args.config)
        use_template_folder(config.texts.templates)
        return COMMANDS[args.command](args, config)
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return exc.code
    except ConfigError as exc:
        print(f"goalbot: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except CatalogueError as exc:
        print(render("cli/catalogue_problems.txt.j2", "fi", error=exc), file=sys.stderr)
        return EXIT_FAILURE
    except ServiceError as exc:
        print(f"goalbot: {service_error_text(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    except PeriodError as exc:
        print(f"goalbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (StorageError, StartupError) as exc:
        print(f"goalbot: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except (OperationalError, DBAPIError) as exc:
        url = config.database.url if config else ""
        print(f"goalbot: {describe_db_error(exc, url)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: never a traceback on the terminal
        print(f"goalbot: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
