"""The ``news-ingest`` command line.

    news-ingest [-v] COMMAND ...
    news-ingest run       [--sources PATH] [--db PATH] [--source NAME]... [--capture | --no-capture]
                          [--engine local|dask] [--scheduler ADDRESS]
    news-ingest reextract [--source NAME]... [--since DATE] [--db PATH] [--sources PATH]
                          [--engine local|dask] [--scheduler ADDRESS]
    news-ingest sql       "SELECT ..." [--db PATH] [--format table|csv|json|parquet] [--out FILE]
                          [--live]
    news-ingest search    "terms" [--since DATE] [--source NAME] [--limit N]
                          [--format table|csv|json] [--db PATH]
    news-ingest export    --to DIR [--overwrite] [--db PATH]
    news-ingest report    --out FILE.html [--db PATH]
    news-ingest stats     [--db PATH]
    news-ingest serve     [--sources PATH] [--db PATH] [--port N]
                          [--engine local|dask] [--scheduler ADDRESS]
    news-ingest server    status | stop
    news-ingest worker    --scheduler ADDRESS [--nthreads N] [--name NAME]

``-v`` logs progress details. The analyst commands (sql, search, export, report,
stats) are in :mod:`flows.app.analyst`; they read the snapshot published after the
last run when there is one. The engine options and ``worker`` (the Dask engine) are
in :mod:`flows.app.cluster`.

Exit codes are :class:`news_ingest.errors.ExitCode`: 0 success, 1 the run (or query)
failed, 2 bad configuration or usage (including a writing statement given to `sql`),
3 the database stayed locked by another process.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from flows.app.analyst import add_commands as add_analyst_commands
from flows.app.cluster import add_engine_options, add_worker_command, engine_of
from flows.errors import ConfigError
from flows.pipeline.config import PipelineSettings, load_settings
from flows.pipeline.sources import build_source
from flows.prefect_api import connect_prefect
from flows.prefect_server import DEFAULT_PORT, default_home, status, stop_server
from news_ingest.errors import ExitCode, NewsIngestError

if TYPE_CHECKING:
    from flows.pipeline.reports import RunReport

__all__ = ["main"]

DEFAULT_SOURCES = "seeds/sources.toml"
DEFAULT_DB = "data/news.duckdb"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        code: int = args.handler(args)
    except NewsIngestError as exc:
        print(f"news-ingest: {_describe(exc)}", file=sys.stderr)
        return exc.exit_code
    return code


def _describe(exc: NewsIngestError) -> str:
    return f"configuration error: {exc}" if isinstance(exc, ConfigError) else str(exc)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="news-ingest",
        description="Fetch, clean, dedupe and load news articles into DuckDB.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="ingest the configured sources once")
    _sources_option(run)
    _db_option(run)
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
    add_engine_options(run)
    run.set_defaults(handler=_run)
    _reextract_command(commands)

    sql = commands.add_parser("sql", help="run a read-only SQL query against the warehouse")
    sql.add_argument("query", help="the SQL query (read-only)")
    _db_option(sql)
    sql.add_argument(
        "--format", choices=("table", "csv", "json", "parquet"), default="table", dest="fmt"
    )
    sql.add_argument("--out", type=Path, help="write to this file instead of standard output")
    sql.add_argument(
        "--live",
        action="store_true",
        help="read the live database, waiting for a run that holds it (default: the snapshot "
        "published after the last run, which never waits)",
    )
    sql.set_defaults(handler=_sql)
    add_analyst_commands(commands, db_option=_db_option)

    serve = commands.add_parser("serve", help="run the sources on their schedules (Prefect)")
    _sources_option(serve)
    _db_option(serve)
    serve.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="preferred port of the shared Prefect server if it has to be started "
        f"(PREFECT_API_URL unset; default {DEFAULT_PORT})",
    )
    add_engine_options(serve)
    serve.set_defaults(handler=_serve)
    _server_command(commands)
    add_worker_command(commands)
    return parser


def _sources_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sources",
        type=Path,
        default=Path(os.environ.get("NEWS_INGEST_SOURCES", DEFAULT_SOURCES)),
        help=f"sources file (env NEWS_INGEST_SOURCES; default {DEFAULT_SOURCES})",
    )


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=Path(os.environ.get("NEWS_INGEST_DB", DEFAULT_DB)),
        help=f"DuckDB file (env NEWS_INGEST_DB; default {DEFAULT_DB})",
    )


def _run(args: argparse.Namespace) -> int:
    # Validate everything before Prefect is imported and its API looked for (seconds).
    settings = load_settings(args.sources)
    for config in settings.select(args.sources_selected):
        build_source(config)
    engine_of(settings.pipeline, args)
    connect_prefect()
    from flows.app.terminal import live_progress  # noqa: PLC0415
    from flows.ingest import ingest  # noqa: PLC0415 (imports Prefect: slow)

    with live_progress(enabled=sys.stderr.isatty()):
        report = asyncio.run(
            ingest(
                sources_path=str(args.sources),
                db_path=str(args.db),
                source_names=args.sources_selected,
                capture=args.capture,
                engine=args.engine,
                scheduler=args.scheduler,
            )
        )
    _print_report(report)
    return ExitCode.OK if report.status == "completed" else ExitCode.FAILED


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
    _db_option(command)
    command.add_argument(
        "--sources",
        type=Path,
        help="sources file whose [pipeline] settings to use (batch_size, workers, "
        "extraction_timeout, lock_timeout, snapshot); default: built-in defaults "
        "(NEWS_INGEST_SOURCES is not read)",
    )
    add_engine_options(command)
    command.set_defaults(handler=_reextract)


def _since(value: str) -> datetime:
    from flows.reextract import parse_since  # noqa: PLC0415 (imports Prefect: slow)

    try:
        return parse_since(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _reextract(args: argparse.Namespace) -> int:
    # A bad file is a usage error, an unusable cluster one line, before Prefect starts.
    pipeline = load_settings(args.sources).pipeline if args.sources else PipelineSettings()
    engine_of(pipeline, args)
    connect_prefect()
    from flows.reextract import reextract  # noqa: PLC0415 (imports Prefect: slow)

    report = asyncio.run(
        reextract(
            db_path=str(args.db),
            source_names=args.sources_selected,
            since=args.since,
            sources_path=str(args.sources) if args.sources else None,
            engine=args.engine,
            scheduler=args.scheduler,
        )
    )
    _print_report(report)
    return ExitCode.OK if report.status == "completed" else ExitCode.FAILED


def _print_report(report: RunReport) -> None:
    from flows.app.terminal import print_report  # noqa: PLC0415

    print_report(report)


def _sql(args: argparse.Namespace) -> int:
    from flows.app.analyst import run_sql  # noqa: PLC0415

    # read_only says so on standard error when it reads a snapshot a run has moved past.
    run_sql(args.db, args.query, fmt=args.fmt, out=args.out, live=args.live)
    return ExitCode.OK


def _serve(args: argparse.Namespace) -> int:
    from flows.serve import serve  # noqa: PLC0415 (imports Prefect: slow)

    serve(
        sources_path=args.sources,
        db_path=args.db,
        port=args.port,
        engine=args.engine,
        scheduler=args.scheduler,
    )
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
