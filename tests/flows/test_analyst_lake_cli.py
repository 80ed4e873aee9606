"""`search`, `stats`, `export` and `report --warehouse TARGET` read a lake as they read the file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.flows.test_ingest_lake_cli import free_port
from tests.helpers import files_sources, run
from warehouse.lake.target import LakeTarget

COMMANDS = ("search", "stats", "export", "report")


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.app.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=env or dict(os.environ),
    )


def arguments(command: str, folder: Path) -> list[str]:
    return {
        "search": ["search", "council harbour", "--format", "json", "--limit", "20"],
        "stats": ["stats", "--format", "json"],
        "export": ["export", "--to", str(folder / "export")],
        "report": ["report", "--out", str(folder / "report.html")],
    }[command]


@pytest.mark.usefixtures("prefect_harness")
def test_the_analyst_commands_read_a_lake_like_the_file(
    tmp_path: Path, db_path: Path, lake: LakeTarget
) -> None:
    sources = files_sources(tmp_path, 8, pipeline="batch_size = 3\n")
    run(sources, db_path)
    warehouse = f"ducklake:postgres:{lake.dsn}"
    report = run(sources, tmp_path / "unused.duckdb", warehouse=warehouse,
                 data_path=str(lake.data_path))  # fmt: skip
    assert report.status == "completed"
    (tmp_path / "file").mkdir()
    (tmp_path / "lake").mkdir(exist_ok=True)
    done = {}
    for command in COMMANDS:
        on_file = cli(*arguments(command, tmp_path / "file"), "--db", str(db_path))
        on_lake = cli(*arguments(command, tmp_path / "lake"), "--warehouse", warehouse)
        assert on_file.returncode == 0, on_file.stderr
        assert on_lake.returncode == 0, on_lake.stderr
        done[command] = (on_file.stdout, on_lake.stdout)

    # The same hits in the same order, field by field (two runs: first seen at two times).
    file_hits, lake_hits = (
        [{k: v for k, v in hit.items() if k != "first_seen_at"} for hit in json.loads(out)]
        for out in done["search"]
    )
    assert file_hits and lake_hits == file_hits
    file_stats, lake_stats = (json.loads(out) for out in done["stats"])
    assert lake_stats["database"] == f"lake {lake.address()}"
    for key in ("articles", "versions", "stories", "indexed", "rejects", "runs"):
        assert lake_stats[key] == file_stats[key], key
    manifests = [
        json.loads((tmp_path / side / "export" / "manifest.json").read_text())
        for side in ("file", "lake")
    ]
    assert manifests[1]["source_database"] == f"lake {lake.address()}"
    assert {n: t["rows"] for n, t in manifests[1]["tables"].items()} == {
        n: t["rows"] for n, t in manifests[0]["tables"].items()
    }
    assert manifests[1]["tables"]["articles"]["rows"] == 8
    page = (tmp_path / "lake" / "report.html").read_text(encoding="utf-8")
    assert f"lake {lake.address()}" in page
    assert lake.dsn not in page + "".join(out for pair in done.values() for out in pair)


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unreachable_lake_is_one_line_naming_its_address(command: str, tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    env = dict(os.environ) | {"PGPASSWORD": "hunter2"}
    done = cli(
        *arguments(command, tmp_path),
        "--warehouse",
        f"ducklake:postgres:dbname=news host=127.0.0.1 port={port}",
        env=env,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("news-ingest: cannot reach the lake's PostgreSQL at ")
    assert f"127.0.0.1:{port}/news" in lines[0]
    assert "hunter2" not in done.stderr + done.stdout
    assert not list(tmp_path.iterdir())


def test_a_bad_target_from_the_environment_is_a_usage_error(tmp_path: Path) -> None:
    env = dict(os.environ) | {"NEWS_INGEST_WAREHOUSE": "postgres://somewhere"}
    done = cli("stats", env=env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "unsupported warehouse 'postgres://somewhere'" in done.stderr
