"""Lake writers decide in parallel: overlapping batches at once, the retry path, disjoint keys.

Real PostgreSQL and DuckLake (tests/pgserver.py); each writer is a thread with its own
lake connection (its own DuckDB and PostgreSQL sessions), storing real cleaned pages
with :func:`flows.pipeline.persist.persist_batch`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from connectors.records import Media, RawDocument, raw_hash
from flows.dedupe.fingerprint import fingerprint
from flows.extract.clean import clean
from flows.extract.records import Article
from flows.pipeline.persist import (
    BatchResult,
    persist_batch,
    persist_run_start,
    persist_source_start,
)
from tests.flows.lakehelpers import assert_consistent
from tests.helpers import article as page
from warehouse import store, stories
from warehouse.connection import Connection, connect
from warehouse.lake.connection import connect_lake
from warehouse.lake.registry import handle_of
from warehouse.lake.target import LakeTarget

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ROUNDS = 12


def cleaned(url: str, html: str) -> Article:
    doc = RawDocument(
        source="s",
        location=url,
        url=url,
        content=html.encode(),
        media=Media.HTML,
        raw_hash=raw_hash(html.encode()),
        retrieved_at=T0,
    )
    result = clean(doc)
    assert isinstance(result, Article), result
    return result


def batch(pages: list[tuple[str, str]], at: datetime = T0) -> BatchResult:
    result = BatchResult("s", seen_at=at)
    for url, html in pages:
        doc = cleaned(url, html)
        result.articles.append((doc, fingerprint(doc)))
    return result


def start_run(conn: Connection) -> UUID:
    run_id = uuid4()
    persist_run_start(conn, run_id=run_id, flow_run_id=None, at=T0, sources_file="x", selected=[])
    persist_source_start(conn, run_id=run_id, source="s", kind="urls", at=T0)
    return run_id


def near(index: int) -> str:
    """Page ``index`` with one sentence changed: a near-duplicate of it (same story)."""
    return page(index).replace(f"Report {index}.", f"Report {index}, updated.", 1)


def revised(index: int, by: str) -> str:
    return page(index).replace(f"Report {index}.", f"Report {index}, revised by {by}.", 1)


def round_pages(number: int, writer: str) -> list[tuple[str, str]]:
    """What one writer stores in a round; the two writers' batches overlap on purpose.

    Every round: near-duplicate texts under each writer's own URL (one story) and an
    article of its own. Even rounds also: the same URL from both (one article) and a
    new version of the previous even round's from each (two versions). Odd rounds
    share no key, so the two decide at once and only their stories overlap.
    """
    text = page(2000 + number) if writer == "a" else near(2000 + number)
    own = (3000 if writer == "a" else 4000) + number
    pages = [
        (f"https://{writer}.example/{number}", text),
        (f"https://{writer}-own.example/{number}", page(own)),
    ]
    if number % 2 == 0:
        pages.append((f"https://shared.example/{number}", page(1000 + number)))
    if number % 2 == 0 and number > 0:
        before = number - 2
        pages.append((f"https://shared.example/{before}", revised(1000 + before, writer)))
    return pages


def stories_by_url(conn: Any, articles: str, aliases: str) -> set[frozenset[str]]:
    """The stories as sets of requested URLs (comparable across warehouses)."""
    rows = conn.execute(
        f"SELECT a.story_id, u.url FROM {articles} a JOIN {aliases} u USING (article_id)"
    ).fetchall()
    stories: dict[int, set[str]] = {}
    for story, url in rows:
        stories.setdefault(story, set()).add(url)
    return {frozenset(urls) for urls in stories.values()}


def versions_by_url(conn: Any, articles: str, aliases: str) -> set[tuple[str, int]]:
    return set(
        conn.execute(
            f"SELECT u.url, a.version_count FROM {articles} a JOIN {aliases} u USING (article_id)"
        ).fetchall()
    )


def run_writers(targets: list[Callable[[], None]]) -> list[BaseException]:
    """Run the callables in threads at once; the exceptions they raised."""
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:  # reported to the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(t.is_alive() for t in threads), "a writer never finished"
    return errors


def test_overlapping_batches_decided_at_once_store_each_article_alias_and_story_once(
    lake: LakeTarget, db_path: Path
) -> None:
    with connect_lake(lake):
        pass  # created before the writers race
    barrier = threading.Barrier(2, timeout=120)
    conflicts: list[float] = []

    def writer(name: str) -> None:
        with connect_lake(lake) as conn:
            run_id = start_run(conn)
            for number in range(ROUNDS):
                pages = round_pages(number, name)
                at = T0 + timedelta(minutes=number)
                barrier.wait()
                persist_batch(conn, batch(pages, at), run_id=run_id)
            handle = handle_of(conn)
            assert handle is not None
            conflicts.append(handle.spent["conflicts"])

    errors = run_writers([lambda: writer("a"), lambda: writer("b")])

    assert errors == []
    # The same batches one after the other into a DuckDB file: the reference.
    with connect(db_path) as file:
        run_id = start_run(file)
        for number in range(ROUNDS):
            for name in ("a", "b"):
                at = T0 + timedelta(minutes=number)
                persist_batch(file, batch(round_pages(number, name), at), run_id=run_id)
        expected_stories = stories_by_url(file, "store.articles", "store.url_aliases")
        expected_versions = versions_by_url(file, "store.articles", "store.url_aliases")
        expected_articles = len(expected_versions)
    assert expected_articles == 4 * ROUNDS + ROUNDS // 2
    assert_consistent(lake, expected_articles)
    with connect_lake(lake, read_only=True) as conn:
        views = "news_lake.main"
        assert conn.execute(
            f"SELECT count(*), count(DISTINCT url) FROM {views}.url_aliases"
        ).fetchall() == [(expected_articles, expected_articles)]
        assert stories_by_url(conn, f"{views}.articles", f"{views}.url_aliases") == (
            expected_stories
        )
        assert versions_by_url(conn, f"{views}.articles", f"{views}.url_aliases") == (
            expected_versions
        )
    assert len(expected_stories) == 3 * ROUNDS + ROUNDS // 2  # near-duplicates: one story
    print(f"conflicts retried per writer: {conflicts}")


@pytest.fixture
def paused_decisions(monkeypatch: pytest.MonkeyPatch) -> dict[int, Callable[[], None]]:
    """Hooks run once inside a lake connection's decision (by ``id(conn)``).

    After every lookup and decision of the batch, before its first write.
    """
    hooks: dict[int, Callable[[], None]] = {}
    claim = stories.claim_stories

    def claim_after_hook(conn: Connection, story_ids: Any) -> None:
        hook = hooks.pop(id(conn), None)
        if hook is not None:
            hook()
        claim(conn, story_ids)

    monkeypatch.setattr(stories, "claim_stories", claim_after_hook)
    return hooks


def test_a_unique_violation_from_another_session_is_retried_and_the_batch_lands_once(
    lake: LakeTarget, paused_decisions: dict[int, Callable[[], None]]
) -> None:
    with connect_lake(lake) as conn, psycopg.connect(lake.dsn, autocommit=True) as other:

        def take_the_batch_s_article_id() -> None:
            # The id the batch was just given, stored first by another session.
            other.execute(
                "INSERT INTO store.articles SELECT last_value, 'https://other.example/', NULL, "
                "'other', last_value, 1, now(), now(), gen_random_uuid(), gen_random_uuid() "
                "FROM store.article_ids"
            )

        run_id = start_run(conn)
        paused_decisions[id(conn)] = take_the_batch_s_article_id
        counts = persist_batch(conn, batch([("https://a.example/1", page(1))]), run_id=run_id)
        handle = handle_of(conn)
        assert handle is not None
        assert handle.spent["conflicts"] == 1
    assert counts.new == 1
    with psycopg.connect(lake.dsn, autocommit=True) as pg:
        assert pg.execute(
            "SELECT article_id FROM store.articles WHERE source = 'other'"
        ).fetchall() == [(1,)]
        pg.execute("DELETE FROM store.articles WHERE source = 'other'")
        # The retry took the next id: the gap a rolled-back attempt leaves on a lake.
        assert pg.execute("SELECT article_id, story_id FROM store.articles").fetchall() == [(2, 2)]
        assert pg.execute("SELECT url, article_id FROM store.url_aliases").fetchall() == [
            ("https://a.example/1", 2)
        ]
    assert_consistent(lake, 1)


def test_a_near_duplicate_committed_meanwhile_is_seen_by_the_retry(
    lake: LakeTarget, paused_decisions: dict[int, Callable[[], None]]
) -> None:
    with connect_lake(lake) as first, connect_lake(lake) as second:
        first_run, second_run = start_run(first), start_run(second)

        def store_a_near_duplicate() -> None:
            # Another writer (other keys: it does not wait) commits the same story.
            persist_batch(second, batch([("https://b.example/1", near(1))]), run_id=second_run)

        paused_decisions[id(first)] = store_a_near_duplicate
        counts = persist_batch(first, batch([("https://a.example/1", page(1))]), run_id=first_run)
        handle = handle_of(first)
        assert handle is not None
        assert handle.spent["conflicts"] == 1  # its story lookups changed: decided again
    assert (counts.new, counts.duplicates) == (0, 1)
    with psycopg.connect(lake.dsn) as pg:
        assert pg.execute("SELECT count(DISTINCT story_id) FROM store.articles").fetchall() == [
            (1,)
        ]
    assert_consistent(lake, 2)


def test_writers_with_disjoint_keys_decide_at_the_same_time(
    lake: LakeTarget, paused_decisions: dict[int, Callable[[], None]]
) -> None:
    """Writer A holds its key locks, mid-decision; B (other keys) stores a batch meanwhile.

    With one global decision lock B would wait for A. A writer with one of A's keys
    does wait, and lands after A.
    """
    a_deciding, release_a = threading.Event(), threading.Event()
    b_done, c_done = threading.Event(), threading.Event()
    with connect_lake(lake):
        pass

    def hold_a() -> None:
        a_deciding.set()
        assert release_a.wait(timeout=120)

    def writer_a() -> None:
        with connect_lake(lake) as conn:
            run_id = start_run(conn)
            paused_decisions[id(conn)] = hold_a
            persist_batch(conn, batch([("https://a.example/1", page(1))]), run_id=run_id)

    def writer(url: str, index: int, done: threading.Event) -> Callable[[], None]:
        def store() -> None:
            assert a_deciding.wait(timeout=120)
            with connect_lake(lake) as conn:
                persist_batch(conn, batch([(url, page(index))]), run_id=start_run(conn))
            done.set()

        return store

    def release_after_b() -> None:
        try:
            assert b_done.wait(timeout=60), "B waited for A: decisions are serialised"
            assert not c_done.wait(timeout=3), "C stored a key A holds while A decided"
        finally:
            release_a.set()

    errors = run_writers(
        [
            writer_a,
            writer("https://b.example/2", 2, b_done),  # disjoint from A's keys
            writer("https://a.example/1", 1, c_done),  # A's own URL: waits for A
            release_after_b,
        ]
    )

    assert errors == []
    assert c_done.is_set()
    assert_consistent(lake, 2)


def test_a_transaction_naming_no_keys_waits_for_the_decisions_in_flight(
    lake: LakeTarget, paused_decisions: dict[int, Callable[[], None]]
) -> None:
    """``store.transaction`` without keys (``reset``, a copy into the lake) excludes them."""
    a_deciding, release_a, started = threading.Event(), threading.Event(), threading.Event()
    with connect_lake(lake):
        pass

    def hold_a() -> None:
        a_deciding.set()
        assert release_a.wait(timeout=120)

    def writer_a() -> None:
        with connect_lake(lake) as conn:
            run_id = start_run(conn)
            paused_decisions[id(conn)] = hold_a
            persist_batch(conn, batch([("https://a.example/1", page(1))]), run_id=run_id)

    def start_another_run() -> None:
        assert a_deciding.wait(timeout=120)
        with connect_lake(lake) as conn, store.transaction(conn):
            conn.execute("UPDATE store.source_state SET kind = kind")
        started.set()

    def release_later() -> None:
        try:
            assert a_deciding.wait(timeout=120)
            assert not started.wait(timeout=3), "it committed while a batch was deciding"
        finally:
            release_a.set()

    errors = run_writers([writer_a, start_another_run, release_later])

    assert errors == []
    assert started.is_set()
    assert_consistent(lake, 1)
