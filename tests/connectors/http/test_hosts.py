"""connectors.http.hosts: the circuit breaker and the pacing, on a fake clock and through a real server."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from connectors.http import Fetcher, FetchOutcome, FetchResult
from connectors.http.hosts import Breaker, Host, HostTable
from tests.connectors.http.fakes import FakeClock
from tests.connectors.http.fetching import PAGE, fetch_all, gaps, scripted, settings
from tests.localserver import LocalServer, Request, Response


def breaker(clock: FakeClock, *, threshold: int = 3, cooldown: float = 60.0) -> Breaker:
    return Breaker(threshold=threshold, cooldown=cooldown, clock=clock)


def fail(b: Breaker, times: int) -> list[bool]:
    """Record ``times`` failures; what record() said for each."""
    return [b.record(failed=True) for _ in range(times)]


def host(clock: FakeClock, *, delay: float = 2.0, concurrency: int = 1) -> Host:
    return Host(
        concurrency=concurrency, delay=delay, breaker=breaker(clock, threshold=0), clock=clock
    )


async def take_turns(h: Host, count: int, clock: FakeClock, *, connections: int = 8) -> list[float]:
    """Take ``count`` turns one after another; the fake time at which each started."""
    slots = asyncio.Semaphore(connections)
    starts = []
    for _ in range(count):
        async with h.turn(slots):
            starts.append(clock.monotonic())
    return starts


async def in_flight_peak(hosts: list[Host], slots: asyncio.Semaphore) -> tuple[int, int]:
    """Start one request per entry of ``hosts`` at once, held open; (peak in flight, finished)."""
    gate = asyncio.Event()
    state = {"now": 0, "peak": 0}

    async def request(h: Host) -> None:
        async with h.turn(slots):
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
            await gate.wait()
            state["now"] -= 1

    tasks = [asyncio.create_task(request(h)) for h in hosts]
    for _ in range(20):  # let every task get as far as it can
        await asyncio.sleep(0)
    peak_while_held = state["peak"]
    gate.set()
    await asyncio.gather(*tasks)
    return peak_while_held, len(tasks)


# ---------------------------------------------------------- breaker, fake clock


def test_breaker_stays_closed_below_the_threshold() -> None:
    b = breaker(FakeClock())
    assert fail(b, 2) == [False, False]
    assert not b.blocked()


def test_breaker_opens_at_the_threshold_and_says_so_once() -> None:
    b = breaker(FakeClock())
    assert fail(b, 3) == [False, False, True]
    assert b.blocked()


def test_breaker_stays_open_for_the_cooldown_then_half_opens() -> None:
    clock = FakeClock()
    b = breaker(clock, cooldown=60.0)
    fail(b, 3)
    clock.advance(59.9)
    assert b.blocked()
    clock.advance(0.2)
    assert not b.blocked()  # half-open: one trial may go


def test_half_open_breaker_lets_one_trial_through_and_success_closes_it() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 3)
    clock.advance(61)
    b.begin()  # the trial goes out
    assert b.blocked()  # nobody else while it is in flight
    assert b.record(failed=False) is False
    assert not b.blocked()
    assert fail(b, 2) == [False, False]  # the count started over
    assert not b.blocked()


def test_failed_trial_reopens_for_a_whole_cooldown() -> None:
    clock = FakeClock()
    b = breaker(clock, cooldown=60.0)
    fail(b, 3)
    clock.advance(61)
    b.begin()
    assert b.record(failed=True) is True  # opened again
    clock.advance(59.9)
    assert b.blocked()
    clock.advance(0.2)
    assert not b.blocked()


def test_a_success_resets_the_count() -> None:
    b = breaker(FakeClock())
    fail(b, 2)
    b.record(failed=False)
    assert fail(b, 2) == [False, False]
    assert not b.blocked()


def test_a_neutral_request_neither_counts_nor_resets_but_ends_the_trial() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 2)
    assert b.record(failed=None) is False
    assert fail(b, 1) == [True]  # the two failures before still counted
    clock.advance(61)
    b.begin()
    b.record(failed=None)  # the trial said nothing about the host
    assert not b.blocked()  # so the next request may be the trial


def test_threshold_zero_never_opens() -> None:
    b = breaker(FakeClock(), threshold=0)
    assert not any(fail(b, 100))
    b.begin()
    assert not b.blocked()


def test_closed_breaker_does_not_mark_a_trial() -> None:
    b = breaker(FakeClock())
    b.begin()  # an ordinary request
    assert not b.blocked()


# ----------------------------------------------------------- pacing, fake clock


def test_turns_start_host_delay_apart() -> None:
    clock = FakeClock()
    starts = asyncio.run(take_turns(host(clock, delay=2.0), 3, clock))
    assert starts == [1000.0, 1002.0, 1004.0]
    assert clock.sleeps == [2.0, 2.0]


def test_concurrent_requests_to_one_host_are_spaced_too() -> None:
    clock = FakeClock()
    h = host(clock, delay=2.0)

    async def go() -> list[float]:
        slots = asyncio.Semaphore(8)
        starts: list[float] = []

        async def one() -> None:
            async with h.turn(slots):
                starts.append(clock.monotonic())

        await asyncio.gather(*(one() for _ in range(4)))
        return starts

    starts = asyncio.run(go())
    assert sorted(starts) == [1000.0, 1002.0, 1004.0, 1006.0]


def test_no_delay_never_sleeps() -> None:
    clock = FakeClock()
    asyncio.run(take_turns(host(clock, delay=0.0), 5, clock))
    assert clock.sleeps == []


def test_a_longer_crawl_delay_wins_over_the_host_delay() -> None:
    clock = FakeClock()
    h = host(clock, delay=1.0)
    h.crawl_delay = 5.0
    assert asyncio.run(take_turns(h, 3, clock)) == [1000.0, 1005.0, 1010.0]
    h.crawl_delay = 0.5  # a shorter one does not undercut the host delay
    assert asyncio.run(take_turns(h, 2, clock)) == [1015.0, 1016.0]


@pytest.mark.parametrize(("deferral", "next_start"), [(10.0, 1010.0), (0.5, 1001.0)])
def test_defer_holds_back_the_next_start_but_never_brings_it_forward(
    deferral: float, next_start: float
) -> None:
    clock = FakeClock()
    h = host(clock, delay=1.0)
    asyncio.run(take_turns(h, 1, clock))  # next start due at 1001
    h.defer(deferral)  # a Retry-After of ``deferral`` seconds, asked for at 1000
    assert asyncio.run(take_turns(h, 1, clock)) == [next_start]


def test_defer_applies_to_a_host_that_was_idle() -> None:
    clock = FakeClock()
    h = host(clock, delay=1.0)
    clock.advance(100)
    h.defer(30)
    assert asyncio.run(take_turns(h, 1, clock)) == [1130.0]


@pytest.mark.parametrize("concurrency", [1, 2, 3])
def test_host_concurrency_caps_requests_in_flight(concurrency: int) -> None:
    clock = FakeClock()
    h = host(clock, delay=0.0, concurrency=concurrency)
    peak, finished = asyncio.run(in_flight_peak([h] * 4, asyncio.Semaphore(8)))
    assert peak == concurrency
    assert finished == 4


def test_connection_slots_are_shared_by_all_hosts() -> None:
    clock = FakeClock()
    table = HostTable(
        concurrency=4, delay=0.0, breaker_threshold=5, breaker_cooldown=1.0, clock=clock
    )
    hosts = [table.get("a.example"), table.get("b.example"), table.get("c.example")]
    peak, finished = asyncio.run(in_flight_peak(hosts, asyncio.Semaphore(2)))
    assert peak == 2
    assert finished == 3


def test_host_table_keeps_one_state_per_host_name() -> None:
    clock = FakeClock()
    table = HostTable(
        concurrency=1, delay=5.0, breaker_threshold=5, breaker_cooldown=1.0, clock=clock
    )
    assert table.get("News.Example") is table.get("news.example")
    assert table.get("a.example") is not table.get("b.example")

    async def one_each() -> list[float]:
        slots = asyncio.Semaphore(8)
        starts = []
        for name in ("a.example", "b.example", "a.example"):
            async with table.get(name).turn(slots):
                starts.append(clock.monotonic())
        return starts

    # b.example does not wait for a.example's pace; a.example's second turn does.
    assert asyncio.run(one_each()) == [1000.0, 1000.0, 1005.0]


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
