"""The ingest flow: discover -> fetch -> clean -> dedupe -> store, one batch at a time.

One Prefect task per batch (hundreds of documents), never one per article,
so API calls do not grow with the corpus. Each batch is cleaned in the
extraction process pool and stored in one DuckDB transaction. A run holds one
writer connection from start to end (it waits, with a message, while another
process holds the file); analysts read the snapshot published after each run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar, cast
from uuid import UUID, uuid4

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NONE
from prefect.runtime import flow_run
from prefect.utilities.annotations import quote

from connectors.capture import WarcCapture
from connectors.http.client import Fetcher, FetchOutcome, FetchRecord, FetchResult, Purpose
from connectors.protocols import DocumentSource, WebSource
from connectors.records import (
    Candidate,
    Checkpoint,
    Media,
    RawDocument,
    Rejected,
    Validators,
    raw_hash,
)
from flows.extract.workers import ExtractionPool
from flows.pipeline import freshness
from flows.pipeline import session as runs
from flows.pipeline.config import Settings, SourceConfig, load_settings
from flows.pipeline.persist import BatchResult, Seen, persist_batch
from flows.pipeline.progress import reporter
from flows.pipeline.sources import build_source
from warehouse import store
from warehouse.connection import Connection, LockWait, connect, run_lock
from warehouse.operations import (
    SourceFreshness,
    load_freshness,
    record_freshness,
)
from warehouse.store import CheckpointRow, RunCounts, UrlStateRow

__all__ = ["RunReport", "SourceReport", "ingest"]

logger = logging.getLogger(__name__)

LocalItem = RawDocument | Rejected | Checkpoint


@dataclass(frozen=True, slots=True)
class SourceReport:
    """How one source's part of a run went."""

    name: str
    kind: str
    status: str  # completed | failed | skipped (a scheduled run; the web source was not due)
    counts: RunCounts
    warning: str | None = None
    error: str | None = None
    note: str | None = None  # why the source was skipped


@dataclass(frozen=True, slots=True)
class RunReport:
    """What a run did, per source."""

    run_id: UUID
    status: str
    sources: tuple[SourceReport, ...]
    database: str


# Pages in flight (fetching, fetched and waiting for a worker, being extracted) per
# extraction worker: enough to keep the workers busy, few enough that the raw pages
# of two whole batches are not all held at once (bench/: -78 MiB at 2000 pages).
_PAGES_PER_WORKER = 8


@dataclass(slots=True)
class _Run:
    """What every batch of a run needs (lives only inside the flow's process).

    The run holds one writer connection from start to end: DuckDB loads the
    near-duplicate index into memory when a connection first touches it (over
    a second at a million articles), so it is opened once, not per batch.
    Analysts read the snapshot published after each run meanwhile (see
    docs/operations.md).
    """

    settings: Settings
    run_id: UUID
    pool: ExtractionPool
    conn: Connection
    scheduled_at: datetime  # when the flow run was scheduled (now for a run started by hand)
    only_due: bool = False  # a scheduled run: web sources not due yet are skipped
    fetcher: Fetcher | None = None  # opened only when a web source is selected
    reports: list[SourceReport] = field(default_factory=list)
    discovery: list[FetchRecord] = field(default_factory=list)  # feed/sitemap fetches to remember
    pages: asyncio.Semaphore = field(init=False)  # pages between fetch start and extraction end

    def __post_init__(self) -> None:
        self.pages = asyncio.Semaphore(_PAGES_PER_WORKER * max(1, self.settings.pipeline.workers))


