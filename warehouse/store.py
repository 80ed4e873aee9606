"""Reads and writes of the ``store`` tables, batch at a time, through Arrow.

The caller (``flows.pipeline.persist``) opens one transaction per batch with
:func:`transaction`, looks up what it needs with the ``find_*``/``load_*``
functions, decides (identity, versions, stories) and writes with the
``insert_*``/``upsert_*`` functions; a crash before COMMIT leaves nothing of
the batch behind. All values are bound parameters or Arrow tables; SQL text is
built from constants only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

import duckdb
import pyarrow as pa

from warehouse.lookup import select_in

__all__ = [
    "AliasRow",
    "ArticleRow",
    "CapturedVersion",
    "CheckpointRow",
    "FetchLogRow",
    "RejectRow",
    "RunCounts",
    "UrlStateRow",
    "VersionRow",
    "add_run_counts",
    "captured_sources",
    "find_aliases",
    "finish_run",
    "finish_run_source",
    "insert_aliases",
    "insert_articles",
    "insert_fetch_log",
    "insert_table",
    "insert_versions",
    "known_alias_urls",
    "latest_versions",
    "load_captured_versions",
    "load_checkpoints",
    "load_discovery_validators",
    "load_url_state",
    "mark_abandoned_runs",
    "max_article_id",
    "record_source_outcome",
    "set_version_counts",
    "start_run",
    "start_run_source",
    "touch_articles",
    "transaction",
    "upsert_checkpoints",
    "upsert_rejects",
    "upsert_url_state",
]

_TS = pa.timestamp("us", tz="UTC")
_TYPES: dict[type | str, pa.DataType] = {
    "str": pa.string(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "datetime": _TS,
    "tuple[str, ...]": pa.list_(pa.string()),
}


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """A new row of store.articles."""

    article_id: int
    canonical_url: str
    host: str | None
    source: str
    story_id: int
    version_count: int
    first_seen_at: datetime
    last_seen_at: datetime
    first_run_id: str
    last_run_id: str


@dataclass(frozen=True, slots=True)
class VersionRow:
    """A new row of store.article_versions (see docs/schema.md for each column)."""

    article_id: int
    version_no: int
    run_id: str
    source: str
    retrieved_at: datetime
    location: str
    url: str | None
    title: str | None
    title_source: str | None
    text: str
    description: str | None
    authors: tuple[str, ...]
    authors_source: str | None
    published_at: datetime | None
    published_precision: str | None
    published_source: str | None
    modified_at: datetime | None
    language: str | None
    sitename: str | None
    word_count: int
    version_hash: str
    content_hash: str
    raw_hash: str
    extractor: str
    hint_origin: str | None
    hint_guid: str | None
    hint_title: str | None
    hint_published_at: datetime | None
    capture_path: str | None
    capture_offset: int | None


@dataclass(frozen=True, slots=True)
class AliasRow:
    """A URL variant that leads to an article, with the identity key it normalises to."""

    identity_key: str
    url: str
    article_id: int
    kind: str
    first_seen_at: datetime
    first_run_id: str


@dataclass(frozen=True, slots=True)
class RejectRow:
    """A document dropped with a reason."""

    source: str
    location: str
    reason: str
    detail: str
    raw_hash: str
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class UrlStateRow:
    """What we last saw at a location (raw hash, validators, resulting article)."""

    location: str
    source: str
    raw_hash: str | None
    article_id: int | None
    etag: str | None
    last_modified: str | None
    last_seen_at: datetime
    last_changed_at: datetime
    kind: str = "page"  # page | feed | sitemap | file


@dataclass(frozen=True, slots=True)
class FetchLogRow:
    """One HTTP fetch and what became of it."""

    run_id: str
    source: str
    url: str
    final_url: str
    purpose: str
    outcome: str
    status: int | None
    bytes: int
    elapsed_ms: int
    etag: str | None
    last_modified: str | None
    content_type: str | None
    error: str | None
    attempts: int
    redirects: int
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class CapturedVersion:
    """An article's latest version whose raw page was captured (what re-extraction reads)."""

    article_id: int
    version_no: int
    source: str
    location: str
    url: str | None
    retrieved_at: datetime
    raw_hash: str
    authors: tuple[str, ...]
    authors_source: str | None
    language: str | None
    hint_origin: str | None
    hint_guid: str | None
    hint_title: str | None
    hint_published_at: datetime | None
    capture_path: str
    capture_offset: int


