"""Ctrl-C: `news-ingest run` sent SIGINT mid-run says what it stored, and a rerun continues.

The signal goes to the run's whole process group, as a terminal's Ctrl-C does
(the extraction workers get it too). The run ends with exit code 130 and one
line instead of tracebacks; the run row says ``interrupted``; the batches it
committed stay, and the next run stores the rest, each article once.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.flows.test_ingest_crash import articles_site, start_run, wait_for, web_sources
from tests.helpers import query, run_command
from tests.localserver import LocalServer
from tests.prefectserver import PrefectServer, stop_process

pytestmark = pytest.mark.slow

HELD = "/news/12"  # the third batch of five waits on this page until the test has interrupted


@pytest.fixture
def site(local_server: LocalServer) -> Iterator[tuple[LocalServer, threading.Event]]:
    with articles_site(local_server, {HELD}) as release:
        yield local_server, release


def interrupt(process: subprocess.Popen[bytes]) -> str:
    """Ctrl-C: SIGINT to the run's process group; its output once it has ended."""
    os.killpg(process.pid, signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=60)
    finally:
        stop_process(process)
    return output.decode(errors="replace")


def test_ctrl_c_says_what_was_stored_and_a_rerun_continues(
    tmp_path: Path,
    db_path: Path,
    site: tuple[LocalServer, threading.Event],
    prefect_server: PrefectServer,
) -> None:
    server, release = site
    sources = web_sources(tmp_path, server)
    process = start_run(sources, db_path, prefect_server.env)
    try:
        wait_for(lambda: server.hits(HELD) > 0, process, "the held page")
        output = interrupt(process)
    finally:
        release.set()

    assert process.returncode == 130, output[-3000:]
    assert "Traceback" not in output and "Crash detected" not in output, output[-3000:]
    lines = [line for line in output.splitlines() if "interrupted" in line]
    assert len(lines) == 1, output[-3000:]
    stored = query(db_path, "SELECT count(*) FROM store.articles")[0][0]
    assert stored in (5, 10)  # whole batches: the second may still have been in flight
    assert re.search(rf"\b{stored} new\b", lines[0]), lines[0]
    assert "run again" in lines[0]
    assert query(db_path, "SELECT status, error FROM store.runs") == [
        ("interrupted", "interrupted (SIGINT)")
    ]
    assert query(db_path, "SELECT status FROM store.run_sources") == [("interrupted",)]
    assert query(db_path, "SELECT consecutive_failures, last_error FROM source_health") in (
        [],
        [(0, None)],
    )

    rerun = subprocess.run(
        run_command(sources, db_path),
        env=prefect_server.env,
        capture_output=True,
        timeout=180,
        check=False,
    )

    assert rerun.returncode == 0, rerun.stdout.decode()[-3000:]
    assert query(db_path, "SELECT count(*), count(DISTINCT url) FROM articles") == [(30, 30)]
    assert query(db_path, "SELECT status FROM store.runs ORDER BY started_at") == [
        ("interrupted",),
        ("completed",),
    ]
