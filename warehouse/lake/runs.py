"""Runs on a lake: each live run holds an advisory lock, so a crashed one is recognisable.

On a DuckDB file the run lock guarantees that a run found still ``running``
is dead. On a lake several runs are alive at once: a run holds the ``RUN``
lock of its id from start to end (in its connection's PostgreSQL session,
released by PostgreSQL when the process dies), and a ``running`` run whose
lock is free is marked ``crashed``.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from warehouse.lake import locks
from warehouse.lake.registry import LakeHandle

__all__ = ["hold_run", "mark_abandoned_runs"]


def hold_run(handle: LakeHandle, run_id: UUID) -> None:
    """Take the run's lock for the rest of the connection's life."""
    handle.pg.execute("SELECT pg_advisory_lock(%s, %s)", (locks.RUN, locks.object_key(run_id)))


def mark_abandoned_runs(handle: LakeHandle, *, now: datetime) -> int:
    """Mark ``running`` runs whose process is gone as ``crashed``; return how many."""
    pg = handle.pg
    running = pg.execute("SELECT run_id FROM store.runs WHERE status = 'running'").fetchall()
    crashed = 0
    for (run_id,) in running:
        assert isinstance(run_id, UUID)
        key = locks.object_key(run_id)
        if not locks.try_lock(pg, locks.RUN, key):
            continue  # alive
        try:
            with pg.transaction():
                pg.execute(
                    "UPDATE store.runs SET status = 'crashed', finished_at = %s "
                    "WHERE run_id = %s AND status = 'running'",
                    (now, run_id),
                )
                pg.execute(
                    "UPDATE store.run_sources SET status = 'crashed', finished_at = %s "
                    "WHERE run_id = %s AND status = 'running'",
                    (now, run_id),
                )
            crashed += 1
        finally:
            locks.unlock(pg, locks.RUN, key)
    return crashed
