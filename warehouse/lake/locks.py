"""PostgreSQL advisory locks held by a lake connection's own session.

Session locks, not transaction locks: the lock is taken before DuckDB opens
its transaction on PostgreSQL (whose snapshot must start after the lock is
granted) and PostgreSQL releases it when the session ends, so a killed
process never leaves one behind. Keys are two int4 values: a class (what is
locked) and an object (which one).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

import psycopg

from warehouse.errors import WarehouseUnavailableError

__all__ = [
    "BATCH",
    "DECIDE",
    "RUN",
    "SCHEMA",
    "held",
    "object_key",
    "try_lock",
    "unlock",
]

DECIDE = 1701  # the state transaction of a batch (one writer decides at a time)
BATCH = 1702  # publishing one batch's history into the lake
RUN = 1703  # a live run (held from its start to its end)
SCHEMA = 1704  # creating or upgrading the warehouse's tables and views

Session = psycopg.Connection[tuple[object, ...]]


def object_key(value: UUID | str) -> int:
    """A signed int4 for ``value`` (collisions only make two holders wait for each other)."""
    return zlib.crc32(str(value).encode()) - 2**31


@contextmanager
def held(pg: Session, kind: int, key: int = 0) -> Iterator[None]:
    """Hold the lock ``(kind, key)`` for the block, waiting for it.

    A lost session (PostgreSQL restarted or unreachable) is a WarehouseUnavailableError:
    what was committed stays, and the next run finishes any pending batch.
    """
    try:
        pg.execute("SELECT pg_advisory_lock(%s, %s)", (kind, key))
    except psycopg.OperationalError as exc:
        raise WarehouseUnavailableError(
            f"lost the connection to the lake's PostgreSQL ({exc}); what was committed "
            "is kept and the next run finishes it"
        ) from exc
    try:
        yield
    finally:
        unlock(pg, kind, key)


def try_lock(pg: Session, kind: int, key: int) -> bool:
    """Take ``(kind, key)`` if free; False when another session holds it."""
    row = pg.execute("SELECT pg_try_advisory_lock(%s, %s)", (kind, key)).fetchone()
    return bool(row and row[0])


def unlock(pg: Session, kind: int, key: int) -> None:
    """Release ``(kind, key)`` (a closed session has released it already)."""
    if not pg.closed:
        pg.execute("SELECT pg_advisory_unlock(%s, %s)", (kind, key))
