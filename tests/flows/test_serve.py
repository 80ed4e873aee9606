"""`news-ingest serve`: deployments from the sources file, served against a real Prefect server."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from flows.app.cli import main
from flows.pipeline.config import load_settings
from flows.prefect_server import stop_server
from flows.serve import plan_deployments
from tests.helpers import query
from tests.localserver import LocalServer, Response, conditional
from tests.prefectserver import PrefectServer, free_port, stop_process

TOPICS = ["harbour", "railway", "library"]


def page(topic: str) -> bytes:
    body = "".join(
        f"<p>The {topic} project in the northern district moved ahead on day {i}, officials "
        f"said, after months of debate about the cost of the {topic} and its design.</p>"
        for i in range(8)
    )
    return (
        f"<html><head><title>New {topic} plans</title></head><body><article>"
        f"<h1>New {topic} plans approved</h1>{body}</article></body></html>"
    ).encode()


@pytest.fixture
def site(local_server: LocalServer) -> LocalServer:
    items = "".join(
        f"<item><title>New {t} plans</title><link>{local_server.url('/news/' + t)}</link>"
        f"<guid>{t}</guid></item>"
        for t in TOPICS
    )
    feed = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    )
    local_server.route("/rss.xml", conditional(feed.encode(), '"f1"', "application/rss+xml"))
    for topic in TOPICS:
        local_server.route(f"/news/{topic}", conditional(page(topic), f'"{topic}"', "text/html"))
    local_server.route("/robots.txt", Response(status=404, body=b"", content_type="text/plain"))
    return local_server


def write_sources(folder: Path, server: LocalServer, interval: str = "10s") -> Path:
    path = folder / "sources.toml"
    path.write_text(
        "[fetch]\nallow_private_addresses = true\nhost_delay = 0\nretries = 0\n"
        "[pipeline]\nworkers = 1\n"
        f'[[sources]]\nname = "feed"\nkind = "feed"\nurl = "{server.url("/rss.xml")}"\n'
        f'interval = "{interval}"\n',
        encoding="utf-8",
    )
    return path


# ---------------------------------------------------------------- planning and bad input


def test_sources_sharing_a_schedule_share_a_deployment(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[sources]]\nname = "a"\nkind = "files"\npath = "docs"\ninterval = "30m"\n'
        '[[sources]]\nname = "b"\nkind = "files"\npath = "docs"\ninterval = "1800"\n'
        '[[sources]]\nname = "c"\nkind = "files"\npath = "docs"\nschedule = "0 * * * *"\n'
        '[[sources]]\nname = "q"\nkind = "files"\npath = "docs"\nschedule = "*/15 * * * *"\n'
        '[[sources]]\nname = "d"\nkind = "files"\npath = "docs"\n'
        '[[sources]]\nname = "e"\nkind = "files"\npath = "docs"\ninterval = "90s"\n'
        "enabled = false\n",
        encoding="utf-8",
    )

    plans = plan_deployments(load_settings(path))

    assert [(p.name, p.sources, p.cron, p.interval) for p in plans] == [
        ("cron *\u204415 * * * *", ("q",), "*/15 * * * *", None),
        ("cron 0 * * * *", ("c",), "0 * * * *", None),
        ("every 30m", ("a", "b"), None, timedelta(minutes=30)),
    ]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            'kind = "files"\npath = "."\nschedule = "61 * * * *"',
            ["FILE", "'bad'", "`schedule`", "61"],
        ),
        ('kind = "gopher"\npath = "."\ninterval = "1h"', ["FILE", "'bad'", "`kind`", "gopher"]),
        ('kind = "files"\npath = "."\ninterval = "soon"', ["FILE", "'bad'", "`interval`", "soon"]),
        (
            'kind = "files"\npath = "missing"\ninterval = "1h"',
            ["'bad'", "path", "missing", "does not exist"],
        ),
    ],
)
def test_bad_config_fails_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: str, expected: list[str]
) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(f'[[sources]]\nname = "bad"\n{entry}\n', encoding="utf-8")
    db = tmp_path / "news.duckdb"
    started = time.monotonic()

    code = main(["serve", "--sources", str(path), "--db", str(db), "--port", str(free_port())])

    assert code == 2
    message = capsys.readouterr().err
    assert "configuration error" in message
    for part in expected:
        assert (str(path) if part == "FILE" else part) in message
    assert time.monotonic() - started < 10  # no Prefect server was started
    assert list(tmp_path.iterdir()) == [path]  # nothing created: no database, no lock


def test_unreadable_sources_file_and_nothing_scheduled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(tmp_path / "news.duckdb")]
    assert main(["serve", "--sources", str(tmp_path), *db]) == 2
    assert "cannot be read" in capsys.readouterr().err
    assert main(["serve", "--sources", str(tmp_path / "none.toml"), *db]) == 2
    assert "does not exist" in capsys.readouterr().err
    path = tmp_path / "sources.toml"
    path.write_text('[[sources]]\nname = "s"\nkind = "files"\npath = "."\n', encoding="utf-8")
    assert main(["serve", "--sources", str(path), *db]) == 2
    assert "no enabled source has a `schedule`" in capsys.readouterr().err


# ---------------------------------------------------------------- against a real server


class Api:
    """The few Prefect REST calls the tests need."""

    def __init__(self, api_url: str) -> None:
        self.url = api_url

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = httpx.post(f"{self.url}{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def deployments(self, sources: Path) -> list[dict[str, Any]]:
        tag = f"sources:{sources.resolve()}"
        return list(self.post("/deployments/filter", {"deployments": {"tags": {"all_": [tag]}}}))

    def runs(self, deployment_id: str) -> list[dict[str, Any]]:
        body = {
            "flow_runs": {"deployment_id": {"any_": [deployment_id]}},
            "sort": "EXPECTED_START_TIME_ASC",
        }
        return list(self.post("/flow_runs/filter", body))

    def artifacts(self, flow_run_id: str) -> list[dict[str, Any]]:
        body = {"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}}
        return list(self.post("/artifacts/filter", body))


def start_serve(
    sources: Path, db: Path, env: dict[str, str], log: Path, *extra: str
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "flows.app.cli", "-v", "serve", "--sources", str(sources)]
    return subprocess.Popen(
        [*command, "--db", str(db), *extra],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def interrupt(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as a person stops serve; then make sure nothing of it is left."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    stop_process(process)


def wait_until(
    condition: Callable[[], Any], process: subprocess.Popen[bytes], log: Path, timeout: float
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        if process.poll() is not None:
            pytest.fail(f"serve exited ({process.returncode}):\n{log.read_text()[-4000:]}")
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout} s:\n{log.read_text()[-4000:]}")


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def completed(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in runs if r["state_type"] == "COMPLETED"]


@pytest.mark.slow
def test_two_scheduled_runs_land_the_articles_once(
    tmp_path: Path, db_path: Path, site: LocalServer, prefect_server: PrefectServer
) -> None:
    sources = write_sources(tmp_path, site)
    api = Api(prefect_server.api_url)
    log = tmp_path / "serve.log"
    serve = start_serve(sources, db_path, prefect_server.env, log)
    try:
        (deployment,) = wait_until(lambda: api.deployments(sources), serve, log, 120)
        assert deployment["name"] == "every 10s"
        runs = wait_until(
            lambda: len(completed(api.runs(deployment["id"]))) >= 2 and api.runs(deployment["id"]),
            serve,
            log,
            180,
        )
    finally:
        interrupt(serve)

    # Two scheduled runs completed, one after the other, and the articles landed once.
    done = completed(runs)
    assert all(r["auto_scheduled"] for r in done)
    assert done[0]["end_time"] <= done[1]["start_time"]
    assert query(db_path, "SELECT count(*), count(DISTINCT url) FROM articles") == [(3, 3)]
    assert query(db_path, "SELECT count(*) FROM article_versions") == [(3,)]
    stored = query(db_path, "SELECT count(*) FROM runs WHERE status = 'completed'")[0][0]
    assert stored >= 2
    # Each run published its summary as a markdown artifact.
    (artifact,) = api.artifacts(done[0]["id"])
    assert artifact["key"] == "ingest-summary" and artifact["type"] == "markdown"
    assert "| feed | completed |" in artifact["data"]
    # Stopping serve did not pause the schedule. (Missed runs: the next two tests.)
    assert api.deployments(sources)[0]["paused"] is False


@pytest.mark.slow
def test_serve_starts_the_shared_server_and_catches_up_after_a_restart(
    tmp_path: Path, db_path: Path, site: LocalServer
) -> None:
    home = tmp_path / "prefect-home"
    home.mkdir()
    shared = tmp_path / "shared-server"
    env = {k: v for k, v in PrefectServer(home).env.items() if k != "PREFECT_API_URL"}
    env["NEWS_INGEST_PREFECT_HOME"] = str(shared)
    port = free_port()
    sources = write_sources(tmp_path, site)
    log = tmp_path / "serve.log"
    api = Api(f"http://127.0.0.1:{port}/api")

    def deployment_runs() -> list[dict[str, Any]]:
        try:
            deployments = api.deployments(sources)
            return api.runs(deployments[0]["id"]) if deployments else []
        except httpx.HTTPError:
            return []

    serve = start_serve(sources, db_path, env, log, "--port", str(port))
    try:
        wait_until(deployment_runs, serve, log, 180)  # deployed, runs scheduled
        assert "news-ingest/every 10s: feed" in log.read_text()
        assert "started the shared Prefect server" in log.read_text()
    finally:
        interrupt(serve)
    stopped = datetime.now(UTC)

    assert serve.returncode == 0, log.read_text()[-3000:]
    # The shared server outlives serve (later runs reuse it) until it is stopped, as a
    # reboot would: then server and serve are both down while a run falls due.
    assert httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).status_code == 200
    assert stop_server(shared) is True
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
    time.sleep(11)
    restarted = datetime.now(UTC)
    serve = start_serve(sources, db_path, env, log, "--port", str(port))
    try:
        wait_until(
            lambda: any(
                r["state_type"] == "COMPLETED" and when(r["expected_start_time"]) > stopped
                for r in deployment_runs()
            ),
            serve,
            log,
            180,
        )
        missed = [
            r for r in deployment_runs() if stopped < when(r["expected_start_time"]) < restarted
        ]
    finally:
        interrupt(serve)
        stop_server(shared)

    assert missed, "no run fell due while serve was down"
    # Each ran, or was superseded by a later missed run that ran (none is left waiting).
    assert {r["state_name"] for r in missed} <= {"Completed", "Cancelled"}
    assert query(db_path, "SELECT count(*), count(DISTINCT url) FROM articles") == [(3, 3)]


# ---------------------------------------------------------------- start-up housekeeping


async def _housekeeping(api_url: str, tag: str) -> dict[str, Any]:
    """Stale deployments paused, orphaned runs crashed, missed runs collapsed (real API)."""
    from prefect.client.orchestration import PrefectClient
    from prefect.states import Running, Scheduled

    from flows.serve import _crash_orphans, collapse_missed_runs, pause_stale

    async with PrefectClient(api_url) as client:
        flow_id = await client.create_flow_from_name("news-ingest")
        suffix = uuid4().hex[:8]
        kept = await client.create_deployment(flow_id, f"kept {suffix}", tags=[tag])
        stale = await client.create_deployment(flow_id, f"stale {suffix}", tags=[tag])
        other = await client.create_deployment(flow_id, f"other {suffix}", tags=["elsewhere"])
        now = datetime.now(UTC)
        missed = [
            await client.create_flow_run_from_deployment(
                kept, state=Scheduled(scheduled_time=now - timedelta(minutes=m))
            )
            for m in (30, 20, 10)
        ]
        future = await client.create_flow_run_from_deployment(
            kept, state=Scheduled(scheduled_time=now + timedelta(hours=1))
        )
        orphan = await client.create_flow_run_from_deployment(kept)
        await client.set_flow_run_state(orphan.id, Running(), force=True)

        await pause_stale(client, keep={kept}, tag=tag)
        await _crash_orphans(client, [kept])
        cancelled = await collapse_missed_runs(client, [kept])

        async def state(run_id: Any) -> str:
            run = await client.read_flow_run(run_id)
            assert run.state is not None
            return str(run.state.name)

        return {
            "paused": [(await client.read_deployment(d)).paused for d in (kept, stale, other)],
            "missed": [await state(r.id) for r in missed],
            "future": await state(future.id),
            "orphan": await state(orphan.id),
            "cancelled": cancelled,
        }


@pytest.mark.slow
def test_start_up_housekeeping_against_a_real_server(prefect_server: PrefectServer) -> None:
    import asyncio

    result = asyncio.run(_housekeeping(prefect_server.api_url, "sources:/tmp/x.toml"))

    assert result["paused"] == [False, True, False]  # only this file's unused schedule
    assert result["missed"] == ["Cancelled", "Cancelled", "Scheduled"]  # the latest runs
    assert result["future"] == "Scheduled"
    assert result["orphan"] == "Crashed"
    assert result["cancelled"] == 2
