"""The analyst commands: ``sql``, ``search``, ``export``, ``report``, ``stats``.

All of them open the warehouse read-only through :func:`warehouse.reading.read_only`,
which reads the snapshot published after the last run when there is one (``sql --live``
reads the live file instead), or with ``--warehouse``/``$NEWS_INGEST_WAREHOUSE`` a lake
through :func:`warehouse.lake.connection.read_lake` (its views by name, docs/lake.md):
the same queries and the same output columns, the lake named by its address only. Their
usage is in :mod:`flows.app.cli`. Tables fit the terminal (80 columns off a terminal;
:mod:`flows.app.output`); ``--format json`` and ``csv`` hold data only: a search hit's
publication and first-seen times are two fields.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from rich.table import Table
from rich.text import Text

from flows.app.options import db_option, format_option, lake_option, named_lake
from flows.app.output import emit, json_value, print_json, print_rows, stdout_console
from flows.errors import OutputError, UsageError
from flows.pipeline.paths import existing_database
from news_ingest.errors import ExitCode
from warehouse import export, search
from warehouse.connection import Connection
from warehouse.lake.connection import read_lake
from warehouse.lake.target import LakeTarget
from warehouse.queries import run_query, write_query_parquet
from warehouse.reading import read_only
from warehouse.summaries import collect_report, collect_stats, source_names

__all__ = ["Reading", "add_commands", "check_source", "reading", "run_sql", "write_rows"]

_SEARCH_FIELDS = (
    "score",
    "published_at",
    "first_seen_at",
    "source",
    "title",
    "url",
    "snippet",
    "article_id",
    "story_id",
)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register search, export, report and stats on the CLI's subcommand parser."""
    found = commands.add_parser("search", help="full-text search of the articles (BM25)")
    found.add_argument("terms", help="words to search for, e.g. 'airspace talks'")
    found.add_argument(
        "--since",
        type=_date,
        metavar="DATE",
        help="published (or first seen) on or after DATE (YYYY-MM-DD, UTC)",
    )
    found.add_argument("--source", metavar="NAME", help="only articles of this source")
    found.add_argument(
        "--limit", type=_positive, default=10, metavar="N", help="hits to show (default 10)"
    )
    format_option(found, "table", "csv", "json")
    _warehouse_options(found)
    found.set_defaults(handler=_search)

    out = commands.add_parser("export", help="write the views as Parquet files with a manifest")
    out.add_argument("--to", type=Path, required=True, metavar="DIR", help="folder to create")
    out.add_argument("--overwrite", action="store_true", help="replace an earlier export in DIR")
    _warehouse_options(out)
    out.set_defaults(handler=_export)

    page = commands.add_parser("report", help="write a self-contained HTML report with charts")
    page.add_argument("--out", type=Path, required=True, metavar="FILE", help="e.g. report.html")
    _warehouse_options(page)
    page.set_defaults(handler=_report)

    stats = commands.add_parser("stats", help="counts, the last run and per-source freshness")
    format_option(stats, "table", "json")
    _warehouse_options(stats)
    stats.set_defaults(handler=_stats)


def _warehouse_options(parser: argparse.ArgumentParser) -> None:
    db_option(parser)
    lake_option(parser)


@dataclass(frozen=True, slots=True)
class Reading:
    """What an analyst command reads: an open read-only connection and how to name it."""

    opened: AbstractContextManager[Connection]
    label: str  # the DuckDB file's path, or "lake host:port/dbname" (never the connection string)
    database: Path | None  # the DuckDB file, None for a lake


def reading(args: argparse.Namespace) -> Reading:
    """The lake ``--warehouse``/``$NEWS_INGEST_WAREHOUSE`` names, else the ``--db`` file."""
    lake = named_lake(args)
    if lake is not None:
        return Reading(read_lake(lake), f"lake {lake.address()}", None)
    database = existing_database(args.db)
    return Reading(read_only(database), str(database), database)


def run_sql(
    db: Path,
    query: str,
    *,
    fmt: str,
    out: Path | None,
    live: bool = False,
    lake: LakeTarget | None = None,
) -> None:
    """Run one read-only query; print it as a table, CSV or JSON, or write Parquet.

    It reads the published snapshot when there is one, or with ``live`` the live file;
    with ``lake``, the lake (its views by name, docs/lake.md).
    """
    if fmt == "parquet" and out is None:
        raise UsageError("--format parquet needs --out FILE")
    opened = read_lake(lake) if lake is not None else read_only(db, live=live)
    with opened as conn:
        if fmt == "parquet":
            assert out is not None
            if not write_query_parquet(conn, query, out):
                print("(the statement returned no rows)")
            return
        result = run_query(conn, query)
    if result is None:
        print("(the statement returned no rows)")
        return
    write_rows(result.columns, result.rows, fmt=fmt, out=out)


