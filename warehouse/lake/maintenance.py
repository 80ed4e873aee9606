"""Lake upkeep: merge the small Parquet files batches write, expire old snapshots, delete files.

Every published batch writes at least one Parquet file per history table (or
inlines its rows in the catalog), so a busy lake collects many small files;
merging them keeps scans fast. Expiring snapshots older than the retention
ends time travel before that moment and lets their files be deleted. Safe
while runs write: DuckLake commits the merge as one more snapshot (a conflict
is an error to retry later, never a loss).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from warehouse.errors import WarehouseError
from warehouse.lake.connection import connect_lake
from warehouse.lake.schema import LAKE
from warehouse.lake.target import LakeTarget

__all__ = ["Upkeep", "maintain"]


@dataclass(frozen=True, slots=True)
class Upkeep:
    """What :func:`maintain` did."""

    snapshots_before: int
    snapshots_after: int
    files_deleted: int


def maintain(target: LakeTarget, *, expire_before: datetime) -> Upkeep:
    """Flush inlined rows, merge adjacent files, expire snapshots before ``expire_before``."""
    with connect_lake(target) as conn:
        try:
            before = _snapshots(conn)
            conn.execute(f"CALL ducklake_flush_inlined_data('{LAKE}')")
            conn.execute(f"CALL ducklake_merge_adjacent_files('{LAKE}')")
            conn.execute(
                f"CALL ducklake_expire_snapshots('{LAKE}', older_than => ?)", [expire_before]
            )
            deleted = conn.execute(
                f"CALL ducklake_cleanup_old_files('{LAKE}', older_than => ?)", [expire_before]
            ).fetchall()
            return Upkeep(before, _snapshots(conn), len(deleted))
        except duckdb.Error as exc:
            raise WarehouseError(f"lake maintenance failed: {exc}") from exc


def _snapshots(conn: duckdb.DuckDBPyConnection) -> int:
    row = conn.execute(f"SELECT count(*) FROM ducklake_snapshots('{LAKE}')").fetchone()
    return int(row[0]) if row else 0
