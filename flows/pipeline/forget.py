"""Reset or drop one source's data (``news-ingest reset`` / ``drop``), like a run would write.

What each forgets is :mod:`warehouse.maintenance`'s to say. Here: the change
is made under the run lock and the one writer connection a run would hold
(waiting for a run that holds them), after the caller has seen the counts and
confirmed; the search index is brought back in step (articles another source
shares are indexed again) and the analysts' snapshot is published again when
there is one, so readers stop seeing what was dropped.

On a lake (docs/lake.md), ``reset`` deletes the source's keyed state in
PostgreSQL in one state transaction; there is no run lock to wait for (a run
of that source storing meanwhile records the pages it stores after the reset).
``drop`` asks before it takes anything (runs go on storing while it asks),
then drops by :mod:`warehouse.lake.drop`'s protocol (an intent, the lake's
history rows, the PostgreSQL state) with no batch decided meanwhile; a drop
of the same source stopped midway is finished by confirming it again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from flows.errors import UsageError
from warehouse.connection import Connection, LockWait, connect, run_lock
from warehouse.lake import drop as lake_drop
from warehouse.lake.connection import connect_lake
from warehouse.lake.drop import LakeDrop
from warehouse.lake.target import LakeTarget
from warehouse.maintenance import DropPlan, ResetPlan, drop_source, plan_drop, plan_reset
from warehouse.maintenance import reset_source as reset_rows
from warehouse.search import refresh_index
from warehouse.snapshots import publish_snapshot, snapshot_path
from warehouse.summaries import source_names

__all__ = ["LakeDrop", "check_known", "drop", "drop_lake", "reset", "reset_lake"]

_Plan = TypeVar("_Plan", DropPlan, ResetPlan)


def drop(
    database: Path, source: str, *, confirm: Callable[[DropPlan], bool], wait: LockWait
) -> DropPlan | None:
    """Drop ``source`` if ``confirm`` approves its plan; the plan carried out, else None."""
    return _forget(
        database, source, plan=plan_drop, change=_drop_and_reindex, confirm=confirm, wait=wait
    )


def reset(
    database: Path, source: str, *, confirm: Callable[[ResetPlan], bool], wait: LockWait
) -> ResetPlan | None:
    """Reset ``source``'s fetch state if ``confirm`` approves; the plan carried out, else None."""
    return _forget(database, source, plan=plan_reset, change=reset_rows, confirm=confirm, wait=wait)


def reset_lake(
    lake: LakeTarget, source: str, *, confirm: Callable[[ResetPlan], bool]
) -> ResetPlan | None:
    """:func:`reset` on a lake: its PostgreSQL state, in one state transaction."""
    with connect_lake(lake) as conn:
        return _change(
            conn, lake.address(), source, plan=plan_reset, change=reset_rows, confirm=confirm
        )


def drop_lake(
    lake: LakeTarget, source: str, *, confirm: Callable[[DropPlan], bool]
) -> LakeDrop | None:
    """:func:`drop` on a lake; a drop of ``source`` a stopped drop left pending is shown
    (its recorded plan) and, confirmed, finished."""
    with connect_lake(lake) as conn:
        pending = lake_drop.pending_plan(conn, source)
        if pending is None:
            check_known(conn, lake.address(), source)
        if not confirm(pending or lake_drop.plan_drop(conn, source)):
            return None
        return lake_drop.drop_source(conn, source)  # search index refreshed too


def _drop_and_reindex(conn: Connection, source: str) -> DropPlan:
    done = drop_source(conn, source)
    refresh_index(conn)  # the shared articles it un-indexed; a no-op when there are none
    return done


def _forget(
    database: Path,
    source: str,
    *,
    plan: Callable[[Connection, str], _Plan],
    change: Callable[[Connection, str], _Plan],
    confirm: Callable[[_Plan], bool],
    wait: LockWait,
) -> _Plan | None:
    if not database.exists():
        raise UsageError(f"no database at {database}")
    with run_lock(database, wait=wait):
        with connect(database, wait=wait) as conn:
            done = _change(conn, str(database), source, plan=plan, change=change, confirm=confirm)
        if done is not None and snapshot_path(database).exists():
            publish_snapshot(database)  # the file is closed, the run lock still held
    return done


def _change(
    conn: Connection,
    where: str,
    source: str,
    *,
    plan: Callable[[Connection, str], _Plan],
    change: Callable[[Connection, str], _Plan],
    confirm: Callable[[_Plan], bool],
) -> _Plan | None:
    """Refuse an unknown source; show the plan; make the change if confirmed."""
    check_known(conn, where, source)
    if not confirm(plan(conn, source)):
        return None
    return change(conn, source)


def check_known(conn: Connection, where: str, source: str) -> None:
    """Raise UsageError unless the warehouse has something of ``source``."""
    known = source_names(conn)
    if source not in known:
        raise UsageError(
            f"unknown source {source!r}: {where} has nothing of a source of that "
            f"name (known: {', '.join(known) or 'none yet'})"
        )
