"""The records extraction hands on: :class:`Article`, its :class:`DatedValue`, reject rows.

An article crosses from the extraction workers into dedupe (its fingerprint)
and persist (its rows). They import it from here, not from ``clean``, so
neither pulls trafilatura in with a record type. Both records are frozen and
picklable: they travel back from worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from connectors.records import (
    CaptureRef,
    Decoding,
    EntryHints,
    RawDocument,
    Rejected,
    RejectReason,
    Validators,
)

__all__ = ["Article", "DatedValue", "rejected"]


@dataclass(frozen=True, slots=True)
class DatedValue:
    """A timestamp with its precision ("second" or "day") and where it came from."""

    value: datetime
    precision: str
    source: str


@dataclass(frozen=True, slots=True)
class Article:
    """A cleaned article, ready for dedupe and storage."""

    source: str
    location: str
    url: str | None  # the page's own URL: final fetched URL or the record's url
    canonical_link: str | None  # rel=canonical as stated by the page
    og_url: str | None
    redirects: tuple[str, ...]
    title: str | None
    title_source: str | None
    text: str
    description: str | None
    authors: tuple[str, ...]
    authors_source: str | None
    published: DatedValue | None
    modified_at: datetime | None
    language: str | None
    sitename: str | None
    word_count: int
    raw_hash: str
    retrieved_at: datetime
    extractor: str
    hints: EntryHints | None
    validators: Validators | None
    capture: CaptureRef | None
    decoding: Decoding | None = None  # how its bytes became text (None: handed over as text)
    page_title: str | None = None  # the page's <title> as stated: site affixes are learned from it
    organisations: tuple[str, ...] = ()  # publishers, agencies and desks in the byline


def rejected(doc: RawDocument, reason: RejectReason, detail: str) -> Rejected:
    """The reject record of ``doc`` (it carries the document's source, location and hash)."""
    return Rejected(doc.source, doc.location, reason, detail, doc.raw_hash)
