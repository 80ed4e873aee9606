"""A batch's search postings, still in DuckDB, as the text of PostgreSQL's ``COPY``.

A 50-page batch has some 18,000 postings (term, article, tf). DuckDB writes
them as one ``COPY ... FROM STDIN`` text (a row per line, tab-separated;
https://www.postgresql.org/docs/current/sql-copy.html, "Text Format") in term
order, so PostgreSQL appends to its primary key's pages in order, and Python
never holds a row. Terms are words of letters and digits
(``store.search_words``); the format's special characters are escaped anyway,
so a term can never shift a column.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import duckdb

__all__ = ["BatchPostings"]

# Backslash first: the escapes added after it must stay as they are.
_ESCAPED_TERM = (
    "replace(replace(replace(replace(term, chr(92), chr(92) || chr(92)), "
    "chr(9), chr(92) || 't'), chr(10), chr(92) || 'n'), chr(13), chr(92) || 'r')"
)

_COPY_TEXT = f"""
SELECT coalesce(string_agg(
    {_ESCAPED_TERM} || chr(9) || CAST(article_id AS VARCHAR) || chr(9) || CAST(tf AS VARCHAR)
        || chr(10),
    '' ORDER BY term, article_id), '')
FROM {{table}}
WHERE article_id IN (SELECT unnest($articles::BIGINT[]))
"""


@dataclass(frozen=True, slots=True)
class BatchPostings:
    """The (term, article_id, tf) rows of ``table``, a temporary table of ``conn``."""

    conn: duckdb.DuckDBPyConnection
    table: str

    def copy_text(self, articles: Collection[int]) -> str:
        """The ``COPY`` text of the postings of ``articles`` (the others are left out)."""
        row = self.conn.execute(
            _COPY_TEXT.format(table=self.table), {"articles": sorted(articles)}
        ).fetchone()
        return str(row[0]) if row else ""
