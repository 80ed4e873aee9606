"""The read queries behind ``news-ingest stats`` and ``news-ingest report``, as typed rows.

Both read the analyst views (docs/schema.md) through a read-only connection;
the app formats what they return and runs no SQL of its own. A lake's
connection has the same views (docs/lake.md): the same queries answer there,
except the figures a lake keeps in PostgreSQL and reads there directly (the
source names, the search index's size), which its postgres extension would
copy whole into DuckDB to count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from warehouse.connection import Connection
from warehouse.lake.registry import handle_of
from warehouse.search import indexed_count

__all__ = [
    "DAYS",
    "RUNS",
    "TOP_STORIES",
    "CaptureCoverage",
    "LastRun",
    "ReportData",
    "SourceLine",
    "Stats",
    "capture_coverage",
    "collect_report",
    "collect_stats",
    "source_names",
]

_COUNTS = """
SELECT
    (SELECT count(*) FROM main.articles),
    (SELECT count(*) FROM main.article_versions),
    (SELECT count(*) FROM main.stories),
    (SELECT count(*) FROM main.stories WHERE source_count > 1),
    (SELECT count(*) FROM main.rejects),
    (SELECT count(*) FROM main.runs),
    (SELECT count(*) FROM main.runs WHERE status <> 'completed' AND status <> 'running')
"""

_LAST_RUN = """
SELECT run_id, status, started_at, finished_at, new, updated, duplicates, rejected, errors
FROM main.runs ORDER BY started_at DESC LIMIT 1
"""

_SOURCES = """
SELECT source, kind, last_run_at, last_status, last_success_at, last_change_at, articles,
       consecutive_failures, went_quiet, coalesce(last_error, last_warning), failing_since
FROM main.source_health ORDER BY source
"""


_SOURCE_NAMES = """
SELECT source FROM store.run_sources WHERE kind <> 'reextract'
UNION SELECT source FROM store.articles
UNION SELECT source FROM store.source_state
ORDER BY source
"""


def source_names(conn: Connection) -> tuple[str, ...]:
    """Every source this warehouse has a run, an article or fetch state of, by name."""
    handle = handle_of(conn)
    if handle is not None:  # the same statement, answered by PostgreSQL itself
        return tuple(str(row[0]) for row in handle.pg.execute(_SOURCE_NAMES).fetchall())
    return tuple(str(row[0]) for row in conn.execute(_SOURCE_NAMES).fetchall())


_COVERAGE = """
SELECT v.source, count(*),
       count(*) FILTER (WHERE v.capture_path IS NOT NULL AND v.capture_offset IS NOT NULL
                          AND ($since IS NULL OR v.retrieved_at >= $since))
FROM store.articles AS a
JOIN store.article_versions AS v ON v.article_id = a.article_id AND v.version_no = a.version_count
GROUP BY v.source ORDER BY v.source
"""


@dataclass(frozen=True, slots=True)
class CaptureCoverage:
    """How many of a source's articles a re-extraction could clean again."""

    source: str
    articles: int  # articles whose latest version the source delivered
    captured: int  # of them, those whose latest version has a raw capture (since the cut-off)


def capture_coverage(conn: Connection, *, since: datetime | None) -> tuple[CaptureCoverage, ...]:
    """Per source: its articles, and how many have a captured latest version."""
    rows = conn.execute(_COVERAGE, {"since": since}).fetchall()
    return tuple(CaptureCoverage(str(r[0]), int(r[1]), int(r[2])) for r in rows)


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
    failing_since: datetime | None = None


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


def collect_stats(conn: Connection) -> Stats:
    """Read the summary from the analyst views."""
    counts = conn.execute(_COUNTS).fetchone()
    assert counts is not None
    last = conn.execute(_LAST_RUN).fetchone()
    sources = conn.execute(_SOURCES).fetchall()
    articles, versions, stories, multi, rejects, runs, failed = (int(c) for c in counts)
    return Stats(
        articles=articles,
        versions=versions,
        stories=stories,
        multi_source_stories=multi,
        rejects=rejects,
        runs=runs,
        failed_runs=failed,
        indexed=indexed_count(conn),
        last_run=_last_run(last) if last else None,
        sources=tuple(SourceLine(*row) for row in sources),
    )


