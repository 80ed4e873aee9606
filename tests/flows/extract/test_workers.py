"""The extraction pool with real pebble workers: a document is cleaned, an overrun and a crash
become reject rows with the right reason, and the pool goes on after both.

Real spawned processes, no mocks. The misbehaving task below is a module-level function so a
worker can import it; the time limit counts from when a worker starts the task (imports are
done by then), so a short limit only ever cuts the deliberate hang.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from connectors.records import Media, RawDocument, Rejected, RejectReason
from flows.dedupe.fingerprint import Features
from flows.extract.records import Article
from flows.extract.titles import learn_site_titles
from flows.extract.workers import ExtractionPool
from flows.pipeline.per_document import ArticlePool, Processed, process_document
from tests.textgen import paragraphs

HANG, CRASH, RAISE = "<hang/>", "<crash/>", "<raise/>"


def misbehaving_task(doc: RawDocument) -> Processed:
    """:func:`process_document`, unless the document asks the worker to hang, die or raise."""
    if doc.content == HANG:
        time.sleep(60)
    elif doc.content == CRASH:
        os._exit(70)  # a segfault-like death: no exception, no cleanup
    elif doc.content == RAISE:
        raise ValueError("a bug in the extractor")
    return process_document(doc)


def document(content: str, *, media: Media = Media.HTML, name: str = "a") -> RawDocument:
    return RawDocument(
        source="test",
        location=f"https://news.example/{name}",
        url=f"https://news.example/{name}",
        content=content,
        media=media,
        raw_hash=name,
        retrieved_at=datetime(2024, 5, 1, tzinfo=UTC),
    )


def article_page(seed: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs(seed))
    return f"<html><head><title>Harbour plans</title></head><body><article><h1>Harbour plans</h1>{body}</article></body></html>"


def run(pool: ArticlePool, *docs: RawDocument) -> list[Processed]:
    async def all_of() -> list[Processed]:
        return list(await asyncio.gather(*(pool.process(doc) for doc in docs)))

    return asyncio.run(all_of())


@pytest.fixture(scope="module")
def misbehaving_pool() -> Iterator[ArticlePool]:
    """Two workers, so one stays up while the other is replaced; the limit cuts only the hang."""
    with ExtractionPool(workers=2, timeout=1.0, task=misbehaving_task) as pool:
        yield pool


def test_real_documents_are_cleaned_in_a_worker_process() -> None:
    page, scrape = article_page("workers-page"), "\n\n".join(paragraphs("workers-scrape"))
    nav = "<html><body><nav><a href='/'>Home</a></nav></body></html>"
    with ExtractionPool(workers=1, timeout=30, task=process_document) as pool:
        html, text, empty = run(
            pool,
            document(page, name="page"),
            document(scrape, media=Media.TEXT, name="scrape"),
            document(nav, name="nav"),
        )

    assert isinstance(html, tuple), html
    article, features = html
    assert isinstance(article, Article) and isinstance(features, Features)
    assert (article.location, article.title) == ("https://news.example/page", "Harbour plans")
    assert isinstance(text, tuple) and text[0].extractor == "textscrape 1"
    assert isinstance(empty, Rejected) and empty.reason is RejectReason.NO_ARTICLE


def test_what_the_host_taught_travels_with_the_document() -> None:
    body = "".join(f"<p>{p}</p>" for p in paragraphs("workers-site"))
    html = f"<html><head><title>Opinion | Harbour plans</title></head><body>{body}</body></html>"
    site = learn_site_titles(["Opinion | Trams", "Opinion | Bridges"])
    with ExtractionPool(workers=1, timeout=30, task=process_document) as pool:
        plain = asyncio.run(pool.process(document(html)))
        taught = asyncio.run(pool.process(document(html), site))

    assert isinstance(plain, tuple) and plain[0].title == "Opinion | Harbour plans"
    assert isinstance(taught, tuple) and taught[0].title == "Harbour plans"


def test_a_document_over_its_time_limit_becomes_a_timeout_reject(
    misbehaving_pool: ArticlePool,
) -> None:
    started = time.monotonic()
    (result,) = run(misbehaving_pool, document(HANG, name="hang"))

    assert isinstance(result, Rejected), result
    assert result.reason is RejectReason.EXTRACTION_TIMEOUT
    assert result.detail.startswith("extraction took longer than")
    assert (result.location, result.raw_hash) == ("https://news.example/hang", "hang")
    assert time.monotonic() - started < 30  # killed, not waited for


def test_a_worker_that_dies_becomes_an_error_reject(misbehaving_pool: ArticlePool) -> None:
    (result,) = run(misbehaving_pool, document(CRASH, name="crash"))

    assert isinstance(result, Rejected), result
    assert result.reason is RejectReason.EXTRACTION_ERROR
    assert result.detail.startswith("worker died")


def test_an_exception_in_the_extractor_becomes_an_error_reject(
    misbehaving_pool: ArticlePool,
) -> None:
    (result,) = run(misbehaving_pool, document(RAISE, name="raise"))

    assert isinstance(result, Rejected), result
    assert result.reason is RejectReason.EXTRACTION_ERROR
    assert result.detail == "ValueError: a bug in the extractor"


def test_the_pool_goes_on_after_a_hang_and_a_crash(misbehaving_pool: ArticlePool) -> None:
    hang, crash, page = run(
        misbehaving_pool,
        document(HANG, name="hang"),
        document(CRASH, name="crash"),
        document(article_page("workers-after"), name="after"),
    )

    assert isinstance(hang, Rejected) and hang.reason is RejectReason.EXTRACTION_TIMEOUT
    assert isinstance(crash, Rejected) and crash.reason is RejectReason.EXTRACTION_ERROR
    assert isinstance(page, tuple) and page[0].title == "Harbour plans"


PRELOADED = "xml.dom.minidom"  # a module nothing here imports: only the preload can load it


def preloaded(doc: RawDocument) -> bool | Rejected:
    """Whether the worker had imported PRELOADED before any task asked for it."""
    import sys

    return PRELOADED in sys.modules


def test_started_workers_import_the_preload_before_their_first_document() -> None:
    for preload, expected in ((PRELOADED, True), (None, False)):
        pool: ExtractionPool[bool] = ExtractionPool(
            workers=1, timeout=30, task=preloaded, preload=preload
        )
        with pool:
            pool.start()
            assert asyncio.run(pool.process(document("x"))) is expected
