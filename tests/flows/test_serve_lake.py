"""`news-ingest serve` with a lake: runs store into the lake, and its upkeep is served too.

Real Prefect server, real PostgreSQL and DuckLake, serve in its own process.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flows.upkeep import upkeep_deployment_name
from tests.flows.lakehelpers import assert_consistent, page
from tests.flows.test_serve import Api, completed, interrupt, start_serve, wait_until
from tests.prefectserver import PrefectServer
from warehouse.lake.target import LakeTarget

PAGES = 4


def lake_sources(folder: Path) -> Path:
    """Pages every 10 s into the lake the command line names; its upkeep every 10 s too."""
    docs = folder / "docs"
    docs.mkdir()
    for index in range(PAGES):
        (docs / f"{index}.html").write_text(page(index), encoding="utf-8")
    path = folder / "sources.toml"
    path.write_text(
        "[pipeline]\nworkers = 1\n"
        '[warehouse]\nmaintenance_interval = "10s"\nkeep_days = 0.0001\n'  # ~9 s of snapshots
        '[[sources]]\nname = "docs"\nkind = "files"\npath = "docs"\ninterval = "10s"\n',
        encoding="utf-8",
    )
    return path


def snapshot_counts(artifact: str) -> tuple[int, int]:
    """Snapshots before and after, from the upkeep's markdown table."""
    row = re.search(r"^\| (\d+) \| (\d+) \| \d+ \|", artifact, re.M)
    assert row, artifact
    return int(row[1]), int(row[2])


@pytest.mark.slow
def test_serve_stores_into_the_lake_and_serves_its_upkeep(
    tmp_path: Path, lake: LakeTarget, prefect_server: PrefectServer
) -> None:
    sources = lake_sources(tmp_path)
    api = Api(prefect_server.api_url)
    log = tmp_path / "serve.log"
    lake_option = ["--warehouse", f"ducklake:postgres:{lake.dsn}"]
    lake_option += ["--data-path", str(lake.data_path)]
    serve = start_serve(sources, tmp_path / "unused.duckdb", prefect_server.env, log, *lake_option)
    try:
        deployments = wait_until(
            lambda: len(api.deployments(sources)) == 2 and api.deployments(sources), serve, log, 120
        )
        by_name = {d["name"]: d for d in deployments}
        upkeep = by_name[upkeep_deployment_name(lake)]
        ingest = by_name["every 10s"]
        # Two upkeep runs: the second sees the ingest runs' snapshots, older ones expire.
        upkeep_runs = wait_until(
            lambda: len(completed(api.runs(upkeep["id"]))) >= 2 and api.runs(upkeep["id"]),
            serve,
            log,
            240,
        )
        ingest_runs = completed(api.runs(ingest["id"]))
    finally:
        interrupt(serve)

    assert ingest_runs, log.read_text()[-3000:]
    assert ingest["parameters"]["warehouse"] == f"ducklake:postgres:{lake.dsn}"
    assert upkeep["parameters"] == {
        "warehouse": f"ducklake:postgres:{lake.dsn}",
        "data_path": str(lake.data_path.resolve()),
        "keep_days": 0.0001,
    }
    assert upkeep["paused"] is False
    # The served runs stored every page into the lake once, nothing pending.
    assert_consistent(lake, PAGES)
    # Each upkeep run published what it did; snapshots older than keep_days were expired.
    counts = [
        snapshot_counts(api.artifacts(run["id"])[0]["data"]) for run in completed(upkeep_runs)
    ]
    assert any(after < before for before, after in counts), counts
    assert "the lake at" in log.read_text()
