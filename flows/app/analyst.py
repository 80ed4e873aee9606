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

import duckdb
from rich.console import Console
from rich.table import Table
from rich.text import Text

from warehouse import export, search
from warehouse.reading import read_only

__all__ = ["QUERY_TYPES", "add_commands", "refusal", "run_sql", "write_rows"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# Statement types the sql command runs; anything else (INSERT, COPY, ATTACH, SET...) is refused.
QUERY_TYPES = frozenset(
    {
        duckdb.StatementType.SELECT,
        duckdb.StatementType.EXPLAIN,
        duckdb.StatementType.PRAGMA,
        duckdb.StatementType.CALL,
    }
)
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


def run_sql(db: Path, query: str, *, fmt: str, out: Path | None, live: bool = False) -> int:
    """Run one read-only query; print it as a table, CSV or JSON, or write Parquet.

    It reads the published snapshot when there is one, or with ``live`` the live file.
    """
    if fmt == "parquet" and out is None:
        return _fail("--format parquet needs --out FILE", EXIT_USAGE)
    with read_only(db, live=live) as conn:
        problem = refusal(conn, query)
        if problem:
            return _fail(problem, EXIT_USAGE)
        try:
            relation: duckdb.DuckDBPyRelation | None = conn.sql(query)
            if relation is None:
                print("(the statement returned no rows)")
                return EXIT_OK
            if fmt == "parquet":
                assert out is not None
                relation.write_parquet(str(out))
                return EXIT_OK
            columns, rows = relation.columns, relation.fetchall()
        except duckdb.Error as exc:
            return _fail(_explain(exc), EXIT_FAILED)
    write_rows(columns, rows, fmt=fmt, out=out)
    return EXIT_OK


def refusal(conn: duckdb.DuckDBPyConnection, query: str) -> str | None:
    """Why the sql command would not run ``query`` (it writes, or is several statements)."""
    try:
        parsed = conn.extract_statements(query)
    except duckdb.Error as exc:
        return _explain(exc)
    # A dynamic PIVOT expands into generated statements (a CREATE TYPE, then the SELECT) that
    # carry no text of their own: the user wrote one statement, judged by its last part.
    statements = [s for s in parsed if s.query.strip()] or parsed[-1:]
    if not statements:
        return "no SQL statement given"
    if len(statements) > 1:
        return f"one statement at a time, please (got {len(statements)})"
    kind = statements[0].type
    if kind not in QUERY_TYPES:
        name = kind.name
        return (
            f"the sql command is read-only: a {name} statement is refused. It answers queries "
            "(SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN); to save a result, use "
            "--format csv|json|parquet --out FILE"
        )
    return None


def _explain(exc: duckdb.Error) -> str:
    message = str(exc).strip()
    lowered = message.lower()
    if "read-only" in lowered or "read only" in lowered:
        return f"the sql command is read-only; writes are refused ({message.splitlines()[0]})"
    if isinstance(exc, duckdb.CatalogException):
        return (
            f"{message}\nThe tables and views are listed in docs/schema.md, "
            'or run: news-ingest sql "SHOW ALL TABLES"'
        )
    return f"query failed: {message}"


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
        try:
            result = search.search(
                conn, args.terms, since=args.since, source=args.source, limit=args.limit
            )
        except search.EmptyQueryError as exc:
            return _fail(str(exc), EXIT_USAGE)
        except search.SearchError as exc:
            return _fail(str(exc), EXIT_FAILED)
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
            "searchable yet (the index catches up at the end of each run)",
            file=sys.stderr,
        )
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    with read_only(args.db) as conn:
        try:
            manifest = export.export_parquet(
                conn, args.to, source_database=str(args.db.absolute()), overwrite=args.overwrite
            )
        except export.TargetExistsError as exc:
            return _fail(str(exc), EXIT_USAGE)
        except export.ExportError as exc:
            return _fail(str(exc), EXIT_FAILED)
    for table in manifest.tables:
        print(f"{table.name:<18} {table.rows:>9} rows  {len(table.files):>5} file(s)")
    print(f"exported to {args.to} (see {args.to / export.MANIFEST})")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from flows.app.report import write_report  # noqa: PLC0415 (only this command needs it)

    if args.out.exists() and args.out.is_dir():
        return _fail(f"{args.out} is a folder; give a file name such as report.html", EXIT_USAGE)
    with read_only(args.db) as conn:
        try:
            data = write_report(conn, args.out, database=str(args.db))
        except OSError as exc:
            return _fail(f"cannot write {args.out}: {exc}", EXIT_FAILED)
    if data.totals["articles"] == 0:
        print("note: the warehouse has no articles yet; the report says so", file=sys.stderr)
    print(f"report written to {args.out}")
    return EXIT_OK


def _stats(args: argparse.Namespace) -> int:
    from flows.app.stats import collect_stats, print_stats  # noqa: PLC0415

    with read_only(args.db) as conn:
        stats = collect_stats(conn)
    print_stats(stats, database=str(args.db))
    return EXIT_OK


def _fail(message: str, code: int) -> int:
    print(f"news-ingest: {message}", file=sys.stderr)
    return code


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
