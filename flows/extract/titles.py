"""Which title a page gets: every candidate it offers, reconciled, without the site's affixes.

A news page states its headline several times: the JSON-LD ``headline`` of
its article object, ``og:title``, ``twitter:title``, the ``<title>`` element
and the ``<h1>`` a reader sees; a feed or sitemap may add one more. They
disagree in two ways. The publisher's own labels are glued to them ("... |
CBC News", "... - WELT", "Opinion | ...", "...：朝日新聞デジタル"), and the
social-media titles are sometimes rewritten for sharing. So:

1. Each candidate loses the segments at its edges (cut at title separators:
   spaced ``|``, ``-``, ``–``, ``·``, ...; bare ``|``, ``｜``, ``：``) that name the
   site: the name it declares (``og:site_name``, the JSON-LD publisher or
   WebSite, ``application-name``), its host (``golem.de``), a bare date, or an
   affix learned from the same host's other titles (:func:`learn_site_titles`).
   At least one segment always stays.
2. A candidate that is another candidate plus separated segments
   ("Headline | Politics | Metro News" beside the ``<h1>`` "Headline") is cut
   back to the shared part, whatever those segments are.
3. The first candidate in order of how deliberately the publisher wrote it
   wins: JSON-LD headline, ``og:title``, the ``<h1>`` (only when some other
   candidate agrees with it, or there is nothing else), ``twitter:title``,
   ``<title>``. Its source is recorded (``jsonld``, ``meta``, ``h1``, ``title``).
4. The feed's or sitemap's title (recorded with its origin) only when the page
   offers none: the page decides alone, so a page gets the same title whichever
   source found it, and a second source's visit is not a new version.

Affixes are learned per host (:class:`SiteTitles`): a segment that starts or
ends at least two distinct ``<title>`` texts of the host, and a tenth of them,
is the site's, even when the page does not declare its name. The flow hands
the worker what the warehouse holds for the host (see ``flows.pipeline``).
No rule names a site or a language.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "SiteTitles",
    "TitleCandidates",
    "choose_title",
    "learn_site_titles",
    "tidy",
]

# Where a title's segments meet: spaced punctuation, bare pipes, the full-width colon and
# the Hangul letter that Korean sites use as a bar ("...ㅣ한국일보").
_SEPARATOR = re.compile(r"(\s+(?:[|｜/·•*~»«‹›⋆]|[-–—]{1,2}|::)\s+|\s*[|｜ㅣ]\s*|\s*：\s*)")
_INVISIBLE = re.compile(r"[\u00ad\u200b\u2060\ufeff]")
_DATE_ONLY = re.compile(r"^[\d\s./-]{6,}$")
_MAX_AFFIX_WORDS = 8
_MIN_KEY = 2  # characters of a name or host label that can equal a segment
_MIN_CONTAINED = 3  # ... that can start or end a longer one ("CBC" in "CBC News")
_DNS_WORDS = frozenset({"www", "com", "org", "net", "gov", "edu", "co", "ac"})
_LEARN_MIN_TITLES = 2
_LEARN_MIN_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class TitleCandidates:
    """Every title a page offers, and the names it gives itself."""

    jsonld: tuple[str, ...] = ()
    og: str | None = None
    twitter: str | None = None
    html_title: str | None = None
    h1: tuple[str, ...] = ()
    site_names: tuple[str, ...] = ()
    host: str | None = None


@dataclass(frozen=True, slots=True)
class SiteTitles:
    """Affixes learned from a host's titles: keys of leading and trailing segments."""

    prefixes: frozenset[str] = frozenset()
    suffixes: frozenset[str] = frozenset()


def tidy(value: object) -> str | None:
    """A title as text: entities decoded, invisible characters dropped, spaces collapsed."""
    if not isinstance(value, str):
        return None
    text = " ".join(_INVISIBLE.sub("", html.unescape(value)).split())
    return text or None


def choose_title(
    found: TitleCandidates,
    site: SiteTitles | None = None,
    hint: tuple[str | None, str | None] = (None, None),
) -> tuple[str | None, str | None]:
    """The page's title and where it came from; ``hint`` is the feed's (title, origin).

    The page decides alone; the feed's title is taken only when the page offers none, so
    a page gets the same title whichever source found it (a sitemap's visit of a page a
    feed brought in is then unchanged, not a new version).
    """
    names = _Names.of(found, site or SiteTitles())
    ranked = [(names.strip(text), source) for text, source in _ranked(found)]
    ranked = [(text, source) for text, source in ranked if text]
    cut = [(_cut_to_other(text, source, ranked, names), source) for text, source in ranked]
    for text, source in cut:
        if source != "h1" or _agreed(text, cut) or len(cut) == 1:
            return text, source
    hinted, origin = tidy(hint[0]), hint[1]
    if hinted and origin:
        return names.strip(hinted) or None, origin
    return (None, None)


