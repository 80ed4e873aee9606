"""The body: the densest run of prose, and where it ends.

A maximum-sum segment over lines (Kadane) in which prose counts for its length
(half when it stands alone, like teaser text) and everything else against,
bylines and datelines most. The run is cut at a trailing-section marker
("Related", "Mehr zum Thema") once most of its prose is behind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from flows.extract.textscrape.document import Doc
from flows.extract.textscrape.lexicon import TRAILING_KEYS
from flows.extract.textscrape.lines import Line

__all__ = ["best_segment", "cut_trailing", "has_prose_neighbour"]


def _line_value(doc: Doc, i: int) -> float:
    """Contribution of a line to the body score: prose for, everything else against.

    Prose cut off on both sides by non-prose (teasers in a list of related
    stories) counts half; bylines, datelines and relative times count hard
    against, because outside the article header they mark teaser lists.
    """
    ln = doc.lines[i]
    if ln.prose:
        value = min(ln.words, 120.0)
        return value if has_prose_neighbour(doc.lines, i) else value / 2
    if ln.chrome or ln.ui:
        return -4.0
    if ln.caption or ln.credit:
        return -2.0
    if ln.words <= 16 and (ln.digits or ln.words <= 4) and doc.headerish(i):
        return -5.0
    if ln.terminal and ln.words >= 3:
        return -0.5
    return -2.5


def has_prose_neighbour(lines: Sequence[Line], i: int) -> bool:
    """Whether the nearest non-chrome line before or after ``i`` is prose."""
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(lines) and _transparent(lines[j]):
            j += step
        if 0 <= j < len(lines) and lines[j].prose:
            return True
    return False


def _transparent(ln: Line) -> bool:
    """Lines that interrupt a body without ending it: adverts, share bars, pictures."""
    return ln.chrome or ln.ui or ln.caption or ln.credit


def best_segment(doc: Doc) -> tuple[int, int] | None:
    """Maximum-sum run of lines (Kadane); ``None`` when there is no prose at all."""
    best_sum = 0.0
    best: tuple[int, int] | None = None
    run_sum = 0.0
    run_start = 0
    for i in range(len(doc.lines)):
        value = _line_value(doc, i)
        if run_sum <= 0:
            run_sum = value
            run_start = i
        else:
            run_sum += value
        if run_sum > best_sum:
            best_sum = run_sum
            best = (run_start, i)
    return best


def cut_trailing(lines: list[Line], start: int, end: int) -> int:
    """Stop the body at a trailing-section marker ("Related", "Mehr zum Thema")."""
    total = sum(ln.words for ln in lines[start : end + 1] if ln.prose)
    seen = 0.0
    for i in range(start, end + 1):
        ln = lines[i]
        if ln.prose:
            seen += ln.words
        elif i > start and seen >= 0.6 * total and _trailing_marker(ln):
            return i - 1
    return end


_MORE_FROM = re.compile(
    r"^(?:more|mehr|plus|más|mas|altri|altre|meer|mer|flere|więcej|další|daha|lainnya|ещё|еще)\b",
    re.IGNORECASE,
)


def _trailing_marker(ln: Line) -> bool:
    """A heading that opens the trailing section: "Related", "More from X", "Mehr zum Thema"."""
    if ln.key in TRAILING_KEYS:
        return True
    return ln.words <= 4 and not ln.terminal and bool(_MORE_FROM.match(ln.key))
