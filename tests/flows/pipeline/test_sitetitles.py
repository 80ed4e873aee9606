"""What hosts teach about their titles: stored page titles read back, handed to the cleaner."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from connectors.records import Media, RawDocument, raw_hash
from flows.dedupe.fingerprint import fingerprint
from flows.extract.clean import clean
from flows.extract.records import Article
from flows.extract.titles import SiteTitles
from flows.pipeline.persist import BatchResult, persist_batch, persist_run_start
from flows.pipeline.persist import persist_source_start as source_start
from flows.pipeline.sitetitles import SiteTitleMemory, host_of
from tests.textgen import paragraphs
from warehouse import lookups
from warehouse.connection import Connection, connect

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
HEADLINES = (
    "Harbour plan approved",
    "Night trains return",
    "Library opens late",
    "Ferry fares cut",
)


def page(headline: str, seed: int) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs(f"site-{seed}", count=4))
    return f"<html><head><title>{headline} | Politics | Bugle Daily</title></head><body>{body}</body></html>"


def cleaned(index: int, site: SiteTitles | None = None) -> Article:
    html = page(HEADLINES[index], index)
    url = f"https://www.news.example/{index}"
    doc = RawDocument("s", url, url, html, Media.HTML, raw_hash(html.encode()), T0)
    result = clean(doc, site)
    assert isinstance(result, Article), result
    return result


@pytest.fixture
def conn(db_path: Path) -> Iterator[Connection]:
    with connect(db_path) as conn:
        run_id = uuid4()
        persist_run_start(
            conn, run_id=run_id, flow_run_id=None, at=T0, sources_file="x", selected=[]
        )
        source_start(conn, run_id=run_id, source="s", kind="files", at=T0)
        result = BatchResult("s", seen_at=T0)
        result.articles.extend((a, fingerprint(a)) for a in (cleaned(0), cleaned(1)))
        persist_batch(conn, result, run_id=run_id)
        yield conn


def test_the_stated_title_and_the_organisations_are_stored(conn: Connection) -> None:
    stored = conn.execute(
        "SELECT title, page_title, organisations FROM main.article_versions ORDER BY article_id"
    ).fetchall()
    assert stored[0] == (
        "Harbour plan approved | Politics | Bugle Daily",  # nothing taught it otherwise yet
        "Harbour plan approved | Politics | Bugle Daily",
        [],
    )
    assert lookups.page_titles(conn, ["news.example", "other.example"], per_host=1) == {
        "news.example": ["Night trains return | Politics | Bugle Daily"]
    }


def test_the_next_page_of_the_host_is_cleaned_with_what_the_stored_ones_taught(
    conn: Connection,
) -> None:
    memory = SiteTitleMemory()
    url = "https://www.news.example/2"
    memory.load(conn, [url, None])
    site = memory.site(url)
    assert site is not None
    assert site.suffixes == frozenset({"politics", "bugledaily"})
    assert cleaned(2, site).title == "Library opens late"
    assert memory.site("https://elsewhere.example/x") is None


def test_the_runs_own_articles_teach_too() -> None:
    memory = SiteTitleMemory(per_host=2)
    url = "https://www.news.example/3"
    assert memory.site(url) is None
    for index in range(3):
        article = cleaned(index)
        memory.remember((article, fingerprint(article)))
    site = memory.site(url)
    assert site is not None and "bugledaily" in site.suffixes
    assert cleaned(3, site).title == "Ferry fares cut"


def test_host_of_is_the_articles_host() -> None:
    assert host_of("https://WWW.News.Example:8443/a") == "news.example"
    assert host_of("file:///tmp/a.html") is None
    assert host_of(None) is None
    assert host_of("http://[::1") is None
