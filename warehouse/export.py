"""Export the analyst views to Parquet: hive-partitioned by day and source, with a manifest.

The export is written into a temporary folder next to the target and renamed
into place when complete, so a reader never sees half an export and a failed
export leaves nothing behind. All views are read in one transaction: the
files agree with each other even while a run adds articles.

UUIDs are written as strings and intervals as seconds (``<name>_seconds``), so
that DuckDB, pyarrow and pandas read the same values without extension types.

Error tree::

    ExportError
    ├── TargetExistsError      the target folder exists and is not empty (and --overwrite not given)
    └── TargetNotWritableError the target (or its parent) cannot be created or written
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.errors import ExportError, TargetExistsError, TargetNotWritableError

__all__ = [
    "MANIFEST",
    "TABLES",
    "ExportSpec",
    "ExportedTable",
    "Manifest",
    "export_parquet",
]

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = "news-ingest parquet export"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class ExportSpec:
    """One exported view: its name and the UTC day it is partitioned by (None: one file)."""

    view: str
    day: str | None = None  # SQL expression of the partition day, over the view's columns


_DAY = "CAST(timezone('UTC', {}) AS DATE)"
TABLES: tuple[ExportSpec, ...] = (
    ExportSpec("articles", _DAY.format("coalesce(published_at, first_seen_at)")),
    ExportSpec("article_versions", _DAY.format("retrieved_at")),
    ExportSpec("fetch_log", _DAY.format("fetched_at")),
    ExportSpec("stories"),
    ExportSpec("daily_counts"),
    ExportSpec("source_health"),
    ExportSpec("runs"),
    ExportSpec("run_sources"),
    ExportSpec("rejects"),
    ExportSpec("url_aliases"),
)


@dataclass(frozen=True, slots=True)
class ExportedTable:
    """What was written for one view."""

    name: str
    rows: int
    partition_by: tuple[str, ...]
    files: tuple[str, ...]  # relative to the export folder
    schema: tuple[tuple[str, str], ...]  # (column, DuckDB type) as written, partitions last


@dataclass(frozen=True, slots=True)
class Manifest:
    """The export's table of contents, also written as manifest.json."""

    target: Path
    exported_at: datetime
    source_database: str
    tables: tuple[ExportedTable, ...]

    def as_json(self) -> dict[str, Any]:
        """The manifest as JSON-ready data."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "exported_at": self.exported_at.isoformat(),
            "source_database": self.source_database,
            "duckdb_version": duckdb.__version__,
            "tables": {
                t.name: {
                    "rows": t.rows,
                    "partition_by": list(t.partition_by),
                    "read_with": _read_hint(t),
                    "files": list(t.files),
                    "schema": [{"name": n, "type": ty} for n, ty in t.schema],
                }
                for t in self.tables
            },
        }


def export_parquet(
    conn: duckdb.DuckDBPyConnection,
    target: Path,
    *,
    source_database: str,
    overwrite: bool = False,
    tables: tuple[ExportSpec, ...] = TABLES,
) -> Manifest:
    """Write every view in ``tables`` under ``target`` as Parquet, plus manifest.json."""
    _check_target(target, overwrite=overwrite)
    staging = _staging_folder(target)
    try:
        exported_at = datetime.now(UTC)
        conn.execute("BEGIN TRANSACTION")  # one consistent read of every view
        try:
            written = tuple(_export_one(conn, staging, spec) for spec in tables)
        finally:
            conn.execute("ROLLBACK")
        manifest = Manifest(target, exported_at, source_database, written)
        (staging / MANIFEST).write_text(
            json.dumps(manifest.as_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        _move_into_place(staging, target)
    except duckdb.Error as exc:
        raise ExportError(f"export failed: {exc}") from exc
    except OSError as exc:
        raise TargetNotWritableError(f"cannot write the export to {target}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("exported %d tables to %s", len(written), target)
    return manifest


def _check_target(target: Path, *, overwrite: bool) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        raise TargetExistsError(f"{target} exists and is not a folder")
    if not any(target.iterdir()):
        return
    if not overwrite:
        raise TargetExistsError(
            f"{target} exists and is not empty; choose a new folder, "
            "or pass --overwrite to replace an earlier export there"
        )
    if not (target / MANIFEST).is_file():
        raise TargetExistsError(
            f"{target} is not empty and holds no {MANIFEST} of an earlier export; "
            "refusing to delete it even with --overwrite"
        )


def _staging_folder(target: Path) -> Path:
    """A fresh folder beside the target (same file system, so the final rename is atomic)."""
    parent = target.absolute().parent
    staging = parent / f".{target.name}.export-{os.getpid()}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        probe = staging / ".probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise TargetNotWritableError(f"cannot write the export to {target}: {exc}") from exc
    return staging


def _export_one(conn: duckdb.DuckDBPyConnection, root: Path, spec: ExportSpec) -> ExportedTable:
    columns = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [spec.view],
    ).fetchall()
    if not columns:
        raise ExportError(f"the database has no view {spec.view!r}: is it up to date?")
    select = ", ".join(_column_sql(name, kind) for name, kind in columns)
    folder = root / spec.view
    rows = _count(conn, spec.view)
    if spec.day is not None and rows:
        sql = (
            f"COPY (SELECT {select}, {spec.day} AS day FROM main.{spec.view}) "
            f"TO '{_literal(folder)}' (FORMAT parquet, PARTITION_BY (day, source), "
            "COMPRESSION zstd)"
        )
        partition: tuple[str, ...] = ("day", "source")
    else:
        # An unpartitioned view, or an empty one: one file, so readers still find the schema.
        folder.mkdir()
        target = folder / f"{spec.view}.parquet"
        sql = (
            f"COPY (SELECT {select} FROM main.{spec.view}) TO '{_literal(target)}' "
            "(FORMAT parquet, COMPRESSION zstd)"
        )
        partition = ()
    conn.execute(sql)
    files = tuple(sorted(p.relative_to(root).as_posix() for p in folder.rglob("*.parquet")))
    schema = tuple(_written_type(name, kind) for name, kind in columns)
    if partition:
        schema = tuple(c for c in schema if c[0] not in partition)
        schema += (("day", "DATE"), ("source", "VARCHAR"))
    return ExportedTable(spec.view, rows, partition, files, schema)


def _count(conn: duckdb.DuckDBPyConnection, view: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM main.{view}").fetchone()
    return int(row[0]) if row else 0


def _column_sql(name: str, kind: str) -> str:
    quoted = '"' + name.replace('"', '""') + '"'
    if kind == "UUID":
        return f"CAST({quoted} AS VARCHAR) AS {quoted}"
    if kind == "INTERVAL":
        seconds = '"' + (name + "_seconds").replace('"', '""') + '"'
        return f"epoch({quoted}) AS {seconds}"
    return quoted


def _written_type(name: str, kind: str) -> tuple[str, str]:
    if kind == "UUID":
        return name, "VARCHAR"
    if kind == "INTERVAL":
        return name + "_seconds", "DOUBLE"
    return name, kind


def _literal(path: Path) -> str:
    # COPY takes no bound parameter for its target; the path is ours, quotes are doubled.
    return path.as_posix().replace("'", "''")


def _move_into_place(staging: Path, target: Path) -> None:
    if target.exists():
        # Only an empty folder or an earlier export (checked before) is replaced.
        shutil.rmtree(target)
    staging.rename(target)


def _read_hint(table: ExportedTable) -> str:
    if table.partition_by:
        return f"SELECT * FROM read_parquet('{table.name}/**/*.parquet', hive_partitioning = true)"
    return f"SELECT * FROM read_parquet('{table.name}/{table.name}.parquet')"
