"""Per-source bookkeeping of an ingest run: skip when not due, open and close the source's part.

A web source's freshness state is read before it runs; a scheduled run skips
a web source that is not due yet. When the source ends, its fetch log and the
validators of its feeds and sitemaps are stored, and (for a web source that
completed) when it is next due and whether it went quiet. A web source whose
feed, sitemap or URL list could not be fetched or read ends ``failed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connectors.http import FetchOutcome, FetchRecord
from flows.pipeline import freshness
from flows.pipeline.config import SourceConfig
from flows.pipeline.context import RunContext
from flows.pipeline.persist import (
    SourceEnd,
    SourceFreshnessUpdate,
    persist_source_end,
    persist_source_start,
)
from flows.pipeline.reports import SourceReport
from flows.pipeline.runlog import say, warn
from warehouse.lookups import SourceFreshness, load_freshness
from warehouse.rows import RunCounts, UrlStateRow

__all__ = ["WebState", "finish_source", "not_due", "start_source", "web_state"]


@dataclass(frozen=True, slots=True)
class WebState:
    """A web source's freshness state before the run, and its schedule's period."""

    state: SourceFreshness | None
    period: timedelta | None


async def web_state(run: RunContext, config: SourceConfig) -> WebState:
    """What the warehouse remembers of a web source's freshness, and its schedule's period."""
    return WebState(load_freshness(run.conn, config.name), await freshness.schedule_period(config))


def not_due(run: RunContext, config: SourceConfig, web: WebState | None) -> SourceReport | None:
    """The skip report of a web source a scheduled run leaves alone, or None when it is due.

    It says so in the log and the run's summary; run_sources gets no row, so
    the source's health counts only the runs that looked at it.
    """
    if web is None or not run.only_due:
        return None
    note = freshness.not_due_note(web.state, at=datetime.now(UTC))
    if not note:
        return None
    say(f"source {config.name} {note}")  # the run log, or this process's log outside a run
    return SourceReport(config.name, config.kind.value, "skipped", RunCounts(), note=note)


def start_source(run: RunContext, config: SourceConfig) -> None:
    """Record that the source's part of the run began."""
    persist_source_start(
        run.conn,
        run_id=run.run_id,
        source=config.name,
        kind=config.kind.value,
        at=datetime.now(UTC),
    )


def finish_source(
    run: RunContext,
    config: SourceConfig,
    *,
    error: str | None,
    totals: RunCounts,
    web: WebState | None,
) -> SourceReport:
    """Close the source's part of the run and report it (``error``: what stopped it, if any).

    A web source whose feeds, sitemaps or URL list could not be fetched or read
    failed, though its batches completed (:mod:`flows.pipeline.discovery`).
    For a web source that completed, also work out when it is next due and
    whether it went quiet (the warning is stored in run_sources.warning).
    """
    now = datetime.now(UTC)
    fetches = run.drain_fetch_log(config.name)
    batches_done = error is None  # every batch stored: the feeds' validators may be kept
    if web is not None and error is None:
        error = _discovery_error(run, config.name)
    status = "completed" if error is None else "failed"
    assessment = None
    if web is not None and status == "completed":
        assessment = freshness.assess(
            config,
            period=web.period,
            state=web.state,
            counts=totals,
            discovery_unchanged=_discovery_unchanged(run.discovery),
            scheduled_at=run.scheduled_at,
            now=now,
        )
        if assessment.warning:
            warn(assessment.warning)
    end = SourceEnd(
        source=config.name,
        kind=config.kind.value,
        run_id=run.run_id,
        status=status,
        at=now,
        changed=freshness.changed(totals),
        error=error,
        warning=assessment.warning if assessment else None,
        fetches=fetches,
        discovery=_discovery_state(run.discovery, config.name, now) if batches_done else [],
        freshness=_freshness_update(assessment, now),
    )
    run.discovery.clear()
    run.watch.clear()
    persist_source_end(run.conn, end)
    return SourceReport(
        config.name, config.kind.value, status, totals, warning=end.warning, error=error
    )


def _discovery_error(run: RunContext, source: str) -> str | None:
    """Why the source's discovery failed (each feed, sitemap or URL list), or None; logged."""
    failures = run.watch.failures(run.discovery)
    if not failures:
        return None
    error = "; ".join(failures)
    warn(f"source {source} failed: {error}")
    return error


def _freshness_update(
    assessment: freshness.Assessment | None, now: datetime
) -> SourceFreshnessUpdate | None:
    if assessment is None:
        return None
    return SourceFreshnessUpdate(
        next_due_at=assessment.next_due_at,
        revisit_seconds=assessment.revisit.total_seconds() if assessment.revisit else None,
        yielded_at=now if assessment.yielded else None,
    )


def _discovery_unchanged(records: list[FetchRecord]) -> bool:
    """Every feed or sitemap fetched this run answered 304 Not Modified."""
    return bool(records) and all(r.outcome is FetchOutcome.NOT_MODIFIED for r in records)


def _discovery_state(records: list[FetchRecord], source: str, now: datetime) -> list[UrlStateRow]:
    """url_state rows carrying the validators of the feeds and sitemaps fetched this run."""
    return [
        UrlStateRow(
            location=record.url,
            source=source,
            raw_hash=None,
            article_id=None,
            etag=record.etag,
            last_modified=record.last_modified,
            last_seen_at=now,
            last_changed_at=now,
            kind=record.purpose.value,
        )
        for record in records
        if record.outcome in {FetchOutcome.OK, FetchOutcome.NOT_MODIFIED}
    ]
