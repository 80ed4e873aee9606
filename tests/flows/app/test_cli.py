"""The command line's conventions: --version, -v/-q, defaults and the errors that name them,
JSON that holds data only, `sql -`, unknown source names, reextract's explanations."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from flows.app.cli import main, version_text
from tests.analyst_data import analyst_db  # noqa: F401 (fixture)


@pytest.fixture(autouse=True)
def own_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Defaults under the test's folder; the working directory is elsewhere."""
    for name in ("NEWS_INGEST_SOURCES", "NEWS_INGEST_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return tmp_path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_version_names_the_package_and_its_engines(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and out == version_text() + "\n"
    assert out.startswith("news-ingest 0.1.0 (Python 3.")
    for engine in ("prefect 3.9.1", "duckdb 1.5.5", "trafilatura 2.3.1"):
        assert engine in out


def test_verbosity_flags_go_before_or_after_the_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sources = tmp_path / "s.toml"
    for args in (["-q", "init", str(sources)], ["init", str(sources), "-q", "--force"]):
        code, out, _ = cli(capsys, *args)
        assert code == 0 and out == ""
    code, out, _ = cli(capsys, "init", str(sources), "--force")
    assert code == 0 and out.startswith(f"wrote {sources}")


def test_missing_files_name_the_option_and_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, _, err = cli(capsys, "run")
    default = tmp_path / "config" / "news-ingest" / "sources.toml"
    assert code == 2
    assert f"no sources file at {default} (the default)" in err
    assert "news-ingest init" in err and "--sources PATH" in err
    assert "NEWS_INGEST_SOURCES" in err

    monkeypatch.setenv("NEWS_INGEST_DB", str(tmp_path / "gone.duckdb"))
    for command in (["stats"], ["sql", "SELECT 1"], ["search", "x"], ["reextract"]):
        code, _, err = cli(capsys, *command)
        assert code == 2, command
        assert f"{tmp_path / 'gone.duckdb'} (from $NEWS_INGEST_DB)" in err
        assert "--db PATH" in err and "news-ingest run" in err
    assert not (tmp_path / "gone.duckdb").exists()


def test_a_sources_file_without_sources_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing yet\n[fetch]\nhost_delay = 0\n", encoding="utf-8")
    for command in (["run", "--db", str(tmp_path / "d")], ["check"]):
        code, _, err = cli(capsys, *command, "--sources", str(empty))
        assert code == 2 and "no source: add a [[sources]] table" in err, command
    assert not (tmp_path / "d").exists()

    disabled = tmp_path / "off.toml"
    disabled.write_text(
        '[[sources]]\nname = "a"\nkind = "files"\npath = "."\nenabled = false\n', encoding="utf-8"
    )
    code, _, err = cli(capsys, "check", "--sources", str(disabled))
    assert code == 2 and "every source has `enabled = false`" in err
    code, out, _ = cli(
        capsys, "check", "--sources", str(disabled), "--source", "a", "--format", "json"
    )
    assert code == 0 and json.loads(out)["sources"][0]["enabled"] is False


def test_sql_reads_the_query_from_standard_input(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    analyst_db: Path,  # noqa: F811
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("SELECT count(*) AS n\nFROM articles\n"))
    code, out, _ = cli(capsys, "sql", "-", "--db", str(analyst_db), "--format", "json")
    assert code == 0 and json.loads(out)[0]["n"] > 0

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = cli(capsys, "sql", "-", "--db", str(analyst_db))
    assert code == 2 and "no SQL statement" in err


def test_search_json_fields_hold_only_data_and_unknown_sources_are_named(
    capsys: pytest.CaptureFixture[str],
    analyst_db: Path,  # noqa: F811
) -> None:
    db = ["--db", str(analyst_db)]
    code, out, _ = cli(capsys, "search", "glacier", *db, "--format", "json")
    hits = json.loads(out)
    assert code == 0 and hits
    assert set(hits[0]) == {
        "score", "published_at", "first_seen_at", "source", "title", "url", "snippet",
        "article_id", "story_id",
    }  # fmt: skip
    for hit in hits:
        assert hit["published_at"] is None or hit["published_at"][:4].isdigit()
        assert "(seen)" not in json.dumps(hit["first_seen_at"])

    code, out, err = cli(capsys, "search", "glacier", *db, "--source", "nosuch")
    assert code == 2 and out == ""
    assert "unknown source 'nosuch'" in err and "known: " in err and "wire" in err

    code, out, _ = cli(capsys, "search", "glacier", *db)  # the human list fits 80 columns
    assert code == 0 and all(len(line) <= 80 for line in out.splitlines())
    assert "score" in out and ("published 20" in out or "first seen 20" in out)


def test_stats_as_json(
    capsys: pytest.CaptureFixture[str],
    analyst_db: Path,  # noqa: F811
) -> None:
    code, out, _ = cli(capsys, "stats", "--db", str(analyst_db), "--format", "json")
    stats = json.loads(out)
    assert code == 0 and stats["database"] == str(analyst_db)
    assert stats["articles"] > 0 and stats["last_run"]["status"] == "completed"
    assert {s["source"] for s in stats["sources"]} >= {"wire", "metro"}

    code, out, _ = cli(capsys, "stats", "--db", str(analyst_db))
    assert code == 0 and all(len(line) <= 80 for line in out.splitlines())


def test_reextract_without_captures_says_how_to_capture(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    analyst_db: Path,  # noqa: F811
) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(analyst_db, db)
    code, out, err = cli(capsys, "reextract", "--db", str(db))
    assert code == 2 and out == ""
    assert "nothing to re-extract" in err and "has a captured page" in err
    assert "news-ingest run --capture" in err and "news-ingest reset SOURCE" in err

    code, _, err = cli(capsys, "reextract", "--db", str(db), "--source", "nosuch")
    assert code == 2 and "unknown source 'nosuch'" in err
