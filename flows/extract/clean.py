"""RawDocument -> Article | Rejected: trafilatura for pages, the text-scrape cleaner for .txt.

With :mod:`flows.extract.body` (the extraction call), the only modules that
import trafilatura. It runs inside extraction worker processes (see
``flows.extract.workers``), so everything it returns is picklable.

Metadata is taken from the page's own structured data first (JSON-LD, then
``<meta>`` tags: :mod:`flows.extract.pagemeta`), then from trafilatura, then
from what the feed or sitemap said; each date, title and author list records
where it came from. A value nobody states is None: a wrong publication date is
worse than none, so a timestamp without a time zone keeps only its day
(:mod:`flows.extract.dating`), and no date is ever taken from running text.
The records returned are in :mod:`flows.extract.records`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document

from connectors.errors import RejectError
from connectors.records import Decoding, EntryHints, Media, RawDocument, Rejected, RejectReason
from connectors.text.charset import check_text, decode_html
from flows.errors import TextScrapeError
from flows.extract.authors import AuthorCandidates, Byline, choose_authors
from flows.extract.body import extract_body
from flows.extract.dating import exact, parse_day, timestamp
from flows.extract.pagemeta import PageMeta, clean_str, language_code, page_meta
from flows.extract.records import Article, DatedValue, rejected
from flows.extract.textscrape import clean_text_scrape
from flows.extract.titles import SiteTitles, choose_title
from flows.extract.trim import trim_body

__all__ = [
    "EXTRACTOR",
    "MIN_TEXT_CHARS",
    "TEXT_EXTRACTOR",
    "clean",
    "decoded",
    "text_of",
]

EXTRACTOR = f"trafilatura {trafilatura.__version__}"
TEXT_EXTRACTOR = "textscrape 1"
MIN_TEXT_CHARS = 100  # below this an extraction is a fragment, not an article


def clean(doc: RawDocument, site: SiteTitles | None = None) -> Article | Rejected:
    """Extract the article from a raw document, or say why there is none.

    ``site``: the title affixes learned from the host's earlier pages, if any.
    """
    try:
        text, decoding = decoded(doc)
    except RejectError as exc:
        return rejected(doc, exc.reason, exc.detail)
    article = _clean_text(doc, text) if doc.media is Media.TEXT else _clean_html(doc, text, site)
    return replace(article, decoding=decoding) if isinstance(article, Article) else article


def _clean_html(doc: RawDocument, html: str, site: SiteTitles | None) -> Article | Rejected:
    tree = trafilatura.load_html(html)
    if tree is None:
        return rejected(doc, RejectReason.NO_ARTICLE, "not parseable as HTML")
    meta = page_meta(tree, doc.url)
    result = _extract(tree, doc.url)
    text = trim_body(result.text or "", tree, doc.url).strip() if result is not None else ""
    if result is None or len(text) < MIN_TEXT_CHARS:
        return rejected(doc, RejectReason.NO_ARTICLE, _too_short(text))
    hints = doc.hints
    return _article(
        doc,
        text,
        EXTRACTOR,
        title=_page_title(meta, site, clean_str(result.title), hints),
        byline=_page_byline(meta, result.author, hints),
        description=clean_str(result.description),
        published=meta.published or _hint_date(hints) or parse_day(result.date, "htmldate"),
        language=meta.language or language_code(hints.language if hints else None),
        canonical_link=meta.canonical,
        og_url=meta.og_url,
        modified_at=meta.modified.value if meta.modified else None,
        sitename=clean_str(result.sitename),
        page_title=meta.page_title,
    )


def _page_byline(meta: PageMeta, found: str | None, hints: EntryHints | None) -> Byline:
    """People and organisations the page credits (:mod:`flows.extract.authors`), else the feed's."""
    guess = tuple(a.strip() for a in (found or "").split(";") if a.strip())
    return choose_authors(replace(meta.authors, guess=guess, **_listed(hints)))


def _listed(hints: EntryHints | None) -> dict[str, Any]:
    """The feed's or sitemap's authors, as the last source of a byline."""
    return {"listed": hints.authors, "listed_source": hints.origin} if hints else {}


