"""Read-only access for the analyst commands (sql, search, export, report, stats).

One place opens the warehouse for reading, so every analyst command fails the
same clear way on a missing file, a file that is not a DuckDB database, or a
DuckDB file that news-ingest never migrated. A run holds the live file for
its whole duration; when it does and a snapshot has been published
(``warehouse.operations``), the command reads the snapshot instead, and says
so, rather than waiting for the run to end.

Error tree::

    WarehouseError (warehouse.db)
    └── NotAWarehouseError   the file is a DuckDB database without the news-ingest tables
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb

from warehouse.db import LockWait, WarehouseError, WarehouseLockedError, connect
from warehouse.operations import snapshot_path

__all__ = ["READ_WAIT", "SNAPSHOT_WAIT", "NotAWarehouseError", "read_only"]

READ_WAIT = 120.0  # no snapshot to fall back on: wait this long for the run to let go
SNAPSHOT_WAIT = 2.0  # with a snapshot: try the live file this long, then read the snapshot


class NotAWarehouseError(WarehouseError):
    """The DuckDB file has no news-ingest tables (never migrated by a run)."""


@contextmanager
def read_only(path: Path, *, timeout: float = READ_WAIT) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse read-only (or its snapshot while a run holds it); check it is ours."""
    if path.exists() and path.is_dir():
        raise WarehouseError(f"{path} is a folder, not a DuckDB file")
    snapshot = snapshot_path(path)
    target = path
    with ExitStack() as stack:
        conn = None
        if snapshot.is_file():
            try:
                conn = stack.enter_context(
                    connect(path, read_only=True, wait=LockWait(timeout=SNAPSHOT_WAIT))
                )
            except WarehouseLockedError:
                _tell(f"a run is writing to {path}; reading {snapshot} (as of the last run)")
                target = snapshot
        if conn is None:
            wait = LockWait(timeout=timeout, notify=_tell)
            conn = stack.enter_context(connect(target, read_only=True, wait=wait))
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
