"""Full-text search over the latest version of every article, ranked by BM25.

The index is four tables in schema ``store`` (migration 0004): one row per
indexed article (``search_docs``), the numbered stemmed terms
(``search_dictionary``), each article's term counts (``search_postings``) and
the stop words. The pipeline indexes each batch's new articles right after
the batch commits (:func:`index_new_articles`, from the texts it holds), and
:func:`refresh_index` brings the rest in step at the end of a run: only
articles that are new or have a new version since they were last indexed are
(re)tokenised, in batches, each in its own transaction, so the cost follows
what the run changed, not the size of the warehouse. Ranking is the SQL table
macro ``main.search_articles(query)`` (views.sql), which analysts can call directly.

Words are split on anything that is not a letter or digit, lower-cased,
stripped of accents, and Porter-stemmed with ``stem()`` from DuckDB's ``fts``
extension (loaded offline by :func:`warehouse.connection.connect`).

On a lake (:func:`warehouse.lake.registry.handle_of`) the same tables live in
PostgreSQL and PostgreSQL ranks (:mod:`warehouse.lake.search`); tokenising is
this module's, in DuckDB, so the same corpus gives the same hits and scores.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.errors import EmptyQueryError, IndexMissingError, SearchError
from warehouse.lake import search as lake_search
from warehouse.lake.postings import BatchPostings
from warehouse.lake.registry import LakeHandle, handle_of

__all__ = [
    "IndexRefresh",
    "SearchHit",
    "SearchResult",
    "index_new_articles",
    "indexed_count",
    "query_terms",
    "rebuild_index",
    "refresh_index",
    "search",
    "snippet",
    "stale_count",
]

logger = logging.getLogger(__name__)

_NEW_DOCS = pa.schema(
    [
        ("article_id", pa.int64()),
        ("version_no", pa.int32()),
        ("title", pa.string()),
        ("text", pa.string()),
    ]
)
REFRESH_BATCH = 2000  # articles tokenised per transaction: bounded memory, visible progress
SNIPPET_CHARS = 160

_STALE = (
    "SELECT a.article_id, (d.article_id IS NOT NULL) AS indexed FROM store.articles AS a "
    "LEFT JOIN store.search_docs AS d USING (article_id) "
    "WHERE d.version_no IS DISTINCT FROM a.version_count ORDER BY a.article_id"
)

# The latest version of the articles to index (stale ones at the end of a run).
_LATEST = """
    SELECT a.article_id, v.title, v.text
    FROM store.articles AS a
    JOIN store.article_versions AS v
      ON v.article_id = a.article_id AND v.version_no = a.version_count
    WHERE a.article_id IN (SELECT unnest($ids::BIGINT[]))
"""

# Title words count twice: a headline names what the article is about.
_TERMS = r"""
CREATE OR REPLACE TEMP TABLE __search_batch AS
WITH latest AS ({latest}),
words AS (
    SELECT article_id, unnest({words}(title)) AS w, 2 AS weight FROM latest
    UNION ALL
    SELECT article_id, unnest({words}(text)) AS w, 1 AS weight FROM latest
)
SELECT stem(w, 'porter') AS term, article_id, CAST(sum(weight) AS INTEGER) AS tf
FROM words
WHERE w <> '' AND w NOT IN (SELECT word FROM {stopwords})
GROUP BY ALL
"""

_NEW_TERMS = """
INSERT INTO store.search_dictionary (term_id, term)
SELECT (SELECT coalesce(max(term_id), 0) FROM store.search_dictionary)
       + CAST(row_number() OVER (ORDER BY term) AS INTEGER), term
