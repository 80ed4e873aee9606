"""Sitemap sources: urlset, sitemap index, gzip, plain text and Google News sitemaps.

A source names one sitemap, or a site root (``https://example.org/``): then
the ``Sitemap:`` lines of its robots.txt are used, else ``/sitemap.xml``.
Sitemap indexes are followed breadth-first; every sitemap is fetched at most
once per run, so an index that lists itself (or a cycle of indexes) ends.

Every sitemap is fetched with the validators ``known`` holds for it, and a
304 yields nothing. An index that has not changed may still list children
that have (indexes without ``<lastmod>`` are common), and its body is not sent
again; so after a 304 the other sitemaps of the same host that ``known``
remembers from earlier runs are visited too, each with its own conditional
GET. ``known`` must therefore hold only this source's feed/sitemap URLs.

Limits (the sitemaps.org protocol's own, and DESIGN.md's fan-out defaults):
at most ``max_urls_per_sitemap`` URLs are read from one sitemap and at most
``max_sitemaps`` sitemaps are fetched per source; going over either yields a
``too_large`` :class:`~connectors.records.Rejected` saying what was left out.
Gzip bodies are inflated to at most the fetcher's sitemap size cap. URLs that
are not http(s) or are longer than ``max_url_length`` are skipped and counted
in a ``malformed_feed`` reject, as are XML errors (the URLs that could be read
are still yielded). hreflang alternates (``xhtml:link``) are not separate
articles and are ignored.

XML is parsed by lxml with ``resolve_entities=False, no_network=True,
huge_tree=False`` and recovery on, after :func:`connectors.text.xmlsafe.defuse_xml`
has removed any entity declarations.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from lxml import etree  # type: ignore[import-untyped, unused-ignore]  # no stubs

from connectors.compression import gunzip_bounded, is_gzip
from connectors.errors import SourceConfigError
from connectors.feeds import parse_feed
from connectors.http import Fetcher, FetchOutcome, Purpose
from connectors.records import Candidate, EntryHints, Rejected, RejectReason, Validators
from connectors.text.dates import parse_datetime
from connectors.text.urls import MAX_URL_LENGTH, absolute_http_url
from connectors.text.xmlsafe import defuse_xml

__all__ = [
    "DEFAULT_MAX_SITEMAP_BYTES",
    "ParsedSitemap",
    "SitemapSource",
    "is_site_root",
    "parse_sitemap",
]

logger = logging.getLogger(__name__)

DEFAULT_MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the protocol's uncompressed limit
MAX_URLS_PER_SITEMAP = 50_000
MAX_SITEMAPS = 1_000
# Cross-sitemap duplicates are remembered up to this many URLs (16-byte
# digests, ~100 MB at the cap); past it only per-sitemap duplicates are
# dropped and the flow's URL dedupe catches the rest.
_MAX_REMEMBERED = 1_000_000
_FEED_ROOTS = frozenset({"rss", "feed", "RDF"})
_SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ParsedSitemap:
    """What one sitemap document lists: pages, child sitemaps, problems and limits hit."""

    candidates: tuple[Candidate, ...]
    sitemaps: tuple[str, ...]  # child sitemaps of an index, in document order
    problems: tuple[str, ...]  # malformed content (reported as malformed_feed)
    limits: tuple[str, ...]  # size or fan-out caps reached (reported as too_large)


@dataclass
class _Collector:
    """Accumulates one document's entries while it is parsed."""

    source: str
    sitemap_url: str
    base_url: str
    max_urls: int
    max_url_length: int
    candidates: list[Candidate] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    skipped: int = 0
    truncated: bool = False

    @property
    def full(self) -> bool:
        return self.truncated

    def add_page(self, loc: str | None, hints: EntryHints) -> None:
        url = self._check(loc)
        if url is None or url in self.seen:
            return
        if len(self.candidates) >= self.max_urls:
            self.truncated = True
            return
        self.seen.add(url)
        self.candidates.append(Candidate(url, self.source, hints))

    def add_sitemap(self, loc: str | None) -> None:
        url = self._check(loc)
        if url is None or url in self.seen:
            return
        if len(self.sitemaps) >= self.max_urls:
            self.truncated = True
            return
        self.seen.add(url)
        self.sitemaps.append(url)

    def _check(self, loc: str | None) -> str | None:
        url = absolute_http_url(loc, base=self.base_url, max_length=self.max_url_length)
        if url is None:
            self.skipped += 1
        return url

    def problems(self) -> list[str]:
        if not self.skipped:
            return []
        return [
            f"{self.skipped} entries skipped: not an http(s) URL of at most"
            f" {self.max_url_length} characters"
        ]

    def limits(self) -> list[str]:
        if not self.truncated:
            return []
        return [f"more than {self.max_urls} URLs; only the first {self.max_urls} were used"]


