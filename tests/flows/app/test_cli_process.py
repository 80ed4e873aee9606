"""The console script as a user runs it, from a folder of their own, against a Prefect server:
per-user defaults whatever the working directory, and Prefect's chatter only with -v."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import files_sources
from tests.prefectserver import PrefectServer

pytestmark = pytest.mark.slow

CHATTER = ("Beginning flow run", "View at http", "Finished in state")


def news_ingest(
    *args: str, env: dict[str, str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.app.cli", *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.fixture
def user_env(prefect_server: PrefectServer, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in prefect_server.env.items() if k != "PREFECT_LOGGING_LEVEL"}
    env.pop("NEWS_INGEST_SOURCES", None)
    env.pop("NEWS_INGEST_DB", None)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    return env


def test_defaults_do_not_depend_on_the_working_directory(
    user_env: dict[str, str], tmp_path: Path
) -> None:
    files_sources(tmp_path, 3, pipeline="workers = 1\n")
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()

    made = news_ingest("init", "--files", str(tmp_path / "docs"), env=user_env, cwd=here)
    assert made.returncode == 0, made.stderr
    ran = news_ingest("run", "--format", "json", env=user_env, cwd=there)
    assert ran.returncode == 0, ran.stderr[-3000:]
    report = json.loads(ran.stdout)
    assert report["database"] == str(tmp_path / "data" / "news-ingest" / "news.duckdb")
    assert report["sources"][0]["counts"]["new"] == 3
    assert not any(line for line in ran.stderr.splitlines() if any(c in line for c in CHATTER))

    counted = news_ingest(
        "sql",
        "-",
        "--format",
        "csv",
        env=user_env,
        cwd=tmp_path,
        stdin="SELECT count(*) AS n FROM articles",
    )
    assert counted.returncode == 0 and counted.stdout.splitlines() == ["n", "3"], counted.stderr


def test_prefect_chatter_only_with_verbose(user_env: dict[str, str], tmp_path: Path) -> None:
    sources = files_sources(tmp_path, 2, pipeline="workers = 1\n")
    db = tmp_path / "news.duckdb"
    quiet = news_ingest(
        "run", "--sources", str(sources), "--db", str(db), env=user_env, cwd=tmp_path
    )
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    for noise in CHATTER:
        assert noise not in quiet.stderr
    assert "2 found: 2 new" in quiet.stdout
    assert all(len(line) <= 80 for line in quiet.stdout.splitlines())

    loud = news_ingest(
        "run", "-v", "--sources", str(sources), "--db", str(db), env=user_env, cwd=tmp_path
    )
    assert loud.returncode == 0, loud.stderr[-3000:]
    for noise in CHATTER:
        assert noise in loud.stderr
    assert "HTTP Request" not in loud.stderr  # each API request only with -vv

    silent = news_ingest(
        "run", "-q", "--sources", str(sources), "--db", str(db), env=user_env, cwd=tmp_path
    )
    assert silent.returncode == 0 and silent.stdout == "" and silent.stderr == "", silent.stderr
    assert os.path.exists(db)
