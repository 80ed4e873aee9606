"""connectors.http.targets: which URLs are requested, and where redirects lead."""

from __future__ import annotations

import pytest

from connectors.http import FetchOutcome
from tests.connectors.http.fetching import PAGE, fetch_one, settings
from tests.localserver import LocalServer, Response

# ------------------------------------------------------- through the fetcher


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
