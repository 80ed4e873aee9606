"""The analyst commands end to end: sql (read-only, formats), search, stats, bad input."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from flows.app.cli import main
from tests.analyst_data import analyst_db, one  # noqa: F401 (fixture)
from warehouse.connection import connect
from warehouse.snapshots import snapshot_path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO store.rejects SELECT * FROM store.rejects",
        "DELETE FROM store.articles",
        "DROP VIEW articles",
        "CREATE TABLE x AS SELECT 1",
        "COPY (SELECT 1) TO '/tmp/news-ingest-should-not-exist.csv'",
        "ATTACH ':memory:' AS other",
        "SET threads = 1",
        "UPDATE store.articles SET source = 'x'",
    ],
)
def test_sql_refuses_writing_statements(
    analyst_db: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    statement: str,
) -> None:
    before = duckdb.connect(str(analyst_db), read_only=True)
    count = before.execute("SELECT count(*) FROM store.articles").fetchone()
    before.close()

    code, out, err = cli(capsys, "sql", statement, "--db", str(analyst_db))

    assert code == 2 and out == ""
    assert "read-only" in err and "refused" in err
    assert not Path("/tmp/news-ingest-should-not-exist.csv").exists()
    with duckdb.connect(str(analyst_db), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM store.articles").fetchone() == count


def test_sql_writes_csv_json_and_parquet(
    analyst_db: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    query = "SELECT article_id, title, authors, published_at FROM articles ORDER BY article_id"
    with duckdb.connect(str(analyst_db), read_only=True) as conn:
        expected = conn.execute(query).fetchall()

    code, out, _ = cli(capsys, "sql", query, "--db", str(analyst_db), "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and rows[0] == ["article_id", "title", "authors", "published_at"]
    assert [int(r[0]) for r in rows[1:]] == [e[0] for e in expected]

    code, out, _ = cli(capsys, "sql", query, "--db", str(analyst_db), "--format", "json")
    records = json.loads(out)
    assert code == 0 and [r["title"] for r in records] == [e[1] for e in expected]

    target = tmp_path / "out.parquet"
    code, _, _ = cli(
        capsys, "sql", query, "--db", str(analyst_db), "--format", "parquet", "--out", str(target)
    )
    assert code == 0 and pq.read_table(target).num_rows == len(expected)

    code, out, _ = cli(capsys, "sql", query, "--db", str(analyst_db))
    assert code == 0 and f"{len(expected)} row(s)" in out
    # Piped, the table fits 80 columns and wraps titles between words, not into slivers.
    assert max(len(line) for line in out.splitlines()) <= 80
    title = expected[0][1]
    assert " ".join(title.split()[:3]) in out
    assert all(re.search(rf"(^|\s){re.escape(word)}(\s|$)", out, re.M) for word in title.split())


def test_sql_explains_bad_queries_and_bad_databases(
    analyst_db: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = cli(capsys, "sql", "SELECT * FROM nonexistent", "--db", str(analyst_db))
    assert code == 1 and "docs/schema.md" in err
    code, out, _ = cli(
        capsys, "sql", "PIVOT daily_counts ON source USING sum(articles)", "--db", str(analyst_db)
    )
    assert code == 0 and "wire" in out  # a dynamic PIVOT is one statement to the user
    code, _, err = cli(capsys, "sql", "SELECT 1; SELECT 2", "--db", str(analyst_db))
    assert code == 2 and "one statement" in err
    code, _, err = cli(capsys, "sql", "  -- nothing", "--db", str(analyst_db))
    assert code == 2 and "no SQL statement" in err
    code, _, err = cli(capsys, "sql", "SELEC 1", "--db", str(analyst_db))
    assert code == 2 and "syntax error" in err.lower()

    missing = tmp_path / "missing.duckdb"
    code, _, err = cli(capsys, "sql", "SELECT 1", "--db", str(missing))
    # A missing warehouse is a usage error, like a missing sources file: it names the way out.
    assert code == 2 and "news-ingest run" in err and not missing.exists()

    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"")
    code, _, err = cli(capsys, "stats", "--db", str(junk))
    assert code == 1 and "not a valid DuckDB database" in err

    foreign = tmp_path / "foreign.duckdb"
    duckdb.connect(str(foreign)).close()
    for command in (["sql", "SELECT 1"], ["stats"], ["search", "x"], ["report", "--out", "r.html"]):
        code, _, err = cli(capsys, *command, "--db", str(foreign))
        assert code == 1 and "without the news-ingest tables" in err, command


def test_an_empty_warehouse_answers_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "empty.duckdb"
    with connect(db):
        pass
    code, out, _ = cli(capsys, "sql", "SELECT * FROM articles", "--db", str(db))
    assert code == 0 and "0 row(s)" in out
    code, out, _ = cli(capsys, "stats", "--db", str(db))
    assert code == 0 and "0 articles" in out and "no run yet" in out
    code, out, _ = cli(capsys, "search", "airspace", "--db", str(db))
    assert code == 0 and "no article matches" in out


def test_search_command_filters_and_bad_input(
    analyst_db: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = ["--db", str(analyst_db)]
    code, out, _ = cli(capsys, "search", "glacier retreat", *db, "--format", "json")
    hits = json.loads(out)
    assert code == 0 and {h["source"] for h in hits} == {"wire", "metro"}
    assert hits[0]["title"] == "Glacier retreat measured by survey"

    code, out, _ = cli(capsys, "search", "glacier", *db, "--source", "metro", "--format", "json")
    assert [h["source"] for h in json.loads(out)] == ["metro"]

    code, out, _ = cli(
        capsys, "search", "tram harbour vaccine", *db, "--since", "2024-03-06", "--format", "csv"
    )
    urls = [row["url"] for row in csv.DictReader(io.StringIO(out))]
    assert code == 0 and sorted(u.rsplit("/", 1)[1] for u in urls) == ["harbour", "tram", "tram"]

    code, out, _ = cli(capsys, "search", "tram", *db, "--limit", "1", "--format", "json")
    assert len(json.loads(out)) == 1

    code, _, err = cli(capsys, "search", "the of and", *db)
    assert code == 2 and "stop words" in err
    code, _, err = cli(capsys, "search", "#$%^&*", *db)
    assert code == 2 and "punctuation" in err
    for bad in (["--since", "last week"], ["--limit", "0"]):
        with pytest.raises(SystemExit) as exit_info:
            main(["search", "tram", *db, *bad])
        assert exit_info.value.code == 2


def test_stats_summarises_counts_last_run_and_sources(
    analyst_db: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    articles, stories = one(
        analyst_db, "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM stories)"
    )
    code, out, _ = cli(capsys, "stats", "--db", str(analyst_db))
    assert code == 0
    assert f"{articles} articles" in out and f"in {stories} stories" in out
    assert "2 runs (0 not completed)" in out and "last run" in out
    for source in ("wire", "metro", "local-feed"):
        assert source in out


@pytest.mark.slow
def test_commands_read_the_snapshot_while_a_run_holds_the_file(
    analyst_db: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "news.duckdb"
    shutil.copy(analyst_db, snapshot_path(db))
    time.sleep(0.05)
    shutil.copy(analyst_db, db)  # the live file is newer: a run is writing it
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "time.sleep(60)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        results = [
            cli(capsys, *command, "--db", str(db))
            for command in (
                ["stats"],
                ["search", "glacier"],
                ["report", "--out", str(tmp_path / "r.html")],
            )
        ]
        elapsed = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    for code, _, err in results:
        assert code == 0 and f"reading the snapshot {snapshot_path(db)}" in err
    assert elapsed < 20  # nobody waited for the "run" to let go of the live file


def test_sql_live_reads_the_live_file_not_the_snapshot(
    analyst_db: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "news.duckdb"
    shutil.copy(analyst_db, snapshot_path(db))
    shutil.copy(analyst_db, db)
    with duckdb.connect(str(db)) as conn:
        conn.execute("CREATE TABLE live_only AS SELECT 'only in the live file' AS marker")
    query = "SELECT marker FROM live_only"

    code, out, _ = cli(capsys, "sql", query, "--db", str(db), "--live", "--format", "csv")
    assert code == 0 and out.splitlines() == ["marker", "only in the live file"]

    code, _, err = cli(capsys, "sql", query, "--db", str(db))  # the snapshot lacks the table
    assert code == 1 and "live_only" in err