FROM (SELECT DISTINCT term FROM __search_batch) AS fresh
WHERE NOT EXISTS (SELECT 1 FROM store.search_dictionary AS d WHERE d.term = fresh.term)
"""

_INDEX_POSTINGS = """
INSERT INTO store.search_postings (term_id, article_id, tf)
SELECT d.term_id, b.article_id, b.tf
FROM __search_batch AS b JOIN store.search_dictionary AS d USING (term)
"""

_FILE_WORDS = {"words": "store.search_words", "stopwords": "store.search_stopwords"}
_BATCH_TERMS = _TERMS.format(latest=_LATEST, **_FILE_WORDS)
# New articles of a batch: their text comes from the registered table, no table scan.
_NEW = "SELECT article_id, title, text FROM __search_new"
_NEW_ARTICLE_TERMS = _TERMS.format(latest=_NEW, **_FILE_WORDS)
# The same on a lake: the file's macros as temporary ones (warehouse.lake.search).
_LAKE_NEW_ARTICLE_TERMS = _TERMS.format(
    latest=_NEW, words=lake_search.WORDS, stopwords=lake_search.STOPWORDS
)

# Each new document's length: its terms, title terms counted twice (as the file's _INDEX_*).
_NEW_DOC_LENGTHS = """
SELECT n.article_id, n.version_no, CAST(coalesce(sum(b.tf), 0) AS INTEGER)
FROM __search_new AS n
LEFT JOIN __search_batch AS b USING (article_id)
GROUP BY n.article_id, n.version_no
ORDER BY n.article_id
"""

_INDEX_NEW_DOCS = """
INSERT INTO store.search_docs (article_id, version_no, length, indexed_at)
SELECT n.article_id, n.version_no, CAST(coalesce(sum(b.tf), 0) AS INTEGER), $now
FROM __search_new AS n
LEFT JOIN __search_batch AS b USING (article_id)
GROUP BY n.article_id, n.version_no
"""

_INDEX_DOCS = """
INSERT INTO store.search_docs (article_id, version_no, length, indexed_at)
SELECT a.article_id, a.version_count, CAST(coalesce(sum(b.tf), 0) AS INTEGER), $now
FROM store.articles AS a
LEFT JOIN __search_batch AS b USING (article_id)
WHERE a.article_id IN (SELECT unnest($ids::BIGINT[]))
GROUP BY a.article_id, a.version_count
"""

# Filter and rank on narrow columns first; titles and texts are read for the top hits only.
_SEARCH = """
WITH scored AS (
    SELECT s.article_id, s.score, s.matched_terms, a.source, a.first_seen_at, a.story_id,
           a.canonical_url, a.version_count
    FROM search_articles($query) AS s
    JOIN store.articles AS a USING (article_id)
    WHERE $source IS NULL OR a.source = $source
)
SELECT c.score, c.matched_terms, c.article_id, c.canonical_url, c.source, v.published_at,
       c.first_seen_at, c.story_id, c.version_count
FROM scored AS c
JOIN store.article_versions AS v
  ON v.article_id = c.article_id AND v.version_no = c.version_count
