"""Per-batch key lookups: select_in's marker, the article_id indexes (migration 0006) in use."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from warehouse import lookups, stories
from warehouse.connection import _apply_one, connect, migration_names
from warehouse.keyed import select_in

_EPOCH = "TIMESTAMPTZ '2026-01-01 00:00:00+00'"
_RUN = "'00000000-0000-0000-0000-000000000001'::UUID"
# Article i has i % 3 + 1 versions (version_count points at the last) and one story-feature row
# per version, of scheme 'old' for version 1 and 'new' for the others.
_FILL = (
    f"INSERT INTO store.articles SELECT i, 'https://example.org/a/' || i, 'example.org', "
    f"'test', 100 + i, i % 3 + 1, {_EPOCH}, {_EPOCH}, {_RUN}, {_RUN} FROM range(1, 301) t(i)",
    "INSERT INTO store.article_versions (article_id, version_no, run_id, source, retrieved_at, "
    "location, text, word_count, version_hash, content_hash, raw_hash, extractor) "
    f"SELECT i, v, {_RUN}, 'test', {_EPOCH}, 'https://example.org/a/' || i, 'text', 1, "
    "'h' || i || '-' || v, 'c' || i, 'r' || i, 'test' "
    "FROM range(1, 301) t(i), range(1, 4) w(v) WHERE v <= i % 3 + 1",
    "INSERT INTO store.story_features SELECT article_id, version_no, "
    "CASE WHEN version_no = 1 THEN 'old' ELSE 'new' END, ''::BLOB, '', '', 100, 100, "
    "content_hash, true FROM store.article_versions",
)


def _fill(conn: duckdb.DuckDBPyConnection) -> None:
    for statement in _FILL:
        conn.execute(statement)


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(tmp_path / "w.duckdb") as conn:
        _fill(conn)
        yield conn


def _scan_types(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path, call: Callable[[], Any]
) -> dict[str, str]:
    """Table -> scan type ('Index Scan', 'Sequential Scan') of the last statement ``call`` ran."""
    profile = tmp_path / "profile.json"
    conn.execute("SET enable_profiling = 'json'")
    conn.execute(f"SET profiling_output = '{profile.as_posix()}'")
    try:
        call()
    finally:
        conn.execute("RESET enable_profiling")
    found: dict[str, str] = {}
    pending = [json.loads(profile.read_text(encoding="utf-8"))]
    while pending:
        node = pending.pop()
        info = node.get("extra_info") or {}
        if "Table" in info and "Type" in info:
            found[str(info["Table"]).rsplit(".", 1)[-1]] = str(info["Type"])
        pending.extend(node.get("children", []))
    return found


def test_select_in_leaves_other_braces_alone(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = select_in(
        warehouse,
        "SELECT article_id, {'a': 1}.a FROM store.articles WHERE article_id IN ({keys})",
        [2, 1, 2],
    )
    assert sorted(rows) == [(1, 1), (2, 1)]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT article_id FROM store.articles",
        "SELECT article_id FROM store.articles WHERE article_id IN ({keys}) OR story_id IN ({keys})",
    ],
)
def test_select_in_needs_exactly_one_marker(warehouse: duckdb.DuckDBPyConnection, sql: str) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        select_in(warehouse, sql, [1])


def test_latest_versions_gives_each_articles_last_version(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    got = lookups.latest_versions(warehouse, [3, 4, 5, 5, 999])
    # 3: 1 version, 4: 2 versions, 5: 3 versions; 999 is not stored
    assert got == {3: (1, "h3-1", 103), 4: (2, "h4-2", 104), 5: (3, "h5-3", 105)}


def test_load_features_keeps_the_scheme_asked_for(warehouse: duckdb.DuckDBPyConnection) -> None:
    new = stories.load_features(warehouse, [3, 4, 5, 999], scheme="new")
    old = stories.load_features(warehouse, [3, 4, 5, 999], scheme="old")
    assert sorted((f.article_id, f.version_no) for f in new) == [(4, 2), (5, 2), (5, 3)]
    assert sorted((f.article_id, f.version_no) for f in old) == [(3, 1), (4, 1), (5, 1)]
    assert all(f.scheme == "new" for f in new)


def test_article_id_lookups_use_the_indexes(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # spread out: DuckDB turns a contiguous list (1, 2, ..., 39) into a range it scans for
    ids = list(range(1, 300, 7))
    features = _scan_types(
        warehouse, tmp_path, lambda: stories.load_features(warehouse, ids, scheme="new")
    )
    assert features == {"story_features": "Index Scan"}
    # latest_versions' last statement reads article_versions
    versions = _scan_types(warehouse, tmp_path, lambda: lookups.latest_versions(warehouse, ids))
    assert versions == {"article_versions": "Index Scan"}


def test_a_database_at_0005_upgrades_to_0006_with_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    older = [name for name in migration_names() if name < "0006"]
    with duckdb.connect(str(db)) as raw:
        raw.execute("CREATE SCHEMA store")
        raw.execute(
            "CREATE TABLE store.schema_migrations (name VARCHAR PRIMARY KEY, "
            "applied_at TIMESTAMPTZ NOT NULL)"
        )
        for name in older:
            _apply_one(raw, name)
        _fill(raw)
        before = {
            table: raw.execute(f"SELECT count(*) FROM store.{table}").fetchone()
            for table in ("articles", "article_versions", "story_features")
        }
    with connect(db) as conn:
        applied = {
            r[0] for r in conn.execute("SELECT name FROM store.schema_migrations").fetchall()
        }
        after = {
            table: conn.execute(f"SELECT count(*) FROM store.{table}").fetchone()
            for table in before
        }
        indexes = {
            r[0]
            for r in conn.execute(
                "SELECT index_name FROM duckdb_indexes() WHERE schema_name = 'store'"
            ).fetchall()
        }
        latest = lookups.latest_versions(conn, [5])
    assert "0006_article_id_indexes.sql" in applied
    assert (
        after
        == before
        == {
            "articles": (300,),
            "article_versions": (600,),
            "story_features": (600,),
        }
    )
    assert {"article_versions_article_id", "story_features_article_id"} <= indexes
    assert latest == {5: (3, "h5-3", 105)}
