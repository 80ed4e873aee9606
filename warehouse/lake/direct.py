"""Per-batch key lookups that a lake sends to PostgreSQL itself, remembered for validation.

Through DuckDB's postgres extension, ``key IN (...)`` on a PostgreSQL table
is not answered from the table's index: at 1M stored articles a batch's
band-key lookup cost 28 ms per article that way and 0.45 ms sent to
PostgreSQL directly (``bench/lake.py``, docs/performance.md). These lookups
run on the lake's own psycopg session (read committed: each sees every batch
committed before it). Every lookup a batch's decisions rest on is remembered
on the handle while its state transaction is open; just before the
transaction commits, :func:`changed_reads` asks them again and names the
first whose answer changed (another writer committed something this batch
should have seen): the batch is then decided again (docs/lake.md, "Commit
protocol").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from warehouse.lake.registry import LakeHandle, Read

__all__ = ["changed_reads", "select_any"]

_MARKER = "{keys}"


def select_any(
    handle: LakeHandle,
    sql: str,
    keys: Sequence[str] | Sequence[int],
    *,
    array_type: str,
) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` with ``{keys}`` bound as one PostgreSQL array (``= ANY(...)``).

    Inside a state transaction the lookup and its answer are remembered.
    """
    if sql.count(_MARKER) != 1:
        raise ValueError(f"select_any needs exactly one {_MARKER} marker: {sql!r}")
    if not keys:
        return []
    statement = sql.replace(_MARKER, f"%s::{array_type}[]").encode()
    rows = list(handle.pg.execute(statement, (list(keys),)).fetchall())
    if handle.reads is not None:
        handle.reads.append(Read(statement, list(keys), Counter(rows)))
    return rows


def changed_reads(handle: LakeHandle) -> str | None:
    """The first remembered lookup whose answer is not the same now, or None."""
    for read in handle.reads or ():
        now = Counter(handle.pg.execute(read.statement, (read.keys,)).fetchall())
        if now != read.rows:
            return read.statement.decode().split(" WHERE ")[0]
    return None