def is_site_root(url: str) -> bool:
    """Tell whether a URL names a whole site (no path beyond "/", no query)."""
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def parse_sitemap(
    data: bytes,
    *,
    source: str,
    sitemap_url: str,
    base_url: str | None = None,
    max_urls: int = MAX_URLS_PER_SITEMAP,
    max_url_length: int = MAX_URL_LENGTH,
    max_bytes: int = DEFAULT_MAX_SITEMAP_BYTES,
) -> ParsedSitemap:
    """Read one sitemap document (XML, gzip, plain text, or a feed used as a sitemap)."""
    problems: list[str] = []
    limits: list[str] = []
    data = _inflate(data, max_bytes, problems, limits)
    collector = _Collector(
        source=source,
        sitemap_url=sitemap_url,
        base_url=base_url or sitemap_url,
        max_urls=max_urls,
        max_url_length=max_url_length,
    )
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    # Search engines accept RSS, Atom (and so do we JSON Feed) in place of a sitemap.
    root = "json" if stripped.startswith(b"{") else None
    if not stripped:
        problems.append("empty document")
    elif root is None and not stripped.startswith(b"<") and not _is_wide_xml(stripped):
        _read_text(stripped, collector)
    elif root is None:
        root = _read_xml(data, collector, problems)
        if root is not None and root not in _SITEMAP_ROOTS | _FEED_ROOTS:
            problems.append(f"not a sitemap: the root element is <{root}>")
    if root in _FEED_ROOTS or root == "json":
        feed = parse_feed(
            data,
            source=source,
            feed_url=sitemap_url,
            base_url=base_url,
            max_entries=max_urls,
            max_url_length=max_url_length,
            limits_apart=True,
        )
        return ParsedSitemap(feed.candidates, (), feed.problems, (*limits, *feed.limits))
    problems.extend(collector.problems())
    limits.extend(collector.limits())
    return ParsedSitemap(
        tuple(collector.candidates), tuple(collector.sitemaps), tuple(problems), tuple(limits)
    )


def _inflate(data: bytes, max_bytes: int, problems: list[str], limits: list[str]) -> bytes:
    if not is_gzip(data):
        return data
    inflated = gunzip_bounded(data, max_bytes=max_bytes)
    if inflated.truncated:
        limits.append(f"inflates to more than {max_bytes} bytes; only the start was read")
    if inflated.error:
        problems.append(inflated.error)
    return inflated.data


def _is_wide_xml(data: bytes) -> bool:
    return data[:4] in (b"<\x00?\x00", b"\x00<\x00?", b"\xff\xfe<\x00", b"\xfe\xff\x00<")


# --- plain text ---------------------------------------------------------------------------


def _read_text(data: bytes, collector: _Collector) -> None:
    text = data.decode("utf-8", errors="replace")
    for line in text.splitlines():
        value = line.strip()
        if not value:
            continue
        # Text sitemaps hold full URLs only; a relative line is junk, not a path.
        if absolute_http_url(value, max_length=collector.max_url_length) is None:
            collector.skipped += 1
            continue
        collector.add_page(value, EntryHints(origin="sitemap", container_url=collector.sitemap_url))
        if collector.full:
            return


# --- XML ----------------------------------------------------------------------------------


