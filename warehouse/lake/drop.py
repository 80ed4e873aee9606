"""Dropping one source from a lake: the file's semantics (:mod:`warehouse.maintenance`).

DuckLake and PostgreSQL cannot be written in one transaction, so a drop is an
intent followed by two transactions, all under ``WHOLE`` taken exclusively
(no batch is decided meanwhile) and after every batch already decided is in
the lake (:func:`warehouse.lake.batches.finish_pending`), then a search refresh:

1. **Intent** (one PostgreSQL transaction): the plan (its counts) in
   ``store.lake_drops`` and the keys of the source's versions in
   ``store.lake_drop_versions``; the articles it touches leave the search index.
2. **History** (one DuckLake transaction, retried when a batch being published
   conflicts with it): those versions and the source's fetch log leave
   ``history.*``. The views show an article only with its versions in the lake,
   so its versions and an article left without any disappear together.
3. **State** (one PostgreSQL transaction): the versions' keys; the articles left
   without a version with their aliases, story features, band rows and URL
   state; the articles that keep other versions recomputed; the source's
   rejects, staged fetch log, URL state, checkpoints, source state and
   ``run_sources`` rows.
4. **Search** (after ``WHOLE`` is released): the articles that keep other
   versions are indexed again, then the intent rows are deleted.

Killed after 1, 2 or 3, the intent stays pending: the next drop of the same
source shows the recorded plan and, confirmed, does 2 (deleting what is left
of it), 3 and 4. Which articles are deleted is decided in 3 from what
PostgreSQL then holds (an article a run gave a version of another source
meanwhile is kept), so 3 may run again: finishing is idempotent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, fields

import duckdb
import psycopg

from warehouse.errors import LakeDropError
from warehouse.lake import batches, locks
from warehouse.lake.registry import LakeHandle, handle_of
from warehouse.lake.schema import LAKE
from warehouse.maintenance import DropPlan
from warehouse.search import refresh_index

__all__ = ["LakeDrop", "drop_source", "pending_plan", "plan_drop"]

_ATTEMPTS = 6  # lake transactions tried before a LakeDropError (the rerun finishes it)
_BACKOFF = 0.05  # seconds, doubled per attempt (about 1.5 s in all)

_TOUCHED = """
WITH touched AS (
    SELECT article_id, bool_or(source <> %(s)s) AS shared
    FROM store.article_versions
    WHERE article_id IN (SELECT article_id FROM store.article_versions WHERE source = %(s)s)
    GROUP BY article_id
)
"""

_PLAN = (
    _TOUCHED
    + """
SELECT
    (SELECT count(*) FROM touched WHERE NOT shared),
    (SELECT count(*) FROM touched WHERE shared),
    (SELECT count(*) FROM store.article_versions WHERE source = %(s)s),
    (SELECT count(*) FROM store.rejects WHERE source = %(s)s),
    (SELECT count(*) FROM store.fetch_log WHERE source = %(s)s),
    (SELECT count(*) FROM store.url_state WHERE source = %(s)s
        OR article_id IN (SELECT article_id FROM touched WHERE NOT shared)),
    (SELECT count(*) FROM store.checkpoints WHERE source = %(s)s),
    (SELECT count(*) FROM store.run_sources WHERE source = %(s)s)
