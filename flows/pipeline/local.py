"""Local sources (folders, archives), batch by batch: read, clean what changed, store.

A source's documents come with reject rows and checkpoints; the checkpoints
ride along with the batch they close and are stored in its transaction, so an
interrupted file resumes where its last stored batch ended. A document whose
raw bytes are unchanged since last time is not cleaned again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from connectors.protocols import DocumentSource
from connectors.records import Checkpoint, RawDocument, Rejected
from flows.pipeline.context import RunContext
from flows.pipeline.persist import BatchResult, Seen, persist_batch
from flows.pipeline.progress import reporter
from warehouse import lookups
from warehouse.rows import CheckpointRow, RunCounts

__all__ = ["LocalItem", "ingest_local_batch", "local_batches"]

LocalItem = RawDocument | Rejected | Checkpoint


def local_batches(
    run: RunContext, connector: DocumentSource
) -> Iterator[tuple[list[LocalItem], dict[str, Checkpoint]]]:
    """The source's items in batches, each with the checkpoints stored before the run."""
    checkpoints = lookups.load_checkpoints(run.conn, connector.name)
    resume = {row.key: _checkpoint(row) for row in checkpoints}
    for items in _batched(connector.documents(resume), run.settings.pipeline.batch_size):
        yield items, resume


async def ingest_local_batch(
    run: RunContext, source: str, items: list[LocalItem], resume: dict[str, Checkpoint]
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
    titles = run.site_titles
    titles.load(run.conn, (doc.url for doc in fresh))
    cleaning = (run.pool.process(doc, titles.site(doc.url)) for doc in fresh)
    for processed in await asyncio.gather(*cleaning):
        if isinstance(processed, Rejected):
            result.rejects.append((processed, now))
        else:
            titles.remember(processed)
            result.articles.append(processed)
    progress.advance(source, "cleaned", len(fresh))
    result.counts = RunCounts(found=found, fetched=len(docs), not_modified=unchanged_files)
    counts = persist_batch(run.conn, result, run_id=run.run_id)
    progress.advance(source, "stored", len(docs))
    return counts


def _skip_unchanged(
    run: RunContext, docs: list[RawDocument], result: BatchResult
) -> list[RawDocument]:
    """Documents whose raw bytes are unchanged since last time are not cleaned again."""
    state = lookups.load_url_state(run.conn, (d.location for d in docs))
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


def _checkpoint(row: CheckpointRow) -> Checkpoint:
    return Checkpoint(row.source, row.key, row.fingerprint, row.position, row.done)
