"""``news-ingest migrate`` SIGKILLed midway: never a partial lake, never a half file.

Each kill lands at a known step: the test holds a PostgreSQL lock the copy
needs next, waits until the migrate process waits for it, SIGKILLs the
process, then releases the lock. Into a lake: killed inside the state
transaction, the lake stays empty; killed after it (the copy's batch
committed, not yet in the lake), no article is visible and the next migrate
finishes the copy. Into a file: nothing under the target's name.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.flows.lakehelpers import assert_consistent, lake_rows
from tests.flows.migratehelpers import (
    VIEWS,
    clean_env,
    file_rows,
    lake_view_rows,
    migrate,
    migrate_command,
    store_rows,
    warehouse_for_module,
)
from tests.prefectserver import stop_process
from warehouse.lake.connection import connect_lake
from warehouse.lake.target import LakeTarget


@pytest.fixture(scope="module")
def warehouse_file(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Path:
    """One small warehouse for the module (each test copies it)."""
    return warehouse_for_module(tmp_path_factory)


@pytest.fixture
def db(warehouse_file: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "news.duckdb"
    shutil.copyfile(warehouse_file, copy)
    return copy


def target_text(lake: LakeTarget) -> str:
    return f"ducklake:postgres:{lake.dsn}"


def start_migrate(*options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        migrate_command(*options),
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.fixture
def blocker(lake: LakeTarget) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A session of the test that takes the lock a step needs, in an open transaction."""
    with psycopg.connect(lake.dsn) as pg:
        yield pg
        pg.rollback()


def kill_when_waiting(
    process: subprocess.Popen[bytes],
    lake: LakeTarget,
    blocker: psycopg.Connection[tuple[object, ...]],
) -> None:
    """SIGKILL ``process`` once one of its sessions waits for the blocker's lock; release it."""
    deadline = time.monotonic() + 120
    with psycopg.connect(lake.dsn, autocommit=True) as watcher:
        while not _someone_waits(watcher):
            assert process.poll() is None, process.communicate()[0].decode()[-3000:]
            assert time.monotonic() < deadline, "the migrate never reached the lock"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        stop_process(process)
        blocker.rollback()  # the killed process's sessions end as PostgreSQL notices
        while _sessions_of_others(watcher):
            assert time.monotonic() < deadline, "the killed migrate's sessions never ended"
            time.sleep(0.05)


def _someone_waits(watcher: psycopg.Connection[tuple[object, ...]]) -> bool:
    row = watcher.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    ).fetchone()
    return bool(row and row[0])


def _sessions_of_others(watcher: psycopg.Connection[tuple[object, ...]]) -> bool:
    """Whether sessions on the lake's database still work for the killed process."""
    row = watcher.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
        "AND state <> 'idle'"
    ).fetchone()
    return bool(row and row[0])


def assert_same_as_file(lake: LakeTarget, db: Path) -> None:
    for view in VIEWS:
        assert lake_view_rows(lake, view) == file_rows(db, view), view
    assert_consistent(lake, len(file_rows(db, "articles")))


def test_killed_inside_the_state_transaction_the_lake_stays_empty(
    db: Path, lake: LakeTarget, blocker: psycopg.Connection[tuple[object, ...]]
) -> None:
    with connect_lake(lake):
        pass  # an empty lake
    blocker.execute("LOCK TABLE store.fetch_log IN EXCLUSIVE MODE")  # the last table copied
    process = start_migrate("--db", str(db), "--to-lake", target_text(lake))
    kill_when_waiting(process, lake, blocker)

    with psycopg.connect(lake.dsn) as pg:
        counts = pg.execute(
            "SELECT (SELECT count(*) FROM store.runs), (SELECT count(*) FROM store.articles), "
            "(SELECT count(*) FROM store.url_state), (SELECT count(*) FROM store.lake_batches)"
        ).fetchone()
    assert counts == (0, 0, 0, 0)
    assert lake_view_rows(lake, "articles") == []

    again = migrate("--db", str(db), "--to-lake", target_text(lake))
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1].startswith(f"copied {db} into the lake at ")
    assert_same_as_file(lake, db)


def test_killed_after_the_state_commit_no_article_shows_and_a_rerun_finishes_the_copy(
    db: Path, lake: LakeTarget, tmp_path: Path, blocker: psycopg.Connection[tuple[object, ...]]
) -> None:
    with connect_lake(lake):
        pass  # created before the lock below: every lake commit adds a snapshot row
    blocker.execute("LOCK TABLE ducklake.ducklake_snapshot IN EXCLUSIVE MODE")
    process = start_migrate("--db", str(db), "--to-lake", target_text(lake))
    kill_when_waiting(process, lake, blocker)

    with psycopg.connect(lake.dsn) as pg:
        pending = pg.execute(
            "SELECT count(*) FROM store.lake_batches WHERE published_at IS NULL"
        ).fetchall()
        staged = pg.execute("SELECT count(*) FROM store.article_versions WHERE text <> ''")
        assert staged.fetchall() != [(0,)]  # the text waits in PostgreSQL's staging
    assert pending == [(1,)]
    # Readers see the whole copy's articles or none of them, never a part.
    shown = lake_rows(lake, "SELECT count(*) FROM news_lake.main.article_versions")
    assert shown in ([(0,)], [(len(file_rows(db, "article_versions")),)])
    # A copy into a file reads the pending batch's history from PostgreSQL's staging.
    snapshot = tmp_path / "while-pending.duckdb"
    assert migrate("--warehouse", target_text(lake), "--to-db", str(snapshot)).returncode == 0
    assert store_rows(snapshot) == store_rows(db)

    again = migrate("--db", str(db), "--to-lake", target_text(lake))
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        f"finished the copy of {db} into the lake at {lake.address()} that a stopped "
        "migrate had left pending"
    ]
    assert_same_as_file(lake, db)


def test_a_copy_into_a_file_killed_midway_leaves_no_file_and_a_rerun_writes_it(
    db: Path, lake: LakeTarget, tmp_path: Path, blocker: psycopg.Connection[tuple[object, ...]]
) -> None:
    assert migrate("--db", str(db), "--to-lake", target_text(lake)).returncode == 0
    out = tmp_path / "out" / "copy.duckdb"
    blocker.execute("LOCK TABLE store.fetch_log IN ACCESS EXCLUSIVE MODE")  # not even read
    process = start_migrate("--warehouse", target_text(lake), "--to-db", str(out))
    kill_when_waiting(process, lake, blocker)

    assert not out.exists()
    leftovers = [p.name for p in out.parent.iterdir()]
    assert leftovers and all(name.startswith(".copy.duckdb.migrate-") for name in leftovers)

    again = migrate("--warehouse", target_text(lake), "--to-db", str(out))
    assert again.returncode == 0, again.stderr
    assert [p.name for p in out.parent.iterdir()] == ["copy.duckdb"]
    assert store_rows(out) == store_rows(db)
