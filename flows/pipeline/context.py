"""What every batch of an ingest run needs, in one object that lives in the flow's process.

It is handed to the batch tasks as it is (never pickled): the settings, the
run's id and writer connection, the extraction pool, the one HTTP client, the
feed and sitemap fetches to remember at the end of each source, what the
source's discovery yielded, what each host's titles have taught (``sitetitles``),
and the semaphore that bounds the pages in flight.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from connectors.http import Fetcher, FetchRecord, Purpose
from flows.pipeline.config import Settings
from flows.pipeline.discovery import DiscoveryWatch
from flows.pipeline.per_document import ArticlePool
from flows.pipeline.reports import SourceReport
from flows.pipeline.sitetitles import SiteTitleMemory
from warehouse.connection import Connection
from warehouse.rows import FetchLogRow

__all__ = ["PAGES_PER_WORKER", "RunContext"]

# Pages in flight (fetching, fetched and waiting for a worker, being extracted) per slot
# of the extraction engine (a local process, a Dask worker thread): enough to keep the
# workers busy, few enough that the raw pages of two whole batches are not all held at
# once (bench/: -78 MiB at 2000 pages).
PAGES_PER_WORKER = 8


@dataclass(slots=True)
class RunContext:
    """The state an ingest run's batches share (lives only inside the flow's process)."""

    settings: Settings
    run_id: UUID
    pool: ArticlePool
    conn: Connection
    scheduled_at: datetime  # when the flow run was scheduled (now for a run started by hand)
    only_due: bool = False  # a scheduled run: web sources not due yet are skipped
    fetcher: Fetcher | None = None  # opened only when a web source is selected
    reports: list[SourceReport] = field(default_factory=list)
    discovery: list[FetchRecord] = field(default_factory=list)  # feed/sitemap fetches to remember
    watch: DiscoveryWatch = field(default_factory=DiscoveryWatch)  # the source's discovery
    site_titles: SiteTitleMemory = field(default_factory=SiteTitleMemory)  # what hosts taught
    pages: asyncio.Semaphore = field(init=False)  # pages between fetch start and extraction end

    def __post_init__(self) -> None:
        self.pages = asyncio.Semaphore(PAGES_PER_WORKER * max(1, self.pool.slots))

    def drain_fetch_log(self, source: str) -> list[FetchLogRow]:
        """Take the fetcher's log since the last drain, keeping feed/sitemap fetches aside."""
        if self.fetcher is None:
            return []
        records = self.fetcher.drain_log()
        self.discovery.extend(r for r in records if r.purpose in {Purpose.FEED, Purpose.SITEMAP})
        return [_log_row(self.run_id, source, r) for r in records]


def _log_row(run_id: UUID, source: str, record: FetchRecord) -> FetchLogRow:
    return FetchLogRow(
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
