"""Re-extraction: clean captured raw pages again, store a version only where the output changed.

When trafilatura is upgraded or the cleaning changes, the pages already in
the warehouse can be cleaned again from their raw capture (the WARC record
each version points at, ``capture_path`` + ``capture_offset``), without
fetching anything. For every article whose *latest* version has a capture,
the record is read back (:func:`connectors.warc.read_capture`), cleaned in the
same extraction engine as the ingest flow, and stored through the same
:func:`flows.pipeline.persist.persist_batch`, one transaction per batch: a new version
where the title or text changed, nothing where it did not. A page that no
longer yields an article, or a capture that is missing or does not hold the
bytes the version was extracted from, becomes a reject row; the version stays.
Pages fetched with ``[capture] warc = true`` point at their capture files;
pages read from a ``warc`` source point at their record in that archive.

The re-extracted document is given back what the original run knew beside
the page (its location, the feed or sitemap hints stored with the version),
so a field that came from a hint does not flip to unknown. It is pinned to the
article it was read for and touches no fetch state: a re-extraction says
nothing about the web, so ``url_state`` and last-seen times stay as they were.

Each run is recorded like an ingest run (``runs``, and a ``run_sources`` row
per source with kind ``reextract``), so it shows in ``news-ingest`` reports.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time
from pathlib import Path
from uuid import UUID

from prefect import State, flow, get_run_logger, task
from prefect.cache_policies import NONE

from connectors.records import CaptureRef, EntryHints, RawDocument, Rejected, RejectReason
from connectors.warc import read_capture
from flows.errors import ReextractError
from flows.pipeline.config import (
    PipelineSettings,
    WarehouseSettings,
    load_settings,
    with_engine,
)
from flows.pipeline.lakeconfig import lake_target
from flows.pipeline.outcome import final_state
from flows.pipeline.paths import locate_database
from flows.pipeline.per_document import ArticlePool, extraction_pool
from flows.pipeline.persist import (
    BatchResult,
    persist_batch,
    persist_source_finish,
    persist_source_start,
)
from flows.pipeline.reports import RunReport, SourceReport, add_counts
from flows.pipeline.session import run_session
from flows.pipeline.sitetitles import SiteTitleMemory
from warehouse import lookups
from warehouse.connection import Connection
from warehouse.rows import CapturedVersion, RunCounts

__all__ = ["KIND", "parse_since", "reextract"]

logger = logging.getLogger(__name__)

KIND = "reextract"  # run_sources.kind of a re-extraction


@dataclass(slots=True)
class _Job:
    """What every batch of a re-extraction needs (lives only inside the flow's process)."""

    run_id: UUID
    conn: Connection
    pool: ArticlePool
    since: datetime | None
    batch_size: int
    reports: list[SourceReport] = field(default_factory=list)
    site_titles: SiteTitleMemory = field(default_factory=SiteTitleMemory)  # what hosts taught


def parse_since(value: str) -> datetime:
    """An ISO date or date-time as an aware datetime (no zone: UTC; a date: its midnight)."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"expected an ISO date or date-time, got {value!r}") from exc
    if len(text) == 10:  # a bare date
        parsed = datetime.combine(parsed.date(), time.min)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@flow(name="news-ingest-reextract", persist_result=False, log_prints=True)
async def reextract(
    db_path: str | None = None,
    source_names: list[str] | None = None,
    since: datetime | None = None,
    sources_path: str | None = None,
    *,
    engine: str | None = None,
    scheduler: str | None = None,
    warehouse: str | None = None,
) -> RunReport | State[RunReport]:
    """Clean every captured latest version again; store new versions where the output changed.

    ``source_names`` limits it to versions those sources delivered, ``since``
    to pages captured at or after that time; ``sources_path`` supplies the
    ``[pipeline]`` settings (batch size, workers, extraction and lock time limits,
    snapshot, engine), else defaults; ``engine`` and ``scheduler`` override its engine.
    Without ``db_path``: $NEWS_INGEST_DB, else the per-user default. ``warehouse`` (else
    $NEWS_INGEST_WAREHOUSE, else the sources file's ``[warehouse] target``) names a lake
    instead (docs/lake.md). The flow run ends Failed when a source failed
    (:mod:`flows.pipeline.outcome`, whose ``report_of`` returns the report either way).
    """
    settings = load_settings(Path(sources_path)) if sources_path else None
    pipeline = settings.pipeline if settings else PipelineSettings()
    pipeline = with_engine(pipeline, engine=engine, scheduler=scheduler)
    database = locate_database(Path(db_path) if db_path else None).path
    configured = settings.warehouse if settings else WarehouseSettings()
    lake = lake_target(configured, warehouse=warehouse, data_path=None, database=database)
    if lake is None and not database.exists():
        raise ReextractError(f"no database at {database}: run `news-ingest run` first")
    since = _as_utc(since)
    names: list[str] = []  # the sources named, else those with captures (read at start)

    def selected(conn: Connection) -> list[str]:
        names.extend(source_names or lookups.captured_sources(conn, since=since))
        return names

    async with extraction_pool(pipeline) as pool:
        with run_session(
            database, pipeline=pipeline, sources_file=KIND, selected=selected, lake=lake
        ) as session:
            job = _Job(session.run_id, session.conn, pool, since, pipeline.batch_size)
            for name in names:
                job.reports.append(await _reextract_source(job, name))
    return final_state(RunReport(session.run_id, session.status, tuple(job.reports), str(database)))


async def _reextract_source(job: _Job, name: str) -> SourceReport:
    """Re-extract one source's captured versions, batch by batch; a failure stays in it."""
    persist_source_start(job.conn, run_id=job.run_id, source=name, kind=KIND, at=datetime.now(UTC))
    totals = RunCounts()
    status, error = "completed", None
    try:
        for versions in _pages(job, name):
            totals = add_counts(totals, await reextract_batch(job, name, versions))
    except Exception as exc:  # one failing source must not stop the others
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        logger.exception("re-extraction of source %s failed", name)
    warning = None if totals.found or error else _nothing_captured(name, job.since)
    persist_source_finish(
        job.conn,
        run_id=job.run_id,
        source=name,
        status=status,
        at=datetime.now(UTC),
        warning=warning,
        error=error,
    )
    return SourceReport(name, KIND, status, totals, warning=warning, error=error)


def _pages(job: _Job, name: str) -> Iterator[list[CapturedVersion]]:
    """The source's captured latest versions, ``batch_size`` at a time, by article id."""
    after = 0
    while True:
        page = lookups.load_captured_versions(
            job.conn, source=name, since=job.since, after_article_id=after, limit=job.batch_size
        )
        if not page:
            return
        yield page
        after = page[-1].article_id


@task(name="reextract-batch", cache_policy=NONE, persist_result=False)
async def reextract_batch(job: _Job, source: str, versions: list[CapturedVersion]) -> RunCounts:
    """Read, clean and store one batch of captured versions (one transaction)."""
    now = datetime.now(UTC)
    targets: dict[int, int] = {}
    result = BatchResult(source, seen_at=now, targets=targets)
    read = await asyncio.to_thread(lambda: [_read(version) for version in versions])
    docs = [(v.article_id, item) for v, item in zip(versions, read, strict=True)]
    pages = [(article_id, d) for article_id, d in docs if isinstance(d, RawDocument)]
    result.rejects.extend((d, now) for _, d in docs if isinstance(d, Rejected))
    job.site_titles.load(job.conn, (doc.url for _, doc in pages))
    titles = job.site_titles
    cleaned = await asyncio.gather(*(job.pool.process(d, titles.site(d.url)) for _, d in pages))
    for (article_id, _), processed in zip(pages, cleaned, strict=True):
        if isinstance(processed, Rejected):
            result.rejects.append((processed, now))
        else:
            titles.remember(processed)
            targets[len(result.articles)] = article_id
            result.articles.append(processed)
    result.counts = RunCounts(found=len(versions))
    counts = persist_batch(job.conn, result, run_id=job.run_id)
    get_run_logger().debug("re-extracted batch of %s: %s", source, counts)
    return counts


def _read(version: CapturedVersion) -> RawDocument | Rejected:
    """The captured page of a version, as the document the original run cleaned."""
    ref = CaptureRef(path=version.capture_path, offset=version.capture_offset)
    item = read_capture(ref, source=version.source)
    if isinstance(item, Rejected):
        return replace(item, location=version.location, detail=f"capture: {item.detail}")
    if item.raw_hash != version.raw_hash:
        detail = (
            f"capture {ref.path} at offset {ref.offset} holds other bytes than version "
            f"{version.version_no} was extracted from"
        )
        return Rejected(
            version.source, version.location, RejectReason.MALFORMED_RECORD, detail, item.raw_hash
        )
    return replace(
        item,
        location=version.location,
        url=version.url or item.url,
        hints=_hints(version),
        capture=ref,  # the stored name, not the ``.open`` one a live capture file has
    )


def _hints(version: CapturedVersion) -> EntryHints | None:
    """The feed, sitemap or archive hints stored with a version, as the cleaner's fallbacks."""
    if version.hint_origin is None:
        return None
    from_hint = version.authors_source == version.hint_origin
    return EntryHints(
        origin=version.hint_origin,
        guid=version.hint_guid,
        title=version.hint_title,
        published_at=version.hint_published_at,
        language=version.language,  # the page's own language still wins in cleaning
        authors=version.authors if from_hint else (),
    )


def _nothing_captured(name: str, since: datetime | None) -> str:
    after = f" since {since.isoformat()}" if since else ""
    return f"no captured pages{after} for source {name!r} (fetched with [capture] warc = true?)"


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
