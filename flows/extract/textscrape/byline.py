"""Bylines: author names after an explicit "By"-word ("By", "Von", "Par", ...), never guessed.

Also the shape of a line that only lists names ("Julia Vergin | Clare Roth"),
which marks header furniture or an author box but never gives authors.
"""

from __future__ import annotations

import re

from flows.extract.textscrape.dates import month_numbers
from flows.extract.textscrape.lexicon import ALL_STOPWORDS, fold
from flows.extract.textscrape.lines import TERMINAL, WORD

__all__ = ["bare_byline_word", "byline_authors", "looks_like_name_list"]


# Bylines: an explicit "By"-word in the languages we know, then names.
_BYLINE = re.compile(
    r"^(?:by|written by|reporting by|words by|von|text(?:e)?\s*:|autor(?:in|ka)?\s*:|author\s*:"
    r"|par|por|di|door|av|af|przez|yazan\s*:|oleh|автор\s*:)\s*:?\s+(?P<names>\S.*)$",
    re.IGNORECASE,
)
# The "By"-word alone on its line, the names on the next ("By" / "Rachel Brazil").
_BARE_BYLINE = re.compile(
    r"^(?:by|written by|von|par|por|di|door|av|af|przez|oleh)\s*:?$", re.IGNORECASE
)


def bare_byline_word(text: str) -> bool:
    """A byline's "By"-word on a line of its own: byline furniture, though it names nobody."""
    return bool(_BARE_BYLINE.match(text.strip()))


_NAME_PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "da",
        "das",
        "do",
        "dos",
        "del",
        "della",
        "di",
        "du",
        "la",
        "le",
        "ter",
        "ten",
        "bin",
        "al",
        "el",
        "ibn",
        "mc",
        "st",
        "y",
        "e",
    ]
)
_ROLE_WORDS = re.compile(
    r"\b(?:reporter|correspondent|editor|journalist|writer|contributor|columnist|staff|team|desk"
    r"|redakteur(?:in)?|korrespondent(?:in)?|redaktion|autor(?:in)?|journaliste|rédaction"
    r"|envoyée?\s+spéciale?|corresponsal|redacción|redazione|inviat[oa]|news|agencies|agency)\b",
    re.IGNORECASE,
)
_NAME_SPLIT = re.compile(
    r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b|\by\b|\be\b|\bog\b|\boch\b|\ben\b|\bi\b|\boraz\b|\bwith\b)\s*",
    re.IGNORECASE,
)
_BYLINE_CUT = re.compile(
    r"\s+(?:[-–—|•·/]\s|(?i:\bfor\b|\bpublished\b|\bupdated\b|\bposted\b|\bveröffentlicht\b"
    r"|\baktualisiert\b|\bpublié\b|\bpublicado\b|\bpubblicato\b|\bfollow\b)"
    r"|\bin\s+[A-Z][a-z]+\s*$)|\s*\d",
)
# A capital glued to the end of a name ("Ulrich ExnerKorrespondent", "Lesotho TimesNovember").
_GLUED_TAIL = re.compile(r"(?<=[a-zà-ÿ]{2})(?=[A-ZÀ-Þ][a-zà-ÿ])")


def byline_authors(text: str) -> tuple[str, ...] | None:
    """Names from an explicit byline ("By A and B", "Von A"), or ``None``."""
    match = _BYLINE.match(text.strip())
    if not match:
        return None
    names_part = _BYLINE_CUT.split(match["names"], maxsplit=1)[0]
    names_part = re.sub(r"(?<=[a-z])(?:Twitter|Facebook|Email|X)$", "", names_part).strip(" ,.:")
    names: list[str] = []
    for raw in _NAME_SPLIT.split(names_part):
        name = _ROLE_WORDS.split(raw, maxsplit=1)[0]
        name = _GLUED_TAIL.split(name, maxsplit=1)[0] if not name.startswith("Mac") else name
        name = _without_date_words(name).strip(" ,.:-")
        if not name:
            continue
        if not _looks_like_name(name):
            return None
        names.append(name)
    return tuple(dict.fromkeys(names)) or None


_WEEKDAY_NAMES = frozenset(
    (
        "mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs",
        "thursday", "fri", "friday", "sat", "saturday", "sun", "sunday", "montag", "dienstag",
        "mittwoch", "donnerstag", "freitag", "samstag", "sonntag", "lundi", "mardi", "mercredi",
        "jeudi", "vendredi", "samedi", "dimanche",
    )
)  # fmt: skip


def _without_date_words(name: str) -> str:
    """Cut a byline where a month or weekday starts ("Cristina Laila Apr. 28")."""
    tokens = name.split()
    for k, token in enumerate(tokens):
        word = fold(token.strip(".,"))
        at_end = k == len(tokens) - 1 or tokens[k + 1][:1].isdigit()
        if k and at_end and (word in month_numbers() or word in _WEEKDAY_NAMES):
            return " ".join(tokens[:k])
    return name


def _looks_like_name(name: str) -> bool:
    tokens = name.split()
    if not 1 <= len(tokens) <= 5:
        return False
    capitals = [t for t in tokens if t.casefold() not in _NAME_PARTICLES]
    return bool(capitals) and all(t[:1].isupper() for t in capitals)


def looks_like_name_list(text: str) -> bool:
    """'Julia Vergin | Clare Roth', 'Radek Nohl': capitalised names and nothing else."""
    if TERMINAL.search(text):
        return False
    parts = [p for p in re.split(r"\s*(?:[|,·•/]|\band\b|\bund\b)\s*", text) if p.strip()]
    if not parts or sum(len(p.split()) for p in parts) > 12:
        return False
    for part in parts:
        tokens = part.split()
        if not 2 <= len(tokens) <= 4 or any(t.casefold() in ALL_STOPWORDS for t in tokens):
            return False
        if not _looks_like_name(part) or not all(WORD.fullmatch(t) for t in tokens):
            return False
    return True
