"""What runs on a Dask worker for the Dask engine: extraction in the worker, build checks.

Each Dask task is a few documents, sent by :mod:`flows.extract.dask_pool` to a
plain module-level function (:func:`run_documents`) with a small
:class:`WorkerJob`; no Prefect runs here, so a worker never needs or starts a
Prefect API. A worker with one task thread (what ``news-ingest worker`` starts:
one single-threaded worker process per page extracted at once) extracts the
documents in its own process, one at a time, each within its time limit
(:mod:`flows.extract.dask_inline`: a page over it is a reject row and the flow
restarts the worker, whose extraction thread cannot be stopped). A worker with
several threads, and a chunk sent again page by page after it killed workers
(``WorkerJob.isolated``), run each document in the worker's own
:class:`ExtractionPool` (pebble, spawned once and kept for the worker's life),
where a page over its limit or one that crashes its process is a reject row and
the Dask worker itself neither hangs nor dies, exactly as with the local pool.
Extraction in the worker process saves the second transfer of every page into a
pebble process (about a fifth of extraction's CPU on 2 cores: docs/scale-out.md).

pebble starts processes, which a daemonic process may not: Dask workers must
run with ``DASK_DISTRIBUTED__WORKER__DAEMON=False`` (a chunk that killed workers
needs it). ``news-ingest worker``
(:func:`worker_command`) sets it, and a daemonic worker is reported by name.

Every worker must run the same installation as the flow (:class:`Build`: the
versions that decide what extraction stores, and a digest of the project's
code): a mismatch is an :class:`~flows.errors.EngineError` naming the worker
and the difference, checked when a run starts and again by every worker that
joins later, on its first document.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import platform
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any

from flows.errors import EngineError
from flows.extract.dask_inline import MAX_PAGES, InlineExtractor
from flows.extract.workers import ExtractionPool, Work

__all__ = [
    "Answer",
    "Build",
    "WorkerInfo",
    "WorkerJob",
    "daemon_message",
    "dask_setup",
    "describe_worker",
    "local_build",
    "run_documents",
    "warm_up",
    "worker_command",
]

# The distributions whose versions decide what a page becomes (and how it travels).
_DISTRIBUTIONS = (
    "news-ingest",
    "trafilatura",
    "lxml",
    "lxml_html_clean",
    "numpy",
    "xxhash",
    "pebble",
    "dask",
    "distributed",
)
_PACKAGES = ("news_ingest", "flows", "connectors", "warehouse")
_KEPT_POOLS = 2  # pools of distinct settings a worker keeps (one per concurrent kind of run)
DAEMON_ENV = "DASK_DISTRIBUTED__WORKER__DAEMON"
# Dask settings of a news-ingest worker. The nanny's and the worker's periodic looks at
# memory and at the system (every 100 ms and 500 ms by default) cost CPU that extraction on
# the same cores would use. And no MALLOC_TRIM_THRESHOLD_=65536 from the nanny (Dask's
# default, to hand memory back sooner): extraction, in the worker process, allocates and
# frees a page's tree per page and spends twice the system time with it.
_WORKER_CONFIG = {
    "DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL": "1s",
    "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "2s",
    "DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON": "{'MALLOC_TRIM_THRESHOLD_': None}",
}


@dataclass(frozen=True, slots=True)
class Build:
    """What a process runs: the versions that matter and a digest of the project's code."""

    versions: tuple[tuple[str, str], ...]
    code: str

    @property
    def digest(self) -> str:
        """A short name for the whole build (equal digests: the same installation)."""
        text = repr((self.versions, self.code)).encode()
        return hashlib.sha256(text).hexdigest()[:16]

    def difference(self, other: Build) -> str:
        """What differs from ``other``, as ``name this vs other`` pairs."""
        theirs = dict(other.versions)
        changed = [f"{k} {v} vs {theirs.get(k)}" for k, v in self.versions if theirs.get(k) != v]
        if self.code != other.code:
            changed.append(f"news-ingest code {self.code} vs {other.code}")
        return ", ".join(changed) or "nothing"


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What a Dask worker says about itself when a run starts."""

    build: Build
    daemon: bool
    threads: int


@dataclass(frozen=True, slots=True)
class WorkerJob:
    """What a worker needs beside the document: the build expected and the pool's settings."""

    build: str  # the flow's Build.digest
    task: Callable[..., Any]  # a module-level function: pickled by reference
    timeout: float
    preload: str | None
    isolated: bool = False  # each document in a pebble process (its chunk killed workers)
    max_pages: int = MAX_PAGES  # pages a worker process extracts before it is restarted


@cache
def local_build() -> Build:
    """This process's build (computed once: it reads the project's source files)."""
    versions = [("python", platform.python_version())]
    for name in _DISTRIBUTIONS:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, "absent"))
    return Build(tuple(versions), _code_digest())


def _code_digest() -> str:
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parents[2]
    for package in _PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def describe_worker(dask_worker: Any) -> WorkerInfo:
    """This worker's build, daemon flag and thread count (run on every worker by ``Client.run``)."""
    return WorkerInfo(local_build(), _daemonic(), int(dask_worker.state.nthreads))


