"""The Python API: cheap to import, runs a sources file (in a notebook's loop too), and opens
the warehouse read-only with search ready offline and the articles as records or Arrow."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

import news_ingest
from flows.errors import ConfigError, DatabaseMissingError
from tests.analyst_data import analyst_db  # noqa: F401 (fixture)
from tests.helpers import files_sources, run
from warehouse.articles import ARTICLE_COLUMNS
from warehouse.errors import WarehouseUnavailableError
from warehouse.lake.target import LakeTarget


def test_importing_the_package_loads_no_pipeline() -> None:
    code = (
        "import sys, news_ingest\n"
        "heavy = [m for m in ('flows', 'warehouse', 'connectors', 'duckdb', 'prefect') "
        "if m in sys.modules]\n"
        "print(heavy)\n"
        "print(sorted(news_ingest.__all__))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    heavy, names = done.stdout.splitlines()
    assert heavy == "[]"
    assert "open_warehouse" in names and "run" in names
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = news_ingest.nothing
    from news_ingest import api

    assert set(news_ingest.__all__) == {*api.__all__, "ExitCode", "NewsIngestError"}


@pytest.mark.usefixtures("prefect_harness")
def test_run_ingests_a_sources_file_also_inside_a_running_event_loop(tmp_path: Path) -> None:
    sources = files_sources(tmp_path, 3, pipeline="workers = 1\n")
    db = tmp_path / "news.duckdb"

    report = news_ingest.run(sources, db=db)
    assert isinstance(report, news_ingest.RunReport)
    assert report.status == "completed" and report.sources[0].counts.new == 3

    async def notebook_cell() -> news_ingest.RunReport:
        return news_ingest.run(str(sources), db=str(db), source_names=["folder"])

    again = asyncio.run(notebook_cell())  # a loop is running in this thread, as in Jupyter
    assert again.status == "completed" and again.sources[0].counts.not_modified == 3


def test_missing_files_raise_the_errors_the_cli_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWS_INGEST_DB", str(tmp_path / "none.duckdb"))
    with pytest.raises(DatabaseMissingError, match=r"from \$NEWS_INGEST_DB"):
        news_ingest.open_warehouse()
    with pytest.raises(ConfigError, match="news-ingest init"):
        news_ingest.run(tmp_path / "none.toml")
    assert isinstance(DatabaseMissingError("x"), news_ingest.NewsIngestError)


def test_the_warehouse_reads_records_arrow_search_and_stats(
    analyst_db: Path,  # noqa: F811
) -> None:
    with news_ingest.open_warehouse(analyst_db) as wh:
        (count,) = wh.sql("SELECT count(*) FROM articles").fetchone() or (0,)
        records = list(wh.articles())
        assert len(records) == count > 0
        assert isinstance(records[0], news_ingest.ArticleRecord)
        assert [r.article_id for r in records] == sorted(r.article_id for r in records)
        assert all(isinstance(r.authors, tuple) for r in records)

        table = wh.arrow()
        assert isinstance(table, pa.Table) and table.num_rows == count
        assert tuple(table.column_names) == ARTICLE_COLUMNS
        streamed = sum(batch.num_rows for batch in wh.batches(batch_size=2))
        assert streamed == count

        wire = list(wh.articles(source="wire"))
        assert wire and {r.source for r in wire} == {"wire"}
        recent = list(wh.articles(since="2024-03-07"))
        cut = datetime(2024, 3, 7, tzinfo=UTC)
        assert all((r.published_at or r.first_seen_at) >= cut for r in recent)
        assert len(recent) < count

        hits = wh.search("glacier retreat", since="2024-01-01")
        assert hits and isinstance(hits[0], news_ingest.SearchHit)
        assert hits[0].title == "Glacier retreat measured by survey"
        assert wh.stats().articles == count
        with pytest.raises(duckdb.Error):
            wh.sql("CREATE TABLE x AS SELECT 1")  # read-only


def test_connect_is_plain_duckdb_with_search_ready(
    analyst_db: Path,  # noqa: F811
) -> None:
    conn = news_ingest.connect(analyst_db)
    try:
        rows = conn.sql("SELECT count(*) FROM search_articles('glacier')").fetchone()
        assert rows is not None and rows[0] > 0
    finally:
        conn.close()


def test_records_have_the_columns_of_the_articles_view(
    analyst_db: Path,  # noqa: F811
) -> None:
    with duckdb.connect(str(analyst_db), read_only=True) as conn:
        columns = [row[0] for row in conn.execute("DESCRIBE main.articles").fetchall()]
    assert tuple(columns) == ARTICLE_COLUMNS
    assert [f.name for f in dataclasses.fields(news_ingest.ArticleRecord)] == columns


@pytest.mark.usefixtures("prefect_harness")
def test_open_warehouse_reads_a_lake_as_it_reads_the_file(
    tmp_path: Path, lake: LakeTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = files_sources(tmp_path, 6)
    file_db = tmp_path / "news.duckdb"
    assert run(sources, file_db).status == "completed"
    text = f"ducklake:postgres:{lake.dsn}"
    lake_report = run(sources, file_db.with_name("unused.duckdb"), warehouse=text,
                      data_path=str(lake.data_path))  # fmt: skip
    assert lake_report.status == "completed"

    def seen(wh: news_ingest.Warehouse) -> tuple[object, ...]:
        records = [(r.article_id, r.title, r.url, r.text) for r in wh.articles()]
        hits = [(h.article_id, round(h.score, 9), h.title) for h in wh.search("report")]
        return records, wh.arrow().num_rows, hits, wh.stats().articles

    with news_ingest.open_warehouse(file_db, live=True) as wh:
        expected = seen(wh)
        articles = wh.stats().articles
    with news_ingest.open_warehouse(warehouse=text) as wh:
        assert seen(wh) == expected and expected[2]
        assert repr(wh) == f"Warehouse({lake.address()!r})"
        with pytest.raises(duckdb.Error):
            wh.sql("CREATE TABLE x AS SELECT 1")  # read-only
    wh.close()  # closing again does nothing

    conn = news_ingest.connect(warehouse=text)  # plain DuckDB: the lake's views by name
    try:
        assert conn.sql("SELECT count(*) FROM articles").fetchall() == [(articles,)]
        with pytest.raises(duckdb.Error):
            conn.sql("CREATE TABLE x AS SELECT 1")
    finally:
        conn.close()

    monkeypatch.setenv("NEWS_INGEST_WAREHOUSE", text)  # as the command line reads it
    with news_ingest.open_warehouse() as wh:
        assert wh.lake is not None and wh.lake.dsn == lake.dsn
        assert len(list(wh.articles())) == articles > 0
    down = "ducklake:postgres:dbname=news host=127.0.0.1 port=1"
    with pytest.raises(WarehouseUnavailableError, match=r"127\.0\.0\.1:1/news"):
        news_ingest.connect(warehouse=down)
