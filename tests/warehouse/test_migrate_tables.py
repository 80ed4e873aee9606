"""Every stored table is copied by ``news-ingest migrate`` or left out on purpose."""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse.connection import connect
from warehouse.errors import WarehouseCopyError
from warehouse.lake.connection import connect_lake
from warehouse.lake.migrate import COPIED, LEFT_OUT
from warehouse.lake.migrate.tables import check_known, columns_of, is_history
from warehouse.lake.target import LakeTarget


def file_tables(db: Path) -> dict[str, tuple[str, ...]]:
    with connect(db) as conn:
        database = conn.execute("SELECT current_database()").fetchone()
        assert database is not None
        names = conn.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'store'"
        ).fetchall()
        return {str(n): columns_of(conn, str(database[0]), str(n)) for (n,) in names}


def test_every_table_of_a_new_file_is_copied_or_left_out_with_a_reason(db_path: Path) -> None:
    tables = set(file_tables(db_path))
    assert tables == set(COPIED) | set(LEFT_OUT)
    assert not set(COPIED) & set(LEFT_OUT)
    check_known(tables)


def test_a_table_migrate_does_not_know_stops_the_copy() -> None:
    with pytest.raises(WarehouseCopyError, match=r"store\.story_votes .*does not know"):
        check_known({"runs", "story_votes"})


def test_the_lake_holds_every_copied_column(db_path: Path, lake: LakeTarget) -> None:
    columns = file_tables(db_path)
    with connect_lake(lake) as conn:
        for table in COPIED:
            state = columns_of(conn, "store", table)
            extra = {"batch_id"} if is_history(table) else set()
            assert set(state) == set(columns[table]) | extra, table
            if is_history(table):
                history = conn.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE database_name = 'news_lake' "
                    "AND schema_name = 'history' AND table_name = ? ORDER BY column_index",
                    [table],
                ).fetchall()
                assert tuple(str(n) for (n,) in history) == state, table
