"""connectors.http.exchange: one request under the total deadline, and how its response is classified."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from connectors.http import FetchOutcome
from connectors.http.exchange import retry_after
from tests.connectors.http.fetching import PAGE, fetch_one, settings
from tests.localserver import LocalServer, Response

MiB = 2**20
NOW = datetime(2025, 3, 4, 12, 0, 0, tzinfo=UTC)

# ----------------------------------------------------------------- Retry-After


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Tue, 04 Mar 2025 12:00:30 GMT", 30.0),
        ("Tue, 04 Mar 2025 11:59:00 GMT", 0.0),  # already past: go now
        ("", None),
        ("-5", None),
        ("soon", None),
        ("1.5", None),  # delta-seconds are whole numbers
    ],
)
def test_retry_after_seconds_or_http_date(value: str, seconds: float | None) -> None:
    assert retry_after(value, now=NOW) == seconds


# ------------------------------------------------------- through the fetcher


def test_http_error_is_reported_not_raised(local_server: LocalServer) -> None:
    result, _ = fetch_one(settings(), local_server.url("/missing"))
    assert result.outcome is FetchOutcome.HTTP_ERROR
    assert result.status == 404
    assert result.body == b""
    assert "404" in (result.error or "")


def test_connection_refused_is_network_error_after_retries() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result, _ = fetch_one(settings(retries=2), f"http://127.0.0.1:{port}/")
    assert result.outcome is FetchOutcome.NETWORK_ERROR
    assert result.attempts == 3
    assert "ConnectError" in (result.error or "")


def test_content_length_over_the_cap_is_refused_without_reading(
    local_server: LocalServer,
) -> None:
    # The server claims 1 GB but sends a few bytes and hangs up: had the body
    # been read, the outcome would be truncated.
    local_server.route("/huge", Response(body=PAGE, content_length=10**9))
    result, _ = fetch_one(settings(max_page_bytes=MiB), local_server.url("/huge"))
    assert result.outcome is FetchOutcome.TOO_LARGE
    assert "Content-Length 1000000000" in (result.error or "")


def test_server_dripping_a_byte_at_a_time_hits_the_total_deadline(
    local_server: LocalServer,
) -> None:
    drip = (bytes([b]) for b in PAGE)
    local_server.route("/drip", Response(body=drip, chunk_delay=0.25))
    started = time.monotonic()
    # Each byte arrives well inside read_timeout, so only the total deadline can stop it.
    result, _ = fetch_one(
        settings(read_timeout=1.0, total_timeout=1.5, retries=2), local_server.url("/drip")
    )
    elapsed = time.monotonic() - started
    assert result.outcome is FetchOutcome.TIMEOUT
    assert "total deadline" in (result.error or "")
    assert result.attempts == 1  # a deadline overrun is not retried
    assert 1.4 < elapsed < 5.0  # the whole drip would take 20 s; room for a loaded machine


def test_read_inactivity_timeout(local_server: LocalServer) -> None:
    local_server.route("/stall", Response(body=[b"<html>", b"late"], chunk_delay=2.0))
    result, _ = fetch_one(settings(read_timeout=0.5, total_timeout=3.0), local_server.url("/stall"))
    assert result.outcome is FetchOutcome.TIMEOUT
    assert "ReadTimeout" in (result.error or "")


def test_truncated_body_is_truncated_and_retried(local_server: LocalServer) -> None:
    local_server.route("/cut", Response(body=PAGE * 100, truncate_at=200))
    result, _ = fetch_one(settings(retries=1), local_server.url("/cut"))
    assert result.outcome is FetchOutcome.TRUNCATED
    assert result.body == b""
    assert "cut short" in (result.error or "")
    assert local_server.hits("/cut") == 2 and result.attempts == 2


def test_lying_content_length_longer_than_the_body(local_server: LocalServer) -> None:
    local_server.route("/liar", Response(body=PAGE, content_length=len(PAGE) + 500))
    result, _ = fetch_one(settings(), local_server.url("/liar"))
    assert result.outcome is FetchOutcome.TRUNCATED
    assert "received" in (result.error or "") or "cut short" in (result.error or "")
