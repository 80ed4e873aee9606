"""Several `news-ingest run` processes at once, with no PREFECT_API_URL: one shared server.

Each run, started at the same moment on its own database, finds or starts the
shared local Prefect server (exactly one is started) and completes; their flow
runs are all on that server.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from flows.prefect_server import status, stop_server
from tests.helpers import files_sources, query, run_command
from tests.prefectserver import stop_process

pytestmark = pytest.mark.slow

RUNS = 4


def test_four_runs_started_together_all_complete_on_one_server(tmp_path: Path) -> None:
    home = tmp_path / "prefect-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"NEWS_INGEST_PREFECT_HOME": str(home), "PREFECT_HOME": str(tmp_path / "client")}
    folders = [tmp_path / f"run{i}" for i in range(RUNS)]
    for folder in folders:
        folder.mkdir()
    commands = [
        run_command(files_sources(f, 3 + i), f / "news.duckdb") for i, f in enumerate(folders)
    ]
    try:
        processes = [
            subprocess.Popen(
                command,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for command in commands
        ]
        outputs: list[str] = []
        for process in processes:
            try:
                raw, _ = process.communicate(timeout=300)
            finally:
                stop_process(process)
            outputs.append(raw.decode(errors="replace"))

        for process, text in zip(processes, outputs, strict=True):
            assert process.returncode == 0, text[-3000:]
        for i, folder in enumerate(folders):
            assert query(folder / "news.duckdb", "SELECT count(*) FROM articles") == [(3 + i,)]
            assert query(folder / "news.duckdb", "SELECT status FROM runs") == [("completed",)]
        assert sum("started the shared Prefect server" in o for o in outputs) == 1
        server = status(home)
        assert server is not None
        flow_runs = httpx.post(f"{server.api_url}/flow_runs/filter", json={}, timeout=10).json()
        assert sorted(r["state_type"] for r in flow_runs) == ["COMPLETED"] * RUNS
    finally:
        stop_server(home)
