"""Forgetting one source: reset its fetch state, or drop everything it brought in.

``reset`` forgets how far the source got, and keeps what it stored: its
``url_state`` rows (validators, raw hashes: the next run fetches every page
without a conditional GET and cleans it again, storing a version only where
the text changed), its ``checkpoints`` (local files are read again from the
start) and its ``source_state`` (adaptive freshness starts over; the source is
due at once).

``drop`` removes the source as if it had never been ingested:

- every article version the source delivered; an article left without a
  version is deleted with its URL aliases, story features and band index
  rows, search index entries and the ``url_state`` rows of any source that
  point at it (so no source skips the page as already seen);
- an article that other sources delivered versions of too is kept with
  theirs: its ``version_count`` becomes its latest remaining version's number
  (numbers are not reused inside an article, so they may now have gaps), its
  ``source`` and first-seen time those of its earliest remaining version, and
  it is indexed again for search;
- the source's rejects, fetch log, URL state, checkpoints, source state and
  ``run_sources`` rows. ``runs`` rows stay (their totals are the sum of
  what is left).

Stories are not re-split: articles of other sources that joined a story stay
in it. A new article can be given the id of a dropped one (ids continue from
the highest one left). Both run in one transaction: a failure changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.connection import Connection
from warehouse.store import transaction

__all__ = ["DropPlan", "ResetPlan", "drop_source", "plan_drop", "plan_reset", "reset_source"]

# Articles the source delivered versions of, and whether another source did too.
_TOUCHED = """
CREATE OR REPLACE TEMP TABLE __touched AS
SELECT article_id, bool_or(source <> $source) AS shared
FROM store.article_versions
WHERE article_id IN (SELECT article_id FROM store.article_versions WHERE source = $source)
GROUP BY article_id
"""

_COUNT = {
    "articles_deleted": "SELECT count(*) FROM __touched WHERE NOT shared",
    "articles_kept": "SELECT count(*) FROM __touched WHERE shared",
    "versions": "SELECT count(*) FROM store.article_versions WHERE source = $source",
    "rejects": "SELECT count(*) FROM store.rejects WHERE source = $source",
    "fetch_log": "SELECT count(*) FROM store.fetch_log WHERE source = $source",
    "url_state": "SELECT count(*) FROM store.url_state WHERE source = $source "
    "OR article_id IN (SELECT article_id FROM __touched WHERE NOT shared)",
    "checkpoints": "SELECT count(*) FROM store.checkpoints WHERE source = $source",
    "run_sources": "SELECT count(*) FROM store.run_sources WHERE source = $source",
}

# In order: what depends on a row goes before it.
_DROP = (
    "CREATE OR REPLACE TEMP TABLE __gone AS SELECT article_id FROM __touched WHERE NOT shared",
    "DELETE FROM store.search_postings WHERE article_id IN (SELECT article_id FROM __touched)",
    "DELETE FROM store.search_docs WHERE article_id IN (SELECT article_id FROM __touched)",
    "DELETE FROM store.story_bands WHERE article_id IN (SELECT article_id FROM __gone)",
    "DELETE FROM store.story_features WHERE article_id IN (SELECT article_id FROM __gone) "
    "OR (article_id, version_no) IN (SELECT article_id, version_no FROM store.article_versions "
    "WHERE source = $source)",
    "DELETE FROM store.url_aliases WHERE article_id IN (SELECT article_id FROM __gone)",
    "DELETE FROM store.url_state WHERE source = $source "
    "OR article_id IN (SELECT article_id FROM __gone)",
    "DELETE FROM store.article_versions WHERE source = $source",
    "DELETE FROM store.articles WHERE article_id IN (SELECT article_id FROM __gone)",
    """
    UPDATE store.articles AS a SET
        version_count = r.latest, source = r.source, first_seen_at = r.first_seen_at,
        first_run_id = r.run_id
    FROM (
        SELECT article_id, max(version_no) AS latest,
               arg_min(source, version_no) AS source,
               min(retrieved_at) AS first_seen_at, arg_min(run_id, version_no) AS run_id
        FROM store.article_versions
        WHERE article_id IN (SELECT article_id FROM __touched WHERE shared)
        GROUP BY article_id
    ) AS r
    WHERE a.article_id = r.article_id
    """,
    "DELETE FROM store.rejects WHERE source = $source",
    "DELETE FROM store.fetch_log WHERE source = $source",
    "DELETE FROM store.checkpoints WHERE source = $source",
    "DELETE FROM store.source_state WHERE source = $source",
    "DELETE FROM store.run_sources WHERE source = $source",
)

_RESET_COUNT = {
    "url_state": "SELECT count(*) FROM store.url_state WHERE source = $source",
    "checkpoints": "SELECT count(*) FROM store.checkpoints WHERE source = $source",
    "source_state": "SELECT count(*) FROM store.source_state WHERE source = $source",
}

_RESET = (
    "DELETE FROM store.url_state WHERE source = $source",
    "DELETE FROM store.checkpoints WHERE source = $source",
    "DELETE FROM store.source_state WHERE source = $source",
)


@dataclass(frozen=True, slots=True)
class DropPlan:
    """What dropping a source deletes (rows), counted before anything changes."""

    source: str
    articles_deleted: int  # articles only this source delivered versions of
    articles_kept: int  # articles other sources delivered versions of too (they keep theirs)
    versions: int
    rejects: int
    fetch_log: int
    url_state: int
    checkpoints: int
    run_sources: int


@dataclass(frozen=True, slots=True)
class ResetPlan:
    """What resetting a source forgets (rows)."""

    source: str
    url_state: int
    checkpoints: int
    source_state: int


def plan_drop(conn: Connection, source: str) -> DropPlan:
    """Count what :func:`drop_source` would delete."""
    conn.execute(_TOUCHED, {"source": source})
    return DropPlan(source, **_counts(conn, _COUNT, source))


def drop_source(conn: Connection, source: str) -> DropPlan:
    """Delete everything ``source`` brought in, in one transaction; what was deleted.

    The search index of the articles it shared is rebuilt by the caller
    (:func:`warehouse.search.refresh_index`, after this commits).
    """
    with transaction(conn):
        plan = plan_drop(conn, source)
        for statement in _DROP:
            conn.execute(statement, {"source": source} if "$source" in statement else None)
    return plan


def plan_reset(conn: Connection, source: str) -> ResetPlan:
    """Count what :func:`reset_source` would forget."""
    return ResetPlan(source, **_counts(conn, _RESET_COUNT, source))


def reset_source(conn: Connection, source: str) -> ResetPlan:
    """Forget ``source``'s URL state, checkpoints and source state, in one transaction."""
    with transaction(conn):
        plan = plan_reset(conn, source)
        for statement in _RESET:
            conn.execute(statement, {"source": source})
    return plan


def _counts(conn: Connection, queries: dict[str, str], source: str) -> dict[str, int]:
    counts = {}
    for name, sql in queries.items():
        row = conn.execute(sql, {"source": source} if "$source" in sql else None).fetchone()
        counts[name] = int(row[0]) if row else 0
    return counts
