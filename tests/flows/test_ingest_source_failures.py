"""A feed, sitemap or URL list that cannot be fetched or parsed fails its source, visibly.

Real runs against a local HTTP server (and a port nothing listens on) and a
real DuckDB file: the run's report, run_sources, source_health and the
command line's exit code and ``stats`` all say the source failed, and since when.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.flows.test_ingest_web import article_html, rss
from tests.helpers import query, run, run_command
from tests.localserver import LocalServer, Response
from tests.prefectserver import PrefectServer
from warehouse.reading import read_only
from warehouse.summaries import collect_report


def closed_port_url() -> str:
    """A URL on 127.0.0.1 whose port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/rss.xml"


@pytest.fixture
def site(local_server: LocalServer) -> LocalServer:
    for topic in ("harbour", "railway", "library"):
        local_server.route(f"/news/{topic}", Response(body=article_html(topic)))
    local_server.route("/robots.txt", Response(status=404, body=b"", content_type="text/plain"))
    local_server.route(
        "/rss.xml",
        Response(body=rss(local_server, ["harbour"]), content_type="application/rss+xml"),
    )
    # Two entries are read, the third has no link: a reject, not a failure.
    local_server.route(
        "/partial.xml",
        Response(
            body=rss(local_server, ["railway", "library"]).replace(
                b"</channel>", b"<item><title>no link</title></item></channel>"
            ),
            content_type="application/rss+xml",
        ),
    )
    local_server.route(
        "/broken.xml", Response(body=b"<html>not a feed</html>", content_type="text/xml")
    )
    return local_server


def sources_file(tmp_path: Path, sources: dict[str, tuple[str, str]]) -> Path:
    text = "[fetch]\nallow_private_addresses = true\nhost_delay = 0\nretries = 0\n"
    for name, (kind, url) in sources.items():
        text += f'[[sources]]\nname = "{name}"\nkind = "{kind}"\nurl = "{url}"\n'
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def health(db: Path, source: str) -> tuple[object, ...]:
    rows = query(
        db,
        "SELECT last_status, consecutive_failures, last_error, failing_since, last_success_at "
        "FROM source_health WHERE source = ?",
        [source],
    )
    assert len(rows) == 1
    return rows[0]


@pytest.mark.usefixtures("prefect_harness")
def test_dead_feeds_and_sitemaps_fail_their_source(
    tmp_path: Path, site: LocalServer, db_path: Path
) -> None:
    dead = closed_port_url()
    path = sources_file(
        tmp_path,
        {
            "dead": ("feed", dead),
            "gone": ("sitemap", site.url("/missing-sitemap.xml")),
            "broken": ("feed", site.url("/broken.xml")),
            "partial": ("feed", site.url("/partial.xml")),
            "good": ("feed", site.url("/rss.xml")),
        },
    )

    report = run(path, db_path)

    status = {s.name: s.status for s in report.sources}
    assert status == {
        "dead": "failed",
        "gone": "failed",
        "broken": "failed",
        "partial": "completed",
        "good": "completed",
    }
    errors = {s.name: s.error or "" for s in report.sources}
    assert dead in errors["dead"] and "network_error" in errors["dead"]
    assert "http_error" in errors["gone"] and "404" in errors["gone"]
    assert "not a recognisable" in errors["broken"] or "not well-formed" in errors["broken"]
    assert report.failed_sources == ("dead", "gone", "broken")
    assert query(
        db_path, "SELECT source, status FROM run_sources WHERE status = 'failed' ORDER BY source"
    ) == [("broken", "failed"), ("dead", "failed"), ("gone", "failed")]
    last_status, failures, last_error, since, success = health(db_path, "dead")
    assert (last_status, failures, success) == ("failed", 1, None)
    assert dead in str(last_error) and since is not None
    assert health(db_path, "good")[:4] == ("completed", 0, None, None)
    with read_only(db_path, live=True) as conn:
        shown = {h["source"]: h for h in collect_report(conn, database="db").health}
    assert (shown["dead"]["status"], shown["dead"]["failures"]) == ("failed", 1)
    assert dead in shown["dead"]["error"] and shown["dead"]["failing_since"]

    run(path, db_path)  # still dead: one more failure, failing since the first

    assert health(db_path, "dead")[1:4:2] == (2, since)

    site.route("/missing-sitemap.xml", Response(body=b"", status=404, content_type="text/plain"))
    fixed = sources_file(tmp_path, {"dead": ("feed", site.url("/rss.xml"))})
    run(fixed, db_path)

    last_status, failures, last_error, since, success = health(db_path, "dead")
    assert (last_status, failures, last_error, since) == ("completed", 0, None, None)
    assert success is not None


def cli(command: list[str], server: PrefectServer) -> subprocess.CompletedProcess[bytes]:
    """Run a ``news-ingest`` command line to its end (its exit code is the test's to check)."""
    return subprocess.run(command, env=server.env, capture_output=True, timeout=180, check=False)


@pytest.mark.slow
def test_exit_code_and_stats_say_a_source_failed(
    tmp_path: Path, site: LocalServer, db_path: Path, prefect_server: PrefectServer
) -> None:
    dead = closed_port_url()
    mixed = sources_file(tmp_path, {"dead": ("feed", dead), "good": ("feed", site.url("/rss.xml"))})

    some = cli(run_command(mixed, db_path), prefect_server)
    only_dead = sources_file(tmp_path, {"dead": ("feed", dead)})
    every = cli(run_command(only_dead, db_path), prefect_server)
    stats = cli(
        [sys.executable, "-m", "flows.app.cli", "stats", "--db", str(db_path)], prefect_server
    )
    stats_json = cli(
        [sys.executable, "-m", "flows.app.cli", "stats", "--db", str(db_path), "--format", "json"],
        prefect_server,
    )

    out = some.stdout.decode() + some.stderr.decode()
    assert some.returncode == 4, out[-3000:]
    assert "1 of 2 sources failed: dead" in out
    assert every.returncode == 1, (every.stdout + every.stderr).decode()[-3000:]
    assert stats.returncode == 0 and stats_json.returncode == 0, stats.stderr.decode()
    (dead_source,) = (s for s in json.loads(stats_json.stdout)["sources"] if s["source"] == "dead")
    assert (dead_source["last_status"], dead_source["consecutive_failures"]) == ("failed", 2)
    assert dead_source["last_success_at"] is None and dead_source["failing_since"] is not None
    listing = " ".join(stats.stdout.decode().split())  # a table or records: 80 columns
    assert "2 failure(s) in a row, failing since" in listing and "never" in listing

    healthy = sources_file(tmp_path, {"good": ("feed", site.url("/rss.xml"))})
    assert cli(run_command(healthy, db_path), prefect_server).returncode == 0
    # Prefect shows what the summary says: the runs with a failed source ended Failed.
    assert flow_run_states(prefect_server, db_path) == [
        ("FAILED", "1 of 2 sources failed: dead"),
        ("FAILED", "1 of 1 sources failed: dead"),
        ("COMPLETED", None),
    ]


def flow_run_states(server: PrefectServer, db_path: Path) -> list[tuple[str, str | None]]:
    """The final state (type, message) of each flow run into ``db_path``, oldest first."""
    runs = httpx.post(
        f"{server.api_url}/flow_runs/filter", json={"sort": "START_TIME_ASC"}, timeout=30
    ).json()
    return [
        (r["state"]["type"], r["state"]["message"] or None)
        for r in runs
        if r["parameters"].get("db_path") == str(db_path)
    ]
