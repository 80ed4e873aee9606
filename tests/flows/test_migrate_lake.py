"""``news-ingest migrate``: a DuckDB file into a lake and back, on a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.flows.lakehelpers import assert_consistent
from tests.flows.migratehelpers import (
    VIEWS,
    file_rows,
    lake_view_rows,
    make_warehouse,
    migrate,
    run_into,
    store_rows,
)
from tests.helpers import query
from tests.localserver import LocalServer
from warehouse.lake.migrate import copy_file_into_lake, copy_lake_into_file
from warehouse.lake.target import LakeTarget
from warehouse.reading import Warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")


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
