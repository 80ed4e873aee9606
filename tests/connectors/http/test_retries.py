"""connectors.http.retries: which replies are sent again, after how long, and when to give up."""

from __future__ import annotations

import email.utils
import time
from datetime import UTC, datetime, timedelta

from connectors.http import FetchOutcome
from tests.connectors.http.fetching import PAGE, fetch_one, gaps, scripted, settings
from tests.localserver import LocalServer, Response

# Seconds a wake-up or a request may lag on 2 shared cores: added to upper bounds only.
LAG = 0.4

# --------------------------------- through the fetcher, measured server-side


def test_429_with_retry_after_seconds_is_retried_after_the_delay(
    local_server: LocalServer,
) -> None:
    stamps: list[float] = []
    local_server.route(
        "/p",
        scripted(
            Response(status=429, headers={"Retry-After": "1"}, content_type="text/plain"),
            Response(body=PAGE),
            stamps=stamps,
        ),
    )
    result, log = fetch_one(settings(retries=2), local_server.url("/p"))
    assert result.outcome is FetchOutcome.OK
    assert result.attempts == 2 and log[0].attempts == 2
    assert gaps(stamps)[0] >= 0.95


def test_503_with_retry_after_http_date(local_server: LocalServer) -> None:
    stamps: list[float] = []
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    local_server.route(
        "/p",
        scripted(
            Response(status=503, headers={"Retry-After": when}, content_type="text/plain"),
            Response(body=PAGE),
            stamps=stamps,
        ),
    )
    result, _ = fetch_one(settings(retries=1), local_server.url("/p"))
    assert result.outcome is FetchOutcome.OK
    assert 0.9 <= gaps(stamps)[0] <= 2.6  # the date has one-second resolution


def test_retry_after_beyond_the_cap_gives_up(local_server: LocalServer) -> None:
    local_server.route(
        "/p", Response(status=503, headers={"Retry-After": "3600"}, content_type="text/plain")
    )
    started = time.monotonic()
    result, _ = fetch_one(settings(retries=2, max_retry_after=5), local_server.url("/p"))
    assert result.outcome is FetchOutcome.HTTP_ERROR
    assert result.status == 503
    assert "exceeds" in (result.error or "")
    assert result.attempts == 1
    assert time.monotonic() - started < 1


def test_persistent_503_gives_up_after_the_retries(local_server: LocalServer) -> None:
    stamps: list[float] = []
    local_server.route(
        "/p",
        scripted(Response(status=503, body=b"busy", content_type="text/plain"), stamps=stamps),
    )
    result, _ = fetch_one(settings(retries=2, retry_backoff=0.2), local_server.url("/p"))
    assert result.outcome is FetchOutcome.HTTP_ERROR
    assert result.attempts == 3 and len(stamps) == 3
    first, second = gaps(stamps)
    # Exponential backoff with jitter: 0.2 s then 0.4 s, each within x0.5..x1.5, plus up to
    # LAG of scheduling on a loaded machine.
    assert 0.1 <= first <= 0.3 + LAG
    assert 0.2 <= second <= 0.6 + LAG


def test_404_is_not_retried(local_server: LocalServer) -> None:
    result, _ = fetch_one(settings(retries=2), local_server.url("/missing"))
    assert result.outcome is FetchOutcome.HTTP_ERROR
    assert local_server.hits("/missing") == 1
