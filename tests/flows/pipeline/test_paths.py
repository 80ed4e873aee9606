"""Default paths: the option, else the environment, else per-user XDG folders, never the cwd."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.pipeline.paths import (
    Origin,
    default_database,
    default_sources,
    locate_database,
    locate_sources,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("NEWS_INGEST_SOURCES", "NEWS_INGEST_DB", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


def test_defaults_live_in_the_users_xdg_folders(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert default_sources() == home / ".config" / "news-ingest" / "sources.toml"
    assert default_database() == home / ".local" / "share" / "news-ingest" / "news.duckdb"


def test_xdg_variables_move_the_defaults_and_relative_ones_are_ignored(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", "relative/data")  # invalid per the XDG spec
    assert default_sources() == tmp_path / "cfg" / "news-ingest" / "sources.toml"
    assert default_database() == tmp_path / "home/.local/share/news-ingest/news.duckdb"


def test_the_option_wins_then_the_variable_then_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    located = locate_sources(Path("given.toml"))
    assert (located.path, located.origin) == (Path("given.toml"), Origin.OPTION)
    assert located.where() == "given.toml"

    monkeypatch.setenv("NEWS_INGEST_SOURCES", str(tmp_path / "env.toml"))
    located = locate_sources(None)
    assert located.origin is Origin.ENVIRONMENT
    assert located.where() == f"{tmp_path / 'env.toml'} (from $NEWS_INGEST_SOURCES)"

    located = locate_database(None)
    assert located.origin is Origin.DEFAULT and located.path == default_database()
    assert located.where().endswith("news.duckdb (the default)")
    assert located.how_to_change() == "give --db PATH or set NEWS_INGEST_DB"


def test_a_blank_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWS_INGEST_DB", "  ")
    assert locate_database(None).origin is Origin.DEFAULT
