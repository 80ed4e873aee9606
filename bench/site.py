"""A synthetic news site (several hosts) on 127.0.0.x, or real saved pages served the same way.

``generate`` writes, deterministically from a seed, a set of news sites into
a folder (never the repository): article pages of 50-300 KB each (head with
meta tags, JSON-LD, inline CSS and a large JSON state script; header with a
long nav; ad slots; the article with byline, figure, subheads and "read
also" boxes; tags and share buttons; related links; most-read list;
newsletter form; a comment thread; a footer), RSS feeds per section, a
sitemap index with child sitemaps (with ``<lastmod>``) and robots.txt. A
share of the articles is syndicated: a near-copy (another headline and
byline, a paragraph dropped or added, the other site's chrome) is published
on a second site. ``from_corpus`` does the same with real saved pages (a
fundus-style folder of ``*.html.gz``), cycling them (with a marker comment,
so every copy has its own bytes) when more pages are asked for than exist.

Each site is its own host: site *i* is served on ``127.0.0.(i+1)`` at one
common port (the whole 127/8 is loopback on Linux), so the fetcher's per-host
politeness, robots.txt and identity rules see several hosts.

``python -m bench.site serve DIR`` serves a generated folder with a small
asyncio HTTP/1.1 server (keep-alive, pre-gzipped bodies sent as
``Content-Encoding: gzip``, ETag/Last-Modified with 304 answers). It prints
``ready`` once listening. ``/__bench/stats`` returns its counters as JSON and
``/__bench/mode?validators=0`` makes feeds and sitemaps ignore conditional
requests (as many dynamic sites do), so a rerun sees every URL again.
The counters include the ``time.time()`` of the first request and of the
first and last article page requests (a client's start-up and tail, seen
from outside); ``/__bench/reset`` starts them again.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import gzip
import hashlib
import json
import math
import os
import random
import re
import signal
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "Manifest",
    "SiteInfo",
    "free_port",
    "from_corpus",
    "generate",
    "load_manifest",
    "page_files",
]

GENERATOR_VERSION = 1
EPOCH = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)  # fixed: the same seed gives the same bytes
ARTICLES_PER_SITEMAP = 1000
FEED_ITEMS = 40
_GZIP_LEVEL = 6

_FUNCTION_WORDS = (
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "on", "was", "with", "said",
    "as", "at", "by", "it", "from", "his", "her", "their", "which", "has", "have", "be",
    "are", "were", "not", "but", "this", "after", "more", "than", "about", "its", "an",
    "who", "will", "would", "also", "year", "new", "people", "government", "city", "police",
    "minister", "president", "officials", "report", "week", "country", "state", "company",
)  # fmt: skip
_SYLLABLES = (
    "ka", "lo", "mer", "tan", "vi", "sor", "en", "dal", "ri", "mon", "tes", "pa", "lun",
    "gor", "be", "nis", "ul", "tra", "fe", "kor", "im", "sal", "dre", "o", "ha", "ven",
    "qua", "li", "sto", "mar", "ne", "gal", "tur", "pre", "sen", "do", "ran", "cel", "wy",
)  # fmt: skip
_FIRST = ("Maria", "John", "Aiko", "Lars", "Fatima", "Diego", "Chen", "Olga", "Samuel", "Ines")
_LAST = ("Keller", "Okafor", "Tanaka", "Silva", "Novak", "Brennan", "Haddad", "Larsen", "Moreau")
_USERS = ("mark_1987", "Anna K.", "truthseeker", "Jo from Leeds", "Pedro M.", "lena_b", "oldtimer")
_LEGAL = (
    "© {name}. All rights reserved. Reproduction in whole or in part without written "
    "permission is prohibited. Terms of use, privacy policy and cookie policy apply."
)
_CONSENT = (
    "We and our partners use cookies to store and access information on a device, to "
    "personalise content and ads and to analyse our traffic. Accept all or manage choices."
)


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """One generated site: its host, name, sections and the URLs a sources file needs."""

    index: int
    host: str  # 127.0.0.N
    name: str
    sections: tuple[str, ...]
    sitemap_url: str
    feed_urls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a generated folder holds (written as manifest.json beside the files)."""

    seed: int
    pages: int
    port: int
    kind: str  # synthetic | corpus
    sites: tuple[SiteInfo, ...]
    page_bytes: int  # decoded bytes of all article pages
    originals: int
    copies: int
    generator: int = GENERATOR_VERSION
    corpus: str | None = None


