"""The ingest flow end to end under a real Prefect API, into real DuckDB files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import query, run

SEEDS = Path(__file__).parents[2] / "seeds"
PARAGRAPH = (
    "The city council voted on Tuesday to expand the tram network by twelve kilometres, "
    "a project expected to take four years and cost about 300 million euros. "
)

BRIDGE = (
    "The old river bridge reopened to traffic on Monday after eighteen months of repairs, "
    "and commuters said the detour through the industrial zone had doubled their journeys. "
)


def page(title: str, body: str, extra_head: str = "") -> str:
    return (
        f"<html><head><title>{title}</title>{extra_head}</head><body>"
        f"<nav>Home | World | Sport</nav><article><h1>{title}</h1>"
        + "".join(f"<p>{body} Paragraph {i}.</p>" for i in range(6))
        + "</article><footer>Copyright</footer></body></html>"
    )


def sources_file(folder: Path, docs: Path) -> Path:
    path = folder / "sources.toml"
    path.write_text(
        f'[[sources]]\nname = "local"\nkind = "files"\npath = "{docs}"\n', encoding="utf-8"
    )
    return path


@pytest.fixture
def docs_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SEEDS / "000_a816b2ae7982ef0e.txt", folder)
    meta = '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2024-03-05T09:30:00+01:00"}</script>'
    (folder / "tram.html").write_text(
        page("Council expands tram network", PARAGRAPH, meta), encoding="utf-8"
    )
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "binary.html").write_bytes(b"\x00\x01\x02" * 100)
    (folder / "latin1.txt").write_bytes("Caf\xe9".encode("latin-1") * 50)
    (folder / "nav-only.html").write_text(
        "<html><body><nav><a href='/'>Home</a></nav></body></html>", encoding="utf-8"
    )
    lines = [
        json.dumps(
            {
                "url": "https://example.com/news/1",
                "html": page("Bridge reopens", BRIDGE),
            }
        ),
        "{broken",
    ]
    (folder / "records.jsonl").write_text("\n".join(lines), encoding="utf-8")
    return folder


@pytest.mark.usefixtures("prefect_harness")
def test_seed_lands_clean_and_bad_files_become_rejects(
    tmp_path: Path, docs_dir: Path, db_path: Path
) -> None:
    report = run(sources_file(tmp_path, docs_dir), db_path)

    assert report.status == "completed"
    (source,) = report.sources
    counts = source.counts
    assert (counts.found, counts.new, counts.rejected) == (8, 3, 5)
    seed = query(
        db_path, "SELECT title, text, published_at, url FROM articles WHERE title LIKE 'Pakistan%'"
    )
    title, text, published_at, url = seed[0]
    assert title == "Pakistan, US Discussing Counterterror Use of Airspace"
    assert str(text).startswith("Pakistan stopped short Saturday")
    assert "Accessibility links" not in str(text) and "Breaking News" not in str(text)
    assert "F-16" not in str(text)  # the photo caption is not the lead
    assert published_at is None
    assert str(url).startswith("file://")
    tram = query(
        db_path,
        "SELECT published_at, published_precision, published_source FROM articles WHERE title LIKE 'Council%'",
    )
    assert str(tram[0][0]) == "2024-03-05 08:30:00+00:00" and tram[0][1:] == ("second", "jsonld")
    assert query(db_path, "SELECT url FROM articles WHERE title = 'Bridge reopens'") == [
        ("https://example.com/news/1",)
    ]
    reasons = {
        row[0]: row[1]
        for row in query(db_path, "SELECT regexp_extract(location, '[^/]*$'), reason FROM rejects")
    }
    assert reasons == {
        "empty.txt": "empty",
        "binary.html": "binary",
        "latin1.txt": "undecodable",
        "nav-only.html": "no_article",
        "records.jsonl#line=2": "malformed_record",
    }


@pytest.mark.usefixtures("prefect_harness")
def test_rerun_adds_nothing_and_an_edit_adds_a_version(
    tmp_path: Path, docs_dir: Path, db_path: Path
) -> None:
    sources = sources_file(tmp_path, docs_dir)
    run(sources, db_path)
    before = query(
        db_path,
        "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_versions), (SELECT count(*) FROM store.url_aliases), (SELECT sum(times_seen) FROM rejects)",
    )

    second = run(sources, db_path)

    assert (
        query(
            db_path,
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_versions), (SELECT count(*) FROM store.url_aliases), (SELECT sum(times_seen) FROM rejects)",
        )
        == before
    )
    counts = second.sources[0].counts
    assert (counts.new, counts.updated, counts.not_modified) == (0, 0, 7)
    assert query(db_path, "SELECT count(*), count(DISTINCT status) FROM runs") == [(2, 1)]

    (docs_dir / "tram.html").write_text(
        page("Council expands tram network", PARAGRAPH.replace("twelve", "fifteen")),
        encoding="utf-8",
    )
    third = run(sources, db_path)

    assert third.sources[0].counts.updated == 1
    rows = query(
        db_path,
        "SELECT version_no, text LIKE '%fifteen%' FROM article_versions WHERE title LIKE 'Council%' ORDER BY version_no",
    )
    assert rows == [(1, False), (2, True)]
    assert query(
        db_path,
        "SELECT version_count, text LIKE '%fifteen%' FROM articles WHERE title LIKE 'Council%'",
    ) == [(2, True)]


@pytest.mark.usefixtures("prefect_harness")
def test_snapshot_is_published_and_retired_when_turned_off(
    tmp_path: Path, docs_dir: Path, db_path: Path
) -> None:
    sources = sources_file(tmp_path, docs_dir)
    snapshot = db_path.with_name("news.snapshot.duckdb")
    run(sources, db_path)
    assert query(snapshot, "SELECT count(*) FROM articles") == [(3,)]

    sources.write_text(
        "[pipeline]\nsnapshot = false\n" + sources.read_text(encoding="utf-8"), encoding="utf-8"
    )
    run(sources, db_path)
    assert not snapshot.exists()  # a stale copy would mislead readers; they use the live file
