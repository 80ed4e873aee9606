"""The extraction process pool: one worker per core, a time limit per document.

Extraction is CPU-bound and trafilatura is not safe under threads (segfaults
and hangs: trafilatura#840, #925, #211), so documents are cleaned in worker
processes. pebble's pool kills a worker that overruns its time limit or dies,
and replaces workers after ``max_tasks`` documents to bound memory growth.
Workers start with ``spawn`` (never ``fork`` a process that runs Prefect's
threads). What a worker runs per document is the module-level function
passed as ``task`` (the pipeline's is ``flows.pipeline.per_document``; tests
pass one that hangs or crashes on purpose), with whatever else :meth:`process`
is given for that document (the pipeline's: what the page's host taught).
``preload`` names a module each worker imports as it starts, and
:meth:`ExtractionPool.start` starts the workers before the first document, so
their start-up (importing trafilatura takes about a second) overlaps the flow's
own instead of delaying the first extraction.

:class:`DocumentPool` is what the flows ask of a pool (``slots``, ``async
with``, ``process``); the Dask engine (:mod:`flows.extract.dask_pool`) is its
second implementation. On a Dask worker the same :class:`ExtractionPool` runs
each document (:meth:`ExtractionPool.run_all`, the blocking twin of ``process``),
so a page's time limit and a crashing page are handled by the same code on a
cluster as on one machine.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, Protocol, TypeVar

from pebble import ProcessExpired, ProcessPool

from connectors.records import RawDocument, Rejected, RejectReason
from flows.extract.records import rejected

__all__ = ["DocumentPool", "ExtractionPool", "Work", "failed"]

logger = logging.getLogger(__name__)

_MAX_TASKS_PER_WORKER = 2000


R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
Work = tuple[RawDocument, tuple[object, ...]]  # a document and what else its task is given


class DocumentPool(Protocol[R_co]):
    """What a flow needs of an extraction engine: open it, send it documents, close it."""

    @property
    def slots(self) -> int:
        """How many documents it extracts at once (sizes the pages a run keeps in flight)."""

    async def __aenter__(self) -> DocumentPool[R_co]:
        """Start the workers (or connect to them); an unusable engine raises here."""

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop the workers (or disconnect)."""

    async def process(self, doc: RawDocument, *context: object) -> R_co | Rejected:
        """The task's result for one document (and ``context``), or a reject row."""


@dataclass(frozen=True, slots=True)
class _Settings(Generic[R]):
    workers: int
    timeout: float
    task: Callable[[RawDocument], R | Rejected]
    preload: str | None


def failed(doc: RawDocument, exc: Exception, timeout: float) -> Rejected:
    """The reject row for a document whose task timed out, killed its worker or raised."""
    if isinstance(exc, FutureTimeout | TimeoutError):
        detail = f"extraction took longer than {timeout:.0f} s"
        return rejected(doc, RejectReason.EXTRACTION_TIMEOUT, detail)
    if isinstance(exc, ProcessExpired):
        return rejected(doc, RejectReason.EXTRACTION_ERROR, f"worker died: {exc}")
    logger.warning("extraction failed for %s: %r", doc.location, exc)
    return rejected(doc, RejectReason.EXTRACTION_ERROR, f"{type(exc).__name__}: {exc}")


def _ready() -> bool:
    """A task that does nothing: scheduling it starts the workers (it runs in one of them)."""
    return True


class ExtractionPool(Generic[R]):
    """A pool of extraction workers running ``task`` per document, for one flow run."""

    def __init__(
        self,
        *,
        workers: int,
        timeout: float,
        task: Callable[[RawDocument], R | Rejected],
        preload: str | None = None,
    ) -> None:
        self._settings = _Settings(max(1, workers), timeout, task, preload)
        self._pool: ProcessPool | None = None

    @property
    def slots(self) -> int:
        """The number of worker processes."""
        return self._settings.workers

    def start(self) -> None:
        """Start the workers now (each imports ``preload``); returns at once."""
        self._ensure_pool().schedule(_ready)

    def __enter__(self) -> ExtractionPool[R]:
        return self

    async def __aenter__(self) -> ExtractionPool[R]:
        self.start()  # the workers start up while the run opens the warehouse and discovers
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers once their documents are done."""
        if self._pool is not None:
            self._pool.close()  # type: ignore[no-untyped-call]
            self._pool.join(timeout=10)
            self._pool = None

    def stop(self) -> None:
        """Stop the workers now, abandoning the documents they hold (their process exits)."""
        if self._pool is not None:
            self._pool.stop()  # type: ignore[no-untyped-call]
            self._pool.join(timeout=5)
            self._pool = None

    async def process(self, doc: RawDocument, *context: object) -> R | Rejected:
        """Run the task on a document (and ``context``) in a worker; a timeout or a crash
        becomes a reject row."""
        future = self._schedule(doc, context)
        try:
            result: R | Rejected = await asyncio.wrap_future(future)
        except Exception as exc:
            return self._rejected(doc, exc)
        return result

    def run_all(self, items: list[Work]) -> list[R | Rejected]:
        """:meth:`process` for each document and its context, blocking the calling thread (a
        Dask task's)."""
        futures = [self._schedule(doc, context) for doc, context in items]  # all queued at once
        return [self._result(doc, future) for (doc, _), future in zip(items, futures, strict=True)]

    def _result(self, doc: RawDocument, future: Future[R | Rejected]) -> R | Rejected:
        try:
            result: R | Rejected = future.result()
        except Exception as exc:
            return self._rejected(doc, exc)
        return result

    def _schedule(self, doc: RawDocument, context: tuple[object, ...]) -> Future[R | Rejected]:
        future: Future[R | Rejected] = self._ensure_pool().schedule(
            self._settings.task, args=(doc, *context), timeout=self._settings.timeout
        )
        return future

    def _rejected(self, doc: RawDocument, exc: Exception) -> Rejected:
        return failed(doc, exc, self._settings.timeout)

    def _ensure_pool(self) -> ProcessPool:
        if self._pool is None:
            preload = self._settings.preload
            self._pool = ProcessPool(
                max_workers=self._settings.workers,
                max_tasks=_MAX_TASKS_PER_WORKER,
                initializer=importlib.import_module if preload else None,
                initargs=(preload,) if preload else (),
                context=multiprocessing.get_context("spawn"),
            )
        return self._pool
