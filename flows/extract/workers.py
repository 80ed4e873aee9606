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
their start-up (importing trafilatura takes about a second) overlaps the
flow's own instead of delaying the first extraction.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, TypeVar

from pebble import ProcessExpired, ProcessPool

from connectors.records import RawDocument, Rejected, RejectReason
from flows.extract.records import rejected

__all__ = ["ExtractionPool"]

logger = logging.getLogger(__name__)

_MAX_TASKS_PER_WORKER = 2000


R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class _Settings(Generic[R]):
    workers: int
    timeout: float
    task: Callable[..., R | Rejected]
    preload: str | None


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
        task: Callable[..., R | Rejected],
        preload: str | None = None,
    ) -> None:
        self._settings = _Settings(max(1, workers), timeout, task, preload)
        self._pool: ProcessPool | None = None

    def start(self) -> None:
        """Start the workers now (each imports ``preload``); returns at once."""
        self._ensure_pool().schedule(_ready)

    def __enter__(self) -> ExtractionPool[R]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers."""
        if self._pool is not None:
            self._pool.close()  # type: ignore[no-untyped-call]
            self._pool.join(timeout=10)
            self._pool = None

    async def process(self, doc: RawDocument, *context: object) -> R | Rejected:
        """Run the task on a document (and ``context``) in a worker; a timeout or a crash
        becomes a reject row."""
        future = self._ensure_pool().schedule(
            self._settings.task, args=(doc, *context), timeout=self._settings.timeout
        )
        try:
            result: R | Rejected = await asyncio.wrap_future(future)
        except (FutureTimeout, TimeoutError):
            return rejected(doc, RejectReason.EXTRACTION_TIMEOUT, self._timeout_detail())
        except ProcessExpired as exc:
            return rejected(doc, RejectReason.EXTRACTION_ERROR, f"worker died: {exc}")
        except Exception as exc:
            logger.warning("extraction failed for %s: %r", doc.location, exc)
            return rejected(doc, RejectReason.EXTRACTION_ERROR, f"{type(exc).__name__}: {exc}")
        return result

    def _timeout_detail(self) -> str:
        return f"extraction took longer than {self._settings.timeout:.0f} s"

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
