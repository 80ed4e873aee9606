"""``news-ingest stats``: a short summary of the warehouse (counts, last run, source freshness)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["LastRun", "SourceLine", "Stats", "collect_stats", "print_stats"]

_COUNTS = """
SELECT
    (SELECT count(*) FROM main.articles),
    (SELECT count(*) FROM main.article_versions),
    (SELECT count(*) FROM main.stories),
    (SELECT count(*) FROM main.stories WHERE source_count > 1),
    (SELECT count(*) FROM main.rejects),
    (SELECT count(*) FROM main.runs),
    (SELECT count(*) FROM main.runs WHERE status <> 'completed' AND status <> 'running'),
    (SELECT count(*) FROM store.search_docs)
"""

_LAST_RUN = """
SELECT run_id, status, started_at, finished_at, new, updated, duplicates, rejected, errors
FROM main.runs ORDER BY started_at DESC LIMIT 1
"""

_SOURCES = """
SELECT source, kind, last_run_at, last_status, last_success_at, last_change_at, articles,
       consecutive_failures, went_quiet, coalesce(last_error, last_warning)
FROM main.source_health ORDER BY source
"""


@dataclass(frozen=True, slots=True)
class LastRun:
    """The most recent run."""

    run_id: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    new: int
    updated: int
    duplicates: int
    rejected: int
    errors: int


@dataclass(frozen=True, slots=True)
class SourceLine:
    """Freshness of one source."""

    source: str
    kind: str
    last_run_at: datetime | None
    last_status: str | None
    last_success_at: datetime | None
    last_change_at: datetime | None
    articles: int
    consecutive_failures: int
    went_quiet: bool
    problem: str | None


@dataclass(frozen=True, slots=True)
class Stats:
    """What ``news-ingest stats`` prints."""

    articles: int
    versions: int
    stories: int
    multi_source_stories: int
    rejects: int
    runs: int
    failed_runs: int
    indexed: int
    last_run: LastRun | None
    sources: tuple[SourceLine, ...]


def collect_stats(conn: duckdb.DuckDBPyConnection) -> Stats:
    """Read the summary from the analyst views."""
    counts = conn.execute(_COUNTS).fetchone()
    assert counts is not None
    last = conn.execute(_LAST_RUN).fetchone()
    sources = conn.execute(_SOURCES).fetchall()
    articles, versions, stories, multi, rejects, runs, failed, indexed = (int(c) for c in counts)
    return Stats(
        articles=articles,
        versions=versions,
        stories=stories,
        multi_source_stories=multi,
        rejects=rejects,
        runs=runs,
        failed_runs=failed,
        indexed=indexed,
        last_run=_last_run(last) if last else None,
        sources=tuple(SourceLine(*row) for row in sources),
    )


def _last_run(row: tuple[Any, ...]) -> LastRun:
    run_id, status, started, finished, *numbers = row
    return LastRun(str(run_id), status, started, finished, *(int(n) for n in numbers))


def print_stats(stats: Stats, *, database: str, console: Console | None = None) -> None:
    """Print the summary: counts, the last run and one line per source."""
    out = console or Console(width=None if sys.stdout.isatty() else 200)
    now = datetime.now(UTC)
    out.print(Text(database, style="bold"))
    out.print(
        f"{stats.articles} articles ({stats.versions} versions) in {stats.stories} stories, "
        f"{stats.multi_source_stories} of them from several sources; "
        f"{stats.rejects} rejected documents; {stats.runs} runs ({stats.failed_runs} not completed)"
    )
    if stats.indexed < stats.articles:
        out.print(f"search index: {stats.articles - stats.indexed} article(s) not indexed yet")
    if stats.last_run is None:
        out.print("no run yet: `news-ingest run` ingests the configured sources")
    else:
        run = stats.last_run
        took = f", took {_span(run.finished_at - run.started_at)}" if run.finished_at else ""
        out.print(
            f"last run {_ago(run.started_at, now)} ({run.started_at:%Y-%m-%d %H:%M} UTC): "
            f"{run.status}{took}; {run.new} new, {run.updated} updated, "
            f"{run.duplicates} duplicates, {run.rejected} rejected, {run.errors} errors"
        )
    if stats.sources:
        out.print(_sources_table(stats.sources, now))


def _sources_table(sources: tuple[SourceLine, ...], now: datetime) -> Table:
    table = Table(title="sources", title_justify="left")
    for column in ("source", "kind", "last run", "status", "last success", "last new article"):
        table.add_column(column)
    table.add_column("articles", justify="right")
    table.add_column("notes")
    for s in sources:
        notes = []
        if s.consecutive_failures:
            notes.append(f"{s.consecutive_failures} failure(s) in a row")
        if s.went_quiet:
            notes.append("went quiet")
        if s.problem:
            notes.append(s.problem if len(s.problem) <= 60 else s.problem[:57] + "...")
        # Text, not str: names and stored error messages are data, not Rich markup.
        table.add_row(
            Text(s.source),
            Text(s.kind),
            _ago(s.last_run_at, now),
            Text(s.last_status or ""),
            _ago(s.last_success_at, now),
            _ago(s.last_change_at, now),
            str(s.articles),
            Text("; ".join(notes)),
        )
    return table


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    return _span(now - moment) + " ago"


def _span(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
