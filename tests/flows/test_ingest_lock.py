"""Analysts alongside: a run waits for a reader that holds the database; queries never wait.

DuckDB lets one process hold a file at a time, even a read-only one. A run
that finds the warehouse held says so, waits, and completes once it is
released; `news-ingest sql` reads the snapshot published after each run, so
it answers while a run (here, a stand-in process) holds the live file.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from tests.helpers import files_sources, query, run_command
from tests.prefectserver import PrefectServer, stop_process
from warehouse.connection import connect
from warehouse.snapshots import snapshot_path

pytestmark = pytest.mark.slow

HOLDER = """
import sys, duckdb
conn = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
if sys.argv[2] == "rw":
    conn.execute("CREATE TABLE IF NOT EXISTS main.scratch AS SELECT 1 AS x")
print("holding", flush=True)
sys.stdin.readline()  # until the test says so
conn.close()
print("released", flush=True)
"""


class Lines:
    """Collects a process's output lines in a thread, so the test can wait for one."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self.lines.append(raw.decode(errors="replace"))

    def wait_for(self, text: str, process: subprocess.Popen[bytes], timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return time.monotonic()
            if process.poll() is not None:
                self._thread.join(timeout=5)
                if any(text in line for line in self.lines):
                    return time.monotonic()
                pytest.fail(f"process ended without {text!r}:\n{''.join(self.lines)[-3000:]}")
            time.sleep(0.05)
        pytest.fail(f"no {text!r} within {timeout} s:\n{''.join(self.lines)[-3000:]}")


def start(command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def hold(db: Path, mode: str) -> tuple[subprocess.Popen[bytes], Lines]:
    holder = start([sys.executable, "-c", HOLDER, str(db), mode])
    assert holder.stdout is not None
    lines = Lines(holder.stdout)
    lines.wait_for("holding", holder, 30)
    return holder, lines


def release(holder: subprocess.Popen[bytes], lines: Lines) -> None:
    assert holder.stdin is not None
    holder.stdin.write(b"go\n")
    holder.stdin.flush()
    lines.wait_for("released", holder, 30)


def test_a_run_waits_for_a_reader_then_completes(
    tmp_path: Path, db_path: Path, prefect_server: PrefectServer
) -> None:
    sources = files_sources(tmp_path, 12, pipeline="workers = 1\n")
    with connect(db_path):
        pass  # an existing warehouse, as an analyst would have open
    holder, held = hold(db_path, "ro")
    run = start(run_command(sources, db_path), prefect_server.env)
    try:
        assert run.stdout is not None
        output = Lines(run.stdout)
        output.wait_for("is locked by another process", run, 60)
        time.sleep(3)  # the run keeps waiting while the reader holds on
        assert run.poll() is None
        released = time.time()  # wall clock: compared with the run row's start below
        release(holder, held)
        run.wait(timeout=120)
    finally:
        stop_process(run)
        stop_process(holder)

    assert run.returncode == 0, "".join(output.lines)[-3000:]
    # The run row is written once the run holds the file: after the reader let go.
    (started,) = query(db_path, "SELECT epoch(started_at) FROM store.runs")[0]
    assert started >= released
    assert query(db_path, "SELECT count(*), count(DISTINCT url) FROM articles") == [(12, 12)]
    assert query(db_path, "SELECT status FROM runs") == [("completed",)]


def test_sql_answers_from_the_snapshot_while_the_live_file_is_held(
    tmp_path: Path, db_path: Path, prefect_server: PrefectServer
) -> None:
    sources = files_sources(tmp_path, 3, pipeline="workers = 1\n")
    first = start(run_command(sources, db_path), prefect_server.env)
    try:
        first.wait(timeout=120)
    finally:
        stop_process(first)
    assert first.returncode == 0
    assert snapshot_path(db_path).exists()
    holder, held = hold(db_path, "rw")  # a writer holds the live file, as a run does
    try:
        started = time.monotonic()
        sql = [
            sys.executable,
            "-m",
            "flows.app.cli",
            "sql",
            "--db",
            str(db_path),
            "--format",
            "csv",
        ]
        result = subprocess.run(
            [*sql, "SELECT count(*) AS n FROM articles"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        elapsed = time.monotonic() - started
        release(holder, held)
    finally:
        stop_process(holder)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["n", "3"]
    assert "reading the snapshot" in result.stderr
    assert elapsed < 20  # it did not wait for the holder
