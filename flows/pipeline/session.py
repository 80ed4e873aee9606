"""The life of a run row, shared by the ingest and reextract flows.

Starting a run marks runs that never finished as crashed (we hold the run
lock, so none of them is alive); finishing one brings the search index up to
date before the run is marked finished; the analysts' snapshot is published
after the database file is closed. Messages go to the Prefect run log when
there is a run context, else to this module's logger.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from prefect import get_run_logger
from prefect.runtime import flow_run

from warehouse import search, store
from warehouse.connection import Connection
from warehouse.errors import SearchError, WarehouseError
from warehouse.operations import publish_snapshot, snapshot_path

__all__ = ["begin_run", "end_run", "flow_run_id", "say", "update_snapshot", "warn"]

logger = logging.getLogger(__name__)


def begin_run(
    conn: Connection,
    *,
    run_id: UUID,
    sources_file: str,
    selected: Sequence[str],
) -> None:
    """Record a run as started, after marking runs that never finished as crashed."""
    now = datetime.now(UTC)
    with store.transaction(conn):
        crashed = store.mark_abandoned_runs(conn, now=now)
        if crashed:
            warn(f"marked {crashed} earlier run(s) that never finished as crashed")
        store.start_run(
            conn,
            run_id=run_id,
            flow_run_id=flow_run_id(),
            started_at=now,
            sources_file=sources_file,
            selected=list(selected),
        )


def end_run(conn: Connection, *, run_id: UUID, status: str, error: str | None) -> None:
    """Index the run's new and changed articles, then record the run's end."""
    try:
        search.refresh_index(conn)
    except SearchError as exc:
        warn(f"search index not refreshed ({exc}); the next run catches up")
    store.finish_run(conn, run_id=run_id, status=status, finished_at=datetime.now(UTC), error=error)


def update_snapshot(database: Path, *, enabled: bool) -> None:
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


def flow_run_id() -> UUID | None:
    """The Prefect flow run this code runs in, if any."""
    value = flow_run.get_id()
    return UUID(str(value)) if value else None


def warn(message: str) -> None:
    """A warning in the Prefect run log (or this module's log outside a run)."""
    _log(logging.WARNING, message)


def say(message: str) -> None:
    """An info line in the Prefect run log (or this module's log outside a run)."""
    _log(logging.INFO, message)


def _log(level: int, message: str) -> None:
    try:
        get_run_logger().log(level, "%s", message)
    except Exception:  # no run context: outside a flow (tests, the CLI before the run)
        logger.log(level, "%s", message)
