"""Ingesting into a lake (DuckLake on a real PostgreSQL) gives what the DuckDB file gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import files_sources, query, run
from warehouse.lake.connection import connect_lake
from warehouse.lake.target import LakeTarget

pytestmark = pytest.mark.usefixtures("prefect_harness")

ARTICLES = (
    "SELECT article_id, url, source, title, text, word_count, story_id, version_count "
    "FROM {}articles ORDER BY article_id"
)
VERSIONS = (
    "SELECT article_id, version_no, title, text, content_hash, version_hash "
    "FROM {}article_versions ORDER BY article_id, version_no"
)
STORIES = "SELECT story_id, article_count, article_ids FROM {}stories ORDER BY story_id"


def lake_rows(target: LakeTarget, sql: str) -> list[tuple[Any, ...]]:
    with connect_lake(target, read_only=True) as conn:
        return conn.execute(sql.format("news_lake.main.")).fetchall()


def lake_run(sources: Path, tmp_path: Path, target: LakeTarget) -> None:
    report = run(
        sources,
        tmp_path / "unused.duckdb",
        warehouse=f"ducklake:postgres:{target.dsn}",
        data_path=str(target.data_path),
    )
    assert report.status == "completed"


def test_the_same_pages_give_the_same_articles_versions_and_stories(
    tmp_path: Path, db_path: Path, lake: LakeTarget
) -> None:
    sources = files_sources(tmp_path, 12, pipeline="batch_size = 5\n")
    # Three near-copies of one page: one story of three articles on both backends.
    docs = tmp_path / "docs"
    page = (docs / "0003.html").read_text(encoding="utf-8")
    for n in (1, 2):
        (docs / f"copy{n}.html").write_text(page.replace("Report 3.", f"Report 3 ({n})."))
    run(sources, db_path)
    lake_run(sources, tmp_path, lake)

    for sql in (ARTICLES, VERSIONS, STORIES):
        expected = query(db_path, sql.format(""))
        assert expected
        assert lake_rows(lake, sql) == expected
    assert max(r[1] for r in lake_rows(lake, STORIES)) == 3
    assert not (tmp_path / "unused.duckdb").exists()


def test_a_second_run_over_changed_pages_adds_versions_not_articles(
    tmp_path: Path, lake: LakeTarget
) -> None:
    sources = files_sources(tmp_path, 6)
    lake_run(sources, tmp_path, lake)
    changed = tmp_path / "docs" / "0002.html"
    changed.write_text(changed.read_text().replace("Report 2.", "Report 2, updated."))
    lake_run(sources, tmp_path, lake)

    assert lake_rows(lake, "SELECT count(*) FROM {}articles") == [(6,)]
    assert lake_rows(lake, "SELECT count(*) FROM {}article_versions") == [(7,)]
    assert lake_rows(lake, "SELECT status, new, updated, not_modified FROM {}runs "
                           "ORDER BY started_at") == [
        ("completed", 6, 0, 0), ("completed", 0, 1, 5)]  # fmt: skip
    with connect_lake(lake, read_only=True) as conn:
        pending = conn.execute(
            "SELECT count(*) FROM store.lake_batches WHERE published_at IS NULL"
        ).fetchall()
    assert pending == [(0,)]


def test_the_sql_command_queries_the_lake_by_view_name(tmp_path: Path, lake: LakeTarget) -> None:
    sources = files_sources(tmp_path, 4)
    lake_run(sources, tmp_path, lake)
    done = subprocess.run(
        [sys.executable, "-m", "flows.app.cli", "sql", "--format", "csv",
         "--warehouse", f"ducklake:postgres:{lake.dsn}",
         "SELECT count(*) AS n, count(DISTINCT story_id) AS stories FROM articles"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["n,stories", "4,4"]
    refused = subprocess.run(
        [sys.executable, "-m", "flows.app.cli", "sql",
         "--warehouse", f"ducklake:postgres:{lake.dsn}", "DELETE FROM articles"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert refused.returncode == 2, refused.stderr
