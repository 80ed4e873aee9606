"""Extraction inside a single-threaded Dask worker process, one page at a time, time-limited.

The Dask engine's default on a worker with one task thread: the pages of a
chunk are extracted in the worker process itself, by one extraction thread,
instead of being handed on to a pebble process (on 2 cores that second
transfer and the worker's part of it cost about a fifth of extraction's CPU).
The time limit of a page holds all the same:

- the task thread waits for each page with the page's limit; a page over it is
  a reject row ``extraction_timeout``, the pages after it in the chunk are
  given back not done (``None``) for the flow to send elsewhere, and the worker
  marks itself *stuck*: its extraction thread cannot be stopped, so the flow
  restarts the worker through its nanny (``Client.restart_workers``) once it
  holds the chunk's answer, and until then the worker gives every chunk back
  not done;
- a page that holds the interpreter so that even the waiting thread cannot
  wake (a C call that never releases the GIL) is ended by the kernel: a
  ``SIGALRM`` timer is armed for the page's limit plus :data:`GRACE` seconds
  with no handler, so it terminates the process; the nanny restarts it and the
  scheduler reruns the chunk like any lost worker's; a stuck worker nobody
  restarts ends the same way after :data:`GRACE` seconds;
- a page that kills the process (a segfault) kills the Dask worker: the
  scheduler reruns the chunk, and once it has killed
  ``distributed.scheduler.allowed-failures`` workers the flow sends its pages
  again one by one, each in a pebble process on a worker (``WorkerJob.isolated``),
  where the culprit becomes a reject row ``extraction_error`` ("worker died")
  and the others are extracted.

trafilatura is not safe under threads, so this is only used on workers with
one task thread (``news-ingest worker`` starts one single-threaded worker
process per requested thread), and only with a nanny to restart the process
(a worker without one may run inside another program's process, which a timer
must never end); other workers use their pebble pool.
"""

from __future__ import annotations

import importlib
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from connectors.records import RawDocument
from flows.extract.workers import Work, failed

__all__ = ["GRACE", "MAX_PAGES", "InlineExtractor"]

GRACE = 60.0  # seconds past a page's limit before the kernel ends a worker that cannot wake
MAX_PAGES = 2000  # pages a worker process extracts before it asks to be restarted (as pebble's)


class InlineExtractor:
    """The worker process's one extraction thread, and whether it must be restarted (``stuck``:
    a page overran its limit, or it has extracted its ``max_pages``, which bounds its
    memory growth as the pebble processes' ``max_tasks`` does)."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="news-ingest-extract")
        self._lock = threading.Lock()  # one chunk at a time (a worker has one task thread)
        self._loading: dict[str, Future[Any]] = {}
        self._pages = 0
        self.stuck = False

    def preload(self, module: str | None) -> None:
        """Start importing the task's heavy module on the extraction thread; returns at once."""
        if module and module not in self._loading:
            self._loading[module] = self._thread.submit(importlib.import_module, module)

    def run(
        self,
        task: Callable[..., Any],
        items: list[Work],
        *,
        timeout: float,
        preload: str | None,
        max_pages: int = MAX_PAGES,
    ) -> list[Any]:
        """Each page's result or reject row, or ``None`` for a page not done (the worker
        is stuck: a page overran its limit, here or in an earlier chunk, or it had done
        its ``max_pages``)."""
        with self._lock:
            if self.stuck:
                return [None] * len(items)
            self.preload(preload)
            if preload:  # imported before any page's clock starts, as pebble's initializer does
                self._loading[preload].result()
            outcomes: list[Any] = []
            for doc, context in items:
                outcomes.append(self._one(task, doc, context, timeout))
                if self._stuck():
                    break
            self._pages += len(outcomes)
            self.stuck = self.stuck or self._pages >= max_pages  # retired: restart to free memory
            return outcomes + [None] * (len(items) - len(outcomes))

    def _stuck(self) -> bool:
        return self.stuck

    def _one(
        self,
        task: Callable[..., Any],
        doc: RawDocument,
        context: tuple[object, ...],
        timeout: float,
    ) -> Any:
        """One page on the extraction thread, waited for at most ``timeout`` seconds."""
        signal.setitimer(signal.ITIMER_REAL, timeout + GRACE)  # the kernel's last word
        try:
            return self._thread.submit(task, doc, *context).result(timeout=timeout)
        except FutureTimeout as exc:
            self.stuck = True
            return failed(doc, exc, timeout)
        except Exception as exc:
            return failed(doc, exc, timeout)
        finally:
            if not self.stuck:
                signal.setitimer(signal.ITIMER_REAL, 0)
