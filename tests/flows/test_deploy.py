"""`news-ingest deploy` against a real Prefect server: deployments on a work pool, run by a
`prefect worker`; and the prefect.yaml it writes, registered by `prefect deploy --all`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import files_sources, query
from tests.prefectserver import PrefectServer

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
