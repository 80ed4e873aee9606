"""The text-scrape cleaner's entry point: the steps in order, as the package docstring tells."""

from __future__ import annotations

import logging

from flows.errors import ScrapeTooLargeError
from flows.extract.textscrape.assemble import TextScrape, assemble, without_body
from flows.extract.textscrape.document import Doc
from flows.extract.textscrape.header import Layout, find_layout, pick_authors, pick_date
from flows.extract.textscrape.language import detect_language
from flows.extract.textscrape.lexicon import STOPWORDS
from flows.extract.textscrape.lines import (
    PROSE_MIN_WORDS,
    line_features,
    mark_prose,
    mark_repeated_chrome,
    split_lines,
)
from flows.extract.textscrape.segment import best_segment

__all__ = ["DEFAULT_MAX_CHARS", "clean_text_scrape"]


logger = logging.getLogger(__name__)

DEFAULT_MAX_CHARS = 10 * 1024 * 1024  # the pipeline's decoded-page cap; runs in linear time


def clean_text_scrape(
    text: str, *, url: str | None = None, max_chars: int = DEFAULT_MAX_CHARS
) -> TextScrape:
    """Recover headline, body, byline and dateline from a plain-text scrape of a news page.

    ``url``, when known, only helps choose the headline (words of its slug).
    Raises :class:`ScrapeTooLargeError` above ``max_chars``; never raises for
    odd content: empty or chrome-only input gives an empty ``text``.
    """
    if len(text) > max_chars:
        raise ScrapeTooLargeError(f"text scrape has {len(text)} characters, limit {max_chars}")
    lines = line_features(split_lines(text))
    if not lines:
        return TextScrape(None, "", None, (), None, None, ())
    language = detect_language(ln for ln in lines if ln.words >= PROSE_MIN_WORDS)
    mark_repeated_chrome(lines)
    mark_prose(lines, use_stopwords=language in STOPWORDS)
    doc = Doc.of(lines, language)
    segment = best_segment(doc)
    if segment is None:
        return without_body(doc)
    layout = find_layout(doc, segment[0], segment[1], url)
    zone = _header_zone(layout, len(lines))
    logger.debug(
        "text scrape: %d lines, body %d..%d, lead %d, headline %s, language %s",
        len(lines),
        segment[0],
        layout.end,
        layout.lead,
        layout.title,
        language,
    )
    published = pick_date(doc, zone, header_found=layout.title is not None)
    if published is None and layout.title is not None:
        published = pick_date(doc, _with_date_above(doc, zone), header_found=True)
    return assemble(doc, layout, pick_authors(doc, zone), published)


def _header_zone(layout: Layout, size: int) -> range:
    """Where bylines and datelines are read: the headline (or 8 lines up) to 5 past the lead."""
    start = layout.title if layout.title is not None else max(0, layout.lead - 8)
    return range(start, min(size, layout.lead + 5))


def _with_date_above(doc: Doc, zone: range) -> range:
    """The zone and the line above the headline when it is a dateline, not an "updated" one:
    some sites print the date over the headline. Read only when the zone itself gives no date
    (a masthead's date of today sits there too)."""
    if zone.start == 0:
        return zone
    dated, hits = doc.dateline(zone.start - 1)
    if not dated or any(hit.updated for hit in hits):
        return zone
    return range(zone.start - 1, zone.stop)
