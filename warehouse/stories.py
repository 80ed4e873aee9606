"""The persisted near-duplicate index and story assignment tables (see migration 0003).

``story_bands`` holds one row per (article version, LSH band) of a dedupable
text, with an ART index on ``key``. DuckDB 1.5.5 uses that index for an
``IN (...)`` list of constants or of bound ``?`` parameters, but not for a
join or a list-typed parameter ``IN (SELECT unnest(?))`` (a join scans the
whole table, 3.6 ms at 10k articles and 157 ms at 1M). :func:`find_band_matches`
inlines the keys as integer literals rather than binding them because that
measured about 25 % faster for 3,200 keys (20 -> 22 ms from 400k to 4M rows,
against 27 -> 29 ms for bound ``?`` lists); the keys are 64-bit integers
produced by our own hashing and formatted with ``int()``, never text from a
document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import duckdb
import pyarrow as pa

from warehouse.keyed import select_in
from warehouse.lake.direct import select_any
from warehouse.lake.registry import handle_of
from warehouse.store import insert_table

__all__ = [
    "StoryFeatureRow",
    "claim_stories",
    "find_band_matches",
    "find_content_matches",
    "insert_bands",
    "insert_features",
    "load_features",
    "merge_stories",
    "story_ids",
]

_LOOKUP_CHUNK = 8192  # keys per IN list


@dataclass(frozen=True, slots=True)
class StoryFeatureRow:
    """What verification needs to know about one article version."""

    article_id: int
    version_no: int
    scheme: str
    signature: bytes
    site: str
    title_key: str
    tokens: int
    shingles: int
    content_hash: str
    dedupable: bool


_FEATURE_SCHEMA = pa.schema(
    [
        ("article_id", pa.int64()),
        ("version_no", pa.int32()),
        ("scheme", pa.string()),
        ("signature", pa.binary()),
        ("site", pa.string()),
        ("title_key", pa.string()),
        ("tokens", pa.int32()),
        ("shingles", pa.int32()),
        ("content_hash", pa.string()),
        ("dedupable", pa.bool_()),
    ]
)
_FEATURE_COLUMNS = ", ".join(_FEATURE_SCHEMA.names)


def insert_features(conn: duckdb.DuckDBPyConnection, rows: Sequence[StoryFeatureRow]) -> None:
    """Store the features of new versions."""
    if not rows:
        return
    table = pa.table(
        {name: [getattr(row, name) for row in rows] for name in _FEATURE_SCHEMA.names},
        schema=_FEATURE_SCHEMA,
    )
    insert_table(conn, "store.story_features", table, conflict="ON CONFLICT DO NOTHING")


def insert_bands(conn: duckdb.DuckDBPyConnection, rows: Sequence[tuple[int, int]]) -> None:
    """Index (band key, article id) rows.

    A new version repeats most of its article's keys; those rows are kept
    rather than checked, since a check would scan the index table and lookups
    read DISTINCT pairs anyway.
    """
    unique = sorted(set(rows))
    if not unique:
        return
    table = pa.table(
        {"key": [k for k, _ in unique], "article_id": [a for _, a in unique]},
        schema=pa.schema([("key", pa.int64()), ("article_id", pa.int64())]),
    )
    insert_table(conn, "store.story_bands", table)


def find_band_matches(
    conn: duckdb.DuckDBPyConnection, keys: Iterable[int]
) -> list[tuple[int, int]]:
    """(key, article id) of every indexed version sharing one of these band keys."""
    unique = sorted({int(k) for k in keys})
    handle = handle_of(conn)
    if handle is not None:
        rows = select_any(
            handle,
            "SELECT DISTINCT key, article_id FROM store.story_bands WHERE key = ANY({keys})",
            unique,
            array_type="bigint",
        )
        return [(int(key), int(article_id)) for key, article_id in rows]
    found: list[tuple[int, int]] = []
    for start in range(0, len(unique), _LOOKUP_CHUNK):
        chunk = ", ".join(str(int(k)) for k in unique[start : start + _LOOKUP_CHUNK])
        found.extend(
            conn.execute(
                f"SELECT DISTINCT key, article_id FROM store.story_bands WHERE key IN ({chunk})"
            ).fetchall()
        )
    return found


def find_content_matches(
    conn: duckdb.DuckDBPyConnection, hashes: Iterable[str]
) -> list[tuple[str, int]]:
    """(content hash, article id) of dedupable versions with one of these exact texts."""
    # ``dedupable`` is tested here, not in SQL: with a second condition DuckDB 1.5.5 stops
    # using the content_hash index and scans the table (5 ms vs 18 ms a batch at 1M articles).
    handle = handle_of(conn)
    if handle is not None:
        rows = select_any(
            handle,
            "SELECT content_hash, article_id, dedupable FROM store.story_features "
            "WHERE content_hash = ANY({keys})",
            sorted(set(hashes)),
            array_type="text",
        )
    else:
        rows = select_in(
            conn,
            "SELECT content_hash, article_id, dedupable FROM store.story_features "
            "WHERE content_hash IN ({keys})",
            hashes,
        )
    return sorted({(str(h), int(a)) for h, a, dedupable in rows if dedupable})


def load_features(
    conn: duckdb.DuckDBPyConnection, article_ids: Iterable[int], *, scheme: str
) -> list[StoryFeatureRow]:
    """Stored features of every version of these articles (of the given scheme)."""
    # ``scheme`` is tested here, not in SQL: with a second condition DuckDB 1.5.5 stops using
    # the article_id index (migration 0006) and scans the table every batch.
    handle = handle_of(conn)
    if handle is not None:
        # Validated like every lookup: a new version of a candidate, committed meanwhile
        # by another writer, is one more row here (its band keys may all be known pairs).
        rows = select_any(
            handle,
            f"SELECT {_FEATURE_COLUMNS} FROM store.story_features WHERE article_id = ANY({{keys}})",
            sorted({int(a) for a in article_ids}),
            array_type="bigint",
        )
    else:
        rows = select_in(
            conn,
            f"SELECT {_FEATURE_COLUMNS} FROM store.story_features WHERE article_id IN ({{keys}})",
            article_ids,
        )
    features = [StoryFeatureRow(*row) for row in rows]
    return [feature for feature in features if feature.scheme == scheme]


def story_ids(conn: duckdb.DuckDBPyConnection, article_ids: Iterable[int]) -> dict[int, int]:
    """The current story of each of these articles."""
    handle = handle_of(conn)
    if handle is not None:
        rows = select_any(
            handle,
            "SELECT article_id, story_id FROM store.articles WHERE article_id = ANY({keys})",
            sorted({int(a) for a in article_ids}),
            array_type="bigint",
        )
    else:
        rows = select_in(
            conn,
            "SELECT article_id, story_id FROM store.articles WHERE article_id IN ({keys})",
            article_ids,
        )
    return {int(a): int(s) for a, s in rows}


def claim_stories(conn: duckdb.DuckDBPyConnection, story_ids: Iterable[int]) -> None:
    """On a lake, write each of these stories' first article's row, unchanged.

    Two writers whose decisions read or change the same story (one joins it, the
    other merges it away) then write the same row, and PostgreSQL lets only the
    first commit (the other's state transaction conflicts and is decided again).
    A DuckDB file has one writer: nothing to do.
    """
    ids = sorted({int(s) for s in story_ids})
    if handle_of(conn) is None or not ids:
        return
    # Sent as it is (integers formatted here): through the extension an IN list scans the table.
    listed = ",".join(str(i) for i in ids)
    conn.execute(
        "CALL postgres_execute('store', 'UPDATE store.articles SET story_id = story_id "
        f"WHERE article_id = ANY(''{{{listed}}}''::bigint[])')"
    )


def merge_stories(
    conn: duckdb.DuckDBPyConnection, merges: Mapping[int, int], *, run_id: UUID, at: datetime
) -> None:
    """Move every article of each merged story into the story it joined, and log it."""
    for merged, into in sorted(merges.items()):
        conn.execute("UPDATE store.articles SET story_id = ? WHERE story_id = ?", [into, merged])
        conn.execute(
            "INSERT INTO store.story_merges (run_id, merged_story, into_story, merged_at) "
            "VALUES (?, ?, ?, ?)",
            [run_id, merged, into, at],
        )
