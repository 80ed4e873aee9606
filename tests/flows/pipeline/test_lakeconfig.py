"""Which warehouse a run uses: option over variable over the sources file; the file by default."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from flows.errors import ConfigError
from flows.pipeline.config import WarehouseSettings, load_settings
from flows.pipeline.lakeconfig import lake_target
from warehouse.errors import WarehouseConfigError
from warehouse.lake.target import LakeTarget, parse_target

TARGET = "ducklake:postgres:dbname=news host=127.0.0.1 port=5432"


@pytest.fixture(autouse=True)
def no_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWS_INGEST_WAREHOUSE", raising=False)
    monkeypatch.delenv("NEWS_INGEST_DATA_PATH", raising=False)


def test_nothing_configured_is_the_duckdb_file(tmp_path: Path) -> None:
    db = tmp_path / "news.duckdb"
    assert lake_target(WarehouseSettings(), warehouse=None, data_path=None, database=db) is None


def test_the_option_wins_over_the_variable_and_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWS_INGEST_WAREHOUSE", "ducklake:postgres:dbname=from_env")
    monkeypatch.setenv("NEWS_INGEST_DATA_PATH", str(tmp_path / "env-lake"))
    configured = WarehouseSettings(target="ducklake:postgres:dbname=from_file")
    db = tmp_path / "news.duckdb"
    chosen = lake_target(configured, warehouse=TARGET, data_path="/srv/lake", database=db)
    assert chosen == LakeTarget("dbname=news host=127.0.0.1 port=5432", Path("/srv/lake"))
    from_env = lake_target(configured, warehouse=None, data_path=None, database=db)
    assert from_env == LakeTarget("dbname=from_env", tmp_path / "env-lake")


def test_the_sources_file_warehouse_table(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(f'[warehouse]\ntarget = "{TARGET}"\ndata_path = "parquet"\n')
    settings = load_settings(path)
    chosen = lake_target(
        settings.warehouse, warehouse=None, data_path=None, database=tmp_path / "n.duckdb"
    )
    assert chosen == LakeTarget("dbname=news host=127.0.0.1 port=5432", tmp_path / "parquet")
    default = lake_target(
        WarehouseSettings(target=TARGET), warehouse=None, data_path=None, database=tmp_path / "n"
    )
    assert default is not None
    assert default.data_path == tmp_path / "lake"


def test_an_unknown_warehouse_field_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[warehouse]\nurl = "x"\n')
    with pytest.raises(ConfigError, match="unknown field `url`"):
        load_settings(path)


def test_a_target_that_is_not_a_lake_is_a_usage_error_without_its_password() -> None:
    with pytest.raises(WarehouseConfigError) as caught:
        parse_target("postgres:dbname=x password=hunter2", data_path=None)
    assert "hunter2" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_target_holding_a_password_is_refused_without_showing_it() -> None:
    with pytest.raises(WarehouseConfigError, match="PGPASSWORD") as caught:
        parse_target("ducklake:postgres:host=db dbname=news password='s e'", data_path=None)
    assert "s e" not in str(caught.value)


def test_the_address_names_host_port_and_database() -> None:
    target = parse_target("ducklake:postgres:host=db.example port=6432 dbname=news", data_path=None)
    assert target.address() == "db.example:6432/news"


# ---------------------------------------------------------------- the lake's upkeep schedule


def write_warehouse(tmp_path: Path, lines: str) -> Path:
    (tmp_path / "docs").mkdir(exist_ok=True)
    path = tmp_path / "sources.toml"
    path.write_text(
        f'[warehouse]\ntarget = "{TARGET}"\n{lines}\n'
        '[[sources]]\nname = "s"\nkind = "files"\npath = "docs"\n',
        encoding="utf-8",
    )
    return path


def test_the_upkeep_runs_daily_at_three_by_default_keeping_a_week(tmp_path: Path) -> None:
    settings = load_settings(write_warehouse(tmp_path, "")).warehouse
    assert (settings.maintenance_schedule, settings.maintenance_interval) == ("0 3 * * *", None)
    assert settings.keep_days == 7.0


def test_the_upkeep_takes_a_cron_or_an_interval_and_its_retention(tmp_path: Path) -> None:
    by_cron = load_settings(write_warehouse(tmp_path, 'maintenance_schedule = "30 1 * * 0"'))
    assert by_cron.warehouse.maintenance_schedule == "30 1 * * 0"
    lines = 'maintenance_interval = "6h"\nkeep_days = 1.5'
    by_interval = load_settings(write_warehouse(tmp_path, lines)).warehouse
    assert by_interval.maintenance_schedule is None
    assert by_interval.maintenance_interval == timedelta(hours=6)
    assert by_interval.keep_days == 1.5


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ('maintenance_schedule = "0 3 * *"\nmaintenance_interval = "1h"', "either"),
        ('maintenance_schedule = "0 25 * * *"', "`maintenance_schedule`"),
        ('maintenance_interval = "sometimes"', "`maintenance_interval`"),
        ("keep_days = 0", "`keep_days`"),
        ('keep_days = "a week"', "`keep_days`"),
    ],
)
def test_a_bad_upkeep_setting_is_a_config_error_naming_its_field(
    tmp_path: Path, lines: str, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_settings(write_warehouse(tmp_path, lines))
