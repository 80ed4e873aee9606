"""``news-ingest stats``: a short summary of the warehouse (counts, last run, source freshness)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.text import Text

from flows.app.output import emit, print_rows, stdout_console
from warehouse.summaries import SourceLine, Stats

__all__ = ["print_stats"]


def print_stats(stats: Stats, *, database: str, console: Console | None = None) -> None:
    """Print the summary: counts, the last run and one line per source."""
    out = console or stdout_console()
    now = datetime.now(UTC)
    emit(out, Text(database, style="bold"))
    emit(
        out,
        f"{stats.articles} articles ({stats.versions} versions) in {stats.stories} stories, "
        f"{stats.multi_source_stories} of them from several sources; "
        f"{stats.rejects} rejected documents; "
        f"{stats.runs} runs ({stats.failed_runs} not completed)",
    )
    if stats.indexed < stats.articles:
        emit(out, f"search index: {stats.articles - stats.indexed} article(s) not indexed yet")
    if stats.last_run is None:
        emit(out, "no run yet: `news-ingest run` ingests the configured sources")
    else:
        run = stats.last_run
        took = f", took {_span(run.finished_at - run.started_at)}" if run.finished_at else ""
        emit(
            out,
            f"last run {_ago(run.started_at, now)} ({run.started_at:%Y-%m-%d %H:%M} UTC): "
            f"{run.status}{took}; {run.new} new, {run.updated} updated, "
            f"{run.duplicates} duplicates, {run.rejected} rejected, {run.errors} errors",
        )
    if stats.sources:
        emit(out, "")
        rows = [_source_row(s, now) for s in stats.sources]
        print_rows(_SOURCE_COLUMNS, rows, out, right=("articles",))


_SOURCE_COLUMNS = (
    "source",
    "kind",
    "last run",
    "status",
    "last success",
    "last new article",
    "articles",
    "notes",
)


def _source_row(s: SourceLine, now: datetime) -> tuple[str, ...]:
    notes = []
    if s.consecutive_failures:
        since = f", failing since {_ago(s.failing_since, now)}" if s.failing_since else ""
        notes.append(f"{s.consecutive_failures} failure(s) in a row{since}")
    if s.went_quiet:
        notes.append("went quiet")
    if s.problem:
        notes.append(s.problem if len(s.problem) <= 60 else s.problem[:57] + "...")
    return (
        s.source,
        s.kind,
        _ago(s.last_run_at, now),
        s.last_status or "",
        _ago(s.last_success_at, now),
        _ago(s.last_change_at, now),
        str(s.articles),
        "; ".join(notes),
    )


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
