"""Feed sources: RSS 0.9x/1.0/2.0, Atom and JSON Feed, fetched through the shared fetcher.

Each configured feed is fetched with the validators stored last time (a 304
yields nothing); every entry with an http(s) link becomes a
:class:`~connectors.records.Candidate` carrying what the feed said about it
(:class:`~connectors.records.EntryHints`). A feed with problems (XML errors,
entries without a usable link, a DOCTYPE that declares entities) yields one
``malformed_feed`` :class:`~connectors.records.Rejected` and still yields every
entry it could read.

Safety: feedparser only ever sees bytes we fetched, wrapped in ``BytesIO``:
given bare bytes or a string it treats them as a file path or URL when they
look like one (measured with feedparser 6.0.14: ``parse(b"/path/feed.xml")``
reads the local file). Entity declarations are removed before parsing
(:func:`connectors.text.xmlsafe.defuse_xml`). feedparser 6.0.14 does not read JSON
Feed, so JSON Feed 1.0/1.1 is parsed here.
"""

from __future__ import annotations

import asyncio
import html
import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import feedparser

from connectors.compression import gunzip_bounded, is_gzip
from connectors.errors import SourceConfigError
from connectors.http import Fetcher, FetchOutcome, Purpose
from connectors.records import Candidate, EntryHints, Rejected, RejectReason, Validators
from connectors.text.dates import parse_datetime
from connectors.text.urls import MAX_URL_LENGTH, absolute_http_url
from connectors.text.xmlsafe import defuse_xml

__all__ = ["MAX_FEED_BYTES", "MAX_FEED_ENTRIES", "FeedSource", "ParsedFeed", "parse_feed"]

logger = logging.getLogger(__name__)

MAX_FEED_BYTES = 10 * 1024 * 1024  # decoded size cap for one feed (DESIGN.md)
MAX_FEED_ENTRIES = 50_000  # same fan-out cap as one sitemap
_MAX_TEXT = 2_000  # longest title, guid or author name kept
_JSON_TYPES = ("application/feed+json", "application/json", "text/json")
_JSON_FEED_VERSION = "https://jsonfeed.org/version/"
# Problems feedparser reports that say nothing about the feed's structure:
# a feed served as text/html or with a wrong charset label parses fine.
_BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_TAG = re.compile(r"<[^>]*>")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """The candidates read from one feed document and the problems met reading it."""

    candidates: tuple[Candidate, ...]
    problems: tuple[str, ...]
    limits: tuple[str, ...] = ()  # caps reached, when the caller asked for them apart


def parse_feed(
    data: bytes,
    *,
    source: str,
    feed_url: str,
    base_url: str | None = None,
    content_type: str | None = None,
    max_entries: int = MAX_FEED_ENTRIES,
    max_url_length: int = MAX_URL_LENGTH,
    limits_apart: bool = False,
) -> ParsedFeed:
    """Read an RSS, Atom or JSON feed's entries; links resolve on ``base_url`` (else feed_url).

    A reached ``max_entries`` cap is one of the ``problems``, or of the ``limits``
    with ``limits_apart`` (a sitemap reports caps as too_large, not malformed).
    """
    problems: list[str] = []
    if is_gzip(data):
        inflated = gunzip_bounded(data, max_bytes=MAX_FEED_BYTES)
        data = inflated.data
        if inflated.truncated:
            problems.append(f"gzip body larger than {MAX_FEED_BYTES} bytes; read the start only")
        if inflated.error:
            problems.append(inflated.error)
    builder = _Builder(
        source=source,
        feed_url=feed_url,
        base_url=base_url or feed_url,
        max_url_length=max_url_length,
    )
    if _looks_like_json(data, content_type):
        entries, found = _json_feed_entries(data)
    else:
        entries, found = _xml_feed_entries(data, content_type)
    problems.extend(found)
    candidates = builder.build(entries, max_entries=max_entries)
    problems.extend(builder.problems())
    limits = builder.limits()
    if not limits_apart:
        return ParsedFeed(tuple(candidates), tuple(problems + limits))
    return ParsedFeed(tuple(candidates), tuple(problems), tuple(limits))


