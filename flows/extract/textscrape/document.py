"""The scrape's lines plus what each line is in context: byline, dateline, furniture, picture.

:class:`Doc` caches its answers per distinct line text: menus and share bars
repeat, and a megabyte of scrape must clean in well under a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.extract.textscrape.byline import byline_authors, looks_like_name_list
from flows.extract.textscrape.dates import YEARISH, DateHit, dates_in, is_dateline
from flows.extract.textscrape.lexicon import CLOCK_ONLY, PICTURE_WORDS, READ_TIME, RELATIVE_TIME
from flows.extract.textscrape.lines import Line, abbreviation, caption_like, sentences

__all__ = ["Doc", "next_to_credit", "picture_caption", "pictureish", "skippable"]


@dataclass(slots=True)
class Doc:
    """The lines of a scrape plus cached, on-demand classifications."""

    lines: list[Line]
    language: str | None
    _authors: dict[str, tuple[str, ...] | None]
    _datelines: dict[str, tuple[bool, list[DateHit]]]
    _headerish: dict[str, bool]

    @classmethod
    def of(cls, lines: list[Line], language: str | None) -> Doc:
        """A document of ``lines`` with empty caches."""
        return cls(lines, language, {}, {}, {})

    def authors(self, i: int) -> tuple[str, ...] | None:
        """Names if line ``i`` is an explicit byline."""
        ln = self.lines[i]
        if ln.text not in self._authors:
            self._authors[ln.text] = byline_authors(ln.text) if ln.words <= 16 else None
        return self._authors[ln.text]

    def dateline(self, i: int) -> tuple[bool, list[DateHit]]:
        """Whether line ``i`` is essentially a date, and the dates in it."""
        ln = self.lines[i]
        if not ln.digits or not YEARISH.search(ln.text):
            return False, []  # every date format read here has a four-digit year
        if ln.text not in self._datelines:
            self._datelines[ln.text] = is_dateline(ln, language=self.language)
        return self._datelines[ln.text]

    def headerish(self, i: int) -> bool:
        """Article-header furniture: byline, dateline, author names, reading or relative time."""
        text = self.lines[i].text
        if text not in self._headerish:
            self._headerish[text] = self._is_headerish(i)
        return self._headerish[text]

    def _is_headerish(self, i: int) -> bool:
        ln = self.lines[i]
        if ln.prose or ln.words > 16:
            return False
        text = ln.text
        if CLOCK_ONLY.match(text) or READ_TIME.search(ln.low):
            return True
        if ln.words <= 6 and RELATIVE_TIME.search(ln.low):
            return True
        if self.authors(i):
            return True
        if ln.capitalised >= 0.5 and not ln.digits and looks_like_name_list(text):
            return True
        return ln.digits and self.dateline(i)[0]

    def next_prose(self, i: int, end: int) -> int | None:
        """The first prose line in ``[i, end]``."""
        for j in range(i, end + 1):
            if self.lines[j].prose:
                return j
        return None


_CREDIT_TAIL = re.compile(
    r"(?i:\((?:courtesy|photo|foto|bild|image|credit|source|quelle|fuente|fonte)\b[^)]*\))"
    r"|\S\s?/\s?[A-Z][\w.&-]*(?:\s[A-Z][\w.&-]*){0,3}$"  # "... / Europa Press"
    r"|(?i:\bmore\s*>)$|\([A-Z][^()]{2,40}$",
)
# "... lost 130lb. Emma Roma Jayne": names after a sentence's end (not "Trans Rep. Zooey Zephyr")
_NAMES_TAIL = re.compile(r"(\S*)[.!?]\s+(?:[A-Z][\w'’-]+\s?){1,4}$")


def pictureish(doc: Doc, i: int) -> bool:
    """A line about a photo: a credit at its end, or a picture caption."""
    ln = doc.lines[i]
    if _CREDIT_TAIL.search(ln.text):
        return True
    names = _NAMES_TAIL.search(ln.text)
    return bool(names and not abbreviation(names.group(1))) or picture_caption(doc, i)


def skippable(doc: Doc, i: int) -> bool:
    """Header lines that sit between headline and lead without pushing them apart."""
    ln = doc.lines[i]
    return ln.chrome or ln.credit or ln.caption or ln.ui or doc.headerish(i)


def picture_caption(doc: Doc, i: int) -> bool:
    """A short line describing a photo: picture words or a full calendar date (the photo's)."""
    ln = doc.lines[i]
    if PICTURE_WORDS.search(ln.text):
        # "is seen", "in this picture": explicit enough for a longer wire caption
        return ln.words <= 60 and sentences(ln.text) <= 3
    if not caption_like(ln):
        return False
    return ln.digits and bool(dates_in(ln.text, language=doc.language))


def next_to_credit(lines: list[Line], i: int) -> bool:
    """Whether a photo credit sits just above or below line ``i``."""
    return any(0 <= j < len(lines) and lines[j].credit for j in (i - 1, i + 1))
