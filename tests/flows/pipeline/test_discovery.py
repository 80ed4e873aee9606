"""Which feeds, sitemaps and URL lists failed their source's discovery."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from connectors.http import Fetcher, FetchOutcome, FetchRecord, Purpose
from connectors.records import Candidate, EntryHints, Rejected, RejectReason
from connectors.urllist import UrlListSource
from flows.pipeline.discovery import DiscoveryWatch

FEED = "https://news.example/rss.xml"


def record(url: str, outcome: FetchOutcome, error: str | None = None) -> FetchRecord:
    return FetchRecord(
        url=url,
        final_url=url,
        purpose=Purpose.FEED,
        outcome=outcome,
        status=None,
        bytes=0,
        elapsed_ms=1,
        etag=None,
        last_modified=None,
        content_type=None,
        error=error,
        attempts=1,
        redirects=0,
        redirect_chain=(),
        fetched_at=datetime(2024, 5, 1, tzinfo=UTC),
    )


def entry(container: str) -> Candidate:
    return Candidate(
        "https://news.example/a", "s", EntryHints(origin="feed", container_url=container)
    )


def test_fetches_that_were_not_usable_fail_discovery() -> None:
    watch = DiscoveryWatch()
    fetches = [
        record(FEED, FetchOutcome.OK),
        record("https://news.example/old.xml", FetchOutcome.NOT_MODIFIED),
        record("https://news.example/gone.xml", FetchOutcome.HTTP_ERROR, "HTTP 410 Gone"),
    ]
    assert watch.failures(fetches) == [
        "feed https://news.example/gone.xml could not be fetched: http_error (HTTP 410 Gone)"
    ]


def test_a_malformed_feed_fails_only_when_nothing_could_be_read_from_it() -> None:
    watch = DiscoveryWatch()
    partial, broken = "https://news.example/partial.xml", "https://news.example/broken.xml"
    for item in (
        entry(partial),
        Rejected("s", partial, RejectReason.MALFORMED_FEED, "1 entries without a link skipped"),
        Rejected("s", broken, RejectReason.MALFORMED_FEED, "not well-formed"),
        Rejected("s", "https://news.example/x#line=2", RejectReason.INVALID_URL, "not a URL"),
    ):
        watch.note(item)
    assert watch.failures([]) == [f"{broken} could not be parsed: not well-formed"]
    watch.clear()
    assert watch.failures([]) == []


def test_a_url_list_that_vanished_fails_discovery(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("https://news.example/a\n", encoding="utf-8")
    source = UrlListSource(name="list", path=urls)
    urls.unlink()  # after the run checked the sources file, before discovery
    watch = DiscoveryWatch()

    async def discover() -> None:
        async for item in source.discover(cast(Fetcher, None), {}):
            watch.note(item)

    asyncio.run(discover())
    (failure,) = watch.failures([])
    assert failure.startswith(f"{urls.as_uri()} could not be read: ")