@flow(name="news-ingest", persist_result=False, log_prints=True)
async def ingest(
    sources_path: str = "seeds/sources.toml",
    db_path: str = "data/news.duckdb",
    source_names: list[str] | None = None,
    only_due: bool = False,
    capture: bool | None = None,
) -> RunReport:
    """Ingest the configured sources (or the named ones) into the warehouse once.

    ``only_due`` (the served deployments set it) skips web sources whose
    adaptive-freshness interval has not elapsed; a manual run fetches them all.
    ``capture`` overrides the sources file's ``[capture] warc`` for this run.
    """
    settings = load_settings(Path(sources_path))
    if capture is not None:
        settings = replace(settings, capture=replace(settings.capture, warc=capture))
    selected = settings.select(source_names)
    connectors = [build_source(config) for config in selected]  # config errors before any work
    database = Path(db_path)
    lock_wait = LockWait(timeout=settings.pipeline.lock_timeout, notify=runs.warn)
    with run_lock(database, wait=lock_wait):
        with connect(database, wait=lock_wait) as conn:
            run = _Run(settings, uuid4(), _pool(settings), conn, _scheduled_at(), only_due=only_due)
            _start_run(run, selected)
            status, error = "failed", None
            try:
                async with _fetcher(settings, database, connectors) as run.fetcher:
                    with run.pool:
                        for config, connector in zip(selected, connectors, strict=True):
                            run.reports.append(await _ingest_source(run, config, connector))
                status = "completed"
            except BaseException as exc:
                error = f"{type(exc).__name__}: {exc}"
                raise
            finally:
                runs.end_run(run.conn, run_id=run.run_id, status=status, error=error)
        # The file is closed; the run lock is still held.
        runs.update_snapshot(database, enabled=settings.pipeline.snapshot)
    report = RunReport(run.run_id, status, tuple(run.reports), str(database))
    await _publish_summary(report)
    return report


@asynccontextmanager
async def _fetcher(
    settings: Settings, database: Path, connectors: list[DocumentSource | WebSource]
) -> AsyncIterator[Fetcher | None]:
    """The run's one HTTP client, with raw capture when configured; None for local-only runs."""
    if not any(isinstance(c, WebSource) for c in connectors):
        yield None
        return
    capture = None
    if settings.capture.warc:
        folder = settings.capture.directory or database.parent / "captures"
        capture = WarcCapture(directory=folder, max_file_bytes=settings.capture.max_file_bytes)
    try:
        async with Fetcher(settings.fetch, capture=capture) as fetcher:
            yield fetcher
    finally:
        if capture is not None:
            capture.close()


def _pool(settings: Settings) -> ExtractionPool:
    pipeline = settings.pipeline
    return ExtractionPool(workers=pipeline.workers, timeout=pipeline.extraction_timeout)


def _start_run(run: _Run, selected: Iterable[SourceConfig]) -> None:
    runs.begin_run(
        run.conn,
        run_id=run.run_id,
        sources_file=str(run.settings.path),
        selected=[s.name for s in selected],
    )


async def _ingest_source(
    run: _Run, config: SourceConfig, connector: DocumentSource | WebSource
) -> SourceReport:
    web = await _web_state(run, config) if isinstance(connector, WebSource) else None
    if web is not None and run.only_due:
        note = freshness.not_due_note(web.state, at=datetime.now(UTC))
        if note:
            return _skip_source(config, note)
    progress = reporter()
    progress.start_source(config.name)
    store.start_run_source(
        run.conn,
        run_id=run.run_id,
        source=config.name,
        kind=config.kind.value,
        started_at=datetime.now(UTC),
    )
    totals = RunCounts()
    status, error = "completed", None
    try:
        batches = (
            _local_batches(run, connector)
            if isinstance(connector, DocumentSource)
            else _web_batches(run, connector)
        )
        async for counts in batches:
            totals = _add(totals, counts)
    except Exception as exc:  # one failing source must not stop the others
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        logger.exception("source %s failed", config.name)
    warning = _finish_source(run, config, status, error, totals, web=web)
    progress.end_source(config.name)
    return SourceReport(
        config.name, config.kind.value, status, totals, warning=warning, error=error
    )


@dataclass(frozen=True, slots=True)
class _WebState:
    """A web source's freshness state before the run, and its schedule's period."""

    state: SourceFreshness | None
    period: timedelta | None


