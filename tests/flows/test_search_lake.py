"""The lake's search index (PostgreSQL) gives what the DuckDB file's gives, and stays in step."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.helpers import files_sources, run
from warehouse import search
from warehouse.errors import IndexMissingError
from warehouse.export import export_parquet
from warehouse.lake.connection import connect_lake, read_lake
from warehouse.lake.migrate import copy_file_into_lake
from warehouse.lake.registry import handle_of
from warehouse.lake.target import LakeTarget
from warehouse.reading import read_only
from warehouse.summaries import Stats, collect_report, collect_stats

pytestmark = pytest.mark.usefixtures("prefect_harness")

QUERIES = ("council harbour", "railway budget mayor", "story", "bridge school report 3")
DOCS = "SELECT article_id, version_no, length FROM store.search_docs ORDER BY ALL"
# The file numbers its terms (search_dictionary); the lake keys postings by the term itself.
FILE_POSTINGS = (
    "SELECT d.term, p.article_id, p.tf FROM store.search_postings AS p "
    "JOIN store.search_dictionary AS d USING (term_id) ORDER BY ALL"
)
LAKE_POSTINGS = "SELECT term, article_id, tf FROM store.search_postings ORDER BY ALL"


def lake_run(sources: Path, target: LakeTarget) -> None:
    report = run(
        sources,
        sources.parent / "unused.duckdb",
        warehouse=f"ducklake:postgres:{target.dsn}",
        data_path=str(target.data_path),
    )
    assert report.status == "completed"


def corpus(tmp_path: Path) -> Path:
    """Twelve pages, two near-copies of one of them, batches of five."""
    sources = files_sources(tmp_path, 12, pipeline="batch_size = 5\n")
    docs = tmp_path / "docs"
    page = (docs / "0003.html").read_text(encoding="utf-8")
    for n in (1, 2):
        (docs / f"copy{n}.html").write_text(page.replace("Report 3.", f"Report 3 ({n})."))
    dated = docs / "0005.html"  # one known publication time: --since and published_at
    meta = '<meta property="article:published_time" content="2001-02-03T04:05:06Z">'
    dated.write_text(dated.read_text(encoding="utf-8").replace("<head>", f"<head>{meta}", 1))
    return sources


def hits(result: search.SearchResult) -> list[tuple[Any, ...]]:
    return [
        (
            h.article_id,
            h.matched_terms,
            h.url,
            h.source,
            h.title,
            h.snippet,
            h.story_id,
            h.published_at,
        )
        for h in result.hits
    ]


def index_tables(conn: Any) -> dict[str, list[tuple[Any, ...]]]:
    postings = LAKE_POSTINGS if handle_of(conn) is not None else FILE_POSTINGS
    return {"docs": conn.execute(DOCS).fetchall(), "postings": conn.execute(postings).fetchall()}


def timeless(stats: Stats) -> tuple[Any, ...]:
    """The figures of ``stats`` without the times and run ids two runs cannot share."""
    assert stats.last_run is not None
    run = stats.last_run
    return (
        replace(stats, last_run=None, sources=()),
        (run.status, run.new, run.updated, run.duplicates, run.rejected, run.errors),
        [(s.source, s.kind, s.last_status, s.articles, s.went_quiet) for s in stats.sources],
    )


def test_the_same_corpus_gives_the_same_hits_scores_and_counts(
    tmp_path: Path, db_path: Path, lake: LakeTarget
) -> None:
    sources = corpus(tmp_path)
    run(sources, db_path)
    lake_run(sources, lake)

    with read_only(db_path) as file_conn, read_lake(lake) as lake_conn:
        for text in QUERIES:
            expected = search.search(file_conn, text, limit=50)
            found = search.search(lake_conn, text, limit=50)
            assert expected.hits, text
            assert found.terms == expected.terms
            assert hits(found) == hits(expected), text
            assert [h.score for h in found.hits] == pytest.approx(
                [h.score for h in expected.hits], abs=1e-9, rel=0
            )
            assert found.not_indexed == expected.not_indexed == 0
        dated = [h for h in search.search(lake_conn, "report", limit=50).hits if h.published_at]
        assert [str(h.published_at) for h in dated] == ["2001-02-03 04:05:06+00:00"]
        for options in ({"source": "folder"}, {"since": date(2000, 1, 1)}):
            filtered = search.search(lake_conn, "council", limit=3, **options)
            assert len(filtered.hits) == 3
            assert hits(filtered) == hits(search.search(file_conn, "council", limit=3, **options))
        assert search.search(lake_conn, "council", since=date(2999, 1, 1)).hits == ()
        assert search.search(lake_conn, "council", source="elsewhere").hits == ()
        assert index_tables(lake_conn) == index_tables(file_conn)
        assert timeless(collect_stats(lake_conn)) == timeless(collect_stats(file_conn))
        lake_report = collect_report(lake_conn, database="lake")
        file_report = collect_report(file_conn, database="lake")
        assert lake_report.totals == file_report.totals
        assert lake_report.daily == file_report.daily
        # Stories first seen in one batch tie in the report's order: compared as sets.
        story_key = lambda story: story["story_id"]  # noqa: E731
        assert sorted(lake_report.stories, key=story_key) == sorted(
            file_report.stories, key=story_key
        )
        lake_export = export_parquet(lake_conn, tmp_path / "lake-export", source_database="lake")
        file_export = export_parquet(file_conn, tmp_path / "file-export", source_database="file")
    assert [(t.name, t.rows, t.schema) for t in lake_export.tables] == [
        (t.name, t.rows, t.schema) for t in file_export.tables
    ]


def test_a_new_version_replaces_the_indexed_text_on_the_lake(
    tmp_path: Path, db_path: Path, lake: LakeTarget
) -> None:
    sources = files_sources(tmp_path, 6)
    run(sources, db_path)
    lake_run(sources, lake)
    changed = tmp_path / "docs" / "0002.html"
    old_title = changed.read_text().split("<title>")[1].split("</title>")[0]
    changed.write_text(changed.read_text().replace(old_title, "Story 2: zeppelin airship"))
    run(sources, db_path)
    lake_run(sources, lake)

    with read_lake(lake) as conn:
        found = search.search(conn, "zeppelin")
        assert [(h.title, h.url.endswith("0002.html")) for h in found.hits] == [
            ("Story 2: zeppelin airship", True)
        ]
        article_id = found.hits[0].article_id
        assert conn.execute(
            "SELECT version_no FROM store.search_docs WHERE article_id = ?", [article_id]
        ).fetchall() == [(2,)]
        lake_tables = index_tables(conn)
    with read_only(db_path) as file_conn:
        assert lake_tables == index_tables(file_conn)
    # Refreshing again changes nothing: the index is in step with the lake.
    with connect_lake(lake) as conn:
        assert search.refresh_index(conn).indexed == 0
        assert search.stale_count(conn) == 0


def test_a_hit_shows_only_once_its_indexed_version_is_in_the_lake(
    tmp_path: Path, lake: LakeTarget
) -> None:
    lake_run(files_sources(tmp_path, 4, pipeline="batch_size = 1\n"), lake)
    with read_lake(lake) as conn:
        before = [h.article_id for h in search.search(conn, "report", limit=10).hits]
    assert len(before) == 4
    # As if the batch of the best hit were still on its way into the lake (step 2 pending).
    with psycopg.connect(lake.dsn, autocommit=True) as pg:
        pg.execute(
            "UPDATE store.lake_batches SET published_at = NULL WHERE batch_id = "
            "(SELECT batch_id FROM store.article_versions WHERE article_id = %s)",
            (before[0],),
        )
    with read_lake(lake) as conn:
        after = [h.article_id for h in search.search(conn, "report", limit=10).hits]
    assert before[0] not in after
    assert after and set(after) < set(before)


def test_a_lake_that_predates_the_index_is_indexed_by_its_next_run(
    tmp_path: Path, db_path: Path, lake: LakeTarget
) -> None:
    sources = files_sources(tmp_path, 5)
    run(sources, db_path)
    lake_run(sources, lake)
    with psycopg.connect(lake.dsn, autocommit=True) as pg:  # as before the index existed
        for table in ("postings", "docs", "stopwords", "totals"):
            pg.execute(f"DROP TABLE store.search_{table} CASCADE".encode())
        pg.execute("DELETE FROM public.news_ingest_schema")
    with read_lake(lake) as conn:
        with pytest.raises(IndexMissingError, match="no search index yet"):
            search.search(conn, "council")
        assert collect_stats(conn).indexed == 0

    lake_run(sources, lake)  # nothing new to store: its refresh indexes every article
    with read_lake(lake) as lake_conn, read_only(db_path) as file_conn:
        assert index_tables(lake_conn) == index_tables(file_conn)
        found = hits(search.search(lake_conn, "council", limit=20))
        assert len(found) == 5
        assert found == hits(search.search(file_conn, "council", limit=20))


def test_a_lake_with_the_former_index_layout_is_indexed_again_by_its_next_run(
    tmp_path: Path, db_path: Path, lake: LakeTarget
) -> None:
    sources = files_sources(tmp_path, 5)
    run(sources, db_path)
    lake_run(sources, lake)
    with psycopg.connect(lake.dsn, autocommit=True) as pg:  # the layout before 2026-12-06
        pg.execute(b"DROP TABLE store.search_postings")
        pg.execute(
            b"CREATE TABLE store.search_dictionary (term_id INTEGER GENERATED BY DEFAULT AS "
            b"IDENTITY PRIMARY KEY, term TEXT NOT NULL UNIQUE)"
        )
        pg.execute(
            b"CREATE TABLE store.search_postings (term_id INTEGER NOT NULL, "
            b"article_id BIGINT NOT NULL, tf INTEGER NOT NULL, PRIMARY KEY (term_id, article_id))"
        )
        pg.execute(b"DROP TABLE store.search_totals")
        pg.execute(
            b"CREATE TABLE store.search_totals (one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one), "
            b"docs BIGINT NOT NULL, total_length BIGINT NOT NULL)"
        )
        pg.execute(b"INSERT INTO store.search_totals VALUES (true, 5, 1234)")
        pg.execute(b"INSERT INTO store.search_dictionary (term) VALUES ('council')")
        pg.execute(b"INSERT INTO store.search_postings SELECT 1, article_id, 1 FROM store.articles")
        pg.execute(b"DELETE FROM public.news_ingest_schema")
    with connect_lake(lake):
        pass  # a writer's connection upgrades the schema: the old index is emptied
    with read_lake(lake) as conn:  # nothing of the old index is shown; search says why
        result = search.search(conn, "council")
        assert result.hits == () and result.not_indexed == 5
        assert collect_stats(conn).indexed == 0
    with psycopg.connect(lake.dsn) as pg:
        assert pg.execute(b"SELECT to_regclass('store.search_dictionary')").fetchall() == [(None,)]
        assert pg.execute(
            b"SELECT sum(docs), sum(total_length) FROM store.search_totals"
        ).fetchall() == [(0, 0)]

    lake_run(sources, lake)  # nothing new to store: its refresh indexes every article
    with read_lake(lake) as lake_conn, read_only(db_path) as file_conn:
        assert index_tables(lake_conn) == index_tables(file_conn)
        found = hits(search.search(lake_conn, "council", limit=20))
        assert len(found) == 5
        assert found == hits(search.search(file_conn, "council", limit=20))


def test_a_file_migrated_into_a_lake_is_searchable_like_the_file(
    tmp_path: Path, db_path: Path, lake: LakeTarget
) -> None:
    run(corpus(tmp_path), db_path)
    copy_file_into_lake(db_path, lake)

    with read_lake(lake) as lake_conn, read_only(db_path) as file_conn:
        assert index_tables(lake_conn) == index_tables(file_conn)
        for text in QUERIES:
            found = search.search(lake_conn, text, limit=50)
            expected = search.search(file_conn, text, limit=50)
            assert found.hits and hits(found) == hits(expected), text
            assert [h.score for h in found.hits] == pytest.approx(
                [h.score for h in expected.hits], abs=1e-9, rel=0
            )
