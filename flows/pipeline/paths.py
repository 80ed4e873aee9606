"""Where news-ingest finds its sources file and its warehouse when none is named.

The defaults do not depend on the working directory (the XDG base directories)::

    sources file   --sources PATH, else $NEWS_INGEST_SOURCES,
                   else $XDG_CONFIG_HOME/news-ingest/sources.toml  (~/.config/news-ingest/...)
    warehouse      --db PATH, else $NEWS_INGEST_DB,
                   else $XDG_DATA_HOME/news-ingest/news.duckdb     (~/.local/share/news-ingest/...)

A :class:`Located` path remembers where it came from, so an error about a
missing file names the option or variable that would change it
(:func:`existing_sources`, :func:`existing_database`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from flows.errors import ConfigError, DatabaseMissingError

__all__ = [
    "DB_VARIABLE",
    "SOURCES_VARIABLE",
    "Located",
    "Origin",
    "default_database",
    "default_sources",
    "existing_database",
    "existing_sources",
    "locate_database",
    "locate_sources",
]

SOURCES_VARIABLE = "NEWS_INGEST_SOURCES"
DB_VARIABLE = "NEWS_INGEST_DB"


class Origin(StrEnum):
    """Who chose a path."""

    OPTION = "option"
    ENVIRONMENT = "environment"
    DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class Located:
    """A path and who chose it (the command line, the environment, the built-in default)."""

    path: Path
    origin: Origin
    option: str  # the command-line option that sets it, e.g. "--db"
    variable: str  # the environment variable that sets it, e.g. "NEWS_INGEST_DB"

    def where(self) -> str:
        """``PATH`` with who chose it, e.g. ``~/.local/share/... (the default)``."""
        if self.origin is Origin.OPTION:
            return str(self.path)
        chosen = "the default" if self.origin is Origin.DEFAULT else f"from ${self.variable}"
        return f"{self.path} ({chosen})"

    def how_to_change(self) -> str:
        """The option and variable that point elsewhere, as a clause for an error message."""
        return f"give {self.option} PATH or set {self.variable}"


def default_sources() -> Path:
    """$XDG_CONFIG_HOME/news-ingest/sources.toml (``~/.config/news-ingest/sources.toml``)."""
    return _base("XDG_CONFIG_HOME", ".config") / "news-ingest" / "sources.toml"


def default_database() -> Path:
    """$XDG_DATA_HOME/news-ingest/news.duckdb (``~/.local/share/news-ingest/news.duckdb``)."""
    return _base("XDG_DATA_HOME", ".local/share") / "news-ingest" / "news.duckdb"


def locate_sources(explicit: Path | None = None) -> Located:
    """The sources file to use: ``explicit``, else $NEWS_INGEST_SOURCES, else the default."""
    return _locate(explicit, "--sources", SOURCES_VARIABLE, default_sources())


def locate_database(explicit: Path | None = None) -> Located:
    """The warehouse to use: ``explicit``, else $NEWS_INGEST_DB, else the default."""
    return _locate(explicit, "--db", DB_VARIABLE, default_database())


def existing_sources(explicit: Path | None = None) -> Path:
    """The sources file to use; a ConfigError saying how to create or choose one if missing."""
    located = locate_sources(explicit)
    if located.path.exists():
        return located.path
    if located.origin is Origin.OPTION:
        raise ConfigError(
            f"sources file {located.path} does not exist: create one with "
            f"`news-ingest init {located.path}`"
        )
    init = "news-ingest init" + ("" if located.origin is Origin.DEFAULT else f" {located.path}")
    raise ConfigError(
        f"no sources file at {located.where()}: create one with `{init}`, "
        f"or {located.how_to_change()}"
    )


def existing_database(explicit: Path | None = None) -> Path:
    """The warehouse a reader opens; a DatabaseMissingError saying how to get one if missing."""
    located = locate_database(explicit)
    if located.path.exists():
        return located.path
    elsewhere = "" if located.origin is Origin.OPTION else f", or {located.how_to_change()}"
    raise DatabaseMissingError(
        f"no database at {located.where()}: run `news-ingest run` first{elsewhere}"
    )


def _locate(explicit: Path | None, option: str, variable: str, default: Path) -> Located:
    if explicit is not None:
        return Located(explicit.expanduser(), Origin.OPTION, option, variable)
    value = os.environ.get(variable, "").strip()
    if value:
        return Located(Path(value).expanduser(), Origin.ENVIRONMENT, option, variable)
    return Located(default, Origin.DEFAULT, option, variable)


def _base(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable, "").strip()
    # The XDG spec: a relative value is invalid and is ignored.
    if value and Path(value).is_absolute():
        return Path(value)
    return Path.home() / fallback
