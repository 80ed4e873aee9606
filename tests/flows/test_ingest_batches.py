"""Web batches overlap (the next is fetched and cleaned while one is stored) but commit in order."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import duckdb
import pytest

from flows.ingest import ingest
from tests.localserver import LocalServer, Response
from tests.textgen import paragraphs

PAGES = 11
BATCH = 3


def page(number: int) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs(f"story-{number}", count=6))
    return (
        f"<html><head><title>Story {number}</title></head><body><nav>Home | News</nav>"
        f"<article><h1>Story number {number}</h1>{body}</article></body></html>"
    ).encode()


@pytest.fixture
def site(local_server: LocalServer) -> LocalServer:
    for number in range(PAGES):
        # The first page drips slowly: later batches finish fetching before the first one.
        body = page(number)
        delay = 0.4 if number == 0 else 0.0
        chunks = [body[i : i + 1024] for i in range(0, len(body), 1024)] if delay else body
        local_server.route(f"/news/{number}", Response(body=chunks, chunk_delay=delay))
    urls = "".join(f"<url><loc>{local_server.url(f'/news/{n}')}</loc></url>" for n in range(PAGES))
    local_server.route(
        "/sitemap.xml",
        Response(
            body=f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode(),
            content_type="application/xml",
        ),
    )
    return local_server


@pytest.mark.usefixtures("prefect_harness")
def test_overlapping_batches_store_every_page_and_commit_in_discovery_order(
    tmp_path: Path, site: LocalServer, db_path: Path
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        "[fetch]\nallow_private_addresses = true\nhost_delay = 0\nhost_concurrency = 4\n"
        f"respect_robots = false\n[pipeline]\nbatch_size = {BATCH}\nworkers = 2\n"
        f'[[sources]]\nname = "map"\nkind = "sitemap"\nurl = "{site.url("/sitemap.xml")}"\n',
        encoding="utf-8",
    )

    report = asyncio.run(ingest(sources_path=str(sources), db_path=str(db_path)))

    counts = report.sources[0].counts
    assert report.sources[0].status == "completed"
    assert (counts.found, counts.fetched, counts.new + counts.duplicates) == (PAGES, PAGES, PAGES)
    with duckdb.connect(str(db_path), read_only=True) as conn:
        rows = conn.execute("SELECT url, article_id FROM articles").fetchall()
    ids = {url.rsplit("/", 1)[1]: article_id for url, article_id in rows}
    assert len(ids) == PAGES
    batches = [range(start, min(start + BATCH, PAGES)) for start in range(0, PAGES, BATCH)]
    # Article ids are given at commit: every batch's ids are above the previous batch's.
    for earlier, later in itertools.pairwise(batches):
        assert max(ids[str(n)] for n in earlier) < min(ids[str(n)] for n in later)
