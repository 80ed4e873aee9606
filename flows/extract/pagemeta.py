"""What a page states about itself: canonical link, og:url, dates, language and title candidates.

Read from the page's own structured data, JSON-LD first and ``<meta>`` tags
second, because a publisher's CMS writes them on purpose; trafilatura's
guesses and the feed's hints only fill what is missing (see ``clean``).
Dates follow :mod:`flows.extract.dating`: no zone, no time of day. Every
title the page offers, and every name it gives itself, is collected here and
reconciled by :mod:`flows.extract.titles`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from flows.extract.authors import AuthorCandidates
from flows.extract.dating import parse_timestamp
from flows.extract.records import DatedValue
from flows.extract.titles import TitleCandidates, tidy

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
_SITE_TYPES = {"website", "organization", "newsmediaorganization"}
_ORGANISATION_TYPES = ("organization", "organisation", "corporation", "brand", "website")
_AUTHOR_META = ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author")
_SITE_META = ("og:site_name", "application-name", "twitter:site", "publisher")
_MAX_H1 = 3  # a page's first <h1> elements are title candidates; later ones are teasers
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
    titles: TitleCandidates = field(default_factory=TitleCandidates)
    page_title: str | None = None  # the <title> element (else og:title), as the page states it
    authors: AuthorCandidates = field(default_factory=AuthorCandidates)


def page_meta(tree: HtmlElement, url: str | None = None) -> PageMeta:
    """Read canonical URL, og:url, dates, language and title candidates the page states."""
    metas = _meta_tags(tree)
    objects = list(_ld_objects(tree))
    ld = [o for o in objects if _types(o) & _ARTICLE_TYPES]
    published = _first_date(
        [(str(o.get("datePublished")), "jsonld") for o in ld if o.get("datePublished")]
        + [(metas[k], "meta") for k in _PUBLISHED_META if k in metas]
    )
    modified = _first_date(
        [(str(o.get("dateModified")), "jsonld") for o in ld if o.get("dateModified")]
        + [(metas[k], "meta") for k in _MODIFIED_META if k in metas]
    )
    lang_ld = next((str(o["inLanguage"]) for o in ld if isinstance(o.get("inLanguage"), str)), None)
    titles = _title_candidates(tree, metas, objects, url)
    return PageMeta(
        canonical=_link_canonical(tree),
        og_url=clean_str(metas.get("og:url")),
        published=published,
        modified=modified,
        language=language_code(lang_ld or tree.get("lang") or metas.get("og:locale")),
        titles=titles,
        page_title=titles.html_title or titles.og,
        authors=AuthorCandidates(
            jsonld=tuple(e for o in ld for e in _ld_authors(o.get("author"), 0)),
            meta=_strings(metas.get(k) for k in _AUTHOR_META),
            site_names=titles.site_names,
            host=titles.host,
        ),
    )


def _ld_authors(value: object, depth: int) -> Iterator[tuple[str, bool]]:
    """(name, typed as an organisation) of each JSON-LD author entry."""
    for item in _flat(value, depth):
        if not isinstance(item, dict):
            if text := tidy(item):
                yield text, False
        elif isinstance(name := item.get("name"), (list, dict)):
            yield from _ld_authors(name, depth + 1)
        elif text := tidy(name):
            yield text, any(t.endswith(_ORGANISATION_TYPES) for t in _types(item))


def _title_candidates(
    tree: HtmlElement, metas: dict[str, str], objects: list[dict[str, Any]], url: str | None
) -> TitleCandidates:
    """Every title the page offers and every name it gives itself."""
    articles = sorted(
        (o for o in objects if _types(o) & _ARTICLE_TYPES), key=lambda o: "webpage" in _types(o)
    )
    head_title = tree.find(".//head//title")
    return TitleCandidates(
        jsonld=_strings(o.get("headline") for o in articles),
        og=tidy(metas.get("og:title")),
        twitter=tidy(metas.get("twitter:title")),
        html_title=tidy(head_title.text_content()) if head_title is not None else None,
        h1=_strings(h.text_content() for h in tree.iter("h1"))[:_MAX_H1],
        site_names=_site_names(metas, objects, articles),
        host=urlsplit(url).hostname if url else None,
    )


def _site_names(
    metas: dict[str, str], objects: list[dict[str, Any]], articles: list[dict[str, Any]]
) -> tuple[str, ...]:
    """The names a page gives its site: meta tags, JSON-LD publishers and WebSite objects."""
    names: list[object] = [metas.get(k, "").lstrip("@") for k in _SITE_META]
    for article in articles:
        publishers = article.get("publisher")
        for publisher in publishers if isinstance(publishers, list) else [publishers]:
            if isinstance(publisher, dict):
                names.append(publisher.get("name"))
    names += [o.get("name") for o in objects if _types(o) & _SITE_TYPES]
    return _strings(names)


def _strings(values: Iterable[object]) -> tuple[str, ...]:
    """The distinct tidy strings among ``values``, in order."""
    return tuple(dict.fromkeys(t for t in (tidy(v) for v in values) if t))


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


def _ld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """JSON-LD objects of the page (top level, lists and @graph)."""
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except (ValueError, RecursionError):
            continue
        yield from _objects(data, depth=0)


def _objects(data: object, depth: int) -> Iterator[dict[str, Any]]:
    for item in _flat(data, depth):
        if isinstance(item, dict):
            yield item
            if "@graph" in item:
                yield from _objects(item["@graph"], depth + 1)


def _flat(value: object, depth: int) -> Iterator[object]:
    """``value``, or the items of its nested lists, down to the depth an article needs."""
    if depth > _MAX_LD_DEPTH:
        return
    if isinstance(value, list):
        for item in value:
            yield from _flat(item, depth + 1)
    else:
        yield value


def _types(data: dict[str, Any]) -> set[str]:
    """The lower-cased @type names of a JSON-LD object."""
    types = data.get("@type")
    return {str(t).lower() for t in (types if isinstance(types, list) else [types])}


def _first_date(candidates: list[tuple[str, str]]) -> DatedValue | None:
    for raw, source in candidates:
        parsed = parse_timestamp(raw, source)
        if parsed is not None:
            return parsed
    return None
