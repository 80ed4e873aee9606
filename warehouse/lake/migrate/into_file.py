"""Copy a lake into a new DuckDB warehouse file (one file to hand around).

The lake is read through a read-only connection, in one transaction, so the
copy is one consistent moment of it while runs go on writing: PostgreSQL's
state as of the transaction's first read, each history row taken from the
lake when PostgreSQL had its batch published by then, else from PostgreSQL's
staging (a batch committed but not yet in the lake). The file is written
under a temporary name beside the target and renamed at the very end, so a
killed copy never leaves a half file under the target's name.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import duckdb

from warehouse import search
from warehouse.connection import connect
from warehouse.errors import CopyTargetNotEmptyError, WarehouseCopyError
from warehouse.lake.connection import connect_lake
from warehouse.lake.migrate.tables import (
    COPIED,
    CopiedTable,
    Progress,
    columns_of,
    is_history,
    quoted_columns,
)
from warehouse.lake.schema import LAKE
from warehouse.lake.target import LakeTarget
from warehouse.snapshots import snapshot_path

__all__ = ["copy_lake_into_file", "temporary_path"]

_COPY = "migrate_copy"  # the new file's catalog name in the lake connection
_PUBLISHED = "SELECT batch_id FROM store.lake_batches WHERE published_at IS NOT NULL"
_PENDING = "SELECT batch_id FROM store.lake_batches WHERE published_at IS NULL"


def copy_lake_into_file(
    target: LakeTarget, path: Path, *, progress: Progress | None = None
) -> tuple[CopiedTable, ...]:
    """Copy every stored table of the lake ``target`` into the new DuckDB file ``path``."""
    _refuse_existing(path)
    temporary = temporary_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(path)
        with connect(temporary):  # creates the tables, indexes and views
            pass
        with connect_lake(target, read_only=True) as conn:
            tables = _copy_into(conn, temporary, progress)
        with connect(temporary) as conn:
            search.rebuild_index(conn)
            conn.execute("CHECKPOINT")  # everything in the file itself: no WAL to carry along
        _move_into_place(temporary, path)
    except OSError as exc:
        raise WarehouseCopyError(f"cannot write {path}: {exc}") from exc
    finally:
        _remove(temporary)
    return tables


def temporary_path(path: Path) -> Path:
    """Where the file is written before it takes its name: beside it, per process."""
    return path.with_name(f".{path.name}.migrate-{os.getpid()}")


def _refuse_existing(path: Path) -> None:
    for existing in (path, snapshot_path(path)):
        if existing.exists():
            raise CopyTargetNotEmptyError(
                f"{existing} exists; migrate writes a new DuckDB file only: "
                "choose another name, or move that file away"
            )


def _move_into_place(temporary: Path, path: Path) -> None:
    """Give the finished file its name, never replacing a file that appeared meanwhile."""
    _refuse_existing(path)
    try:
        os.link(temporary, path)  # fails if the name is taken
    except FileExistsError:
        _refuse_existing(path)
        raise
    except OSError:  # a file system without hard links
        os.rename(temporary, path)


def _remove_leftovers(path: Path) -> None:
    """Temporary files of copies whose process is gone (killed)."""
    for leftover in path.parent.glob(f".{path.name}.migrate-*"):
        pid = leftover.name.rsplit("-", 1)[-1].removesuffix(".wal")
        if pid.isdigit() and not _alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(temporary: Path) -> None:
    for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def _copy_into(
    conn: duckdb.DuckDBPyConnection, temporary: Path, progress: Progress | None
) -> tuple[CopiedTable, ...]:
    literal = temporary.absolute().as_posix().replace("'", "''")
    conn.execute(f"ATTACH '{literal}' AS {_COPY}")
    try:
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute(_PENDING).fetchall()  # PostgreSQL's snapshot starts here, the lake's after
            copied = []
            for table in COPIED:
                done = _copy_table(conn, table)
                copied.append(done)
                if progress is not None:
                    progress(done)
            _check_versions_complete(conn, copied)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    except duckdb.Error as exc:
        raise WarehouseCopyError(f"copying the lake failed: {exc}") from exc
    finally:
        conn.execute(f"DETACH {_COPY}")
    return tuple(copied)


def _copy_table(conn: duckdb.DuckDBPyConnection, table: str) -> CopiedTable:
    names = quoted_columns(columns_of(conn, _COPY, table))
    if is_history(table):
        rows = (
            f"SELECT {names} FROM {LAKE}.history.{table} WHERE batch_id IN ({_PUBLISHED}) "
            f"UNION ALL SELECT {names} FROM store.{table} WHERE batch_id IN ({_PENDING})"
        )
    else:
        rows = f"SELECT {names} FROM store.{table}"
    row = conn.execute(f"INSERT INTO {_COPY}.store.{table} ({names}) {rows}").fetchone()
    return CopiedTable(table, int(row[0]) if row else 0, "file")


def _check_versions_complete(conn: duckdb.DuckDBPyConnection, copied: list[CopiedTable]) -> None:
    """PostgreSQL keys every version: the copy must hold exactly as many."""
    row = conn.execute("SELECT count(*) FROM store.article_versions").fetchone()
    keyed = int(row[0]) if row else 0
    found = next(t.rows for t in copied if t.name == "article_versions")
    if found != keyed:
        raise WarehouseCopyError(
            f"the lake's history holds {found} of the {keyed} article versions PostgreSQL "
            "knows; run `news-ingest run` or migrate again once its writers have published"
        )
