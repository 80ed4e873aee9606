"""connectors.http.client against a real HTTP server on 127.0.0.1: the ordinary paths and the log.

Helpers shared by the other test_fetch_* modules and the feed and sitemap
tests live here: ``PAGE``, ``settings``, ``fetch_all``, ``fetch_one``,
``discover`` and ``gaps``.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import brotli  # type: ignore[import-untyped]
import pytest
import zstandard

from connectors.errors import FetcherClosedError, FetchSettingsError
from connectors.http import (
    Fetcher,
    FetchOutcome,
    FetchRecord,
    FetchResult,
    FetchSettings,
    Purpose,
)
from connectors.protocols import WebSource
from connectors.records import CaptureRef, Validators
from tests.localserver import LocalServer, Request, Response

PAGE = b"<!doctype html><html><head><title>t</title></head><body><p>Hello</p></body></html>"


def settings(**overrides: object) -> FetchSettings:
    """Fast test settings: local addresses allowed, no pacing, robots off, short timeouts."""
    values: dict[str, object] = {
        "allow_private_addresses": True,
        "host_delay": 0.0,
        "respect_robots": False,
        "retries": 0,
        "retry_backoff": 0.05,
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "total_timeout": 3.0,
    }
    values.update(overrides)
    return FetchSettings(**values)  # type: ignore[arg-type]


def fetch_all(
    fetch_settings: FetchSettings,
    urls: Sequence[str],
    *,
    purpose: Purpose = Purpose.PAGE,
    validators: Validators | None = None,
    concurrent: bool = False,
    **fetcher_options: object,
) -> tuple[list[FetchResult], list[FetchRecord]]:
    """Fetch URLs with one Fetcher (in order, or all at once); return results and the log."""

    async def go() -> tuple[list[FetchResult], list[FetchRecord]]:
        async with Fetcher(fetch_settings, **fetcher_options) as fetcher:  # type: ignore[arg-type]
            if concurrent:
                calls = [fetcher.fetch(u, purpose=purpose, validators=validators) for u in urls]
                results = list(await asyncio.gather(*calls))
            else:
                results = [
                    await fetcher.fetch(u, purpose=purpose, validators=validators) for u in urls
                ]
            return results, fetcher.drain_log()

    return asyncio.run(go())


def fetch_one(
    fetch_settings: FetchSettings, url: str, **options: object
) -> tuple[FetchResult, list[FetchRecord]]:
    """Fetch one URL; return its result and the log."""
    results, log = fetch_all(fetch_settings, [url], **options)  # type: ignore[arg-type]
    return results[0], log


def discover(
    source: WebSource,
    known: Mapping[str, Validators] | None = None,
    fetch_settings: FetchSettings | None = None,
) -> tuple[list[Any], list[FetchRecord]]:
    """Run a web source's discovery through one Fetcher (robots on); return its items and the log.

    The items are Candidate or Rejected; typed Any so tests index them as they expect.
    """

    async def go() -> tuple[list[Any], list[FetchRecord]]:
        async with Fetcher(fetch_settings or settings(respect_robots=True)) as fetcher:
            items = [item async for item in source.discover(fetcher, known or {})]
            return items, fetcher.drain_log()

    return asyncio.run(go())


def gaps(stamps: list[float]) -> list[float]:
    """Seconds between consecutive time stamps, in time order."""
    ordered = sorted(stamps)
    return [b - a for a, b in itertools.pairwise(ordered)]


# ----------------------------------------------------------------------------- ordinary pages


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


def test_redirect_chain_is_followed_and_recorded(local_server: LocalServer) -> None:
    local_server.route("/a", Response(status=301, headers={"Location": "/b"}))
    local_server.route("/b", Response(status=302, headers={"Location": local_server.url("/c")}))
    local_server.route("/c", Response(status=307, headers={"Location": "d"}))
    local_server.route("/d", Response(body=PAGE))
    result, log = fetch_one(settings(), local_server.url("/a"))
    assert result.outcome is FetchOutcome.OK
    assert result.final_url == local_server.url("/d")
    assert result.redirects == tuple(local_server.url(p) for p in ("/a", "/b", "/c"))
    assert result.attempts == 4
    assert log[0].redirects == 3 and log[0].redirect_chain == result.redirects


def test_redirect_loop_is_detected(local_server: LocalServer) -> None:
    local_server.route("/x", Response(status=302, headers={"Location": "/y"}))
    local_server.route("/y", Response(status=302, headers={"Location": "/x"}))
    result, _ = fetch_one(settings(), local_server.url("/x"))
    assert result.outcome is FetchOutcome.REDIRECT_LOOP
    assert result.redirects == (local_server.url("/x"),)
    assert result.final_url == local_server.url("/y")
    assert local_server.hits("/x") == 1 and local_server.hits("/y") == 1


def test_more_than_max_redirects(local_server: LocalServer) -> None:
    for i in range(8):
        local_server.route(f"/r{i}", Response(status=302, headers={"Location": f"/r{i + 1}"}))
    result, _ = fetch_one(settings(max_redirects=5), local_server.url("/r0"))
    assert result.outcome is FetchOutcome.TOO_MANY_REDIRECTS
    assert len(result.redirects) == 5
    assert local_server.hits("/r6") == 0  # the sixth redirect is not followed
    exactly, _ = fetch_one(settings(max_redirects=6), local_server.url("/r2"))
    assert exactly.outcome is FetchOutcome.HTTP_ERROR  # /r8 is a 404 after 6 redirects
    assert exactly.status == 404 and len(exactly.redirects) == 6


def test_redirect_to_non_http_scheme_is_bad_url(local_server: LocalServer) -> None:
    local_server.route("/x", Response(status=302, headers={"Location": "file:///etc/passwd"}))
    result, _ = fetch_one(settings(), local_server.url("/x"))
    assert result.outcome is FetchOutcome.BAD_URL
    assert "file" in (result.error or "")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a url",
        "ftp://example.com/file",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://",
        "http:///path",
        "http://[::1",
        "http://exa mple.com/",
        "http://a\x00b/",
        "http://example.com/" + "a" * 3000,
    ],
)
def test_invalid_urls_are_bad_url_without_a_request(url: str) -> None:
    result, log = fetch_one(settings(), url)
    assert result.outcome is FetchOutcome.BAD_URL
    assert result.attempts == 0
    assert result.error
    assert [r.outcome for r in log] == [FetchOutcome.BAD_URL]


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


# ----------------------------------------------------------------------------- content types


def test_non_html_page_is_not_html_and_body_dropped(local_server: LocalServer) -> None:
    local_server.route("/doc.pdf", Response(body=b"%PDF-1.7 ...", content_type="application/pdf"))
    result, _ = fetch_one(settings(), local_server.url("/doc.pdf"))
    assert result.outcome is FetchOutcome.NOT_HTML
    assert result.body == b""
    assert result.content_type == "application/pdf"
    assert "application/pdf" in (result.error or "")


def test_missing_content_type_is_sniffed(local_server: LocalServer) -> None:
    local_server.route("/html", Response(body=PAGE, content_type=None))
    local_server.route("/bin", Response(body=b"\x89PNG\r\n\x1a\n\x00\x00", content_type=None))
    (html, binary), _ = fetch_all(settings(), [local_server.url("/html"), local_server.url("/bin")])
    assert html.outcome is FetchOutcome.OK and html.body == PAGE
    assert binary.outcome is FetchOutcome.NOT_HTML and binary.body == b""


def test_nul_bytes_and_invalid_utf8_come_back_as_bytes(local_server: LocalServer) -> None:
    body = b"<html><body>\x00\x00 bad \xff\xfe\xc3\x28 utf-8 \x00</body></html>"
    local_server.route("/p", Response(body=body, content_type="text/html; charset=utf-8"))
    result, _ = fetch_one(settings(), local_server.url("/p"))
    assert result.outcome is FetchOutcome.OK
    assert result.body == body
    assert "\ufffd" in result.text()


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/rss+xml", b"<?xml version='1.0'?><rss/>", FetchOutcome.OK),
        ("application/atom+xml", b"<feed xmlns='http://www.w3.org/2005/Atom'/>", FetchOutcome.OK),
        (
            "application/feed+json",
            b'{"version": "https://jsonfeed.org/version/1.1"}',
            FetchOutcome.OK,
        ),
        ("text/html", b"<?xml version='1.0'?><rss version='2.0'/>", FetchOutcome.OK),
        ("text/plain", b'{"items": []}', FetchOutcome.OK),
        ("text/html", PAGE, FetchOutcome.NOT_HTML),
        ("image/png", b"\x89PNG", FetchOutcome.NOT_HTML),
    ],
)
def test_feed_content_types(
    local_server: LocalServer, content_type: str, body: bytes, expected: FetchOutcome
) -> None:
    local_server.route("/feed", Response(body=body, content_type=content_type))
    result, _ = fetch_one(settings(), local_server.url("/feed"), purpose=Purpose.FEED)
    assert result.outcome is expected
    assert result.body == (body if expected is FetchOutcome.OK else b"")


def test_sitemap_gzip_file_is_gunzipped(local_server: LocalServer) -> None:
    xml = b"<?xml version='1.0'?><urlset><url><loc>http://a/</loc></url></urlset>"
    local_server.route(
        "/sitemap.xml.gz", Response(body=gzip.compress(xml), content_type="application/x-gzip")
    )
    local_server.route("/sitemap.txt", Response(body=b"http://a/\n", content_type="text/plain"))
    (gz, txt), _ = fetch_all(
        settings(),
        [local_server.url("/sitemap.xml.gz"), local_server.url("/sitemap.txt")],
        purpose=Purpose.SITEMAP,
    )
    assert gz.outcome is FetchOutcome.OK and gz.body == xml
    assert txt.outcome is FetchOutcome.OK and txt.body == b"http://a/\n"


# ----------------------------------------------------------------------------- content codings


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", _raw_deflate),
        ("br", brotli.compress),
        ("zstd", lambda data: zstandard.ZstdCompressor().compress(data)),
        ("identity", lambda data: data),
    ],
)
def test_content_codings_are_decoded(local_server: LocalServer, coding: str, encode) -> None:
    body = PAGE * 2000  # ~170 KB: several decoding steps
    local_server.route("/p", Response(body=encode(body), headers={"Content-Encoding": coding}))
    result, _ = fetch_one(settings(), local_server.url("/p"))
    assert result.outcome is FetchOutcome.OK, result.error
    assert result.body == body


def test_multi_member_gzip_and_stacked_codings(local_server: LocalServer) -> None:
    local_server.route(
        "/members",
        Response(
            body=gzip.compress(b"<html>one ") + gzip.compress(b"two</html>"),
            headers={"Content-Encoding": "gzip"},
        ),
    )
    local_server.route(
        "/stacked",
        Response(
            body=brotli.compress(gzip.compress(PAGE)), headers={"Content-Encoding": "gzip, br"}
        ),
    )
    (members, stacked), _ = fetch_all(
        settings(), [local_server.url("/members"), local_server.url("/stacked")]
    )
    assert members.body == b"<html>one two</html>"
    assert stacked.outcome is FetchOutcome.OK and stacked.body == PAGE


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", b"this is not gzip at all"),
        ("br", b"\xff\xff\xff\xff not brotli"),
        ("zstd", b"not zstd either, no magic"),
        ("compress", b"whatever"),
    ],
)
def test_corrupt_or_unknown_coding_is_decoding_error(
    local_server: LocalServer, coding: str, body: bytes
) -> None:
    local_server.route("/p", Response(body=body, headers={"Content-Encoding": coding}))
    result, _ = fetch_one(settings(), local_server.url("/p"))
    assert result.outcome is FetchOutcome.DECODING_ERROR
    assert result.body == b""
    assert result.error


# ----------------------------------------------------------------------------- capture and log


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


def test_fetch_outside_context_raises_and_bad_settings_rejected() -> None:
    with pytest.raises(FetcherClosedError):
        asyncio.run(Fetcher(settings()).fetch("http://127.0.0.1/"))
    with pytest.raises(FetchSettingsError, match="host_concurrency"):
        FetchSettings(host_concurrency=0)
    with pytest.raises(FetchSettingsError, match="private_allowlist"):
        FetchSettings(private_allowlist=("not-a-network",))
    with pytest.raises(FetchSettingsError, match="total_timeout"):
        FetchSettings(total_timeout=0)