def _page_title(
    meta: PageMeta, site: SiteTitles | None, found: str | None, hints: EntryHints | None
) -> tuple[str | None, str | None]:
    """The reconciled title (:mod:`flows.extract.titles`), else trafilatura's, else the feed's."""
    hint = (hints.title, hints.origin) if hints else (None, None)
    title = choose_title(meta.titles, site, hint)
    if title[0]:
        return title
    return _with_fallback(found, "page", hints, "title")


def _extract(tree: HtmlElement, url: str | None) -> Document | None:
    """The article body and trafilatura's metadata (benchmarks swap this for other calls)."""
    return extract_body(tree, url)


def decoded(doc: RawDocument) -> tuple[str, Decoding | None]:
    """The document's text and how it was decoded; RejectError when it is no text.

    Fetched bytes are decoded here (:func:`connectors.text.charset.decode_html`);
    text a connector read is checked by the same rules (not blank, no NUL).
    """
    if isinstance(doc.content, bytes):
        text, decoding = decode_html(doc.content, doc.content_type)
        return text, decoding
    check_text(doc.content, doc.raw_hash)
    return doc.content, doc.decoding


def text_of(doc: RawDocument) -> str:
    """The document's text, decoded as :func:`clean` decodes it (RejectError if it is none)."""
    return decoded(doc)[0]


def _clean_text(doc: RawDocument, text: str) -> Article | Rejected:
    try:
        scrape = clean_text_scrape(text, url=doc.url)
    except TextScrapeError as exc:
        return rejected(doc, RejectReason.TOO_LARGE, str(exc))
    text = scrape.text.strip()
    if len(text) < MIN_TEXT_CHARS:
        return rejected(doc, RejectReason.NO_ARTICLE, _too_short(text))
    hints = doc.hints
    return _article(
        doc,
        text,
        TEXT_EXTRACTOR,
        title=_with_fallback(scrape.title, "text", hints, "title"),
        byline=choose_authors(
            AuthorCandidates(guess=scrape.authors, guess_source="text", **_listed(hints))
        ),
        description=scrape.description,
        published=_scrape_date(scrape.published_at) or _hint_date(hints),
        language=language_code(scrape.language or (hints.language if hints else None)),
    )


def _article(
    doc: RawDocument,
    text: str,
    extractor: str,
    *,
    title: tuple[str | None, str | None],
    byline: Byline,
    description: str | None,
    published: DatedValue | None,
    language: str | None,
    canonical_link: str | None = None,
    og_url: str | None = None,
    modified_at: datetime | None = None,
    sitename: str | None = None,
    page_title: str | None = None,
) -> Article:
    """The article: what extraction found (each value with its source) and the document's own."""
    return Article(
        source=doc.source,
        location=doc.location,
        url=doc.url,
        canonical_link=canonical_link,
        og_url=og_url,
        redirects=doc.redirects,
        title=title[0],
        title_source=title[1],
        text=text,
        description=description,
        authors=byline.people,
        authors_source=byline.source,
        published=published,
        modified_at=modified_at,
        language=language,
        sitename=sitename,
        word_count=len(text.split()),
        raw_hash=doc.raw_hash,
        retrieved_at=doc.retrieved_at,
        extractor=extractor,
        hints=doc.hints,
        validators=doc.validators,
        capture=doc.capture,
        page_title=page_title,
        organisations=byline.organisations,
    )


def _scrape_date(value: datetime | None) -> DatedValue | None:
    """A dateline's time with a stated zone is exact; without one only its day is kept."""
    return timestamp(value, "text") if value is not None else None


def _hint_date(hints: EntryHints | None) -> DatedValue | None:
    if hints is None or hints.published_at is None:
        return None
    return exact(hints.published_at, hints.origin)


def _with_fallback(
    value: str | None, source: str, hints: EntryHints | None, field: str
) -> tuple[str | None, str | None]:
    if value:
        return value, source
    hinted = clean_str(getattr(hints, field, None)) if hints else None
    return (hinted, hints.origin) if hinted and hints else (None, None)


def _too_short(text: str) -> str:
    if not text:
        return "no article text found"
    return f"only {len(text)} characters of article text (minimum {MIN_TEXT_CHARS})"
