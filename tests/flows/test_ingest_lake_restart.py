"""PostgreSQL restarted while a lake run writes: the run ends (it does not hang), nothing is
half-written, and the next run finishes the job."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.flows.lakehelpers import assert_consistent, finish, sources_over, start_lake_run
from tests.pgserver import PostgresServer, postgres_server
from tests.prefectserver import PrefectServer, stop_process
from warehouse.lake.connection import connect_lake
from warehouse.lake.target import LakeTarget

pytestmark = pytest.mark.slow


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A server of this test's own: it is restarted under the run."""
    with postgres_server() as server:
        yield server


def committed_batches(target: LakeTarget) -> int:
    with psycopg.connect(target.dsn) as pg:
        row = pg.execute("SELECT count(*) FROM store.lake_batches").fetchone()
    return int(row[0]) if row else 0


def test_a_postgres_restart_mid_run_fails_cleanly_and_the_rerun_completes(
    tmp_path: Path, own_postgres: PostgresServer, prefect_server: PrefectServer
) -> None:
    lake = LakeTarget(own_postgres.dsn(own_postgres.new_database()), tmp_path / "lake")
    sources = sources_over(tmp_path, "site", range(60), batch=3)
    with connect_lake(lake):
        pass
    process = start_lake_run(sources, lake, prefect_server.env)
    try:
        deadline = time.monotonic() + 90
        while committed_batches(lake) < 4 and time.monotonic() < deadline:
            assert process.poll() is None, "the run ended before the restart"
            time.sleep(0.01)
        own_postgres.restart()
        raw, _ = process.communicate(timeout=120)  # it ends, and does not hang
    finally:
        stop_process(process)
    said = raw.decode(errors="replace")
    assert process.returncode != 0, said[-3000:]
    last = said.strip().splitlines()[-1]  # the command's own one-line error
    assert last.startswith("news-ingest: ") and "PostgreSQL" in last, said[-3000:]

    output = finish(start_lake_run(sources, lake, prefect_server.env))

    assert "completed" in output
    assert_consistent(lake, 60)
