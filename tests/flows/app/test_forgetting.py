"""`reset` and `drop`: what they forget, what they keep, and the confirmation they ask for."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from flows.app.cli import main
from tests.analyst_data import prose
from tests.flows.lakehelpers import lake_rows
from tests.helpers import query, run
from warehouse.lake.target import LakeTarget
from warehouse.snapshots import snapshot_path

pytestmark = pytest.mark.usefixtures("prefect_harness")

SHARED = "https://shared.example/news/tram"


class Terminal(io.StringIO):
    """Standard input typed at a terminal."""

    def isatty(self) -> bool:
        return True


def record(url: str, title: str, seed: str, extra: str = "") -> str:
    text = "\n\n".join(prose(f"{seed}-{i}", 4) for i in range(5)) + extra
    return json.dumps({"url": url, "title": title, "text": f"{title}\n\n{text}"})


@pytest.fixture
def two_sources(tmp_path: Path) -> tuple[Path, Path]:
    """'wire' and 'metro': one article each of their own, and one URL both delivered
    (metro's text differs, so the shared article has a version from each)."""
    for name, own in (("wire", "glacier"), ("metro", "harbour")):
        folder = tmp_path / name
        folder.mkdir()
        extra = " Metro adds a closing paragraph about the tram depot." if name == "metro" else ""
        lines = [
            record(f"https://{name}.example/news/{own}", f"{own.title()} news", f"{name}-{own}"),
            record(SHARED, "Tram line opens", "shared-tram", extra),
        ]
        (folder / "items.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "wire"\nkind = "files"\npath = "wire"\n'
        '[[sources]]\nname = "metro"\nkind = "files"\npath = "metro"\n',
        encoding="utf-8",
    )
    db = tmp_path / "news.duckdb"
    assert run(sources, db).status == "completed"
    return sources, db


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def counts(db: Path, source: str) -> dict[str, int]:
    tables = ("article_versions", "rejects", "fetch_log", "url_state", "checkpoints",
              "source_state", "run_sources")  # fmt: skip
    return {t: query(db, f"SELECT count(*) FROM store.{t} WHERE source = ?", [source])[0][0]
            for t in tables}  # fmt: skip


def test_drop_deletes_what_the_source_brought_and_keeps_what_others_share(
    two_sources: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    sources, db = two_sources
    assert query(db, "SELECT version_count, source FROM store.articles WHERE canonical_url = ?",
                 [SHARED]) == [(2, "wire")]  # fmt: skip

    code, out, _ = cli(capsys, "drop", "wire", "--db", str(db), "--yes")

    assert code == 0
    assert "deletes 1 article(s)" in out and "1 article(s) other sources delivered too" in out
    assert out.strip().endswith("dropped source 'wire'")
    assert set(counts(db, "wire").values()) == {0}
    assert counts(db, "metro")["article_versions"] == 2
    urls = [r[0] for r in query(db, "SELECT url FROM articles ORDER BY url")]
    assert urls == ["https://metro.example/news/harbour", SHARED]
    shared = query(db, "SELECT version_count, source FROM store.articles WHERE canonical_url = ?",
                   [SHARED])  # fmt: skip
    assert shared == [(2, "metro")]  # metro's version keeps its number; wire's is gone
    assert query(db, "SELECT source, text LIKE '%tram depot%' FROM articles WHERE url = ?",
                 [SHARED]) == [("metro", True)]  # fmt: skip
    for table in ("url_aliases", "story_bands", "search_docs", "search_postings"):
        orphans = query(db, f"SELECT count(*) FROM store.{table} "
                            "WHERE article_id NOT IN (SELECT article_id FROM store.articles)")  # fmt: skip
        assert orphans == [(0,)], table
    assert query(db, "SELECT count(*) FROM store.search_docs d JOIN store.articles a "
                     "USING (article_id) WHERE d.version_no <> a.version_count") == [(0,)]  # fmt: skip
    code, out, _ = cli(capsys, "search", "glacier", "--db", str(db), "--format", "json")
    assert code == 0 and json.loads(out) == []  # the snapshot was published again

    again = run(sources, db, source_names=["wire"])  # a run ingests it again from scratch
    assert again.sources[0].counts.new + again.sources[0].counts.duplicates >= 1
    assert again.sources[0].counts.not_modified == 0


def test_reset_forgets_fetch_state_and_keeps_the_articles(
    two_sources: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    sources, db = two_sources
    articles = query(db, "SELECT count(*) FROM store.articles")
    assert counts(db, "wire")["checkpoints"] == 1

    code, out, _ = cli(capsys, "reset", "wire", "--db", str(db), "-y")

    assert code == 0 and "forgets 2 URL state(s)" in out and "1 checkpoint(s)" in out
    after = counts(db, "wire")
    assert (after["url_state"], after["checkpoints"], after["source_state"]) == (0, 0, 0)
    assert after["article_versions"] == 2 and after["run_sources"] == 1
    assert query(db, "SELECT count(*) FROM store.articles") == articles
    report = run(sources, db, source_names=["wire"])
    assert report.sources[0].counts.not_modified == 0  # the file is read again
    # Its own article is unchanged; the shared one's latest text is metro's, so wire's differs.
    assert (report.sources[0].counts.unchanged, report.sources[0].counts.updated) == (1, 1)
    assert report.sources[0].counts.new == 0


def test_the_confirmation_and_dry_run(
    two_sources: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, db = two_sources
    before = counts(db, "wire")
    snapshot = snapshot_path(db).stat().st_mtime_ns

    code, out, _ = cli(capsys, "drop", "wire", "--db", str(db), "--dry-run", "--format", "json")
    plan = json.loads(out)
    assert code == 0 and plan["dry_run"] is True
    assert plan["plan"]["articles_deleted"] == 1 and plan["plan"]["versions"] == 2

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # a pipe: nobody to ask
    code, _, err = cli(capsys, "drop", "wire", "--db", str(db))
    assert code == 2 and "add --yes" in err

    monkeypatch.setattr("sys.stdin", Terminal("metro\n"))  # the wrong name typed back
    code, out, err = cli(capsys, "drop", "wire", "--db", str(db))
    assert code == 1 and "nothing changed" in err

    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, _, err = cli(capsys, "reset", "wire", "--db", str(db))
    assert code == 1 and "nothing changed" in err
    assert counts(db, "wire") == before
    assert snapshot_path(db).stat().st_mtime_ns == snapshot

    code, _, err = cli(capsys, "drop", "nosuch", "--db", str(db), "--yes")
    assert code == 2 and "unknown source 'nosuch'" in err and "metro" in err

    monkeypatch.setattr("sys.stdin", Terminal("wire\n"))
    code, out, _ = cli(capsys, "drop", "wire", "--db", str(db))
    assert code == 0 and "Type the source's name (wire)" in out
    assert counts(db, "wire")["article_versions"] == 0


def test_reset_on_a_lake_forgets_its_postgresql_state_and_the_next_run_reads_again(
    tmp_path: Path, lake: LakeTarget, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "wire"
    folder.mkdir()
    lines = [record(f"https://wire.example/news/{t}", f"{t} news", t) for t in ("a", "b")]
    (folder / "items.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    sources = tmp_path / "sources.toml"
    sources.write_text('[[sources]]\nname = "wire"\nkind = "files"\npath = "wire"\n')
    warehouse = f"ducklake:postgres:{lake.dsn}"
    options = {"warehouse": warehouse, "data_path": str(lake.data_path)}
    assert run(sources, tmp_path / "unused.duckdb", **options).status == "completed"
    state = (
        "SELECT (SELECT count(*) FROM store.url_state), (SELECT count(*) FROM store.checkpoints)"
    )
    assert lake_rows(lake, state) == [(2, 1)]

    code, _, err = cli(capsys, "reset", "metro", "--warehouse", warehouse, "-y")
    assert code == 2 and "unknown source 'metro'" in err and lake.address() in err
    code, out, _ = cli(capsys, "reset", "wire", "--warehouse", warehouse, "-y")

    assert code == 0 and "forgets 2 URL state(s)" in out and "1 checkpoint(s)" in out
    assert lake_rows(lake, state) == [(0, 0)]
    assert lake_rows(lake, "SELECT count(*) FROM news_lake.main.articles") == [(2,)]
    again = run(sources, tmp_path / "unused.duckdb", **options)
    counted = again.sources[0].counts
    assert (counted.not_modified, counted.unchanged, counted.new) == (0, 2, 0)  # read again
    assert lake_rows(lake, state) == [(2, 1)]
