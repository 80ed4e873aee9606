"""Create (once per database) the PostgreSQL state tables, the lake tables and the views.

Under the ``SCHEMA`` advisory lock, so several processes starting together
create everything once. The PostgreSQL tables come from ``state.sql``; the
lake's history tables copy the columns of their PostgreSQL staging tables
(so both stay in step); the analysts' views are the DuckDB file's views
(``warehouse/views.sql``) with history read from the lake, recreated when
either file changes.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from importlib import resources

import duckdb
import psycopg

from warehouse.errors import MigrationError
from warehouse.lake import locks
from warehouse.lake.registry import LakeHandle
from warehouse.sqlfiles import statements

__all__ = ["HISTORY_TABLES", "LAKE", "ensure_schema", "lake_views_sql", "stopwords_sql"]

LAKE = "news_lake"  # the lake's catalog name in the pipeline's connections
HISTORY_TABLES = ("article_versions", "fetch_log", "story_merges")

# A new article appears once its first version is in the lake, and its version count is
# what the lake holds: a batch whose history is not published yet is invisible.
_VISIBLE_ARTICLES = f"""
CREATE OR REPLACE VIEW {LAKE}.history.visible_articles AS
SELECT a.article_id, a.canonical_url, a.host, a.source, a.story_id, l.version_count,
       a.first_seen_at, a.last_seen_at, a.first_run_id, a.last_run_id
FROM store.articles AS a
JOIN (SELECT article_id, CAST(max(version_no) AS INTEGER) AS version_count
      FROM history.article_versions GROUP BY article_id) AS l USING (article_id)
"""

_REWRITES = (
    ("CREATE OR REPLACE VIEW main.", f"CREATE OR REPLACE VIEW {LAKE}.main."),
    ("store.article_versions", "history.article_versions"),
    ("store.fetch_log", "history.fetch_log"),
    ("store.articles", "history.visible_articles"),
)


def lake_views_sql() -> str:
    """The analysts' views for the lake: warehouse/views.sql, history read from the lake."""
    text = (resources.files("warehouse") / "views.sql").read_text(encoding="utf-8")
    # The search macros stay the file's: the lake ranks in PostgreSQL (warehouse.lake.search).
    text = text.split("-- Full-text search", 1)[0]
    for old, new in _REWRITES:
        text = text.replace(old, new)
    return _VISIBLE_ARTICLES.strip() + ";\n\n" + text


def stopwords_sql() -> str:
    """Migration 0004's INSERT of the stop words, for PostgreSQL: the file's list, once."""
    sql = (resources.files("warehouse") / "migrations" / "0004_search_index.sql").read_text(
        encoding="utf-8"
    )
    (insert,) = (s for s in statements(sql) if s.startswith("INSERT INTO store.search_stopwords"))
    return insert + " ON CONFLICT (word) DO NOTHING"


def ensure_schema(conn: duckdb.DuckDBPyConnection, handle: LakeHandle) -> None:
    """Create what is missing, once, whoever else is starting now."""
    state_sql = (resources.files("warehouse.lake") / "state.sql").read_text(encoding="utf-8")
    views_sql = lake_views_sql()
    mark = "lake@" + hashlib.sha256((state_sql + views_sql).encode()).hexdigest()[:16]
    with locks.held(handle.pg, locks.SCHEMA):
        if _applied(handle.pg, mark):
            return
        try:
            with handle.pg.transaction():
                handle.pg.execute(state_sql.encode())  # one script: function bodies hold ';'
                handle.pg.execute(stopwords_sql().encode())

            conn.execute("CALL pg_clear_cache()")
            _create_lake_tables(conn)
            for statement in statements(views_sql):
                conn.execute(statement)
            _mark(handle.pg, mark)
        except (psycopg.Error, duckdb.Error) as exc:
            raise MigrationError(f"creating the lake warehouse failed: {exc}") from exc


def _applied(pg: psycopg.Connection[tuple[object, ...]], mark: str) -> bool:
    pg.execute(
        "CREATE TABLE IF NOT EXISTS public.news_ingest_schema ("
        " name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
    )
    row = pg.execute("SELECT 1 FROM public.news_ingest_schema WHERE name = %s", (mark,)).fetchone()
    return row is not None


def _mark(pg: psycopg.Connection[tuple[object, ...]], mark: str) -> None:
    with pg.transaction():
        pg.execute("DELETE FROM public.news_ingest_schema WHERE name LIKE 'lake@%%'")
        pg.execute(
            "INSERT INTO public.news_ingest_schema VALUES (%s, %s)", (mark, datetime.now(UTC))
        )


def _create_lake_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {LAKE}.history")
    for table in HISTORY_TABLES:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {LAKE}.history.{table} AS "
            f"SELECT * FROM store.{table} LIMIT 0"
        )
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {LAKE}.history.batches ("
        " batch_id UUID NOT NULL, published_at TIMESTAMPTZ NOT NULL)"
    )
