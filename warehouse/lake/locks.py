"""PostgreSQL advisory locks held by a lake connection's own session.

Session locks, not transaction locks: the lock is taken before DuckDB opens
its transaction on PostgreSQL (whose snapshot must start after the lock is
granted) and PostgreSQL releases it when the session ends, so a killed
process never leaves one behind. Keys are two int4 values: a class (what is
locked) and an object (which one).

A batch's state transaction takes :class:`BatchKeys` (what its own content
says it will decide: identity keys, locations, checkpoints, re-read articles)
with :func:`held_keys`, all in one statement and in one global order, after
``WHOLE`` shared, so two batches that share a key decide one after the other
and batches that do not decide at once; a transaction naming no keys takes
``WHOLE`` exclusively and so excludes every decision. Each class is folded
into at most :data:`MAX_PER_CLASS` buckets, so a batch never holds more than
``len(KEY_CLASSES) * MAX_PER_CLASS`` key locks of PostgreSQL's shared lock
slots (docs/lake.md, "Commit protocol").
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from uuid import UUID

import psycopg

from warehouse.errors import WarehouseUnavailableError

__all__ = [
    "ARTICLE",
    "BATCH",
    "CHECKPOINT",
    "COMMIT",
    "IDENTITY",
    "KEY_CLASSES",
    "LOCATION",
    "MAX_PER_CLASS",
    "RUN",
    "SCHEMA",
    "SOURCE",
    "WHOLE",
    "BatchKeys",
    "held",
    "held_keys",
    "object_key",
    "try_lock",
    "unlock",
]

WHOLE = 1701  # every state transaction: shared by keyed ones, exclusive for the others
BATCH = 1702  # publishing one batch's history into the lake
RUN = 1703  # a live run (held from its start to its end)
SCHEMA = 1704  # creating or upgrading the warehouse's tables and views
COMMIT = 1705  # validating a state transaction's reads and committing it (milliseconds)
IDENTITY = 1710  # an identity key (URL aliases and the article they lead to)
LOCATION = 1711  # a location (url_state, rejects)
CHECKPOINT = 1712  # a source's checkpoint key
ARTICLE = 1713  # an article re-read by id (re-extraction)
SOURCE = 1714  # a source's state row

KEY_CLASSES = (IDENTITY, LOCATION, CHECKPOINT, ARTICLE, SOURCE)
MAX_PER_CLASS = 1024  # buckets a class is folded into when a batch has more keys than that

Session = psycopg.Connection[tuple[object, ...]]


@dataclass(frozen=True, slots=True)
class BatchKeys:
    """What a state transaction decides, known from the batch's content before any lookup."""

    identity: frozenset[str] = field(default_factory=frozenset)
    locations: frozenset[str] = field(default_factory=frozenset)
    checkpoints: frozenset[str] = field(default_factory=frozenset)
    articles: frozenset[int] = field(default_factory=frozenset)
    sources: frozenset[str] = field(default_factory=frozenset)

    def lock_keys(self) -> list[tuple[int, int]]:
        """The (class, object) advisory keys, sorted: the one global order every batch uses."""
        classes = (
            (IDENTITY, self.identity),
            (LOCATION, self.locations),
            (CHECKPOINT, self.checkpoints),
            (ARTICLE, {str(a) for a in self.articles}),
            (SOURCE, self.sources),
        )
        return sorted((kind, key) for kind, values in classes for key in _class_keys(values))


def _class_keys(values: Iterable[str]) -> set[int]:
    keys = {object_key(value) for value in values}
    if len(keys) <= MAX_PER_CLASS:
        return keys
    return {key % MAX_PER_CLASS for key in keys}  # folded: a shared bucket only means waiting


def object_key(value: UUID | str) -> int:
    """A signed int4 for ``value`` (collisions only make two holders wait for each other)."""
    return zlib.crc32(str(value).encode()) - 2**31


@contextmanager
def held(pg: Session, kind: int, key: int = 0) -> Iterator[None]:
    """Hold the lock ``(kind, key)`` for the block, waiting for it.

    A lost session (PostgreSQL restarted or unreachable) is a WarehouseUnavailableError:
    what was committed stays, and the next run finishes any pending batch.
    """
    _lock_all(pg, [(kind, key)])
    try:
        yield
    finally:
        unlock(pg, kind, key)


@contextmanager
def held_keys(pg: Session, keys: BatchKeys | None) -> Iterator[int]:
    """Hold the locks of a state transaction for the block; yield how many key locks.

    ``keys``: ``WHOLE`` shared, then every key lock (one round trip), so batches decide
    at once unless they share a key. None (a transaction that does not say what it
    decides: ``reset``, ``migrate``'s copy, ``drop``): ``WHOLE`` exclusively, so
    it waits for every decision in flight and none starts until it ends.
    """
    pairs = keys.lock_keys() if keys is not None else []
    mode = "_shared" if keys is not None else ""
    try:
        _run(pg, f"SELECT pg_advisory_lock{mode}(%s, 0)", (WHOLE,))
        _lock_all(pg, pairs)
        yield len(pairs)
    finally:
        # Also after a failed lock statement: session locks it took stay until released.
        if not pg.closed:
            with suppress(psycopg.Error):
                if pairs:
                    pg.execute(b"SELECT count(pg_advisory_unlock(c, k)) " + _PAIRS, _columns(pairs))
                pg.execute(f"SELECT pg_advisory_unlock{mode}(%s, 0)".encode(), (WHOLE,))


_PAIRS = b"FROM unnest(%s::int[], %s::int[]) AS t(c, k)"


def _columns(pairs: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    return [c for c, _ in pairs], [k for _, k in pairs]


def _lock_all(pg: Session, pairs: list[tuple[int, int]]) -> None:
    """Take the locks in the order given (one statement), waiting for each."""
    if pairs:
        _run(pg, b"SELECT count(pg_advisory_lock(c, k)) " + _PAIRS, _columns(pairs))


def _run(pg: Session, sql: str | bytes, params: tuple[object, ...]) -> None:
    """Execute a lock statement; a lost session is a WarehouseUnavailableError.

    A deadlock PostgreSQL detects (40P01) stays what it is: a conflict, retried.
    """
    try:
        pg.execute(sql.encode() if isinstance(sql, str) else sql, params)
    except psycopg.errors.DeadlockDetected:
        raise
    except psycopg.OperationalError as exc:
        raise WarehouseUnavailableError(
            f"lost the connection to the lake's PostgreSQL ({exc}); what was committed "
            "is kept and the next run finishes it"
        ) from exc


def try_lock(pg: Session, kind: int, key: int) -> bool:
    """Take ``(kind, key)`` if free; False when another session holds it."""
    row = pg.execute("SELECT pg_try_advisory_lock(%s, %s)", (kind, key)).fetchone()
    return bool(row and row[0])


def unlock(pg: Session, kind: int, key: int) -> None:
    """Release ``(kind, key)`` (a closed session has released it already)."""
    if not pg.closed:
        pg.execute("SELECT pg_advisory_unlock(%s, %s)", (kind, key))