@dataclass(frozen=True, slots=True)
class CheckpointRow:
    """Progress of a local source through one of its files."""

    source: str
    key: str
    fingerprint: str
    position: int
    done: bool
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RunCounts:
    """Counters added to a run's per-source row, in the batch's transaction."""

    found: int = 0
    fetched: int = 0
    not_modified: int = 0
    new: int = 0
    duplicates: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: int = 0


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT, or ROLLBACK if the block raises."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# ---------------------------------------------------------------- runs


def mark_abandoned_runs(conn: duckdb.DuckDBPyConnection, *, now: datetime) -> int:
    """Mark runs still 'running' as 'crashed' (called while holding the run lock)."""
    rows = conn.execute(
        "UPDATE store.runs SET status = 'crashed', finished_at = ? "
        "WHERE status = 'running' RETURNING run_id",
        [now],
    ).fetchall()
    conn.execute(
        "UPDATE store.run_sources SET status = 'crashed', finished_at = ? WHERE status = 'running'",
        [now],
    )
    return len(rows)


def start_run(
    conn: duckdb.DuckDBPyConnection,
    *,
    run_id: UUID,
    flow_run_id: UUID | None,
    started_at: datetime,
    sources_file: str,
    selected: Sequence[str],
) -> None:
    """Record a run as started."""
    conn.execute(
        "INSERT INTO store.runs (run_id, flow_run_id, started_at, status, sources_file, "
        "selected_sources) VALUES (?, ?, ?, 'running', ?, ?)",
        [run_id, flow_run_id, started_at, sources_file, list(selected)],
    )


def finish_run(
    conn: duckdb.DuckDBPyConnection,
    *,
    run_id: UUID,
    status: str,
    finished_at: datetime,
    error: str | None = None,
) -> None:
    """Record a run's end and status."""
    conn.execute(
        "UPDATE store.runs SET status = ?, finished_at = ?, error = ? WHERE run_id = ?",
        [status, finished_at, error, run_id],
    )


def start_run_source(
    conn: duckdb.DuckDBPyConnection, *, run_id: UUID, source: str, kind: str, started_at: datetime
) -> None:
    """Create the run's row for one source (idempotent)."""
    conn.execute(
        "INSERT INTO store.run_sources (run_id, source, kind, started_at, status) "
        "VALUES (?, ?, ?, ?, 'running') ON CONFLICT DO NOTHING",
        [run_id, source, kind, started_at],
    )


def add_run_counts(
    conn: duckdb.DuckDBPyConnection, *, run_id: UUID, source: str, counts: RunCounts
) -> None:
    """Add a batch's counters to the run's row for the source."""
    names = [f.name for f in fields(RunCounts)]
    assignments = ", ".join(f"{n} = {n} + ?" for n in names)
    conn.execute(
        f"UPDATE store.run_sources SET {assignments} WHERE run_id = ? AND source = ?",
        [getattr(counts, n) for n in names] + [run_id, source],
    )


def finish_run_source(
    conn: duckdb.DuckDBPyConnection,
    *,
    run_id: UUID,
    source: str,
    status: str,
    finished_at: datetime,
    warning: str | None = None,
    error: str | None = None,
) -> None:
    """Record the end of one source's part of a run."""
    conn.execute(
        "UPDATE store.run_sources SET status = ?, finished_at = ?, warning = ?, error = ? "
        "WHERE run_id = ? AND source = ?",
        [status, finished_at, warning, error, run_id, source],
    )


# ---------------------------------------------------------------- lookups


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
    rows = select_in(
        conn,
        "SELECT identity_key, min(article_id) FROM store.url_aliases "
        "WHERE identity_key IN ({keys}) GROUP BY identity_key",
        keys,
    )
    return dict(rows)


def known_alias_urls(conn: duckdb.DuckDBPyConnection, urls: Iterable[str]) -> set[str]:
    """Which of these URL variants are already recorded."""
    rows = select_in(conn, "SELECT url FROM store.url_aliases WHERE url IN ({keys})", urls)
    return {row[0] for row in rows}


