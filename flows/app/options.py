"""The options the commands share, and how they turn into a sources file and a warehouse.

``--sources`` and ``--db`` default to ``None`` on the command line and are
resolved by :mod:`flows.pipeline.paths` (the option, else the environment
variable, else the per-user default), so every error about a missing file
names the option and the variable that would point elsewhere. ``-v`` and
``-q`` are accepted before the command and after it (``news-ingest -v run``
and ``news-ingest run -v``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from flows.pipeline.config import Settings, WarehouseSettings, load_settings
from flows.pipeline.lakeconfig import lake_target
from flows.pipeline.paths import (
    DB_VARIABLE,
    SOURCES_VARIABLE,
    default_database,
    default_sources,
    existing_sources,
    locate_database,
)

if TYPE_CHECKING:
    from warehouse.lake.target import LakeTarget

__all__ = [
    "add_verbosity",
    "db_option",
    "format_option",
    "lake_option",
    "load_sources",
    "named_lake",
    "sources_option",
    "warehouse_options",
    "writable_database",
]


def add_verbosity(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """``-v`` (repeatable) and ``-q``; on a subcommand they only override when given."""
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0 if top else argparse.SUPPRESS,
        help="more detail: -v logs progress and Prefect's own messages, -vv debug",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="only errors (and the output a command is asked for)",
    )


def sources_option(parser: argparse.ArgumentParser) -> None:
    """``--sources PATH`` (resolved by :func:`load_sources`)."""
    parser.add_argument(
        "--sources",
        type=Path,
        metavar="PATH",
        help=f"sources file (default: ${SOURCES_VARIABLE}, else {_home(default_sources())})",
    )


def db_option(parser: argparse.ArgumentParser) -> None:
    """``--db PATH`` (resolved by :func:`existing_database` or :func:`writable_database`)."""
    parser.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help=f"DuckDB file (default: ${DB_VARIABLE}, else {_home(default_database())})",
    )


def warehouse_options(parser: argparse.ArgumentParser) -> None:
    """``--warehouse TARGET`` and ``--data-path DIR``: a lake instead of the DuckDB file."""
    parser.add_argument(
        "--warehouse",
        metavar="TARGET",
        help="store into a DuckLake on PostgreSQL instead of the DuckDB file: "
        "'ducklake:postgres:dbname=news host=127.0.0.1 port=5432' (credentials from PGPASSWORD "
        "and friends; default: $NEWS_INGEST_WAREHOUSE, else [warehouse] target in the sources "
        "file; see docs/lake.md)",
    )
    parser.add_argument(
        "--data-path",
        metavar="DIR",
        help="the lake's Parquet folder (default: $NEWS_INGEST_DATA_PATH, else [warehouse] "
        "data_path, else lake/ beside the database)",
    )


def lake_option(parser: argparse.ArgumentParser, *, only_lakes: bool = False) -> None:
    """``--warehouse TARGET`` for a command that reads (or upkeeps) an existing lake."""
    what = "the lake" if only_lakes else "read a lake instead of the DuckDB file"
    parser.add_argument(
        "--warehouse",
        metavar="TARGET",
        help=f"{what}: 'ducklake:postgres:dbname=...' "
        "(default: $NEWS_INGEST_WAREHOUSE; docs/lake.md)",
    )


def named_lake(args: argparse.Namespace) -> LakeTarget | None:
    """The existing lake ``--warehouse`` or ``$NEWS_INGEST_WAREHOUSE`` names, or None.

    For commands without a sources file; the lake's catalog holds its data path.
    """
    return lake_target(
        WarehouseSettings(), warehouse=args.warehouse, data_path=None, database=Path("unused")
    )


def format_option(parser: argparse.ArgumentParser, *choices: str) -> None:
    """``--format`` with ``choices`` (the first is the default)."""
    parser.add_argument(
        "--format",
        choices=choices,
        default=choices[0],
        dest="fmt",
        help=f"output format (default {choices[0]}); json holds data only",
    )


def load_sources(explicit: Path | None) -> Settings:
    """The sources file the command should use (it must exist), read and validated."""
    return load_settings(existing_sources(explicit))


def writable_database(explicit: Path | None) -> Path:
    """The warehouse a run writes (created, with its folder, when missing)."""
    return locate_database(explicit).path


def _home(path: Path) -> str:
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)