@dataclass(slots=True)
class _Article:
    """One story as generated: the original and, for some, the syndicated copy."""

    number: int
    site: int
    section: str
    published: datetime
    title: str
    description: str
    author: str
    paragraphs: list[str]
    subheads: dict[int, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- text


class _Text:
    """Pseudo-language text from a Zipf-weighted vocabulary (cheap, deterministic)."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"vocabulary:{seed}")
        words = set(_FUNCTION_WORDS)
        while len(words) < 6000:
            words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))))
        ordered = list(_FUNCTION_WORDS) + sorted(words - set(_FUNCTION_WORDS))
        self.words = ordered
        weights = [1.0 / (rank + 2) ** 1.05 for rank in range(len(ordered))]
        total = 0.0
        self.cumulative = []
        for weight in weights:
            total += weight
            self.cumulative.append(total)

    def words_of(self, rng: random.Random, count: int) -> list[str]:
        """``count`` words drawn by frequency."""
        return rng.choices(self.words, cum_weights=self.cumulative, k=count)

    def sentence(self, rng: random.Random, low: int = 8, high: int = 28) -> str:
        """One sentence with a capital and a full stop."""
        words = self.words_of(rng, rng.randint(low, high))
        if len(words) > 6 and rng.random() < 0.4:
            words[rng.randrange(2, len(words) - 2)] += ","
        text = " ".join(words)
        return text[0].upper() + text[1:] + rng.choice(".....?")

    def paragraph(self, rng: random.Random) -> str:
        """Two to five sentences."""
        return " ".join(self.sentence(rng) for _ in range(rng.randint(2, 5)))

    def title(self, rng: random.Random) -> str:
        """A headline of six to twelve capitalised words."""
        return " ".join(w.capitalize() for w in self.words_of(rng, rng.randint(6, 12)))


# --------------------------------------------------------------------------- site chrome


@dataclass(frozen=True, slots=True)
class _Chrome:
    """The per-site template parts that every page of a site shares."""

    css: str
    nav: str
    svg: str
    footer: str


def _site_names(count: int) -> list[tuple[str, tuple[str, ...]]]:
    base = [
        ("The Daily Meridian", ("world", "politics", "business", "science", "sport", "culture")),
        ("Northern Courier", ("news", "europe", "economy", "technology", "football", "arts")),
        ("Harbour Times", ("local", "nation", "markets", "health", "sports", "opinion")),
        ("Valley Gazette", ("region", "politics", "money", "climate", "games", "lifestyle")),
    ]
    return [
        (base[i % len(base)][0] + ("" if i < len(base) else f" {i}"), base[i % len(base)][1])
        for i in range(count)
    ]


def _chrome(site: SiteInfo, seed: int) -> _Chrome:
    rng = random.Random(f"chrome:{seed}:{site.index}")
    rules = []
    for i in range(rng.randint(250, 500)):
        rules.append(
            f".c{site.index}-{i} .el-{rng.randrange(999)}>a:hover{{margin:{rng.randrange(40)}px "
            f"{rng.randrange(40)}px;padding:{rng.randrange(20)}px;color:#{rng.randrange(16**6):06x};"
            f"font:{rng.randrange(10, 30)}px/1.{rng.randrange(9)} Georgia,serif;"
            f"transition:all .{rng.randrange(9)}s ease-in-out}}"
        )
    css = "\n".join(rules)
    groups = []
    for section in site.sections:
        subs = "".join(
            f'<li class="nav-sub-item"><a href="/{section}/{sub}/" data-track="nav-{section}-{sub}">'
            f"{sub.title()}</a></li>"
            for sub in (f"{section}-{k}" for k in range(rng.randint(10, 25)))
        )
        groups.append(
            f'<li class="nav-item has-children"><a href="/{section}/">{section.title()}</a>'
            f'<ul class="nav-sub">{subs}</ul></li>'
        )
    nav = (
        '<nav class="main-nav" aria-label="Main"><ul class="nav-list">'
        + "".join(groups)
        + "</ul></nav>"
    )
    icons = "".join(
        f'<symbol id="icon-{i}" viewBox="0 0 24 24"><path d="'
        + " ".join(
            f"M{rng.randrange(24)} {rng.randrange(24)}L{rng.randrange(24)} {rng.randrange(24)}"
            for _ in range(12)
        )
        + '"/></symbol>'
        for i in range(30)
    )
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" style="display:none">{icons}</svg>'
    columns = "".join(
        f'<div class="footer-col"><h4>{title}</h4><ul>'
        + "".join(f'<li><a href="/{title.lower()}/{k}">{title} {k}</a></li>' for k in range(8))
        + "</ul></div>"
        for title in ("About", "Services", "Subscribe", "Contact", "Legal", "Apps")
    )
    footer = (
        f'<footer class="site-footer">{columns}<p class="legal">'
        f"{_LEGAL.format(name=site.name)}</p></footer>"
    )
    return _Chrome(css=css, nav=nav, svg=svg, footer=footer)


# --------------------------------------------------------------------------- articles


def _article_url(site: SiteInfo, port: int, art: _Article, *, copy: bool = False) -> str:
    slug = "-".join(re.findall(r"[a-z0-9]+", art.title.lower())[:6])
    day = art.published.strftime("%Y/%m/%d")
    suffix = f"{art.number}c" if copy else str(art.number)
    return f"http://{site.host}:{port}/{art.section}/{day}/{slug}-{suffix}.html"


def _make_article(
    text: _Text, seed: int, number: int, site: int, sections: Sequence[str]
) -> _Article:
    rng = random.Random(f"article:{seed}:{number}")
    count = max(4, min(30, int(rng.lognormvariate(2.3, 0.45))))
    paragraphs = [text.paragraph(rng) for _ in range(count)]
    subheads = {i: text.title(rng) for i in range(3, count, rng.randint(4, 7))}
    published = EPOCH - timedelta(minutes=number * 7 + rng.randrange(7))
    return _Article(
        number=number,
        site=site,
        section=rng.choice(sections),
        published=published,
        title=text.title(rng),
        description=text.sentence(rng, 14, 30),
        author=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
        paragraphs=paragraphs,
        subheads=subheads,
    )


def _syndicated(
    art: _Article, text: _Text, seed: int, site: int, sections: Sequence[str]
) -> _Article:
    """The near-copy another site publishes: new headline and byline, one paragraph changed."""
    rng = random.Random(f"copy:{seed}:{art.number}")
    paragraphs = list(art.paragraphs)
    if len(paragraphs) > 4 and rng.random() < 0.5:
        del paragraphs[rng.randrange(1, len(paragraphs))]
    else:
        paragraphs.insert(rng.randrange(1, len(paragraphs)), text.paragraph(rng))
    title = rng.choice(("{t} – what we know", "UPDATE: {t}", "{t}, report says", "Explainer: {t}"))
    return _Article(
        number=art.number,
        site=site,
        section=rng.choice(sections),
        published=art.published + timedelta(minutes=rng.randrange(20, 240)),
        title=title.format(t=art.title),
        description=art.description,
        author=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
        paragraphs=paragraphs,
        subheads=dict(art.subheads),
    )


def _esc(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _render(
    art: _Article,
    *,
    site: SiteInfo,
    chrome: _Chrome,
    url: str,
    canonical: str,
    text: _Text,
    target_bytes: int,
    seed: int,
    copy: bool,
) -> str:
    rng = random.Random(f"render:{seed}:{art.number}:{int(copy)}")
    published = art.published.isoformat()
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": art.title,
            "datePublished": published,
            "dateModified": published,
            "author": [{"@type": "Person", "name": art.author}],
            "publisher": {"@type": "Organization", "name": site.name},
            "mainEntityOfPage": canonical,
            "articleSection": art.section,
        }
    )
    head = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_esc(art.title)} | {_esc(site.name)}</title>"
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="description" content="{_esc(art.description)}">'
        f'<meta property="og:type" content="article"><meta property="og:title" content="{_esc(art.title)}">'
        f'<meta property="og:url" content="{canonical}"><meta property="og:site_name" content="{_esc(site.name)}">'
        f'<meta property="article:published_time" content="{published}">'
        f'<meta name="author" content="{_esc(art.author)}">'
        f'<meta name="twitter:card" content="summary_large_image">'
        f'<link rel="canonical" href="{canonical}">'
        f'<link rel="alternate" type="application/rss+xml" href="{site.feed_urls[0]}">'
        f'<script type="application/ld+json">{ld}</script>'
        f"<style>{chrome.css}</style>"
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
        "gtag('js',new Date());gtag('config','G-BENCH');</script></head>"
    )
    header = (
        f'<body class="article-page section-{art.section}">{chrome.svg}'
        f'<div class="cookie-banner" role="dialog"><p>{_CONSENT}</p><button>Accept all</button>'
        "<button>Manage</button></div>"
        f'<header class="site-header"><a class="logo" href="/">{_esc(site.name)}</a>{chrome.nav}'
        f'<div class="ticker"><span>Breaking</span><ul>'
        + "".join(f'<li><a href="/live/{k}">{_esc(text.title(rng))}</a></li>' for k in range(5))
        + "</ul></div></header>"
    )
    body = [
        f'<main id="content"><article class="story"><header class="story-head">'
        f'<ul class="breadcrumb"><li><a href="/">Home</a></li><li><a href="/{art.section}/">'
        f'{art.section.title()}</a></li></ul><h1 class="headline">{_esc(art.title)}</h1>'
        f'<p class="standfirst">{_esc(art.description)}</p>'
        f'<div class="byline">By <a rel="author" href="/authors/{art.author.lower().replace(" ", "-")}">'
        f'{_esc(art.author)}</a>, {_esc(site.name)} <time datetime="{published}">'
        f"{art.published:%d %B %Y, %H:%M}</time></div></header>"
        f'<figure class="lead-image"><img src="/img/{art.number}.jpg" alt="{_esc(art.title)}" '
        f'width="1200" height="675"><figcaption>{_esc(text.sentence(rng, 6, 14))} '
        f"Photo: {_esc(rng.choice(_FIRST))} {_esc(rng.choice(_LAST))}</figcaption></figure>"
        '<div class="story-body">'
    ]
    for i, paragraph in enumerate(art.paragraphs):
        if i in art.subheads:
            body.append(f"<h2>{_esc(art.subheads[i])}</h2>")
        body.append(f"<p>{_inline(rng, paragraph)}</p>")
        if i == 2:
            body.append(_ad(rng, "inline"))
        if i > 0 and i % 6 == 0:
            body.append(
                '<aside class="read-also"><strong>Read also</strong><ul>'
                + "".join(
                    f'<li><a href="/{art.section}/{rng.randrange(10**6)}.html">'
                    f"{_esc(text.title(rng))}</a></li>"
                    for _ in range(3)
                )
                + "</ul></aside>"
            )
    tags = "".join(
        f'<li><a href="/tag/{w}">{w}</a></li>' for w in text.words_of(rng, rng.randint(5, 14))
    )
    body.append(
        f'</div><footer class="story-foot"><ul class="tags">{tags}</ul><div class="share">'
        + "".join(
            f'<a class="share-{n}" href="#share-{n}"><svg><use href="#icon-{k}"/></svg>{n}</a>'
            for k, n in enumerate(("Facebook", "X", "Email", "WhatsApp", "Copy link"))
        )
        + "</div></footer></article>"
    )
    body.append(_related(rng, text, art))
    body.append(_comments(rng, text))
    body.append(_teasers(rng, text, "Latest news", rng.randint(10, 40)))
    body.append("</main>")
    body.append(_sidebar(rng, text))
    body.append(_teasers(rng, text, "Around the site", rng.randint(8, 30)))
    tail = f"{chrome.footer}<script>{_analytics(rng)}</script>"
    page = head + header + "".join(body) + tail
    state = _state_blob(rng, text, art, max(2000, target_bytes - len(page) - 60))
    return page + f'<script id="__STATE__" type="application/json">{state}</script></body></html>'


def _inline(rng: random.Random, paragraph: str) -> str:
    """A paragraph with the links and emphasis real article text carries."""
    words = _esc(paragraph).split(" ")
    for _ in range(rng.randint(0, 4)):
        k = rng.randrange(len(words))
        tag = rng.choice(("a", "a", "strong", "em"))
        attrs = f' href="/topic/{rng.randrange(10**5)}"' if tag == "a" else ""
        words[k] = f"<{tag}{attrs}>{words[k]}</{tag}>"
    return " ".join(words)


def _wrap(html: str, rng: random.Random, name: str, depth: int) -> str:
    """Nest a block in layout divs, as page builders and CSS grids do."""
    for level in range(depth):
        html = f'<div class="{name}-l{level} grid-{rng.randrange(12)} col" data-v="{rng.randrange(99)}">{html}</div>'
    return html


def _teasers(rng: random.Random, text: _Text, title: str, count: int) -> str:
    """A grid of teaser cards (image, kicker, headline, summary, meta)."""
    cards = "".join(
        _wrap(
            f'<a class="card-link" href="/story/{rng.randrange(10**7)}.html"><div class="card-media">'
            f'<picture><source srcset="/img/{rng.randrange(10**6)}.webp"><img src="/img/x.jpg" alt="">'
            f'</picture></div><div class="card-body"><span class="kicker">{_esc(text.title(rng)[:20])}</span>'
            f'<h3 class="card-title">{_esc(text.title(rng))}</h3><p>{_esc(text.sentence(rng, 8, 16))}</p>'
            f'<span class="meta"><time>{rng.randrange(1, 23)} h</time><span>{rng.randrange(99)} comments</span>'
            "</span></div></a>",
            rng,
            "card",
            2,
        )
        for _ in range(count)
    )
    return _wrap(f'<section class="teasers"><h2>{title}</h2>{cards}</section>', rng, "block", 3)


def _ad(rng: random.Random, kind: str) -> str:
    slot = rng.randrange(10**6)
    return (
        f'<div class="ad ad-{kind}" id="ad-slot-{slot}" data-ad-unit="/1234/news/{kind}">'
        '<span class="ad-label">Advertisement</span>'
        f'<iframe title="ad" src="about:blank" width="300" height="250" data-slot="{slot}"></iframe>'
        "</div>"
    )


def _related(rng: random.Random, text: _Text, art: _Article) -> str:
    items = "".join(
        f'<li class="teaser"><a href="/{art.section}/{rng.randrange(10**6)}.html">'
        f'<img src="/img/t{rng.randrange(10**6)}.jpg" alt=""><h3>{_esc(text.title(rng))}</h3></a>'
        f"<p>{_esc(text.sentence(rng, 10, 20))}</p></li>"
        for _ in range(rng.randint(6, 14))
    )
    sponsored = "".join(
        f'<li class="sponsored"><a href="https://ads.example/{rng.randrange(10**6)}">'
        f"{_esc(text.title(rng))}</a><span>Sponsored</span></li>"
        for _ in range(rng.randint(3, 6))
    )
    return (
        f'<section class="related"><h2>More on this story</h2><ul>{items}</ul></section>'
        f'{_ad(rng, "billboard")}<section class="promoted"><h2>Promoted stories</h2>'
        f"<ul>{sponsored}</ul></section>"
    )


def _comments(rng: random.Random, text: _Text) -> str:
    count = rng.choice((0, 0, rng.randint(1, 8), rng.randint(5, 30), rng.randint(20, 60)))
    parts = []
    for k in range(count):
        replies = "".join(
            f'<li class="comment reply"><span class="user">{rng.choice(_USERS)}</span>'
            f"<p>{_esc(text.sentence(rng, 5, 18))}</p></li>"
            for _ in range(rng.choice((0, 0, 1, 2)))
        )
        parts.append(
            f'<li class="comment" id="c{k}"><div class="meta"><span class="user">'
            f"{rng.choice(_USERS)}</span><time>{rng.randrange(1, 59)} min ago</time></div>"
            f"<p>{_esc(text.sentence(rng))} {_esc(text.sentence(rng))}</p>"
            f'<button class="like">Like</button><button>Reply</button>'
            f'<ul class="replies">{replies}</ul></li>'
        )
    return (
        f'<section class="comments" id="comments"><h2>Comments ({count})</h2>'
        f'<form class="comment-form"><textarea name="c"></textarea><button>Post</button></form>'
        f'<ol class="comment-list">{"".join(parts)}</ol></section>'
    )


def _sidebar(rng: random.Random, text: _Text) -> str:
    most = "".join(
        f'<li><a href="/popular/{rng.randrange(10**6)}.html"><span class="rank">{k}</span>'
        f"{_esc(text.title(rng))}</a></li>"
        for k in range(1, 11)
    )
    return (
        f'<aside class="sidebar">{_ad(rng, "mpu")}<section class="most-read"><h2>Most read</h2>'
        f'<ol>{most}</ol></section><section class="newsletter"><h2>Newsletter</h2>'
        f'<p>{_esc(text.sentence(rng))}</p><form><input type="email" name="e">'
        f"<button>Sign up</button></form></section>{_ad(rng, 'halfpage')}</aside>"
    )


def _analytics(rng: random.Random) -> str:
    return ";".join(
        f"window.__cfg{k}={{id:{rng.randrange(10**9)},ts:{rng.randrange(10**12)},"
        f"flags:[{','.join(str(rng.randrange(2)) for _ in range(20))}]}}"
        for k in range(rng.randint(10, 40))
    )


def _state_blob(rng: random.Random, text: _Text, art: _Article, size: int) -> str:
    """A JSON state object of about ``size`` bytes (what JS frameworks embed in news pages)."""
    items: list[dict[str, Any]] = []
    used = 200
    while used < size:
        item = {
            "id": rng.randrange(10**9),
            "title": " ".join(text.words_of(rng, 8)),
            "url": f"/{art.section}/{rng.randrange(10**7)}.html",
            "image": {"src": f"/img/{rng.randrange(10**7)}.jpg", "w": 640, "h": 360},
            "tags": text.words_of(rng, 4),
            "score": round(rng.random(), 4),
        }
        items.append(item)
        used += 230
    blob = json.dumps({"page": {"id": art.number, "section": art.section}, "feed": items})
    return blob.replace("</", "<\\/")


# --------------------------------------------------------------------------- feeds, sitemaps


def _rss(site: SiteInfo, section: str, entries: list[tuple[str, _Article]]) -> str:
    items = "".join(
        f"<item><title>{_esc(a.title)}</title><link>{url}</link><guid>{url}</guid>"
        f"<pubDate>{email.utils.format_datetime(a.published)}</pubDate>"
        f"<description>{_esc(a.description)}</description>"
        f"<dc:creator>{_esc(a.author)}</dc:creator></item>"
        for url, a in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{_esc(site.name)}: {section}</title><link>http://{site.host}/</link>"
        f"<language>en</language>{items}</channel></rss>"
    )


def _urlset(entries: list[tuple[str, datetime]]) -> str:
    urls = "".join(
        f"<url><loc>{url}</loc><lastmod>{when.isoformat()}</lastmod></url>" for url, when in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    )


def _sitemap_index(children: list[str]) -> str:
    items = "".join(f"<sitemap><loc>{c}</loc></sitemap>" for c in children)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'
    )


# --------------------------------------------------------------------------- writing


class _Writer:
    """Writes files under the folder and records each route for the server."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.routes: dict[str, dict[str, Any]] = {}

    def add(self, host: str, path: str, data: bytes, content_type: str, modified: datetime) -> None:
        """Store ``data`` gzipped and route ``host`` + ``path`` to it."""
        name = hashlib.blake2b(f"{host}{path}".encode(), digest_size=10).hexdigest()
        rel = f"files/{name[:2]}/{name}.gz"
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gzip.compress(data, _GZIP_LEVEL, mtime=0))
        self.route(host, path, rel, data, content_type, modified)

    def route(
        self, host: str, path: str, rel: str, data: bytes, content_type: str, modified: datetime
    ) -> None:
        """Route to a file already written."""
        self.routes[f"{host}{path}"] = {
            "file": rel,
            "type": content_type,
            "etag": '"' + hashlib.blake2b(data, digest_size=8).hexdigest() + '"',
            "modified": email.utils.format_datetime(modified, usegmt=True),
            "size": len(data),
            "discovery": content_type != "text/html; charset=utf-8",
        }


