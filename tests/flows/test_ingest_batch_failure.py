"""A web batch that fails stops the batch fetching behind it (nothing leaks into the next source)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import flows.pipeline.web
from tests.helpers import query, run
from tests.localserver import LocalServer, Request, Response
from tests.textgen import paragraphs


def page(topic: str) -> bytes:
    body = "".join(f"<p>{text}</p>" for text in paragraphs(topic, count=8))
    return (
        f"<html><head><title>News about the {topic}</title></head>"
        f"<body><article><h1>The {topic}</h1>{body}</article></body></html>"
    ).encode()


def answer_after(event: threading.Event) -> Callable[[Request], Response]:
    """A page that answers a second after ``event``: still in flight when it is set."""

    def respond(request: Request) -> Response:
        event.wait(timeout=60)
        time.sleep(1.0)
        return Response(body=page("slow"))

    return respond


def write_sources(tmp_path: Path, server: LocalServer, slow: threading.Event) -> Path:
    first = ["/first/1", "/first/2", "/first/3", "/first/slow"]  # batches of two
    for route in first[:3]:
        server.route(route, Response(body=page(route)))
    server.route("/first/slow", answer_after(slow))
    server.route("/second/1", Response(body=page("second")))
    (tmp_path / "first.txt").write_text("\n".join(server.url(p) for p in first) + "\n")
    (tmp_path / "second.txt").write_text(server.url("/second/1") + "\n")
    path = tmp_path / "sources.toml"
    path.write_text(
        """
[pipeline]
batch_size = 2
[fetch]
allow_private_addresses = true
host_delay = 0
retries = 0
[[sources]]
name = "first"
kind = "urls"
path = "first.txt"
[[sources]]
name = "second"
kind = "urls"
path = "second.txt"
""",
        encoding="utf-8",
    )
    return path


def fail_first_store(monkeypatch: pytest.MonkeyPatch, failed: threading.Event) -> None:
    """The first batch's store raises (and sets ``failed``), as a crash in a source would."""
    real = flows.pipeline.web.persist_batch  # type: ignore[attr-defined]
    calls = 0

    def persist(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            failed.set()
            raise RuntimeError("simulated crash while storing a batch")
        return real(*args, **kwargs)

    monkeypatch.setattr(flows.pipeline.web, "persist_batch", persist)


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_a_failed_batch_stops_the_next_batch_of_its_source(
    tmp_path: Path, local_server: LocalServer, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = threading.Event()
    sources = write_sources(tmp_path, local_server, failed)
    fail_first_store(monkeypatch, failed)

    report = run(sources, db_path)

    status = {s.name: (s.status, s.error) for s in report.sources}
    assert status["first"][0] == "failed" and "simulated crash" in (status["first"][1] or "")
    assert status["second"] == ("completed", None)
    logged = query(
        db_path, "SELECT source, url FROM fetch_log WHERE purpose = 'page' ORDER BY fetched_at"
    )
    # The second batch was stopped with its slow page in flight: that fetch is nobody's,
    # least of all the second source's (it waits for the host behind that page).
    assert [url for source, url in logged if source == "second"] == [local_server.url("/second/1")]
    assert local_server.url("/first/slow") not in [url for _, url in logged]
    assert query(db_path, "SELECT count(*) FROM articles") == [(1,)]
