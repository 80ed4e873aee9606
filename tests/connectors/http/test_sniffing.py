"""connectors.http.sniffing: the content types each purpose accepts, and body sniffing."""

from __future__ import annotations

import pytest

from connectors.http import FetchOutcome, Purpose
from tests.connectors.http.fetching import PAGE, fetch_all, fetch_one, settings
from tests.localserver import LocalServer, Response

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
