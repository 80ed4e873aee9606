"""Full-text search: BM25 ranking, incremental refresh by the flow, bad queries."""

from __future__ import annotations

import json
import random
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.app.cli import main
from tests.analyst_data import analyst_db, prose  # noqa: F401 (fixture)
from tests.helpers import run
from warehouse import search
from warehouse.connection import connect
from warehouse.errors import EmptyQueryError, IndexMissingError
from warehouse.reading import read_only

SEEDS = Path(__file__).parents[2] / "seeds"

PLACES = [
    "Aberdeen", "Bologna", "Cardiff", "Dresden", "Eindhoven", "Florence", "Galway", "Hamburg",
    "Innsbruck", "Jaipur", "Kyoto", "Lisbon", "Marseille", "Nairobi", "Oslo", "Porto",
    "Quebec", "Rotterdam", "Seville", "Tallinn",
]  # fmt: skip
THINGS = [
    "bridge", "museum", "ferry", "stadium", "hospital", "airport", "library", "brewery",
    "observatory", "aquarium", "tunnel", "lighthouse", "vineyard", "cathedral", "racetrack",
]  # fmt: skip


def generated_articles(rng: random.Random) -> list[dict[str, str]]:
    """300 articles; each (place, thing) pair appears in exactly one headline."""
    records = []
    for place in PLACES:
        for thing in THINGS:
            headline = f"{place} {thing} project approved"
            sentences = [f"The new {thing} in {place} was approved on Monday."]
            sentences.append(prose(f"{place}-{thing}", 5))
            sentences.append(f"Supporters say the {thing} will change {place}.")
            # Other places and things appear in passing, as they do in real news.
            sentences.append(
                f"A similar {rng.choice(THINGS)} was built in {rng.choice(PLACES)} years ago."
            )
            text = " ".join(sentences)
            records.append(
                {
                    "url": f"https://news.example/{place.lower()}/{thing}",
                    "title": headline,
                    "text": f"{headline}\n\n{text}\n\n{text}",
                }
            )
    return records


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_top_hit_for_a_headlines_distinctive_words_is_that_article(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    records = generated_articles(random.Random(7))
    (docs / "articles.jsonl").write_text(
        "\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8"
    )
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[sources]]\nname = "gen"\nkind = "files"\npath = "{docs}"\n')
    db = tmp_path / "news.duckdb"
    report = run(sources, db)
    counts = report.sources[0].counts
    assert counts.new + counts.duplicates == len(records)

    misses = []
    with read_only(db) as conn:
        for rec in records:
            place, thing = rec["title"].split()[:2]
            result = search.search(conn, f"{place} {thing}", limit=3)
            if not result.hits or result.hits[0].url != rec["url"]:
                misses.append((rec["title"], [h.url for h in result.hits]))
            assert result.not_indexed == 0
    assert misses == []


@pytest.mark.usefixtures("prefect_harness")
def test_seed_article_is_the_first_hit_for_airspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "seeds"
    shutil.copytree(SEEDS, docs, ignore=shutil.ignore_patterns("*.toml"))
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[sources]]\nname = "seeds"\nkind = "files"\npath = "{docs}"\n')
    db = tmp_path / "news.duckdb"
    run(sources, db)

    with read_only(db) as conn:
        result = search.search(conn, "airspace")
    assert result.terms == ("airspac",)
    assert result.hits[0].title == "Pakistan, US Discussing Counterterror Use of Airspace"
    assert "airspace" in result.hits[0].snippet.lower()

    assert main(["search", "airspace", "--db", str(db), "--format", "json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits[0]["title"] == "Pakistan, US Discussing Counterterror Use of Airspace"


def test_index_follows_edits_and_filters_apply(analyst_db: Path) -> None:  # noqa: F811
    with read_only(analyst_db) as conn:
        stale = conn.execute(
            "SELECT count(*) FROM store.articles a JOIN store.search_docs d USING (article_id) "
            "WHERE d.version_no <> a.version_count"
        ).fetchone()
        indexed = conn.execute("SELECT count(*) FROM store.search_docs").fetchone()
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()
        # "resumed" is only in the second version of the harbour article.
        resumed = search.search(conn, "resumed")
        wire_only = search.search(conn, "glacier", source="wire")
        both = search.search(conn, "glacier")
        recent = search.search(conn, "harbour glacier vaccine", since=date(2024, 3, 6))
    assert stale == (0,) and indexed == articles
    assert [h.url for h in resumed.hits] == ["https://wire.example/news/harbour"]
    assert {h.source for h in both.hits} == {"wire", "metro"}
    assert [h.source for h in wire_only.hits] == ["wire"]
    # Harbour and glacier were published on 6 March, vaccine on 5 March.
    assert {h.url.rsplit("/", 1)[1] for h in recent.hits} == {"harbour", "glacier"}


@pytest.mark.parametrize("query", ["the and of", "!!! ??? ---", "", "   ", "it's what they'd"])
def test_a_query_without_searchable_words_is_explained(analyst_db: Path, query: str) -> None:  # noqa: F811
    with read_only(analyst_db) as conn, pytest.raises(EmptyQueryError, match="stop words"):
        search.search(conn, query)


def test_hostile_queries_are_data_not_sql(analyst_db: Path) -> None:  # noqa: F811
    with read_only(analyst_db) as conn:
        result = search.search(conn, "'); DROP TABLE store.articles; -- tram")
        assert result.hits[0].title is not None and "tram" in result.hits[0].title.lower()
        assert search.search(conn, "zzzqqqxxy").hits == ()


def test_refresh_is_incremental_and_a_rebuild_agrees(analyst_db: Path, tmp_path: Path) -> None:  # noqa: F811
    copy = tmp_path / "copy.duckdb"
    shutil.copy(analyst_db, copy)
    with connect(copy) as conn:
        before = search.search(conn, "tram network harbour").hits
        assert search.refresh_index(conn).indexed == 0  # in step already
        rebuilt = search.rebuild_index(conn, batch_size=3)  # several transactions
        total = conn.execute("SELECT count(*) FROM store.articles").fetchall()
        after = search.search(conn, "tram network harbour").hits
    assert [(rebuilt.indexed,)] == total
    assert [(h.article_id, round(h.score, 9)) for h in after] == [
        (h.article_id, round(h.score, 9)) for h in before
    ]


def test_plain_sql_macro_ranks_like_the_api(analyst_db: Path) -> None:  # noqa: F811
    with read_only(analyst_db) as conn:
        api = [h.article_id for h in search.search(conn, "orchestra season", limit=5).hits]
        sql = conn.execute(
            "SELECT article_id FROM search_articles('orchestra season') "
            "ORDER BY score DESC, article_id LIMIT 5"
        ).fetchall()
    assert [r[0] for r in sql] == api


def test_a_database_without_the_index_says_how_to_get_one(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as raw:
        raw.execute("CREATE SCHEMA store")
        raw.execute("CREATE TABLE store.schema_migrations (name VARCHAR, applied_at TIMESTAMPTZ)")
    with read_only(db) as conn, pytest.raises(IndexMissingError, match="news-ingest run"):
        search.search(conn, "airspace")
