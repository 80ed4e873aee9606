"""Parquet export: hive partitions by day and source, a manifest, the same rows everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd  # type: ignore[import-untyped]
import pyarrow.dataset as ds
import pytest

from flows.app.cli import main
from tests.analyst_data import analyst_db, one  # noqa: F401 (fixture)
from warehouse import export
from warehouse.connection import connect
from warehouse.errors import TargetNotWritableError
from warehouse.reading import read_only


def view_counts(db: Path) -> dict[str, int]:
    return {spec.view: one(db, f"SELECT count(*) FROM {spec.view}")[0] for spec in export.TABLES}


def test_export_reads_back_with_the_same_rows_in_duckdb_pyarrow_and_pandas(
    analyst_db: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "export"
    assert main(["export", "--db", str(analyst_db), "--to", str(target)]) == 0
    assert "exported to" in capsys.readouterr().out

    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    expected = view_counts(analyst_db)
    assert {name: t["rows"] for name, t in manifest["tables"].items()} == expected
    assert expected["articles"] > 0 and expected["fetch_log"] > 0
    assert manifest["source_database"] == str(analyst_db.absolute())
    for name, table in manifest["tables"].items():
        assert all((target / f).is_file() for f in table["files"]), name
        with duckdb.connect() as conn:
            rows = conn.execute(
                table["read_with"].replace(f"'{name}/", f"'{target.as_posix()}/{name}/")
            ).fetchall()
        assert len(rows) == table["rows"], name
        arrow = ds.dataset(target / name, format="parquet", partitioning="hive").to_table()
        assert arrow.num_rows == table["rows"], name
        frame = pd.read_parquet(target / name)
        assert len(frame) == table["rows"], name

    articles = manifest["tables"]["articles"]
    assert articles["partition_by"] == ["day", "source"]
    # One folder per (publication day, source): wire published on three days, metro on two.
    parts = {tuple(Path(f).parts[1:3]) for f in articles["files"]}
    assert ("day=2024-03-07", "source=wire") in parts
    assert ("day=2024-03-06", "source=metro") in parts
    columns = {c["name"]: c["type"] for c in articles["schema"]}
    assert columns["authors"] == "VARCHAR[]" and columns["day"] == "DATE"
    runs = {c["name"]: c["type"] for c in manifest["tables"]["runs"]["schema"]}
    assert runs["run_id"] == "VARCHAR" and runs["duration_seconds"] == "DOUBLE"


def test_partitioned_values_survive_the_round_trip(analyst_db: Path, tmp_path: Path) -> None:  # noqa: F811
    target = tmp_path / "export"
    with read_only(analyst_db) as conn:
        export.export_parquet(conn, target, source_database=str(analyst_db))
        original = conn.execute(
            "SELECT article_id, source, title, authors, published_at FROM articles ORDER BY 1"
        ).fetchall()
    with duckdb.connect() as conn:
        back = conn.execute(
            "SELECT article_id, source, title, authors, published_at FROM read_parquet(?, "
            "hive_partitioning = true) ORDER BY 1",
            [f"{target.as_posix()}/articles/**/*.parquet"],
        ).fetchall()
    assert back == original


def test_an_existing_export_needs_overwrite_and_other_folders_are_never_deleted(
    analyst_db: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "export"
    args = ["export", "--db", str(analyst_db), "--to", str(target)]
    assert main(args) == 0
    capsys.readouterr()

    assert main(args) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main([*args, "--overwrite"]) == 0
    assert (target / "manifest.json").is_file()
    assert not list(tmp_path.glob(".export.export-*"))  # no staging folder left behind

    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete", encoding="utf-8")
    code = main(["export", "--db", str(analyst_db), "--to", str(precious), "--overwrite"])
    assert code == 2
    assert "refusing to delete" in capsys.readouterr().err
    assert (precious / "thesis.txt").read_text(encoding="utf-8") == "do not delete"


def test_an_unwritable_target_is_a_clear_error(analyst_db: Path, tmp_path: Path) -> None:  # noqa: F811
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    with (
        read_only(analyst_db) as conn,
        pytest.raises(TargetNotWritableError, match="cannot write"),
    ):
        export.export_parquet(conn, blocker / "export", source_database="x")


def test_a_folder_nobody_may_create_is_a_clear_error(analyst_db: Path, tmp_path: Path) -> None:  # noqa: F811
    # Not even root may create folders in /proc, so this holds for every user.
    with read_only(analyst_db) as conn, pytest.raises(TargetNotWritableError):
        export.export_parquet(conn, Path("/proc/news-ingest-export"), source_database="x")


def test_an_empty_warehouse_exports_empty_tables_with_their_schema(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    with connect(db):
        pass
    with read_only(db) as conn:
        manifest = export.export_parquet(conn, tmp_path / "export", source_database=str(db))
    articles = next(t for t in manifest.tables if t.name == "articles")
    assert articles.rows == 0 and articles.files == ("articles/articles.parquet",)
    table = ds.dataset(tmp_path / "export" / "articles", format="parquet").to_table()
    assert table.num_rows == 0 and "title" in table.column_names