WHERE $since IS NULL OR coalesce(v.published_at, c.first_seen_at) >= $since
ORDER BY c.score DESC, c.article_id
LIMIT $limit
"""

# One point lookup per hit: DuckDB skips the row groups whose zone maps exclude the id,
# where a join or an IN list would read every text of the table.
_TEXT = "SELECT title, text FROM store.article_versions WHERE article_id = ? AND version_no = ?"


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One matching article, best first."""

    score: float
    matched_terms: int
    article_id: int
    title: str | None
    url: str
    source: str
    published_at: datetime | None
    first_seen_at: datetime
    story_id: int
    snippet: str


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The hits of a query, the terms it was reduced to, and how far the index lags."""

    terms: tuple[str, ...]
    hits: tuple[SearchHit, ...]
    not_indexed: int  # articles stored since the last index refresh (not searchable yet)


@dataclass(frozen=True, slots=True)
class IndexRefresh:
    """What one refresh of the index did."""

    indexed: int  # articles (re)indexed
    replaced: int  # of which had an older version in the index
    seconds: float


def query_terms(conn: duckdb.DuckDBPyConnection, query: str) -> tuple[str, ...]:
    """The stemmed terms a query is made of, as the index sees them."""
    if handle_of(conn) is not None:
        lake_search.prepare_tokeniser(conn)
    try:
        rows = conn.execute("SELECT term FROM search_terms(?) ORDER BY term", [query]).fetchall()
    except duckdb.CatalogException as exc:
        raise IndexMissingError(_MISSING) from exc
    except duckdb.Error as exc:
        raise SearchError(f"cannot analyse the query: {exc}") from exc
    return tuple(str(row[0]) for row in rows)


def search(
    conn: duckdb.DuckDBPyConnection,
    query: str,
    *,
    since: date | datetime | None = None,
    source: str | None = None,
    limit: int = 10,
) -> SearchResult:
    """Articles matching ``query``, best BM25 score first, optionally filtered."""
    terms = query_terms(conn, query)
    if not terms:
        raise EmptyQueryError(
            f"nothing to search for in {query!r}: it has only stop words or punctuation "
            "(words such as 'the', 'and', 'of' are not indexed); add a distinctive word"
        )
    handle = handle_of(conn)
    if handle is not None:
        rows, texts = _lake_hits(conn, handle, terms, since=since, source=source, limit=limit)
    else:
        rows, texts = _file_hits(conn, query, since=since, source=source, limit=limit)
    hits = tuple(_hit(row, texts.get(int(row[2]), (None, "")), terms) for row in rows)
    return SearchResult(terms=terms, hits=hits, not_indexed=stale_count(conn))


_Hits = tuple[list[tuple[Any, ...]], dict[int, tuple[str | None, str]]]


def _file_hits(
    conn: duckdb.DuckDBPyConnection,
    query: str,
    *,
    since: date | datetime | None,
    source: str | None,
    limit: int,
) -> _Hits:
    params = {"query": query, "since": _as_datetime(since), "source": source, "limit": limit}
    try:
        rows = conn.execute(_SEARCH, params).fetchall()
        return rows, _texts(conn, [(int(row[2]), int(row[8])) for row in rows])
    except duckdb.CatalogException as exc:
        raise IndexMissingError(_MISSING) from exc
    except duckdb.Error as exc:
        raise SearchError(f"search failed: {exc}") from exc


def _lake_hits(
    conn: duckdb.DuckDBPyConnection,
    handle: LakeHandle,
    terms: tuple[str, ...],
    *,
    since: date | datetime | None,
    source: str | None,
    limit: int,
) -> _Hits:
    """Ranked by PostgreSQL from the stemmed terms; titles and texts read from the lake."""
    rows = lake_search.rank(handle, terms, source=source, since=_as_datetime(since), limit=limit)
    try:
        return rows, lake_search.texts(conn, [(int(row[2]), int(row[8])) for row in rows])
    except duckdb.Error as exc:
        raise SearchError(f"cannot read the hits' texts from the lake: {exc}") from exc


def stale_count(conn: duckdb.DuckDBPyConnection) -> int:
    """Articles whose latest version is not in the index yet."""
    handle = handle_of(conn)
    if handle is not None:
        return lake_search.stale_count(handle)
    row = conn.execute(f"SELECT count(*) FROM ({_STALE})").fetchone()
    return int(row[0]) if row else 0


def indexed_count(conn: duckdb.DuckDBPyConnection) -> int:
    """Articles in the search index."""
    handle = handle_of(conn)
    if handle is not None:
        return lake_search.indexed_count(handle)
    row = conn.execute("SELECT count(*) FROM store.search_docs").fetchone()
    return int(row[0]) if row else 0


def refresh_index(
    conn: duckdb.DuckDBPyConnection, *, batch_size: int = REFRESH_BATCH
) -> IndexRefresh:
    """Index new articles and re-index changed ones; a no-op when the index is in step.

    On a lake, an article's latest version in the lake (one still on its way there
    stays stale until it arrives).
    """
    started = time.perf_counter()
    handle = handle_of(conn)
    try:
        if handle is not None:
            indexed, replaced = _refresh_lake(conn, handle, batch_size)
        else:
            indexed, replaced = _refresh_file(conn, batch_size)
    except duckdb.Error as exc:
        raise SearchError(f"search index refresh failed: {exc}") from exc
    result = IndexRefresh(indexed=indexed, replaced=replaced, seconds=time.perf_counter() - started)
    if result.indexed:
        logger.info(
            "search index: %d article(s) indexed (%d re-indexed) in %.2f s",
            result.indexed,
            result.replaced,
            result.seconds,
        )
    return result


def _refresh_file(conn: duckdb.DuckDBPyConnection, batch_size: int) -> tuple[int, int]:
    """(Re)index every stale article of the file; (indexed, of which re-indexed)."""
    stale = conn.execute(_STALE).fetchall()
    for start in range(0, len(stale), batch_size):
        _index_batch(conn, stale[start : start + batch_size])
        _log_progress(start + batch_size, len(stale), batch_size)
    return len(stale), sum(1 for _, indexed in stale if indexed)


def _refresh_lake(
    conn: duckdb.DuckDBPyConnection, handle: LakeHandle, batch_size: int
) -> tuple[int, int]:
    """(Re)index the stale articles of a lake from the versions the lake holds."""
    stale = lake_search.stale_articles(handle)
    if not stale:
        return 0, 0
    lake_search.prepare_tokeniser(conn)
    indexed = replaced = 0
    for start in range(0, len(stale), batch_size):
        chunk = stale[start : start + batch_size]
        conn.execute(
            f"CREATE OR REPLACE TEMP TABLE __search_new AS {lake_search.LATEST_IN_LAKE}",
            {"ids": [article_id for article_id, _ in chunk]},
        )
        try:
            written = set(_index_lake_docs(conn, handle))
        finally:
            conn.execute("DROP TABLE IF EXISTS __search_new")
        indexed += len(written)
        replaced += sum(1 for article_id, was in chunk if was and article_id in written)
        _log_progress(start + batch_size, len(stale), batch_size)
    return indexed, replaced


def _log_progress(done: int, total: int, batch_size: int) -> None:
    if total > batch_size:  # a backfill: say how far indexing has come
        logger.info("search index: %d of %d articles indexed", min(done, total), total)


def _index_lake_docs(conn: duckdb.DuckDBPyConnection, handle: LakeHandle) -> list[int]:
    """Tokenise ``__search_new`` here, write it into the lake's index; the ids written."""
    conn.execute(_LAKE_NEW_ARTICLE_TERMS)
    try:
        docs = conn.execute(_NEW_DOC_LENGTHS).fetchall()
        return lake_search.index_docs(handle, docs, BatchPostings(conn, "__search_batch"))
    finally:
        conn.execute("DROP TABLE IF EXISTS __search_batch")


