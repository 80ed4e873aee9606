"""``news-ingest stats``: a short summary of the warehouse (counts, last run, source freshness)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.table import Table
from rich.text import Text

from warehouse.summaries import SourceLine, Stats

__all__ = ["print_stats"]


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
            since = f", failing since {_ago(s.failing_since, now)}" if s.failing_since else ""
            notes.append(f"{s.consecutive_failures} failure(s) in a row{since}")
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
