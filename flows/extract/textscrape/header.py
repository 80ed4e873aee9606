"""The layout of an article's header: lead, headline, standfirst, captions, byline and date.

The lead is the first prose line of the body that is not cut off from the rest
by header furniture or a photo; when no headline stands above it but a byline or
dateline follows within a few lines, the "lead" was a caption or a teaser list,
and the headline and lead are looked for below it. A standfirst becomes the description only
between headline and lead with nothing but furniture around it, and only when
it is not a second headline. Authors come from the first explicit byline near
the headline; the date from its datelines: a labelled "published" date first,
then a bare date if a headline was found and all bare dates agree, then an
"updated" date; never from captions or the body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flows.extract.textscrape.byline import looks_like_name_list
from flows.extract.textscrape.dates import DATE_LABEL, DateHit
from flows.extract.textscrape.document import (
    Doc,
    next_to_credit,
    picture_caption,
    pictureish,
    skippable,
)
from flows.extract.textscrape.headline import pick_headline, plain_tokens
from flows.extract.textscrape.lines import Line, caption_like
from flows.extract.textscrape.segment import cut_trailing, has_prose_neighbour

__all__ = ["Layout", "find_layout", "pick_authors", "pick_date"]


_HEADER_WINDOW = 30  # lines above the body run searched for the headline
_BELOW_LEAD = 8  # lines below a lead searched for a header block when none was above


@dataclass(slots=True)
class Layout:
    """Where everything is: indices into the document's lines."""

    lead: int
    end: int
    title: int | None = None
    description: int | None = None
    captions: frozenset[int] = frozenset()


def _isolating(doc: Doc, j: int) -> bool:
    """Header furniture that cuts a standfirst off from the lead.

    A bare list of names does not: inside articles it is an author or
    interviewee box, and alone it is weak evidence of a byline.
    """
    if not doc.headerish(j):
        return False
    bare_names = looks_like_name_list(doc.lines[j].text)
    return not bare_names or bool(doc.authors(j)) or doc.dateline(j)[0]


def _locate_lead(doc: Doc, start: int, end: int) -> tuple[int, list[int]]:
    """First body paragraph: skip prose cut off from the rest by header lines or a picture."""
    lines = doc.lines
    isolated: list[int] = []
    i = start
    furniture_seen = False
    for _ in range(4):
        nxt = doc.next_prose(i + 1, end)
        if nxt is None:
            break
        remaining = sum(ln.words for ln in lines[nxt : end + 1] if ln.prose)
        if remaining < 1.5 * lines[i].words:
            break
        gap = range(i + 1, nxt)
        # Bylines and datelines come once, between standfirst and lead; after that, only a
        # photo can still separate a line from the body (author boxes sit inside articles).
        header_gap = not furniture_seen and any(_isolating(doc, j) for j in gap)
        furniture_seen = furniture_seen or header_gap
        picture_gap = any(lines[j].credit or lines[j].caption for j in gap)
        # A photo credit after a very short line marks that line as the photo's caption.
        # Publishers put credits above or below captions, so a paragraph followed by a
        # credit is common too; captions isolated this way on the development corpus have
        # at most 18 words, leads are longer.
        short_caption = picture_gap and lines[i].words <= 18 and caption_like(lines[i])
        if header_gap or short_caption or picture_caption(doc, i):
            isolated.append(i)
            i = nxt
            continue
        break
    return i, isolated


def find_layout(doc: Doc, start: int, end: int, url: str | None) -> Layout:
    """Lead, headline, body end, standfirst and captions around the body run ``[start, end]``."""
    lines = doc.lines
    lead, isolated = _locate_lead(doc, start, end)
    window_start = max(0, start - _HEADER_WINDOW)
    for i in range(start - 1, window_start - 1, -1):
        # An earlier run of prose (another story's teaser text) closes the header zone;
        # a lone prose line (a standfirst) does not.
        if lines[i].prose and start - i > 8 and has_prose_neighbour(lines, i):
            window_start = i + 1
            break
    title = pick_headline(doc, window_start, lead, lead, url)
    if title is None:
        title = _headline_below_lead(doc, lead, end, url)
    if title is not None and title >= lead:
        nxt = doc.next_prose(title + 1, end)
        if nxt is None:
            title = None
        else:
            lead, more = _locate_lead(doc, nxt, end)
            isolated.extend(more)
    layout = Layout(lead=lead, end=cut_trailing(lines, lead, end), title=title)
    _classify_pre_lead(doc, layout, window_start, isolated)
    return layout


def _headline_below_lead(doc: Doc, lead: int, end: int, url: str | None) -> int | None:
    """No headline above the lead, but a byline or dateline just below it: the "lead" was a
    photo caption or a teaser above the article's header block, whose headline sits between."""
    last = min(end, lead + _BELOW_LEAD)
    furniture = next((j for j in range(lead + 2, last + 1) if doc.headerish(j)), None)
    if furniture is None:
        return None
    return pick_headline(doc, lead + 1, furniture - 1, furniture, url)


def _classify_pre_lead(doc: Doc, layout: Layout, window_start: int, isolated: list[int]) -> None:
    """Standfirst or caption for the prose-like lines between headline and lead."""
    lines = doc.lines
    first = layout.title + 1 if layout.title is not None else window_start
    captions: set[int] = set()
    for i in range(first, layout.lead):
        ln = lines[i]
        if ln.chrome or ln.credit or ln.ui or doc.headerish(i):
            continue
        if not (ln.prose or i in isolated or ln.words >= 8):
            continue
        picture = ln.caption or next_to_credit(lines, i) or pictureish(doc, i)
        if picture:
            captions.add(i)
        elif (
            layout.description is None
            and layout.title is not None
            and _only_furniture(doc, layout.title + 1, i)
            and _standfirst_like(lines[layout.title], ln)
        ):
            layout.description = i
    layout.captions = frozenset(captions)


def _standfirst_like(title: Line, ln: Line) -> bool:
    """A summary, not a second headline: new words, and a sentence or longer than the title."""
    mine, theirs = plain_tokens(ln.text), plain_tokens(title.text)
    if not mine or len(mine & theirs) >= 0.5 * len(mine | theirs):
        return False
    return not DATE_LABEL.search(ln.text) and (ln.terminal or ln.words >= 0.6 * title.words)


def _only_furniture(doc: Doc, first: int, last: int) -> bool:
    """Nothing but chrome and header furniture in ``[first, last)``."""
    return all(skippable(doc, j) for j in range(first, last))


def pick_authors(doc: Doc, zone: range) -> tuple[str, ...]:
    """The names of the first explicit byline in ``zone``."""
    for i in zone:
        names = doc.authors(i)
        if names:
            return names
    return ()


def pick_date(doc: Doc, zone: range, *, header_found: bool) -> datetime | None:
    """Published first, then a bare dateline, then an 'updated' date; never from captions.

    A bare date (no "Published"-like label) is trusted only under an identified
    headline and only when every bare date there names the same day: teaser
    lists and tickers carry dates of other stories.
    """
    labelled: list[DateHit] = []
    bare: list[DateHit] = []
    for i in zone:
        ln = doc.lines[i]
        if ln.caption or ln.prose or ln.words > 25:
            continue
        is_dateline, hits = doc.dateline(i)
        if not is_dateline and not doc.authors(i):
            continue
        for hit in hits:
            (labelled if hit.labelled else bare).append(hit)
    for hit in labelled:
        if not hit.updated:
            return hit.value
    if bare and header_found and len({hit.value.date() for hit in bare}) == 1:
        return bare[0].value
    return labelled[0].value if labelled else None
