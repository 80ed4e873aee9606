"""The lake's search index: the file's BM25 index in PostgreSQL, ranked by PostgreSQL.

Tokenising stays in DuckDB, exactly as for the file: the lake connection
loads the fts extension from its wheel (offline) and gets the file's own
``search_words``/``search_terms`` macros (``warehouse/views.sql``) as temporary
macros, with the stop words copied once per connection from
``store.search_stopwords``. What it produces (term, article, tf) is written
and ranked on the lake's own psycopg session: through DuckDB's postgres
extension a ``term IN (...)`` lookup is not answered from PostgreSQL's
indexes (docs/lake.md), sent directly it is.

The postings are keyed by the term itself (state.sql, "search index"), not
by a dictionary's term ids as in the file: giving ids to a batch's thousands
of new terms was a round trip and an insert into two more indexes, half the
cost of indexing. Several writers index at once: a document row is inserted
or replaced only by a newer version of its article (the upsert locks the
row, so its postings are rewritten by one writer at a time). Only versions
already in the lake are indexed: :func:`index_docs` is called after a
batch's commit protocol has run, and :data:`LATEST_IN_LAKE` reads the lake's
own versions; a hit is shown only when its indexed version's batch is
published (``store.lake_batches``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import duckdb
import psycopg

from warehouse.connection import fts_extension_path
from warehouse.errors import IndexMissingError, SearchError
from warehouse.lake.postings import BatchPostings
from warehouse.lake.registry import LakeHandle
from warehouse.lake.schema import LAKE
from warehouse.sqlfiles import statements

__all__ = [
    "LATEST_IN_LAKE",
    "RANK",
    "STOPWORDS",
    "WORDS",
    "IndexedDoc",
    "clear_index",
    "index_docs",
    "indexed_count",
    "prepare_tokeniser",
    "rank",
    "stale_articles",
    "stale_count",
    "texts",
]

WORDS = "search_words"  # the temporary macro standing for the file's store.search_words
STOPWORDS = "temp.main.search_stopwords"  # the stop words, copied from PostgreSQL

IndexedDoc = tuple[int, int, int]  # (article id, version number, length)

# The latest version of each wanted article that the lake holds (never an unpublished one).
LATEST_IN_LAKE = f"""
SELECT article_id, version_no, title, text FROM (
    SELECT v.article_id, v.version_no, v.title, v.text,
           row_number() OVER (PARTITION BY v.article_id ORDER BY v.version_no DESC) AS newest
    FROM {LAKE}.history.article_versions AS v
    WHERE v.article_id IN (SELECT unnest($ids::BIGINT[]))
) WHERE newest = 1
"""

_STALE = """
SELECT a.article_id, (d.article_id IS NOT NULL) AS indexed FROM store.articles AS a
LEFT JOIN store.search_docs AS d USING (article_id)
WHERE d.version_no IS DISTINCT FROM a.version_count
"""

# A document row is written when its article is new to the index or its version is newer.
_UPSERT_DOCS = """
INSERT INTO store.search_docs AS d (article_id, version_no, length, indexed_at)
SELECT n.article_id, n.version_no, n.length, %(now)s
FROM unnest(%(ids)b::bigint[], %(versions)b::int[], %(lengths)b::int[])
     AS n(article_id, version_no, length)
ORDER BY n.article_id
ON CONFLICT (article_id) DO UPDATE
SET version_no = excluded.version_no, length = excluded.length, indexed_at = excluded.indexed_at
WHERE d.version_no < excluded.version_no
RETURNING d.article_id
"""

_DROP_POSTINGS = "DELETE FROM store.search_postings WHERE article_id = ANY(%b::bigint[])"

_COPY_POSTINGS = "COPY store.search_postings (term, article_id, tf) FROM STDIN"

# The ranking, with the CLI's filters, on hits whose indexed version is in the lake. The
# filters are a nested loop over the hits best first, so PostgreSQL stops at the limit: a
# common term costs its scoring and one sort, not a join of every matching article.
RANK = """
SELECT s.score, s.matched_terms, s.article_id, x.canonical_url, x.source, x.published_at,
       x.first_seen_at, x.story_id, x.version_no
FROM (
    SELECT article_id, score, matched_terms
    FROM store.search_articles(%(terms)s::text[])
    ORDER BY score DESC, article_id
) AS s
CROSS JOIN LATERAL (
    SELECT a.canonical_url, a.source, v.published_at, a.first_seen_at, a.story_id, v.version_no
    FROM store.search_docs AS d
    JOIN store.articles AS a USING (article_id)
    JOIN store.article_versions AS v
      ON v.article_id = d.article_id AND v.version_no = d.version_no
    JOIN store.lake_batches AS b ON b.batch_id = v.batch_id AND b.published_at IS NOT NULL
    WHERE d.article_id = s.article_id
      AND (%(source)s::text IS NULL OR a.source = %(source)s::text)
      AND (%(since)s::timestamptz IS NULL
           OR coalesce(v.published_at, a.first_seen_at) >= %(since)s::timestamptz)
) AS x
ORDER BY s.score DESC, s.article_id
LIMIT %(limit)s
"""

_MISSING = (
    "this lake has no search index yet (it predates it); "
    "run `news-ingest run --warehouse ...` once to upgrade and index it"
)


def prepare_tokeniser(conn: duckdb.DuckDBPyConnection) -> None:
    """fts loaded, the file's tokenising macros and the stop words, in this connection."""
    path = fts_extension_path().as_posix().replace("'", "''")
    try:
        conn.execute(f"LOAD '{path}'")  # from the wheel, as warehouse.connection does
        conn.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {STOPWORDS.removeprefix('temp.main.')} AS "
            "SELECT word FROM store.search_stopwords"
        )
        for statement in _tokeniser_macros():
            conn.execute(statement)
    except duckdb.CatalogException as exc:
        raise IndexMissingError(_MISSING) from exc
    except duckdb.Error as exc:
        raise SearchError(f"cannot prepare the lake's search tokeniser: {exc}") from exc


