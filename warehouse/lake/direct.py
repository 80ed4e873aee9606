"""Per-batch key lookups that a lake sends to PostgreSQL itself.

Through DuckDB's postgres extension, ``key IN (...)`` on a PostgreSQL table
is not answered from the table's index: at 1M stored articles a batch's
band-key lookup cost 28 ms per article that way and 0.45 ms sent to
PostgreSQL directly (``bench/lake.py``, docs/performance.md). These lookups
run on the lake's own psycopg session: it holds the batch's ``DECIDE`` lock,
so it sees every batch committed before this one, as the DuckDB transaction
does (the lookups precede the batch's own writes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from warehouse.lake.registry import LakeHandle

__all__ = ["select_any"]

_MARKER = "{keys}"


def select_any(
    handle: LakeHandle, sql: str, keys: Sequence[str] | Sequence[int], *, array_type: str
) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` with ``{keys}`` bound as one PostgreSQL array (``= ANY(...)``)."""
    if sql.count(_MARKER) != 1:
        raise ValueError(f"select_any needs exactly one {_MARKER} marker: {sql!r}")
    if not keys:
        return []
    statement = sql.replace(_MARKER, f"%s::{array_type}[]")
    return list(handle.pg.execute(statement.encode(), (list(keys),)).fetchall())
