"""connectors.http.hosts: the circuit breaker and the pacing, on a fake clock and through a real server."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from connectors.http import Fetcher, FetchOutcome, FetchResult
from tests.connectors.http.fetching import PAGE, fetch_all, gaps, scripted, settings
from tests.localserver import LocalServer, Request, Response

# -------------------------- pacing through the fetcher, measured server-side


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


# --------------------------------------- circuit breaker through the fetcher


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
