"""The articles of a warehouse for Python: typed records one at a time, or Arrow.

Both read the analyst view ``articles`` (the latest version of each
article, docs/schema.md), optionally filtered by source and by date (the
publication time, or the first-seen time when the publication date is
unknown: the rule ``search --since`` and the ``day`` of an export follow),
ordered by article id; of the connection's default database, so a lake's
views on a lake connection. Records stream in batches, so memory stays bounded
whatever the warehouse's size; Arrow comes as a table or a batch reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from warehouse.connection import Connection

__all__ = [
    "ARTICLE_COLUMNS",
    "ArticleRecord",
    "Moment",
    "article_batches",
    "articles_arrow",
    "as_moment",
    "iter_articles",
]

Moment = str | date | datetime  # an ISO date or date-time string, a date, or a datetime


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """One row of the ``articles`` view: an article's latest version (see docs/schema.md)."""

    article_id: int
    url: str
    source: str
    title: str | None
    text: str
    description: str | None
    authors: tuple[str, ...]
    published_at: datetime | None
    published_precision: str | None
    published_source: str | None
    modified_at: datetime | None
    language: str | None
    sitename: str | None
    host: str | None
    word_count: int
    story_id: int
    version_count: int
    retrieved_at: datetime
    first_seen_at: datetime
    last_seen_at: datetime
    title_source: str | None
    authors_source: str | None
    charset: str | None  # how the page's bytes became text (docs/schema.md)
    charset_source: str | None
    charset_declared: str | None
    organisations: tuple[str, ...] | None  # publishers, agencies, desks the byline names


ARTICLE_COLUMNS = tuple(f.name for f in fields(ArticleRecord))

_SELECT = (
    f"SELECT {', '.join(ARTICLE_COLUMNS)} FROM articles "
    "WHERE ($source IS NULL OR source = $source) "
    "AND ($since IS NULL OR coalesce(published_at, first_seen_at) >= $since) "
    "AND ($until IS NULL OR coalesce(published_at, first_seen_at) < $until) "
    "ORDER BY article_id"
)


def iter_articles(
    conn: Connection,
    *,
    source: str | None = None,
    since: Moment | None = None,
    until: Moment | None = None,
    batch_size: int = 1000,
) -> Iterator[ArticleRecord]:
    """Each matching article as a record, ``batch_size`` rows fetched at a time."""
    cursor = conn.cursor()  # its own cursor: other queries may run while this one is read
    try:
        _use_same_database(conn, cursor)
        cursor.execute(_SELECT, _params(source, since, until))
        while rows := cursor.fetchmany(batch_size):
            yield from (_record(row) for row in rows)
    finally:
        cursor.close()


def _use_same_database(conn: Connection, cursor: Connection) -> None:
    """A new cursor starts on the default database: point it where ``conn`` is (a lake's)."""
    row = conn.execute("SELECT current_database(), current_schema()").fetchone()
    if row is not None:
        database, schema = (str(name).replace('"', '""') for name in row)
        cursor.execute(f'USE "{database}"."{schema}"')


def articles_arrow(
    conn: Connection,
    *,
    source: str | None = None,
    since: Moment | None = None,
    until: Moment | None = None,
) -> pa.Table:
    """The matching articles as one Arrow table."""
    return conn.execute(_SELECT, _params(source, since, until)).to_arrow_table()


def article_batches(
    conn: Connection,
    *,
    source: str | None = None,
    since: Moment | None = None,
    until: Moment | None = None,
    batch_size: int = 10_000,
) -> pa.RecordBatchReader:
    """The matching articles as an Arrow stream of record batches (bounded memory)."""
    return conn.execute(_SELECT, _params(source, since, until)).to_arrow_reader(batch_size)


def _params(source: str | None, since: Moment | None, until: Moment | None) -> dict[str, Any]:
    return {"source": source, "since": as_moment(since), "until": as_moment(until)}


def as_moment(value: Moment | None) -> datetime | None:
    """An aware datetime: a date (or ``"2024-03-07"``) is its midnight UTC; a naive time is UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _record(row: tuple[Any, ...]) -> ArticleRecord:
    values = dict(zip(ARTICLE_COLUMNS, row, strict=True))
    values["authors"] = tuple(values["authors"] or ())  # a VARCHAR[] comes back as a list
    if values["organisations"] is not None:  # NULL on versions stored before migration 0008
        values["organisations"] = tuple(values["organisations"])
    return ArticleRecord(**values)
