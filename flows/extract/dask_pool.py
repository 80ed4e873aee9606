"""The Dask engine: documents are extracted on a Dask cluster's workers, a few per Dask task.

The second implementation of :class:`~flows.extract.workers.DocumentPool`:
the flows fetch, dedupe and store in their own process exactly as with the
local pool and only hand documents to :meth:`DaskPool.process`. It holds one
asynchronous ``distributed.Client`` on the flow's event loop and submits the
module-level :func:`~flows.extract.dask_worker.run_documents` with the pages
(bytes) and a small :class:`~flows.extract.dask_worker.WorkerJob`: never a
closure, never a Prefect task (a Prefect task per page costs ~130 ms against
~2 ms for a plain Dask task; the Prefect tasks stay per batch in the flow).

Documents leave in chunks: at most two chunks per worker thread are out at a
time, and the documents given meanwhile wait and leave together, up to
``MAX_CHUNK`` in one Dask task. An idle cluster gets each document at once;
a busy one gets fewer, larger tasks, so the scheduler's and the client's cost
per task is shared by several pages (on 2 cores one task per page took 2.3x
the local pool's time on small pages; chunks brought it to 1.08x).

Opening the pool connects to the scheduler, waits for a worker, checks that
every worker runs this installation and is not daemonic, and starts the
workers' extraction (its imports); any failure is one :class:`EngineError` line
before the run has stored anything. While a run goes on:

- a page over its time limit is a reject row decided on the worker; the worker
  is then stuck (its extraction thread cannot be stopped; a worker is also
  retired after ``max_pages`` pages, to bound its memory) and gives the rest of
  its chunks back not done: the pool restarts it through its nanny
  (``Client.restart_workers``, after releasing the chunk's answer so Dask does
  not compute it again) and sends those documents again once it is back;
- a Dask worker that dies: the scheduler runs its documents again elsewhere
  (sometimes ones already finished; a document's result is taken once, by
  the one awaiting future, so nothing is stored twice); a chunk whose workers
  died ``distributed.scheduler.allowed-failures`` times is sent again one
  document per task, each in a pebble process on a worker (``isolated``), so a
  page that kills its process is a reject row and the others are extracted;
- results come straight from the workers (``direct_to_workers``), not through
  the scheduler;
- the scheduler lost, a worker of another build joining, or no worker at all
  for ``worker_wait`` seconds (the scheduler would keep the work waiting for
  ever): an :class:`EngineError` that fails the batch (nothing of it is stored).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Generic, TypeVar, cast

from distributed import Client
from distributed.client import FutureCancelledError
from distributed.scheduler import KilledWorker

from connectors.records import RawDocument, Rejected, RejectReason
from flows.errors import EngineError
from flows.extract.dask_inline import MAX_PAGES
from flows.extract.dask_worker import (
    Answer,
    WorkerInfo,
    WorkerJob,
    daemon_message,
    describe_worker,
    local_build,
    run_documents,
    warm_up,
)
from flows.extract.records import rejected
from flows.extract.workers import Work

__all__ = ["DaskPool", "check_cluster", "reach_scheduler"]

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0  # seconds to reach the scheduler
WORKER_WAIT = 60.0  # seconds a run waits for a worker when the cluster has none
RESTART_TIMEOUT = 120.0  # seconds for a nanny to restart a stuck worker
WATCH_EVERY = 5.0  # seconds between two looks at the cluster's worker count during a run

MAX_CHUNK = 8  # documents per Dask task at most (a chunk is redone whole if its worker dies)

R = TypeVar("R")
_Waiting = tuple[Work, "asyncio.Future[R | Rejected]"]


class DaskPool(Generic[R]):
    """Documents extracted on the workers of the Dask cluster at ``scheduler``, for one run."""

    def __init__(
        self,
        *,
        scheduler: str,
        timeout: float,
        task: Callable[..., R | Rejected],
        preload: str | None = None,
        worker_wait: float = WORKER_WAIT,
        max_pages: int = MAX_PAGES,
    ) -> None:
        self._scheduler = scheduler
        self._worker_wait = worker_wait
        self._job = WorkerJob(local_build().digest, task, timeout, preload, max_pages=max_pages)
        self._client: Client | None = None
        self._slots = 1
        self._waiting: deque[_Waiting[R]] = deque()  # documents not sent yet, in order
        self._pump_due = False
        self._out = 0  # chunks sent and not answered
        self._sending: dict[asyncio.Future[None], list[_Waiting[R]]] = {}  # chunk of each send
        self._watch: asyncio.Future[None] | None = None
        self._restarts: dict[str, asyncio.Future[None]] = {}  # stuck workers being restarted
        self._held: list[_Waiting[R]] = []  # documents a stuck worker gave back, until restarted

    @property
    def slots(self) -> int:
        """The cluster's task threads when the run started (each feeds one extraction process)."""
        return self._slots

    async def __aenter__(self) -> DaskPool[R]:
        self._client = await _connect(self._scheduler)
        try:
            workers = await _usable_workers(self._client, self._scheduler, self._worker_wait)
            await self._client.run(warm_up, self._job)
        except BaseException:
            await self._close()
            raise
        self._slots = max(1, sum(info.threads for info in workers.values()))
        self._watch = asyncio.ensure_future(self._watch_workers())
        logger.info(
            "extraction on %d Dask worker(s), %d thread(s), at %s",
            len(workers),
            self._slots,
            self._scheduler,
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._close()

    async def process(self, doc: RawDocument, *context: object) -> R | Rejected:
        """Extract a document (given ``context`` too) on a worker; a time-out, crash or lost
        worker becomes a reject row."""
        if self._client is None:
            raise EngineError("the Dask engine is used before `async with` opened it")
        waiter: asyncio.Future[R | Rejected] = asyncio.get_running_loop().create_future()
        self._waiting.append(((doc, context), waiter))
        self._pump_soon()
        return await waiter

    def _pump_soon(self) -> None:
        """Send waiting documents once the documents given in this loop turn are all waiting."""
        if not self._pump_due:
            self._pump_due = True
            asyncio.get_running_loop().call_soon(self._pump)

    def _pump(self) -> None:
        """Send the waiting documents in chunks, at most two chunks out per worker thread.

        Under load documents wait here and leave in chunks of up to MAX_CHUNK (one
        Dask task each: the scheduler's and the client's cost per task is shared);
        on an idle cluster each document leaves at once, alone.
        """
        self._pump_due = False
        waiting = self._waiting
        while waiting and waiting[0][1].done():  # its caller was cancelled
            waiting.popleft()
        limit = 2 * self._slots
        while waiting and self._out < limit:
            size = min(MAX_CHUNK, -(-len(waiting) // (limit - self._out)))
            chunk = [waiting.popleft() for _ in range(min(size, len(waiting)))]
            self._out += 1
            sending = asyncio.ensure_future(self._send(chunk))
            self._sending[sending] = chunk
            sending.add_done_callback(self._sent)

    def _sent(self, sending: asyncio.Future[None]) -> None:
        del self._sending[sending]

    async def _watch_workers(self) -> None:
        """Fail the run's documents once the cluster has had no worker for ``worker_wait`` s.

        The scheduler keeps tasks it has no worker for waiting, without end: without
        this, a cluster that lost every worker for good would leave the run stuck.
        """
        assert self._client is not None
        loop = asyncio.get_running_loop()
        alone_since: float | None = None
        while True:
            await asyncio.sleep(WATCH_EVERY)
            identity = await cast(Any, self._client.scheduler).identity(n_workers=0)
            if identity.get("n_workers") or not (self._sending or self._waiting or self._held):
                alone_since = None
            elif alone_since is None:
                alone_since = loop.time()
            elif loop.time() - alone_since >= self._worker_wait:
                self._fail_all(
                    f"the Dask cluster at {self._scheduler} has had no worker for "
                    f"{self._worker_wait:.0f} s"
                )

    def _fail_all(self, message: str) -> None:
        """Every document given and not answered gets an EngineError with ``message``."""
        waiters = [w for chunk in self._sending.values() for _, w in chunk]
        waiters += [w for _, w in (*self._waiting, *self._held)]
        self._waiting.clear()
        self._held.clear()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(EngineError(message))
        for sending in list(self._sending):
            sending.cancel()

    async def _send(self, chunk: list[_Waiting[R]]) -> None:
        """Extract a chunk in one Dask task and hand each caller its document's outcome."""
        try:
            outcomes = await self._outcomes([work for work, _ in chunk], self._job)
        except asyncio.CancelledError:
            for _, waiter in chunk:
                waiter.cancel()
            raise
        finally:
            self._out -= 1
            self._pump_soon()
        for item, outcome in zip(chunk, outcomes, strict=True):
            waiter = item[1]
            if waiter.done():
                continue
            if outcome is None:  # not done: its worker was stuck (being restarted)
                self._held.append(item)
            elif isinstance(outcome, EngineError):
                waiter.set_exception(outcome)
            else:
                waiter.set_result(outcome)
        if all(restart.done() for restart in self._restarts.values()):
            self._requeue_held()  # its worker's restart ended before this answer came

    async def _outcomes(
        self, items: list[Work], job: WorkerJob
    ) -> list[R | Rejected | EngineError | None]:
        """Each document's result, reject row or None (not done: to send again once its
        stuck worker is restarted), or the engine's failure for every one."""
        assert self._client is not None
        docs = [doc for doc, _ in items]
        future = self._client.submit(run_documents, job, items, pure=False)
        try:
            outcomes, stuck = cast(Answer, await future)
            # Released before a restart of its worker: else Dask would compute it again.
            future.release()  # type: ignore[no-untyped-call]
        except EngineError as exc:
            return [EngineError(str(exc)) for _ in docs]
        except KilledWorker as exc:
            if not job.isolated:  # find the page that kills workers: each alone, in pebble
                return await self._isolated(items)
            detail = f"the Dask workers running it died: {_reason(exc)}"
            return [rejected(doc, RejectReason.EXTRACTION_ERROR, detail) for doc in docs]
        except FutureCancelledError as exc:
            message = f"the Dask scheduler at {self._scheduler} dropped the work: {exc.reason}"
            return [EngineError(message) for _ in docs]
        except Exception as exc:
            logger.warning("extraction of %d document(s) failed: %r", len(docs), exc)
            detail = f"{type(exc).__name__}: {_reason(exc)}"
            return [rejected(doc, RejectReason.EXTRACTION_ERROR, detail) for doc in docs]
        if stuck is not None:
            self._restart(stuck)
        return cast("list[R | Rejected | EngineError | None]", outcomes)

    async def _isolated(self, items: list[Work]) -> list[R | Rejected | EngineError | None]:
        """The documents of a chunk that killed its workers, each in a pebble process."""
        job = replace(self._job, isolated=True)
        answers = await asyncio.gather(*(self._outcomes([item], job) for item in items))
        return [outcome for answer in answers for outcome in answer]

    def _restart(self, worker: str) -> None:
        """Restart a stuck or retired worker (through its nanny), then send the
        documents it gave back again."""
        if worker in self._restarts:
            return
        logger.info(
            "restarting Dask worker %s (a page overran its limit, or its page quota)", worker
        )
        restart = asyncio.ensure_future(self._restarted(worker))
        self._restarts[worker] = restart

    async def _restarted(self, worker: str) -> None:
        assert self._client is not None
        restart = cast(Any, self._client.restart_workers)  # a coroutine for an asynchronous client
        try:
            await restart([worker], timeout=RESTART_TIMEOUT, raise_for_error=False)
        except Exception as exc:  # the worker may be gone already: its work is redone anyway
            logger.warning("restarting Dask worker %s failed: %r", worker, exc)
        self._requeue_held()

    def _requeue_held(self) -> None:
        """Send the documents stuck workers gave back again, first."""
        held, self._held = self._held, []
        self._waiting.extendleft(reversed(held))
        self._pump_soon()

    async def _close(self) -> None:
        while self._waiting:  # not sent: their callers are gone or never get an answer now
            self._waiting.popleft()[1].cancel()
        for _, waiter in self._held:
            waiter.cancel()
        self._held.clear()
        pending = [
            *self._sending,
            *self._restarts.values(),
            *([self._watch] if self._watch else []),
        ]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._watch = None
        client, self._client = self._client, None
        if client is not None:
            await _awaited(client.close())  # type: ignore[no-untyped-call]


async def _connect(scheduler: str) -> Client:
    """An asynchronous client of the scheduler, or an EngineError saying why not."""
    connect = cast(Any, Client)  # distributed types Client for synchronous use only
    try:
        client: Client = await connect(
            scheduler,
            asynchronous=True,
            timeout=CONNECT_TIMEOUT,
            set_as_default=False,
            direct_to_workers=True,  # results straight from the workers, not via the scheduler
        )
    except (OSError, TimeoutError, ValueError) as exc:
        reason = _reason(exc)
        raise EngineError(f"cannot reach the Dask scheduler at {scheduler}: {reason}") from exc
    return client


def _awaited(value: object) -> Awaitable[Any]:
    """An asynchronous client's call, typed as what it is (distributed types it as synchronous)."""
    return cast(Awaitable[Any], value)


async def _usable_workers(client: Client, scheduler: str, wait: float) -> dict[str, WorkerInfo]:
    """Every worker's description, once there is one; an unusable worker is an EngineError."""
    try:
        wait_for = cast(Any, client.wait_for_workers)  # a coroutine for an asynchronous client
        await wait_for(1, timeout=wait)
    except TimeoutError as exc:
        raise EngineError(
            f"no Dask worker joined the scheduler at {scheduler} within {wait:.0f} s: "
            f"start some with `news-ingest worker --scheduler {scheduler}`"
        ) from exc
    workers = cast(dict[str, WorkerInfo], await client.run(describe_worker))
    here = local_build()
    for address, info in sorted(workers.items()):
        if info.build != here:
            raise EngineError(
                f"Dask worker {address} runs another installation than this flow "
                f"({info.build.difference(here)}, worker vs flow): install the same "
                "version everywhere and restart the workers"
            )
        if info.daemon:
            raise EngineError(daemon_message(address))
    return workers


async def check_cluster(scheduler: str, *, worker_wait: float = WORKER_WAIT) -> int:
    """Check the cluster a command is about to use, as a run would; its worker threads."""
    client = await _connect(scheduler)
    try:
        workers = await _usable_workers(client, scheduler, worker_wait)
    finally:
        await _awaited(client.close())  # type: ignore[no-untyped-call]
    return sum(info.threads for info in workers.values())


async def reach_scheduler(scheduler: str) -> None:
    """Check that the scheduler answers (for a command about to start); EngineError if not."""
    client = await _connect(scheduler)
    await _awaited(client.close())  # type: ignore[no-untyped-call]


def _reason(exc: BaseException) -> str:
    """The first line of an error's message (Dask's span several), or its type."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