def _tokeniser_macros() -> list[str]:
    """views.sql's search_words and search_terms, as temporary macros of this connection."""
    text = (resources.files("warehouse") / "views.sql").read_text(encoding="utf-8")
    wanted = (
        "CREATE OR REPLACE MACRO store.search_words",
        "CREATE OR REPLACE MACRO main.search_terms",
    )
    found = [s for s in statements(text) if s.startswith(wanted)]
    rewrites = (
        ("CREATE OR REPLACE MACRO store.", "CREATE OR REPLACE TEMP MACRO "),
        ("CREATE OR REPLACE MACRO main.", "CREATE OR REPLACE TEMP MACRO "),
        ("store.search_words(", f"{WORDS}("),
        ("store.search_stopwords", STOPWORDS),
    )
    for old, new in rewrites:
        found = [s.replace(old, new) for s in found]
    return found


def index_docs(
    handle: LakeHandle, docs: Sequence[IndexedDoc], postings: BatchPostings
) -> list[int]:
    """Write ``docs`` and their ``postings`` unless a newer version is indexed; the ids written."""
    if not docs:
        return []
    pg = handle.pg
    try:
        with pg.transaction():
            written = [
                int(str(row[0]))
                for row in pg.execute(
                    _UPSERT_DOCS,
                    {
                        "now": datetime.now(UTC),
                        "ids": [d[0] for d in docs],
                        "versions": [d[1] for d in docs],
                        "lengths": [d[2] for d in docs],
                    },
                ).fetchall()
            ]
            if written:
                pg.execute(_DROP_POSTINGS, (written,))
                with pg.cursor().copy(_COPY_POSTINGS) as copy:
                    copy.write(postings.copy_text(written))
    except psycopg.errors.UndefinedTable as exc:
        raise IndexMissingError(_MISSING) from exc
    except psycopg.Error as exc:
        raise SearchError(f"search index of the lake failed: {exc}") from exc
    return written


def stale_articles(handle: LakeHandle) -> list[tuple[int, bool]]:
    """Articles whose latest version is not the indexed one, and whether one is indexed."""
    rows = _select(handle, _STALE + " ORDER BY a.article_id", {})
    return [(int(article_id), bool(indexed)) for article_id, indexed in rows]


def stale_count(handle: LakeHandle) -> int:
    """Articles whose latest version is not in the index yet."""
    rows = _select(handle, f"SELECT count(*) FROM ({_STALE}) AS s", {})
    return int(rows[0][0]) if rows else 0


def indexed_count(handle: LakeHandle) -> int:
    """Articles in the lake's search index (none in a lake that predates it)."""
    try:
        rows = _select(handle, "SELECT coalesce(sum(docs), 0) FROM store.search_totals", {})
    except IndexMissingError:
        return 0
    return int(rows[0][0]) if rows else 0


def clear_index(handle: LakeHandle) -> None:
    """Empty the index in one transaction; not while runs index."""
    try:
        with handle.pg.transaction():
            for table in ("search_postings", "search_docs"):
                handle.pg.execute(f"DELETE FROM store.{table}".encode())
    except psycopg.Error as exc:
        raise SearchError(f"cannot clear the lake's search index: {exc}") from exc


def rank(
    handle: LakeHandle,
    terms: Sequence[str],
    *,
    source: str | None,
    since: datetime | None,
    limit: int,
) -> list[tuple[Any, ...]]:
    """The best ``limit`` hits, in the shape of the file's search rows (UTC times)."""
    params = {"terms": list(terms), "source": source, "since": since, "limit": limit}
    return [_utc(row) for row in _select(handle, RANK, params)]


def texts(
    conn: duckdb.DuckDBPyConnection, versions: Sequence[tuple[int, int]]
) -> dict[int, tuple[str | None, str]]:
    """Title and text of each (article id, version) of the hits, read from the lake."""
    if not versions:
        return {}
    wanted = set(versions)
    marks = ", ".join("?" for _ in wanted)  # constants DuckLake can prune files with
    rows = conn.execute(
        f"SELECT article_id, version_no, title, text FROM {LAKE}.history.article_versions "
        f"WHERE article_id IN ({marks})",
        sorted({article_id for article_id, _ in wanted}),
    ).fetchall()
    return {int(a): (title, str(text)) for a, v, title, text in rows if (int(a), int(v)) in wanted}


def _select(handle: LakeHandle, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    try:
        return list(handle.pg.execute(sql.encode(), params or None).fetchall())
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedFunction) as exc:
        raise IndexMissingError(_MISSING) from exc
    except psycopg.Error as exc:
        raise SearchError(f"search failed on the lake: {exc}") from exc


def _utc(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(v.astimezone(UTC) if isinstance(v, datetime) else v for v in row)