def index_new_articles(
    conn: duckdb.DuckDBPyConnection, docs: Sequence[tuple[int, int, str | None, str]]
) -> None:
    """Index articles just stored that are not in the index yet, in one transaction.

    ``docs`` are (article id, version number, title, text), as the pipeline has
    them in memory after storing a batch, so nothing is read back: the cost
    follows the batch, not the warehouse. Called after each batch commits, so
    the index keeps up during a run; :func:`refresh_index` at the end of the
    run catches what this missed (changed articles, a failed call).
    """
    if not docs:
        return
    latest = _latest_per_article(docs)
    table = pa.table(
        {
            "article_id": [d[0] for d in latest],
            "version_no": [d[1] for d in latest],
            "title": [d[2] for d in latest],
            "text": [d[3] for d in latest],
        },
        schema=_NEW_DOCS,
    )
    handle = handle_of(conn)
    if handle is not None:
        _index_new_on_lake(conn, handle, table)
        return
    try:
        conn.register("__search_new", table)
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute(_NEW_ARTICLE_TERMS)
            conn.execute(_NEW_TERMS)
            conn.execute(_INDEX_POSTINGS)
            conn.execute(_INDEX_NEW_DOCS, {"now": datetime.now(UTC)})
            conn.execute("DROP TABLE __search_batch")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.unregister("__search_new")
    except duckdb.Error as exc:
        raise SearchError(f"search index of the batch failed: {exc}") from exc


def _index_new_on_lake(
    conn: duckdb.DuckDBPyConnection, handle: LakeHandle, table: pa.Table
) -> None:
    """The batch's new articles into the lake's index (their batch is committed already).

    Only a committed batch's versions come here (after its commit protocol), so an
    article is never searchable with text the lake will not hold.
    """
    if not handle.tokeniser_ready:  # once per connection, not per batch
        lake_search.prepare_tokeniser(conn)
        handle.tokeniser_ready = True
    try:
        conn.register("__search_new", table)
        try:
            _index_lake_docs(conn, handle)
        finally:
            conn.unregister("__search_new")
    except duckdb.Error as exc:
        raise SearchError(f"search index of the batch failed: {exc}") from exc