def latest_versions(
    conn: duckdb.DuckDBPyConnection, article_ids: Iterable[int]
) -> dict[int, tuple[int, str, int]]:
    """Map article id -> (version count, latest version hash, story id)."""
    # Two index lookups joined here: DuckDB 1.5.5 plans the SQL join of articles with
    # article_versions as a scan of article_versions, even with its article_id index (0006).
    articles = {
        a: (count, story)
        for a, count, story in select_in(
            conn,
            "SELECT article_id, version_count, story_id FROM store.articles "
            "WHERE article_id IN ({keys})",
            article_ids,
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


def max_article_id(conn: duckdb.DuckDBPyConnection) -> int:
    """The largest article id in use (0 for an empty warehouse)."""
    row = conn.execute("SELECT coalesce(max(article_id), 0) FROM store.articles").fetchone()
    return int(row[0]) if row else 0


# ---------------------------------------------------------------- writes


def insert_articles(conn: duckdb.DuckDBPyConnection, rows: Sequence[ArticleRow]) -> None:
    """Insert new articles."""
    _insert(conn, "store.articles", ArticleRow, rows)


def insert_versions(conn: duckdb.DuckDBPyConnection, rows: Sequence[VersionRow]) -> None:
    """Insert new article versions."""
    _insert(conn, "store.article_versions", VersionRow, rows)


def insert_aliases(conn: duckdb.DuckDBPyConnection, rows: Sequence[AliasRow]) -> None:
    """Insert URL variants not known yet (a known URL keeps its article)."""
    _insert(conn, "store.url_aliases", AliasRow, rows, conflict="ON CONFLICT DO NOTHING")


def set_version_counts(
    conn: duckdb.DuckDBPyConnection,
    counts: Mapping[int, int],
    *,
    seen_at: datetime | None,
    run_id: str,
) -> None:
    """Point articles at their new latest version; mark them seen unless ``seen_at`` is None."""
    if not counts:
        return
    table = pa.table(
        {"article_id": list(counts), "version_count": list(counts.values())},
        schema=pa.schema([("article_id", pa.int64()), ("version_count", pa.int32())]),
    )
    with _registered(conn, table):
        conn.execute(
            "UPDATE store.articles a SET version_count = b.version_count, "
            "last_seen_at = greatest(a.last_seen_at, ?), last_run_id = ?::UUID "
            "FROM __batch b WHERE a.article_id = b.article_id",
            [seen_at, run_id],
        )


def touch_articles(
    conn: duckdb.DuckDBPyConnection, article_ids: Iterable[int], *, seen_at: datetime, run_id: str
) -> None:
    """Mark articles seen again without a content change."""
    select_in(
        conn,
        "UPDATE store.articles SET last_seen_at = greatest(last_seen_at, ?), "
        "last_run_id = ?::UUID WHERE article_id IN ({keys})",
        article_ids,
        (seen_at, run_id),
    )


def upsert_url_state(conn: duckdb.DuckDBPyConnection, rows: Sequence[UrlStateRow]) -> None:
    """Insert or refresh per-location state (the last row for a location wins)."""
    latest = list({row.location: row for row in rows}.values())
    _insert(
        conn,
        "store.url_state",
        UrlStateRow,
        latest,
        conflict=(
            "ON CONFLICT (location) DO UPDATE SET source = excluded.source, "
            "raw_hash = coalesce(excluded.raw_hash, url_state.raw_hash), "
            "article_id = coalesce(excluded.article_id, url_state.article_id), "
            "etag = excluded.etag, last_modified = excluded.last_modified, kind = excluded.kind, "
            "last_seen_at = excluded.last_seen_at, "
            "last_changed_at = CASE WHEN excluded.raw_hash IS DISTINCT FROM url_state.raw_hash "
            "AND excluded.raw_hash IS NOT NULL "
            "THEN excluded.last_changed_at ELSE url_state.last_changed_at END"
        ),
    )


def upsert_rejects(
    conn: duckdb.DuckDBPyConnection, rows: Sequence[RejectRow], *, run_id: str
) -> None:
    """Record rejects; the same document rejected again only bumps its counters."""
    unique = list({(r.source, r.location, r.reason, r.raw_hash): r for r in rows}.values())
    if not unique:
        return
    table = _arrow(RejectRow, unique)
    with _registered(conn, table):
        conn.execute(
            "INSERT INTO store.rejects SELECT source, location, reason, detail, raw_hash, "
            "seen_at, seen_at, ?::UUID, ?::UUID, 1 FROM __batch "
            "ON CONFLICT (source, location, reason, raw_hash) DO UPDATE SET "
            "detail = excluded.detail, last_seen_at = excluded.last_seen_at, "
            "last_run_id = excluded.last_run_id, "
            "times_seen = rejects.times_seen "
            "+ CASE WHEN rejects.last_run_id = excluded.last_run_id THEN 0 ELSE 1 END",
            [run_id, run_id],
        )


def upsert_checkpoints(
    conn: duckdb.DuckDBPyConnection, rows: Sequence[CheckpointRow], *, run_id: str
) -> None:
    """Record the latest checkpoint per (source, key)."""
    latest = list({(r.source, r.key): r for r in rows}.values())
    if not latest:
        return
    with _registered(conn, _arrow(CheckpointRow, latest)):
        conn.execute(
            "INSERT INTO store.checkpoints SELECT source, key, fingerprint, position, done, "
            "updated_at, ?::UUID FROM __batch ON CONFLICT (source, key) DO UPDATE SET "
            "fingerprint = excluded.fingerprint, position = excluded.position, "
            "done = excluded.done, updated_at = excluded.updated_at, run_id = excluded.run_id",
            [run_id],
        )


def insert_fetch_log(conn: duckdb.DuckDBPyConnection, rows: Sequence[FetchLogRow]) -> None:
    """Append fetch log rows."""
    _insert(conn, "store.fetch_log", FetchLogRow, rows)


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


def record_source_outcome(
    conn: duckdb.DuckDBPyConnection,
    *,
    source: str,
    kind: str,
    run_id: UUID,
    at: datetime,
    succeeded: bool,
    changed: int,
    error: str | None,
) -> None:
    """Update a source's state after its part of a run."""
    conn.execute(
        "INSERT INTO store.source_state (source, kind, last_run_id, last_run_at, last_success_at, "
        "last_change_at, last_yield, consecutive_failures, last_error) "
        "VALUES ($source, $kind, $run, $at, CASE WHEN $ok THEN $at END, "
        "CASE WHEN $changed > 0 THEN $at END, $changed, CASE WHEN $ok THEN 0 ELSE 1 END, $error) "
        "ON CONFLICT (source) DO UPDATE SET kind = excluded.kind, "
        "last_run_id = excluded.last_run_id, last_run_at = excluded.last_run_at, "
        "last_success_at = coalesce(excluded.last_success_at, source_state.last_success_at), "
        "last_change_at = coalesce(excluded.last_change_at, source_state.last_change_at), "
        "last_yield = excluded.last_yield, "
        "consecutive_failures = "
        "CASE WHEN $ok THEN 0 ELSE source_state.consecutive_failures + 1 END, "
        "last_error = excluded.last_error",
        {"source": source, "kind": kind, "run": run_id, "at": at, "ok": succeeded,
         "changed": changed, "error": error},
    )  # fmt: skip


# ---------------------------------------------------------------- helpers


def _insert(
    conn: duckdb.DuckDBPyConnection,
    table_name: str,
    record: type,
    rows: Sequence[Any],
    *,
    conflict: str = "",
) -> None:
    if not rows:
        return
    insert_table(conn, table_name, _arrow(record, rows), conflict=conflict)


def insert_table(
    conn: duckdb.DuckDBPyConnection, table_name: str, table: pa.Table, *, conflict: str = ""
) -> None:
    """Insert an Arrow table's rows into ``table_name``, matching columns by name."""
    with _registered(conn, table):
        conn.execute(f"INSERT INTO {table_name} BY NAME SELECT * FROM __batch {conflict}")


def _arrow(record: type, rows: Sequence[Any]) -> pa.Table:
    """Column-wise Arrow table of dataclass rows, typed from the dataclass annotations."""
    schema = pa.schema([(f.name, _arrow_type(str(f.type))) for f in fields(record)])
    # getattr, not dataclasses.asdict: asdict deep-copies every value (measured: 0.05-0.1 ms
    # per article version row against 0.005 ms, about 0.3 ms of main-process CPU per page).
    return pa.table({c: [getattr(row, c) for row in rows] for c in schema.names}, schema=schema)


def _arrow_type(annotation: str) -> pa.DataType:
    base = annotation.replace(" | None", "")
    return _TYPES[base]


@contextmanager
def _registered(conn: duckdb.DuckDBPyConnection, table: pa.Table) -> Iterator[None]:
    conn.register("__batch", table)
    try:
        yield
    finally:
        conn.unregister("__batch")
