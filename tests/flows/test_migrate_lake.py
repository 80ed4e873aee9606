"""``news-ingest migrate``: a DuckDB file into a lake and back, on a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.flows.lakehelpers import assert_consistent, lake_rows
from tests.flows.migratehelpers import (
    VIEWS,
    file_rows,
    lake_view_rows,
    make_warehouse,
    run_into,
    store_rows,
)
from tests.helpers import article, query
from tests.localserver import LocalServer
from warehouse.lake.migrate import copy_file_into_lake, copy_lake_into_file
from warehouse.lake.target import LakeTarget
from warehouse.reading import Warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")


def lake_sql(lake: LakeTarget, sql: str) -> list[tuple[Any, ...]]:
    """``sql`` against the lake's views."""
    return lake_rows(lake, sql.replace("FROM ", "FROM news_lake.main."))


def test_a_file_copied_into_a_lake_and_back_answers_the_same_queries(
    tmp_path: Path, local_server: LocalServer, db_path: Path, lake: LakeTarget
) -> None:
    make_warehouse(tmp_path, local_server, db_path)
    original = store_rows(db_path)
    assert all(original[t] for t in ("fetch_log", "rejects", "story_features", "url_state"))
    assert query(db_path, "SELECT max(version_count), max(article_count) FROM articles, stories")[
        0
    ] == (2, 4)

    copied = copy_file_into_lake(db_path, lake)

    assert {t.name: t.rows for t in copied.tables} == {t: len(r) for t, r in original.items()}
    for view in VIEWS:
        assert lake_view_rows(lake, view) == file_rows(db_path, view), view
    articles = len(original["articles"])
    assert_consistent(lake, articles)

    back = tmp_path / "back" / "copy.duckdb"
    copy_lake_into_file(lake, back)

    assert store_rows(back) == original
    for view in VIEWS:
        assert file_rows(back, view) == file_rows(db_path, view), view
    assert query(back, "SELECT count(*) FROM store.search_docs") == [(articles,)]
    with Warehouse(back) as copy, Warehouse(db_path) as first:
        assert copy.search("report", limit=50) == first.search("report", limit=50)
        assert copy.search("report")
    assert [p.name for p in back.parent.iterdir()] == ["copy.duckdb"]


def test_runs_after_migrate_add_versions_and_continue_the_ids_in_the_lake_and_the_file(
    tmp_path: Path, local_server: LocalServer, db_path: Path, lake: LakeTarget
) -> None:
    sources = make_warehouse(tmp_path, local_server, db_path)
    copy_file_into_lake(db_path, lake)
    back = tmp_path / "back.duckdb"
    copy_lake_into_file(lake, back)
    before = query(db_path, "SELECT count(*), max(article_id) FROM articles")[0]
    versions = query(db_path, "SELECT count(*) FROM article_versions")[0][0]
    docs = tmp_path / "docs"
    changed = docs / "0004.html"
    changed.write_text(changed.read_text().replace("Report 4.", "Report 4, corrected."))
    (docs / "0100.html").write_text(article(100), encoding="utf-8")

    run_into(sources, back)
    run_into(sources, db_path, lake)

    new_id = before[1] + 1
    for rows in (lambda sql: query(back, sql), lambda sql: lake_sql(lake, sql)):
        assert rows("SELECT count(*), max(article_id) FROM articles") == [(before[0] + 1, new_id)]
        assert rows("SELECT count(*) FROM article_versions") == [(versions + 2,)]
        assert rows("SELECT new, updated FROM runs ORDER BY started_at DESC LIMIT 1") == [(1, 1)]
        assert rows("SELECT count(*) FROM articles WHERE url LIKE '%/news/%'") == [(2,)]
        assert rows(f"SELECT story_id FROM articles WHERE article_id = {new_id}") == [(new_id,)]
    with Warehouse(back) as copy:
        assert [hit.article_id for hit in copy.search("corrected")] == [
            query(db_path, "SELECT article_id FROM articles WHERE text LIKE '%Report 4.%'")[0][0]
        ]
