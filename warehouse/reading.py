"""Read-only access for the analyst commands (sql, search, export, report, stats).

One place opens the warehouse for reading, so every analyst command fails the
same clear way on a missing file, a file that is not a DuckDB database, or a
DuckDB file that news-ingest never migrated. Like ``news-ingest sql``, they
read the snapshot published after each run when there is one
(:func:`warehouse.snapshots.reading_path`): a run holds the live file for its
whole duration, and a reader of the live file would make the next run wait.

Error tree::

    WarehouseError (warehouse.connection)
    └── NotAWarehouseError   the file is a DuckDB database without the news-ingest tables
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse.connection import LockWait, connect
from warehouse.errors import NotAWarehouseError, WarehouseError
from warehouse.snapshots import reading_path, snapshot_is_behind

__all__ = ["READ_WAIT", "read_only"]

READ_WAIT = 120.0  # reading the live file (no snapshot yet): wait this long for a run


@contextmanager
def read_only(
    path: Path, *, live: bool = False, timeout: float = READ_WAIT
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse's snapshot (or, without one or with ``live``, the file) read-only."""
    if path.exists() and path.is_dir():
        raise WarehouseError(f"{path} is a folder, not a DuckDB file")
    target = reading_path(path, live=live)
    if target != path and snapshot_is_behind(path):
        _tell(f"reading the snapshot {target} of the last finished run; a run is writing {path}")
    wait = LockWait(timeout=timeout, notify=_tell)
    with connect(target, read_only=True, wait=wait) as conn:
        _check_migrated(conn, target)
        yield conn


def _check_migrated(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    row = conn.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'store' AND table_name = 'schema_migrations'"
    ).fetchone()
    if not row or not row[0]:
        raise NotAWarehouseError(
            f"{path} is a DuckDB file without the news-ingest tables; "
            f"create or upgrade it with `news-ingest run --db {path}`"
        )


def _tell(message: str) -> None:
    print(f"news-ingest: {message}", file=sys.stderr)
