"""Site sources: a news site's home page URL, its feeds and sitemaps found on each run.

Given only ``https://example.com/`` (what newspaper4k's ``build(url)`` and
news-please take), a run

1. fetches the home page (a plain GET, like a reader's visit) and reads its
   ``<link rel="alternate">`` feeds (RSS, Atom, RDF, JSON Feed; comment feeds
   and at most :data:`MAX_FEEDS` kept), resolved against ``<base href>`` or the
   final URL;
2. when the page links none, tries :data:`FEED_PATHS` (``/feed``, ``/rss``,
   ``/rss.xml``...) on the site's origin in order, and keeps the first that
   answers with a feed that has entries (or a 304 for one found before);
3. reads the site's sitemaps as a ``sitemap`` source given the site root does:
   the ``Sitemap:`` lines of robots.txt (news sitemaps included), else
   ``/sitemap.xml``, indexes followed;

and yields every article URL once, feeds first (their entries carry the
richest hints). Every request goes through the one polite fetcher (robots.txt,
pacing, the address guard, conditional GETs for feeds and sitemaps).

What was discovered is recorded where the pipeline records every fetch: each
feed and sitemap fetched is a ``fetch_log`` row with ``purpose`` ``feed`` or
``sitemap`` (and its validators a ``url_state`` row), the home page a ``page``
row; the run's log says which were found and how (``-v``), and
:attr:`SiteSource.found` holds them for ``check --list``. A site where nothing
is found on a first run yields one ``no_feed`` reject row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree  # type: ignore[import-untyped, unused-ignore]  # no stubs

from connectors.errors import SourceConfigError
from connectors.feeds import FeedSource, parse_feed
from connectors.http import Fetcher, FetchOutcome, Purpose
from connectors.records import Candidate, Rejected, RejectReason, Validators
from connectors.sitemaps import MAX_URLS_PER_SITEMAP, SitemapSource
from connectors.text.charset import decode_html
from connectors.text.urls import absolute_http_url

__all__ = ["FEED_PATHS", "FEED_TYPES", "MAX_FEEDS", "SiteFindings", "SiteSource", "linked_feeds"]

logger = logging.getLogger(__name__)

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
    }
)  # not application/json: WordPress links its REST API that way
FEED_PATHS = (
    "/feed",
    "/rss",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/feeds/posts/default",
)
MAX_FEEDS = 10
_FEEDISH = ("rss", "feed", "atom")


@dataclass(slots=True)
class SiteFindings:
    """What the last discovery found: feeds and how, whether sitemaps were declared."""

    feeds: list[str] = field(default_factory=list)
    feeds_via: str = "nothing"  # "home page links" | "common path" | "nothing"
    sitemaps: list[str] = field(default_factory=list)  # declared in robots.txt
    sitemaps_via: str = "robots.txt"  # or "/sitemap.xml" when robots.txt declares none


class SiteSource:
    """A news site known by its home page (``kind = "site"`` in the sources file)."""

    def __init__(
        self, *, name: str, url: str, max_urls_per_sitemap: int = MAX_URLS_PER_SITEMAP
    ) -> None:
        if not name:
            raise SourceConfigError("a site source needs a name")
        checked = absolute_http_url(url)
        if checked is None:
            raise SourceConfigError(f"source {name!r}: {url!r} is not an http(s) URL")
        self.name = name
        self.url = checked
        parts = urlsplit(checked)
        self.root = f"{parts.scheme}://{parts.netloc}/"
        self.max_urls_per_sitemap = max_urls_per_sitemap
        self.found = SiteFindings()

    async def discover(
        self, fetcher: Fetcher, known: Mapping[str, Validators]
    ) -> AsyncIterator[Candidate | Rejected]:
        """Find the feeds and sitemaps, then yield each article URL they list once."""
        self.found = SiteFindings()
        seen: set[str] = set()
        yielded = 0
        async for item in self._feed_items(fetcher, known):
            if isinstance(item, Rejected) or _first(item, seen):
                yielded += isinstance(item, Candidate)
                yield item
        async for item in self._sitemap_items(fetcher, known):
            if isinstance(item, Rejected) or _first(item, seen):
                yielded += isinstance(item, Candidate)
                yield item
        self._log()
        if not yielded and not self.found.feeds and not self.found.sitemaps and not known:
            detail = (
                "no feed linked from the home page or at a common path, and no sitemap in "
                "robots.txt or at /sitemap.xml"
            )
            logger.warning("site %s of source %s: %s", self.url, self.name, detail)
            yield Rejected(self.name, self.url, RejectReason.NO_FEED, detail)

    async def _feed_items(
        self, fetcher: Fetcher, known: Mapping[str, Validators]
    ) -> AsyncIterator[Candidate | Rejected]:
        feeds = await self._linked(fetcher)
        if feeds:
            self.found.feeds, self.found.feeds_via = feeds, "home page links"
            async for item in FeedSource(name=self.name, urls=feeds).discover(fetcher, known):
                yield item
            return
        for path in FEED_PATHS:
            url = urljoin(self.root, path.lstrip("/"))
            probed = await self._probe(fetcher, url, known.get(url))
            if probed is not None:
                self.found.feeds, self.found.feeds_via = [url], "common path"
                for item in probed:
                    yield item
                return

    async def _linked(self, fetcher: Fetcher) -> list[str]:
        """The feeds the home page links (none when it cannot be fetched)."""
        page = await fetcher.fetch(self.url, purpose=Purpose.PAGE)
        if not page.ok:
            logger.warning(
                "site %s of source %s: home page not fetched (%s): %s",
                self.url,
                self.name,
                page.outcome,
                page.error,
            )
            return []
        text = decode_html(page.body, page.content_type)[0]
        return await asyncio.to_thread(linked_feeds, text, page.final_url)

    async def _probe(
        self, fetcher: Fetcher, url: str, validators: Validators | None
    ) -> list[Candidate | Rejected] | None:
        """A feed's items if ``url`` is one (an empty list for a 304), else None."""
        result = await fetcher.fetch(url, purpose=Purpose.FEED, validators=validators)
        if result.outcome is FetchOutcome.NOT_MODIFIED:
            return []
        if not result.ok:
            return None
        parsed = await asyncio.to_thread(
            parse_feed,
            result.body,
            source=self.name,
            feed_url=url,
            base_url=result.final_url,
            content_type=result.content_type,
        )
        if not parsed.candidates:
            return None  # a page that is not a feed (a soft 404), or an empty feed
        items: list[Candidate | Rejected] = list(parsed.candidates)
        if parsed.problems:
            detail = "; ".join(parsed.problems)
            items.append(Rejected(self.name, url, RejectReason.MALFORMED_FEED, detail))
        return items

    async def _sitemap_items(
        self, fetcher: Fetcher, known: Mapping[str, Validators]
    ) -> AsyncIterator[Candidate | Rejected]:
        declared = await fetcher.robots_sitemaps(self.root)
        self.found.sitemaps = list(declared)
        self.found.sitemaps_via = "robots.txt" if declared else "/sitemap.xml"
        # The sitemap source revisits the remembered sitemaps of the host after a 304:
        # it must not be handed the feeds this source remembers too.
        feeds = set(self.found.feeds)
        remembered = {u: v for u, v in known.items() if u not in feeds and not _feedish(u)}
        sitemaps = SitemapSource(
            name=self.name, url=self.root, max_urls_per_sitemap=self.max_urls_per_sitemap
        )
        async for item in sitemaps.discover(fetcher, remembered):
            yield item

    def _log(self) -> None:
        found = self.found
        logger.info(
            "site %s of source %s: feeds (%s): %s; sitemaps (%s): %s",
            self.url,
            self.name,
            found.feeds_via,
            ", ".join(found.feeds) or "none",
            found.sitemaps_via,
            ", ".join(found.sitemaps) or "tried",
        )


def linked_feeds(html: str, base_url: str) -> list[str]:
    """The feed URLs a page links with ``<link rel="alternate" type="...">``, in order."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    base = next((b for b in root.xpath("//base/@href") if isinstance(b, str)), None)
    base = urljoin(base_url, base) if base else base_url
    feeds: list[str] = []
    for link in root.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        title = (link.get("title") or "").lower()
        url = absolute_http_url(link.get("href"), base=base)
        if "alternate" not in rel or kind not in FEED_TYPES or url is None:
            continue
        if "comment" in title or "/comments/" in url:
            continue  # a comments feed holds no articles
        if url not in feeds:
            feeds.append(url)
    return feeds[:MAX_FEEDS]


def _first(item: Candidate, seen: set[str]) -> bool:
    if item.url in seen:
        return False
    seen.add(item.url)
    return True


def _feedish(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return "sitemap" not in path and any(word in path for word in _FEEDISH)
