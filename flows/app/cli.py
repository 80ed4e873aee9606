"""The ``news-ingest`` command line.

    news-ingest [-v | -q] [--version] COMMAND ...
    news-ingest init      [PATH] [--feed URL] [--sitemap URL] [--site URL] [--urls FILE]
                          [--files DIR] [--force]
    news-ingest check     [--sources PATH] [--source NAME]... [--list] [--format table|json]
    news-ingest run       [--sources PATH] [--db PATH] [--source NAME]... [--capture | --no-capture]
                          [--format table|json] [--engine local|dask] [--scheduler ADDRESS]
                          [--warehouse TARGET] [--data-path DIR]
    news-ingest reextract [--source NAME]... [--since DATE] [--db PATH] [--sources PATH]
                          [--format table|json] [--engine local|dask] [--scheduler ADDRESS]
                          [--warehouse TARGET]
    news-ingest sql       "SELECT ..." | - [--db PATH | --warehouse TARGET]
                          [--format table|csv|json|parquet] [--out FILE] [--live]
    news-ingest search    "terms" [--since DATE] [--source NAME] [--limit N]
                          [--format table|csv|json] [--db PATH | --warehouse TARGET]
    news-ingest export    --to DIR [--overwrite] [--db PATH | --warehouse TARGET]
    news-ingest report    --out FILE.html [--db PATH | --warehouse TARGET]
    news-ingest stats     [--db PATH | --warehouse TARGET] [--format table|json]
    news-ingest lake-maintain [--warehouse TARGET] [--keep-days DAYS]
    news-ingest reset     SOURCE [--db PATH | --warehouse TARGET] [--yes] [--dry-run]
                          [--format table|json]
    news-ingest drop      SOURCE [--db PATH] [--yes] [--dry-run] [--format table|json]
    news-ingest migrate   --to-lake [TARGET] [--db PATH] [--data-path DIR]
                          | --to-db PATH [--warehouse TARGET]
    news-ingest serve     [--sources PATH] [--db PATH] [--port N]
                          [--engine local|dask] [--scheduler ADDRESS]
                          [--warehouse TARGET] [--data-path DIR]
    news-ingest deploy    --pool NAME [--create-pool] [--prefect-yaml FILE] [--sources PATH]
                          [--db PATH] [--warehouse TARGET] [--data-path DIR]
    news-ingest server    status | stop
    news-ingest worker    --scheduler ADDRESS [--nthreads N] [--name NAME]
    news-ingest completion bash

``-v``/``-q`` (before or after the command) set how much is said
(:mod:`flows.app.verbosity`); Prefect's own messages show only with ``-v``. Without
``--sources``/``--db`` the paths come from ``NEWS_INGEST_SOURCES``/``NEWS_INGEST_DB``,
else the per-user defaults (:mod:`flows.pipeline.paths`), never from the working
directory. init and check are in :mod:`flows.app.sourcefile`, reset and drop in
:mod:`flows.app.forgetting`; the analyst commands
(search, export, report, stats) in :mod:`flows.app.analyst`: they read the snapshot
published after the last run when there is one, or the lake ``--warehouse`` (or
``NEWS_INGEST_WAREHOUSE``) names. The engine options and ``worker`` (the
Dask engine) are in :mod:`flows.app.cluster`.

Exit codes are :class:`news_ingest.errors.ExitCode`: 0 success, 1 the run (or query)
failed or every source it ran failed, 2 bad configuration or usage (including a writing
statement given to `sql`, a missing sources file or database, an unknown source name),
3 the database stayed locked by another process, 4 some sources failed and the others
completed, 130 interrupted by Ctrl-C (one line says what the run stored; a rerun
continues).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows.app import verbosity
from flows.app.analyst import add_commands as add_analyst_commands
from flows.app.cluster import add_engine_options, add_worker_command, engine_of
from flows.app.completion import add_command as add_completion_command
from flows.app.forgetting import add_commands as add_forgetting_commands
from flows.app.migrating import add_command as add_migrate_command
from flows.app.options import (
    add_verbosity,
    db_option,
    format_option,
    lake_option,
    load_sources,
    named_lake,
    sources_option,
    warehouse_options,
    writable_database,
)
from flows.app.sourcefile import add_commands as add_sourcefile_commands
from flows.errors import ConfigError, RunInterruptedError, UsageError
from flows.pipeline.config import PipelineSettings, WarehouseSettings, load_settings
from flows.pipeline.lakeconfig import lake_target
from flows.pipeline.paths import existing_database
from flows.pipeline.sources import build_source
from flows.prefect_api import connect_prefect
from flows.prefect_server import DEFAULT_PORT, default_home, status, stop_server
from news_ingest.errors import ExitCode, NewsIngestError

if TYPE_CHECKING:
    from flows.pipeline.reports import RunReport

__all__ = ["main", "version_text"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    args = _parser().parse_args(argv)
    verbosity.configure(args.verbose, quiet=args.quiet)
    try:
        code: int = args.handler(args)
    except NewsIngestError as exc:
        print(f"news-ingest: {_describe(exc)}", file=sys.stderr)
        return exc.exit_code
    return code


def version_text() -> str:
    """``news-ingest 0.1.0 (Python 3.11.2; prefect 3.9.1, duckdb 1.5.5, trafilatura 2.3.1)``."""
    python = ".".join(str(part) for part in sys.version_info[:3])
    parts = ", ".join(f"{name} {metadata.version(name)}" for name in _REPORTED)
    return f"news-ingest {metadata.version('news-ingest')} (Python {python}; {parts})"


_REPORTED = ("prefect", "duckdb", "trafilatura", "httpx")


class _Version(argparse.Action):
    """``--version``: print :func:`version_text` unwrapped (argparse's own would wrap it)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(version_text())
        parser.exit()


def _describe(exc: NewsIngestError) -> str:
    return f"configuration error: {exc}" if isinstance(exc, ConfigError) else str(exc)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="news-ingest",
        description="Fetch, clean, dedupe and load news articles into DuckDB.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the versions and exit")
    add_verbosity(parser, top=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_sourcefile_commands(commands)

    run = commands.add_parser("run", help="ingest the configured sources once")
    sources_option(run)
    db_option(run)
    warehouse_options(run)
    run.add_argument(
        "--source",
        action="append",
        dest="sources_selected",
        metavar="NAME",
        help="only this source (repeatable); default: every enabled source",
    )
    run.add_argument(
        "--capture",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write every fetched page to WARC.gz files (default: [capture] warc in the sources "
        "file); the folder is [capture] directory, else captures/ beside the database",
    )
    format_option(run, "table", "json")
    add_engine_options(run)
    run.set_defaults(handler=_run)
    _reextract_command(commands)

    sql = commands.add_parser("sql", help="run a read-only SQL query against the warehouse")
    sql.add_argument("query", help="the SQL query (read-only), or - to read it from standard input")
    db_option(sql)
    lake_option(sql)
    format_option(sql, "table", "csv", "json", "parquet")
    sql.add_argument("--out", type=Path, help="write to this file instead of standard output")
    sql.add_argument(
        "--live",
        action="store_true",
        help="read the live database, waiting for a run that holds it (default: the snapshot "
        "published after the last run, which never waits)",
    )
    sql.set_defaults(handler=_sql)
    _lake_maintain_command(commands)
    add_migrate_command(commands)
    add_analyst_commands(commands)
    add_forgetting_commands(commands)

    serve = commands.add_parser("serve", help="run the sources on their schedules (Prefect)")
    sources_option(serve)
    db_option(serve)
    serve.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="preferred port of the shared Prefect server if it has to be started "
        f"(PREFECT_API_URL unset; default {DEFAULT_PORT})",
    )
    add_engine_options(serve)
    warehouse_options(serve)
    serve.set_defaults(handler=_serve)
    _deploy_command(commands)
    _server_command(commands)
    add_worker_command(commands)
    add_completion_command(commands, parser)
    for command in commands.choices.values():
        add_verbosity(command)
    return parser


def _run(args: argparse.Namespace) -> int:
    # Validate everything before Prefect is imported and its API looked for (seconds).
    settings = load_sources(args.sources)
    database = writable_database(args.db)
    for config in settings.select(args.sources_selected):
        build_source(config)
    engine_of(settings.pipeline, args)
    lake = lake_target(
        settings.warehouse, warehouse=args.warehouse, data_path=args.data_path, database=database
    )
    if lake is not None:
        from warehouse.lake.connection import check_reachable  # noqa: PLC0415 (lake only)

        check_reachable(lake)  # PostgreSQL down: one line naming it, before Prefect starts
    connect_prefect(announce=not args.quiet)
    from flows.app.terminal import live_progress  # noqa: PLC0415
    from flows.ingest import ingest  # noqa: PLC0415 (imports Prefect: slow)
    from flows.pipeline.outcome import report_of  # noqa: PLC0415

    with live_progress(enabled=sys.stderr.isatty() and not args.quiet, plain=not args.quiet):
        report = _run_flow(
            report_of(
                ingest(
                    sources_path=str(settings.path),
                    db_path=str(database),
                    source_names=args.sources_selected,
                    capture=args.capture,
                    engine=args.engine,
                    scheduler=args.scheduler,
                    warehouse=args.warehouse,
                    data_path=args.data_path,
                    return_state=True,
                )
            )
        )
    _print_report(report, args)
    return report.exit_code()


def _run_flow(run: Coroutine[Any, Any, RunReport]) -> RunReport:
    """Run a flow to its report; Ctrl-C ends it with one line (RunInterruptedError, exit 130).

    The run says what it stored; a Ctrl-C that lands before its session began
    (or a second one while it closes) gets the general line.
    """
    from flows.app.terminal import quiet_after_interrupt  # noqa: PLC0415

    try:
        return asyncio.run(quiet_after_interrupt(run))
    except KeyboardInterrupt:
        raise RunInterruptedError(
            "interrupted: what the run stored is kept: run again to continue"
        ) from None


def _reextract_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "reextract",
        help="clean captured raw pages again and store versions whose text changed (no fetching)",
    )
    command.add_argument(
        "--source",
        action="append",
        dest="sources_selected",
        metavar="NAME",
        help="only versions this source delivered (repeatable); default: every source",
    )
    command.add_argument(
        "--since",
        type=_since,
        metavar="DATE",
        help="only pages captured at or after DATE (ISO date or date-time; UTC unless a zone)",
    )
    db_option(command)
    command.add_argument(
        "--sources",
        type=Path,
        help="sources file whose [pipeline] settings to use (batch_size, workers, "
        "extraction_timeout, lock_timeout, snapshot); default: built-in defaults "
        "(NEWS_INGEST_SOURCES is not read)",
    )
    format_option(command, "table", "json")
    add_engine_options(command)
    lake_option(command)
    command.set_defaults(handler=_reextract)


