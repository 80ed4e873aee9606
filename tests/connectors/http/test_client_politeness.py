"""Retries, Retry-After, per-host pacing and concurrency, and the circuit breaker, measured server-side."""

from __future__ import annotations

import asyncio
import email.utils
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from connectors.http import Fetcher, FetchOutcome, FetchResult
from tests.connectors.http.test_client import PAGE, fetch_all, fetch_one, gaps, settings
from tests.localserver import LocalServer, Request, Response

# Seconds a wake-up or a request may lag on 2 shared cores: added to upper bounds only.
LAG = 0.4


def scripted(
    *responses: Response, stamps: list[float] | None = None
) -> Callable[[Request], Response]:
    """A route answering with each response in turn, then the last one forever."""
    queue = list(responses)

    def route(request: Request) -> Response:
        if stamps is not None:
            stamps.append(time.monotonic())
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return route


# ----------------------------------------------------------------------------- retries


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


# ----------------------------------------------------------------------------- pacing


def test_host_delay_spaces_requests_to_one_host(local_server: LocalServer) -> None:
    stamps: list[float] = []
    local_server.route("/p", scripted(Response(body=PAGE), stamps=stamps))
    urls = [local_server.url("/p") + f"?i={i}" for i in range(4)]
    results, _ = fetch_all(settings(host_delay=0.3), urls, concurrent=True)
    assert all(r.ok for r in results)
    assert len(stamps) == 4
    assert min(gaps(stamps)) >= 0.28, gaps(stamps)


def test_different_hosts_are_not_paced_together(local_server: LocalServer) -> None:
    stamps: list[float] = []
    local_server.route("/p", scripted(Response(body=PAGE), stamps=stamps))
    # 127.0.0.1 and localhost are two hosts (one server): each gets its own pace.
    urls = [local_server.url("/p"), f"http://localhost:{local_server.port}/p"]
    started = time.monotonic()
    results, _ = fetch_all(settings(host_delay=1.5), urls * 2, concurrent=True)
    assert all(r.ok for r in results)
    ordered = sorted(stamps)
    # One pace for both hosts would put 1.5 s between every two requests, 4.5 s in all.
    assert ordered[1] - ordered[0] < 1.0  # the first request to each host at once
    # The second to each waits its host's delay (1.5 s between starts); the server sees the
    # first ones later after their start (connection setup, address check), hence below 1.5.
    assert ordered[2] - ordered[0] >= 1.2
    assert time.monotonic() - started < 4.2


def _in_flight_route(delay: float) -> tuple[Callable[[Request], Response], list[int]]:
    lock = threading.Lock()
    state = {"now": 0}
    peaks: list[int] = []

    def route(request: Request) -> Response:
        with lock:
            state["now"] += 1
            peaks.append(state["now"])
        time.sleep(delay)
        with lock:
            state["now"] -= 1
        return Response(body=PAGE)

    return route, peaks


def test_host_concurrency_limits_requests_in_flight(local_server: LocalServer) -> None:
    route, peaks = _in_flight_route(0.25)
    local_server.route("/slow", route)
    urls = [local_server.url("/slow") + f"?i={i}" for i in range(6)]
    started = time.monotonic()
    results, _ = fetch_all(settings(host_concurrency=2), urls, concurrent=True)
    elapsed = time.monotonic() - started
    assert all(r.ok for r in results)
    assert max(peaks) == 2
    assert 0.7 <= elapsed < 3.0  # three waves of two (0.75 s), with room for a loaded machine


def test_one_at_a_time_by_default(local_server: LocalServer) -> None:
    route, peaks = _in_flight_route(0.1)
    local_server.route("/slow", route)
    urls = [local_server.url("/slow") + f"?i={i}" for i in range(4)]
    results, _ = fetch_all(settings(), urls, concurrent=True)
    assert all(r.ok for r in results)
    assert max(peaks) == 1


# ----------------------------------------------------------------------------- circuit breaker


def test_circuit_opens_after_consecutive_failures_and_half_opens(
    local_server: LocalServer,
) -> None:
    local_server.route("/down", Response(status=503, body=b"", content_type="text/plain"))
    local_server.route("/p", Response(body=PAGE))
    s = settings(breaker_threshold=2, breaker_cooldown=0.4)

    async def go() -> list[FetchResult]:
        async with Fetcher(s) as fetcher:
            results = [await fetcher.fetch(local_server.url("/down")) for _ in range(2)]
            results.append(await fetcher.fetch(local_server.url("/p")))  # open: not sent
            await asyncio.sleep(0.5)
            results.append(await fetcher.fetch(local_server.url("/p")))  # half-open trial
            results.append(await fetcher.fetch(local_server.url("/p")))  # closed again
            return results

    results = asyncio.run(go())
    assert [r.outcome for r in results] == [
        FetchOutcome.HTTP_ERROR,
        FetchOutcome.HTTP_ERROR,
        FetchOutcome.CIRCUIT_OPEN,
        FetchOutcome.OK,
        FetchOutcome.OK,
    ]
    assert results[2].attempts == 0
    assert local_server.hits("/down") == 2 and local_server.hits("/p") == 2


def test_failed_trial_reopens_the_circuit(local_server: LocalServer) -> None:
    local_server.route("/down", Response(status=500, body=b"", content_type="text/plain"))
    s = settings(breaker_threshold=1, breaker_cooldown=0.3)

    async def go() -> list[FetchOutcome]:
        async with Fetcher(s) as fetcher:
            outcomes = [(await fetcher.fetch(local_server.url("/down"))).outcome]
            await asyncio.sleep(0.35)
            outcomes.append((await fetcher.fetch(local_server.url("/down"))).outcome)
            outcomes.append((await fetcher.fetch(local_server.url("/down"))).outcome)
            return outcomes

    assert asyncio.run(go()) == [
        FetchOutcome.HTTP_ERROR,
        FetchOutcome.HTTP_ERROR,
        FetchOutcome.CIRCUIT_OPEN,
    ]
    assert local_server.hits("/down") == 2


def test_client_errors_do_not_open_the_circuit(local_server: LocalServer) -> None:
    urls = [local_server.url(f"/missing{i}") for i in range(4)]
    results, _ = fetch_all(settings(breaker_threshold=2), urls)
    assert [r.outcome for r in results] == [FetchOutcome.HTTP_ERROR] * 4
