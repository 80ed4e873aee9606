"""connectors.http.targets: which URLs are requested, and where redirects lead."""

from __future__ import annotations

import logging

import httpx
import pytest

from connectors.http import FetchOutcome
from connectors.http.results import Reply
from connectors.http.targets import RedirectChain, origin, port, request_target
from tests.connectors.http.fetching import PAGE, fetch_all, fetch_one, settings
from tests.localserver import LocalServer, Response


def redirect(location: str) -> Reply:
    return Reply(None, status=302, location=location)


def chain(first: str, *, max_redirects: int = 5) -> RedirectChain:
    return RedirectChain(httpx.URL(first), max_redirects=max_redirects, max_url_length=2083)


# ---------------------------------------------------------------- the rules


def test_a_good_url_is_requested_without_its_fragment() -> None:
    target = request_target("  https://News.example/a?b=1#top ", max_length=2083)
    assert isinstance(target, httpx.URL)
    assert str(target) == "https://news.example/a?b=1"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://exa$mple.com/", "invalid host"),
        ("https://" + "a" * 64 + ".example/", "invalid host"),
        ("https://" + ("a" * 60 + ".") * 5 + "example/", "invalid host"),
        ("ftp://example.com/", "http"),
    ],
)
def test_hosts_that_are_not_dns_names_are_refused(url: str, problem: str) -> None:
    target = request_target(url, max_length=2083)
    assert isinstance(target, str)
    assert problem in target


def test_ip_literals_ports_and_origins() -> None:
    v6 = request_target("http://[::1]:8080/x", max_length=2083)
    assert isinstance(v6, httpx.URL)
    assert port(v6) == 8080
    assert port(httpx.URL("https://a.example/")) == 443
    assert port(httpx.URL("http://a.example/")) == 80
    assert origin(httpx.URL("https://A.Example/path?q")) == "https://a.example:443"


def test_redirects_are_joined_and_counted() -> None:
    redirects = chain("http://a.example/one/page", max_redirects=2)
    first = redirects.next_hop(httpx.URL("http://a.example/one/page"), redirect("../two"))
    assert isinstance(first, httpx.URL)
    assert first == httpx.URL("http://a.example/two")
    second = redirects.next_hop(first, redirect("//b.example/three"))
    assert isinstance(second, httpx.URL)
    assert second == httpx.URL("http://b.example/three")
    third = redirects.next_hop(second, redirect("/four"))
    assert isinstance(third, Reply)
    assert third.outcome is FetchOutcome.TOO_MANY_REDIRECTS
    assert third.status == 302  # the response that asked for one more


def test_a_redirect_back_is_a_loop() -> None:
    redirects = chain("http://a.example/x")
    back = redirects.next_hop(httpx.URL("http://a.example/y"), redirect("/x#frag"))
    assert isinstance(back, Reply)
    assert back.outcome is FetchOutcome.REDIRECT_LOOP


def test_a_bad_location_is_a_bad_url() -> None:
    bad = chain("http://a.example/").next_hop(httpx.URL("http://a.example/"), redirect("mailto:x"))
    assert isinstance(bad, Reply)
    assert bad.outcome is FetchOutcome.BAD_URL
    assert "mailto:x" in (bad.error or "")


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


@pytest.mark.parametrize(
    "location",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)//",
        "data:text/html,<b>hi</b>",
        "mailto:desk@news.example",
        "http://[::1",
    ],
)
def test_a_redirect_to_a_non_http_target_is_one_bad_url_line_not_held_against_the_host(
    local_server: LocalServer, location: str, caplog: pytest.LogCaptureFixture
) -> None:
    local_server.route("/r", Response(status=302, headers={"Location": location}))
    local_server.route("/p", Response(body=PAGE))
    urls = [local_server.url("/r")] * 3 + [local_server.url("/p")]

    with caplog.at_level(logging.DEBUG, logger="connectors"):
        results, _ = fetch_all(settings(breaker_threshold=2), urls)

    assert [r.outcome for r in results] == [FetchOutcome.BAD_URL] * 3 + [FetchOutcome.OK]
    assert all(location in (r.error or "") for r in results[:3])
    assert results[0].status == 302  # the response that asked for it
    assert results[0].attempts == 1  # sent once: a redirect is not retried
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    refused = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(refused) == 3  # each is logged once, on one line, naming the target
    assert all(location in r.getMessage() and "\n" not in r.getMessage() for r in refused)
