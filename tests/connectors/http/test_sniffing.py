"""connectors.http.sniffing: the content types each purpose accepts, and body sniffing."""

from __future__ import annotations

import pytest

from connectors.http import FetchOutcome, Purpose
from connectors.http.sniffing import Verdict, accept_header, sniff_ok, type_verdict
from tests.connectors.http.fetching import PAGE, fetch_all, fetch_one, settings
from tests.localserver import LocalServer, Response

# ------------------------------------------------------------------- verdicts


@pytest.mark.parametrize(
    ("purpose", "content_type", "verdict"),
    [
        (Purpose.PAGE, "text/html; charset=utf-8", Verdict.ACCEPT),
        (Purpose.PAGE, "application/xhtml+xml", Verdict.ACCEPT),
        (Purpose.PAGE, None, Verdict.SNIFF),
        (Purpose.PAGE, "application/octet-stream", Verdict.SNIFF),
        (Purpose.PAGE, "application/rss+xml", Verdict.REJECT),
        (Purpose.PAGE, "text/plain", Verdict.REJECT),
        (Purpose.FEED, "application/rss+xml", Verdict.ACCEPT),
        (Purpose.FEED, "application/feed+json", Verdict.ACCEPT),
        (Purpose.FEED, "Application/Atom+XML; charset=utf-8", Verdict.ACCEPT),
        (Purpose.FEED, "text/html", Verdict.SNIFF),
        (Purpose.FEED, "image/png", Verdict.REJECT),
        (Purpose.SITEMAP, "application/x-gzip", Verdict.ACCEPT),
        (Purpose.SITEMAP, "text/plain", Verdict.ACCEPT),
        (Purpose.SITEMAP, "application/json", Verdict.SNIFF),
        (Purpose.SITEMAP, "application/pdf", Verdict.REJECT),
        (Purpose.ROBOTS, "image/png", Verdict.ACCEPT),
    ],
)
def test_declared_types_per_purpose(
    purpose: Purpose, content_type: str | None, verdict: Verdict
) -> None:
    assert type_verdict(purpose, content_type) is verdict


@pytest.mark.parametrize(
    ("purpose", "body", "looks_right"),
    [
        (Purpose.PAGE, b"\xef\xbb\xbf\n  <!DOCTYPE html><p>", True),
        (Purpose.PAGE, b"<TITLE>t</TITLE>", True),
        (Purpose.PAGE, b"\x89PNG\r\n", False),
        (Purpose.FEED, b"<?xml version='1.0'?>", True),
        (Purpose.FEED, b"  <rss version='2.0'>", True),
        (Purpose.FEED, b'{"version": "https://jsonfeed.org/version/1.1"}', True),
        (Purpose.FEED, b"<!doctype html><html>", False),
        (Purpose.SITEMAP, b"<urlset xmlns='x'>", True),
        (Purpose.SITEMAP, b"https://a.example/1\nhttps://a.example/2\n", True),
        (Purpose.SITEMAP, b"<html><body>", False),
    ],
)
def test_body_sniffing(purpose: Purpose, body: bytes, looks_right: bool) -> None:
    assert sniff_ok(purpose, body) is looks_right


def test_only_the_first_kilobyte_is_sniffed() -> None:
    assert not sniff_ok(Purpose.PAGE, b" " * 1024 + b"<html>")


def test_each_purpose_asks_for_its_types_first() -> None:
    assert accept_header(Purpose.PAGE).startswith("text/html")
    assert accept_header(Purpose.FEED).startswith("application/rss+xml")
    assert accept_header(Purpose.SITEMAP).startswith("application/xml")
    assert accept_header(Purpose.ROBOTS).startswith("text/plain")


# ------------------------------------------------------- through the fetcher


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
