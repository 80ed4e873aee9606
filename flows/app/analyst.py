"""The analyst commands: ``sql``, ``search``, ``export``, ``report``, ``stats``.

All of them open the warehouse read-only through :func:`warehouse.reading.read_only`,
which reads the snapshot published after the last run when there is one (``sql --live``
reads the live file instead). Their usage is in :mod:`flows.app.cli`.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from rich.console import Console
from rich.table import Table
from rich.text import Text

from flows.errors import OutputError, UsageError
from news_ingest.errors import ExitCode
from warehouse import export, search
from warehouse.queries import run_query, write_query_parquet
from warehouse.reading import read_only
from warehouse.summaries import collect_report, collect_stats

__all__ = ["add_commands", "run_sql", "write_rows"]

_WIDE = 240  # table width when standard output is not a terminal (a file, a pipe)


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    *,
    db_option: Callable[[argparse.ArgumentParser], None],
) -> None:
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
    found.add_argument("--format", choices=("table", "csv", "json"), default="table", dest="fmt")
    db_option(found)
    found.set_defaults(handler=_search)

    out = commands.add_parser("export", help="write the views as Parquet files with a manifest")
    out.add_argument("--to", type=Path, required=True, metavar="DIR", help="folder to create")
    out.add_argument("--overwrite", action="store_true", help="replace an earlier export in DIR")
    db_option(out)
    out.set_defaults(handler=_export)

    page = commands.add_parser("report", help="write a self-contained HTML report with charts")
    page.add_argument("--out", type=Path, required=True, metavar="FILE", help="e.g. report.html")
    db_option(page)
    page.set_defaults(handler=_report)

    stats = commands.add_parser("stats", help="counts, the last run and per-source freshness")
    db_option(stats)
    stats.set_defaults(handler=_stats)


def run_sql(db: Path, query: str, *, fmt: str, out: Path | None, live: bool = False) -> None:
    """Run one read-only query; print it as a table, CSV or JSON, or write Parquet.

    It reads the published snapshot when there is one, or with ``live`` the live file.
    """
    if fmt == "parquet" and out is None:
        raise UsageError("--format parquet needs --out FILE")
    with read_only(db, live=live) as conn:
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
            json.dump(records, handle, default=_json_value, ensure_ascii=False, indent=2)
            handle.write("\n")
        else:
            _print_table(columns, rows, handle)
    finally:
        if out:
            handle.close()


def _print_table(columns: Sequence[str], rows: Sequence[tuple[Any, ...]], handle: IO[str]) -> None:
    table = Table(show_lines=False)
    # Text, not str: stored titles and values like "[video]" or "a[/i]" are data, not markup.
    for column in columns:
        table.add_column(Text(column), overflow="fold", max_width=60)
    for row in rows:
        table.add_row(*(Text("NULL" if v is None else _short(v)) for v in row))
    console = Console(file=handle, width=None if handle.isatty() else _WIDE)
    console.print(table)
    console.print(f"{len(rows)} row(s)")


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 300 else text[:297] + "..."


def _json_value(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, UUID | bytes):
        return str(value)
    return str(value)


def _search(args: argparse.Namespace) -> int:
    with read_only(args.db) as conn:
        result = search.search(
            conn, args.terms, since=args.since, source=args.source, limit=args.limit
        )
    # "date" is the publication day when known, else the first-seen day marked "(seen)".
    columns = ["score", "date", "source", "title", "url", "snippet", "article_id"]
    rows = [
        (
            round(h.score, 3),
            h.published_at.strftime("%Y-%m-%d")
            if h.published_at
            else f"{h.first_seen_at:%Y-%m-%d} (seen)",
            h.source,
            h.title,
            h.url,
            h.snippet,
            h.article_id,
        )
        for h in result.hits
    ]
    if args.fmt != "table":
        write_rows(columns, rows, fmt=args.fmt, out=None)
    elif rows:
        _print_table(columns, rows, sys.stdout)
    else:
        print(f"no article matches {' '.join(result.terms)!r}")
    if result.not_indexed:
        print(
            f"note: {result.not_indexed} article(s) stored since the last index refresh are not "
            "searchable yet (edited articles are indexed again at the end of each run)",
            file=sys.stderr,
        )
    return ExitCode.OK


def _export(args: argparse.Namespace) -> int:
    with read_only(args.db) as conn:
        manifest = export.export_parquet(
            conn, args.to, source_database=str(args.db.absolute()), overwrite=args.overwrite
        )
    for table in manifest.tables:
        print(f"{table.name:<18} {table.rows:>9} rows  {len(table.files):>5} file(s)")
    print(f"exported to {args.to} (see {args.to / export.MANIFEST})")
    return ExitCode.OK


def _report(args: argparse.Namespace) -> int:
    from flows.app.report import write_report  # noqa: PLC0415 (only this command needs it)

    if args.out.exists() and args.out.is_dir():
        raise UsageError(f"{args.out} is a folder; give a file name such as report.html")
    with read_only(args.db) as conn:
        data = collect_report(conn, database=str(args.db))
    try:
        write_report(data, args.out)
    except OSError as exc:
        raise OutputError(f"cannot write {args.out}: {exc}") from exc
    if data.totals["articles"] == 0:
        print("note: the warehouse has no articles yet; the report says so", file=sys.stderr)
    print(f"report written to {args.out}")
    return ExitCode.OK


def _stats(args: argparse.Namespace) -> int:
    from flows.app.stats import print_stats  # noqa: PLC0415

    with read_only(args.db) as conn:
        stats = collect_stats(conn)
    print_stats(stats, database=str(args.db))
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
