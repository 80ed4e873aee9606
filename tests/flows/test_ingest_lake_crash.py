"""A lake run SIGKILLed at random moments, ten times, each time run again.

Kills land at a random delay after start, or just after the n-th batch's state
committed in PostgreSQL (while its history is being copied into the lake). Each
next run finishes the batches the killed one left pending and goes on; after a
last, undisturbed run every page is stored exactly once, with nothing pending,
staged or orphaned (tests/flows/lakehelpers.assert_consistent).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from tests.flows.lakehelpers import (
    assert_consistent,
    finish,
    lake_rows,
    page,
    sources_over,
    start_lake_run,
)
from tests.prefectserver import PrefectServer, stop_process
from warehouse.lake.connection import connect_lake
from warehouse.lake.target import LakeTarget

pytestmark = pytest.mark.slow

KILLS = 10
PAGES_PER_ROUND = 12


def batches(target: LakeTarget) -> int:
    with psycopg.connect(target.dsn) as pg:
        row = pg.execute("SELECT count(*) FROM store.lake_batches").fetchone()
    return int(row[0]) if row else 0


def pending(target: LakeTarget) -> int:
    with psycopg.connect(target.dsn) as pg:
        row = pg.execute(
            "SELECT count(*) FROM store.lake_batches WHERE published_at IS NULL"
        ).fetchone()
    return int(row[0]) if row else 0


def last_run_completed(target: LakeTarget) -> bool:
    """Whether the latest run finished before its kill (it ended, or was past its last write)."""
    with psycopg.connect(target.dsn) as pg:
        row = pg.execute(
            "SELECT status FROM store.runs ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
    return bool(row and row[0] == "completed")


def kill_at_random(
    process: subprocess.Popen[bytes], target: LakeTarget, rng: random.Random
) -> str | None:
    """SIGKILL the run's flow process at a random moment; say which (None: it had ended)."""
    if rng.random() < 0.5:
        delay = rng.uniform(0.5, 4.0)
        time.sleep(delay)
        moment = f"{delay:.2f} s after start"
    else:
        start, wanted = batches(target), rng.randint(1, 3)
        deadline = time.monotonic() + 60
        while batches(target) < start + wanted and process.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.005)
        pause = rng.uniform(0, 0.05)
        time.sleep(pause)
        moment = f"{pause * 1000:.0f} ms after state commit {wanted}"
    alive = process.poll() is None
    if alive:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    stop_process(process)
    return moment if alive else None


def test_ten_sigkills_each_followed_by_a_rerun_lose_and_duplicate_nothing(
    tmp_path: Path, lake: LakeTarget, prefect_server: PrefectServer
) -> None:
    rng = random.Random(17)
    sources = sources_over(tmp_path, "site", range(PAGES_PER_ROUND), batch=3)
    folder = tmp_path / "site"
    with connect_lake(lake):
        pass  # created up front: the kills below count its batches
    moments: list[str] = []
    left_pending = 0
    rounds = 0
    finished_first = 0  # runs that completed before their kill landed: no kill, another round
    while len(moments) < KILLS and rounds < 3 * KILLS:
        rounds += 1
        process = start_lake_run(sources, lake, prefect_server.env)
        moment = kill_at_random(process, lake, rng)
        if moment is None or last_run_completed(lake):
            finished_first += 1
        else:
            moments.append(moment)
            left_pending += pending(lake) > 0
        # New pages for the next run, so every run has work to be killed in.
        for index in range(rounds * PAGES_PER_ROUND, (rounds + 1) * PAGES_PER_ROUND):
            (folder / f"{index:04d}.html").write_text(page(index), encoding="utf-8")
    assert len(moments) == KILLS, moments

    output = finish(start_lake_run(sources, lake, prefect_server.env))

    assert "completed" in output, moments
    total = (rounds + 1) * PAGES_PER_ROUND
    assert_consistent(lake, total)
    assert lake_rows(lake, "SELECT max(version_count) FROM news_lake.main.articles") == [(1,)]
    statuses = lake_rows(lake, "SELECT status, count(*) FROM news_lake.main.runs GROUP BY ALL")
    counts = dict(statuses)  # a run killed before it recorded itself has no row
    assert counts.get("completed") == 1 + finished_first, (statuses, moments)
    assert set(counts) <= {"completed", "crashed"} and counts.get("crashed", 0) <= KILLS
    # Some kills fell between a batch's state commit and its publication in the lake.
    assert left_pending >= 1, moments