async def _web_state(run: _Run, config: SourceConfig) -> _WebState:
    return _WebState(load_freshness(run.conn, config.name), await freshness.schedule_period(config))


def _skip_source(config: SourceConfig, note: str) -> SourceReport:
    """A web source that a scheduled run leaves alone because it is not due.

    It says so in the log and the run's summary; run_sources gets no row, so
    the source's health counts only the runs that looked at it.
    """
    runs.say(f"source {config.name} {note}")  # the run log, or this process's log outside a run
    return SourceReport(config.name, config.kind.value, "skipped", RunCounts(), note=note)


def _finish_source(
    run: _Run,
    config: SourceConfig,
    status: str,
    error: str | None,
    totals: RunCounts,
    *,
    web: _WebState | None,
) -> str | None:
    """Close the source's part of the run; remember its feeds' validators if it completed.

    For a web source, also work out when it is next due and whether it went
    quiet (the zero-yield warning, returned and stored in run_sources.warning).
    """
    now = datetime.now(UTC)
    log = _drain(run, config.name)
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
            runs.warn(assessment.warning)
    with store.transaction(run.conn) as conn:
        store.insert_fetch_log(conn, log)
        if status == "completed":
            store.upsert_url_state(conn, _discovery_state(run, config.name, now))
        run.discovery.clear()
        store.finish_run_source(
            conn,
            run_id=run.run_id,
            source=config.name,
            status=status,
            finished_at=now,
            warning=assessment.warning if assessment else None,
            error=error,
        )
        store.record_source_outcome(
            conn,
            source=config.name,
            kind=config.kind.value,
            run_id=run.run_id,
            at=now,
            succeeded=status == "completed",
            changed=freshness.changed(totals),
            error=error,
        )
        if assessment is not None:
            record_freshness(
                conn,
                source=config.name,
                next_due_at=assessment.next_due_at,
                revisit_seconds=assessment.revisit.total_seconds() if assessment.revisit else None,
                yielded_at=now if assessment.yielded else None,
            )
    return assessment.warning if assessment else None


def _discovery_unchanged(records: list[FetchRecord]) -> bool:
    """Every feed or sitemap fetched this run answered 304 Not Modified."""
    return bool(records) and all(r.outcome is FetchOutcome.NOT_MODIFIED for r in records)


def _discovery_state(run: _Run, source: str, now: datetime) -> list[UrlStateRow]:
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
        for record in run.discovery
        if record.outcome in {FetchOutcome.OK, FetchOutcome.NOT_MODIFIED}
    ]


def _drain(run: _Run, source: str) -> list[store.FetchLogRow]:
    """Take the fetcher's log since the last drain, keeping feed/sitemap fetches aside."""
    if run.fetcher is None:
        return []
    records = run.fetcher.drain_log()
    run.discovery.extend(r for r in records if r.purpose in {Purpose.FEED, Purpose.SITEMAP})
    return [_log_row(run.run_id, source, r) for r in records]


def _log_row(run_id: UUID, source: str, record: FetchRecord) -> store.FetchLogRow:
    return store.FetchLogRow(
        run_id=str(run_id),
        source=source,
        url=record.url,
        final_url=record.final_url,
        purpose=record.purpose.value,
        outcome=record.outcome.value,
        status=record.status,
        bytes=record.bytes,
        elapsed_ms=record.elapsed_ms,
        etag=record.etag,
        last_modified=record.last_modified,
        content_type=record.content_type,
        error=record.error,
        attempts=record.attempts,
        redirects=record.redirects,
        fetched_at=record.fetched_at,
    )


