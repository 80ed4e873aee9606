"""`news-ingest run` output: bars per stage on a terminal, plain log lines otherwise."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import files_sources, run_command
from tests.prefectserver import PrefectServer, stop_process

pytestmark = pytest.mark.slow

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PIPELINE = "batch_size = 10\nworkers = 1\n"


def test_plain_lines_when_not_a_terminal(
    tmp_path: Path, db_path: Path, prefect_server: PrefectServer
) -> None:
    result = subprocess.run(
        run_command(files_sources(tmp_path, 30, pipeline=PIPELINE), db_path),
        env=prefect_server.env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert not ANSI.search(result.stderr) and "━" not in result.stderr
    progress = [line for line in result.stderr.splitlines() if "flows.pipeline.progress" in line]
    assert progress and progress[-1].endswith("folder: found 30, fetched 30, cleaned 30, stored 30")
    assert "| folder | completed |" not in result.stdout  # the table, not markdown
    assert re.search(r"^folder\s+completed\s+30 found: 30 new; 30 fetched$", result.stdout, re.M)


def test_bars_on_a_terminal(tmp_path: Path, db_path: Path, prefect_server: PrefectServer) -> None:
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        run_command(files_sources(tmp_path, 30, pipeline=PIPELINE), db_path),
        env={**prefect_server.env, "COLUMNS": "120", "LINES": "40", "TERM": "xterm"},
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
    )
    os.close(terminal)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the run ended
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=30)
    finally:
        stop_process(process)
        os.close(controller)
    screen = b"".join(chunks).decode(errors="replace")
    plain = ANSI.sub("", screen)

    assert process.returncode == 0, plain[-3000:]
    for stage in ("found", "fetched", "cleaned", "stored"):  # a full bar per stage
        assert re.search(rf"{stage} +━+ +30/30 ", plain), stage
    assert "flows.pipeline.progress" not in plain  # no plain progress lines on a terminal
    assert "completed" in plain  # the summary table
