"""Web batches overlap (the next is fetched and cleaned while one is stored) but commit in order."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers import query, run
from tests.localserver import LocalServer, Request, Response
from tests.textgen import paragraphs

PAGES = 11
BATCH = 3


def page(number: int) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs(f"story-{number}", count=6))
    return (
        f"<html><head><title>Story {number}</title></head><body><nav>Home | News</nav>"
        f"<article><h1>Story number {number}</h1>{body}</article></body></html>"
    ).encode()


@dataclass
class Timeline:
    """When each page was first requested, and when the slow first page's body was all sent."""

    requested: dict[int, float] = field(default_factory=dict)
    first_page_sent: list[float] = field(default_factory=list)


@pytest.fixture
def site(local_server: LocalServer) -> tuple[LocalServer, Timeline]:
    timeline = Timeline()

    def drip(body: bytes) -> Iterator[bytes]:
        yield from (body[i : i + 1024] for i in range(0, len(body), 1024))
        timeline.first_page_sent.append(time.monotonic())  # after the last chunk's delay

    def route(number: int) -> Callable[[Request], Response]:
        def respond(request: Request) -> Response:
            timeline.requested.setdefault(number, time.monotonic())
            if number == 0:  # drips slowly: later batches finish fetching before the first one
                return Response(body=drip(page(number)), chunk_delay=0.4)
            return Response(body=page(number))

        return respond

    for number in range(PAGES):
        local_server.route(f"/news/{number}", route(number))
    urls = "".join(f"<url><loc>{local_server.url(f'/news/{n}')}</loc></url>" for n in range(PAGES))
    local_server.route(
        "/sitemap.xml",
        Response(
            body=f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode(),
            content_type="application/xml",
        ),
    )
    return local_server, timeline


@pytest.mark.usefixtures("prefect_harness")
def test_overlapping_batches_store_every_page_and_commit_in_discovery_order(
    tmp_path: Path, site: tuple[LocalServer, Timeline], db_path: Path
) -> None:
    server, timeline = site
    sources = tmp_path / "sources.toml"
    sources.write_text(
        "[fetch]\nallow_private_addresses = true\nhost_delay = 0\nhost_concurrency = 4\n"
        f"respect_robots = false\n[pipeline]\nbatch_size = {BATCH}\nworkers = 2\n"
        f'[[sources]]\nname = "map"\nkind = "sitemap"\nurl = "{server.url("/sitemap.xml")}"\n',
        encoding="utf-8",
    )

    report = run(sources, db_path)

    counts = report.sources[0].counts
    assert report.sources[0].status == "completed"
    assert (counts.found, counts.fetched, counts.new + counts.duplicates) == (PAGES, PAGES, PAGES)
    rows = query(db_path, "SELECT url, article_id FROM articles")
    ids = {url.rsplit("/", 1)[1]: article_id for url, article_id in rows}
    assert len(ids) == PAGES
    batches = [range(start, min(start + BATCH, PAGES)) for start in range(0, PAGES, BATCH)]
    # Article ids are given at commit: every batch's ids are above the previous batch's.
    for earlier, later in itertools.pairwise(batches):
        assert max(ids[str(n)] for n in earlier) < min(ids[str(n)] for n in later)
    # Overlap: the second batch was fetched while the first still waited for its slow page,
    # and no third batch started before the first was stored (two batches in flight at most).
    (sent,) = timeline.first_page_sent
    assert max(timeline.requested[n] for n in batches[1]) < sent
    assert min(timeline.requested[n] for n in batches[2]) > sent