async def _web_batches(run: _Run, connector: WebSource) -> AsyncIterator[RunCounts]:
    """Discover candidates and ingest them batch by batch (each URL once per run).

    Two batches are in flight: the next one is fetched and cleaned while the
    previous one is stored, so the extraction workers are not left idle while
    the warehouse commits; batches still commit in the order discovered.
    """
    assert run.fetcher is not None
    stored = store.load_discovery_validators(run.conn, connector.name)
    known = {url: Validators(etag, modified) for url, (etag, modified) in stored.items()}
    size = run.settings.pipeline.batch_size
    seen: set[str] = set()
    candidates: list[Candidate] = []
    rejects: list[Rejected] = []
    in_flight: asyncio.Task[RunCounts] | None = None
    started: list[asyncio.Task[RunCounts]] = []  # batch tasks not yet stored and yielded
    try:
        async for item in connector.discover(run.fetcher, known):
            if isinstance(item, Rejected):
                rejects.append(item)
            elif item.url not in seen:
                seen.add(item.url)
                candidates.append(item)
            if len(candidates) >= size:
                batch = _start_web_batch(run, connector.name, candidates, rejects, in_flight)
                started.append(batch)
                if in_flight is not None:
                    yield await in_flight
                    started.remove(in_flight)
                in_flight, candidates, rejects = batch, [], []
        if candidates or rejects:
            batch = _start_web_batch(run, connector.name, candidates, rejects, in_flight)
            started.append(batch)
            if in_flight is not None:
                yield await in_flight
                started.remove(in_flight)
            in_flight = batch
        if in_flight is not None:
            yield await in_flight
            started.remove(in_flight)
    finally:
        await _cancel(started)


async def _cancel(tasks: list[asyncio.Task[RunCounts]]) -> None:
    """Stop the batch tasks still running and wait for them to end.

    A failed batch leaves the next one fetching: unstopped, it would go on into
    the next source (its fetches drained into that source's log) and end in an
    exception nobody retrieves.
    """
    for pending in tasks:
        pending.cancel()  # no effect on a task that is done
    # Gathering also retrieves the exceptions of the batches that failed already.
    await asyncio.gather(*tasks, return_exceptions=True)


def _start_web_batch(
    run: _Run,
    source: str,
    candidates: list[Candidate],
    rejects: list[Rejected],
    after: asyncio.Task[RunCounts] | None,
) -> asyncio.Task[RunCounts]:
    """Start a batch task now; it stores its batch only after ``after`` has stored its own."""
    return asyncio.ensure_future(
        ingest_web_batch(
            _as_is(run), source, _as_is(candidates), _as_is(rejects), after=_as_is(after)
        )
    )


@task(name="ingest-web-batch", cache_policy=NONE, persist_result=False)
async def ingest_web_batch(
    run: _Run,
    source: str,
    candidates: list[Candidate],
    rejects: list[Rejected],
    after: asyncio.Task[RunCounts] | None = None,
) -> RunCounts:
    """Fetch, clean and store one batch of discovered URLs (after the batch ``after``)."""
    progress = reporter()
    now = datetime.now(UTC)
    result = BatchResult(source, seen_at=now)
    result.rejects.extend((r, now) for r in rejects)
    progress.advance(source, "found", len(candidates) + len(rejects))
    state = store.load_url_state(run.conn, (c.url for c in candidates))
    outcomes = await asyncio.gather(
        *(_fetch_one(run, c, state.get(c.url), result) for c in candidates)
    )
    result.counts = RunCounts(
        found=len(candidates) + len(rejects),
        fetched=outcomes.count("fetched"),
        not_modified=outcomes.count("not_modified"),
        errors=outcomes.count("error"),
    )
    if after is not None:
        await after  # commits stay in discovery order; a failed batch stops the ones after it
    result.fetches = _drain(run, source)
    counts = persist_batch(run.conn, result, run_id=run.run_id)
    progress.advance(source, "stored", len(candidates))
    return counts


