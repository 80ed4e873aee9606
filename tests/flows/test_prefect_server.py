"""Tests of flows.prefect_server: one shared local Prefect server per home, real processes.

Each test has its own home in a temporary folder and stops its server at the end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from flows import prefect_server
from flows.prefect_server import ServerInfo, ensure_server, status, stop_server

pytestmark = pytest.mark.slow


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "prefect-home"
    try:
        yield folder
    finally:
        stop_server(folder)


def ensure_in_a_process(home: Path) -> ServerInfo:
    """ensure_server called by a separate process, as four CLIs started together would."""
    code = (
        "import dataclasses, json, sys; from pathlib import Path; "
        "from flows.prefect_server import ensure_server; "
        "print(json.dumps(dataclasses.asdict(ensure_server(Path(sys.argv[1])))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(home)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return ServerInfo(**json.loads(done.stdout))


def healthy(info: ServerInfo) -> bool:
    try:
        return httpx.get(f"{info.api_url}/health", timeout=5).json() is True
    except httpx.HTTPError:
        return False


def test_four_callers_at_once_start_one_server_and_it_outlives_them(home: Path) -> None:
    with ThreadPoolExecutor(4) as pool:
        infos = list(pool.map(lambda _: ensure_in_a_process(home), range(4)))

    assert len({i.pid for i in infos}) == 1
    assert sorted(i.reused for i in infos) == [False, True, True, True]
    # Every caller has exited; the server goes on answering, and is found again.
    assert healthy(infos[0])
    again = ensure_server(home)
    assert (again.pid, again.reused) == (infos[0].pid, True)
    assert status(home) == again


def test_a_killed_server_is_replaced_once(home: Path) -> None:
    first = ensure_server(home)
    os.kill(first.pid, signal.SIGKILL)
    assert status(home) is None

    with ThreadPoolExecutor(3) as pool:
        infos = list(pool.map(lambda _: ensure_in_a_process(home), range(3)))

    assert len({i.pid for i in infos}) == 1
    assert infos[0].pid != first.pid
    assert healthy(infos[0])


def test_a_lost_or_wrong_state_file_finds_the_running_server(home: Path) -> None:
    live = ensure_server(home)
    state = home / prefect_server.STATE_FILE
    state.write_text(json.dumps({**json.loads(state.read_text()), "pid": 1, "pid_start": 1}))
    assert ensure_server(home).pid == live.pid

    state.unlink()
    assert ensure_server(home).pid == live.pid  # recovered from the server's own pid lock


def test_stop_stops_it_and_the_next_caller_starts_a_new_one(home: Path) -> None:
    first = ensure_server(home)
    assert stop_server(home) is True
    assert not healthy(first)
    assert status(home) is None
    assert stop_server(home) is False

    second = ensure_server(home)
    assert second.reused is False and healthy(second)
