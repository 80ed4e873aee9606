"""``news-ingest drop SOURCE --warehouse``: the file's drop, on a real PostgreSQL and DuckLake.

The same corpus in a file and in a lake (the file copied into the lake: the same ids), the
same drops on both: every view, every search hit and the search index end the same. A drop
SIGKILLed between its steps (the test holds a PostgreSQL lock the next step needs, as the
migrate kill tests do) leaves the views consistent, and its rerun finishes it.
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from flows.app.cli import main
from tests.analyst_data import prose
from tests.flows.lakehelpers import (
    assert_consistent,
    finish,
    lake_rows,
    page,
    sources_over,
    start_lake_run,
)
from tests.flows.migratehelpers import VIEWS, clean_env, file_rows, lake_view_rows, make_warehouse
from tests.helpers import query, run
from tests.localserver import LocalServer
from tests.prefectserver import PrefectServer, stop_process
from warehouse import search
from warehouse.lake.connection import read_lake
from warehouse.lake.migrate import copy_file_into_lake
from warehouse.lake.target import LakeTarget
from warehouse.reading import read_only

pytestmark = pytest.mark.usefixtures("prefect_harness")

SHARED = "https://shared.example/news/tram"
QUERIES = ("tram line", "glacier news", "harbour", "report", "council harbour", "story")
DOCS = "SELECT article_id, version_no, length FROM store.search_docs ORDER BY ALL"
POSTINGS = (
    "SELECT d.term, p.article_id, p.tf FROM store.search_postings AS p "
    "JOIN store.search_dictionary AS d USING (term_id) ORDER BY ALL"
)
# A lake whose postings are keyed by the term itself has no dictionary to join.
POSTINGS_BY_TERM = "SELECT term, article_id, tf FROM store.search_postings ORDER BY ALL"
KILLS = 6  # random kills of one drop
# Rows that refer to an article, each of which must still exist.
REFERRING = ("url_aliases", "story_bands", "story_features", "search_docs", "search_postings")


class Terminal(io.StringIO):
    """Standard input typed at a terminal."""

    def isatty(self) -> bool:
        return True


def record(url: str, title: str, seed: str, extra: str = "") -> str:
    text = "\n\n".join(prose(f"{seed}-{i}", 4) for i in range(5)) + extra
    return json.dumps({"url": url, "title": title, "text": f"{title}\n\n{text}"})


def corpus(tmp_path: Path, server: LocalServer, db: Path) -> None:
    """make_warehouse's runs (files with a story of copies and two versions, a reject, a URL
    list with a fetch log), then 'wire' and 'metro': one article each of their own and one
    URL both delivered (metro's text differs: the shared article has a version of each)."""
    sources = make_warehouse(tmp_path, server, db)
    added = ""
    for name, own in (("wire", "glacier"), ("metro", "harbour")):
        folder = tmp_path / name
        folder.mkdir()
        extra = " Metro adds a closing paragraph about the tram depot." if name == "metro" else ""
        lines = [
            record(f"https://{name}.example/news/{own}", f"{own.title()} news", f"{name}-{own}"),
            record(SHARED, "Tram line opens", "shared-tram", extra),
        ]
        (folder / "items.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        added += f'[[sources]]\nname = "{name}"\nkind = "files"\npath = "{name}"\n'
    sources.write_text(sources.read_text(encoding="utf-8") + added, encoding="utf-8")
    assert run(sources, db).status == "completed"


@pytest.fixture
def twins(
    tmp_path: Path, local_server: LocalServer, db_path: Path, lake: LakeTarget
) -> tuple[Path, LakeTarget]:
    """The corpus in a file, and copied into a lake."""
    corpus(tmp_path, local_server, db_path)
    copy_file_into_lake(db_path, lake)
    assert_same(db_path, lake)
    return db_path, lake


def target_text(lake: LakeTarget) -> str:
    return f"ducklake:postgres:{lake.dsn}"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def hits(result: search.SearchResult) -> list[tuple[Any, ...]]:
    return [(h.article_id, h.url, h.source, h.title, h.snippet, h.story_id) for h in result.hits]


def assert_same(db: Path, lake: LakeTarget) -> None:
    """Every view, search hit (with its score) and index row of the lake as in the file."""
    for view in VIEWS:
        assert lake_view_rows(lake, view) == file_rows(db, view), view
    with read_only(db) as file_conn, read_lake(lake) as lake_conn:
        for text in QUERIES:
            expected = search.search(file_conn, text, limit=50)
            found = search.search(lake_conn, text, limit=50)
            assert hits(found) == hits(expected), text
            assert [h.score for h in found.hits] == pytest.approx(
                [h.score for h in expected.hits], abs=1e-9, rel=0
            )
        assert lake_conn.execute(DOCS).fetchall() == file_conn.execute(DOCS).fetchall()
        postings = POSTINGS_BY_TERM if postings_have_terms(lake) else POSTINGS
        assert lake_conn.execute(postings).fetchall() == file_conn.execute(POSTINGS).fetchall()
    assert_no_orphans(lake)
    assert_consistent(lake, len(file_rows(db, "articles")))


def postings_have_terms(lake: LakeTarget) -> bool:
    with psycopg.connect(lake.dsn) as pg:
        row = pg.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'store' "
            "AND table_name = 'search_postings' AND column_name = 'term'"
        ).fetchone()
    return row != (0,)


def assert_no_orphans(lake: LakeTarget) -> None:
    with psycopg.connect(lake.dsn) as pg:
        for table in REFERRING:
            row = pg.execute(
                f"SELECT count(*) FROM store.{table} "
                "WHERE article_id NOT IN (SELECT article_id FROM store.articles)"
            ).fetchone()
            assert row == (0,), table
        row = pg.execute(
            "SELECT count(*) FROM store.url_state WHERE article_id IS NOT NULL "
            "AND article_id NOT IN (SELECT article_id FROM store.articles)"
        ).fetchone()
        assert row == (0,)
        row = pg.execute(
            "SELECT (SELECT count(*) FROM store.lake_drops) "
            "+ (SELECT count(*) FROM store.lake_drop_versions)"
        ).fetchone()
        assert row == (0,)


def assert_views_agree(lake: LakeTarget) -> None:
    """No version shown without its article, no article without its versions."""
    views = "news_lake.main"
    shown = lake_rows(
        lake,
        f"SELECT (SELECT count(*) FROM (SELECT DISTINCT article_id FROM {views}.article_versions "
        f"EXCEPT SELECT article_id FROM {views}.articles)), "
        f"(SELECT count(*) FROM (SELECT article_id FROM {views}.articles "
        f"EXCEPT SELECT article_id FROM {views}.article_versions)), "
        f"(SELECT count(*) FROM {views}.articles a JOIN (SELECT article_id, max(version_no) AS n "
        f"FROM {views}.article_versions GROUP BY ALL) v USING (article_id) "
        "WHERE a.version_count <> v.n)",
    )
    assert shown == [(0, 0, 0)]


def test_a_drop_on_a_lake_leaves_what_the_same_drop_leaves_in_the_file(
    twins: tuple[Path, LakeTarget], capsys: pytest.CaptureFixture[str]
) -> None:
    db, lake = twins
    assert query(db, "SELECT count(*) FROM store.fetch_log WHERE source = 'list'") != [(0,)]
    assert query(db, "SELECT count(*) FROM store.rejects WHERE source = 'folder'") != [(0,)]

    for source in ("list", "wire", "folder"):
        code, in_file, _ = cli(capsys, "drop", source, "--db", str(db), "--yes")
        assert code == 0
        code, in_lake, err = cli(capsys, "drop", source, "--warehouse", target_text(lake), "--yes")
        assert code == 0, err
        assert in_lake == in_file  # the same counts, the same lines
        assert in_lake.strip().endswith(f"dropped source {source!r}")
        assert_same(db, lake)

    assert lake_view_rows(lake, "articles")  # metro's articles are left
    with psycopg.connect(lake.dsn) as pg:
        row = pg.execute(
            "SELECT source, version_count FROM store.articles WHERE canonical_url = %s", (SHARED,)
        ).fetchone()
    assert row == ("metro", 2)


def test_dry_run_json_unknown_source_and_the_environment_variable(
    twins: tuple[Path, LakeTarget],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, lake = twins
    before = {view: lake_view_rows(lake, view) for view in ("articles", "fetch_log")}

    code, in_lake, _ = cli(
        capsys, "drop", "wire", "--warehouse", target_text(lake), "--dry-run", "--format", "json"
    )
    code_file, in_file, _ = cli(capsys, "drop", "wire", "--db", str(db), "--dry-run",
                                "--format", "json")  # fmt: skip
    assert (code, code_file) == (0, 0)
    assert json.loads(in_lake) == json.loads(in_file)
    assert json.loads(in_lake)["dry_run"] is True
    assert {view: lake_view_rows(lake, view) for view in before} == before

    code, _, err = cli(capsys, "drop", "nosuch", "--warehouse", target_text(lake), "--yes")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "unknown source 'nosuch'" in err and lake.address() in err and "metro" in err

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # nobody to ask
    code, _, err = cli(capsys, "drop", "wire", "--warehouse", target_text(lake))
    assert code == 2 and "add --yes" in err

    monkeypatch.setattr("sys.stdin", Terminal("metro\n"))  # the wrong name typed back
    code, out, err = cli(capsys, "drop", "wire", "--warehouse", target_text(lake))
    assert code == 1 and "Type the source's name (wire)" in out and "nothing changed" in err
    assert {view: lake_view_rows(lake, view) for view in before} == before
    assert pending(lake) == []

    monkeypatch.setenv("NEWS_INGEST_WAREHOUSE", target_text(lake))
    code, out, _ = cli(capsys, "drop", "wire", "--yes")
    assert code == 0 and out.strip().endswith("dropped source 'wire'")
    monkeypatch.delenv("NEWS_INGEST_WAREHOUSE")
    assert cli(capsys, "drop", "wire", "--db", str(db), "--yes")[0] == 0
    assert_same(db, lake)


def test_an_unreachable_lake_is_one_line_exit_1_and_no_password(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", "s3cret-word")
    target = "ducklake:postgres:dbname=news host=127.0.0.1 port=1 user=nobody"
    code, out, err = cli(capsys, "drop", "wire", "--warehouse", target, "--yes")
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "cannot reach the lake's PostgreSQL at 127.0.0.1:1/news" in err
    assert "s3cret-word" not in err


# ------------------------------------------------------------------ killed midway


@pytest.fixture
def blocker(lake: LakeTarget) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A session of the test that takes the lock a step needs, in an open transaction."""
    with psycopg.connect(lake.dsn) as pg:
        yield pg
        pg.rollback()


def start_drop(lake: LakeTarget, source: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "flows.app.cli", "drop", source, "--yes"]
    command += ["--warehouse", target_text(lake)]
    return subprocess.Popen(
        command,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill_when_waiting(
    process: subprocess.Popen[bytes],
    lake: LakeTarget,
    blocker: psycopg.Connection[tuple[object, ...]],
) -> None:
    """SIGKILL ``process`` once one of its sessions waits for the blocker's lock; release it."""
    deadline = time.monotonic() + 120
    with psycopg.connect(lake.dsn, autocommit=True) as watcher:
        while not _someone_waits(watcher):
            assert process.poll() is None, process.communicate()[0].decode()[-3000:]
            assert time.monotonic() < deadline, "the drop never reached the lock"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        stop_process(process)
        blocker.rollback()
        while _sessions_of_others(watcher):
            assert time.monotonic() < deadline, "the killed drop's sessions never ended"
            time.sleep(0.05)


def _someone_waits(watcher: psycopg.Connection[tuple[object, ...]]) -> bool:
    row = watcher.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    ).fetchone()
    return bool(row and row[0])


def _sessions_of_others(watcher: psycopg.Connection[tuple[object, ...]]) -> bool:
    row = watcher.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
        "AND state <> 'idle'"
    ).fetchone()
    return bool(row and row[0])


def _intent_recorded(watcher: psycopg.Connection[tuple[object, ...]]) -> bool:
    return watcher.execute("SELECT count(*) FROM store.lake_drops").fetchone() != (0,)


def pending(lake: LakeTarget) -> list[tuple[Any, ...]]:
    with psycopg.connect(lake.dsn) as pg:
        return pg.execute("SELECT source FROM store.lake_drops").fetchall()


def lake_versions_of(lake: LakeTarget, source: str) -> int:
    rows = lake_rows(
        lake, f"SELECT count(*) FROM news_lake.history.article_versions WHERE source = '{source}'"
    )
    return int(rows[0][0])


@pytest.mark.parametrize(
    ("lock", "lake_done"),
    [
        # The lake step's commit writes DuckLake's catalog: killed after the intent.
        ("LOCK TABLE ducklake.ducklake_snapshot IN EXCLUSIVE MODE", False),
        # The state step deletes the rejects: killed after the lake step.
        ("LOCK TABLE store.rejects IN EXCLUSIVE MODE", True),
    ],
    ids=["after-the-intent", "after-the-lake-step"],
)
def test_a_drop_killed_midway_shows_no_half_article_and_its_rerun_finishes_it(
    twins: tuple[Path, LakeTarget],
    blocker: psycopg.Connection[tuple[object, ...]],
    capsys: pytest.CaptureFixture[str],
    lock: str,
    lake_done: bool,
) -> None:
    db, lake = twins
    versions = lake_versions_of(lake, "wire")
    assert versions == 2
    blocker.execute(lock.encode())
    process = start_drop(lake, "wire")
    kill_when_waiting(process, lake, blocker)

    assert pending(lake) == [("wire",)]
    assert lake_versions_of(lake, "wire") == (0 if lake_done else versions)
    assert_views_agree(lake)
    with psycopg.connect(lake.dsn) as pg:  # the keyed state is whole until the last step
        row = pg.execute("SELECT count(*) FROM store.article_versions WHERE source = 'wire'")
        assert row.fetchone() == (versions,)

    code, dry, _ = cli(capsys, "drop", "wire", "--warehouse", target_text(lake), "--dry-run")
    assert code == 0 and "deletes 1 article(s)" in dry and pending(lake) == [("wire",)]
    code, out, err = cli(capsys, "drop", "wire", "--warehouse", target_text(lake), "--yes")
    assert code == 0, err
    assert out.strip().splitlines()[-1] == (
        "dropped source 'wire' (finished the drop a stopped drop had left pending)"
    )
    code, in_file, _ = cli(capsys, "drop", "wire", "--db", str(db), "--yes")
    assert code == 0 and in_file.splitlines()[0] == out.splitlines()[0]  # the same plan
    assert_same(db, lake)

    code, _, err = cli(capsys, "drop", "wire", "--warehouse", target_text(lake), "--yes")
    assert code == 2 and "unknown source 'wire'" in err  # done: nothing of it is left


# ------------------------------------------------------------------ a run writing meanwhile


def lake_run(sources: Path, lake: LakeTarget) -> None:
    options = {"warehouse": target_text(lake), "data_path": str(lake.data_path)}
    assert run(sources, sources.parent / "unused.duckdb", **options).status == "completed"


def test_a_drop_beside_a_run_storing_another_source(
    tmp_path: Path,
    lake: LakeTarget,
    prefect_server: PrefectServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Lake batches of several runs; a run of a third source stores batch after batch (each
    appending to the lake tables the drop deletes from) while 'wire' is dropped."""
    lake_run(sources_over(tmp_path, "wire", range(12), batch=3), lake)
    metro = sources_over(tmp_path, "metro", range(6, 18), batch=3)
    for index in (6, 7, 8):  # metro's text differs: a second version, these are shared
        changed = tmp_path / "metro" / f"{index:04d}.html"
        changed.write_text(page(index).replace(f"Report {index}.", f"Report {index}, metro."))
    lake_run(metro, lake)
    markers = "SELECT count(*) FROM news_lake.history.batches"
    before = lake_rows(lake, markers)[0][0]
    other = start_lake_run(
        sources_over(tmp_path, "other", range(100, 140), batch=2), lake, prefect_server.env
    )
    deadline = time.monotonic() + 120
    while lake_rows(lake, markers)[0][0] < before + 3:  # the run is storing
        assert other.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)

    code, out, err = cli(capsys, "drop", "wire", "--warehouse", target_text(lake), "--yes")
    assert code == 0, err
    assert "deletes 9 article(s)" in out and "3 article(s) other sources delivered too" in out
    during = lake_rows(lake, markers)[0][0]
    finish(other)
    assert lake_rows(lake, markers)[0][0] > during  # it went on storing after the drop

    assert_consistent(lake, 3 + 6 + 40)  # metro's shared and own articles, other's
    assert_no_orphans(lake)
    assert lake_rows(
        lake, "SELECT count(*) FROM news_lake.history.article_versions WHERE source = 'wire'"
    ) == [(0,)]
    with psycopg.connect(lake.dsn) as pg:
        for table in ("article_versions", "url_state", "checkpoints", "run_sources", "rejects"):
            row = pg.execute(f"SELECT count(*) FROM store.{table} WHERE source = 'wire'").fetchone()
            assert row == (0,), table
        shared = pg.execute(
            "SELECT version_count, source, count(*) FROM store.articles "
            "WHERE canonical_url LIKE 'https://news.example/story/_' GROUP BY 1, 2"
        ).fetchall()
    assert shared == [(2, "metro", 3)]


def test_a_drop_killed_at_random_moments_then_run_again_ends_as_in_the_file(
    twins: tuple[Path, LakeTarget], capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGKILL the drop a random time after it recorded its intent, several times (each
    rerun finishing the pending drop is killed too, until one is not), checking the views
    between kills; a last drop finishes whatever is left."""
    db, lake = twins
    rng = random.Random(23)
    states = []
    for _ in range(KILLS):
        process = start_drop(lake, "wire")
        with psycopg.connect(lake.dsn, autocommit=True) as watcher:
            deadline = time.monotonic() + 120
            # A first drop: from its intent on. A rerun (the intent is there already): from
            # its connection on (it then finishes the drop in about a second).
            started = _sessions_of_others if pending(lake) else _intent_recorded
            while not started(watcher) and process.poll() is None:
                assert time.monotonic() < deadline, "the drop never started"
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.03 if started is _intent_recorded else 1.5))
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            stop_process(process)
            while _sessions_of_others(watcher):
                time.sleep(0.05)
        assert_views_agree(lake)
        with psycopg.connect(lake.dsn) as pg:
            row = pg.execute("SELECT count(*) FROM store.article_versions WHERE source = 'wire'")
            keyed = row.fetchone()
        in_lake = lake_versions_of(lake, "wire")
        recorded = bool(pending(lake))
        states.append((recorded, keyed, in_lake))
        if recorded:  # the keys leave PostgreSQL after the lake's rows, all at once
            assert (keyed, in_lake) in (((2,), 2), ((2,), 0), ((0,), 0)), states
        else:  # not started, or done: PostgreSQL and the lake agree
            assert (keyed, in_lake) in (((2,), 2), ((0,), 0)), states
        if not recorded and keyed == (0,):
            break

    assert states[0][0], states  # the first kill, within 30 ms of the intent, left it pending
    if states[-1][:2] != (False, (0,)):
        code, _, err = cli(capsys, "drop", "wire", "--warehouse", target_text(lake), "--yes")
        assert code == 0, (err, states)
    assert cli(capsys, "drop", "wire", "--db", str(db), "--yes")[0] == 0
    assert_same(db, lake)
