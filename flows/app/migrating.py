"""``news-ingest migrate``: a DuckDB warehouse file into a lake, or a lake into a new file.

    news-ingest migrate --to-lake [TARGET] [--db PATH] [--data-path DIR]
    news-ingest migrate --to-db PATH [--warehouse TARGET]

``--to-lake`` copies the file ``--db`` names (default ``$NEWS_INGEST_DB``, as
every command) into the empty lake TARGET (default ``$NEWS_INGEST_WAREHOUSE``);
``--to-db`` copies the lake ``--warehouse`` names (same default) into a new
file. One line per table with its row count; the copy itself is in
:mod:`warehouse.lake.migrate` (docs/lake.md, "Moving between a file and a lake").
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from flows.app.options import db_option
from flows.errors import UsageError
from flows.pipeline.config import WarehouseSettings
from flows.pipeline.lakeconfig import WAREHOUSE_VARIABLE, lake_target
from flows.pipeline.paths import existing_database
from news_ingest.errors import ExitCode

if TYPE_CHECKING:
    from warehouse.lake.migrate import CopiedTable
    from warehouse.lake.target import LakeTarget

__all__ = ["add_command"]


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``migrate`` on the CLI's subcommand parser."""
    command = commands.add_parser(
        "migrate",
        help="copy a DuckDB warehouse into an empty lake, or a lake into a new DuckDB file",
    )
    direction = command.add_mutually_exclusive_group(required=True)
    direction.add_argument(
        "--to-lake",
        nargs="?",
        const="",
        metavar="TARGET",
        help="copy the DuckDB file (--db) into this empty lake: 'ducklake:postgres:dbname=...' "
        f"(without TARGET: ${WAREHOUSE_VARIABLE})",
    )
    direction.add_argument(
        "--to-db",
        type=Path,
        metavar="PATH",
        help="copy the lake (--warehouse) into this new DuckDB file",
    )
    db_option(command)
    command.add_argument(
        "--warehouse",
        metavar="TARGET",
        help=f"with --to-db: the lake to copy (default: ${WAREHOUSE_VARIABLE})",
    )
    command.add_argument(
        "--data-path",
        metavar="DIR",
        help="with --to-lake: the new lake's Parquet folder (default: $NEWS_INGEST_DATA_PATH, "
        "else lake/ beside the DuckDB file)",
    )
    command.set_defaults(handler=_migrate)


def _migrate(args: argparse.Namespace) -> int:
    if args.to_db is not None:
        return _into_file(args)
    return _into_lake(args)


def _into_lake(args: argparse.Namespace) -> int:
    from warehouse.lake.migrate import copy_file_into_lake  # noqa: PLC0415 (lake only)

    if args.warehouse is not None:
        raise UsageError("--warehouse names the lake --to-db copies; give --to-lake its TARGET")
    source = existing_database(args.db)
    named = args.to_lake or None  # a bare --to-lake: the variable's lake
    target = lake_target(
        WarehouseSettings(), warehouse=named, data_path=args.data_path, database=source
    )
    if target is None:
        raise UsageError(f"migrate --to-lake needs a TARGET or ${WAREHOUSE_VARIABLE}")
    copy = copy_file_into_lake(source, target, progress=_table_line(args))
    if copy.finished is not None:
        print(
            f"finished the copy of {copy.finished} into the lake at {target.address()} "
            "that a stopped migrate had left pending"
        )
    else:
        print(f"copied {source} into the lake at {target.address()}")
    return ExitCode.OK


def _into_file(args: argparse.Namespace) -> int:
    from warehouse.lake.migrate import copy_lake_into_file  # noqa: PLC0415 (lake only)

    if args.db is not None or args.data_path is not None:
        raise UsageError(
            "--to-db copies the lake --warehouse names: --db and --data-path go with --to-lake"
        )
    lake = _source_lake(args)
    copy_lake_into_file(lake, args.to_db, progress=_table_line(args))
    print(f"copied the lake at {lake.address()} into {args.to_db}")
    return ExitCode.OK


def _source_lake(args: argparse.Namespace) -> LakeTarget:
    """The lake ``--warehouse`` or the variable names (its catalog holds its data path)."""
    lake = lake_target(
        WarehouseSettings(), warehouse=args.warehouse, data_path=None, database=Path("unused")
    )
    if lake is None:
        raise UsageError(f"migrate --to-db needs --warehouse TARGET or ${WAREHOUSE_VARIABLE}")
    return lake


def _table_line(args: argparse.Namespace) -> Callable[[CopiedTable], None]:
    def show(table: CopiedTable) -> None:
        if not args.quiet:
            print(f"{table.name:<18} {table.rows:>9} rows  -> {table.into}", flush=True)

    return show
