"""Tests of flows.pipeline.persist: what one batch, a source's end and a run leave in DuckDB.

Articles are real: pages cleaned by the pipeline's own cleaner and fingerprinted,
then stored in a real migrated DuckDB file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from connectors.records import Checkpoint, Media, RawDocument, Rejected, RejectReason, raw_hash
from flows.dedupe.fingerprint import fingerprint
from flows.extract.clean import clean
from flows.extract.records import Article
from flows.pipeline.persist import (
    BatchResult,
    Seen,
    SourceEnd,
    persist_batch,
    persist_run_end,
    persist_run_start,
    persist_source_end,
    persist_source_start,
)
from tests.helpers import article as page
from warehouse import search
from warehouse.connection import Connection, connect
from warehouse.rows import RunCounts

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@dataclass
class Run:
    conn: Connection
    run_id: UUID


@pytest.fixture
def run(db_path: Path) -> Iterator[Run]:
    with connect(db_path) as conn:
        run_id = uuid4()
        persist_run_start(
            conn, run_id=run_id, flow_run_id=None, at=T0, sources_file="x", selected=["s"]
        )
        persist_source_start(conn, run_id=run_id, source="s", kind="urls", at=T0)
        yield Run(conn, run_id)


def cleaned(url: str, html: str) -> Article:
    doc = RawDocument(
        source="s",
        location=url,
        url=url,
        content=html,
        media=Media.HTML,
        raw_hash=raw_hash(html.encode()),
        retrieved_at=T0,
    )
    result = clean(doc)
    assert isinstance(result, Article), result
    return result


def batch(*articles: Article, at: datetime = T0) -> BatchResult:
    result = BatchResult("s", seen_at=at)
    result.articles.extend((a, fingerprint(a)) for a in articles)
    return result


def rows(run: Run, sql: str) -> list[tuple[object, ...]]:
    return run.conn.execute(sql).fetchall()


def test_a_new_article_gets_its_rows_and_counters(run: Run) -> None:
    counts = persist_batch(
        run.conn, batch(cleaned("https://a.example/1", page(1))), run_id=run.run_id
    )

    assert (counts.new, counts.duplicates, counts.updated) == (1, 0, 0)
    assert rows(run, "SELECT article_id, story_id, version_count FROM store.articles") == [
        (1, 1, 1)
    ]
    assert rows(run, "SELECT article_id, version_no FROM store.article_versions") == [(1, 1)]
    assert rows(run, "SELECT url, kind FROM store.url_aliases ORDER BY kind") == [
        ("https://a.example/1", "requested")
    ]
    assert rows(run, "SELECT location, article_id FROM store.url_state") == [
        ("https://a.example/1", 1)
    ]
    assert rows(run, "SELECT new FROM store.run_sources") == [(1,)]


def test_the_same_text_again_is_unchanged_and_a_new_text_is_a_version(run: Run) -> None:
    url = "https://a.example/1"
    persist_batch(run.conn, batch(cleaned(url, page(1))), run_id=run.run_id)
    again = persist_batch(
        run.conn, batch(cleaned(url, page(1)), at=T0 + timedelta(hours=1)), run_id=run.run_id
    )
    assert (again.new, again.unchanged, again.updated) == (0, 1, 0)

    changed = cleaned(url, page(1).replace("Report 1.", "Report 1, corrected."))
    update = persist_batch(run.conn, batch(changed, at=T0 + timedelta(hours=2)), run_id=run.run_id)

    assert (update.new, update.updated) == (0, 1)
    assert rows(run, "SELECT version_count FROM store.articles") == [(2,)]
    texts = rows(
        run, "SELECT version_no, text LIKE '%corrected%' FROM store.article_versions ORDER BY 1"
    )
    assert texts == [(1, False), (2, True)]  # the first version is kept, not overwritten


def test_the_same_story_under_two_urls_is_one_story_two_articles(run: Run) -> None:
    one = cleaned("https://a.example/1", page(7))
    other = cleaned("https://b.example/copy", page(7))
    counts = persist_batch(run.conn, batch(one, other), run_id=run.run_id)

    assert (counts.new, counts.duplicates) == (1, 1)
    assert rows(run, "SELECT count(*), count(DISTINCT story_id) FROM store.articles") == [(2, 1)]


def test_rejects_seen_and_checkpoints_are_stored_with_the_batch(run: Run) -> None:
    result = batch(cleaned("https://a.example/1", page(1)))
    result.rejects.append(
        (Rejected("s", "file:///e.txt", RejectReason.EMPTY, "zero bytes", "h"), T0)
    )
    result.seen.append(Seen("s", "https://a.example/old", "old-hash", T0, None, not_modified=True))
    result.checkpoints.append((Checkpoint("s", "/data/x.jsonl", "10:20", 5, done=False), T0))
    result.counts = RunCounts(found=3, not_modified=1)

    counts = persist_batch(run.conn, result, run_id=run.run_id)

    assert (counts.found, counts.new, counts.rejected, counts.not_modified) == (3, 1, 1, 1)
    assert rows(run, "SELECT reason, detail FROM store.rejects") == [("empty", "zero bytes")]
    assert rows(run, "SELECT key, position, done FROM store.checkpoints") == [
        ("/data/x.jsonl", 5, False)
    ]
    assert ("https://a.example/old", "old-hash") in rows(
        run, "SELECT location, raw_hash FROM store.url_state"
    )


def test_a_batch_that_fails_while_storing_leaves_nothing(run: Run) -> None:
    result = batch(cleaned("https://a.example/1", page(1)))
    # A position no BIGINT holds: the checkpoint write fails after the articles were written.
    result.checkpoints.append((Checkpoint("s", "/x", "f", 2**70, done=False), T0))

    with pytest.raises(OverflowError):
        persist_batch(run.conn, result, run_id=run.run_id)

    for table in ("articles", "article_versions", "url_aliases", "url_state", "checkpoints"):
        assert rows(run, f"SELECT count(*) FROM store.{table}") == [(0,)], table
    assert rows(run, "SELECT new FROM store.run_sources") == [(0,)]


def test_source_end_and_run_end_are_recorded(run: Run) -> None:
    end = SourceEnd(
        source="s", kind="urls", run_id=run.run_id, status="failed", at=T0, changed=0, error="down"
    )
    persist_source_end(run.conn, end)
    persist_run_end(run.conn, run_id=run.run_id, status="completed", at=T0, error=None)

    assert rows(run, "SELECT status, error FROM store.run_sources") == [("failed", "down")]
    assert rows(run, "SELECT consecutive_failures, last_error FROM store.source_state") == [
        (1, "down")
    ]
    assert rows(run, "SELECT status FROM store.runs") == [("completed",)]


def index_tables(run: Run) -> list[list[tuple[object, ...]]]:
    return [
        rows(
            run,
            "SELECT d.term, p.article_id, p.tf FROM store.search_postings AS p "
            "JOIN store.search_dictionary AS d USING (term_id) ORDER BY ALL",
        ),
        rows(run, "SELECT article_id, version_no, length FROM store.search_docs ORDER BY ALL"),
    ]


def test_new_articles_are_searchable_after_their_batch_as_a_rebuild_would_index_them(
    run: Run,
) -> None:
    for first in (1, 4):  # two batches: the second meets terms the first added
        articles = [cleaned(f"https://a.example/{i}", page(i)) for i in range(first, first + 3)]
        persist_batch(run.conn, batch(*articles), run_id=run.run_id)

    hits = search.search(run.conn, "harbour railway council", limit=10)
    found = {h.article_id for h in hits.hits}
    assert found & {1, 2, 3} and found & {4, 5, 6} and found <= set(range(1, 7))
    assert hits.not_indexed == 0
    per_batch = index_tables(run)
    assert len(per_batch[1]) == 6

    search.rebuild_index(run.conn)
    assert index_tables(run) == per_batch


def test_a_new_page_stored_twice_in_one_batch_is_searchable_by_its_latest_version(
    run: Run, caplog: pytest.LogCaptureFixture
) -> None:
    url = "https://a.example/1"
    first = cleaned(url, page(1))
    second = cleaned(url, page(1).replace("Report 1.", "Report 1, corrected by the desk."))
    persist_batch(run.conn, batch(first, second), run_id=run.run_id)

    assert rows(run, "SELECT article_id, version_no FROM store.article_versions") == [
        (1, 1),
        (1, 2),
    ]
    assert "search index not updated" not in caplog.text
    assert rows(run, "SELECT article_id, version_no FROM store.search_docs") == [(1, 2)]
    assert [h.article_id for h in search.search(run.conn, "corrected desk").hits] == [1]
    per_batch = index_tables(run)
    search.rebuild_index(run.conn)
    assert index_tables(run) == per_batch
