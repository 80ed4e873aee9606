"""The lake's batch commit protocol (docs/lake.md#commit-protocol).

1. **State** (one PostgreSQL transaction, decided in parallel with other
   writers): under advisory locks on the keys the batch's own content names
   (:class:`~warehouse.lake.locks.BatchKeys`: identity keys, locations,
   checkpoints...; ``WHOLE`` shared first; a transaction naming no keys takes
   ``WHOLE`` exclusively), taken before the transaction's snapshot, the caller looks
   up (each lookup remembered, :mod:`warehouse.lake.direct`), decides and
   writes the batch's keyed state and its history rows, the latter in staging
   tables tagged with the batch id, plus the batch's intent row in
   ``store.lake_batches`` (``published_at`` NULL). Then, under the short
   global ``COMMIT`` lock, every remembered lookup is asked again: an answer
   that changed (another writer committed a key, band or story this batch
   should have seen) is a conflict; otherwise it commits. A conflict, or one
   PostgreSQL reports (unique violation, serialization failure, deadlock), rolls
   the transaction back and :func:`decide` runs the whole decision again, a
   bounded number of times. Killed before COMMIT: nothing of the batch exists.
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

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TypeVar
from uuid import UUID, uuid4

import duckdb
import psycopg

from warehouse.errors import LakeBatchError
from warehouse.lake import locks
from warehouse.lake.direct import changed_reads
from warehouse.lake.locks import BatchKeys
from warehouse.lake.registry import LakeHandle
from warehouse.lake.schema import HISTORY_TABLES, LAKE

__all__ = [
    "ConflictError",
    "decide",
    "finish_pending",
    "is_conflict",
    "publish",
    "recover",
    "state_transaction",
]

T = TypeVar("T")

_ATTEMPTS = 5
DECIDE_ATTEMPTS = 8  # state transactions tried per batch before a LakeBatchError
_BACKOFF = 0.02  # seconds, doubled per attempt, with jitter

# What PostgreSQL says when two writers decided the same thing at once (SQLSTATE 23505,
# 40001, 40P01): psycopg gives the code, DuckDB's postgres extension only the message.
_CONFLICT_STATES = frozenset({"23505", "40001", "40P01"})
_CONFLICT_MESSAGES = (
    "duplicate key value violates unique constraint",
    "could not serialize access",
    "deadlock detected",
)


class ConflictError(Exception):
    """Another writer committed something this state transaction's decisions rest on."""


def decide(
    conn: duckdb.DuckDBPyConnection,
    handle: LakeHandle,
    work: Callable[[], T],
    keys: BatchKeys,
) -> T:
    """Run ``work`` in a state transaction until one commits without conflict; publish it.

    ``work`` must be a whole decision (lookups first): after a conflict it runs again
    from the start in a new transaction. Still conflicting after DECIDE_ATTEMPTS
    attempts: LakeBatchError (nothing of the batch was stored).
    """
    for attempt in range(1, DECIDE_ATTEMPTS + 1):
        batch = uuid4()
        try:
            with _state(conn, handle, keys, batch):
                result = work()
        except Exception as exc:
            if not is_conflict(exc):
                raise
            handle.spent["conflicts"] += 1
            if attempt == DECIDE_ATTEMPTS:
                raise LakeBatchError(
                    f"a batch still conflicted with other writers after {attempt} attempts "
                    f"({_first_line(exc)}); nothing of it was stored"
                ) from exc
            time.sleep(_BACKOFF * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))  # noqa: S311
            continue
        publish(conn, handle, batch)
        return result
    raise AssertionError("unreachable")  # pragma: no cover


def is_conflict(exc: BaseException) -> bool:
    """True for a conflict between writers (worth deciding again), else False."""
    if isinstance(exc, ConflictError):
        return True
    if isinstance(exc, psycopg.Error):
        return exc.sqlstate in _CONFLICT_STATES
    if isinstance(exc, duckdb.Error):
        message = str(exc)
        return any(text in message for text in _CONFLICT_MESSAGES)
    return False


@contextmanager
def state_transaction(
    conn: duckdb.DuckDBPyConnection, handle: LakeHandle, keys: BatchKeys | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Step 1 around the caller's writes (one attempt), then steps 2 and 3 for the batch.

    Without ``keys`` the transaction excludes every other writer's decisions while it
    runs (the ``WHOLE`` lock taken exclusively): ``reset``, a copy into the lake.
    """
    batch = uuid4()
    with _state(conn, handle, keys, batch):
        yield conn
    publish(conn, handle, batch)


@contextmanager
def _state(
    conn: duckdb.DuckDBPyConnection, handle: LakeHandle, keys: BatchKeys | None, batch: UUID
) -> Iterator[None]:
    """Step 1: locks (``keys`` None: every other decision excluded), the caller's lookups
    and writes, validation, COMMIT."""
    started = time.perf_counter()
    with locks.held_keys(handle.pg, keys):
        locked = time.perf_counter()
        handle.spent["key_lock_wait"] += locked - started
        handle.reads = []
        conn.execute("BEGIN TRANSACTION")
        try:
            # The batch id every staged history row takes by default (state.sql). SET takes
            # no snapshot: PostgreSQL's starts at the transaction's first read or write.
            # (a UUID made here: safe to write into the statement's text)
            conn.execute(
                f"CALL postgres_execute('store', 'SET LOCAL news_ingest.batch = ''{batch}''')"
            )
            yield
            conn.execute(
                "INSERT INTO store.lake_batches (batch_id, committed_at) VALUES (?, now())",
                [batch],
            )
            _validate_and_commit(conn, handle)
        except BaseException:
            _rollback(conn)
            raise
        finally:
            handle.reads = None
            handle.spent["state"] += time.perf_counter() - locked


def _validate_and_commit(conn: duckdb.DuckDBPyConnection, handle: LakeHandle) -> None:
    """Under COMMIT: every remembered lookup answers as it did, then COMMIT (else a conflict)."""
    waiting = time.perf_counter()
    with locks.held(handle.pg, locks.COMMIT):
        granted = time.perf_counter()
        handle.spent["commit_lock_wait"] += granted - waiting
        try:
            changed = changed_reads(handle)
            if changed is not None:
                raise ConflictError(f"another writer changed what this batch read: {changed}")
            conn.execute("COMMIT")
        finally:
            handle.spent["commit_held"] += time.perf_counter() - granted


def _rollback(conn: duckdb.DuckDBPyConnection) -> None:
    """ROLLBACK, unless the transaction is gone already (a failed COMMIT ends it)."""
    with suppress(duckdb.TransactionException):
        conn.execute("ROLLBACK")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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


def finish_pending(conn: duckdb.DuckDBPyConnection, handle: LakeHandle) -> int:
    """Finish every pending batch, waiting for those their owners are publishing now.

    Under ``WHOLE`` taken exclusively no batch is being decided, so when this returns
    every committed batch's history is in the lake (``drop`` on a lake relies on it).
    """
    rows = handle.pg.execute(
        "SELECT batch_id FROM store.lake_batches WHERE published_at IS NULL ORDER BY committed_at"
    ).fetchall()
    for (batch,) in rows:
        assert isinstance(batch, UUID)
        with locks.held(handle.pg, locks.BATCH, locks.object_key(batch)):
            _publish_locked(conn, handle, batch)
    return len(rows)


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