async def _fetch_one(
    run: _Run, candidate: Candidate, known: UrlStateRow | None, result: BatchResult
) -> str:
    """Fetch one URL (conditionally) and clean it; say what became of it."""
    if _unchanged_per_hint(candidate, known):
        assert known is not None
        result.seen.append(_seen(candidate, known, result.seen_at, not_modified=True))
        return "not_modified"
    async with run.pages:
        return await _fetch_and_clean(run, candidate, known, result)


async def _fetch_and_clean(
    run: _Run, candidate: Candidate, known: UrlStateRow | None, result: BatchResult
) -> str:
    """Fetch a page and, unless its bytes are the ones stored, extract it in the pool."""
    assert run.fetcher is not None
    progress = reporter()
    validators = Validators(known.etag, known.last_modified) if known else None
    fetched = await run.fetcher.fetch(candidate.url, purpose=Purpose.PAGE, validators=validators)
    progress.advance(candidate.source, "fetched")
    if fetched.outcome is FetchOutcome.NOT_MODIFIED and known is not None:
        result.seen.append(
            _seen(candidate, known, result.seen_at, not_modified=True, fresh=fetched)
        )
        return "not_modified"
    if not fetched.ok:
        return "error"
    doc = _document(candidate, fetched)
    if known is not None and known.raw_hash == doc.raw_hash:
        result.seen.append(
            _seen(candidate, known, result.seen_at, not_modified=False, fresh=fetched)
        )
        return "fetched"
    processed = await run.pool.process(doc)
    progress.advance(candidate.source, "cleaned")
    if isinstance(processed, Rejected):
        result.rejects.append((processed, result.seen_at))
    else:
        result.articles.append(processed)
    return "fetched"


def _unchanged_per_hint(candidate: Candidate, known: UrlStateRow | None) -> bool:
    """A sitemap's lastmod older than our last fetch of an article: no request needed."""
    modified = candidate.hints.modified_at if candidate.hints else None
    return (
        known is not None
        and known.article_id is not None
        and modified is not None
        and modified <= known.last_seen_at
    )


def _seen(
    candidate: Candidate,
    known: UrlStateRow,
    at: datetime,
    *,
    not_modified: bool,
    fresh: FetchResult | None = None,
) -> Seen:
    validators = fresh.validators if fresh else Validators(known.etag, known.last_modified)
    return Seen(
        candidate.source,
        candidate.url,
        known.raw_hash or "",
        at,
        known.article_id,
        validators,
        not_modified=not_modified,
    )


def _document(candidate: Candidate, fetched: FetchResult) -> RawDocument:
    return RawDocument(
        source=candidate.source,
        location=candidate.url,
        url=fetched.final_url,
        content=fetched.text(),
        media=Media.HTML,
        raw_hash=raw_hash(fetched.body),
        retrieved_at=fetched.fetched_at,
        hints=candidate.hints,
        redirects=fetched.redirects,
        validators=fetched.validators,
        capture=fetched.capture,
    )


async def _local_batches(run: _Run, connector: DocumentSource) -> AsyncIterator[RunCounts]:
    checkpoints = store.load_checkpoints(run.conn, connector.name)
    resume = {row.key: _checkpoint(row) for row in checkpoints}
    for items in _batched(connector.documents(resume), run.settings.pipeline.batch_size):
        yield await ingest_local_batch(_as_is(run), connector.name, _as_is(items), _as_is(resume))