def _last_run(row: tuple[Any, ...]) -> LastRun:
    run_id, status, started, finished, *numbers = row
    return LastRun(str(run_id), status, started, finished, *(int(n) for n in numbers))


DAYS = 60  # days of the daily chart, ending at the newest day with articles
TOP_STORIES = 15
RUNS = 40

_DAILY = """
WITH bounds AS (SELECT max(day) AS last FROM main.daily_counts WHERE articles > 0)
SELECT strftime(day, '%Y-%m-%d'), source, articles
FROM main.daily_counts, bounds
WHERE articles > 0 AND day > bounds.last - to_days(CAST(? AS INTEGER))
ORDER BY day, source
"""

_STORIES = """
SELECT story_id, coalesce(title, url), source_count, article_count, sources
FROM main.stories
ORDER BY source_count DESC, article_count DESC, first_seen_at DESC
LIMIT ?
"""

_HEALTH = """
SELECT source, kind, last_status, last_success_at, error_rate, not_modified_rate,
       recent_fetches, consecutive_failures, went_quiet, articles, last_error, failing_since
FROM main.source_health ORDER BY source
"""

_RUNS = """
SELECT * FROM (
    SELECT CAST(run_id AS VARCHAR), started_at, status, new, updated, duplicates, rejected,
           errors, epoch(duration)
    FROM main.runs ORDER BY started_at DESC LIMIT ?
) ORDER BY started_at
"""


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything the page shows, as JSON-ready values."""

    database: str
    generated_at: str
    totals: dict[str, int]
    daily: list[dict[str, Any]]
    stories: list[dict[str, Any]]
    health: list[dict[str, Any]]
    runs: list[dict[str, Any]]


def collect_report(conn: Connection, *, database: str) -> ReportData:
    """Read the report's data from the analyst views."""
    totals = conn.execute(
        "SELECT (SELECT count(*) FROM main.articles), (SELECT count(*) FROM main.stories), "
        "(SELECT count(*) FROM main.source_health), (SELECT count(*) FROM main.runs)"
    ).fetchone()
    assert totals is not None
    daily = conn.execute(_DAILY, [DAYS]).fetchall()
    stories = conn.execute(_STORIES, [TOP_STORIES]).fetchall()
    health = conn.execute(_HEALTH).fetchall()
    runs = conn.execute(_RUNS, [RUNS]).fetchall()
    return ReportData(
        database=database,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        totals=dict(zip(("articles", "stories", "sources", "runs"), map(int, totals), strict=True)),
        daily=[{"day": d, "source": s, "articles": int(n)} for d, s, n in daily],
        stories=[
            {"story_id": i, "title": t, "sources": int(s), "articles": int(a), "names": n}
            for i, t, s, a, n in stories
        ],
        health=[_health(row) for row in health],
        runs=[_run(row) for row in runs],
    )


def _health(row: tuple[Any, ...]) -> dict[str, Any]:
    source, kind, status, success, errors, not_modified, fetches, failures, quiet, articles = row[
        :10
    ]
    error, failing_since = row[10:]
    return {
        "source": source,
        "kind": kind,
        "status": status,
        "last_success": _when(success),
        "error_rate": errors,
        "not_modified_rate": not_modified,
        "fetches": int(fetches),
        "failures": int(failures),
        "quiet": bool(quiet),
        "articles": int(articles),
        "error": error,
        "failing_since": _when(failing_since),
    }


def _run(row: tuple[Any, ...]) -> dict[str, Any]:
    run_id, started, status, new, updated, duplicates, rejected, errors, seconds = row
    return {
        "run_id": run_id,
        "started": _when(started),
        "status": status,
        "new": int(new),
        "updated": int(updated),
        "duplicates": int(duplicates),
        "rejected": int(rejected),
        "errors": int(errors),
        "seconds": float(seconds) if seconds is not None else None,
    }


def _when(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()
