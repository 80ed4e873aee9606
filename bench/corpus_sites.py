"""Build a syndication corpus from real saved news pages: each article also served by a second site.

For every page ``<cc>/<Publisher>_<date>.html.gz`` of a fundus-style corpus
(``meta.info`` gives its URL) this module produces documents as a crawler
would meet them:

* the **original** page at its real URL;
* a **syndicated copy**: the original page re-wrapped by one of a few
  syndicating sites. The original chrome (header, nav, footer, asides,
  related-link, comment, share and cookie blocks) is removed where it holds
  no article paragraph, and the site's own chrome is added: header and nav,
  a cookie banner, a related-articles block with other stories' headlines and
  teasers, a comment thread and a legal footer. The article itself is edited
  the way syndicators do: another headline (also in ``<title>``, og:title and
  JSON-LD), another byline, one paragraph dropped or one added, and a
  tracking-laden URL on the syndicator's host. Its ``rel=canonical`` names
  its own URL, the original (cross-site, to be ignored) or nothing;
* for some copies and originals a **refetch** of the same HTML under another
  URL variant (mobile host, AMP path, fbclid, fragment, redirect chain).

``heavy=True`` edits much more: about a third of the paragraphs dropped, two
paragraphs added, words replaced in a fifth of the rest, and the lead
paragraph rewritten. Documents of one source page form one story group; every
other pair is a different story. Everything is seeded and reproducible.
"""

from __future__ import annotations

import gzip
import html as htmllib
import json
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html
from lxml.html import HtmlElement

from connectors.text.charset import decode_html

__all__ = ["Doc", "SourcePage", "build_corpus", "load_pages"]


@dataclass(frozen=True, slots=True)
class SourcePage:
    """A real saved page with its URL and the article text extracted from it."""

    name: str  # "<cc>/<file>"
    url: str
    html: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Doc:
    """One fetched document of the evaluation corpus; ``group`` names its true story."""

    doc_id: str
    group: str
    kind: str  # original | copy | refetch
    url: str
    redirects: tuple[str, ...]
    html: str


@dataclass(frozen=True, slots=True)
class _Site:
    host: str
    name: str
    sections: tuple[str, ...]
    canonical_policy: str  # own | origin | none (picked per doc; this is the site's habit)


_SITES = (
    _Site("www.newswire-daily.com", "Newswire Daily", ("world", "politics", "business"), "own"),
    _Site("m.globalreader.co.uk", "Global Reader", ("news", "europe", "economy"), "origin"),
    _Site("www.syndicate-press.net", "Syndicate Press", ("latest", "top", "regional"), "none"),
    _Site("nachrichten-portal.de", "Nachrichten Portal", ("politik", "panorama", "sport"), "own"),
    _Site("www.infomundo.com.ar", "InfoMundo", ("mundo", "actualidad", "sociedad"), "own"),
)

_CHROME_TAGS = frozenset({"header", "nav", "footer", "aside", "form"})
_CHROME_WORDS = re.compile(
    r"nav|menu|footer|sidebar|related|recommend|comment|newsletter|share|social|cookie|"
    r"consent|banner|breadcrumb|promo|advert|teaser|widget|popup|modal|subscribe|paywall",
    re.IGNORECASE,
)
_LEGAL = (
    "© {name}. All rights reserved. {name} is not responsible for the content of external "
    "sites. Reproduction in whole or in part without written permission is prohibited. "
    "Terms of use, privacy policy and cookie policy apply to every visit of this site, "
    "including the mobile and app versions. Contact the newsroom, advertise with us, "
    "careers, imprint and accessibility statement."
)
_CONSENT = (
    "We value your privacy. We and our partners use cookies and similar technologies to "
    "store and/or access information on a device, to personalise content and ads and to "
    "analyse our traffic. You can accept all cookies or manage your preferences at any time."
)
_COMMENTERS = ("mark_1987", "Anna K.", "truthseeker", "Jo from Leeds", "Pedro M.", "lena_b")
_FIRST = ("Maria", "John", "Aiko", "Lars", "Fatima", "Diego", "Chen", "Olga", "Samuel")
_LAST = ("Keller", "Okafor", "Tanaka", "Silva", "Novak", "Brennan", "Haddad", "Larsen")
_TITLE_EDITS = (
    "{title} – what we know",
    "{title}, report says",
    "UPDATE: {title}",
    "{title} (video)",
    "Explainer: {title}",
)


