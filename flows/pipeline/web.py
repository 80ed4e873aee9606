"""Web sources, batch by batch: discover candidates, fetch them politely, clean, store.

Two batches are in flight: the next one is fetched and cleaned while the
previous one is stored, so the extraction workers are not left idle while
the warehouse commits; batches still commit in the order discovered. Each
URL is handled once per run. A page whose bytes are the ones stored, or that
answers 304 or whose sitemap lastmod predates our last fetch, is not cleaned
again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from connectors.http import FetchOutcome, FetchResult, Purpose
from connectors.protocols import WebSource
from connectors.records import Candidate, Media, RawDocument, Rejected, Validators, raw_hash
from flows.pipeline.context import RunContext
from flows.pipeline.persist import BatchResult, Seen, persist_batch
from flows.pipeline.progress import reporter
from warehouse import lookups
from warehouse.rows import RunCounts, UrlStateRow

__all__ = ["BatchStarter", "ingest_web_batch", "web_batches"]

BatchStarter = Callable[
    [list[Candidate], list[Rejected], "asyncio.Task[RunCounts] | None"], "asyncio.Task[RunCounts]"
]
"""Starts a batch's task now; it stores its batch only after the given task has stored its own."""


async def web_batches(
    run: RunContext, connector: WebSource, start: BatchStarter
) -> AsyncIterator[RunCounts]:
    """Discover candidates and ingest them batch by batch (each URL once per run)."""
    assert run.fetcher is not None
    stored = lookups.load_discovery_validators(run.conn, connector.name)
    known = {url: Validators(etag, modified) for url, (etag, modified) in stored.items()}
    size = run.settings.pipeline.batch_size
    seen: set[str] = set()
    candidates: list[Candidate] = []
    rejects: list[Rejected] = []
    in_flight: asyncio.Task[RunCounts] | None = None
    started: list[asyncio.Task[RunCounts]] = []  # batch tasks not yet stored and yielded
    try:
        async for item in connector.discover(run.fetcher, known):
            run.watch.note(item)
            if isinstance(item, Rejected):
                rejects.append(item)
            elif item.url not in seen:
                seen.add(item.url)
                candidates.append(item)
            if len(candidates) >= size:
                batch = start(candidates, rejects, in_flight)
                started.append(batch)
                if in_flight is not None:
                    yield await in_flight
                    started.remove(in_flight)
                in_flight, candidates, rejects = batch, [], []
        if candidates or rejects:
            batch = start(candidates, rejects, in_flight)
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


async def ingest_web_batch(
    run: RunContext,
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
    state = lookups.load_url_state(run.conn, (c.url for c in candidates))
    run.site_titles.load(run.conn, (c.url for c in candidates))
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
    result.fetches = run.drain_fetch_log(source)
    counts = persist_batch(run.conn, result, run_id=run.run_id)
    progress.advance(source, "stored", len(candidates))
    return counts


async def _fetch_one(
    run: RunContext, candidate: Candidate, known: UrlStateRow | None, result: BatchResult
) -> str:
    """Fetch one URL (conditionally) and clean it; say what became of it."""
    if _unchanged_per_hint(candidate, known):
        assert known is not None
        result.seen.append(_seen(candidate, known, result.seen_at, not_modified=True))
        return "not_modified"
    async with run.pages:
        return await _fetch_and_clean(run, candidate, known, result)


async def _fetch_and_clean(
    run: RunContext, candidate: Candidate, known: UrlStateRow | None, result: BatchResult
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
    processed = await run.pool.process(doc, run.site_titles.site(doc.url))
    progress.advance(candidate.source, "cleaned")
    if isinstance(processed, Rejected):
        result.rejects.append((processed, result.seen_at))
    else:
        run.site_titles.remember(processed)
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
        content=fetched.body,  # decoded in the extraction worker (one decode, no str pickled)
        content_type=fetched.content_type,
        media=Media.HTML,
        raw_hash=raw_hash(fetched.body),
        retrieved_at=fetched.fetched_at,
        hints=candidate.hints,
        redirects=fetched.redirects,
        validators=fetched.validators,
        capture=fetched.capture,
    )