def warm_up(job: WorkerJob, dask_worker: Any) -> bool:
    """Start this worker's extraction (its thread's imports, or its pebble processes) now,
    before its first document."""
    threads = int(dask_worker.state.nthreads)
    if _inline_here(job, dask_worker):
        _check_build(job)
        _inline().preload(job.preload)
    else:
        _pool_for(job, threads).start()
    return True


Answer = tuple[list[Any], str | None]  # each document's outcome (None: not done); a stuck worker


def run_documents(job: WorkerJob, items: list[Work]) -> Answer:
    """Extract a few documents (each with its context) on this worker (one Dask task).

    Each document's result or reject row, or None for one not done because this
    worker is stuck on a page over its limit; and then the worker's address, which
    the flow restarts (:mod:`flows.extract.dask_inline`).
    """
    from distributed import get_worker  # noqa: PLC0415 (only ever called inside a worker)

    worker = get_worker()
    if not _inline_here(job, worker):
        return _pool_for(job, int(worker.state.nthreads)).run_all(items), None
    _check_build(job)
    extractor = _inline()
    outcomes = extractor.run(
        job.task, items, timeout=job.timeout, preload=job.preload, max_pages=job.max_pages
    )
    return outcomes, (worker.address if extractor.stuck else None)


def _inline_here(job: WorkerJob, worker: Any) -> bool:
    """Extract in the worker process itself: one task thread (trafilatura is not thread-safe),
    a nanny to restart the process when a page leaves it stuck (a worker without one may
    live in another program's process: a timer must never end that), and not a chunk sent
    again one page at a time after killing workers."""
    return int(worker.state.nthreads) == 1 and worker.nanny is not None and not job.isolated


@cache
def _inline() -> InlineExtractor:
    return InlineExtractor()


_pools: OrderedDict[tuple[Callable[..., Any], float, str | None], ExtractionPool[Any]]
_pools = OrderedDict()
_lock = threading.Lock()


def _check_build(job: WorkerJob) -> None:
    """An EngineError if this worker does not run the build the flow expects."""
    if job.build != local_build().digest:
        raise EngineError(
            f"Dask worker (pid {os.getpid()}) runs news-ingest build {local_build().digest}, "
            f"the flow expects {job.build}: install the same version everywhere "
            "and restart the workers"
        )


def _pool_for(job: WorkerJob, threads: int) -> ExtractionPool[Any]:
    """The worker's pool for these settings, created on first use; checks the build first."""
    _check_build(job)
    if _daemonic():
        raise EngineError(daemon_message(f"pid {os.getpid()}"))
    key = (job.task, job.timeout, job.preload)
    with _lock:
        pool = _pools.get(key)
        if pool is None:
            _plain_malloc()
            pool = ExtractionPool(
                workers=threads, timeout=job.timeout, task=job.task, preload=job.preload
            )
            _pools[key] = pool
            while len(_pools) > _KEPT_POOLS:
                _pools.popitem(last=False)[1].close()
        _pools.move_to_end(key)
        return pool


def _plain_malloc() -> None:
    """Let the pebble processes about to start use glibc's default heap trimming.

    A nanny not started by ``news-ingest worker`` (a LocalCluster, plain ``dask
    worker``) gives its worker ``MALLOC_TRIM_THRESHOLD_=65536`` (see _WORKER_CONFIG).
    """
    os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)


def _daemonic() -> bool:
    return bool(multiprocessing.current_process().daemon)


def daemon_message(worker: str) -> str:
    """Why a daemonic worker cannot extract, and how to start one that can."""
    return (
        f"Dask worker {worker} is a daemonic process and cannot start extraction processes: "
        f"start workers with `news-ingest worker` (or {DAEMON_ENV}=False)"
    )


def _stop_pools() -> None:
    """Stop the extraction processes as the worker process exits.

    They are not daemonic (pebble's choice), and multiprocessing joins such
    children when a process ends: left running, they would hold the worker's exit
    until its nanny kills it. A positive exit priority runs this before that join.
    """
    with _lock:
        for pool in _pools.values():
            pool.stop()
        _pools.clear()


Finalize(None, _stop_pools, exitpriority=10)


def dask_setup(worker: Any) -> None:
    """Preload hook of ``news-ingest worker``: compute the build before the first run asks."""
    local_build()


def worker_command(
    scheduler: str, *, threads: int, name: str | None = None
) -> tuple[list[str], dict[str, str]]:
    """The ``dask worker`` command line and environment of a news-ingest extraction worker.

    ``threads`` single-threaded worker processes (each with its nanny), each
    extracting one page at a time in its own process (trafilatura is not safe
    under threads); not daemonic (a chunk sent again page by page runs in a pebble
    process); Prefect's temporary server off (nothing on a worker talks to Prefect).
    """
    command = [sys.executable, "-m", "distributed.cli.dask_worker", scheduler]
    command += ["--nworkers", str(threads), "--nthreads", "1", "--preload", __name__]
    if name:
        command += ["--name", name]
    env = {
        **os.environ,
        DAEMON_ENV: "False",
        "PREFECT_SERVER_EPHEMERAL_ENABLED": "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        **_WORKER_CONFIG,
    }
    return command, env
