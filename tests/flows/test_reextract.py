"""Re-extraction from raw captures: new versions exactly where the cleaned output changed.

Pages are fetched from a local site with capture on; an older extractor is
simulated by rewriting stored versions (text and version hash) in SQL, since
the cleaning itself runs in worker processes no monkeypatch can reach.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from flows.app.cli import main
from flows.reextract import parse_since
from tests.flows.lakehelpers import assert_consistent
from tests.helpers import query
from tests.localserver import LocalServer, Response
from tests.textgen import paragraphs
from warehouse.lake.connection import read_lake
from warehouse.lake.target import LakeTarget

TOPICS = ("harbour", "railway", "library", "stadium", "hospital")
LISTED = ("museum", "bridge")
OLD_TEXT = "Home | Local | Sport. "  # what an older extractor kept of the navigation


def article_html(topic: str) -> bytes:
    body = "".join(f"<p>{text}</p>" for text in paragraphs(topic))
    return (
        f"<html><head><title>News about the {topic}</title></head><body>"
        f"<nav>Home | Local | Sport</nav><article><h1>New {topic} plans</h1>{body}"
        "</article><footer>Contact us</footer></body></html>"
    ).encode()


def rss(server: LocalServer) -> bytes:
    items = "".join(
        f"<item><title>Feed title: {t}</title><link>{server.url('/news/' + t)}</link>"
        f"<guid>{t}</guid><pubDate>Tue, 05 Mar 2024 09:30:00 +0000</pubDate></item>"
        for t in TOPICS
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>L</title>{items}</channel></rss>'.encode()


@pytest.fixture
def site(local_server: LocalServer) -> LocalServer:
    for topic in TOPICS + LISTED:
        local_server.route(f"/news/{topic}", Response(body=article_html(topic)))
    local_server.route("/robots.txt", Response(status=404, body=b""))
    local_server.route(
        "/rss.xml", Response(body=rss(local_server), content_type="application/rss+xml")
    )
    return local_server


def fetch_with_capture(tmp_path: Path, site: LocalServer) -> Path:
    """Ingest a feed and a URL list from the local site with capture on; return the database."""
    (tmp_path / "urls.txt").write_text(
        "".join(site.url(f"/news/{t}") + "\n" for t in LISTED), encoding="utf-8"
    )
    sources = tmp_path / "sources.toml"
    sources.write_text(
        "[fetch]\nallow_private_addresses = true\nhost_delay = 0\n[capture]\nwarc = true\n"
        f'[[sources]]\nname = "feed"\nkind = "feed"\nurl = "{site.url("/rss.xml")}"\n'
        '[[sources]]\nname = "list"\nkind = "urls"\npath = "urls.txt"\n',
        encoding="utf-8",
    )
    db = tmp_path / "news.duckdb"
    assert main(["run", "--sources", str(sources), "--db", str(db)]) == 0
    return db


def execute(db: Path, sql: str, params: list[Any] | None = None) -> None:
    with duckdb.connect(str(db)) as conn:
        conn.execute(sql, params or [])


def article_ids(db: Path, *topics: str) -> list[int]:
    rows = query(db, "SELECT article_id, url FROM articles ORDER BY article_id")
    return [article_id for t in topics for article_id, url in rows if url.endswith(f"/{t}")]


def age(db: Path, *topics: str) -> None:
    """Make the latest versions of these articles look like an older extractor's output."""
    execute(
        db,
        "UPDATE store.article_versions SET text = ? || text, version_hash = 'old-' || version_hash "
        "WHERE article_id IN (SELECT unnest(?::BIGINT[]))",
        [OLD_TEXT, article_ids(db, *topics)],
    )


def last_run(db: Path) -> dict[str, tuple[Any, ...]]:
    rows = query(
        db,
        "SELECT source, kind, status, found, fetched, new, updated, unchanged, rejected, warning "
        "FROM store.run_sources WHERE run_id = (SELECT run_id FROM store.runs "
        "ORDER BY started_at DESC LIMIT 1)",
    )
    return {row[0]: row[1:] for row in rows}


