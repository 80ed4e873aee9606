"""connectors.http.client (the Fetcher) against a real HTTP server on 127.0.0.1: ordinary fetches and the log.

The paths through one part of the client are tested beside that part: redirects
in test_targets, requests and responses in test_exchange, content types in
test_sniffing, content codings in test_decoders, retries in test_retries,
pacing and the breaker in test_hosts.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from connectors.errors import FetcherClosedError
from connectors.http import Fetcher, FetchOutcome, FetchRecord, Purpose
from connectors.records import CaptureRef, Validators
from tests.connectors.http.fetching import PAGE, fetch_all, fetch_one, settings
from tests.localserver import LocalServer, Request, Response


def test_ok_page_with_declared_charset(local_server: LocalServer) -> None:
    body = "<html><body><p>Café à Zürich – “quotes”</p></body></html>".encode("cp1252")
    local_server.route("/p", Response(body=body, content_type="text/html; charset=windows-1252"))
    result, _ = fetch_one(settings(), local_server.url("/p"))
    assert result.outcome is FetchOutcome.OK and result.ok
    assert result.status == 200
    assert result.body == body
    assert "Café à Zürich – “quotes”" in result.text()
    assert result.final_url == local_server.url("/p")
    assert result.redirects == ()
    assert result.attempts == 1
    assert result.error is None
    assert result.fetched_at.tzinfo is UTC


def test_sends_honest_user_agent_and_accepts_every_coding(local_server: LocalServer) -> None:
    local_server.route("/p", Response(body=PAGE))
    fetch_one(settings(user_agent="test-bot/9 (+https://example.org/bot)"), local_server.url("/p"))
    request = local_server.requests[-1]
    assert request.header("user-agent") == "test-bot/9 (+https://example.org/bot)"
    assert request.header("accept-encoding") == "gzip, deflate, br, zstd"


def test_conditional_get_sends_validators_and_304_is_not_modified(
    local_server: LocalServer,
) -> None:
    def page(request: Request) -> Response:
        if request.header("if-none-match") == '"v1"':
            return Response(status=304, body=b"", headers={"ETag": '"v1"'})
        return Response(body=PAGE, headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024"})

    local_server.route("/p", page)
    first, _ = fetch_one(settings(), local_server.url("/p"))
    assert first.outcome is FetchOutcome.OK
    assert first.validators == Validators(etag='"v1"', last_modified="Mon, 01 Jan 2024")

    second, log = fetch_one(settings(), local_server.url("/p"), validators=first.validators)
    assert second.outcome is FetchOutcome.NOT_MODIFIED
    assert second.status == 304
    assert second.body == b""
    # The 304 sent no Last-Modified: the one we sent is kept for next time.
    assert second.validators == first.validators
    sent = local_server.requests[-1]
    assert sent.header("if-none-match") == '"v1"'
    assert sent.header("if-modified-since") == "Mon, 01 Jan 2024"
    assert [r.outcome for r in log] == [FetchOutcome.NOT_MODIFIED]


def test_nul_bytes_and_invalid_utf8_come_back_as_bytes(local_server: LocalServer) -> None:
    body = b"<html><body>\x00\x00 bad \xff\xfe\xc3\x28 utf-8 \x00</body></html>"
    local_server.route("/p", Response(body=body, content_type="text/html; charset=utf-8"))
    result, _ = fetch_one(settings(), local_server.url("/p"))
    assert result.outcome is FetchOutcome.OK
    assert result.body == body
    assert "\ufffd" in result.text()


# ----------------------------------------------------------- capture and log


def test_capture_hook_archives_ok_pages_only(local_server: LocalServer) -> None:
    calls: list[dict[str, object]] = []

    def sink(**kwargs: object) -> CaptureRef:
        calls.append(kwargs)
        return CaptureRef(path="capture.warc.gz", offset=len(calls) * 100)

    local_server.route("/p", Response(body=PAGE, headers={"ETag": '"e"'}))
    local_server.route("/feed", Response(body=b"<rss/>", content_type="application/rss+xml"))
    results, _ = fetch_all(
        settings(), [local_server.url("/p"), local_server.url("/missing")], capture=sink
    )
    feed, _ = fetch_one(settings(), local_server.url("/feed"), purpose=Purpose.FEED, capture=sink)
    ok, missing = results
    assert ok.capture == CaptureRef(path="capture.warc.gz", offset=100)
    assert missing.capture is None and feed.capture is None
    assert len(calls) == 1
    call = calls[0]
    assert call["url"] == local_server.url("/p")
    assert call["status"] == 200
    assert call["body"] == PAGE
    assert ("ETag", '"e"') in call["headers"]  # type: ignore[operator]  # server's spelling
    assert isinstance(call["fetched_at"], datetime)


def test_drain_log_has_one_record_per_fetch_and_robots(local_server: LocalServer) -> None:
    local_server.route(
        "/robots.txt",
        Response(body=b"User-agent: *\nDisallow: /private\n", content_type="text/plain"),
    )
    local_server.route("/p", Response(body=PAGE, headers={"ETag": '"x"'}))
    local_server.route("/r", Response(status=302, headers={"Location": "/p"}))
    local_server.route("/doc", Response(body=b"%PDF", content_type="application/pdf"))
    urls = [local_server.url(p) for p in ("/p", "/r", "/private/a", "/missing", "/doc")]
    urls.append("gopher://x/")

    async def go() -> tuple[list[FetchRecord], list[FetchRecord]]:
        async with Fetcher(settings(respect_robots=True)) as fetcher:
            for url in urls:
                await fetcher.fetch(url)
            return fetcher.drain_log(), fetcher.drain_log()

    log, again = asyncio.run(go())
    assert again == []
    assert [(r.purpose, r.outcome) for r in log] == [
        (Purpose.ROBOTS, FetchOutcome.OK),
        (Purpose.PAGE, FetchOutcome.OK),
        (Purpose.PAGE, FetchOutcome.OK),
        (Purpose.PAGE, FetchOutcome.ROBOTS_DENIED),
        (Purpose.PAGE, FetchOutcome.HTTP_ERROR),
        (Purpose.PAGE, FetchOutcome.NOT_HTML),
        (Purpose.PAGE, FetchOutcome.BAD_URL),
    ]
    robots, page, redirected = log[0], log[1], log[2]
    assert robots.url == local_server.url("/robots.txt")
    assert page.bytes == len(PAGE) and page.etag == '"x"' and page.status == 200
    assert page.content_type == "text/html; charset=utf-8"
    assert redirected.redirects == 1 and redirected.final_url == local_server.url("/p")
    assert log[4].status == 404 and log[4].bytes == 0 and log[4].error
    assert all(r.elapsed_ms >= 0 and r.fetched_at.tzinfo is UTC for r in log)
    assert local_server.hits("/robots.txt") == 1


def test_fetch_outside_context_raises() -> None:
    with pytest.raises(FetcherClosedError):
        asyncio.run(Fetcher(settings()).fetch("http://127.0.0.1/"))