def _since(value: str) -> datetime:
    from flows.reextract import parse_since  # noqa: PLC0415 (imports Prefect: slow)

    try:
        return parse_since(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _reextract(args: argparse.Namespace) -> int:
    from flows.app.reextracting import describe_coverage, reextract_coverage  # noqa: PLC0415

    # A bad file is a usage error, an unusable cluster one line, before Prefect starts.
    settings = load_settings(args.sources) if args.sources else None
    pipeline = settings.pipeline if settings else PipelineSettings()
    engine_of(pipeline, args)
    configured = settings.warehouse if settings else WarehouseSettings()
    lake = lake_target(configured, warehouse=args.warehouse, data_path=None, database=Path("."))
    database = existing_database(args.db) if lake is None else writable_database(args.db)
    coverage = reextract_coverage(
        database, names=args.sources_selected, since=args.since, lake=lake
    )
    if not args.quiet:
        print(f"news-ingest: {describe_coverage(coverage)}", file=sys.stderr)
    connect_prefect(announce=not args.quiet)
    from flows.pipeline.outcome import report_of  # noqa: PLC0415 (imports Prefect: slow)
    from flows.reextract import reextract  # noqa: PLC0415

    report = _run_flow(
        report_of(
            reextract(
                db_path=str(database),
                source_names=args.sources_selected,
                since=args.since,
                sources_path=str(args.sources) if args.sources else None,
                engine=args.engine,
                scheduler=args.scheduler,
                warehouse=args.warehouse,
                return_state=True,
            )
        )
    )
    _print_report(report, args)
    return report.exit_code()


def _print_report(report: RunReport, args: argparse.Namespace) -> None:
    from flows.app.output import print_json  # noqa: PLC0415
    from flows.app.terminal import needs_attention, print_report  # noqa: PLC0415

    if args.fmt == "json":
        print_json(report)
    elif not args.quiet or needs_attention(report):
        print_report(report)


def _sql(args: argparse.Namespace) -> int:
    from flows.app.analyst import run_sql  # noqa: PLC0415

    query = sys.stdin.read() if args.query == "-" else args.query
    lake = named_lake(args)
    if lake is not None:
        run_sql(Path("unused"), query, fmt=args.fmt, out=args.out, lake=lake)
        return ExitCode.OK
    database = existing_database(args.db)
    # read_only says so on standard error when it reads a snapshot a run has moved past.
    run_sql(database, query, fmt=args.fmt, out=args.out, live=args.live)
    return ExitCode.OK


def _lake_maintain_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "lake-maintain",
        help="merge a lake's small Parquet files and expire its old snapshots (docs/lake.md)",
    )
    lake_option(command, only_lakes=True)
    command.add_argument(
        "--keep-days",
        type=float,
        default=7.0,
        metavar="DAYS",
        help="keep snapshots (time travel) of the last DAYS days (default 7)",
    )
    command.set_defaults(handler=_lake_maintain)