def load_pages(corpus: Path, extract: Callable[[str, str | None], Any]) -> list[SourcePage]:
    """Read every saved page (``.html`` or ``.html.gz``, any depth) and extract it.

    The page's URL comes from a fundus-style ``meta.info`` next to it, else
    from its own ``rel=canonical``/``og:url``, else it is made up from the
    file's path (``https://<folder>.invalid/<file>``).
    """
    pages: list[SourcePage] = []
    paths = sorted({*corpus.rglob("*.html.gz"), *corpus.rglob("*.html")})
    for path in paths:
        raw = path.read_bytes()
        html, _ = decode_html(gzip.decompress(raw) if path.suffix == ".gz" else raw)
        url = _meta_url(path)
        result = extract(html, url)
        if url is None:
            hint = result.canonical or result.og_url or ""
            stem = re.sub(r"[^a-z0-9]+", "-", path.name.lower()).strip("-")
            url = (
                hint
                if hint.startswith(("http://", "https://"))
                else (f"https://{_slug(path.parent.name) or 'corpus'}.invalid/{stem}")
            )
        name = str(path.relative_to(corpus))
        pages.append(SourcePage(name, url, html, result.title or "", result.text or ""))
    return pages


def _meta_url(path: Path) -> str | None:
    meta_path = path.parent / "meta.info"
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = meta.get(path.name, {}).get("url") if isinstance(meta, dict) else None
    return url if isinstance(url, str) and url else None


def build_corpus(
    pages: list[SourcePage], *, heavy: bool, seed: int = 20240501, refetch_share: float = 0.25
) -> list[Doc]:
    """Return originals, syndicated copies and refetch variants for every page."""
    rng = random.Random(seed)
    docs: list[Doc] = []
    for index, page in enumerate(pages):
        # The same article saved twice (same URL, fetched on two dates) is one story.
        group = page.url
        docs.append(Doc(f"{page.name}#orig", group, "original", page.url, (), page.html))
        others = [p for i, p in enumerate(pages) if i != index]
        site = _SITES[index % len(_SITES)]
        copy_html, copy_url = syndicate(page, site=site, others=others, rng=rng, heavy=heavy)
        docs.append(Doc(f"{page.name}#copy", group, "copy", copy_url, (), copy_html))
        if rng.random() < refetch_share:
            url, redirects = _variant_url(copy_url, rng)
            docs.append(
                Doc(f"{page.name}#copy-refetch", group, "refetch", url, redirects, copy_html)
            )
        if rng.random() < refetch_share / 2:
            url, redirects = _variant_url(page.url, rng)
            docs.append(
                Doc(f"{page.name}#orig-refetch", group, "refetch", url, redirects, page.html)
            )
    return docs


def syndicate(
    page: SourcePage,
    *,
    site: _Site,
    others: list[SourcePage],
    rng: random.Random,
    heavy: bool,
) -> tuple[str, str]:
    """Re-wrap a page as a syndicating site would serve it; return its HTML and URL."""
    tree = lxml.html.document_fromstring(page.html)
    body_paragraphs = _article_paragraphs(tree, page.text)
    _strip_chrome(tree, body_paragraphs)
    _strip_scripts(tree)
    title = _edited_title(page.title, rng)
    slug = _slug(title) or "article"
    section = rng.choice(site.sections)
    clean_url = f"https://{site.host}/{section}/{slug}-{rng.randrange(10**6, 10**7)}.html"
    _edit_body(tree, body_paragraphs, rng=rng, heavy=heavy)
    byline = f"By {rng.choice(_FIRST)} {rng.choice(_LAST)}, {site.name}"
    _set_head(tree, title=title, byline=byline, url=_canonical_for(site, clean_url, page, rng))
    _set_headline(tree, title, byline, keep=body_paragraphs)
    _wrap_chrome(tree, site=site, others=rng.sample(others, 6), rng=rng)
    tracking = (
        f"?utm_source={rng.choice(['twitter', 'facebook', 'newsletter'])}"
        f"&utm_medium=social&utm_campaign=syndication{rng.randrange(100)}"
    )
    return lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>"), (
        clean_url + tracking
    )


def _canonical_for(site: _Site, clean_url: str, page: SourcePage, rng: random.Random) -> str:
    policy = site.canonical_policy if rng.random() < 0.7 else rng.choice(["own", "origin", "none"])
    return {"own": clean_url, "origin": page.url, "none": ""}[policy]


