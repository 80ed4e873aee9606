"""Opening a lake on a real PostgreSQL: tables with constraints, lake tables, views, errors."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.pgserver import PostgresServer
from warehouse.errors import WarehouseUnavailableError
from warehouse.lake.connection import connect_lake
from warehouse.lake.target import LakeTarget


def test_a_new_lake_gets_state_tables_history_tables_and_views(lake: LakeTarget) -> None:
    with connect_lake(lake) as conn:
        views = {r[0] for r in conn.execute(
            "SELECT view_name FROM duckdb_views() WHERE database_name = 'news_lake' "
            "AND schema_name = 'main'").fetchall()}  # fmt: skip
        assert {"articles", "article_versions", "stories", "runs", "rejects", "fetch_log",
                "url_aliases", "daily_counts", "source_health", "run_sources"} <= views  # fmt: skip
        assert conn.execute("SELECT count(*) FROM news_lake.main.articles").fetchall() == [(0,)]
    with psycopg.connect(lake.dsn) as pg:
        keys = pg.execute(
            "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'p' "
            "AND connamespace = 'store'::regnamespace"
        ).fetchall()
    assert {"store.url_aliases", "store.url_state", "store.articles", "store.checkpoints",
            "store.source_state", "store.lake_batches"} <= {k[0] for k in keys}  # fmt: skip


def test_two_connections_opening_a_new_lake_together_both_work(lake: LakeTarget) -> None:
    with connect_lake(lake) as first, connect_lake(lake) as second:
        assert first.execute("SELECT count(*) FROM news_lake.main.runs").fetchall() == [(0,)]
        assert second.execute("SELECT count(*) FROM store.runs").fetchall() == [(0,)]


def test_postgres_down_is_one_clear_error_naming_the_address(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    target = LakeTarget(
        dsn="dbname=news host=127.0.0.1 port=1 user=x password=hunter2", data_path=tmp_path
    )
    with pytest.raises(WarehouseUnavailableError) as caught, connect_lake(target):
        pass
    message = str(caught.value)
    assert "127.0.0.1:1/news" in message
    assert "hunter2" not in message
    assert "\n" not in message


def test_writers_creating_a_lake_at_the_same_moment_all_succeed(lake: LakeTarget) -> None:
    import threading

    errors: list[BaseException] = []

    def open_once() -> None:
        try:
            with connect_lake(lake) as conn:
                conn.execute("SELECT count(*) FROM news_lake.main.articles").fetchall()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_once) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []


def test_a_later_writer_with_another_data_path_uses_the_recorded_one(
    lake: LakeTarget, tmp_path: Path
) -> None:
    with connect_lake(lake):
        pass
    elsewhere = LakeTarget(lake.dsn, tmp_path / "elsewhere")
    with connect_lake(elsewhere) as conn:
        conn.execute("INSERT INTO news_lake.history.batches VALUES (uuid(), now())")
    assert not (tmp_path / "elsewhere").exists()
