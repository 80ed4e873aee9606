"""Who wrote an article: people apart from organisations, one name per entry, names normalised.

A page names its authors in its JSON-LD ``author``, in ``<meta>`` tags
(``author``, ``article:author``, ``dc.creator``, ...) and in a visible byline
(trafilatura's guess). All three mix people with the publisher ("Frankfurter
Allgemeine Zeitung GmbH", "USA TODAY"), agencies ("dpa", "AFP"), desks ("BR24
Redaktion", "MND Staff"), roles ("Journalist", "기자"), credentials ("Lauren
Manaker MS, RDN, LD"), places ("AFP, MANILA"), URLs and e-mail addresses. So:

1. The first source that names a person wins, in order of how deliberately it
   was written: JSON-LD, then the meta tags, then the byline guess (trafilatura's,
   or a text scrape's byline), then the feed or sitemap. Organisations
   are gathered from every source read up to it, so a publisher declared in
   JSON-LD stays an organisation beside the people a byline names.
2. Each entry is split into names (commas, semicolons, "and" in the corpus's
   languages), and each name loses what is not a name: parenthesised handles,
   leading and trailing role words, credentials after a name, e-mail and URL
   forms; descriptions (long lower-case phrases) and URL slugs are dropped.
3. What is left is an organisation when JSON-LD types it so, when it names the
   site (its declared names or host), when it carries a desk, agency or
   institution word ("Redaktion", "Staff", "University of Tokyo"), or
   when it is a single short acronym or lower-case word ("dpa", "SDA"); else a
   person. A person's name is normalised: single-letter initials get a full stop
   ("Miguel A Herguedas" -> "Miguel A. Herguedas"), an all-lower-case or
   all-capital Latin name is title-cased; duplicates (by letters only) go.

Nothing is guessed: a page that names nobody gets no author.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["AuthorCandidates", "Byline", "choose_authors", "split_names"]


@dataclass(frozen=True, slots=True)
class AuthorCandidates:
    """The author entries a page offers, by source, and the names it gives itself."""

    jsonld: tuple[tuple[str, bool], ...] = ()  # (entry, typed as an organisation)
    meta: tuple[str, ...] = ()
    guess: tuple[str, ...] = ()  # trafilatura's author names, or a text scrape's byline
    guess_source: str = "page"
    listed: tuple[str, ...] = ()  # what the feed or sitemap said
    listed_source: str | None = None
    site_names: tuple[str, ...] = ()
    host: str | None = None


@dataclass(frozen=True, slots=True)
class Byline:
    """People and organisations credited with an article, and where they were read."""

    people: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    source: str | None = None


# Entries are split at commas, semicolons, slashes between names, and a lower-case "and" in
# the corpus's languages (names are capitalised, so "Dan" stays a name).
_SPLIT = re.compile(
    r"\s*(?:[,;|•·]|\s/\s|&|\b(?:and|und|et|y|e|og|och|en|i|oraz|ve|dan|и|та|és|a)\b)\s*"
)
_PARENTHESES = re.compile(r"\s*[(\[][^)\]]*[)\]]")
_EMAIL = re.compile(r"\S+@\S+")
_URL = re.compile(r"https?://\S*|www\.\S+|\b\S+\.(?:com|org|net)/\S*", re.IGNORECASE)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")
# Words that introduce a byline or name a role, in the corpus's languages.
_ROLE = (
    r"(?:staff|senior|contributing|chief|political|foreign)\s+(?:writer|reporter|editor"
    r"|correspondent)"
    r"|by|von|par|por|di|door|av|af|przez|oleh|text|texte|autor|autorin|author|auteur|autore"
    r"|written|reporting|words|fotos?|photos?|journalist|journalistin|reporter|reporterin"
    r"|correspondent|korrespondent|korrespondentin|redakteur|redakteurin|editor|writer"
    r"|contributor|columnist|kolumnist|kolumnistin|freelancer|gastautor|gastautorin"
    r"|기자|특파원|記者|编辑|記者団"
)
_LEADING_ROLE = re.compile(rf"^(?:(?:{_ROLE})\b\.?:?\s*)+", re.IGNORECASE)
_TRAILING_ROLE = re.compile(rf"(?:\s*[,/-]?\s*\b(?:{_ROLE})\b\.?)+\s*$", re.IGNORECASE)
_TRAILING_HANGUL_ROLE = re.compile(r"\s*(?:기자|특파원)(?:\s*외.*)?$")
# Degrees and professional credentials written after a name ("MS, RDN, LD", "PhD").
_CREDENTIAL = re.compile(
    r"^(?:ph\.?d|m\.?d|ms|msc|ma|mba|mph|bs|bsc|ba|rd|rdn|ld|ldn|cdn|cdces|rn|np|pa-c|dds|dvm"
    r"|jd|llm|cfa|cpa|facp|faan|dipl\.?-?\w*|mag|dr|prof|ing)\.?$",
    re.IGNORECASE,
)
# Words that make an entry a desk, a newsroom, an agency or an institution rather than a person.
_ORGANISATION_WORD = re.compile(
    r"\b(?:redaktion|newsroom|staff|team|desk|editors|editorial|agencies|agency|agenturen"
    r"|universit(?:y|ät|é|à|ies)|universidad|universidade|uniwersytet|univerzita|institut[eo]?"
    r"|college|school|academy|akademie|hospital|klinikum|foundation|stiftung|fondation"
    r"|ministry|ministerium|council|association|verband|society|gesellschaft|center|centre"
    r"|agentur|nachrichten|news|rédaction|redacción|redação|redazione|redactie|redaksjon"
    r"|redaktionen|redakcja|redakce|agencia|agência|agenzia|ajansı|ajans|press|presse"
    r"|gmbh|inc|ltd|llc|ag|media|online|digital|zeitung|times)\b|編集|新聞|일보|뉴스",
    re.IGNORECASE,
)
_ACRONYM = re.compile(r"^(?:[A-Z]{2,5}|[a-z]{2,4})$")
_INITIAL = re.compile(r"(?<!\S)([^\W\d_])(?=\s|$)")
_MAX_CODE = 3
_LOWER_RUN = 4  # a phrase with this many lower-case words is a description, not a name
_MAX_NAME_WORDS = 6


def choose_authors(found: AuthorCandidates) -> Byline:
    """People of the first source naming a person; organisations of the first naming anyone."""
    site = _site_keys(found)
    seen: set[str] = set()  # names of the structured sources: a guess repeating them adds nothing
    first: Byline | None = None
    for source, offered in _sources(found):
        repeated = source == found.guess_source
        entries = [(e, o) for e, o in offered if not (repeated and _key(e) in seen)]
        people, organisations = _classified(entries, site, seen)
        byline = Byline(_distinct(map(_normalised, people)), _distinct(organisations), source)
        if first is None and (people or organisations):
            first = byline
        if people:
            extra = first.organisations if first is not None else ()
            return Byline(byline.people, _distinct([*extra, *organisations]), source)
    return first or Byline()


def _classified(
    entries: Iterable[tuple[str, bool]], site: Sequence[str], seen: set[str]
) -> tuple[list[str], list[str]]:
    """People and organisations of one source's entries.

    Within an entry, what follows an organisation is not a person: a place or a
    department of it ("hessenschau.de, Frankfurt, Germany", "AFP, MANILA").
    """
    people: list[str] = []
    organisations: list[str] = []
    for entry, typed_org in entries:
        after_organisation = False
        for name in split_names(entry):
            seen.add(_key(name))
            if typed_org or _organisation(name, site):
                organisations.append(name)
                after_organisation = True
            elif not (after_organisation or _SLUG.match(name) or _initials(name)):
                people.append(name)
    return people, organisations


def split_names(entry: str) -> list[str]:
    """The names in one author entry, without roles, credentials, handles and addresses."""
    text = " ".join(_URL.sub(" ", _EMAIL.sub(" ", _PARENTHESES.sub("", entry))).split())
    names: list[str] = []
    for part in _SPLIT.split(text):
        name = _without_roles(part)
        if not name or _described(name) or _CREDENTIAL.match(name):
            continue
        names.append(_without_credentials(name))
    return [n for n in names if n]


def _initials(name: str) -> bool:
    """A staff code rather than a name: one Latin word of at most three letters ("Amw")."""
    return len(name) <= _MAX_CODE and name.isalpha() and name.isascii()


def _sources(found: AuthorCandidates) -> list[tuple[str, list[tuple[str, bool]]]]:
    return [
        ("jsonld", list(found.jsonld)),
        ("meta", [(m, False) for m in found.meta]),
        (found.guess_source, [(g, False) for g in found.guess]),
        (found.listed_source or "listed", [(a, False) for a in found.listed]),
    ]


def _without_roles(part: str) -> str:
    name = _LEADING_ROLE.sub("", part.strip(" .:-–—"))
    name = _TRAILING_HANGUL_ROLE.sub("", _TRAILING_ROLE.sub("", name))
    return name.strip(" .,:-–—")


def _described(name: str) -> bool:
    """A phrase about a person ("professor at the University of ...") rather than a name."""
    words = name.split()
    lower = sum(1 for w in words if w[:1].islower())
    return len(words) > _MAX_NAME_WORDS or lower >= _LOWER_RUN


def _without_credentials(name: str) -> str:
    """'Lauren Manaker MS' -> 'Lauren Manaker' (credentials after at least two words)."""
    words = name.split()
    while len(words) > 2 and _CREDENTIAL.match(words[-1]):
        words.pop()
    return " ".join(words)


def _organisation(name: str, site: Sequence[str]) -> bool:
    """A desk, an agency or the site itself rather than a person."""
    if _ORGANISATION_WORD.search(name) or _ACRONYM.match(name):
        return True
    key = _key(name)
    return any(key == s or (min(len(key), len(s)) >= 3 and (s in key or key in s)) for s in site)


def _site_keys(found: AuthorCandidates) -> list[str]:
    keys = [_key(n) for n in found.site_names]
    if found.host:
        labels = found.host.casefold().removeprefix("www.").split(".")
        keys += ["".join(labels), *labels[:-1]]
    return [k for k in keys if len(k) >= 2]


def _normalised(name: str) -> str:
    """Initials with a full stop; all-lower or all-capital Latin names title-cased."""
    name = _INITIAL.sub(r"\1.", name)
    letters = [ch for ch in name if ch.isalpha()]
    latin = all(unicodedata.name(ch, "").startswith("LATIN") for ch in letters)
    if latin and letters and (name.islower() or (name.isupper() and len(letters) > 3)):
        name = " ".join(_capitalised(w) for w in name.split())
    return name


def _capitalised(word: str) -> str:
    """'thomson-deveaux' -> 'Thomson-Deveaux'; particles ('van', 'de') stay lower-case."""
    if word.casefold() in {"van", "von", "de", "der", "den", "da", "di", "del", "la", "le"}:
        return word.casefold()
    return "-".join(p[:1].upper() + p[1:].casefold() for p in word.split("-"))


def _distinct(names: Iterable[str]) -> tuple[str, ...]:
    """Names in order, each once (compared by letters and digits only), the best-cased form."""
    seen: dict[str, str] = {}
    for name in names:
        key = _key(name)
        if key not in seen or _capitals(name) > _capitals(seen[key]):
            seen[key] = name
    return tuple(seen.values())


def _capitals(name: str) -> int:
    return sum(1 for word in name.split() if word[:1].isupper())


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if ch.isalnum())
