"""The typed rows the warehouse reads and writes: one frozen, slotted dataclass per row shape.

Their field names are the columns (docs/schema.md); :mod:`warehouse.store`
turns a list of them into an Arrow table for a bulk insert, and
:mod:`warehouse.lookups` returns them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
]


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
    charset: str | None
    charset_source: str | None
    charset_declared: str | None
    organisations: tuple[str, ...] = ()
    page_title: str | None = None


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