def _site_infos(count: int, port: int) -> list[SiteInfo]:
    infos = []
    for index, (name, sections) in enumerate(_site_names(count)):
        host = f"127.0.0.{index + 1}"
        base = f"http://{host}:{port}"
        infos.append(
            SiteInfo(
                index=index,
                host=host,
                name=name,
                sections=sections,
                sitemap_url=f"{base}/sitemap_index.xml",
                feed_urls=tuple(f"{base}/feeds/{s}.xml" for s in sections),
            )
        )
    return infos


def _render_chunk(job: tuple[Path, int, int, int, int, float, list[int]]) -> dict[str, Any]:
    """Render and write a slice of articles (runs in a worker process)."""
    root, seed, port, sites_count, _pages, share, numbers = job
    text = _Text(seed)
    sites = _site_infos(sites_count, port)
    chromes = [_chrome(s, seed) for s in sites]
    writer = _Writer(root)
    listed: list[dict[str, Any]] = []
    page_bytes = 0
    for number in numbers:
        home = number % sites_count
        art = _make_article(text, seed, number, home, sites[home].sections)
        versions = [(art, False)]
        if _is_syndicated(seed, number, share) and sites_count > 1:
            other = (home + 1 + number % (sites_count - 1)) % sites_count
            versions.append((_syndicated(art, text, seed, other, sites[other].sections), True))
        origin_url = _article_url(sites[home], port, art)
        for version, copy in versions:
            site = sites[version.site]
            url = _article_url(site, port, version, copy=copy)
            rng = random.Random(f"size:{seed}:{number}:{int(copy)}")
            target = int(math.exp(rng.uniform(math.log(50_000), math.log(300_000))))
            canonical = origin_url if copy and rng.random() < 0.2 else url
            html = _render(
                version, site=site, chrome=chromes[site.index], url=url, canonical=canonical,
                text=text, target_bytes=target, seed=seed, copy=copy,
            )  # fmt: skip
            data = html.encode("utf-8")
            page_bytes += len(data)
            path = urlsplit(url).path
            writer.add(site.host, path, data, "text/html; charset=utf-8", version.published)
            listed.append(
                {"site": site.index, "url": url, "section": version.section,
                 "published": version.published.isoformat(), "title": version.title,
                 "description": version.description, "author": version.author, "copy": copy}
            )  # fmt: skip
    return {"routes": writer.routes, "listed": listed, "page_bytes": page_bytes}


