"""The lake's search index under several writers at once, against the file's index."""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import psycopg

from tests.helpers import WORDS
from warehouse import search
from warehouse.connection import connect
from warehouse.lake.connection import connect_lake
from warehouse.lake.target import LakeTarget

ARTICLES = range(1, 41)
VERSIONS = (1, 2, 3)
DOCS = (
    "SELECT 'doc', CAST(article_id AS VARCHAR), version_no, length FROM store.search_docs "
    "UNION ALL "
)
# The file numbers its terms (search_dictionary); the lake keys postings by the term itself.
FILE_INDEX = DOCS + (
    "SELECT 'posting', d.term, p.article_id, p.tf FROM store.search_postings AS p "
    "JOIN store.search_dictionary AS d USING (term_id) ORDER BY ALL"
)
LAKE_INDEX = DOCS + "SELECT 'posting', term, article_id, tf FROM store.search_postings ORDER BY ALL"

Doc = tuple[int, int, str | None, str]


def doc(article_id: int, version_no: int) -> Doc:
    rng = random.Random(article_id * 10 + version_no)
    words = " ".join(rng.choice(WORDS) for _ in range(60))
    return article_id, version_no, f"Title {version_no} {rng.choice(WORDS)}", words


def index_all(target: LakeTarget, order: tuple[int, ...], errors: list[BaseException]) -> None:
    try:
        with connect_lake(target) as conn:
            for version_no in order:
                for start in range(0, len(ARTICLES), 7):
                    batch = ARTICLES[start : start + 7]
                    search.index_new_articles(conn, [doc(a, version_no) for a in batch])
    except BaseException as exc:  # reported by the test's thread
        errors.append(exc)


def rows(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(sql).fetchall()]


def test_two_writers_indexing_the_same_articles_leave_the_newest_versions_once(
    lake: LakeTarget, tmp_path: Path
) -> None:
    with connect_lake(lake):
        pass  # creates the schema once, before the writers race
    errors: list[BaseException] = []
    writers = [
        threading.Thread(target=index_all, args=(lake, VERSIONS, errors)),
        threading.Thread(target=index_all, args=(lake, tuple(reversed(VERSIONS)), errors)),
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=300)
    assert not errors, errors

    newest = [doc(a, VERSIONS[-1]) for a in ARTICLES]
    with connect(tmp_path / "file.duckdb") as file_conn:
        search.index_new_articles(file_conn, newest)
        expected = rows(file_conn, FILE_INDEX)
    with connect_lake(lake) as conn:
        assert rows(conn, LAKE_INDEX) == expected  # every article at version 3, its postings only
        hits = search.search(conn, WORDS[0], limit=100).hits
        assert hits == ()  # the lake holds none of these articles: no hit is shown
    with psycopg.connect(lake.dsn) as pg:
        assert pg.execute(
            "SELECT t.docs = s.docs AND t.total_length = s.total FROM "
            "(SELECT sum(docs) AS docs, sum(total_length) AS total_length "
            "FROM store.search_totals) t, "
            "(SELECT count(*) AS docs, sum(length) AS total FROM store.search_docs) s"
        ).fetchall() == [(True,)]