def learn_site_titles(titles: Iterable[str]) -> SiteTitles:
    """The affixes of a host: segments starting or ending enough of its distinct titles."""
    distinct = list(dict.fromkeys(t for t in (tidy(x) for x in titles) if t))
    starts: Counter[str] = Counter()
    ends: Counter[str] = Counter()
    for title in distinct:
        segments = _segments(title)[::2]
        starts.update({_key(s) for s in segments[:-1] if _affix_sized(s)})
        ends.update({_key(s) for s in segments[1:] if _affix_sized(s)})
    needed = max(_LEARN_MIN_TITLES, _LEARN_MIN_SHARE * len(distinct))
    return SiteTitles(
        prefixes=frozenset(k for k, n in starts.items() if k and n >= needed),
        suffixes=frozenset(k for k, n in ends.items() if k and n >= needed),
    )


def _ranked(found: TitleCandidates) -> list[tuple[str, str]]:
    """The page's candidates, most deliberate first, each with its source."""
    ranked = [(t, "jsonld") for t in found.jsonld]
    ranked += [(t, "meta") for t in (found.og,) if t]
    ranked += [(t, "h1") for t in found.h1]
    ranked += [(t, "meta") for t in (found.twitter,) if t]
    ranked += [(t, "title") for t in (found.html_title,) if t]
    return [(text, source) for text, source in ((tidy(t), s) for t, s in ranked) if text]


@dataclass(frozen=True, slots=True)
class _Names:
    """What names the site: keys of its declared names and host labels, and learned affixes."""

    names: tuple[str, ...]
    site: SiteTitles

    @classmethod
    def of(cls, found: TitleCandidates, site: SiteTitles) -> _Names:
        keys = [_key(n) for n in found.site_names]
        keys += _host_keys(found.host)
        return cls(tuple(k for k in dict.fromkeys(keys) if len(k) >= _MIN_KEY), site)

    def strip(self, text: str) -> str:
        """``text`` without the site's segments at either edge (one segment always stays)."""
        parts = _segments(text)
        while len(parts) > 1 and self.is_affix(parts[-1], self.site.suffixes):
            parts = parts[:-2]
        while len(parts) > 1 and self.is_affix(parts[0], self.site.prefixes):
            parts = parts[2:]
        return "".join(parts).strip()

    def is_affix(self, segment: str, learned: frozenset[str]) -> bool:
        """A segment naming the site, a bare date, or one the host's titles share."""
        if not _affix_sized(segment):
            return False
        key = _key(segment)
        if _DATE_ONLY.match(segment) or key in learned:
            return True
        return any(_names_match(key, name) for name in self.names)


def _names_match(key: str, name: str) -> bool:
    """A segment key and a site-name key: equal, or one starts or ends the other."""
    if not key or key == name:
        return bool(key)
    short, long = sorted((key, name), key=len)
    return len(short) >= _MIN_CONTAINED and (long.startswith(short) or long.endswith(short))


def _cut_to_other(text: str, source: str, ranked: Sequence[tuple[str, str]], names: _Names) -> str:
    """``text`` cut back to another candidate it contains between separators."""
    parts = _segments(text)
    if len(parts) < 3:
        return text
    others = {
        _loose(t)
        for t, s in ranked
        if s != source and _headline_sized(t, text) and not names.is_affix(t, frozenset())
    }
    for start in range(0, len(parts), 2):
        for end in range(len(parts), start, -2):
            if (start, end) == (0, len(parts)):
                continue
            inner = "".join(parts[start:end]).strip()
            if _loose(inner) in others:
                return inner
    return text


def _headline_sized(part: str, whole: str) -> bool:
    """Long enough to be a headline rather than a rubric: three words or half the whole."""
    return len(part.split()) >= 3 or len(part) >= 0.5 * len(whole)


def _agreed(text: str, ranked: Sequence[tuple[str, str]]) -> bool:
    """Whether another source offers the same title."""
    mine = _loose(text)
    return sum(1 for t, _ in ranked if _loose(t) == mine) > 1


def _segments(text: str) -> list[str]:
    """Segments and the separators between them: [segment, separator, segment, ...]."""
    return _SEPARATOR.split(text)


def _affix_sized(segment: str) -> bool:
    words = segment.split()
    return 0 < len(words) <= _MAX_AFFIX_WORDS and len(segment) <= 60


def _key(text: str) -> str:
    """Letters and digits only, case and accents folded: how names are compared."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if ch.isalnum())


def _loose(text: str) -> str:
    """How two candidates are compared: NFKC, case folded, quotes unified, no spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[\u2018\u2019\u201a\u201b´`\u201c\u201d\u201e\u201f«»\"']", "", text)
    return "".join(text.split())


def _host_keys(host: str | None) -> list[str]:
    """The host as names: 'www.golem.de' -> ['golemde', 'golem']."""
    if not host:
        return []
    labels = host.casefold().removeprefix("www.").split(".")
    return ["".join(labels), *(label for label in labels[:-1] if label not in _DNS_WORDS)]