class FeedSource:
    """One or more feeds of a publisher (``kind = "feed"`` in the sources file)."""

    def __init__(self, *, name: str, urls: Sequence[str]) -> None:
        if not name:
            raise SourceConfigError("a feed source needs a name")
        if isinstance(urls, str) or not urls:
            raise SourceConfigError(f"source {name!r}: urls must be a non-empty list of URLs")
        checked = []
        for url in urls:
            valid = absolute_http_url(url)
            if valid is None:
                raise SourceConfigError(f"source {name!r}: {url!r} is not an http(s) URL")
            checked.append(valid)
        self.name = name
        self.urls: tuple[str, ...] = tuple(dict.fromkeys(checked))

    async def discover(
        self, fetcher: Fetcher, known: Mapping[str, Validators]
    ) -> AsyncIterator[Candidate | Rejected]:
        """Fetch each feed (conditionally) and yield its entries, plus a reject per broken feed."""
        for url in self.urls:
            result = await fetcher.fetch(url, purpose=Purpose.FEED, validators=known.get(url))
            if result.outcome is FetchOutcome.NOT_MODIFIED:
                logger.debug("feed %s: not modified", url)
                continue
            if not result.ok:
                logger.warning(
                    "feed %s of source %s: fetch failed (%s): %s",
                    url,
                    self.name,
                    result.outcome,
                    result.error,
                )
                continue
            # Parsing is CPU work: off the event loop, so concurrent fetches keep flowing.
            parsed = await asyncio.to_thread(
                parse_feed,
                result.body,
                source=self.name,
                feed_url=url,
                base_url=result.final_url,
                content_type=result.content_type,
            )
            for candidate in parsed.candidates:
                yield candidate
            if parsed.problems:
                logger.warning("feed %s: %s", url, "; ".join(parsed.problems))
                yield Rejected(
                    self.name, url, RejectReason.MALFORMED_FEED, "; ".join(parsed.problems)
                )


@dataclass(frozen=True, slots=True)
class _Entry:
    """One feed entry in a shape common to feedparser and JSON Feed."""

    link: str | None
    guid: str | None
    title: str | None
    published: datetime | None
    modified: datetime | None
    language: str | None
    authors: tuple[str, ...]


class _Builder:
    """Turns entries into candidates: resolves links, drops repeats, counts what it skips."""

    def __init__(self, *, source: str, feed_url: str, base_url: str, max_url_length: int) -> None:
        self.source = source
        self.feed_url = feed_url
        self.base_url = base_url
        self.max_url_length = max_url_length
        self.without_link = 0
        self.truncated_at: int | None = None

    def build(self, entries: Iterable[_Entry], *, max_entries: int) -> list[Candidate]:
        seen: set[str] = set()
        out: list[Candidate] = []
        for entry in entries:
            url = absolute_http_url(entry.link, base=self.base_url, max_length=self.max_url_length)
            if url is None:
                self.without_link += 1
                continue
            if url in seen:
                continue
            if len(out) >= max_entries:
                self.truncated_at = max_entries
                break
            seen.add(url)
            out.append(Candidate(url, self.source, self._hints(entry)))
        return out

    def problems(self) -> list[str]:
        found = []
        if self.without_link:
            found.append(f"{self.without_link} entries without an http(s) link skipped")
        return found

    def limits(self) -> list[str]:
        if self.truncated_at is None:
            return []
        return [f"more than {self.truncated_at} entries; the rest were skipped"]

    def _hints(self, entry: _Entry) -> EntryHints:
        return EntryHints(
            origin="feed",
            guid=entry.guid,
            title=entry.title,
            published_at=entry.published,
            modified_at=entry.modified,
            language=entry.language,
            authors=entry.authors,
            container_url=self.feed_url,
        )


# --- RSS and Atom (feedparser) -------------------------------------------------------------


def _xml_feed_entries(data: bytes, content_type: str | None) -> tuple[list[_Entry], list[str]]:
    problems: list[str] = []
    defused = defuse_xml(data)
    if defused.removed_doctype:
        problems.append("DOCTYPE with an internal subset (entity declarations) removed")
    headers = {"content-type": content_type} if content_type else {}
    try:
        # BytesIO, never bytes or str: feedparser opens paths and URLs it is handed.
        parsed = feedparser.parse(
            io.BytesIO(defused.data),
            response_headers=headers,
            resolve_relative_uris=False,
            sanitize_html=False,
        )
    except Exception as exc:
        # feedparser has crash paths on garbage (fuzzed: a UnicodeDecodeError on a
        # bad encoding declaration); a bad document must never stop a run.
        logger.debug("feedparser failed", exc_info=True)
        return [], [*problems, f"unparseable: {type(exc).__name__}: {_describe(exc)}"]
    error = parsed.get("bozo_exception")
    if parsed.get("bozo") and error is not None and not isinstance(error, _BENIGN_BOZO):
        problems.append(f"not well-formed: {_describe(error)}")
    version = str(parsed.get("version") or "")
    if not version and not parsed.entries:
        problems.append("not a recognisable RSS or Atom feed")
    feed_language = _language(parsed.feed.get("language"))
    # RSS 1.0 has no pubDate: its items carry dc:date, which feedparser files
    # under "updated"; in RSS that is the item's date, so it is the fallback.
    rss = version.startswith("rss")
    entries = [_from_feedparser(item, feed_language, rss=rss) for item in parsed.entries]
    return entries, problems