"""
)

_INTENT = (
    "INSERT INTO store.lake_drops (source, requested_at, plan) VALUES (%(s)s, now(), %(plan)s)",
    "INSERT INTO store.lake_drop_versions (source, article_id, version_no) "
    "SELECT source, article_id, version_no FROM store.article_versions WHERE source = %(s)s",
    # Out of the search index before the lake loses the text a hit would show.
    "DELETE FROM store.search_postings WHERE article_id IN "
    "(SELECT article_id FROM store.lake_drop_versions WHERE source = %(s)s)",
    "DELETE FROM store.search_docs WHERE article_id IN "
    "(SELECT article_id FROM store.lake_drop_versions WHERE source = %(s)s)",
)

# The intent's version keys, read from PostgreSQL into this DuckDB connection (one
# statement), so the lake transaction below writes the lake only.
_KEYS = (
    "CREATE OR REPLACE TEMP TABLE __drop_keys AS "
    "SELECT article_id, version_no FROM store.lake_drop_versions WHERE source = ?"
)

_DELETE_VERSIONS = (
    f"DELETE FROM {LAKE}.history.article_versions AS v USING __drop_keys AS k "
    "WHERE v.article_id = k.article_id AND v.version_no = k.version_no"
)
_DELETE_FETCH_LOG = f"DELETE FROM {LAKE}.history.fetch_log WHERE source = ?"

_ORPHAN_DOCS = (
    "SELECT d.article_id FROM store.search_docs AS d WHERE NOT EXISTS "
    "(SELECT 1 FROM store.articles AS a WHERE a.article_id = d.article_id)"
)
_GONE_SQL = "SELECT article_id FROM pg_temp.drop_gone"
_TOUCHED_SQL = "SELECT article_id FROM pg_temp.drop_touched"
_KEYS_MATCH = (
    "USING store.lake_drop_versions AS d WHERE d.source = %(s)s "
    "AND t.article_id = d.article_id AND t.version_no = d.version_no"
)

# In order: what refers to a row goes before it (url_aliases and article_versions refer to
# store.articles). Which touched articles are gone is decided here, from what PostgreSQL
# holds now: those left without any version.
_STATE = (
    "CREATE TEMP TABLE drop_touched ON COMMIT DROP AS "
    "SELECT DISTINCT article_id FROM store.lake_drop_versions WHERE source = %(s)s",
    f"DELETE FROM store.search_postings WHERE article_id IN ({_TOUCHED_SQL})",
    f"DELETE FROM store.search_docs WHERE article_id IN ({_TOUCHED_SQL})",
    f"DELETE FROM store.story_features AS t {_KEYS_MATCH}",
    f"DELETE FROM store.article_versions AS t {_KEYS_MATCH}",
    "CREATE TEMP TABLE drop_gone ON COMMIT DROP AS "
    f"SELECT article_id FROM ({_TOUCHED_SQL}) AS t WHERE NOT EXISTS "
    "(SELECT 1 FROM store.article_versions AS v WHERE v.article_id = t.article_id)",
    f"DELETE FROM store.story_bands WHERE article_id IN ({_GONE_SQL})",
    f"DELETE FROM store.story_features WHERE article_id IN ({_GONE_SQL})",
    f"DELETE FROM store.url_aliases WHERE article_id IN ({_GONE_SQL})",
    f"DELETE FROM store.url_state WHERE source = %(s)s OR article_id IN ({_GONE_SQL})",
    f"DELETE FROM store.articles WHERE article_id IN ({_GONE_SQL})",
    f"""
    UPDATE store.articles AS a SET
        version_count = r.latest, source = r.source, first_seen_at = r.first_seen_at,
        first_run_id = r.run_id
    FROM (
        SELECT DISTINCT ON (article_id) article_id, source, run_id,
               max(version_no) OVER w AS latest, min(retrieved_at) OVER w AS first_seen_at
        FROM store.article_versions
        WHERE article_id IN ({_TOUCHED_SQL})
        WINDOW w AS (PARTITION BY article_id)
        ORDER BY article_id, version_no
    ) AS r
    WHERE a.article_id = r.article_id
    """,
    "DELETE FROM store.rejects WHERE source = %(s)s",
    "DELETE FROM store.fetch_log WHERE source = %(s)s",
    "DELETE FROM store.checkpoints WHERE source = %(s)s",
    "DELETE FROM store.source_state WHERE source = %(s)s",
    "DELETE FROM store.run_sources WHERE source = %(s)s",
    # Index rows of articles that no longer exist: a run that indexed a batch of an earlier
    # drop's source just after that drop ended (docs/lake.md, "Dropping a source").
    f"DELETE FROM store.search_postings WHERE article_id IN ({_ORPHAN_DOCS})",
    f"DELETE FROM store.search_docs WHERE article_id IN ({_ORPHAN_DOCS})",
)


@dataclass(frozen=True, slots=True)
class LakeDrop:
    """A drop carried out on a lake: its plan, and whether a stopped drop had recorded it."""

    plan: DropPlan
    resumed: bool


def pending_plan(conn: duckdb.DuckDBPyConnection, source: str) -> DropPlan | None:
    """The plan of a drop of ``source`` a stopped drop left pending, or None."""
    pg = _handle(conn).pg
    row = pg.execute("SELECT plan FROM store.lake_drops WHERE source = %s", (source,)).fetchone()
    if row is None:
        return None
    recorded = row[0] if isinstance(row[0], dict) else json.loads(str(row[0]))
    return DropPlan(**recorded)


def plan_drop(conn: duckdb.DuckDBPyConnection, source: str) -> DropPlan:
    """Count what dropping ``source`` deletes (the file's counts; its fetch log in the lake)."""
    row = _handle(conn).pg.execute(_PLAN.encode(), {"s": source}).fetchone()
    assert row is not None
    names = [f.name for f in fields(DropPlan)][1:]  # _PLAN's columns, in the plan's order
    counts = {name: int(str(value)) for name, value in zip(names, row, strict=True)}
    in_lake = conn.execute(
        f"SELECT count(*) FROM {LAKE}.history.fetch_log WHERE source = ?", [source]
    ).fetchone()
    counts["fetch_log"] += int(in_lake[0]) if in_lake else 0  # _PLAN counted the staged ones
    return DropPlan(source, **counts)


def drop_source(conn: duckdb.DuckDBPyConnection, source: str) -> LakeDrop:
    """Drop ``source`` (or finish its pending drop) under ``WHOLE`` taken exclusively.

    Steps 0 to 3 (module docstring), then 4: the articles it shared are indexed for
    search again (:func:`warehouse.search.refresh_index`) and the intent is deleted.
    """
    handle = _handle(conn)
    with _exclusive(conn, handle):
        pending = pending_plan(conn, source)
        plan = pending or plan_drop(conn, source)
        if pending is None:
            _record_intent(handle, plan)
        _delete_history(conn, source)
        _delete_state(handle, source)
    refresh_index(conn)  # step 4: the shared articles it un-indexed (runs may decide again)
    _forget_intent(handle, source)
    return LakeDrop(plan, resumed=pending is not None)


@contextmanager
def _exclusive(conn: duckdb.DuckDBPyConnection, handle: LakeHandle) -> Iterator[None]:
    """No batch decided meanwhile, and every batch decided before it is in the lake."""
    with locks.held_keys(handle.pg, None):
        batches.finish_pending(conn, handle)
        yield


def _record_intent(handle: LakeHandle, plan: DropPlan) -> None:
    """Step 1: the plan and the version keys, one PostgreSQL transaction."""
    recorded = asdict(plan)
    params = {"s": plan.source, "plan": json.dumps(recorded)}
    try:
        with handle.pg.transaction():
            for statement in _INTENT:
                handle.pg.execute(statement.encode(), params)
    except psycopg.Error as exc:
        raise LakeDropError(f"recording the drop of {plan.source!r} failed: {exc}") from exc


def _delete_history(conn: duckdb.DuckDBPyConnection, source: str) -> None:
    """Step 2: the intent's versions and the source's fetch log, one lake transaction."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            _lake_transaction(conn, source)
            return
        except duckdb.Error as exc:
            if attempt == _ATTEMPTS:
                raise LakeDropError(
                    f"deleting {source!r}'s history rows from the lake failed ({exc}); "
                    "run the same drop again to finish it"
                ) from exc
            time.sleep(_BACKOFF * 2 ** (attempt - 1))


def _lake_transaction(conn: duckdb.DuckDBPyConnection, source: str) -> None:
    conn.execute(_KEYS, [source])
    try:
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute(_DELETE_VERSIONS)
            conn.execute(_DELETE_FETCH_LOG, [source])
            conn.execute("COMMIT")
        except BaseException:
            with suppress(duckdb.TransactionException):  # a failed COMMIT ends it already
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("DROP TABLE IF EXISTS __drop_keys")


def _delete_state(handle: LakeHandle, source: str) -> None:
    """Step 3: the source's keyed state and the intent, one PostgreSQL transaction."""
    try:
        with handle.pg.transaction():
            for statement in _STATE:
                handle.pg.execute(statement.encode(), {"s": source})
    except psycopg.Error as exc:
        raise LakeDropError(
            f"deleting {source!r}'s state in PostgreSQL failed ({exc}); its history is out "
            "of the lake already: run the same drop again to finish it"
        ) from exc


def _forget_intent(handle: LakeHandle, source: str) -> None:
    """The drop is done: its intent rows go (the version keys with the plan)."""
    try:
        handle.pg.execute("DELETE FROM store.lake_drops WHERE source = %s", (source,))
    except psycopg.Error as exc:
        raise LakeDropError(f"ending the drop of {source!r} failed: {exc}") from exc


def _handle(conn: duckdb.DuckDBPyConnection) -> LakeHandle:
    handle = handle_of(conn)
    if handle is None:
        raise TypeError("not a lake connection")
    return handle