@task(name="ingest-local-batch", cache_policy=NONE, persist_result=False)
async def ingest_local_batch(
    run: _Run, source: str, items: list[LocalItem], resume: dict[str, Checkpoint]
) -> RunCounts:
    """Clean and store one batch read from a local source."""
    progress = reporter()
    now = datetime.now(UTC)
    docs = [i for i in items if isinstance(i, RawDocument)]
    result = BatchResult(source, seen_at=now)
    unchanged_files = 0
    for item in items:
        if isinstance(item, Rejected):
            result.rejects.append((item, now))
        elif isinstance(item, Checkpoint):
            if resume.get(item.key) == item:
                unchanged_files += 1
            else:
                result.checkpoints.append((item, now))
    found = len(docs) + len(result.rejects) + unchanged_files
    progress.advance(source, "found", found)
    progress.advance(source, "fetched", len(docs))
    fresh = _skip_unchanged(run, docs, result)
    for processed in await asyncio.gather(*(run.pool.process(doc) for doc in fresh)):
        if isinstance(processed, Rejected):
            result.rejects.append((processed, now))
        else:
            result.articles.append(processed)
    progress.advance(source, "cleaned", len(fresh))
    result.counts = RunCounts(found=found, fetched=len(docs), not_modified=unchanged_files)
    counts = persist_batch(run.conn, result, run_id=run.run_id)
    progress.advance(source, "stored", len(docs))
    get_run_logger().debug("batch of %s stored: %s", source, counts)
    return counts


def _skip_unchanged(run: _Run, docs: list[RawDocument], result: BatchResult) -> list[RawDocument]:
    """Documents whose raw bytes are unchanged since last time are not cleaned again."""
    state = store.load_url_state(run.conn, (d.location for d in docs))
    fresh = []
    for doc in docs:
        known = state.get(doc.location)
        if known is not None and known.raw_hash == doc.raw_hash:
            result.seen.append(
                Seen(doc.source, doc.location, doc.raw_hash, result.seen_at, known.article_id)
            )
        else:
            fresh.append(doc)
    return fresh


def _batched(items: Iterable[LocalItem], size: int) -> Iterator[list[LocalItem]]:
    """Batches of ``size`` documents; checkpoints and rejects ride along with them."""
    batch: list[LocalItem] = []
    documents = 0
    for item in items:
        batch.append(item)
        if isinstance(item, RawDocument):
            documents += 1
        if documents >= size or len(batch) >= size * 4:
            yield batch
            batch, documents = [], 0
    if batch:
        yield batch


_T = TypeVar("_T")


def _as_is(value: _T) -> _T:
    """A task argument Prefect hands over without walking through it.

    Prefect visits every element of every task argument (lists, dicts,
    dataclasses) looking for futures, twice per call; for a batch of
    candidates and the run's state that is the larger part of a batch task's
    overhead. ``quote`` stops the walk and is unwrapped before the task runs.
    """
    return cast(_T, quote(value))


def _checkpoint(row: CheckpointRow) -> Checkpoint:
    return Checkpoint(row.source, row.key, row.fingerprint, row.position, row.done)


def _add(a: RunCounts, b: RunCounts) -> RunCounts:
    return RunCounts(**{name: getattr(a, name) + getattr(b, name) for name in a.__slots__})


def _scheduled_at() -> datetime:
    """When the flow run was scheduled to start (now for a run started by hand)."""
    try:
        value = flow_run.get_scheduled_start_time()
    except Exception:
        return datetime.now(UTC)
    return datetime.fromtimestamp(value.timestamp(), tz=UTC)


async def _publish_summary(report: RunReport) -> None:
    await acreate_markdown_artifact(
        key="ingest-summary", markdown=summary_markdown(report), description="Per-source counts"
    )


SUMMARY_COLUMNS = tuple(f.name for f in fields(RunCounts))  # the counters, in their order


def summary_markdown(report: RunReport) -> str:
    """A markdown table of the run's per-source counters."""
    header = "| source | status | " + " | ".join(SUMMARY_COLUMNS) + " |"
    lines = [f"### Run {report.run_id}: {report.status}", "", header]
    lines.append("|" + "---|" * (len(SUMMARY_COLUMNS) + 2))
    for source in report.sources:
        values = " | ".join(str(getattr(source.counts, c)) for c in SUMMARY_COLUMNS)
        lines.append(f"| {source.name} | {source.status} | {values} |")
    for source in report.sources:
        for message in (source.error, source.warning, source.note):
            if message:
                lines.append(f"\n**{source.name}**: {message}")
    return "\n".join(lines)
