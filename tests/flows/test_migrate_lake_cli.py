"""The ``news-ingest migrate`` command line: its lines, its refusals and its exit codes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import psycopg
import pytest

from tests.flows.migratehelpers import (
    clean_env,
    migrate,
    migrate_command,
    run_into,
    store_rows,
    warehouse_for_module,
)
from tests.helpers import files_sources, query
from warehouse.lake.target import LakeTarget

LINE = re.compile(r"^(\w+) +(\d+) rows  -> (PostgreSQL|lake|file)$")


@pytest.fixture(scope="module")
def warehouse_file(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Path:
    return warehouse_for_module(tmp_path_factory)


@pytest.fixture
def db(warehouse_file: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "news.duckdb"
    shutil.copyfile(warehouse_file, copy)
    return copy


def target_text(lake: LakeTarget) -> str:
    return f"ducklake:postgres:{lake.dsn}"


def table_lines(output: str) -> dict[str, tuple[int, str]]:
    found = [LINE.match(line) for line in output.splitlines()[:-1]]
    assert all(found), output
    return {m[1]: (int(m[2]), m[3]) for m in found if m}


def test_each_way_prints_one_line_per_table_and_exits_0(
    db: Path, lake: LakeTarget, tmp_path: Path
) -> None:
    expected = {table: len(rows) for table, rows in store_rows(db).items()}
    into_lake = migrate("--db", str(db), "--to-lake", target_text(lake))

    assert into_lake.returncode == 0, into_lake.stderr
    lines = table_lines(into_lake.stdout)
    assert {table: rows for table, (rows, _) in lines.items()} == expected
    assert {table for table, (_, into) in lines.items() if into == "lake"} == {
        "article_versions", "fetch_log", "story_merges"
    }  # fmt: skip
    assert into_lake.stdout.splitlines()[-1] == f"copied {db} into the lake at {lake.address()}"

    out = tmp_path / "out.duckdb"
    # The lake from the environment, as every lake command takes it.
    into_file = subprocess.run(
        migrate_command("--to-db", str(out)),
        capture_output=True, text=True, timeout=180, check=False,
        env=clean_env() | {"NEWS_INGEST_WAREHOUSE": target_text(lake)},
    )  # fmt: skip
    assert into_file.returncode == 0, into_file.stderr
    assert table_lines(into_file.stdout) == {t: (n, "file") for t, n in expected.items()}
    assert into_file.stdout.splitlines()[-1] == f"copied the lake at {lake.address()} into {out}"

    quiet = migrate("-q", "--warehouse", target_text(lake), "--to-db", str(tmp_path / "q.duckdb"))
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.splitlines() == [
        f"copied the lake at {lake.address()} into {tmp_path / 'q.duckdb'}"
    ]


def test_a_target_that_holds_data_is_refused_with_exit_2_and_left_alone(
    db: Path, lake: LakeTarget, tmp_path: Path
) -> None:
    assert migrate("--db", str(db), "--to-lake", target_text(lake)).returncode == 0
    articles = query(db, "SELECT count(*) FROM articles")[0][0]

    again = migrate("--db", str(db), "--to-lake", target_text(lake))

    assert again.returncode == 2
    assert again.stdout == ""
    assert re.fullmatch(
        rf"news-ingest: the lake at {re.escape(lake.address())} already holds {articles} "
        rf"article\(s\) and 2 run\(s\) \(migrate copied {re.escape(str(db))} into it at "
        r"[-0-9: ]+ UTC\); migrate copies into an empty lake only \(a new PostgreSQL database, "
        r"or drop the schemas store and ducklake of this one\)\n",
        again.stderr,
    ), again.stderr
    copy = tmp_path / "copy.duckdb"
    assert migrate("--warehouse", target_text(lake), "--to-db", str(copy)).returncode == 0
    assert store_rows(copy) == store_rows(db)  # nothing was added twice

    onto_file = migrate("--warehouse", target_text(lake), "--to-db", str(db))
    assert onto_file.returncode == 2
    assert onto_file.stderr == (
        f"news-ingest: {db} exists; migrate writes a new DuckDB file only: "
        "choose another name, or move that file away\n"
    )


@pytest.mark.usefixtures("prefect_harness")
def test_a_lake_a_run_has_written_is_refused(db: Path, lake: LakeTarget, tmp_path: Path) -> None:
    folder = tmp_path / "other"
    folder.mkdir()
    run_into(files_sources(folder, 2), folder / "news.duckdb", lake)

    refused = migrate("--db", str(db), "--to-lake", target_text(lake))

    assert refused.returncode == 2
    assert f"the lake at {lake.address()} already holds 2 article(s) and 1 run(s);" in (
        refused.stderr
    )
    assert "migrate copied" not in refused.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ((), "one of the arguments --to-lake --to-db is required"),
        (("--to-lake", "--to-db", "x.duckdb"), "not allowed with argument"),
        (("--to-lake",), "news-ingest: migrate --to-lake needs a TARGET or $NEWS_INGEST_WAREHOUSE"),
        (("--to-db", "x.duckdb"), "migrate --to-db needs --warehouse TARGET or"),
        (("--to-lake", "ducklake:postgres:dbname=x", "--warehouse", "ducklake:postgres:a"),
         "--warehouse names the lake --to-db copies"),
        (("--to-db", "x.duckdb", "--warehouse", "ducklake:postgres:dbname=x", "--data-path", "d"),
         "--db and --data-path go with --to-lake"),
        (("--to-lake", "ducklake:postgres:dbname=x password=secret"), "holds a password"),
        (("--to-lake", "sqlite:x.db"), "unsupported warehouse"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2_with_one_line(
    db: Path, options: tuple[str, ...], message: str
) -> None:
    done = migrate("--db", str(db), *options) if "--to-lake" in options else migrate(*options)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "secret" not in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_file_exits_2_and_an_unreachable_lake_exits_1(tmp_path: Path, db: Path) -> None:
    missing = migrate("--db", str(tmp_path / "none.duckdb"), "--to-lake", "ducklake:postgres:x")
    assert missing.returncode == 2
    assert "none.duckdb" in missing.stderr

    down = migrate("--db", str(db), "--to-lake", "ducklake:postgres:dbname=x host=127.0.0.1 port=1")
    assert down.returncode == 1
    assert down.stderr.startswith(
        "news-ingest: cannot reach the lake's PostgreSQL at 127.0.0.1:1/x"
    )
    assert len(down.stderr.splitlines()) == 1


def test_a_file_an_older_news_ingest_wrote_must_be_upgraded_first(
    db: Path, lake: LakeTarget
) -> None:
    with duckdb.connect(str(db)) as conn:
        conn.execute(
            "DELETE FROM store.schema_migrations WHERE name = '0008_bylines_page_titles.sql'"
        )

    old = migrate("--db", str(db), "--to-lake", target_text(lake))

    assert old.returncode == 1
    assert old.stderr == (
        f"news-ingest: {db} predates migration(s) 0008_bylines_page_titles.sql: upgrade it with "
        f"`news-ingest run --db {db}` (or any run) first, then migrate it\n"
    )


def test_a_copy_that_fails_midway_keeps_nothing_and_exits_1(db: Path, lake: LakeTarget) -> None:
    with duckdb.connect(str(db)) as conn:  # an alias of an article the file does not hold
        conn.execute(
            "INSERT INTO store.url_aliases SELECT 'https://x.example/gone', 'x.example/gone', "
            "999999, kind, first_seen_at, first_run_id FROM store.url_aliases LIMIT 1"
        )

    failed = migrate("--db", str(db), "--to-lake", target_text(lake))

    assert failed.returncode == 1, failed.stderr
    assert failed.stderr.startswith(
        f"news-ingest: copying {db} into the lake failed (nothing was kept): "
    )
    assert "url_aliases" in failed.stderr
    assert lake_counts(lake) == (0, 0, 0)
    assert migrate("--db", str(db), "--to-lake", target_text(lake)).returncode == 1


def lake_counts(lake: LakeTarget) -> tuple[object, ...] | None:
    with psycopg.connect(lake.dsn) as pg:
        return pg.execute(
            "SELECT (SELECT count(*) FROM store.runs), (SELECT count(*) FROM store.articles), "
            "(SELECT count(*) FROM store.lake_batches)"
        ).fetchone()