def _norm(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


def _article_paragraphs(tree: HtmlElement, text: str) -> list[HtmlElement]:
    """Elements whose text is a line of the extracted article text, in document order."""
    lines = {_norm(line) for line in text.splitlines() if len(_norm(line)) >= 20}
    found: list[HtmlElement] = []
    for element in tree.iter("p", "li", "h2", "h3", "blockquote", "div"):
        if element.tag == "div" and any(child.tag in {"p", "div"} for child in element):
            continue
        if _norm(element.text_content()) in lines and not any(
            ancestor in found for ancestor in element.iterancestors()
        ):
            found.append(element)
    if len(found) * 2 >= len(lines):
        return found
    # Lines not in elements of their own (text split by <br>, odd markup): keep the
    # smallest element holding the first and the last line as one block.
    ordered = [_norm(line) for line in text.splitlines() if len(_norm(line)) >= 20]
    container = None
    for element in tree.iter():
        if isinstance(element.tag, str) and ordered:
            content = _norm(element.text_content())
            if ordered[0] in content and ordered[-1] in content:
                container = element
    return [container] if container is not None and container.tag not in {"html", "body"} else found


def _strip_chrome(tree: HtmlElement, keep: list[HtmlElement]) -> None:
    """Remove the original site's chrome, except blocks that hold article paragraphs."""
    protected = set()
    for element in keep:
        protected.add(element)
        protected.update(element.iterancestors())
    body = tree.find("body")
    if body is None:
        return
    doomed = []
    for element in body.iterdescendants():
        if not isinstance(element.tag, str) or element in protected:
            continue
        marker = f"{element.get('class', '')} {element.get('id', '')} {element.get('role', '')}"
        if element.tag in _CHROME_TAGS or _CHROME_WORDS.search(marker):
            doomed.append(element)
    for element in doomed:
        if element.getparent() is not None and not any(
            ancestor in doomed for ancestor in element.iterancestors()
        ):
            element.drop_tree()


def _strip_scripts(tree: HtmlElement) -> None:
    for element in list(tree.iter("script", "noscript", "iframe")):
        element.drop_tree()
    for element in list(tree.iter("link", "meta")):
        rel = (element.get("rel") or "").lower()
        prop = (element.get("property") or element.get("name") or "").lower()
        if rel in {"canonical", "amphtml", "alternate"} or prop.startswith(
            ("og:", "twitter:", "article:", "author", "title", "description")
        ):
            element.drop_tree()


def _edited_title(title: str, rng: random.Random) -> str:
    words = title.split()
    if len(words) > 4:
        del words[rng.randrange(1, len(words))]
    return rng.choice(_TITLE_EDITS).format(title=" ".join(words) or "Untitled")


def _slug(title: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", _norm(title).encode("ascii", "ignore").decode()))[:60]


def _filler(words: list[str], rng: random.Random, length: int) -> str:
    """A sentence from the article's own vocabulary: same language, no shared 5-grams."""
    picked = [rng.choice(words) for _ in range(length)] if words else ["lorem"] * length
    return " ".join(picked).capitalize() + "."


def _edit_body(
    tree: HtmlElement, paragraphs: list[HtmlElement], *, rng: random.Random, heavy: bool
) -> None:
    vocabulary = [w for p in paragraphs for w in p.text_content().split() if w.isalpha()]
    if not paragraphs:
        return
    if len(paragraphs) < 3:  # one block of text: only additions can be made safely
        for _ in range(2 if heavy else 1):
            _insert_after(paragraphs[-1], _filler(vocabulary, rng, 35 if heavy else 18))
        return
    if heavy:
        rest = paragraphs[1:]
        for element in rng.sample(rest, k=len(rest) // 3):
            element.drop_tree()
            paragraphs.remove(element)
        _replace_text(paragraphs[0], _filler(vocabulary, rng, 30))
        for element in paragraphs[1:]:
            if rng.random() < 0.2:
                _replace_words(element, rng)
        for _ in range(2):
            _insert_after(rng.choice(paragraphs), _filler(vocabulary, rng, 35))
        return
    if len(paragraphs) > 2 and rng.random() < 0.5:
        victim = rng.choice(paragraphs[1:])
        victim.drop_tree()
        paragraphs.remove(victim)
    else:
        _insert_after(rng.choice(paragraphs), _filler(vocabulary, rng, 18))


def _replace_text(element: HtmlElement, text: str) -> None:
    for child in list(element):
        element.remove(child)
    element.text = text


def _replace_words(element: HtmlElement, rng: random.Random) -> None:
    words = element.text_content().split()
    if not words:
        return
    for _ in range(max(1, len(words) // 15)):
        words[rng.randrange(len(words))] = rng.choice(["reportedly", "officials", "new", "local"])
    _replace_text(element, " ".join(words))


def _insert_after(element: HtmlElement, text: str) -> None:
    new = lxml.html.Element("p")
    new.text = text
    element.addnext(new)


def _set_head(tree: HtmlElement, *, title: str, byline: str, url: str) -> None:
    head = tree.find("head")
    if head is None:
        head = lxml.html.Element("head")
        tree.insert(0, head)
    for old in head.findall("title"):
        old.drop_tree()
    fragments = [
        f"<title>{htmllib.escape(title)}</title>",
        f'<meta property="og:title" content="{htmllib.escape(title)}">',
        f'<meta name="author" content="{htmllib.escape(byline)}">',
    ]
    if url:
        fragments.append(f'<link rel="canonical" href="{htmllib.escape(url)}">')
        fragments.append(f'<meta property="og:url" content="{htmllib.escape(url)}">')
    ld: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": title,
        "author": {"@type": "Person", "name": byline.removeprefix("By ").split(",")[0]},
    }
    fragments.append(f'<script type="application/ld+json">{json.dumps(ld)}</script>')
    for fragment in fragments:
        head.append(lxml.html.fragment_fromstring(fragment))


def _set_headline(tree: HtmlElement, title: str, byline: str, *, keep: list[HtmlElement]) -> None:
    headline = next(tree.iter("h1"), None)
    if headline is None:
        body = tree.find("body")
        if body is None:
            return
        headline = lxml.html.Element("h1")
        body.insert(0, headline)
    _replace_text(headline, title)
    protected = {ancestor for element in keep for ancestor in element.iterancestors()}
    protected.update(keep)
    for element in list(tree.iter()):
        marker = (
            f"{element.get('class', '')} {element.get('itemprop', '')} {element.get('rel', '')}"
        )
        if (
            isinstance(element.tag, str)
            and element not in protected
            and element.getparent() is not None
            and re.search(r"author|byline", marker, re.I)
        ):
            element.drop_tree()
    credit = lxml.html.Element("p", {"class": "byline"})
    credit.text = byline
    headline.addnext(credit)


def _wrap_chrome(
    tree: HtmlElement, *, site: _Site, others: list[SourcePage], rng: random.Random
) -> None:
    body = tree.find("body")
    if body is None:
        return
    nav = "".join(
        f'<li><a href="https://{site.host}/{section}/">{section.title()}</a></li>'
        for section in (*site.sections, "opinion", "culture", "weather", "video")
    )
    header = (
        f'<header class="site-header"><a class="logo" href="https://{site.host}/">{site.name}</a>'
        f'<nav class="main-nav"><ul>{nav}</ul></nav></header>'
        f'<div class="cookie-banner"><p>{_CONSENT}</p><button>Accept all</button></div>'
    )
    related = "".join(
        f'<li><a href="https://{site.host}/news/{_slug(o.title)}.html">{htmllib.escape(o.title)}'
        f"</a><p>{htmllib.escape(' '.join(o.text.split()[:20]))}</p></li>"
        for o in others
    )
    comments = "".join(
        f'<div class="comment"><span class="user">{rng.choice(_COMMENTERS)}</span>'
        f"<p>{htmllib.escape(_comment(rng))}</p></div>"
        for _ in range(3)
    )
    footer = (
        f'<aside class="related"><h2>More from {site.name}</h2><ul>{related}</ul></aside>'
        f'<section class="comments"><h2>Comments</h2>{comments}</section>'
        f'<footer class="site-footer"><p>{_LEGAL.format(name=site.name)}</p></footer>'
    )
    for fragment in reversed(lxml.html.fragments_fromstring(header)):
        body.insert(0, fragment)
    for fragment in lxml.html.fragments_fromstring(footer):
        body.append(fragment)


def _comment(rng: random.Random) -> str:
    return rng.choice(
        (
            "Finally someone reports on this. Shared it with my family.",
            "This is exactly what happens when nobody is held accountable.",
            "Great article, but the headline is misleading in my opinion.",
            "Does anyone know where to find the original statement?",
            "I have been saying this for years and nobody listened.",
        )
    )


def _variant_url(url: str, rng: random.Random) -> tuple[str, tuple[str, ...]]:
    """Another URL under which the same page is fetched, and the redirect chain that led there."""
    match = re.match(r"(https?)://([^/?#]+)([^?#]*)(\?[^#]*)?", url)
    if match is None:
        return url, ()
    scheme, host, path, query = match.groups()
    # Keep the page's own parameters (an article id may live there); drop tracking ones.
    kept = "&".join(p for p in (query or "?")[1:].split("&") if p and not p.startswith("utm_"))
    joiner = f"?{kept}&" if kept else "?"
    bare = host.removeprefix("www.").removeprefix("m.")
    choice = rng.randrange(4)
    if choice == 0:
        return f"{scheme}://m.{bare}{path}{joiner}fbclid=IwAR{rng.randrange(10**9)}", ()
    if choice == 1:
        amp_path = path.rstrip("/") + "/amp"
        amp_url = f"https://{host}{amp_path}" + (f"?{kept}" if kept else "")
        return amp_url, (f"http://{host.upper()}:80{path}" + (f"?{kept}" if kept else ""),)
    if choice == 2:
        short = f"https://t.co/{rng.randrange(10**8):x}"
        return f"{scheme}://{host}{path}{joiner}gclid={rng.randrange(10**9)}#comments", (short,)
    return f"{scheme}://www.{bare}{path}{joiner}mc_cid={rng.randrange(10**6)}&mc_eid=abc", ()