def _lake_maintain(args: argparse.Namespace) -> int:
    from warehouse.lake.maintenance import maintain  # noqa: PLC0415 (lake only)

    lake = named_lake(args)
    if lake is None:
        raise UsageError("lake-maintain needs --warehouse TARGET or NEWS_INGEST_WAREHOUSE")
    upkeep = maintain(lake, expire_before=datetime.now(UTC) - timedelta(days=args.keep_days))
    print(
        f"snapshots {upkeep.snapshots_before} -> {upkeep.snapshots_after}; "
        f"{upkeep.files_deleted} old file(s) deleted"
    )
    return ExitCode.OK


def _serve(args: argparse.Namespace) -> int:
    from flows.serve import serve  # noqa: PLC0415 (imports Prefect: slow)

    settings = load_sources(args.sources)  # the same defaults and messages as run
    serve(
        sources_path=settings.path,
        db_path=writable_database(args.db),
        port=args.port,
        engine=args.engine,
        scheduler=args.scheduler,
        warehouse=args.warehouse,
        data_path=args.data_path,
    )
    return ExitCode.OK


def _deploy_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "deploy", help="register the schedules as Prefect deployments on a work pool"
    )
    sources_option(command)
    db_option(command)
    command.add_argument("--pool", required=True, help="the Prefect work pool (type process)")
    command.add_argument(
        "--create-pool", action="store_true", help="create the pool if missing (type process)"
    )
    command.add_argument(
        "--prefect-yaml",
        type=Path,
        metavar="FILE",
        help="write a prefect.yaml for `prefect deploy --all` instead of registering",
    )
    warehouse_options(command)
    command.set_defaults(handler=_deploy)


