"""What a page states about itself: canonical link, og:url, dates and language.

Read from the page's own structured data, JSON-LD first and ``<meta>`` tags
second, because a publisher's CMS writes them on purpose; trafilatura's
guesses and the feed's hints only fill what is missing (see ``clean``).
Dates follow :mod:`flows.extract.dating`: no zone, no time of day.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml.html import HtmlElement

from flows.extract.dating import parse_timestamp
from flows.extract.records import DatedValue

__all__ = ["PageMeta", "clean_str", "language_code", "page_meta"]

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
_MAX_LD_DEPTH = 4  # lists and @graph nest; deeper than this is not an article description


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What a page states about itself in JSON-LD, <meta> and <link> elements."""

    canonical: str | None = None
    og_url: str | None = None
    published: DatedValue | None = None
    modified: DatedValue | None = None
    language: str | None = None


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
        og_url=clean_str(metas.get("og:url")),
        published=published,
        modified=modified,
        language=language_code(lang_ld or tree.get("lang") or metas.get("og:locale")),
    )


def language_code(raw: str | None) -> str | None:
    """The ISO 639 code a language tag starts with, lower-cased ("de-DE" -> "de")."""
    if not raw:
        return None
    match = _LANG.match(raw.strip())
    return match.group(0).lower() if match else None


def clean_str(value: object) -> str | None:
    """A metadata string with its whitespace collapsed; None for empty or non-strings."""
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


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
            return clean_str(element.get("href"))
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
    if depth > _MAX_LD_DEPTH:
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
