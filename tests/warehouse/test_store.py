"""Tests of warehouse.store: the writes, on a real migrated DuckDB file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from warehouse import lookups, store
from warehouse.connection import Connection, connect
from warehouse.rows import ArticleRow, RejectRow, RunCounts, UrlStateRow

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def conn(db_path: Path) -> Iterator[Connection]:
    with connect(db_path) as opened:
        yield opened


def one(conn: Connection, sql: str) -> tuple[object, ...]:
    row = conn.execute(sql).fetchone()
    assert row is not None
    return row


def article_row(article_id: int, run_id: str) -> ArticleRow:
    return ArticleRow(
        article_id=article_id,
        canonical_url=f"https://a.example/{article_id}",
        host="a.example",
        source="s",
        story_id=article_id,
        version_count=1,
        first_seen_at=T0,
        last_seen_at=T0,
        first_run_id=run_id,
        last_run_id=run_id,
    )


def test_transaction_rolls_back_everything_when_the_block_raises(conn: Connection) -> None:
    run_id = str(uuid4())

    def crash_inside_the_batch() -> None:
        with store.transaction(conn):
            store.insert_articles(conn, [article_row(1, run_id)])
            raise RuntimeError("crash inside the batch")

    with pytest.raises(RuntimeError):
        crash_inside_the_batch()
    assert one(conn, "SELECT count(*) FROM store.articles") == (0,)
    with store.transaction(conn):
        store.insert_articles(conn, [article_row(1, run_id)])
    assert one(conn, "SELECT canonical_url, host FROM store.articles") == (
        "https://a.example/1",
        "a.example",
    )


def test_run_rows_start_count_and_finish(conn: Connection) -> None:
    run_id = uuid4()
    store.start_run(
        conn, run_id=run_id, flow_run_id=None, started_at=T0, sources_file="x", selected=["s"]
    )
    store.start_run_source(conn, run_id=run_id, source="s", kind="files", started_at=T0)
    store.start_run_source(conn, run_id=run_id, source="s", kind="files", started_at=T0)
    store.add_run_counts(conn, run_id=run_id, source="s", counts=RunCounts(found=3, new=2))
    store.add_run_counts(conn, run_id=run_id, source="s", counts=RunCounts(found=1, rejected=1))
    store.finish_run_source(
        conn, run_id=run_id, source="s", status="completed", finished_at=T0, warning="w"
    )
    store.finish_run(conn, run_id=run_id, status="completed", finished_at=T0)
    assert one(
        conn, "SELECT count(*), sum(found), sum(new), sum(rejected) FROM store.run_sources"
    ) == (1, 4, 2, 1)
    assert one(conn, "SELECT status, warning FROM store.run_sources") == ("completed", "w")
    assert one(conn, "SELECT status FROM store.runs") == ("completed",)


def test_runs_left_running_are_marked_crashed(conn: Connection) -> None:
    running, done = uuid4(), uuid4()
    for run_id in (running, done):
        store.start_run(
            conn, run_id=run_id, flow_run_id=None, started_at=T0, sources_file="x", selected=[]
        )
        store.start_run_source(conn, run_id=run_id, source="s", kind="feed", started_at=T0)
    store.finish_run(conn, run_id=done, status="completed", finished_at=T0)
    store.finish_run_source(conn, run_id=done, source="s", status="completed", finished_at=T0)

    assert store.mark_abandoned_runs(conn, now=T0 + timedelta(hours=1)) == 1
    statuses = dict(conn.execute("SELECT run_id, status FROM store.runs").fetchall())
    assert statuses == {running: "crashed", done: "completed"}
    assert one(conn, "SELECT count(*) FROM store.run_sources WHERE status = 'crashed'") == (1,)
    assert store.mark_abandoned_runs(conn, now=T0) == 0


def state(location: str, raw_hash: str | None, at: datetime, etag: str | None) -> UrlStateRow:
    return UrlStateRow(location, "s", raw_hash, None, etag, None, at, at)


def test_url_state_upsert_keeps_last_changed_until_the_bytes_change(conn: Connection) -> None:
    url = "https://a.example/1"
    store.upsert_url_state(conn, [state(url, "h1", T0, "e1")])
    store.upsert_url_state(conn, [state(url, "h1", T0 + timedelta(days=1), "e2")])
    known = lookups.load_url_state(conn, [url])[url]
    assert (known.etag, known.last_seen_at, known.last_changed_at) == ("e2", T0 + timedelta(1), T0)

    store.upsert_url_state(conn, [state(url, "h2", T0 + timedelta(days=2), "e3")])
    known = lookups.load_url_state(conn, [url])[url]
    assert (known.raw_hash, known.last_changed_at) == ("h2", T0 + timedelta(days=2))
    # A row without a hash (a 304, say) keeps the stored hash.
    store.upsert_url_state(conn, [state(url, None, T0 + timedelta(days=3), "e3")])
    assert lookups.load_url_state(conn, [url])[url].raw_hash == "h2"


def test_the_same_reject_in_another_run_counts_again_not_twice_in_one(conn: Connection) -> None:
    row = RejectRow("s", "file:///x.txt", "empty", "zero bytes", "h", T0)
    first, second = str(uuid4()), str(uuid4())
    store.upsert_rejects(conn, [row, row], run_id=first)
    store.upsert_rejects(conn, [row], run_id=first)
    assert one(conn, "SELECT count(*), max(times_seen) FROM store.rejects") == (1, 1)
    store.upsert_rejects(conn, [row], run_id=second)
    assert one(conn, "SELECT times_seen, last_run_id::VARCHAR FROM store.rejects") == (2, second)


def test_source_outcome_counts_consecutive_failures_and_resets(conn: Connection) -> None:
    def outcome(ok: bool, at: datetime) -> None:
        store.record_source_outcome(
            conn,
            source="s",
            kind="feed",
            run_id=uuid4(),
            at=at,
            succeeded=ok,
            changed=0,
            error=None if ok else "down",
        )

    outcome(True, T0)
    outcome(False, T0 + timedelta(hours=1))
    outcome(False, T0 + timedelta(hours=2))
    sql = "SELECT consecutive_failures, last_error, last_success_at FROM store.source_state"
    assert one(conn, sql) == (2, "down", T0)
    outcome(True, T0 + timedelta(hours=3))
    assert one(conn, sql) == (0, None, T0 + timedelta(hours=3))
