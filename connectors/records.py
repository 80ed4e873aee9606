"""Records that cross the connector boundary: frozen, slotted dataclasses and closed vocabularies.

Connectors know where documents come from and nothing about where they go:
they never import DuckDB, Prefect or ``flows``. Everything they hand over is a
record from this module; what a source promises is in :mod:`connectors.protocols`,
the error tree in :mod:`connectors.errors`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = [
    "Candidate",
    "CaptureRef",
    "CharsetSource",
    "Checkpoint",
    "Decoding",
    "EntryHints",
    "Media",
    "RawDocument",
    "RejectReason",
    "Rejected",
    "Validators",
    "raw_hash",
]


class Media(StrEnum):
    """What kind of content a raw document holds."""

    HTML = "html"
    TEXT = "text"


class RejectReason(StrEnum):
    """Closed vocabulary of reasons a document is dropped; one per reject row."""

    EMPTY = "empty"  # zero bytes or only whitespace
    BINARY = "binary"  # NUL bytes or other non-text content
    UNDECODABLE = "undecodable"  # bytes are not valid in the expected encoding
    MALFORMED_RECORD = "malformed_record"  # a JSONL line or archive record that cannot be parsed
    MALFORMED_FEED = "malformed_feed"  # a feed or sitemap with errors (entries read are still used)
    INVALID_URL = "invalid_url"  # a listed URL that is not an absolute http(s) URL
    MISSING_PATH = "missing_path"  # a configured file or folder does not exist
    UNREADABLE = "unreadable"  # the file exists but cannot be read (permissions, I/O error)
    OUTSIDE_FOLDER = "outside_folder"  # a link out of a files source's folder (follow_links off)
    TOO_LARGE = "too_large"  # over the size limit for extraction
    NOT_HTML = "not_html"  # content type is not a page we can clean
    NO_ARTICLE = "no_article"  # cleaning found no article text
    EXTRACTION_TIMEOUT = "extraction_timeout"  # the extractor exceeded its time limit
    EXTRACTION_ERROR = "extraction_error"  # the extractor crashed on the document


class CharsetSource(StrEnum):
    """Why a document's bytes were decoded as they were (see connectors.text.charset)."""

    BOM = "bom"  # a byte order mark
    HEADER = "declared-header"  # the Content-Type header's charset, which fits the bytes
    META = "meta"  # the page's <meta> charset, which fits the bytes
    UTF8 = "utf8-valid"  # the bytes are valid UTF-8, whatever was declared
    UTF8_MIXED = "utf8-mixed"  # UTF-8 with a few stray windows-1252 bytes, read as such
    DETECTED = "detected"  # no declaration fits: statistical detection


@dataclass(frozen=True, slots=True)
class Decoding:
    """How a document's bytes became text: the codec used, why, and what was declared."""

    charset: str  # Python's codec name, e.g. utf-8, cp1252, cp1251
    source: CharsetSource
    declared: str | None = None  # the header's charset, else the <meta> one; None if neither


@dataclass(frozen=True, slots=True)
class Validators:
    """HTTP cache validators remembered for a URL, sent back as a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class EntryHints:
    """What a feed, sitemap or archive said about a URL before we fetched it.

    Used as a fallback and cross-check for the page's own metadata; ``origin``
    records where the hints came from (provenance).
    """

    origin: str  # "feed" | "sitemap" | "news_sitemap" | "urls" | "warc" | "jsonl"
    guid: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    language: str | None = None
    authors: tuple[str, ...] = ()
    container_url: str | None = None  # the feed or sitemap the entry came from


@dataclass(frozen=True, slots=True)
class CaptureRef:
    """Where the raw bytes of a fetched page were archived (a WARC record)."""

    path: str
    offset: int


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Progress marker a local source yields between documents.

    Once everything yielded before it is stored, the flow records it (in the
    same transaction); the next run hands it back through ``resume`` so the
    source can skip a file that is done (same ``fingerprint``) or resume a
    partly read one at ``position``.
    """

    source: str
    key: str  # usually a file path
    fingerprint: str  # e.g. size and mtime; a changed file starts over
    position: int  # where to resume (a byte offset or a record count)
    done: bool


@dataclass(frozen=True, slots=True)
class Candidate:
    """A URL discovered by a web source, not fetched yet."""

    url: str
    source: str
    hints: EntryHints | None = None


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One document's content, ready to be cleaned.

    ``location`` is where it was read from (the requested URL, or a ``file://``
    URI with ``#line=N`` for JSONL); ``url`` is the page's own web address when
    known (the final URL after redirects, a JSONL ``url`` field), else None.
    ``content`` is the decoded text, or for a fetched page its raw bytes (content
    encoding removed), which the cleaner decodes in the extraction worker with
    :func:`connectors.text.charset.decode_html` and ``content_type`` (the
    response's header) as the declared charset: a page is then decoded once,
    where it is used, instead of in the flow's process and again when pickled.
    A connector that decodes bytes itself (saved pages, WARC records) says how
    in ``decoding``; it is None for bytes and for text that was never bytes of
    ours to decode (a JSON record's field, a UTF-8 text scrape).
    """

    source: str
    location: str
    url: str | None
    content: str | bytes
    media: Media
    raw_hash: str
    retrieved_at: datetime
    hints: EntryHints | None = None
    redirects: tuple[str, ...] = ()
    validators: Validators | None = None
    capture: CaptureRef | None = None
    content_type: str | None = None  # the Content-Type header of fetched bytes
    decoding: Decoding | None = None  # how a connector decoded ``content`` from bytes


@dataclass(frozen=True, slots=True)
class Rejected:
    """A document that was dropped, with a reason from the closed vocabulary."""

    source: str
    location: str
    reason: RejectReason
    detail: str
    raw_hash: str | None = None


def raw_hash(data: bytes) -> str:
    """Return the hex digest identifying raw input bytes (BLAKE2b, 128 bits)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()
