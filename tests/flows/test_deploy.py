"""`news-ingest deploy` against a real Prefect server: deployments on a work pool, run by a
`prefect worker`; and the prefect.yaml it writes, registered by `prefect deploy --all`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from flows.upkeep import upkeep_deployment_name
from tests.flows.lakehelpers import assert_consistent
from tests.helpers import files_sources, query
from tests.prefectserver import PrefectServer
from warehouse.lake.target import LakeTarget

pytestmark = pytest.mark.slow

PREFECT = str(Path(sys.executable).with_name("prefect"))


def command(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 240) -> str:
    done = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-3000:])
    return done.stdout


def news_ingest(*args: str, env: dict[str, str], cwd: Path) -> str:
    return command([sys.executable, "-m", "flows.app.cli", *args], env, cwd)


def deployments(server: PrefectServer) -> dict[str, dict[str, Any]]:
    response = httpx.post(f"{server.api_url}/deployments/filter", json={}, timeout=30)
    response.raise_for_status()
    return {d["name"]: d for d in response.json()}


def scheduled_sources(tmp_path: Path) -> Path:
    sources = files_sources(tmp_path, 3, pipeline="workers = 1\n")
    text = sources.read_text(encoding="utf-8")
    sources.write_text(text + 'interval = "1h"\n', encoding="utf-8")
    return sources


def test_deploy_registers_on_a_pool_and_a_worker_runs_it(
    tmp_path: Path, prefect_server: PrefectServer
) -> None:
    sources, db = scheduled_sources(tmp_path), tmp_path / "news.duckdb"
    pool = f"pool-{tmp_path.name[-8:]}"
    env = prefect_server.env

    out = news_ingest(
        "deploy", "--pool", pool, "--create-pool", "--sources", str(sources), "--db", str(db),
        env=env, cwd=tmp_path,
    )  # fmt: skip

    name = f"every 1h @{pool}"
    assert f"news-ingest/{name}: folder" in out and f"--pool {pool}" in out
    deployment = deployments(prefect_server)[name]
    assert deployment["work_pool_name"] == pool
    assert deployment["entrypoint"] == "flows.ingest.ingest"
    assert deployment["parameters"] == {
        "sources_path": str(sources.resolve()),
        "db_path": str(db.resolve()),
        "source_names": ["folder"],
        "only_due": True,
    }
    assert [s["schedule"]["interval"] for s in deployment["schedules"]] == [3600.0]

    command([PREFECT, "deployment", "run", f"news-ingest/{name}"], env, tmp_path)
    command([PREFECT, "worker", "start", "--pool", pool, "--run-once"], env, tmp_path, 300)

    runs = httpx.post(
        f"{prefect_server.api_url}/flow_runs/filter",
        json={"deployments": {"id": {"any_": [deployment["id"]]}}},
        timeout=30,
    ).json()
    assert any(r["state_type"] == "COMPLETED" for r in runs), [r["state_type"] for r in runs]
    assert query(db, "SELECT count(*) FROM articles") == [(3,)]

    # The pool is missing: the command says how to create it.
    done = subprocess.run(
        [sys.executable, "-m", "flows.app.cli", "deploy", "--pool", "nosuch-pool",
         "--sources", str(sources), "--db", str(db)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "prefect work-pool create nosuch-pool" in done.stderr


def test_the_prefect_yaml_registers_with_prefect_deploy(
    tmp_path: Path, prefect_server: PrefectServer
) -> None:
    sources, db = scheduled_sources(tmp_path), tmp_path / "news.duckdb"
    pool = f"yaml-{tmp_path.name[-8:]}"
    env = prefect_server.env
    command([PREFECT, "work-pool", "create", pool, "--type", "process"], env, tmp_path)

    news_ingest(
        "deploy", "--pool", pool, "--prefect-yaml", "prefect.yaml", "--sources", str(sources),
        "--db", str(db), env=env, cwd=tmp_path,
    )  # fmt: skip
    command([PREFECT, "--no-prompt", "deploy", "--all"], env, tmp_path)

    deployment = deployments(prefect_server)[f"every 1h @{pool}"]
    assert deployment["work_pool_name"] == pool
    assert deployment["parameters"]["source_names"] == ["folder"]
    assert deployment["pull_steps"] in ([], None)
    assert [s["schedule"]["interval"] for s in deployment["schedules"]] == [3600.0]


def test_deploy_with_a_lake_stores_into_it_and_registers_its_upkeep(
    tmp_path: Path, prefect_server: PrefectServer, lake: LakeTarget
) -> None:
    sources = scheduled_sources(tmp_path)
    pool = f"lake-{tmp_path.name[-8:]}"
    env = prefect_server.env
    warehouse = f"ducklake:postgres:{lake.dsn}"
    lake_options = ["--warehouse", warehouse, "--data-path", str(lake.data_path)]

    out = news_ingest(
        "deploy", "--pool", pool, "--create-pool", "--sources", str(sources),
        "--db", str(tmp_path / "unused.duckdb"), *lake_options, env=env, cwd=tmp_path,
    )  # fmt: skip

    upkeep_name = f"{upkeep_deployment_name(lake)} @{pool}"
    assert f"news-ingest-lake-maintain/{upkeep_name}: the lake upkeep" in out
    registered = deployments(prefect_server)
    ingest, upkeep = registered[f"every 1h @{pool}"], registered[upkeep_name]
    assert ingest["parameters"]["warehouse"] == warehouse
    assert ingest["parameters"]["data_path"] == str(lake.data_path)
    assert upkeep["entrypoint"] == "flows.upkeep.lake_maintain"
    assert upkeep["work_pool_name"] == pool
    assert upkeep["parameters"] == {
        "warehouse": warehouse,
        "data_path": str(lake.data_path.resolve()),
        "keep_days": 7.0,
    }
    assert [s["schedule"]["cron"] for s in upkeep["schedules"]] == ["0 3 * * *"]

    # A worker runs the ingest deployment into the lake, then the upkeep.
    for flow, name in (
        ("news-ingest", f"every 1h @{pool}"),
        ("news-ingest-lake-maintain", upkeep_name),
    ):
        command([PREFECT, "deployment", "run", f"{flow}/{name}"], env, tmp_path)
        command([PREFECT, "worker", "start", "--pool", pool, "--run-once"], env, tmp_path, 300)
    runs = httpx.post(
        f"{prefect_server.api_url}/flow_runs/filter",
        json={"deployments": {"id": {"any_": [ingest["id"], upkeep["id"]]}}},
        timeout=30,
    ).json()
    done = {r["deployment_id"] for r in runs if r["state_type"] == "COMPLETED"}
    assert done == {ingest["id"], upkeep["id"]}, [(r["name"], r["state_type"]) for r in runs]
    assert_consistent(lake, 3)

    # The prefect.yaml holds the same two deployments.
    news_ingest(
        "deploy", "--pool", pool, "--prefect-yaml", "prefect.yaml", "--sources", str(sources),
        "--db", str(tmp_path / "unused.duckdb"), *lake_options, env=env, cwd=tmp_path,
    )  # fmt: skip
    text = (tmp_path / "prefect.yaml").read_text(encoding="utf-8")
    assert "entrypoint: flows.upkeep.lake_maintain" in text
    assert text.count(f'"warehouse": "{warehouse}"') == 2
    assert 'cron: "0 3 * * *"' in text