def write_rows(
    columns: Sequence[str], rows: Sequence[tuple[Any, ...]], *, fmt: str, out: Path | None
) -> None:
    """Write query results as a table, CSV or JSON to ``out`` or standard output."""
    handle: IO[str] = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    try:
        if fmt == "csv":
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows(rows)
        elif fmt == "json":
            records = [dict(zip(columns, row, strict=True)) for row in rows]
            print_json(records, handle)
        else:
            console = stdout_console(handle)
            print_rows(columns, rows, console)
            emit(console, f"{len(rows)} row(s)")
    finally:
        if out:
            handle.close()


def check_source(conn: Connection, name: str | None, database: Path | str) -> None:
    """A UsageError when ``name`` is given and no run of this warehouse ever had that source."""
    if name is None:
        return
    known = source_names(conn)
    if name not in known:
        raise UsageError(
            f"unknown source {name!r}: {database} has no article or run of a source of that "
            f"name (known: {', '.join(known) or 'none yet'})"
        )


def _search(args: argparse.Namespace) -> int:
    source = reading(args)
    with source.opened as conn:
        check_source(conn, args.source, source.label)
        result = search.search(
            conn, args.terms, since=args.since, source=args.source, limit=args.limit
        )
    if args.fmt == "table":
        _print_hits(result)
    else:
        rows = [tuple(getattr(h, f) for f in _SEARCH_FIELDS) for h in result.hits]
        write_rows(_SEARCH_FIELDS, rows, fmt=args.fmt, out=None)
    if result.not_indexed and not args.quiet:
        print(
            f"note: {result.not_indexed} article(s) stored since the last index refresh are not "
            "searchable yet (edited articles are indexed again at the end of each run)",
            file=sys.stderr,
        )
    return ExitCode.OK


def _print_hits(result: search.SearchResult) -> None:
    """One block per hit: title; score, date, source; URL; snippet. Fits any width."""
    console = stdout_console()
    if not result.hits:
        emit(console, Text(f"no article matches {' '.join(result.terms)!r}"))
        return
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(overflow="fold")
    for number, hit in enumerate(result.hits, start=1):
        # The publication day when known, else the day the article was first seen, said so.
        day = (
            f"published {hit.published_at:%Y-%m-%d}"
            if hit.published_at
            else f"first seen {hit.first_seen_at:%Y-%m-%d}"
        )
        about = f"{hit.source} · {day} · score {hit.score:.3f} · article {hit.article_id}"
        # Text, not str: stored titles and values like "[video]" or "a[/i]" are data, not markup.
        body = Text.assemble(
            (hit.title or "(no title)", "bold"), "\n", about, "\n", hit.url, "\n", hit.snippet
        )
        grid.add_row(Text(f"{number}."), body)
        grid.add_row("", "")
    emit(console, grid)


def _export(args: argparse.Namespace) -> int:
    source = reading(args)
    with source.opened as conn:
        label = str(source.database.absolute()) if source.database else source.label
        manifest = export.export_parquet(
            conn, args.to, source_database=label, overwrite=args.overwrite
        )
    for table in manifest.tables:
        print(f"{table.name:<18} {table.rows:>9} rows  {len(table.files):>5} file(s)")
    print(f"exported to {args.to} (see {args.to / export.MANIFEST})")
    return ExitCode.OK


def _report(args: argparse.Namespace) -> int:
    from flows.app.report import write_report  # noqa: PLC0415 (only this command needs it)

    if args.out.exists() and args.out.is_dir():
        raise UsageError(f"{args.out} is a folder; give a file name such as report.html")
    source = reading(args)
    with source.opened as conn:
        data = collect_report(conn, database=source.label)
    try:
        write_report(data, args.out)
    except OSError as exc:
        raise OutputError(f"cannot write {args.out}: {exc}") from exc
    if data.totals["articles"] == 0 and not args.quiet:
        print("note: the warehouse has no articles yet; the report says so", file=sys.stderr)
    print(f"report written to {args.out}")
    return ExitCode.OK


def _stats(args: argparse.Namespace) -> int:
    from flows.app.stats import print_stats  # noqa: PLC0415

    source = reading(args)
    with source.opened as conn:
        stats = collect_stats(conn)
    if args.fmt == "json":
        print_json({"database": source.label, **json_value(stats)})
    else:
        print_stats(stats, database=source.label)
    return ExitCode.OK


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