def lake_rows(lake: LakeTarget, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query on the lake's views (by name)."""
    with read_lake(lake) as conn:
        return conn.execute(sql).fetchall()


def versions(db: Path) -> dict[str, int]:
    return dict(query(db, "SELECT regexp_extract(url, '[^/]*$'), version_count FROM articles"))


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_reextract_stores_exactly_the_changed_versions_and_fetches_nothing(
    tmp_path: Path, site: LocalServer
) -> None:
    db = fetch_with_capture(tmp_path, site)
    original = dict(query(db, "SELECT article_id, text FROM articles"))
    age(db, "harbour", "library")
    state_before = query(db, "SELECT * FROM store.url_state ORDER BY location")
    seen_before = query(
        db, "SELECT article_id, story_id, last_seen_at FROM store.articles ORDER BY 1"
    )
    requests = len(site.requests)

    assert main(["reextract", "--db", str(db)]) == 0

    assert len(site.requests) == requests  # nothing fetched
    assert versions(db) == {t: 2 if t in {"harbour", "library"} else 1 for t in TOPICS + LISTED}
    rows = query(
        db,
        "SELECT v2.article_id, v2.text, v2.capture_path = v1.capture_path, "
        "v2.capture_offset = v1.capture_offset, v2.hint_origin, v2.hint_title, v2.published_source, "
        "v2.published_at = v1.published_at, v2.location = v1.location "
        "FROM store.article_versions v2 JOIN store.article_versions v1 "
        "ON v1.article_id = v2.article_id AND v1.version_no = 1 WHERE v2.version_no = 2",
    )
    assert len(rows) == 2
    for article_id, text, same_path, same_offset, *rest in rows:
        assert text == original[article_id]  # the text the current cleaning gives
        assert same_path and same_offset  # still points at the same raw record
        origin, hint_title, published_source, same_published, same_location = rest
        assert (origin, published_source) == ("feed", "feed")  # the feed's hints carried over
        assert str(hint_title).startswith("Feed title: ")
        assert same_published and same_location
    assert last_run(db) == {
        "feed": ("reextract", "completed", 5, 0, 0, 2, 3, 0, None),
        "list": ("reextract", "completed", 2, 0, 0, 0, 2, 0, None),
    }
    # A re-extraction saw nothing on the web: fetch state, last-seen times and stories stay.
    assert query(db, "SELECT * FROM store.url_state ORDER BY location") == state_before
    assert (
        query(db, "SELECT article_id, story_id, last_seen_at FROM store.articles ORDER BY 1")
        == seen_before
    )
    assert query(db, "SELECT count(*) FROM store.search_docs WHERE version_no = 2") == [(2,)]

    assert main(["reextract", "--db", str(db)]) == 0

    assert query(db, "SELECT count(*) FROM store.article_versions") == [(9,)]
    assert last_run(db)["feed"][4:7] == (0, 0, 5)  # new, updated, unchanged
    assert query(db, "SELECT count(*) FROM runs WHERE status = 'completed'") == [(3,)]


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_reextract_filters_by_source_and_date_and_a_lost_capture_is_a_reject(
    tmp_path: Path, site: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    db = fetch_with_capture(tmp_path, site)
    age(db, "harbour", "museum", "bridge")
    (bridge,) = article_ids(db, "bridge")
    execute(
        db,
        "UPDATE store.article_versions SET retrieved_at = '2020-01-01 00:00:00+00' "
        "WHERE article_id = ?",
        [bridge],
    )

    runs_before = query(db, "SELECT count(*) FROM store.runs")
    # An unknown source name is a usage error before anything runs, not an empty result.
    code = main(["reextract", "--db", str(db), "--source", "list", "--source", "nosuch"])
    assert code == 2
    assert "unknown source 'nosuch'" in capsys.readouterr().err
    assert query(db, "SELECT count(*) FROM store.runs") == runs_before

    code = main(["reextract", "--db", str(db), "--source", "list", "--since", "2021-01-01"])

    assert code == 0
    assert "re-extracting 1 captured page(s) of 2 article(s): list 1/2" in capsys.readouterr().err
    assert versions(db)["museum"] == 2
    assert versions(db)["bridge"] == 1  # captured before --since
    assert versions(db)["harbour"] == 1  # another source
    runs = last_run(db)
    assert runs["list"][2:7] == (1, 0, 0, 1, 0)  # found, fetched, new, updated, unchanged

    railway, library = article_ids(db, "railway", "library")
    execute(
        db,
        "UPDATE store.article_versions SET capture_path = capture_path || '.gone' "
        "WHERE article_id = ?",
        [railway],
    )
    execute(
        db,
        "UPDATE store.article_versions SET capture_offset = capture_offset + 7 WHERE article_id = ?",
        [library],
    )

    assert main(["reextract", "--db", str(db)]) == 0

    assert versions(db) == {
        "harbour": 2, "railway": 1, "library": 1, "stadium": 1, "hospital": 1,
        "museum": 2, "bridge": 2,
    }  # fmt: skip
    runs = last_run(db)
    assert runs["feed"][1:8] == ("completed", 5, 0, 0, 1, 2, 2)
    rejects = query(
        db,
        "SELECT regexp_extract(location, '[^/]*$'), reason, detail FROM rejects ORDER BY 1",
    )
    assert [r[:2] for r in rejects] == [
        ("library", "malformed_record"),
        ("railway", "missing_path"),
    ]
    assert all(r[2].startswith("capture: ") for r in rejects)


def test_since_accepts_dates_and_times() -> None:
    assert parse_since("2024-03-05") == datetime(2024, 3, 5, tzinfo=UTC)
    assert parse_since("2024-03-05T10:30") == datetime(2024, 3, 5, 10, 30, tzinfo=UTC)
    assert parse_since("2024-03-05T10:30:00+02:00") == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    assert parse_since("2024-03-05T10:30:00Z") == datetime(2024, 3, 5, 10, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="ISO date"):
        parse_since("last tuesday")


@pytest.mark.usefixtures("prefect_harness")
def test_reextract_without_a_database_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reextract", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert "no database" in capsys.readouterr().err
    assert not (tmp_path / "none.duckdb").exists()


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_reextract_on_a_lake_stores_the_changed_versions_into_it(
    tmp_path: Path, site: LocalServer, lake: LakeTarget
) -> None:
    warehouse = ["--warehouse", f"ducklake:postgres:{lake.dsn}"]
    sources = tmp_path / "sources.toml"
    sources.write_text(
        "[fetch]\nallow_private_addresses = true\nhost_delay = 0\n[capture]\nwarc = true\n"
        f'[[sources]]\nname = "feed"\nkind = "feed"\nurl = "{site.url("/rss.xml")}"\n',
        encoding="utf-8",
    )
    db = ["--db", str(tmp_path / "unused.duckdb")]
    run = ["run", "--sources", str(sources), *db, *warehouse, "--data-path", str(lake.data_path)]
    assert main(run) == 0
    ids = dict(lake_rows(lake, "SELECT regexp_extract(url, '[^/]*$'), article_id FROM articles"))
    # An older extractor's output: the version hashes PostgreSQL decides by differ.
    with psycopg.connect(lake.dsn, autocommit=True) as pg:
        pg.execute(
            "UPDATE store.article_versions SET version_hash = 'old-' || version_hash "
            "WHERE article_id = ANY(%s)",
            ([ids["harbour"], ids["library"]],),
        )
    requests = len(site.requests)

    assert main(["reextract", *db, *warehouse]) == 0

    assert len(site.requests) == requests  # nothing fetched
    counts = dict(
        lake_rows(lake, "SELECT regexp_extract(url, '[^/]*$'), version_count FROM articles")
    )
    assert counts == {t: 2 if t in {"harbour", "library"} else 1 for t in TOPICS}
    assert lake_rows(
        lake,
        "SELECT kind, status, found, updated, unchanged FROM run_sources "
        "WHERE run_id = (SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1)",
    ) == [("reextract", "completed", 5, 2, 3)]
    assert_consistent(lake, len(TOPICS))
