"""Crash safety: `news-ingest run` killed with SIGKILL mid-run, then run again.

Each batch commits in one DuckDB transaction, so a killed run leaves whole
batches behind and nothing else; the next run marks it crashed and does the
rest. The kills land at different moments: while the third batch is being
fetched (the first one or two batches committed), and just as the warehouse's
write-ahead log grows (a commit in flight), twice in a row before a run
completes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import article, files_sources, query, run_command
from tests.localserver import LocalServer, Request, Response
from tests.prefectserver import PrefectServer, stop_process
from warehouse.connection import connect

pytestmark = pytest.mark.slow


def start_run(sources: Path, db: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        run_command(sources, db),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def finish(process: subprocess.Popen[bytes], timeout: float = 120) -> str:
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        stop_process(process)
    assert process.returncode == 0, output.decode(errors="replace")[-3000:]
    return output.decode(errors="replace")


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the flow process alone (its extraction workers are orphaned, as in a crash)."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    stop_process(process)  # then reap the orphans of its process group


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 90
    while not condition():
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            pytest.fail(f"the run ended before {what}:\n{output[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.002)


def assert_complete(db: Path, expected: int, *, crashed: int = 1) -> None:
    """Every expected article exactly once, one version each, and the killed runs crashed."""
    assert query(db, "SELECT count(*), count(DISTINCT url) FROM articles") == [(expected, expected)]
    assert query(db, "SELECT count(*) FROM store.article_versions") == [(expected,)]
    assert query(db, "SELECT max(version_count) FROM store.articles") == [(1,)]
    statuses = query(db, "SELECT status FROM store.runs ORDER BY started_at")
    assert statuses == [("crashed",)] * crashed + [("completed",)]
    assert query(db, "SELECT DISTINCT status FROM store.run_sources WHERE run_id IN "
                     "(SELECT run_id FROM store.runs WHERE status = 'crashed')") in (
        [("crashed",)],
        [],  # killed before its first source began
    )  # fmt: skip


# ---------------------------------------------------------------- a web site


@contextmanager
def articles_site(server: LocalServer, held: Collection[str]) -> Iterator[threading.Event]:
    """Thirty article pages at /news/N; a request for a ``held`` path waits for the event."""
    release = threading.Event()
    for index in range(30):
        body = article(index).encode()

        def respond(request: Request, body: bytes = body) -> Response:
            if request.path in held:
                release.wait(timeout=120)  # held until the test has killed the run
            return Response(body=body)

        server.route(f"/news/{index}", respond)
    server.route("/robots.txt", Response(status=404, body=b"", content_type="text/plain"))
    try:
        yield release
    finally:
        release.set()


@pytest.fixture
def site(local_server: LocalServer) -> Iterator[tuple[LocalServer, threading.Event]]:
    with articles_site(local_server, {"/news/10", "/news/2"}) as release:
        yield local_server, release


def web_sources(tmp_path: Path, server: LocalServer) -> Path:
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{server.url(f'/news/{i}')}\n" for i in range(30)), encoding="utf-8")
    path = tmp_path / "sources.toml"
    path.write_text(
        "[fetch]\nallow_private_addresses = true\nhost_delay = 0\nretries = 0\n"
        "[pipeline]\nbatch_size = 5\nworkers = 1\n"
        '[[sources]]\nname = "site"\nkind = "urls"\npath = "urls.txt"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(("held_page", "committed"), [(10, 10)])
def test_killed_while_fetching_a_batch(
    tmp_path: Path,
    db_path: Path,
    site: tuple[LocalServer, threading.Event],
    prefect_server: PrefectServer,
    held_page: int,
    committed: int,
) -> None:
    server, release = site
    other = 2 if held_page == 10 else 10
    server.route(f"/news/{other}", Response(body=article(other).encode()))  # only one page hangs
    sources = web_sources(tmp_path, server)
    process = start_run(sources, db_path, prefect_server.env)
    try:
        wait_for(lambda: server.hits(f"/news/{held_page}") > 0, process, "the held page")
        kill(process)
    finally:
        stop_process(process)
        release.set()

    # Whole batches only, nothing of the held page's: the second batch may still be in
    # flight while the third starts fetching (two batches overlap), so one or two.
    assert query(db_path, "SELECT count(*) FROM store.articles") in (
        [(committed - 5,)],
        [(committed,)],
    )
    assert query(db_path, "SELECT status FROM store.runs") == [("running",)]

    output = finish(start_run(sources, db_path, prefect_server.env))

    assert "completed" in output
    assert_complete(db_path, 30)
    assert query(db_path, "SELECT count(DISTINCT location) FROM store.url_state") == [(30,)]


# ---------------------------------------------------------------- a folder of documents


def wal_growths(db: Path, n: int) -> Callable[[], bool]:
    """True once the write-ahead log grew ``n`` times (commits) from its size now.

    A WAL left by a killed run is the baseline: replaying it on open shrinks
    it, which is not a commit of the new run.
    """
    wal = db.with_name(db.name + ".wal")

    def size() -> int:
        try:
            return wal.stat().st_size
        except FileNotFoundError:
            return 0

    state = {"size": size(), "growths": 0}

    def check() -> bool:
        now = size()
        if now > state["size"]:
            state["growths"] += 1
        state["size"] = now
        return state["growths"] >= n

    return check


def test_killed_as_commits_land_twice_then_completed(
    tmp_path: Path, db_path: Path, prefect_server: PrefectServer
) -> None:
    sources = files_sources(tmp_path, 120, pipeline="batch_size = 20\n")
    with connect(db_path):
        pass  # migrated up front: the commits counted below are the run's own
    stored = [0]
    # The first run dies after a few batches; the second, resuming, dies early in its work.
    # (A resumed run's batches mix files already stored with new ones, so its batches do not
    # add multiples of 20; the final check below is what matters: each article exactly once.)
    for commits in (6, 3):
        committed = wal_growths(db_path, commits)
        process = start_run(sources, db_path, prefect_server.env)
        try:
            wait_for(committed, process, f"{commits} commits")
            kill(process)
        finally:
            stop_process(process)
        (count,) = query(db_path, "SELECT count(*) FROM store.articles")[0]
        print(f"killed after {commits} commits: {count} articles stored")
        assert stored[-1] <= count < 120
        if commits == 6:  # a fresh run: whatever moment the kill hit, only whole batches of 20
            assert count % 20 == 0
        stored.append(count)

    finish(start_run(sources, db_path, prefect_server.env))

    assert_complete(db_path, 120, crashed=2)
