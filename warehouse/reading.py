"""Read-only access for the analyst commands (sql, search, export, report, stats).

One place opens the warehouse for reading, so every analyst command fails the
same clear way on a missing file, a file that is not a DuckDB database, or a
DuckDB file that news-ingest never migrated, and waits the same bounded time
for a run that holds the file.

Error tree::

    WarehouseError (warehouse.db)
    └── NotAWarehouseError   the file is a DuckDB database without the news-ingest tables
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse.db import LockWait, WarehouseError, connect

__all__ = ["READ_WAIT", "NotAWarehouseError", "read_only"]

# An analyst's command waits a little for a run's batch to commit, not an hour.
READ_WAIT = 120.0


class NotAWarehouseError(WarehouseError):
    """The DuckDB file has no news-ingest tables (never migrated by a run)."""


@contextmanager
def read_only(path: Path, *, timeout: float = READ_WAIT) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse read-only; fail clearly when it is missing or not one of ours."""
    if path.exists() and path.is_dir():
        raise WarehouseError(f"{path} is a folder, not a DuckDB file")
    wait = LockWait(timeout=timeout, notify=_tell)
    with connect(path, read_only=True, wait=wait) as conn:
        _check_migrated(conn, path)
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