def _deploy(args: argparse.Namespace) -> int:
    from flows import deploy  # noqa: PLC0415 (imports Prefect: slow)

    settings = load_sources(args.sources)
    target = deploy.Target(writable_database(args.db), args.warehouse, args.data_path)
    if args.prefect_yaml is not None:
        args.prefect_yaml.write_text(
            deploy.prefect_yaml(sources_path=settings.path, target=target, pool=args.pool),
            encoding="utf-8",
        )
        print(f"wrote {args.prefect_yaml}: register with `prefect deploy --all`")
        return ExitCode.OK
    api_url, deployed = deploy.deploy(
        sources_path=settings.path, target=target, pool=args.pool, create_pool=args.create_pool
    )
    if not args.quiet:
        for item in deployed:
            print(f"{item.name}: {', '.join(item.sources) or 'the lake upkeep'}")
        print(f"run them with: PREFECT_API_URL={api_url} prefect worker start --pool {args.pool}")
    return ExitCode.OK


def _server_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "server",
        help="the shared local Prefect server that runs use when PREFECT_API_URL is unset",
    )
    command.add_argument("action", choices=("status", "stop"))
    command.set_defaults(handler=_server)


def _server(args: argparse.Namespace) -> int:
    home = default_home()
    if args.action == "stop":
        stopped = stop_server(home)
        print(f"stopped the Prefect server of {home}" if stopped else f"no server runs for {home}")
        return ExitCode.OK
    found = status(home)
    if found is None:
        print(f"no Prefect server runs for {home} (the next run starts one)")
        return ExitCode.FAILED
    print(f"{found.ui_url} (pid {found.pid}, Prefect {found.prefect_version}, home {home})")
    return ExitCode.OK


if __name__ == "__main__":
    raise SystemExit(main())
