"""The analysts' snapshot: published atomically after a run, read instead of the live file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb

from warehouse.connection import connect
from warehouse.snapshots import publish_snapshot, reading_path, snapshot_is_behind, snapshot_path


def write(db: Path, value: int) -> None:
    with connect(db) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS main.t (v INTEGER)")
        conn.execute("INSERT INTO main.t VALUES (?)", [value])


def values(db: Path) -> list[int]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return [row[0] for row in conn.execute("SELECT v FROM main.t ORDER BY v").fetchall()]


def test_snapshot_path_sits_beside_the_database(tmp_path: Path) -> None:
    assert snapshot_path(tmp_path / "news.duckdb") == tmp_path / "news.snapshot.duckdb"
    assert snapshot_path(tmp_path / "warehouse") == tmp_path / "warehouse.snapshot.duckdb"


def test_a_reader_of_the_old_snapshot_keeps_it_while_a_new_one_is_published(
    tmp_path: Path, db_path: Path
) -> None:
    write(db_path, 1)
    target = publish_snapshot(db_path)
    reader = duckdb.connect(str(target), read_only=True)
    try:
        write(db_path, 2)
        publish_snapshot(db_path)

        # The open connection keeps the file it opened (the rename left it intact).
        assert [r[0] for r in reader.execute("SELECT v FROM main.t").fetchall()] == [1]
    finally:
        reader.close()
    assert values(target) == [1, 2]  # reconnecting reads the new snapshot
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_copy_left_by_a_killed_run_is_removed(tmp_path: Path, db_path: Path) -> None:
    write(db_path, 1)
    leftover = tmp_path / ".news.snapshot.duckdb.999999.tmp"
    leftover.write_bytes(b"half a copy")

    publish_snapshot(db_path)

    assert not leftover.exists()
    assert values(snapshot_path(db_path)) == [1]


def test_a_leftover_write_ahead_log_is_folded_in_before_copying(db_path: Path) -> None:
    conn = duckdb.connect(str(db_path))
    conn.execute("CREATE TABLE main.t (v INTEGER)")
    conn.execute("INSERT INTO main.t VALUES (7)")
    # Simulate a writer killed before its checkpoint: keep the WAL, copy the files away.
    wal = db_path.with_name(db_path.name + ".wal")
    assert wal.exists()
    crashed = db_path.with_name("crashed.duckdb")
    crashed.write_bytes(db_path.read_bytes())
    crashed.with_name("crashed.duckdb.wal").write_bytes(wal.read_bytes())
    conn.close()

    target = publish_snapshot(crashed)

    assert values(target) == [7]
    assert not crashed.with_name("crashed.duckdb.wal").exists()


def test_queries_read_the_snapshot_when_there_is_one(db_path: Path) -> None:
    assert reading_path(db_path) == db_path  # nothing yet
    write(db_path, 1)
    assert reading_path(db_path) == db_path  # no snapshot yet
    publish_snapshot(db_path)
    assert reading_path(db_path) == snapshot_path(db_path)
    assert reading_path(db_path, live=True) == db_path
    assert not snapshot_is_behind(db_path)

    later = time.time() + 5
    os.utime(db_path, (later, later))  # the live file changed after publishing

    assert snapshot_is_behind(db_path)
