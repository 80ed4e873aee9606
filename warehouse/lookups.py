"""Reads of the ``store`` tables the pipeline makes while it works: state, keys, versions.

Every per-batch lookup goes through :func:`warehouse.keyed.select_in`, so its
cost does not grow with the warehouse beyond index lookups. Writes are in
:mod:`warehouse.store`; the analysts' queries in :mod:`warehouse.summaries`,
:mod:`warehouse.search` and :mod:`warehouse.queries`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

import duckdb

from warehouse.keyed import select_in
from warehouse.lake.direct import select_any
from warehouse.lake.registry import LakeHandle, handle_of
from warehouse.rows import CapturedVersion, CheckpointRow, RunCounts, UrlStateRow

__all__ = [
    "SourceFreshness",
    "captured_sources",
    "find_aliases",
    "known_alias_urls",
    "latest_versions",
    "load_captured_versions",
    "load_checkpoints",
    "load_discovery_validators",
    "load_freshness",
    "load_url_state",
    "max_article_id",
    "new_article_ids",
    "page_titles",
    "run_counts",
]


def load_checkpoints(conn: duckdb.DuckDBPyConnection, source: str) -> list[CheckpointRow]:
    """Every checkpoint a source has stored."""
    rows = conn.execute(
        "SELECT source, key, fingerprint, position, done, updated_at "
        "FROM store.checkpoints WHERE source = ?",
        [source],
    ).fetchall()
    return [CheckpointRow(*row) for row in rows]


def load_url_state(
    conn: duckdb.DuckDBPyConnection, locations: Iterable[str]
) -> dict[str, UrlStateRow]:
    """The stored state of each of these locations that has one."""
    rows = select_in(
        conn,
        "SELECT location, source, raw_hash, article_id, etag, last_modified, "
        "last_seen_at, last_changed_at, kind FROM store.url_state WHERE location IN ({keys})",
        locations,
    )
    return {row[0]: UrlStateRow(*row) for row in rows}


def find_aliases(conn: duckdb.DuckDBPyConnection, keys: Iterable[str]) -> dict[str, int]:
    """Map each known identity key to its article id (the oldest, should two claim it)."""
    handle = handle_of(conn)
    if handle is not None:
        rows = select_any(
            handle,
            "SELECT identity_key, min(article_id) FROM store.url_aliases "
            "WHERE identity_key = ANY({keys}) GROUP BY identity_key",
            sorted(set(keys)),
            array_type="text",
        )
    else:
        rows = select_in(
            conn,
            "SELECT identity_key, min(article_id) FROM store.url_aliases "
            "WHERE identity_key IN ({keys}) GROUP BY identity_key",
            keys,
        )
    return {str(key): int(article_id) for key, article_id in rows}


def known_alias_urls(conn: duckdb.DuckDBPyConnection, urls: Iterable[str]) -> set[str]:
    """Which of these URL variants are already recorded."""
    handle = handle_of(conn)
    if handle is not None:
        rows = select_any(
            handle,
            "SELECT url FROM store.url_aliases WHERE url = ANY({keys})",
            sorted(set(urls)),
            array_type="text",
        )
    else:
        rows = select_in(conn, "SELECT url FROM store.url_aliases WHERE url IN ({keys})", urls)
    return {str(row[0]) for row in rows}


def latest_versions(
    conn: duckdb.DuckDBPyConnection, article_ids: Iterable[int]
) -> dict[int, tuple[int, str, int]]:
    """Map article id -> (version count, latest version hash, story id)."""
    # Two index lookups joined here: DuckDB 1.5.5 plans the SQL join of articles with
    # article_versions as a scan of article_versions, even with its article_id index (0006).
    handle = handle_of(conn)
    wanted = sorted({int(a) for a in article_ids})
    if handle is not None:
        articles = {
            a: (count, story)
            for a, count, story in select_any(
                handle,
                "SELECT article_id, version_count, story_id FROM store.articles "
                "WHERE article_id = ANY({keys})",
                wanted,
                array_type="bigint",
            )
        }
        versions = select_any(
            handle,
            "SELECT article_id, version_no, version_hash FROM store.article_versions "
            "WHERE article_id = ANY({keys})",
            sorted(articles),
            array_type="bigint",
        )
    else:
        articles = {
            a: (count, story)
            for a, count, story in select_in(
                conn,
                "SELECT article_id, version_count, story_id FROM store.articles "
                "WHERE article_id IN ({keys})",
                wanted,
            )
        }
        versions = select_in(
            conn,
            "SELECT article_id, version_no, version_hash FROM store.article_versions "
            "WHERE article_id IN ({keys})",
            articles,
        )
    return {
        a: (articles[a][0], version_hash, articles[a][1])
        for a, version_no, version_hash in versions
        if version_no == articles[a][0]
    }


def page_titles(
    conn: duckdb.DuckDBPyConnection, hosts: Iterable[str], *, per_host: int
) -> dict[str, list[str]]:
    """The ``<title>``s the latest versions of these hosts' articles stated, newest first.

    What each host's title affixes are learned from (``flows.extract.titles``);
    at most ``per_host`` per host.
    """
    rows = select_in(
        conn,
        "SELECT host, page_title FROM (SELECT a.host, v.page_title, ? AS cap, row_number() OVER "
        "(PARTITION BY a.host ORDER BY v.retrieved_at DESC, a.article_id DESC) AS n "
        "FROM store.articles a JOIN store.article_versions v "
        "ON v.article_id = a.article_id AND v.version_no = a.version_count "
        "WHERE v.page_title IS NOT NULL AND a.host IN ({keys})) WHERE n <= cap ORDER BY host, n",
        hosts,
        (per_host,),
    )
    titles: dict[str, list[str]] = {}
    for host, title in rows:
        titles.setdefault(host, []).append(title)
    return titles


def max_article_id(conn: duckdb.DuckDBPyConnection) -> int:
    """The largest article id in use (0 for an empty warehouse)."""
    row = conn.execute("SELECT coalesce(max(article_id), 0) FROM store.articles").fetchone()
    return int(row[0]) if row else 0


def new_article_ids(conn: duckdb.DuckDBPyConnection, expected: int) -> Iterator[int]:
    """Ids for the new articles of a batch; ``expected`` of them are asked for at once.

    A DuckDB file: the ids after the largest in use (its one writer is inside its
    transaction). A lake: the sequence ``store.article_ids`` (writers never wait for
    each other; a rolled-back batch leaves a gap), ``expected`` ids in one round trip,
    one more round trip per id beyond that.
    """
    handle = handle_of(conn)
    if handle is None:
        return itertools.count(max_article_id(conn) + 1)
    return _sequence_ids(handle, expected)


def _sequence_ids(handle: LakeHandle, expected: int) -> Iterator[int]:
    while True:
        rows = handle.pg.execute(
            "SELECT store.next_article_ids(%s)", (max(expected, 1),)
        ).fetchall()
        yield from (int(row[0]) for row in rows)  # type: ignore[call-overload]
        expected = 1


def load_discovery_validators(
    conn: duckdb.DuckDBPyConnection, source: str
) -> dict[str, tuple[str | None, str | None]]:
    """ETag and Last-Modified of the feeds and sitemaps a source fetched before."""
    rows = conn.execute(
        "SELECT location, etag, last_modified FROM store.url_state "
        "WHERE source = ? AND kind IN ('feed', 'sitemap')",
        [source],
    ).fetchall()
    return {location: (etag, last_modified) for location, etag, last_modified in rows}


_CAPTURED = (
    "SELECT v.article_id, v.version_no, v.source, v.location, v.url, v.retrieved_at, "
    "v.raw_hash, v.authors, v.authors_source, v.language, v.hint_origin, v.hint_guid, "
    "v.hint_title, v.hint_published_at, v.capture_path, v.capture_offset "
    "FROM store.articles a JOIN store.article_versions v "
    "ON v.article_id = a.article_id AND v.version_no = a.version_count "
    "WHERE v.capture_path IS NOT NULL AND v.capture_offset IS NOT NULL "
    "AND ($since IS NULL OR v.retrieved_at >= $since)"
)


def captured_sources(conn: duckdb.DuckDBPyConnection, *, since: datetime | None) -> list[str]:
    """Sources of latest versions that point at a captured raw page, by name."""
    rows = conn.execute(
        f"SELECT DISTINCT source FROM ({_CAPTURED}) ORDER BY source", {"since": since}
    ).fetchall()
    return [row[0] for row in rows]


def load_captured_versions(
    conn: duckdb.DuckDBPyConnection,
    *,
    source: str,
    since: datetime | None,
    after_article_id: int,
    limit: int,
) -> list[CapturedVersion]:
    """The next ``limit`` captured latest versions of a source, by article id (keyset paging)."""
    rows = conn.execute(
        f"{_CAPTURED} AND v.source = $source AND a.article_id > $after "
        "ORDER BY a.article_id LIMIT $limit",
        {"since": since, "source": source, "after": after_article_id, "limit": limit},
    ).fetchall()
    return [_captured_version(row) for row in rows]


def _captured_version(row: tuple[Any, ...]) -> CapturedVersion:
    values = dict(zip((f.name for f in fields(CapturedVersion)), row, strict=True))
    values["authors"] = tuple(values["authors"] or ())  # a VARCHAR[] comes back as a list
    return CapturedVersion(**values)


@dataclass(frozen=True, slots=True)
class SourceFreshness:
    """What a source remembers between runs for adaptive freshness and the zero-yield flag."""

    source: str
    next_due_at: datetime | None
    revisit_seconds: float | None
    last_yield_at: datetime | None


def load_freshness(conn: duckdb.DuckDBPyConnection, source: str) -> SourceFreshness | None:
    """The source's freshness state, or None before its first run."""
    row = conn.execute(
        "SELECT source, next_due_at, revisit_seconds, last_yield_at "
        "FROM store.source_state WHERE source = ?",
        [source],
    ).fetchone()
    return SourceFreshness(*row) if row else None


def run_counts(conn: duckdb.DuckDBPyConnection, run_id: UUID) -> RunCounts:
    """A run's counters summed over its sources (what its committed batches stored)."""
    names = [f.name for f in fields(RunCounts)]
    sums = ", ".join(f"CAST(coalesce(sum({name}), 0) AS BIGINT)" for name in names)
    row = conn.execute(
        f"SELECT {sums} FROM store.run_sources WHERE run_id = ?", [run_id]
    ).fetchone()
    assert row is not None  # an aggregate always has a row
    return RunCounts(*(int(value) for value in row))