def _from_feedparser(item: Any, feed_language: str | None, *, rss: bool) -> _Entry:
    published = parse_datetime(item.get("published"))
    # dict.get: FeedParserDict["updated"] silently falls back to "published".
    modified = parse_datetime(dict.get(item, "updated"))
    if rss and published is None and modified is not None:
        published, modified = modified, None
    title_detail = item.get("title_detail") or {}
    is_html = "html" in str(title_detail.get("type", ""))
    return _Entry(
        link=_link(item),
        guid=_text(item.get("id")),
        title=_text(item.get("title"), markup=is_html),
        published=published,
        modified=modified,
        language=_language(item.get("language"))
        or _language(title_detail.get("language"))
        or feed_language,
        authors=_names(
            detail.get("name") for detail in item.get("authors") or () if hasattr(detail, "get")
        )
        or _names([item.get("author")]),
    )


def _link(item: Any) -> str | None:
    # FeedBurner rewrote links to its (now dead) redirector and kept the real one here.
    link = item.get("feedburner_origlink") or item.get("link")
    if link:
        return str(link)
    # An Atom entry may carry only non-alternate links; take the first with an href.
    for candidate in item.get("links") or ():
        href = candidate.get("href") if hasattr(candidate, "get") else None
        if href and candidate.get("rel", "alternate") == "alternate":
            return str(href)
    return None


def _describe(error: object) -> str:
    text = " ".join(str(error).split())
    return text[:300] or type(error).__name__


# --- JSON Feed 1.0 / 1.1 -------------------------------------------------------------------


def _looks_like_json(data: bytes, content_type: str | None) -> bool:
    # The body decides; servers mislabel feeds both ways. The label only breaks a tie.
    first = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if first in (b"{", b"<"):
        return first == b"{"
    media = (content_type or "").split(";")[0].strip().lower()
    return media in _JSON_TYPES


def _json_feed_entries(data: bytes) -> tuple[list[_Entry], list[str]]:
    if len(data) > MAX_FEED_BYTES:
        return [], [f"JSON feed larger than {MAX_FEED_BYTES} bytes"]
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        return [], [f"not valid JSON: {_describe(exc)}"]
    if not isinstance(document, dict):
        return [], ["JSON document is not an object"]
    problems = []
    if not str(document.get("version", "")).startswith(_JSON_FEED_VERSION):
        problems.append("JSON document has no JSON Feed version")
    items = document.get("items")
    if not isinstance(items, list):
        return [], [*problems, "JSON feed has no items list"]
    feed_language = _language(document.get("language"))
    feed_authors = _json_authors(document)
    entries = [
        _from_json_item(item, feed_language, feed_authors)
        for item in items
        if isinstance(item, dict)
    ]
    if len(entries) < len(items):
        problems.append(f"{len(items) - len(entries)} items are not JSON objects")
    return entries, problems


def _from_json_item(
    item: dict[str, Any], feed_language: str | None, feed_authors: tuple[str, ...]
) -> _Entry:
    link = item.get("url") or item.get("external_url")
    guid = item.get("id")
    return _Entry(
        link=link if isinstance(link, str) else None,
        guid=_text(str(guid)) if isinstance(guid, str | int) else None,
        title=_text(item.get("title")),
        published=parse_datetime(_string(item.get("date_published"))),
        modified=parse_datetime(_string(item.get("date_modified"))),
        language=_language(item.get("language")) or feed_language,
        authors=_json_authors(item) or feed_authors,  # JSON Feed 1.1: items inherit
    )


def _json_authors(holder: Mapping[str, Any]) -> tuple[str, ...]:
    authors = holder.get("authors")  # 1.1
    if not isinstance(authors, list):
        single = holder.get("author")  # 1.0
        authors = [single] if single is not None else []
    return _names(author.get("name") for author in authors if isinstance(author, dict))


# --- small text helpers --------------------------------------------------------------------


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _text(value: object, *, markup: bool = False) -> str | None:
    if not isinstance(value, str):
        return None
    if markup:
        value = html.unescape(_TAG.sub(" ", value))
    cleaned = " ".join(value.split())
    return cleaned[:_MAX_TEXT] or None


def _names(values: Iterable[object]) -> tuple[str, ...]:
    names = (_text(value) for value in values)
    return tuple(dict.fromkeys(name for name in names if name))


def _language(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    code = value.strip().lower().replace("_", "-")
    return code if _LANGUAGE.fullmatch(code) else None
