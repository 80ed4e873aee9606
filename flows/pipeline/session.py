"""The run session: the run lock, one writer connection, the run row, the analysts' snapshot.

Both flows (ingest and reextract) run inside :func:`run_session`: it takes the
database's run lock (waiting, with a message, while another process holds
it), opens one writer connection for the whole run, records the run as
started (after marking runs that never finished as crashed: we hold the lock,
so none of them is alive), and at the end brings the search index up to date,
records the run's end and status (``completed``, ``failed``, or
``interrupted`` after Ctrl-C), closes the file and publishes the read-only
snapshot analysts read meanwhile.

The run holds one connection from start to end: DuckDB loads the
near-duplicate index into memory when a connection first touches it (over a
second at a million articles), so it is opened once, not per batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

from flows.errors import RunInterruptedError
from flows.pipeline.config import PipelineSettings
from flows.pipeline.persist import persist_run_end, persist_run_start
from flows.pipeline.runlog import flow_run_id, warn
from warehouse.connection import Connection, LockWait, connect, run_lock
from warehouse.errors import SearchError, WarehouseError, WarehouseUnavailableError
from warehouse.lake.connection import connect_lake
from warehouse.lake.target import LakeTarget
from warehouse.lookups import run_counts
from warehouse.rows import RunCounts
from warehouse.snapshots import publish_snapshot, snapshot_path

__all__ = ["INTERRUPTED", "Session", "run_session"]

INTERRUPTED = "interrupted (SIGINT)"  # the run row's error after Ctrl-C


@dataclass(slots=True)
class Session:
    """An open run: its id, the writer connection, and how it ended (set on leaving)."""

    run_id: UUID
    conn: Connection
    database: Path
    status: str = "running"


@contextmanager
def run_session(
    database: Path,
    *,
    pipeline: PipelineSettings,
    sources_file: str,
    selected: Callable[[Connection], Sequence[str]],
    lake: LakeTarget | None = None,
) -> Iterator[Session]:
    """Hold the database for one run; ``selected`` names the run's sources (read at start).

    The run is ``completed`` when the block ends normally and ``failed`` when it
    raises (the exception goes on); either way the run row is closed and the
    snapshot published. Ctrl-C (the flow's task cancelled, or KeyboardInterrupt)
    makes it ``interrupted`` and raises RunInterruptedError, which says what the run
    stored: its committed batches stay, and the next run continues from them.
    """
    outcome = _Outcome()
    if lake is not None:
        # A lake takes several writers at once: no run lock, no snapshot (docs/lake.md).
        with connect_lake(lake) as conn:
            yield from _run(conn, database, sources_file, selected, outcome)
    else:
        lock_wait = LockWait(timeout=pipeline.lock_timeout, notify=warn)
        with run_lock(database, wait=lock_wait):
            with connect(database, wait=lock_wait) as conn:
                yield from _run(conn, database, sources_file, selected, outcome)
            # The file is closed; the run lock is still held.
            _update_snapshot(database, enabled=pipeline.snapshot)
    if outcome.stopped is not None and outcome.stored is not None:
        raise RunInterruptedError(_interrupted(outcome.run_id, outcome.stored)) from outcome.stopped


@dataclass(slots=True)
class _Outcome:
    """What the session block left: a Ctrl-C, and what the run had stored by then."""

    run_id: UUID = field(default_factory=uuid4)
    stopped: BaseException | None = None
    stored: RunCounts | None = None


def _run(
    conn: Connection,
    database: Path,
    sources_file: str,
    selected: Callable[[Connection], Sequence[str]],
    outcome: _Outcome,
) -> Iterator[Session]:
    """The run between its start and end rows, on an open connection."""
    session = Session(outcome.run_id, conn, database)
    _begin_run(session, sources_file=sources_file, selected=selected(conn))
    error = None
    try:
        yield session
        session.status = "completed"
    except (asyncio.CancelledError, KeyboardInterrupt) as exc:
        session.status, error, outcome.stopped = "interrupted", INTERRUPTED, exc
    except BaseException as exc:
        session.status, error = "failed", f"{type(exc).__name__}: {exc}"
        raise
    finally:
        _end_run(session, error=error)
    outcome.stored = run_counts(conn, session.run_id) if outcome.stopped else None


def _interrupted(run_id: UUID, stored: RunCounts) -> str:
    """The one line a Ctrl-C leaves: what the run stored, and that a rerun continues."""
    return (
        f"interrupted: run {run_id} stored {stored.new} new and {stored.updated} updated "
        f"articles ({stored.duplicates} duplicates, {stored.rejected} rejected) before it "
        "stopped; they are kept: run again to continue from there"
    )


def _begin_run(session: Session, *, sources_file: str, selected: Sequence[str]) -> None:
    crashed = persist_run_start(
        session.conn,
        run_id=session.run_id,
        flow_run_id=flow_run_id(),
        at=datetime.now(UTC),
        sources_file=sources_file,
        selected=list(selected),
    )
    if crashed:
        warn(f"marked {crashed} earlier run(s) that never finished as crashed")


def _end_run(session: Session, *, error: str | None) -> None:
    status = "failed" if session.status == "running" else session.status
    try:
        persist_run_end(
            session.conn, run_id=session.run_id, status=status, at=datetime.now(UTC), error=error
        )
    except SearchError as exc:
        warn(f"search index not refreshed ({exc}); the next run catches up")
    except WarehouseUnavailableError as exc:
        warn(f"{exc}; the next run marks this one crashed")


def _update_snapshot(database: Path, *, enabled: bool) -> None:
    """Publish the analysts' read-only copy, or remove a stale one when snapshots are off.

    A failure to publish costs freshness, not the run: it is logged.
    """
    if not enabled:
        snapshot_path(database).unlink(missing_ok=True)  # readers then use the live file
        return
    try:
        publish_snapshot(database)
    except WarehouseError as exc:
        warn(f"read-only snapshot not published: {exc}")
