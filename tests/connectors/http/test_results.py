"""connectors.http.results: what counts against a host, which validators are kept, the log row."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from connectors.http import FetchOutcome, FetchRecord, FetchResult, Purpose
from connectors.http.results import Reply
from connectors.records import Validators


@pytest.mark.parametrize(
    ("reply", "counts"),
    [
        (Reply(FetchOutcome.TIMEOUT), True),
        (Reply(FetchOutcome.NETWORK_ERROR), True),
        (Reply(FetchOutcome.TRUNCATED), True),
        (Reply(FetchOutcome.HTTP_ERROR, status=503), True),
        (Reply(FetchOutcome.HTTP_ERROR, status=429), True),
        (Reply(FetchOutcome.HTTP_ERROR, status=404), False),
        (Reply(FetchOutcome.NOT_HTML, status=200), False),
        (Reply(None, status=301, location="/x"), False),
        (Reply(FetchOutcome.OK, status=200), False),
        (Reply(FetchOutcome.PRIVATE_ADDRESS), None),
        (Reply(FetchOutcome.BAD_URL), None),
    ],
)
def test_which_replies_count_against_the_host(reply: Reply, counts: bool | None) -> None:
    assert reply.host_failed() is counts


def test_a_304_keeps_the_sent_validators_it_does_not_repeat() -> None:
    sent = Validators(etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    not_modified = Reply(
        FetchOutcome.NOT_MODIFIED, status=304, headers=httpx.Headers({"ETag": '"v2"'})
    )
    assert not_modified.validators(sent) == Validators('"v2"', sent.last_modified)
    assert Reply(FetchOutcome.NOT_MODIFIED).validators(sent) == sent
    ok = Reply(FetchOutcome.OK, status=200, headers=httpx.Headers({"ETag": '"v2"'}))
    assert ok.validators(sent) == Validators(etag='"v2"')  # a new page: only its own


def test_headers_keep_the_server_s_spelling_and_order() -> None:
    headers = httpx.Headers([("X-Thing", "1"), ("content-TYPE", "text/html"), ("x-thing", "2")])
    reply = Reply(FetchOutcome.OK, status=200, headers=headers)
    assert reply.header_items() == (
        ("X-Thing", "1"),
        ("content-TYPE", "text/html"),
        ("x-thing", "2"),
    )
    assert reply.content_type == "text/html"
    assert Reply.refused(FetchOutcome.BAD_URL, "no").header_items() == ()


def test_a_refusal_can_carry_the_response_that_caused_it() -> None:
    response = Reply(None, status=302, headers=httpx.Headers({"Location": "/a"}), location="/a")
    refusal = Reply.refused(FetchOutcome.REDIRECT_LOOP, "loop").caused_by(response)
    assert (refusal.outcome, refusal.status, refusal.error) == (
        FetchOutcome.REDIRECT_LOOP,
        302,
        "loop",
    )
    assert refusal.headers is response.headers


def test_the_log_row_of_a_result() -> None:
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    result = FetchResult(
        url="http://a.example/r",
        final_url="http://a.example/p",
        purpose=Purpose.PAGE,
        outcome=FetchOutcome.OK,
        status=200,
        body=b"<html>12345</html>",
        content_type="text/html",
        validators=Validators(etag='"e"'),
        redirects=("http://a.example/r",),
        headers=(),
        error=None,
        elapsed=0.1234,
        fetched_at=when,
        attempts=2,
    )
    record = FetchRecord.from_result(result)
    assert record.bytes == 18
    assert record.elapsed_ms == 123
    assert (record.etag, record.last_modified) == ('"e"', None)
    assert (record.redirects, record.redirect_chain) == (1, ("http://a.example/r",))
    assert (record.final_url, record.attempts, record.fetched_at) == (
        "http://a.example/p",
        2,
        when,
    )
