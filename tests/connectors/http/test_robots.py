"""connectors.http.robots: what a robots.txt download means, and the fetcher obeying it (404, 500, hangs, rules, delays)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
import pytest

from connectors.http import Fetcher, FetchOutcome, FetchResult, Purpose
from connectors.http.robots import RobotsRules, policy_for_fetch, robots_token
from connectors.records import Validators
from tests.connectors.http.fetching import PAGE, fetch_all, gaps, settings
from tests.localserver import LocalServer, Request, Response


def robots_download(outcome: FetchOutcome, status: int | None, body: bytes = b"") -> FetchResult:
    return FetchResult(
        url="http://a.example/robots.txt",
        final_url="http://a.example/robots.txt",
        purpose=Purpose.ROBOTS,
        outcome=outcome,
        status=status,
        body=body,
        content_type="text/plain",
        validators=Validators(),
        redirects=(),
        headers=(),
        error=None if outcome is FetchOutcome.OK else "detail",
        elapsed=0.0,
        fetched_at=datetime.now(UTC),
        attempts=1,
    )


@pytest.mark.parametrize(
    ("outcome", "status", "verdict"),
    [
        (FetchOutcome.HTTP_ERROR, 404, "allow"),
        (FetchOutcome.HTTP_ERROR, 403, "allow"),
        (FetchOutcome.REDIRECT_LOOP, 302, "allow"),
        (FetchOutcome.TOO_MANY_REDIRECTS, 302, "allow"),
        (FetchOutcome.BAD_URL, None, "allow"),
        (FetchOutcome.HTTP_ERROR, 429, "unavailable"),
        (FetchOutcome.HTTP_ERROR, 503, "unavailable"),
        (FetchOutcome.TIMEOUT, None, "unavailable"),
        (FetchOutcome.NETWORK_ERROR, None, "unavailable"),
        (FetchOutcome.CIRCUIT_OPEN, None, "unavailable"),
    ],
)
def test_what_a_failed_download_means(
    outcome: FetchOutcome, status: int | None, verdict: str
) -> None:
    policy = policy_for_fetch(robots_download(outcome, status), ttl=3600, retry_delay=60)
    assert policy.allows("http://a.example/page", "news-ingest") is (verdict == "allow")
    if verdict == "unavailable":
        assert policy.unavailable == f"{outcome}: detail"
        assert policy.expires < time.monotonic() + 61  # asked again soon, not after the ttl
    else:
        assert policy.expires > time.monotonic() + 3500


def test_a_downloaded_file_s_rules_apply() -> None:
    body = b"User-agent: *\nDisallow: /private\nCrawl-delay: 3\n"
    policy = policy_for_fetch(robots_download(FetchOutcome.OK, 200, body), ttl=3600, retry_delay=60)
    assert policy.allows("http://a.example/public", "news-ingest")
    assert not policy.allows("http://a.example/private/x", "news-ingest")
    assert policy.delay("news-ingest") == 3.0


def rules_downloading_with(download: Callable[[str], Awaitable[FetchResult]]) -> RobotsRules:
    return RobotsRules(
        user_agent="news-ingest/0.1",
        ttl=3600,
        retry_delay=60,
        max_crawl_delay=30,
        download=download,
    )


def test_rules_download_once_per_origin_and_cap_the_crawl_delay() -> None:
    downloads: list[str] = []

    async def download(url: str) -> FetchResult:
        downloads.append(url)
        body = b"User-agent: *\nDisallow: /private\nCrawl-delay: 90\n"
        return robots_download(FetchOutcome.OK, 200, body)

    rules = rules_downloading_with(download)

    async def go() -> tuple[list[str | None], float | None]:
        urls = ["https://a.example/x", "https://A.example:443/private/y", "http://a.example/z"]
        policies = [await rules.policy(httpx.URL(url)) for url in urls]
        denials = [rules.denial(p, httpx.URL(u)) for p, u in zip(policies, urls, strict=True)]
        return denials, rules.crawl_delay(policies[0])

    denials, delay = asyncio.run(go())
    assert denials == [None, "robots.txt disallows it", None]
    assert delay == 30.0  # asked for 90
    assert downloads == ["https://a.example/robots.txt", "http://a.example/robots.txt"]


def test_an_unreadable_file_is_a_denial_that_says_why() -> None:
    async def download(url: str) -> FetchResult:
        return robots_download(FetchOutcome.TIMEOUT, None)

    rules = rules_downloading_with(download)
    policy = asyncio.run(rules.policy(httpx.URL("https://a.example/")))
    assert (
        rules.denial(policy, httpx.URL("https://a.example/"))
        == "robots.txt unavailable: timeout: detail"
    )
    assert rules.crawl_delay(policy) is None


def robots(text: str) -> Response:
    return Response(body=text.encode(), content_type="text/plain")


def timed_page(stamps: list[float]) -> Callable[[Request], Response]:
    def route(request: Request) -> Response:
        stamps.append(time.monotonic())
        return Response(body=PAGE)

    return route


def test_robots_404_allows_everything(local_server: LocalServer) -> None:
    local_server.route("/p", Response(body=PAGE))
    (result,), log = fetch_all(settings(respect_robots=True), [local_server.url("/p")])
    assert result.outcome is FetchOutcome.OK
    assert [(r.purpose, r.outcome, r.status) for r in log] == [
        (Purpose.ROBOTS, FetchOutcome.HTTP_ERROR, 404),
        (Purpose.PAGE, FetchOutcome.OK, 200),
    ]


def test_robots_500_denies_for_now_then_is_asked_again(local_server: LocalServer) -> None:
    local_server.route("/robots.txt", Response(status=500, body=b"oops", content_type="text/plain"))
    local_server.route("/p", Response(body=PAGE))
    url = local_server.url("/p")

    async def go() -> tuple[FetchResult, FetchResult, FetchResult]:
        s = settings(respect_robots=True, robots_retry_delay=0.4, retries=2)
        async with Fetcher(s) as fetcher:
            first = await fetcher.fetch(url)
            second = await fetcher.fetch(url)  # within the back-off: not asked again
            local_server.route("/robots.txt", robots("User-agent: *\nAllow: /\n"))
            await asyncio.sleep(0.5)
            third = await fetcher.fetch(url)
            return first, second, third

    first, second, third = asyncio.run(go())
    assert first.outcome is FetchOutcome.ROBOTS_DENIED
    assert "robots.txt unavailable" in (first.error or "") and "500" in (first.error or "")
    assert first.attempts == 0
    assert second.outcome is FetchOutcome.ROBOTS_DENIED
    assert third.outcome is FetchOutcome.OK
    assert local_server.hits("/robots.txt") == 2  # robots.txt itself is not retried in place
    assert local_server.hits("/p") == 1


def test_robots_that_hangs_denies_within_the_deadline(local_server: LocalServer) -> None:
    release = threading.Event()

    def hang(request: Request) -> Response:
        release.wait(5)
        return robots("User-agent: *\nAllow: /\n")

    local_server.route("/robots.txt", hang)
    local_server.route("/p", Response(body=PAGE))
    started = time.monotonic()
    try:
        (result,), log = fetch_all(
            settings(respect_robots=True, total_timeout=1.0), [local_server.url("/p")]
        )
    finally:
        release.set()
    assert result.outcome is FetchOutcome.ROBOTS_DENIED
    assert "robots.txt unavailable" in (result.error or "")
    assert time.monotonic() - started < 2.5
    assert [(r.purpose, r.outcome) for r in log] == [
        (Purpose.ROBOTS, FetchOutcome.TIMEOUT),
        (Purpose.PAGE, FetchOutcome.ROBOTS_DENIED),
    ]
    assert local_server.hits("/p") == 0


def test_disallowed_path_is_denied_and_robots_is_cached(local_server: LocalServer) -> None:
    local_server.route(
        "/robots.txt",
        robots(
            "User-agent: *\nDisallow: /private\n\nUser-agent: news-ingest\nDisallow: /not-for-us\n"
        ),
    )
    for path in ("/public", "/private/a", "/not-for-us/b", "/elsewhere"):
        local_server.route(path, Response(body=PAGE))
    urls = [local_server.url(p) for p in ("/public", "/private/a", "/not-for-us/b", "/elsewhere")]
    results, log = fetch_all(settings(respect_robots=True), urls)
    # Our token is "news-ingest": its own group applies, and only that group.
    assert robots_token(settings().user_agent) == "news-ingest"
    assert [r.outcome for r in results] == [
        FetchOutcome.OK,
        FetchOutcome.OK,
        FetchOutcome.ROBOTS_DENIED,
        FetchOutcome.OK,
    ]
    assert results[2].error == "robots.txt disallows it"
    assert local_server.hits("/robots.txt") == 1
    assert local_server.hits("/not-for-us/b") == 0
    assert sum(r.purpose is Purpose.ROBOTS for r in log) == 1


def test_other_agents_group_applies_to_a_different_token(local_server: LocalServer) -> None:
    local_server.route("/robots.txt", robots("User-agent: *\nDisallow: /private\n"))
    local_server.route("/private/a", Response(body=PAGE))
    (result,), _ = fetch_all(
        settings(respect_robots=True, user_agent="otherbot/2.0"), [local_server.url("/private/a")]
    )
    assert result.outcome is FetchOutcome.ROBOTS_DENIED


def test_redirects_are_checked_against_the_target_robots(local_server: LocalServer) -> None:
    local_server.route("/robots.txt", robots("User-agent: *\nDisallow: /secret\n"))
    local_server.route("/go", Response(status=302, headers={"Location": "/secret/page"}))
    local_server.route("/secret/page", Response(body=PAGE))
    (result,), _ = fetch_all(settings(respect_robots=True), [local_server.url("/go")])
    assert result.outcome is FetchOutcome.ROBOTS_DENIED
    assert result.redirects == (local_server.url("/go"),)
    assert local_server.hits("/secret/page") == 0


def test_crawl_delay_paces_requests(local_server: LocalServer) -> None:
    stamps: list[float] = []
    local_server.route("/robots.txt", robots("User-agent: *\nCrawl-delay: 0.5\n"))
    for i in range(3):
        local_server.route(f"/p{i}", timed_page(stamps))
    urls = [local_server.url(f"/p{i}") for i in range(3)]
    results, _ = fetch_all(settings(respect_robots=True), urls, concurrent=True)
    assert all(r.ok for r in results)
    assert len(stamps) == 3
    assert min(gaps(stamps)) >= 0.45, gaps(stamps)


def test_crawl_delay_is_capped(local_server: LocalServer) -> None:
    stamps: list[float] = []
    local_server.route("/robots.txt", robots("User-agent: *\nCrawl-delay: 3600\n"))
    for i in range(3):
        local_server.route(f"/p{i}", timed_page(stamps))
    urls = [local_server.url(f"/p{i}") for i in range(3)]
    started = time.monotonic()
    results, _ = fetch_all(
        settings(respect_robots=True, max_crawl_delay=0.3), urls, concurrent=True
    )
    assert all(r.ok for r in results)
    assert min(gaps(stamps)) >= 0.25, gaps(stamps)
    assert time.monotonic() - started < 2.0


def test_respect_robots_false_never_asks(local_server: LocalServer) -> None:
    local_server.route("/robots.txt", robots("User-agent: *\nDisallow: /\n"))
    local_server.route("/p", Response(body=PAGE))
    (result,), log = fetch_all(settings(respect_robots=False), [local_server.url("/p")])
    assert result.outcome is FetchOutcome.OK
    assert local_server.hits("/robots.txt") == 0
    assert [r.purpose for r in log] == [Purpose.PAGE]


def test_robots_sitemaps_lists_the_sitemap_lines(local_server: LocalServer) -> None:
    local_server.route(
        "/robots.txt",
        robots(f"User-agent: *\nAllow: /\nSitemap: {local_server.url('/sitemap.xml')}\n"),
    )

    async def go() -> tuple[tuple[str, ...], tuple[str, ...]]:
        async with Fetcher(settings()) as fetcher:
            listed = await fetcher.robots_sitemaps(local_server.url("/any/page"))
            none = await fetcher.robots_sitemaps("not a url")
            return listed, none

    listed, none = asyncio.run(go())
    assert listed == (local_server.url("/sitemap.xml"),)
    assert none == ()


def test_oversized_robots_is_read_up_to_its_cap(local_server: LocalServer) -> None:
    filler = "# padding\n" * 10_000  # ~100 KB of comments before the rules
    local_server.route("/robots.txt", robots(filler + "User-agent: *\nDisallow: /late\n"))
    local_server.route("/late", Response(body=PAGE))
    (small_cap,), _ = fetch_all(
        settings(respect_robots=True, max_robots_bytes=10_000), [local_server.url("/late")]
    )
    (full,), _ = fetch_all(settings(respect_robots=True), [local_server.url("/late")])
    assert small_cap.outcome is FetchOutcome.OK  # the rule lies past the cap: ignored
    assert full.outcome is FetchOutcome.ROBOTS_DENIED
