"""The analysts' snapshot: a read-only copy of the warehouse published after each run.

The snapshot is a copy of the warehouse file published after each run
(``news.duckdb`` -> ``news.snapshot.duckdb``) by an atomic rename. Readers of
the snapshot never hold the live file, so they never make a run wait; a reader
that has the old snapshot open keeps reading it until it reconnects.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import duckdb

from warehouse.errors import SnapshotError

__all__ = [
    "publish_snapshot",
    "reading_path",
    "snapshot_is_behind",
    "snapshot_path",
]

logger = logging.getLogger(__name__)


def snapshot_path(database: Path) -> Path:
    """Where the snapshot of ``database`` is published: ``x.duckdb`` -> ``x.snapshot.duckdb``."""
    return database.with_name(f"{database.stem}.snapshot{database.suffix or '.duckdb'}")


def publish_snapshot(database: Path) -> Path:
    """Copy the closed warehouse file to its snapshot path atomically (under the run lock)."""
    target = snapshot_path(database)
    if database.with_name(database.name + ".wal").exists():
        _checkpoint(database)
    for leftover in target.parent.glob(f".{target.name}.*.tmp"):
        leftover.unlink(missing_ok=True)  # a copy a killed run never finished
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(database, temporary)
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        _fsync_folder(target.parent)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise SnapshotError(f"cannot publish the snapshot {target}: {exc}") from exc
    logger.info("published read-only snapshot %s", target)
    return target


def _checkpoint(database: Path) -> None:
    """Fold a leftover write-ahead log into the file so the copy is complete on its own."""
    try:
        with duckdb.connect(str(database)) as conn:
            conn.execute("CHECKPOINT")
    except duckdb.Error as exc:
        raise SnapshotError(f"cannot checkpoint {database} before the snapshot: {exc}") from exc


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def reading_path(database: Path, *, live: bool = False) -> Path:
    """The file an analyst query reads: the published snapshot if there is one, else the live file.

    The snapshot is never held by a run, so a query on it never waits and never
    makes a run wait; it holds what the last finished run committed.
    """
    snapshot = snapshot_path(database)
    if live or not database.exists() or not snapshot.exists():
        return database
    return snapshot


def snapshot_is_behind(database: Path) -> bool:
    """The live file changed after the snapshot was published (a run is writing, or crashed)."""
    try:
        published = snapshot_path(database).stat().st_mtime
    except FileNotFoundError:
        return False
    # A writer's commits land in the write-ahead log first; the file itself changes later.
    for path in (database, database.with_name(database.name + ".wal")):
        try:
            if path.stat().st_mtime > published:
                return True
        except FileNotFoundError:
            continue
    return False
