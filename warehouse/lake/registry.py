"""Which open DuckDB connections are lake connections, and their PostgreSQL session.

:mod:`warehouse.store` asks :func:`handle_of` whether the connection it was
given writes to a lake; a lake connection's transactions then follow the
batch protocol of :mod:`warehouse.lake.batches`.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import psycopg

from warehouse.lake.target import LakeTarget

__all__ = ["LakeHandle", "forget", "handle_of", "remember"]


@dataclass(slots=True)
class LakeHandle:
    """A lake connection's target and its own PostgreSQL session (advisory locks, recovery)."""

    target: LakeTarget
    pg: psycopg.Connection[tuple[object, ...]]


_HANDLES: dict[int, LakeHandle] = {}


def remember(conn: duckdb.DuckDBPyConnection, handle: LakeHandle) -> None:
    """Mark ``conn`` as a lake connection (until :func:`forget`)."""
    _HANDLES[id(conn)] = handle


def forget(conn: duckdb.DuckDBPyConnection) -> None:
    """``conn`` is being closed."""
    _HANDLES.pop(id(conn), None)


def handle_of(conn: duckdb.DuckDBPyConnection) -> LakeHandle | None:
    """The lake handle of ``conn``, or None for a DuckDB file's connection."""
    return _HANDLES.get(id(conn))
