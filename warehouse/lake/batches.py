"""The lake's batch commit protocol (docs/lake.md#commit-protocol).

1. **State** (one PostgreSQL transaction, under the ``DECIDE`` lock): the
   batch's keyed state and its history rows, the latter in staging tables
   tagged with the batch id, plus the batch's intent row in
   ``store.lake_batches`` (``published_at`` NULL). Killed before COMMIT:
   nothing of the batch exists.
2. **History** (one DuckLake transaction, under the batch's ``BATCH`` lock):
   the staged rows are copied into the lake with a marker row in
   ``history.batches``; the lake shows all of them or none.
3. **Done** (one PostgreSQL transaction): the intent row gets
   ``published_at``; staged fetch-log and merge rows are deleted, staged
   versions keep their keys but lose their text.

Killed between 1 and 2 or between 2 and 3: the intent row is still pending,
and :func:`recover` (at every lake connection's start) finishes step 2 (if
the lake has no marker for the batch) and step 3. Readers use the lake's
views, which show an article once its version is in the lake.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID, uuid4

import duckdb
import psycopg

from warehouse.errors import LakeBatchError
from warehouse.lake import locks
from warehouse.lake.registry import LakeHandle
from warehouse.lake.schema import HISTORY_TABLES, LAKE

__all__ = ["publish", "recover", "state_transaction"]

_ATTEMPTS = 5


@contextmanager
def state_transaction(
    conn: duckdb.DuckDBPyConnection, handle: LakeHandle
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Step 1 around the caller's writes, then steps 2 and 3 for the batch."""
    batch = uuid4()
    with locks.held(handle.pg, locks.DECIDE):
        conn.execute("BEGIN TRANSACTION")
        try:
            # The batch id every staged history row takes by default (state.sql).
            # (a UUID made here: safe to write into the statement's text)
            conn.execute(
                "CALL postgres_execute('store', "
                f"'SELECT set_config(''news_ingest.batch'', ''{batch}'', true)')"
            )
            conn.execute(
                "INSERT INTO store.lake_batches (batch_id, committed_at) VALUES (?, now())",
                [batch],
            )
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    publish(conn, handle, batch)


def publish(conn: duckdb.DuckDBPyConnection, handle: LakeHandle, batch: UUID) -> None:
    """Steps 2 and 3 for ``batch``, retried on a lake conflict; idempotent."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with locks.held(handle.pg, locks.BATCH, locks.object_key(batch)):
                _publish_locked(conn, handle, batch)
            return
        except (duckdb.Error, psycopg.Error) as exc:
            if attempt == _ATTEMPTS:
                raise LakeBatchError(
                    f"batch {batch} is stored but not yet in the lake ({exc}); "
                    "the next run finishes it"
                ) from exc
            time.sleep(0.05 * attempt)


def recover(conn: duckdb.DuckDBPyConnection, handle: LakeHandle) -> int:
    """Finish every batch left pending by a process that stopped; return how many."""
    rows = handle.pg.execute(
        "SELECT batch_id FROM store.lake_batches WHERE published_at IS NULL ORDER BY committed_at"
    ).fetchall()
    finished = 0
    for (batch,) in rows:
        assert isinstance(batch, UUID)
        key = locks.object_key(batch)
        if not locks.try_lock(handle.pg, locks.BATCH, key):
            continue  # its owner (or another recoverer) is publishing it now
        try:
            _publish_locked(conn, handle, batch)
            finished += 1
        finally:
            locks.unlock(handle.pg, locks.BATCH, key)
    return finished


def _publish_locked(conn: duckdb.DuckDBPyConnection, handle: LakeHandle, batch: UUID) -> None:
    pg = handle.pg
    row = pg.execute(
        "SELECT published_at FROM store.lake_batches WHERE batch_id = %s", (batch,)
    ).fetchone()
    if row is None or row[0] is not None:
        return  # rolled back, or published already
    if _has_staged(pg, batch) and not _in_lake(conn, batch):
        _copy_to_lake(conn, batch)
    with pg.transaction():
        pg.execute(
            "UPDATE store.lake_batches SET published_at = now() WHERE batch_id = %s", (batch,)
        )
        pg.execute("DELETE FROM store.fetch_log WHERE batch_id = %s", (batch,))
        pg.execute("DELETE FROM store.story_merges WHERE batch_id = %s", (batch,))
        pg.execute(
            "UPDATE store.article_versions SET text = '', description = NULL WHERE batch_id = %s",
            (batch,),
        )


def _has_staged(pg: psycopg.Connection[tuple[object, ...]], batch: UUID) -> bool:
    row = pg.execute(
        "SELECT EXISTS (SELECT 1 FROM store.article_versions WHERE batch_id = %(b)s) "
        "OR EXISTS (SELECT 1 FROM store.fetch_log WHERE batch_id = %(b)s) "
        "OR EXISTS (SELECT 1 FROM store.story_merges WHERE batch_id = %(b)s)",
        {"b": batch},
    ).fetchone()
    return bool(row and row[0])


def _in_lake(conn: duckdb.DuckDBPyConnection, batch: UUID) -> bool:
    row = conn.execute(
        f"SELECT count(*) FROM {LAKE}.history.batches WHERE batch_id = ?", [batch]
    ).fetchone()
    return bool(row and row[0])


def _copy_to_lake(conn: duckdb.DuckDBPyConnection, batch: UUID) -> None:
    """Step 2: the batch's staged rows and its marker, in one lake transaction."""
    conn.execute("BEGIN TRANSACTION")
    try:
        for table in HISTORY_TABLES:
            conn.execute(
                f"INSERT INTO {LAKE}.history.{table} "
                f"SELECT * FROM store.{table} WHERE batch_id = ?",
                [batch],
            )
        conn.execute(f"INSERT INTO {LAKE}.history.batches VALUES (?, now())", [batch])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
