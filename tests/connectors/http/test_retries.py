"""connectors.http.retries: which replies are sent again, after how long, and when to give up."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from datetime import UTC, datetime, timedelta

import pytest

from connectors.http import FetchOutcome, Purpose
from connectors.http.hosts import Breaker, Host
from connectors.http.results import Reply
from connectors.http.retries import RetryPolicy
from tests.connectors.http.fakes import FakeClock
from tests.connectors.http.fetching import PAGE, fetch_one, gaps, scripted, settings
from tests.localserver import LocalServer, Response

# Seconds a wake-up or a request may lag on 2 shared cores: added to upper bounds only.
LAG = 0.4


class Jitter(random.Random):
    """Always the same end of the jitter range."""

    def __init__(self, *, high: bool) -> None:
        super().__init__()
        self._high = high

    def uniform(self, a: float, b: float) -> float:
        return b if self._high else a


def policy(*, retries: int = 2, backoff: float = 1.0, high: bool = True) -> RetryPolicy:
    return RetryPolicy(
        retries=retries, backoff=backoff, max_retry_after=120.0, rng=Jitter(high=high)
    )


def unavailable(retry_after: float | None = None) -> Reply:
    return Reply(FetchOutcome.HTTP_ERROR, status=503, retryable=True, retry_after=retry_after)


def run_policy(
    retry_policy: RetryPolicy,
    replies: list[Reply],
    *,
    purpose: Purpose = Purpose.PAGE,
) -> tuple[Reply, list[float], Host, FakeClock]:
    """Run a policy against scripted replies sent on a real Host's pace, on a fake clock.

    Returns the final reply, the fake times at which each request was sent, the host and clock.
    """
    clock = FakeClock()
    host = Host(
        concurrency=1,
        delay=0.0,
        breaker=Breaker(threshold=0, cooldown=0.0, clock=clock),
        clock=clock,
    )
    sent: list[float] = []
    slots = asyncio.Semaphore(1)

    async def send() -> Reply:
        async with host.turn(slots):
            sent.append(clock.monotonic())
            return replies.pop(0) if len(replies) > 1 else replies[0]

    async def go() -> Reply:
        return await retry_policy.run(send, host=host, purpose=purpose, url="http://x.example/")

    return asyncio.run(go()), sent, host, clock


# ----------------------------------------------------------------- fake clock


@pytest.mark.parametrize(("high", "waits"), [(True, [1.5, 3.0, 6.0]), (False, [0.5, 1.0, 2.0])])
def test_backoff_doubles_with_jitter_between_half_and_one_and_a_half(
    high: bool, waits: list[float]
) -> None:
    assert [policy(high=high).backoff(attempt) for attempt in range(3)] == waits


def test_retryable_replies_are_sent_again_after_the_backoff() -> None:
    reply, sent, _, _ = run_policy(policy(retries=2), [unavailable()])
    assert reply.status == 503
    assert sent == [1000.0, 1001.5, 1004.5]  # waits of 1.5 then 3.0


def test_a_success_ends_the_retries() -> None:
    reply, sent, _, _ = run_policy(policy(), [unavailable(), Reply(FetchOutcome.OK)])
    assert reply.outcome is FetchOutcome.OK
    assert len(sent) == 2


def test_retry_after_replaces_the_backoff() -> None:
    _, sent, _, _ = run_policy(policy(retries=1), [unavailable(retry_after=7.0)])
    assert sent == [1000.0, 1007.0]


def test_retry_after_beyond_the_cap_gives_up_at_once() -> None:
    reply, sent, _, clock = run_policy(policy(), [unavailable(retry_after=121.0)])
    assert sent == [1000.0]
    assert "exceeds the 120 s cap" in (reply.error or "")
    assert clock.sleeps == []


def test_retry_after_on_the_last_reply_still_defers_the_host() -> None:
    _, _, host, clock = run_policy(policy(retries=0), [unavailable(retry_after=30.0)])

    async def next_start() -> float:
        async with host.turn(asyncio.Semaphore(1)):
            return clock.monotonic()

    assert asyncio.run(next_start()) == 1030.0  # the next fetch to the host waits too


def test_final_replies_are_not_sent_again() -> None:
    missing = Reply(FetchOutcome.HTTP_ERROR, status=404)
    reply, sent, _, _ = run_policy(policy(retries=2), [missing])
    assert reply is missing
    assert sent == [1000.0]


def test_robots_txt_is_not_retried_in_place() -> None:
    assert policy(retries=2).retries_for(Purpose.ROBOTS) == 0
    assert policy(retries=2).retries_for(Purpose.FEED) == 2
    _, sent, _, _ = run_policy(policy(retries=2), [unavailable()], purpose=Purpose.ROBOTS)
    assert sent == [1000.0]


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