def _latest_per_article(
    docs: Sequence[tuple[int, int, str | None, str]],
) -> list[tuple[int, int, str | None, str]]:
    """One document per article: its highest version (a batch can store two of one page)."""
    latest: dict[int, tuple[int, int, str | None, str]] = {}
    for doc in docs:
        if doc[0] not in latest or doc[1] > latest[doc[0]][1]:
            latest[doc[0]] = doc
    return list(latest.values())


def rebuild_index(
    conn: duckdb.DuckDBPyConnection, *, batch_size: int = REFRESH_BATCH
) -> IndexRefresh:
    """Drop the whole index and build it again from the articles."""
    handle = handle_of(conn)
    if handle is not None:
        lake_search.clear_index(handle)
        return refresh_index(conn, batch_size=batch_size)
    try:
        conn.execute("BEGIN TRANSACTION")
        conn.execute("DELETE FROM store.search_postings")
        conn.execute("DELETE FROM store.search_docs")
        conn.execute("DELETE FROM store.search_dictionary")
        conn.execute("COMMIT")
    except duckdb.Error as exc:
        conn.execute("ROLLBACK")
        raise SearchError(f"cannot clear the search index: {exc}") from exc
    return refresh_index(conn, batch_size=batch_size)


_MISSING = (
    "this database has no search index yet (it predates it); "
    "run `news-ingest run` once to upgrade and index it"
)


def _index_batch(conn: duckdb.DuckDBPyConnection, stale: list[tuple[int, bool]]) -> None:
    """(Re)index one batch of articles in one transaction."""
    ids = [article_id for article_id, _ in stale]
    replaced = [article_id for article_id, indexed in stale if indexed]
    conn.execute("BEGIN TRANSACTION")
    try:
        if replaced:
            # Only articles already in the index pay for the scan of the postings.
            conn.execute(
                "DELETE FROM store.search_postings "
                "WHERE article_id IN (SELECT unnest(?::BIGINT[]))",
                [replaced],
            )
            conn.execute(
                "DELETE FROM store.search_docs WHERE article_id IN (SELECT unnest(?::BIGINT[]))",
                [replaced],
            )
        conn.execute(_BATCH_TERMS, {"ids": ids})
        conn.execute(_NEW_TERMS)
        conn.execute(_INDEX_POSTINGS)
        conn.execute(_INDEX_DOCS, {"ids": ids, "now": datetime.now(UTC)})
        conn.execute("DROP TABLE __search_batch")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _as_datetime(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _texts(
    conn: duckdb.DuckDBPyConnection, versions: list[tuple[int, int]]
) -> dict[int, tuple[str | None, str]]:
    """Title and text of each (article id, version) of the hits."""
    found: dict[int, tuple[str | None, str]] = {}
    for article_id, version_no in versions:
        row = conn.execute(_TEXT, [article_id, version_no]).fetchone()
        if row is not None:
            found[article_id] = (row[0], str(row[1]))
    return found


def _hit(
    row: tuple[Any, ...], content: tuple[str | None, str], terms: tuple[str, ...]
) -> SearchHit:
    score, matched, article_id, url, source, published, first_seen, story, _version = row
    title, text = content
    return SearchHit(
        score=float(score),
        matched_terms=int(matched),
        article_id=int(article_id),
        title=title,
        url=str(url),
        source=str(source),
        published_at=published,
        first_seen_at=first_seen,
        story_id=int(story),
        snippet=snippet(text, terms),
    )


def snippet(text: str, terms: tuple[str, ...], *, width: int = SNIPPET_CHARS) -> str:
    """A piece of ``text`` around the first word that starts with one of the stemmed terms."""
    flat = " ".join(text.split())
    pattern = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    match = re.search(rf"\b(?:{pattern})", flat, flags=re.IGNORECASE) if pattern else None
    if match is None:
        return _clip(flat, 0, width)
    start = max(0, match.start() - width // 3)
    if start > 0:  # begin at a word, not inside one
        space = flat.find(" ", start, match.start())
        start = space + 1 if space >= 0 else match.start()
    return _clip(flat, start, width)


def _clip(text: str, start: int, width: int) -> str:
    piece = text[start : start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    return prefix + piece.strip() + suffix
