"""The result, :class:`TextScrape`, assembled from the layout: kept lines and dropped ones.

Every line left out of the text is listed with why: chrome, caption, credit,
byline, dateline, header, headline, description or trailing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flows.extract.textscrape.document import Doc
from flows.extract.textscrape.header import Layout
from flows.extract.textscrape.lines import Line

__all__ = ["TextScrape", "assemble", "without_body"]


@dataclass(frozen=True, slots=True)
class TextScrape:
    """What :func:`clean_text_scrape` recovered from one text scrape.

    ``published_at`` carries a timezone only when the dateline names one
    ("BST", "+02:00", "Z"); otherwise it is the publisher's local wall time,
    naive. ``language`` is an ISO 639-1 guess from stopwords or script, or
    ``None``. ``dropped`` lists ``(line, reason)`` for every line left out of
    ``text``, in input order.
    """

    title: str | None
    text: str  # the body from the lead on, paragraphs joined by a blank line
    description: str | None
    authors: tuple[str, ...]
    published_at: datetime | None
    language: str | None
    dropped: tuple[tuple[str, str], ...]


def without_body(doc: Doc) -> TextScrape:
    """No prose run: keep whatever is not chrome, claim no headline or date."""
    kept = [ln.text for ln in doc.lines if not _flagged(ln)]
    dropped = tuple((ln.text, _reason(ln)) for ln in doc.lines if _flagged(ln))
    return TextScrape(None, "\n\n".join(kept), None, (), None, doc.language, dropped)


def _flagged(ln: Line) -> bool:
    return ln.chrome or ln.credit or ln.caption


def _reason(ln: Line) -> str:
    if ln.caption:
        return "caption"
    if ln.credit:
        return "credit"
    return "chrome"


def _body_reason(doc: Doc, i: int, lead: int) -> str | None:
    """Why a line inside the body run is dropped, or ``None`` to keep it."""
    lines = doc.lines
    ln = lines[i]
    if _flagged(ln):
        return _reason(ln)
    if ln.prose:
        return None
    if ln.ui and not (i > 0 and lines[i - 1].prose and i + 1 < len(lines) and lines[i + 1].prose):
        return "chrome"
    if ln.words <= 16 and (doc.headerish(i) if i - lead < 5 else doc.dateline(i)[0]):
        return "byline" if doc.authors(i) else "dateline"
    return None


def _header_reason(doc: Doc, i: int, layout: Layout) -> str:
    """Why a line above the lead is dropped: site chrome above the headline, furniture below."""
    ln = doc.lines[i]
    if i in layout.captions:
        return "caption"
    if _flagged(ln):
        return _reason(ln)
    furniture = _furniture_reason(doc, i)
    if furniture:
        return furniture
    above_headline = layout.title is not None and i < layout.title
    return "chrome" if ln.ui or above_headline else "header"


def _furniture_reason(doc: Doc, i: int) -> str | None:
    if doc.authors(i):
        return "byline"
    return "dateline" if doc.dateline(i)[0] else None


def assemble(
    doc: Doc, layout: Layout, authors: tuple[str, ...], published: datetime | None
) -> TextScrape:
    """The result: headline, standfirst, body lines kept, every other line with its reason."""
    dropped: list[tuple[str, str]] = []
    body: list[str] = []
    for i, ln in enumerate(doc.lines):
        reason: str | None
        if i == layout.title:
            reason = "headline"
        elif i == layout.description:
            reason = "description"
        elif i < layout.lead:
            reason = _header_reason(doc, i, layout)
        elif i > layout.end:
            reason = "trailing"
        else:
            reason = _body_reason(doc, i, layout.lead)
        if reason is None:
            body.append(ln.text)
        else:
            dropped.append((ln.text, reason))
    lines = doc.lines
    return TextScrape(
        title=lines[layout.title].text if layout.title is not None else None,
        text="\n\n".join(body),
        description=lines[layout.description].text if layout.description is not None else None,
        authors=authors,
        published_at=published,
        language=doc.language,
        dropped=tuple(dropped),
    )
