"""Which open DuckDB connections are lake connections, and their PostgreSQL session.

:mod:`warehouse.store` asks :func:`handle_of` whether the connection it was
given writes to a lake; a lake connection's transactions then follow the
batch protocol of :mod:`warehouse.lake.batches`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb
import psycopg

from warehouse.lake.target import LakeTarget

__all__ = ["LakeHandle", "Read", "forget", "handle_of", "remember"]


@dataclass(frozen=True, slots=True)
class Read:
    """One key lookup a batch's decisions rest on, and what it answered."""

    statement: bytes
    keys: list[Any]
    rows: Counter[tuple[Any, ...]]


@dataclass(slots=True)
class LakeHandle:
    """A lake connection's target and its own PostgreSQL session (advisory locks, recovery).

    ``reads`` is a list while a state transaction is open: the lookups made in it
    (:mod:`warehouse.lake.direct`), validated before it commits.
    """

    target: LakeTarget
    pg: psycopg.Connection[tuple[object, ...]]
    reads: list[Read] | None = None
    # Seconds spent waiting for key locks, deciding in state transactions, validating and
    # committing, and how many attempts conflicted (bench/lake.py reports them).
    spent: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    # The search tokeniser (fts, macros, stop words) is loaded in this connection.
    tokeniser_ready: bool = False


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
