"""A real Dask cluster on 127.0.0.1 for tests: a scheduler and worker processes with nannies.

Workers are started the way ``news-ingest worker`` starts them (not daemonic,
so their extraction pool can start processes) unless ``daemon=True`` asks for
Dask's default. The setting stays in force while the cluster lives: a nanny
reads it again when it restarts a killed worker.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import dask
from distributed import Client, LocalCluster

__all__ = ["kill_worker", "local_cluster", "worker_pids"]


@contextmanager
def local_cluster(workers: int = 2, *, daemon: bool = False) -> Iterator[LocalCluster]:
    """A LocalCluster of ``workers`` single-threaded worker processes (none: a lone scheduler)."""
    with dask.config.set({"distributed.worker.daemon": daemon}):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",  # any free port: other clusters may run
            silence_logs=logging.ERROR,
        )
        try:
            yield cluster
        finally:
            cluster.close()


def worker_pids(address: str) -> dict[str, int]:
    """Each worker's process id, by worker address."""
    with Client(address, timeout=30) as client:
        pids: dict[str, int] = client.run(os.getpid)
        return pids


def kill_worker(pid: int) -> None:
    """SIGKILL a worker process: no cleanup, no goodbye to the scheduler."""
    os.kill(pid, signal.SIGKILL)
