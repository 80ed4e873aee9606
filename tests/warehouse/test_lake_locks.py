"""What a lake batch locks, and which errors count as conflicts between writers (no server)."""

from __future__ import annotations

import duckdb
import psycopg

from warehouse.lake import locks
from warehouse.lake.batches import ConflictError, is_conflict
from warehouse.lake.locks import BatchKeys


def test_a_batch_locks_each_key_once_in_one_global_order() -> None:
    keys = BatchKeys(
        identity=frozenset({"key:b", "key:a"}),
        locations=frozenset({"https://a.example/1"}),
        articles=frozenset({7}),
    )

    pairs = keys.lock_keys()

    assert pairs == sorted(pairs)
    assert [c for c, _ in pairs] == [locks.IDENTITY, locks.IDENTITY, locks.LOCATION, locks.ARTICLE]
    assert len(set(pairs)) == 4
    # The same keys from another writer's batch are the same locks.
    assert BatchKeys(identity=frozenset({"key:a"})).lock_keys()[0] in pairs


def test_a_class_with_more_keys_than_its_buckets_is_folded() -> None:
    many = BatchKeys(identity=frozenset(f"key:{i}" for i in range(5000)))

    pairs = many.lock_keys()

    assert len(pairs) <= locks.MAX_PER_CLASS
    assert all(0 <= k < locks.MAX_PER_CLASS for _, k in pairs)


def test_conflicts_are_what_postgresql_says_of_two_writers_deciding_at_once() -> None:
    assert is_conflict(ConflictError("changed"))
    assert is_conflict(duckdb.Error('Failed to copy data: ERROR:  duplicate key value violates '
                                    'unique constraint "articles_pkey"'))  # fmt: skip
    assert is_conflict(duckdb.Error("ERROR:  could not serialize access due to concurrent update"))
    assert is_conflict(duckdb.Error("ERROR:  deadlock detected"))
    assert is_conflict(psycopg.errors.UniqueViolation())
    assert is_conflict(psycopg.errors.SerializationFailure())
    assert is_conflict(psycopg.errors.DeadlockDetected())
    assert not is_conflict(psycopg.errors.UndefinedTable())
    assert not is_conflict(duckdb.Error("Connection refused"))
    assert not is_conflict(ValueError("duplicate key value violates unique constraint"))
