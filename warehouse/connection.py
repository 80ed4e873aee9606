"""Opening the DuckDB warehouse: lock waits, the offline fts extension, migrations.

DuckDB lets one process hold a database file at a time (even a read-only
reader blocks a writer), so the pipeline opens the file per batch and waits,
with a visible message, while someone else holds it.

Error tree::

    WarehouseError
    ├── WarehouseLockedError     another process held the file for longer than we would wait
    └── MigrationError      a migration failed; the database is left at the last good one
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TypeAlias

import duckdb

from warehouse.errors import MigrationError, WarehouseError, WarehouseLockedError
from warehouse.sqlfiles import statements

__all__ = [
    "Connection",
    "LockWait",
    "apply_migrations",
    "connect",
    "fts_extension_path",
    "migration_names",
    "open_connection",
    "run_lock",
]

logger = logging.getLogger(__name__)

Connection: TypeAlias = duckdb.DuckDBPyConnection
"""An open warehouse connection (what the flows hold and pass back to the warehouse)."""

_LOCK_MESSAGE = re.compile(r"Could not set lock|Conflicting lock|database is locked", re.I)
_FTS_VERSION = "v1.5.5"


@dataclass(frozen=True, slots=True)
class LockWait:
    """How long to wait for another process to release the database file."""

    timeout: float = 3600.0  # a scheduled run outwaits an analyst's session
    poll: float = 0.5
    notify: Callable[[str], None] | None = None  # called once when the wait starts


def fts_extension_path() -> Path:
    """Path of the signed fts extension binary shipped by the duckdb-extension-fts wheel."""
    root = resources.files("duckdb_extension_fts")
    return Path(str(root / "extensions" / _FTS_VERSION / "fts.duckdb_extension"))


@contextmanager
def connect(
    path: Path, *, read_only: bool = False, wait: LockWait | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (creating and migrating it for a writer); close it on exit."""
    conn = open_connection(path, read_only=read_only, wait=wait)
    try:
        yield conn
    finally:
        conn.close()


def open_connection(
    path: Path, *, read_only: bool = False, wait: LockWait | None = None
) -> duckdb.DuckDBPyConnection:
    """:func:`connect` for a caller that closes the connection itself (a notebook's)."""
    if read_only and not path.exists():
        raise WarehouseError(f"no database at {path}: run `news-ingest run` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = _open_waiting(path, read_only=read_only, wait=wait or LockWait())
    try:
        conn.execute("SET TimeZone = 'UTC'")
        _load_fts(conn)
        if not read_only:
            apply_migrations(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _load_fts(conn: duckdb.DuckDBPyConnection) -> None:
    # LOAD takes no bound parameter; the path comes from our own installed wheel.
    path = fts_extension_path().as_posix().replace("'", "''")
    conn.execute(f"LOAD '{path}'")


def _open_waiting(path: Path, *, read_only: bool, wait: LockWait) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait.timeout
    told = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if not _LOCK_MESSAGE.search(str(exc)):
                raise WarehouseError(f"cannot open {path}: {exc}") from exc
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(
                    f"{path} is locked by another process (an open DuckDB CLI or notebook?) "
                    f"and was not released within {wait.timeout:.0f} s"
                ) from exc
            if not told:
                message = (
                    f"{path} is locked by another process (an open DuckDB CLI or notebook?); "
                    f"waiting up to {wait.timeout:.0f} s for it to be released"
                )
                logger.warning("%s", message)
                if wait.notify is not None:
                    wait.notify(message)
                told = True
            time.sleep(wait.poll)


@contextmanager
def run_lock(path: Path, *, wait: LockWait | None = None) -> Iterator[None]:
    """Hold ``<db>.run.lock`` so at most one ingest run writes to a warehouse at a time.

    An OS file lock: released by the kernel when the process dies, even by
    SIGKILL, so a crashed run never leaves a stale lock behind.
    """
    wait = wait or LockWait()
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".run.lock")
    with lock_path.open("a+") as handle:
        deadline = time.monotonic() + wait.timeout
        told = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() >= deadline:
                    raise WarehouseLockedError(
                        f"another ingest run is writing to {path} (lock {lock_path})"
                    ) from exc
                if not told:
                    message = f"another ingest run is writing to {path}; waiting for it to finish"
                    logger.warning("%s", message)
                    if wait.notify is not None:
                        wait.notify(message)
                    told = True
                time.sleep(wait.poll)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def migration_names() -> list[str]:
    """Names of the bundled migrations, in the order they apply."""
    folder = resources.files("warehouse") / "migrations"
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))


def apply_migrations(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations, each in its own transaction, then refresh the views."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS store")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS store.schema_migrations ("
        " name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
    )
    applied = {
        row[0] for row in conn.execute("SELECT name FROM store.schema_migrations").fetchall()
    }
    pending = [name for name in migration_names() if name not in applied]
    for name in pending:
        _apply_one(conn, name)
    views_sql = (resources.files("warehouse") / "views.sql").read_text(encoding="utf-8")
    views_mark = "views.sql@" + hashlib.sha256(views_sql.encode()).hexdigest()[:16]
    if views_mark not in applied:
        _refresh_views(conn, views_sql, views_mark)
    return pending


def _apply_one(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    sql = (resources.files("warehouse") / "migrations" / name).read_text(encoding="utf-8")
    conn.execute("BEGIN TRANSACTION")
    try:
        for statement in statements(sql):
            conn.execute(statement)
        conn.execute("INSERT INTO store.schema_migrations VALUES (?, ?)", [name, datetime.now(UTC)])
        conn.execute("COMMIT")
    except duckdb.Error as exc:
        conn.execute("ROLLBACK")
        raise MigrationError(f"migration {name} failed: {exc}") from exc
    logger.info("applied migration %s", name)


def _refresh_views(conn: duckdb.DuckDBPyConnection, sql: str, mark: str) -> None:
    """(Re)create the analyst views; the file's hash is recorded so this runs once per change."""
    conn.execute("BEGIN TRANSACTION")
    try:
        for statement in statements(sql):
            conn.execute(statement)
        conn.execute("DELETE FROM store.schema_migrations WHERE name LIKE 'views.sql@%'")
        conn.execute("INSERT INTO store.schema_migrations VALUES (?, ?)", [mark, datetime.now(UTC)])
        conn.execute("COMMIT")
    except duckdb.Error as exc:
        conn.execute("ROLLBACK")
        raise MigrationError(f"views.sql failed: {exc}") from exc
