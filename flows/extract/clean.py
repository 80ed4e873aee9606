"""RawDocument -> Article | Rejected: trafilatura for pages, the text-scrape cleaner for .txt.

The only module that imports trafilatura. It runs inside extraction worker
processes (see ``flows.extract.workers``), so everything it returns is picklable.

Metadata is taken from the page's own structured data first (JSON-LD, then
``<meta>`` tags), then from trafilatura, then from what the feed or sitemap
said; each date, title and author list records where it came from. A value
nobody states is None: a wrong publication date is worse than none, so a
timestamp without a time zone keeps only its day, and no date is ever taken
from running text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document

from connectors.records import (
    CaptureRef,
    EntryHints,
    Media,
    RawDocument,
    Rejected,
    RejectReason,
    Validators,
)
from flows.errors import TextScrapeError
from flows.extract.textscrape import clean_text_scrape

__all__ = [
    "EXTRACTOR",
    "MIN_TEXT_CHARS",
    "Article",
    "DatedValue",
    "PageMeta",
    "clean",
    "page_meta",
    "rejected",
]

EXTRACTOR = f"trafilatura {trafilatura.__version__}"
TEXT_EXTRACTOR = "textscrape 1"
MIN_TEXT_CHARS = 100  # below this an extraction is a fragment, not an article

_ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
    "liveblogposting", "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle",
    "socialmediaposting", "report", "webpage", "scholarlyarticle", "techarticle",
}  # fmt: skip
_PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "datepublished", "pubdate",
    "publishdate", "publish-date", "dc.date.issued", "dcterms.issued", "sailthru.date",
    "parsely-pub-date", "date",
)  # fmt: skip
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified")
_LANG = re.compile(r"^[A-Za-z]{2,3}\b")


@dataclass(frozen=True, slots=True)
class DatedValue:
    """A timestamp with its precision ("second" or "day") and where it came from."""

    value: datetime
    precision: str
    source: str


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What a page states about itself in JSON-LD, <meta> and <link> elements."""

    canonical: str | None = None
    og_url: str | None = None
    published: DatedValue | None = None
    modified: DatedValue | None = None
    language: str | None = None


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


def clean(doc: RawDocument) -> Article | Rejected:
    """Extract the article from a raw document, or say why there is none."""
    if doc.media is Media.TEXT:
        return _clean_text(doc)
    return _clean_html(doc)


def _clean_html(doc: RawDocument) -> Article | Rejected:
    tree = trafilatura.load_html(doc.content)
    if tree is None:
        return rejected(doc, RejectReason.NO_ARTICLE, "not parseable as HTML")
    meta = page_meta(tree)
    result = _extract(tree, doc.url)
    text = (result.text or "").strip() if result is not None else ""
    if result is None or len(text) < MIN_TEXT_CHARS:
        return rejected(doc, RejectReason.NO_ARTICLE, _too_short(text))
    page_title = _clean_str(result.title)
    authors = _split_authors(result.author)
    published = meta.published or _hint_date(doc.hints) or _day(result.date, "htmldate")
    title, title_source = _with_fallback(page_title, "page", doc.hints, "title")
    return Article(
        source=doc.source,
        location=doc.location,
        url=doc.url,
        canonical_link=meta.canonical,
        og_url=meta.og_url,
        redirects=doc.redirects,
        title=title,
        title_source=title_source,
        text=text,
        description=_clean_str(result.description),
        authors=authors or (doc.hints.authors if doc.hints else ()),
        authors_source="page" if authors else _origin_if(doc.hints, "authors"),
        published=published,
        modified_at=meta.modified.value if meta.modified else None,
        language=meta.language or _language(doc.hints.language if doc.hints else None),
        sitename=_clean_str(result.sitename),
        word_count=len(text.split()),
        raw_hash=doc.raw_hash,
        retrieved_at=doc.retrieved_at,
        extractor=EXTRACTOR,
        hints=doc.hints,
        validators=doc.validators,
        capture=doc.capture,
    )


def _extract(tree: HtmlElement, url: str | None) -> Document | None:
    result = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    return result if isinstance(result, Document) else None


def _clean_text(doc: RawDocument) -> Article | Rejected:
    try:
        scrape = clean_text_scrape(doc.content, url=doc.url)
    except TextScrapeError as exc:
        return rejected(doc, RejectReason.TOO_LARGE, str(exc))
    text = scrape.text.strip()
    if len(text) < MIN_TEXT_CHARS:
        return rejected(doc, RejectReason.NO_ARTICLE, _too_short(text))
    title, title_source = _with_fallback(scrape.title, "text", doc.hints, "title")
    published = _scrape_date(scrape.published_at) or _hint_date(doc.hints)
    return Article(
        source=doc.source,
        location=doc.location,
        url=doc.url,
        canonical_link=None,
        og_url=None,
        redirects=doc.redirects,
        title=title,
        title_source=title_source,
        text=text,
        description=scrape.description,
        authors=scrape.authors or (doc.hints.authors if doc.hints else ()),
        authors_source="text" if scrape.authors else _origin_if(doc.hints, "authors"),
        published=published,
        modified_at=None,
        language=_language(scrape.language or (doc.hints.language if doc.hints else None)),
        sitename=None,
        word_count=len(text.split()),
        raw_hash=doc.raw_hash,
        retrieved_at=doc.retrieved_at,
        extractor=TEXT_EXTRACTOR,
        hints=doc.hints,
        validators=doc.validators,
        capture=doc.capture,
    )