def _is_syndicated(seed: int, number: int, share: float) -> bool:
    return random.Random(f"syndicated:{seed}:{number}").random() < share


def generate(
    root: Path,
    *,
    pages: int,
    seed: int = 7,
    sites: int = 3,
    syndicated: float = 0.15,
    port: int,
    jobs: int = 1,
) -> Manifest:
    """Write a synthetic multi-site news corpus of about ``pages`` article pages under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    originals = _originals_for(pages, seed, syndicated, sites)
    numbers = list(range(originals))
    chunks = [numbers[i :: max(1, jobs * 4)] for i in range(max(1, jobs * 4))]
    jobs_args = [(root, seed, port, sites, pages, syndicated, c) for c in chunks if c]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            parts = list(pool.map(_render_chunk, jobs_args))
    else:
        parts = [_render_chunk(j) for j in jobs_args]
    writer = _Writer(root)
    listed: list[dict[str, Any]] = []
    page_bytes = 0
    for part in parts:
        writer.routes.update(part["routes"])
        listed.extend(part["listed"])
        page_bytes += part["page_bytes"]
    infos = _site_infos(sites, port)
    _write_discovery(writer, infos, listed)
    copies = sum(1 for item in listed if item["copy"])
    manifest = Manifest(
        seed=seed, pages=len(listed), port=port, kind="synthetic", sites=tuple(infos),
        page_bytes=page_bytes, originals=len(listed) - copies, copies=copies,
    )  # fmt: skip
    _save(root, manifest, writer.routes)
    return manifest


def _originals_for(pages: int, seed: int, share: float, sites: int) -> int:
    """How many original stories give ``pages`` pages once syndicated copies are added."""
    count, total = 0, 0
    while total < pages:
        total += 2 if sites > 1 and _is_syndicated(seed, count, share) else 1
        count += 1
    return count


def _write_discovery(writer: _Writer, sites: list[SiteInfo], listed: list[dict[str, Any]]) -> None:
    """Feeds, sitemaps and robots.txt for every site."""
    for site in sites:
        mine = sorted(
            (item for item in listed if item["site"] == site.index),
            key=lambda item: item["published"],
            reverse=True,
        )
        base = f"http://{site.host}:{urlsplit(site.sitemap_url).port}"
        children = []
        for k in range(0, max(1, len(mine)), ARTICLES_PER_SITEMAP):
            chunk = mine[k : k + ARTICLES_PER_SITEMAP]
            path = f"/sitemaps/sitemap-{k // ARTICLES_PER_SITEMAP + 1}.xml"
            entries = [(i["url"], datetime.fromisoformat(i["published"])) for i in chunk]
            newest = max((e[1] for e in entries), default=EPOCH)
            writer.add(site.host, path, _urlset(entries).encode(), "application/xml", newest)
            children.append(base + path)
        writer.add(
            site.host,
            "/sitemap_index.xml",
            _sitemap_index(children).encode(),
            "application/xml",
            EPOCH,
        )
        for section in site.sections:
            recent = [i for i in mine if i["section"] == section][:FEED_ITEMS]
            items = [(i["url"], _feed_article(i)) for i in recent]
            writer.add(
                site.host, f"/feeds/{section}.xml", _rss(site, section, items).encode(),
                "application/rss+xml; charset=utf-8", EPOCH,
            )  # fmt: skip
        robots = f"User-agent: *\nDisallow: /search\nSitemap: {site.sitemap_url}\n"
        writer.add(site.host, "/robots.txt", robots.encode(), "text/plain", EPOCH)


def _feed_article(item: dict[str, Any]) -> _Article:
    return _Article(
        number=0, site=item["site"], section=item["section"],
        published=datetime.fromisoformat(item["published"]), title=item["title"],
        description=item["description"], author=item["author"], paragraphs=[],
    )  # fmt: skip


def from_corpus(
    root: Path, corpus: Path, *, pages: int, port: int, sites: int = 3, seed: int = 7
) -> Manifest:
    """Serve real saved pages (``**/*.html.gz``), cycled to ``pages``, with generated feeds/sitemaps."""
    sources = sorted(corpus.rglob("*.html.gz"))
    if not sources:
        raise SystemExit(f"no *.html.gz files under {corpus}")
    root.mkdir(parents=True, exist_ok=True)
    infos = _site_infos(sites, port)
    writer = _Writer(root)
    listed: list[dict[str, Any]] = []
    page_bytes = 0
    for number in range(pages):
        source = sources[number % len(sources)]
        cycle = number // len(sources)
        raw = gzip.decompress(source.read_bytes())
        if cycle:
            # Own bytes per copy (the raw hash differs), same article text: a syndicated copy.
            raw = re.sub(rb"(<head[^>]*>)", rb"\1<!-- bench copy %d -->" % cycle, raw, count=1)
        site = infos[number % sites]
        slug = re.sub(r"[^a-z0-9]+", "-", source.name.lower().removesuffix(".html.gz"))
        published = EPOCH - timedelta(minutes=number * 7)
        section = site.sections[number % len(site.sections)]
        path = f"/{section}/{source.parent.name}/{slug}-{number}.html"
        url = f"http://{site.host}:{port}{path}"
        page_bytes += len(raw)
        writer.add(site.host, path, raw, "text/html; charset=utf-8", published)
        listed.append(
            {"site": site.index, "url": url, "section": section, "published": published.isoformat(),
             "title": f"{source.parent.name} {slug}", "description": "", "author": "", "copy": cycle > 0}
        )  # fmt: skip
    _write_discovery(writer, infos, listed)
    copies = sum(1 for item in listed if item["copy"])
    manifest = Manifest(
        seed=seed, pages=pages, port=port, kind="corpus", sites=tuple(infos),
        page_bytes=page_bytes, originals=pages - copies, copies=copies, corpus=str(corpus),
    )  # fmt: skip
    _save(root, manifest, writer.routes)
    return manifest


def _save(root: Path, manifest: Manifest, routes: dict[str, dict[str, Any]]) -> None:
    (root / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    (root / "manifest.json").write_text(json.dumps(asdict(manifest), indent=1), encoding="utf-8")


def load_manifest(root: Path) -> Manifest | None:
    """The manifest of a generated folder, or None if there is none (or it is outdated)."""
    try:
        data = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("generator") != GENERATOR_VERSION:
        return None
    data["sites"] = tuple(
        SiteInfo(**{**s, "sections": tuple(s["sections"]), "feed_urls": tuple(s["feed_urls"])})
        for s in data["sites"]
    )
    return Manifest(**data)


def page_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(URL, gzipped file) of every article page in a generated folder."""
    routes = json.loads((root / "routes.json").read_text(encoding="utf-8"))
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    port = manifest["port"]
    for key, route in sorted(routes.items()):
        if not route["discovery"]:
            host, _, path = key.partition("/")
            yield f"http://{host}:{port}/{path}", root / route["file"]


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- server


@dataclass
class _Stats:
    requests: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    bytes_sent: int = 0
    connections: int = 0
    page_requests: int = 0  # article pages (not feeds, sitemaps, robots.txt, control)
    # time.time() when a request head was read: the first of any kind but control,
    # the first and the last article page (a client's start-up and tail, from outside)
    first_request_at: float | None = None
    first_page_at: float | None = None
    last_page_at: float | None = None


class _Server:
    """Serves a generated folder: keep-alive, gzip as stored, validators, 304s."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.routes: dict[str, dict[str, Any]] = json.loads(
            (root / "routes.json").read_text(encoding="utf-8")
        )
        self.stats = _Stats()
        self.discovery_validators = True

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection until the client closes it."""
        self.stats.connections += 1
        host = writer.get_extra_info("sockname")[0]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                keep_alive = self._respond(host, head, writer)
                if writer.transport.get_write_buffer_size() > 1 << 20:
                    await writer.drain()
                if not keep_alive:
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    def _respond(self, host: str, head: bytes, writer: asyncio.StreamWriter) -> bool:
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = ([*lines[0].split(" "), "", ""])[:3]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        path = target.split("?", 1)[0]
        if path.startswith("/__bench/"):
            status, extra, body, ctype = self._control(target)
        else:
            self._note_time(host, path)
            status, extra, body, ctype = self._file(host, path, headers)
        self.stats.requests += 1
        self.stats.statuses[str(status)] = self.stats.statuses.get(str(status), 0) + 1
        self.stats.bytes_sent += len(body)
        reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}.get(status, "OK")
        lines_out = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
        if ctype:
            lines_out.append(f"Content-Type: {ctype}")
        lines_out.extend(f"{k}: {v}" for k, v in extra.items())
        keep_alive = headers.get("connection", "").lower() != "close"
        if not keep_alive:
            lines_out.append("Connection: close")
        writer.write(("\r\n".join(lines_out) + "\r\n\r\n").encode("latin-1"))
        if method != "HEAD" and body:
            writer.write(body)
        return keep_alive

    def _note_time(self, host: str, path: str) -> None:
        now = time.time()
        stats = self.stats
        if stats.first_request_at is None:
            stats.first_request_at = now
        route = self.routes.get(host + path)
        if route is not None and not route["discovery"]:
            stats.page_requests += 1
            stats.last_page_at = now
            if stats.first_page_at is None:
                stats.first_page_at = now

    def _file(
        self, host: str, path: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes, str | None]:
        route = self.routes.get(host + path)
        if route is None:
            return 404, {}, b"not found", "text/plain"
        validators = self.discovery_validators or not route["discovery"]
        extra = {"ETag": route["etag"], "Last-Modified": route["modified"]} if validators else {}
        if validators and (
            headers.get("if-none-match") == route["etag"]
            or (
                "if-none-match" not in headers
                and headers.get("if-modified-since") == route["modified"]
            )
        ):
            return 304, extra, b"", None
        data = (self.root / route["file"]).read_bytes()
        if "gzip" in headers.get("accept-encoding", ""):
            extra["Content-Encoding"] = "gzip"
            extra["Vary"] = "Accept-Encoding"
        else:
            data = gzip.decompress(data)
        return 200, extra, data, route["type"]

    def _control(self, target: str) -> tuple[int, dict[str, str], bytes, str | None]:
        query = parse_qs(urlsplit(target).query)
        if target.startswith("/__bench/mode"):
            self.discovery_validators = query.get("validators", ["1"])[0] != "0"
        if target.startswith("/__bench/reset"):
            self.stats = _Stats()
        usage = os.times()
        body = json.dumps(
            {**asdict(self.stats), "cpu_seconds": usage.user + usage.system,
             "discovery_validators": self.discovery_validators}
        ).encode()  # fmt: skip
        return 200, {}, body, "application/json"


async def _serve(root: Path, port: int, hosts: list[str]) -> None:
    server = _Server(root)
    servers = [
        await asyncio.start_server(server.handle, host, port, reuse_address=True, backlog=512)
        for host in hosts
    ]
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for s in servers:
        s.close()


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="write a synthetic site into DIR")
    gen.add_argument("dir", type=Path)
    gen.add_argument("--pages", type=int, default=1000)
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--sites", type=int, default=3)
    gen.add_argument("--port", type=int, default=0)
    gen.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    gen.add_argument("--corpus", type=Path, help="serve real saved pages from this folder instead")
    serve = commands.add_parser("serve", help="serve a generated DIR until SIGTERM")
    serve.add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    if args.command == "generate":
        port = args.port or free_port()
        started = time.perf_counter()
        if args.corpus:
            manifest = from_corpus(
                args.dir, args.corpus, pages=args.pages, port=port, sites=args.sites
            )
        else:
            manifest = generate(
                args.dir,
                pages=args.pages,
                seed=args.seed,
                sites=args.sites,
                port=port,
                jobs=args.jobs,
            )
        print(f"{manifest.pages} pages ({manifest.page_bytes / 2**20:.0f} MiB) in "
              f"{time.perf_counter() - started:.1f} s under {args.dir}")  # fmt: skip
        return 0
    served = load_manifest(args.dir)
    if served is None:
        print(f"no generated site under {args.dir}", file=sys.stderr)
        return 2
    asyncio.run(_serve(args.dir, served.port, [s.host for s in served.sites]))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