def _read_xml(data: bytes, collector: _Collector, problems: list[str]) -> str | None:
    """Stream the document into the collector; return the root element's local name."""
    defused = defuse_xml(data)
    if defused.removed_doctype:
        problems.append("DOCTYPE with an internal subset (entity declarations) removed")
    parser = etree.XMLPullParser(
        events=("end",),
        tag=("{*}url", "{*}sitemap"),
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        recover=True,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    body = defused.data
    for offset in range(0, len(body), _CHUNK):
        parser.feed(body[offset : offset + _CHUNK])
        root = _drain(parser, collector)
        if collector.full:
            return root
    try:
        top = parser.close()
    except etree.XMLSyntaxError as exc:
        problems.append(f"not well-formed: {_describe(exc)}")
        return None
    _drain(parser, collector)
    # With recover=True the errors are only in feed_error_log (measured, lxml 6.1).
    errors = parser.feed_error_log.filter_from_errors()
    if errors:
        first = errors[0]
        problems.append(f"not well-formed: line {first.line}: {_describe(first.message)}")
    if top is None:  # nothing recoverable at all
        if not errors:
            problems.append("not well-formed: no root element")
        return None
    return _split(top.tag)[1]


def _drain(parser: etree.XMLPullParser, collector: _Collector) -> str | None:
    """Hand finished entries to the collector; return the root's local name if one was seen."""
    root = None
    for _, element in parser.read_events():
        parent = element.getparent()
        top = element.getroottree().getroot()
        namespace, name = _split(element.tag)
        top_namespace, top_name = _split(top.tag)
        # Entries share the root's namespace. They are normally the root's
        # children, but one unclosed <url> nests the rest inside it; those
        # are still read.
        if parent is None or namespace != top_namespace:
            continue
        root = top_name
        if name == "url":
            collector.add_page(_loc(element), _hints(element, collector.sitemap_url))
        else:
            collector.add_sitemap(_loc(element))
        # Entries are done with: drop them so memory stays flat on big sitemaps.
        element.clear()
        if parent is top:
            while element.getprevious() is not None:
                del parent[0]
        if collector.full:
            break
    return root


def _loc(element: etree._Element) -> str | None:
    for child in element:
        if _split(child.tag)[1] == "loc":
            # An unresolved entity inside <loc> would leave half a URL: skip it.
            return None if len(child) else child.text
    return None


def _hints(element: etree._Element, sitemap_url: str) -> EntryHints:
    children = _children(element)
    news = children.get("news")
    lastmod = parse_datetime(_text(children.get("lastmod")))
    if news is None:
        return EntryHints(origin="sitemap", modified_at=lastmod, container_url=sitemap_url)
    fields = _children(news)
    publication = fields.get("publication")
    language = _children(publication).get("language") if publication is not None else None
    return EntryHints(
        origin="news_sitemap",
        title=_text(fields.get("title")),
        published_at=parse_datetime(_text(fields.get("publication_date"))),
        modified_at=lastmod,
        language=_language(_text(language)),
        container_url=sitemap_url,
    )


def _children(element: etree._Element) -> dict[str, etree._Element]:
    found: dict[str, etree._Element] = {}
    for child in element:
        found.setdefault(_split(child.tag)[1], child)
    return found


def _split(tag: object) -> tuple[str, str]:
    """Namespace and local name of a tag; ("", "") for comments and the like.

    Not ``etree.QName``: it raises on names recovered from broken documents
    (``bad:prefix`` with an undeclared prefix).
    """
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return " ".join(element.text.split())[:2_000] or None


def _language(value: str | None) -> str | None:
    if not value or len(value) > 35:
        return None
    return value.lower().replace("_", "-")


def _describe(error: object) -> str:
    return " ".join(str(error).split())[:300]


# --- the source ---------------------------------------------------------------------------


class SitemapSource:
    """A site's sitemaps (``kind = "sitemap"`` in the sources file)."""

    def __init__(
        self,
        *,
        name: str,
        url: str,
        max_urls_per_sitemap: int = MAX_URLS_PER_SITEMAP,
        max_sitemaps: int = MAX_SITEMAPS,
        max_url_length: int = MAX_URL_LENGTH,
    ) -> None:
        if not name:
            raise SourceConfigError("a sitemap source needs a name")
        checked = absolute_http_url(url)
        if checked is None:
            raise SourceConfigError(f"source {name!r}: {url!r} is not an http(s) URL")
        for option, value in (
            ("max_urls_per_sitemap", max_urls_per_sitemap),
            ("max_sitemaps", max_sitemaps),
            ("max_url_length", max_url_length),
        ):
            if value < 1:
                raise SourceConfigError(f"source {name!r}: {option} must be at least 1")
        self.name = name
        self.url = checked
        self.max_urls_per_sitemap = max_urls_per_sitemap
        self.max_sitemaps = max_sitemaps
        self.max_url_length = max_url_length

    async def discover(
        self, fetcher: Fetcher, known: Mapping[str, Validators]
    ) -> AsyncIterator[Candidate | Rejected]:
        """Fetch the sitemaps (following indexes) and yield each page URL once."""
        roots = await self._roots(fetcher) if is_site_root(self.url) else [self.url]
        crawl = _Crawl(roots, self.max_sitemaps)
        remembered = _Remembered()
        while (url := crawl.next()) is not None:
            async for item in self._one(fetcher, url, known, crawl, remembered):
                yield item
        if crawl.dropped:
            detail = (
                f"more than {self.max_sitemaps} sitemaps;"
                f" {crawl.dropped} listed sitemaps were not fetched"
            )
            logger.warning("source %s: %s", self.name, detail)
            yield Rejected(self.name, self.url, RejectReason.TOO_LARGE, detail)

    async def _one(
        self,
        fetcher: Fetcher,
        url: str,
        known: Mapping[str, Validators],
        crawl: _Crawl,
        remembered: _Remembered,
    ) -> AsyncIterator[Candidate | Rejected]:
        result = await fetcher.fetch(url, purpose=Purpose.SITEMAP, validators=known.get(url))
        if result.outcome is FetchOutcome.NOT_MODIFIED:
            host = urlsplit(url).netloc.lower()
            for previous in known:
                if urlsplit(previous).netloc.lower() == host:
                    crawl.add(previous)
            return
        if not result.ok:
            logger.warning(
                "sitemap %s of source %s: fetch failed (%s): %s",
                url,
                self.name,
                result.outcome,
                result.error,
            )
            return
        # A 50,000-URL sitemap takes a second or two to parse: off the event loop.
        parsed = await asyncio.to_thread(
            parse_sitemap,
            result.body,
            source=self.name,
            sitemap_url=url,
            base_url=result.final_url,
            max_urls=self.max_urls_per_sitemap,
            max_url_length=self.max_url_length,
            max_bytes=fetcher.settings.max_sitemap_bytes,
        )
        for candidate in parsed.candidates:
            if remembered.first_time(candidate.url):
                yield candidate
        for child in parsed.sitemaps:
            crawl.add(child)
        for reason, found in (
            (RejectReason.MALFORMED_FEED, parsed.problems),
            (RejectReason.TOO_LARGE, parsed.limits),
        ):
            if found:
                detail = "; ".join(found)
                logger.warning("sitemap %s: %s", url, detail)
                yield Rejected(self.name, url, reason, detail)

    async def _roots(self, fetcher: Fetcher) -> list[str]:
        """Sitemaps a site root declares in robots.txt, else its /sitemap.xml."""
        # The fetcher reads robots.txt once per origin (and caches it) anyway.
        declared: list[str] = []
        for line in await fetcher.robots_sitemaps(self.url):
            url = absolute_http_url(line, base=self.url, max_length=self.max_url_length)
            if url is not None and url not in declared:
                declared.append(url)
        if declared:
            logger.info("source %s: %d sitemaps listed in robots.txt", self.name, len(declared))
            return declared
        logger.info("source %s: robots.txt lists no sitemap; trying /sitemap.xml", self.name)
        return [urljoin(self.url, "/sitemap.xml")]


class _Crawl:
    """The breadth-first queue of sitemaps: each fetched once, at most ``limit`` in all."""

    def __init__(self, roots: list[str], limit: int) -> None:
        self.limit = limit
        self.queue: deque[str] = deque()
        self.queued: set[str] = set()
        self.dropped = 0
        for root in roots:
            self.add(root)

    def add(self, url: str) -> None:
        if url in self.queued:
            return
        if len(self.queued) >= self.limit:
            self.dropped += 1
            return
        self.queued.add(url)
        self.queue.append(url)

    def next(self) -> str | None:
        return self.queue.popleft() if self.queue else None


class _Remembered:
    """URLs already yielded by this source in this run (bounded; see _MAX_REMEMBERED)."""

    def __init__(self) -> None:
        self.keys: set[bytes] = set()

    def first_time(self, url: str) -> bool:
        key = hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        if key in self.keys:
            return False
        if len(self.keys) < _MAX_REMEMBERED:
            self.keys.add(key)
        return True