def _scrape_date(value: datetime | None) -> DatedValue | None:
    """A dateline's time with a stated zone is exact; without one only its day is kept."""
    if value is None:
        return None
    if value.tzinfo is None:
        return _plausible(DatedValue(datetime.combine(value.date(), time.min, UTC), "day", "text"))
    return _plausible(DatedValue(value.astimezone(UTC), "second", "text"))


def page_meta(tree: HtmlElement) -> PageMeta:
    """Read canonical URL, og:url, dates and language the page itself states."""
    metas = _meta_tags(tree)
    ld = list(_ld_articles(tree))
    published = _first_date(
        [(str(o.get("datePublished")), "jsonld") for o in ld if o.get("datePublished")]
        + [(metas[k], "meta") for k in _PUBLISHED_META if k in metas]
    )
    modified = _first_date(
        [(str(o.get("dateModified")), "jsonld") for o in ld if o.get("dateModified")]
        + [(metas[k], "meta") for k in _MODIFIED_META if k in metas]
    )
    lang_ld = next((str(o["inLanguage"]) for o in ld if isinstance(o.get("inLanguage"), str)), None)
    return PageMeta(
        canonical=_link_canonical(tree),
        og_url=_clean_str(metas.get("og:url")),
        published=published,
        modified=modified,
        language=_language(lang_ld or tree.get("lang") or metas.get("og:locale")),
    )


def _meta_tags(tree: HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for element in tree.iter("meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop")
        value = element.get("content")
        if key and value and value.strip():
            found.setdefault(key.strip().lower(), value.strip())
    return found


def _link_canonical(tree: HtmlElement) -> str | None:
    for element in tree.iter("link"):
        rel = (element.get("rel") or "").lower().split()
        if "canonical" in rel and element.get("href"):
            return _clean_str(element.get("href"))
    return None


def _ld_articles(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """JSON-LD objects that describe an article (top level, lists and @graph)."""
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except (ValueError, RecursionError):
            continue
        yield from _article_objects(data, depth=0)


def _article_objects(data: object, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _article_objects(item, depth + 1)
    elif isinstance(data, dict):
        types = data.get("@type")
        names = {str(t).lower() for t in (types if isinstance(types, list) else [types])}
        if names & _ARTICLE_TYPES:
            yield data
        if "@graph" in data:
            yield from _article_objects(data["@graph"], depth + 1)


def _first_date(candidates: list[tuple[str, str]]) -> DatedValue | None:
    for raw, source in candidates:
        parsed = parse_timestamp(raw, source)
        if parsed is not None:
            return parsed
    return None


def parse_timestamp(raw: str, source: str) -> DatedValue | None:
    """ISO 8601 with a zone -> exact; with no zone or no time -> the day only; else None."""
    text = raw.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text)
        if not match:
            return None
        return _day(match.group(0), source)
    if parsed.tzinfo is None or len(text) <= 10:
        # No time, or a wall-clock time in an unknown zone: keep the day, do not guess the zone.
        return _plausible(DatedValue(datetime.combine(parsed.date(), time.min, UTC), "day", source))
    return _plausible(DatedValue(parsed.astimezone(UTC), "second", source))


def _day(raw: str | None, source: str) -> DatedValue | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw[:10])
    except ValueError:
        return None
    return _plausible(DatedValue(datetime.combine(day, time.min, UTC), "day", source))


def _plausible(value: DatedValue) -> DatedValue | None:
    """Drop dates before the web's news era or more than a day in the future."""
    now = datetime.now(UTC)
    if value.value.year < 1990 or (value.value - now).days >= 1:
        return None
    return value


def _hint_date(hints: EntryHints | None) -> DatedValue | None:
    if hints is None or hints.published_at is None:
        return None
    return _plausible(DatedValue(hints.published_at.astimezone(UTC), "second", hints.origin))


def _with_fallback(
    value: str | None, source: str, hints: EntryHints | None, field: str
) -> tuple[str | None, str | None]:
    if value:
        return value, source
    hinted = _clean_str(getattr(hints, field, None)) if hints else None
    return (hinted, hints.origin) if hinted and hints else (None, None)


def _origin_if(hints: EntryHints | None, field: str) -> str | None:
    return hints.origin if hints and getattr(hints, field) else None


def _split_authors(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    return tuple(dict.fromkeys(a.strip() for a in raw.split(";") if a.strip()))


def _language(raw: str | None) -> str | None:
    if not raw:
        return None
    match = _LANG.match(raw.strip())
    return match.group(0).lower() if match else None


def _clean_str(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def _too_short(text: str) -> str:
    if not text:
        return "no article text found"
    return f"only {len(text)} characters of article text (minimum {MIN_TEXT_CHARS})"


def rejected(doc: RawDocument, reason: RejectReason, detail: str) -> Rejected:
    """The reject record of ``doc`` (it carries the document's source, location and hash)."""
    return Rejected(doc.source, doc.location, reason, detail, doc.raw_hash)
