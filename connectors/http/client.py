"""The one HTTP client of the web connectors: polite, bounded, SSRF-guarded, never raising.

Every request goes through :meth:`Fetcher.fetch`, which, for the URL and then
for every redirect hop (followed by hand, at most ``max_redirects``):

1. validates the URL (http or https, a plausible host, a sane length)  -> ``bad_url``
2. refuses a host whose circuit breaker is open                        -> ``circuit_open``
3. resolves the host and checks every address (:mod:`connectors.http.ssrf`) -> ``private_address``
4. consults the origin's robots.txt (cached; fetched through this path) -> ``robots_denied``
5. waits its turn: per-host concurrency and pacing (``host_delay`` or the
   robots Crawl-delay, whichever is longer), and a global connection cap
6. sends a GET (conditional when validators are given) under a total deadline,
   because httpx's own timeouts only measure inactivity
7. retries 408/429/5xx and network errors with exponential backoff and jitter,
   honouring Retry-After up to ``max_retry_after``
8. reads the raw body and decompresses it itself, in bounded steps, under the
   decoded-size cap, so a compression bomb stops at the cap

and returns a :class:`FetchResult` whose ``outcome`` is one of
:class:`FetchOutcome`. Each call (and each robots.txt download) also leaves
one :class:`FetchRecord` for :meth:`Fetcher.drain_log`.

Error tree (raised only for misuse or unusable settings, never for anything a
server does)::

    ConnectorError                    (connectors.records)
    └── FetchError
        ├── FetchSettingsError        a FetchSettings value is unusable
        └── FetcherClosedError        fetch() called outside ``async with Fetcher(...)``
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import re
import time
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum, StrEnum
from types import TracebackType
from typing import Protocol

import brotli  # type: ignore[import-untyped]
import httpx
import zstandard

from connectors.errors import (
    BlockedAddressError,
    ConnectorError,
    FetcherClosedError,
    FetchSettingsError,
    UnresolvableHostError,
)
from connectors.http.robots import (
    RobotsCache,
    RobotsPolicy,
    policy_allow_all,
    policy_from_body,
    policy_unavailable,
    robots_token,
    robots_url,
)
from connectors.http.ssrf import AddressPolicy, GuardedResolver, Lookup, guarded_transport
from connectors.records import CaptureRef, Validators
from connectors.text.charset import decode_html
from connectors.text.urls import http_url_problem

__all__ = [
    "FetchOutcome",
    "FetchRecord",
    "FetchResult",
    "FetchSettings",
    "Fetcher",
    "Purpose",
    "ResponseSink",
]

logger = logging.getLogger(__name__)


class ResponseSink(Protocol):
    """Receives every successful page response the fetcher downloads (raw capture)."""

    def __call__(
        self,
        *,
        url: str,
        status: int,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        fetched_at: datetime,
    ) -> CaptureRef:
        """Archive one response (body already content-decoded) and say where it went."""
        ...


class FetchOutcome(StrEnum):
    """Closed vocabulary of what became of one fetch; stored in the fetch_log table."""

    OK = "ok"  # a 2xx response of the expected type, body read in full
    NOT_MODIFIED = "not_modified"  # 304 to a conditional GET; body empty
    ROBOTS_DENIED = "robots_denied"  # robots.txt disallows it, or could not be read (see error)
    HTTP_ERROR = "http_error"  # a 4xx/5xx (after retries), or a Retry-After beyond the cap
    TIMEOUT = "timeout"  # connect/read inactivity timeout or the total deadline
    TOO_LARGE = "too_large"  # Content-Length or the decoded body exceeds the cap
    PRIVATE_ADDRESS = "private_address"  # the host is or resolves to a non-public address
    NOT_HTML = "not_html"  # the response is not the type the purpose expects (see error)
    REDIRECT_LOOP = "redirect_loop"  # a redirect went back to a URL already in the chain
    TOO_MANY_REDIRECTS = "too_many_redirects"  # more than max_redirects redirects
    NETWORK_ERROR = "network_error"  # DNS, connect, TLS or protocol failure before a response
    BAD_URL = "bad_url"  # not an absolute http(s) URL with a valid host (also a bad Location)
    CIRCUIT_OPEN = "circuit_open"  # the host failed breaker_threshold times in a row; not tried
    TRUNCATED = "truncated"  # the body ended early (connection cut, lying Content-Length)
    DECODING_ERROR = "decoding_error"  # corrupt or unsupported Content-Encoding


class Purpose(StrEnum):
    """Why a URL is fetched; decides the accepted content types and the size cap."""

    PAGE = "page"
    FEED = "feed"
    SITEMAP = "sitemap"
    ROBOTS = "robots"


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Fetcher limits and manners, read by flows.pipeline.config from the [fetch] table."""

    allow_private_addresses: bool = False  # loopback/private/link-local/etc refused unless True
    private_allowlist: tuple[str, ...] = ()  # CIDR networks allowed even when the above is False
    host_delay: float = 1.0  # seconds between request starts to one host (0 for a local mirror)
    host_concurrency: int = 1
    user_agent: str = "news-ingest/0.1 (+https://github.com/news-ingest/news-ingest)"
    respect_robots: bool = True
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0  # per request, body included
    retries: int = 2
    retry_backoff: float = 1.0  # first backoff in seconds; doubles per retry, with jitter
    max_retry_after: float = 120.0  # a longer Retry-After gives up with http_error
    max_redirects: int = 5
    max_page_bytes: int = 10 * 2**20  # pages and feeds, decoded, enforced while decompressing
    max_sitemap_bytes: int = 50 * 2**20
    max_robots_bytes: int = 512 * 2**10  # robots.txt beyond this is ignored (RFC 9309 allows it)
    max_url_length: int = 2083
    max_crawl_delay: float = 30.0
    robots_ttl: float = 24 * 3600
    robots_retry_delay: float = 60.0  # an unreadable robots.txt is asked for again after this
    breaker_threshold: int = 5  # consecutive failures that open a host's circuit (0: never)
    breaker_cooldown: float = 300.0  # then one trial request is let through (half-open)
    max_connections: int = 32  # across all hosts
    trust_env: bool = False  # deliberate: proxies/certs from env only if asked

    def __post_init__(self) -> None:
        positive = ("connect_timeout", "read_timeout", "total_timeout")
        for name in positive:
            if not getattr(self, name) > 0:
                raise FetchSettingsError(f"fetch.{name} must be > 0")
        non_negative = (
            "host_delay",
            "retries",
            "retry_backoff",
            "max_retry_after",
            "max_redirects",
            "max_crawl_delay",
            "robots_ttl",
            "robots_retry_delay",
            "breaker_threshold",
            "breaker_cooldown",
        )
        for name in non_negative:
            if getattr(self, name) < 0:
                raise FetchSettingsError(f"fetch.{name} must be >= 0")
        at_least_one = (
            "host_concurrency",
            "max_connections",
            "max_page_bytes",
            "max_sitemap_bytes",
            "max_robots_bytes",
            "max_url_length",
        )
        for name in at_least_one:
            if getattr(self, name) < 1:
                raise FetchSettingsError(f"fetch.{name} must be >= 1")
        if not self.user_agent.strip():
            raise FetchSettingsError("fetch.user_agent must not be empty")
        try:
            self.address_policy()
        except ValueError as exc:
            raise FetchSettingsError(f"fetch.private_allowlist: {exc}") from exc

    def address_policy(self) -> AddressPolicy:
        """The SSRF policy these settings describe."""
        return AddressPolicy.from_strings(
            allow_private=self.allow_private_addresses, allowlist=self.private_allowlist
        )

    def size_limit(self, purpose: Purpose) -> int:
        """Decoded-size cap for a purpose."""
        if purpose is Purpose.SITEMAP:
            return self.max_sitemap_bytes
        if purpose is Purpose.ROBOTS:
            return self.max_robots_bytes
        return self.max_page_bytes


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one fetch produced; ``body`` is content-decoded and empty unless the outcome is OK."""

    url: str  # as requested
    final_url: str  # after redirects (the last URL tried)
    purpose: Purpose
    outcome: FetchOutcome
    status: int | None
    body: bytes
    content_type: str | None
    validators: Validators  # ETag / Last-Modified to send next time (the sent ones kept on a 304)
    redirects: tuple[str, ...]  # the chain of URLs before final_url
    headers: tuple[tuple[str, str], ...]
    error: str | None  # human-readable detail for any non-OK outcome
    elapsed: float  # seconds, waiting for robots.txt and pacing included
    fetched_at: datetime  # UTC, when fetch() was called
    attempts: int  # HTTP requests sent (all hops and retries); 0 when refused beforehand
    capture: CaptureRef | None = None  # set when a ResponseSink archived the response

    @property
    def ok(self) -> bool:
        """True when the outcome is OK."""
        return self.outcome is FetchOutcome.OK

    def text(self) -> str:
        """The body decoded to text (BOM, header charset, <meta>, then detection)."""
        return decode_html(self.body, self.content_type)[0]


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """One fetch_log row: a fetch (or robots.txt download) and what became of it."""

    url: str
    final_url: str
    purpose: Purpose
    outcome: FetchOutcome
    status: int | None
    bytes: int  # length of the decoded body kept (0 unless OK)
    elapsed_ms: int
    etag: str | None
    last_modified: str | None
    content_type: str | None
    error: str | None
    attempts: int
    redirects: int  # how many redirects were followed
    redirect_chain: tuple[str, ...]
    fetched_at: datetime

    @classmethod
    def from_result(cls, result: FetchResult) -> FetchRecord:
        """The log row for a result."""
        return cls(
            url=result.url,
            final_url=result.final_url,
            purpose=result.purpose,
            outcome=result.outcome,
            status=result.status,
            bytes=len(result.body),
            elapsed_ms=round(result.elapsed * 1000),
            etag=result.validators.etag,
            last_modified=result.validators.last_modified,
            content_type=result.content_type,
            error=result.error,
            attempts=result.attempts,
            redirects=len(result.redirects),
            redirect_chain=result.redirects,
            fetched_at=result.fetched_at,
        )


# --------------------------------------------------------------------------- bounded decoding

_STEP = 64 * 2**10  # most bytes a decoder emits per step
_ZSTD_MAX_BLOCK = 128 * 2**10  # a zstd block never decodes to more than this
_ZSTD_MIN_BLOCK_INPUT = 4  # and takes at least this many input bytes (an RLE block)
_GZIP_MAGIC = b"\x1f\x8b"


class _LimitReachedError(ConnectorError):
    """The decoded body reached its cap."""


class _IncompleteError(ConnectorError):
    """A compressed stream ended before its end marker."""


class _CorruptError(ConnectorError):
    """The body cannot be decoded as its Content-Encoding says."""


class _Body:
    """Decoded bytes collected up to a cap; ``write`` raises once the cap is passed."""

    def __init__(self, limit: int) -> None:
        self.data = bytearray()
        self.limit = limit

    def room(self) -> int:
        """Bytes that still fit."""
        return self.limit - len(self.data)

    def write(self, piece: bytes) -> None:
        """Append a piece; keep what fits and raise when it does not all fit."""
        room = self.room()
        if len(piece) > room:
            self.data += piece[:room]
            raise _LimitReachedError
        self.data += piece


_Sink = Callable[[bytes], None]


class _Decoder(Protocol):
    def feed(self, data: bytes) -> None: ...

    def finish(self) -> None: ...


class _Identity:
    def __init__(self, sink: _Sink) -> None:
        self._sink = sink

    def feed(self, data: bytes) -> None:
        if data:
            self._sink(data)

    def finish(self) -> None:
        return


class _ZlibDecoder:
    """gzip (wbits 31), zlib (15) or raw deflate (-15), emitting at most _STEP bytes per step."""

    def __init__(self, sink: _Sink, wbits: int) -> None:
        self._sink = sink
        self._wbits = wbits
        self._zlib = zlib.decompressobj(wbits)
        self._more = False  # the last step filled its output: more may be pending
        self._seen = False

    def feed(self, data: bytes) -> None:
        buf = data
        self._seen = self._seen or bool(data)
        try:
            while buf or self._more:
                if self._zlib.eof:
                    # A gzip body may hold several members; anything else after the
                    # end of the stream is ignored, as browsers do.
                    if self._wbits != 31 or not buf.startswith(_GZIP_MAGIC):
                        return
                    self._zlib = zlib.decompressobj(self._wbits)
                piece = self._zlib.decompress(buf, _STEP)
                self._more = len(piece) == _STEP and not self._zlib.eof
                buf = self._zlib.unused_data if self._zlib.eof else self._zlib.unconsumed_tail
                if piece:
                    self._sink(piece)
        except zlib.error as exc:
            raise _CorruptError(f"invalid compressed data: {exc}") from exc

    def finish(self) -> None:
        if self._more:
            self.feed(b"")
        if self._seen and not self._zlib.eof:
            raise _IncompleteError("compressed stream ended before its end marker")


class _BrotliDecoder:
    def __init__(self, sink: _Sink) -> None:
        self._sink = sink
        self._brotli = brotli.Decompressor()
        self._seen = False

    def feed(self, data: bytes) -> None:
        self._seen = self._seen or bool(data)
        try:
            piece = self._brotli.process(data, output_buffer_limit=_STEP)
            # can_accept_more_data() may say True while output is still pending,
            # so drain with empty input until a step yields nothing.
            while piece:
                self._sink(piece)
                if self._brotli.is_finished():
                    return
                piece = self._brotli.process(b"", output_buffer_limit=_STEP)
        except brotli.error as exc:
            raise _CorruptError(f"invalid brotli data: {exc}") from exc

    def finish(self) -> None:
        if self._seen and not self._brotli.is_finished():
            raise _IncompleteError("brotli stream ended before its end marker")


class _ZstdDecoder:
    """zstd, fed in slices small enough that one step cannot decode past the room left.

    zstandard's decompressobj has no output limit, but a block decodes to at
    most 128 KiB and needs at least 4 input bytes, which bounds a slice's output.
    """

    def __init__(self, sink: _Sink, room: Callable[[], int]) -> None:
        self._sink = sink
        self._room = room
        self._zstd = zstandard.ZstdDecompressor().decompressobj()
        self._in_frame = False

    def feed(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                if self._zstd.eof:
                    # Concatenated frames: start over on the bytes after the last one.
                    view = memoryview(self._zstd.unused_data + bytes(view))
                    self._zstd = zstandard.ZstdDecompressor().decompressobj()
                    self._in_frame = False
                    continue
                blocks = max(1, self._room() // _ZSTD_MAX_BLOCK)
                size = blocks * _ZSTD_MIN_BLOCK_INPUT
                piece = self._zstd.decompress(view[:size])
                view = view[size:]
                self._in_frame = not self._zstd.eof
                if piece:
                    self._sink(piece)
        except zstandard.ZstdError as exc:
            raise _CorruptError(f"invalid zstd data: {exc}") from exc

    def finish(self) -> None:
        if self._in_frame:
            raise _IncompleteError("zstd stream ended before the end of its frame")


class _Sniffed:
    """Chooses its decoder from the first two bytes (deflate's zlib header, a gzip file)."""

    def __init__(self, choose: Callable[[bytes], _Decoder]) -> None:
        self._choose = choose
        self._head = b""
        self._inner: _Decoder | None = None

    def feed(self, data: bytes) -> None:
        if self._inner is None:
            self._head += data
            if len(self._head) < 2:
                return
            self._inner = self._choose(self._head)
            data, self._head = self._head, b""
        self._inner.feed(data)

    def finish(self) -> None:
        if self._inner is None:
            if not self._head:
                return
            self._inner = self._choose(self._head)
            self._inner.feed(self._head)
        self._inner.finish()


def _deflate(sink: _Sink) -> _Decoder:
    # "deflate" should be zlib-wrapped (RFC 9110) but some servers send raw deflate.
    def choose(head: bytes) -> _Decoder:
        zlib_wrapped = len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
        return _ZlibDecoder(sink, zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)

    return _Sniffed(choose)


def _gunzip_if_gzipped(sink: _Sink) -> _Decoder:
    def choose(head: bytes) -> _Decoder:
        return _ZlibDecoder(sink, 31) if head.startswith(_GZIP_MAGIC) else _Identity(sink)

    return _Sniffed(choose)


def _decoder_chain(
    content_encoding: str | None, body: _Body, *, gunzip_file: bool
) -> list[_Decoder]:
    """Decoders for a Content-Encoding, outermost first; raise _CorruptError if unsupported."""
    sink: _Sink = body.write
    chain: list[_Decoder] = []
    if gunzip_file:
        inner = _gunzip_if_gzipped(sink)
        chain.append(inner)
        sink = inner.feed
    codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
    for coding in codings:  # listed in the order applied, so each wraps the previous
        decoder: _Decoder
        if coding in ("", "identity"):
            continue
        if coding in ("gzip", "x-gzip"):
            decoder = _ZlibDecoder(sink, 31)
        elif coding == "deflate":
            decoder = _deflate(sink)
        elif coding == "br":
            decoder = _BrotliDecoder(sink)
        elif coding == "zstd":
            decoder = _ZstdDecoder(sink, body.room)
        else:
            raise _CorruptError(f"unsupported Content-Encoding {coding!r}")
        chain.insert(0, decoder)
        sink = decoder.feed
    if not chain:
        chain.append(_Identity(sink))
    return chain


# --------------------------------------------------------------------------- content types


class _Verdict(Enum):
    ACCEPT = "accept"
    REJECT = "reject"
    SNIFF = "sniff"


_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_GENERIC_TYPES = frozenset(
    {"", "application/octet-stream", "binary/octet-stream", "application/unknown"}
)
_GZIP_TYPES = frozenset(
    {"application/gzip", "application/x-gzip", "application/x-gunzip", "application/gzipped"}
)
_BINARY_PREFIXES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip")
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<meta")
_FEED_MARKERS = (b"<rss", b"<feed", b"<rdf:rdf", b"<channel")
_SITEMAP_MARKERS = (b"<urlset", b"<sitemapindex")
_SNIFF_BYTES = 1024


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _type_verdict(purpose: Purpose, content_type: str | None) -> _Verdict:  # noqa: PLR0911
    media = _media_type(content_type)
    if purpose is Purpose.ROBOTS:
        return _Verdict.ACCEPT
    if purpose is Purpose.PAGE:
        if media in _HTML_TYPES:
            return _Verdict.ACCEPT
        return _Verdict.SNIFF if media in _GENERIC_TYPES else _Verdict.REJECT
    if media.startswith(_BINARY_PREFIXES):
        return _Verdict.REJECT
    if "xml" in media or (purpose is Purpose.FEED and "json" in media):
        return _Verdict.ACCEPT
    if purpose is Purpose.SITEMAP and (media in _GZIP_TYPES or media == "text/plain"):
        return _Verdict.ACCEPT
    # Feeds and sitemaps are often served as text/html or text/plain: look at them.
    return _Verdict.SNIFF


def _head(body: bytes) -> bytes:
    return body[:_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()


def _sniff_ok(purpose: Purpose, body: bytes) -> bool:
    head = _head(body)
    if purpose is Purpose.PAGE:
        return any(marker in head for marker in _HTML_MARKERS)
    if purpose is Purpose.FEED:
        if head.startswith(b"{"):
            return True
        return head.startswith(b"<?xml") or any(m in head for m in _FEED_MARKERS)
    if head.startswith(b"<?xml") or any(m in head for m in _SITEMAP_MARKERS):
        return True
    # A text sitemap: one absolute URL a line.
    return head.startswith((b"http://", b"https://"))


_ACCEPT = {
    Purpose.PAGE: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
    Purpose.FEED: (
        "application/rss+xml,application/atom+xml,application/feed+json,"
        "application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.5"
    ),
    Purpose.SITEMAP: "application/xml,text/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5",
    Purpose.ROBOTS: "text/plain,*/*;q=0.5",
}
_ACCEPT_ENCODING = "gzip, deflate, br, zstd"


# --------------------------------------------------------------------------- URLs and headers

_HOSTNAME = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_-]{1,63})*\.?")
_HEADER_SAFE = re.compile(r"[\x20-\x7e]+")
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_MAX_HOST_LENGTH = 253


def _parse_url(url: str, *, max_length: int) -> httpx.URL | str:
    """The URL to request, or why it cannot be requested.

    The shared rule first (connectors.text.urls), then what the transport needs
    on top: a host name httpx can encode and that is a valid DNS name.
    """
    problem = http_url_problem(url, max_length=max_length)
    if problem is not None:
        return problem
    try:
        parsed = httpx.URL(url.strip())
        host = parsed.raw_host.decode("ascii").lower()
    except (httpx.InvalidURL, UnicodeError, ValueError, TypeError) as exc:
        return f"invalid URL: {exc}"
    if ":" not in host and (len(host) > _MAX_HOST_LENGTH or not _HOSTNAME.fullmatch(host)):
        return f"invalid host {host!r}"
    return parsed.copy_with(fragment=None)


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _content_length(headers: httpx.Headers) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or HTTP-date), if any."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _validators(headers: httpx.Headers | None) -> Validators:
    if headers is None:
        return Validators()
    return Validators(etag=headers.get("etag"), last_modified=headers.get("last-modified"))


# --------------------------------------------------------------------------- per-host state


class _Breaker:
    """Consecutive failures open the circuit; after a cool-down one trial may pass (half-open)."""

    def __init__(self, threshold: int, cooldown: float) -> None:
        self._threshold = threshold
        self._cooldown = cooldown
        self._failures = 0
        self._open_until = 0.0
        self._trial = False

    def blocked(self) -> bool:
        """True when requests to the host must not be sent now."""
        if self._threshold == 0 or self._failures < self._threshold:
            return False
        return time.monotonic() < self._open_until or self._trial

    def begin(self) -> None:
        """A request is about to go out; in half-open state it is the trial."""
        if self._threshold and self._failures >= self._threshold:
            self._trial = True

    def record(self, *, failed: bool | None) -> bool:
        """Count a finished request (None: neither); return True when the circuit just opened."""
        self._trial = False
        if failed is None:
            return False
        if not failed:
            self._failures = 0
            return False
        self._failures += 1
        if self._threshold and self._failures >= self._threshold:
            self._open_until = time.monotonic() + self._cooldown
            return True
        return False


@dataclass(eq=False)
class _Host:
    slots: asyncio.Semaphore
    breaker: _Breaker
    next_start: float = 0.0  # time.monotonic() before which no request may start
    crawl_delay: float = 0.0  # from robots.txt, already capped

    def defer(self, seconds: float) -> None:
        """Start no request to this host for ``seconds`` (Retry-After, backoff)."""
        self.next_start = max(self.next_start, time.monotonic() + seconds)


# --------------------------------------------------------------------------- one request


@dataclass(slots=True)
class _Reply:
    """What one hop ended with; ``outcome`` None means a redirect to ``location``."""

    outcome: FetchOutcome | None
    status: int | None = None
    headers: httpx.Headers | None = None
    body: bytes = b""
    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None
    location: str | None = None

    def host_failed(self) -> bool | None:
        """Whether this counts against the host's breaker (None: it says nothing about the host)."""
        if self.outcome in (FetchOutcome.TIMEOUT, FetchOutcome.NETWORK_ERROR):
            return True
        if self.outcome is FetchOutcome.TRUNCATED:
            return True
        if self.outcome is FetchOutcome.HTTP_ERROR:
            return self.status is None or self.status >= 500 or self.status == 429
        if self.outcome in (FetchOutcome.PRIVATE_ADDRESS, FetchOutcome.BAD_URL):
            return None
        return False  # the host answered (a redirect, a 4xx, a page of the wrong type)


@dataclass(slots=True)
class _Trace:
    """A fetch in progress: what the result will report."""

    url: str
    purpose: Purpose
    sent_validators: Validators | None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started: float = field(default_factory=time.monotonic)
    attempts: int = 0
    redirects: list[str] = field(default_factory=list)


def _refused(outcome: FetchOutcome, error: str) -> _Reply:
    return _Reply(outcome=outcome, error=error)


# --------------------------------------------------------------------------- the fetcher


class Fetcher:
    """The shared async HTTP client: ``async with Fetcher(settings) as f: await f.fetch(url)``.

    One httpx.AsyncClient (HTTP/1.1, keep-alive, no automatic redirects or
    decoding) serves every host; ``transport`` replaces the SSRF-guarded
    transport (the pre-flight address check still applies), ``capture``
    archives every OK page, ``lookup`` replaces the system resolver.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        capture: ResponseSink | None = None,
        lookup: Lookup | None = None,
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._capture = capture
        self._resolver = GuardedResolver(settings.address_policy(), lookup=lookup)
        self._robots = RobotsCache()
        self._token = robots_token(settings.user_agent)
        self._hosts: dict[str, _Host] = {}
        self._log: list[FetchRecord] = []
        self._client: httpx.AsyncClient | None = None
        self._connections: asyncio.Semaphore | None = None
        # Jitter only spreads retries out; it needs no cryptographic strength.
        self._random = random.Random()  # noqa: S311

    async def __aenter__(self) -> Fetcher:
        """Open the HTTP client."""
        self._client = self._make_client()
        self._connections = asyncio.Semaphore(self.settings.max_connections)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the HTTP client and its connections."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def drain_log(self) -> list[FetchRecord]:
        """Return (and forget) the records of every fetch since the last drain, robots.txt too."""
        records, self._log = self._log, []
        return records

    async def fetch(
        self, url: str, *, purpose: Purpose = Purpose.PAGE, validators: Validators | None = None
    ) -> FetchResult:
        """Fetch a URL politely; every remote problem is an outcome in the result, never raised."""
        if self._client is None:
            raise FetcherClosedError("use `async with Fetcher(settings) as fetcher`")
        trace = _Trace(url=url, purpose=purpose, sent_validators=validators)
        target = _parse_url(url, max_length=self.settings.max_url_length)
        if isinstance(target, str):
            result = self._result(trace, url, _refused(FetchOutcome.BAD_URL, target))
        else:
            result = await self._follow(trace, target)
        self._log.append(FetchRecord.from_result(result))
        logger.debug("fetch %s -> %s %s", url, result.outcome, result.error or "")
        return result

    async def robots_sitemaps(self, url: str) -> tuple[str, ...]:
        """Sitemap URLs listed in the robots.txt of ``url``'s origin (fetched once, cached)."""
        target = _parse_url(url, max_length=self.settings.max_url_length)
        if isinstance(target, str):
            return ()
        return (await self._robots_policy(target)).sitemaps

    # ------------------------------------------------------------------ client

    def _make_client(self) -> httpx.AsyncClient:
        s = self.settings
        limits = httpx.Limits(
            max_connections=s.max_connections, max_keepalive_connections=s.max_connections
        )
        transport = self._transport
        if transport is None and s.trust_env and urllib.request.getproxies():
            # httpx mounts the environment's proxies only when it builds the
            # transport; the proxy then resolves names, so the guard can check
            # them before sending but cannot pin the address connected to.
            logger.warning("trust_env with proxy settings: addresses checked, not pinned")
        elif transport is None:
            transport = guarded_transport(self._resolver, limits=limits, trust_env=s.trust_env)
        return httpx.AsyncClient(
            transport=transport,
            limits=limits,
            headers={"User-Agent": s.user_agent, "Accept-Encoding": _ACCEPT_ENCODING},
            timeout=httpx.Timeout(
                connect=s.connect_timeout,
                read=s.read_timeout,
                write=s.read_timeout,
                pool=s.total_timeout,
            ),
            follow_redirects=False,
            trust_env=s.trust_env,
            http1=True,
            http2=False,
        )

    def _host(self, url: httpx.URL) -> _Host:
        key = url.raw_host.decode("ascii").lower()
        host = self._hosts.get(key)
        if host is None:
            s = self.settings
            host = _Host(
                slots=asyncio.Semaphore(s.host_concurrency),
                breaker=_Breaker(s.breaker_threshold, s.breaker_cooldown),
            )
            self._hosts[key] = host
        return host

    # ------------------------------------------------------------------ redirects

    async def _follow(self, trace: _Trace, first: httpx.URL) -> FetchResult:
        current = first
        seen = {str(first)}
        while True:
            reply = await self._hop(trace, current)
            if reply.outcome is not None:
                return self._result(trace, str(current), reply)
            target = self._redirect_target(current, reply.location or "")
            if isinstance(target, _Reply):
                return self._result(trace, str(current), target)
            if str(target) in seen:
                loop = _refused(FetchOutcome.REDIRECT_LOOP, f"redirect back to {target}")
                return self._result(trace, str(current), _with_response(loop, reply))
            if len(trace.redirects) >= self.settings.max_redirects:
                error = f"more than {self.settings.max_redirects} redirects (next: {target})"
                many = _refused(FetchOutcome.TOO_MANY_REDIRECTS, error)
                return self._result(trace, str(current), _with_response(many, reply))
            trace.redirects.append(str(current))
            seen.add(str(target))
            current = target

    def _redirect_target(self, current: httpx.URL, location: str) -> httpx.URL | _Reply:
        try:
            joined = str(current.join(location))
        except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
            return _refused(FetchOutcome.BAD_URL, f"redirect to an invalid URL: {exc}")
        target = _parse_url(joined, max_length=self.settings.max_url_length)
        if isinstance(target, str):
            return _refused(FetchOutcome.BAD_URL, f"redirect to {joined!r}: {target}")
        return target

    # ------------------------------------------------------------------ one hop

    async def _hop(self, trace: _Trace, url: httpx.URL) -> _Reply:
        """Guard, robots, then the request with retries, for one URL of the chain."""
        host = self._host(url)
        if host.breaker.blocked():
            return _refused(FetchOutcome.CIRCUIT_OPEN, f"circuit open for {url.host}")
        refusal = await self._check_address(url)
        if refusal is not None:
            if refusal.outcome is FetchOutcome.NETWORK_ERROR:
                self._count(host, url, failed=True)
            return refusal
        if self.settings.respect_robots and trace.purpose is not Purpose.ROBOTS:
            policy = await self._robots_policy(url)
            if not policy.allows(str(url), self._token):
                reason = policy.unavailable
                error = f"robots.txt unavailable: {reason}" if reason else "robots.txt disallows it"
                return _refused(FetchOutcome.ROBOTS_DENIED, error)
        # Checked again with no await before begin(): robots.txt may just have
        # opened the circuit, or another fetch may have become the half-open trial.
        if host.breaker.blocked():
            return _refused(FetchOutcome.CIRCUIT_OPEN, f"circuit open for {url.host}")
        host.breaker.begin()
        failed: bool | None = None
        try:
            reply = await self._with_retries(trace, url, host)
            failed = reply.host_failed()
        finally:
            self._count(host, url, failed=failed)
        return reply

    def _count(self, host: _Host, url: httpx.URL, *, failed: bool | None) -> None:
        if host.breaker.record(failed=failed):
            logger.warning("circuit opened for %s after repeated failures", url.host)

    async def _check_address(self, url: httpx.URL) -> _Reply | None:
        try:
            async with asyncio.timeout(self.settings.connect_timeout):
                await self._resolver.resolve(url.raw_host.decode("ascii"), _port(url))
        except BlockedAddressError as exc:
            return _refused(FetchOutcome.PRIVATE_ADDRESS, str(exc))
        except UnresolvableHostError as exc:
            return _refused(FetchOutcome.NETWORK_ERROR, str(exc))
        except TimeoutError:
            return _refused(FetchOutcome.NETWORK_ERROR, f"DNS lookup of {url.host} timed out")
        return None

    async def _with_retries(self, trace: _Trace, url: httpx.URL, host: _Host) -> _Reply:
        s = self.settings
        retries = 0 if trace.purpose is Purpose.ROBOTS else s.retries
        attempt = 0
        while True:
            reply = await self._paced(trace, url, host)
            if reply.retry_after is not None and reply.retry_after > s.max_retry_after:
                # Waiting that long would stall every fetch to the host; give up
                # on this URL (the breaker counts it) instead of deferring the host.
                reply.error = (
                    f"{reply.error}; Retry-After {reply.retry_after:.0f} s exceeds "
                    f"the {s.max_retry_after:.0f} s cap, gave up"
                )
                return reply
            if reply.retry_after is not None:
                host.defer(reply.retry_after)  # other fetches to the host wait too
            if not reply.retryable or attempt >= retries:
                return reply
            wait = reply.retry_after if reply.retry_after is not None else self._backoff(attempt)
            host.defer(wait)
            attempt += 1
            logger.info("retry %d for %s in %.1f s: %s", attempt, url, wait, reply.error)

    def _backoff(self, attempt: int) -> float:
        base: float = self.settings.retry_backoff * 2**attempt
        return base * self._random.uniform(0.5, 1.5)

    async def _paced(self, trace: _Trace, url: httpx.URL, host: _Host) -> _Reply:
        """One request, once the host's concurrency, pacing and the global cap allow it."""
        async with host.slots:
            await self._take_turn(host)
            assert self._connections is not None
            try:
                trace.attempts += 1
                return await self._request(trace, url)
            finally:
                self._connections.release()

    async def _take_turn(self, host: _Host) -> None:
        """Wait until the host's next start time with a global connection slot in hand."""
        assert self._connections is not None
        while True:
            wait = host.next_start - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            await self._connections.acquire()
            # No await between this check and the update: the turn is ours.
            if host.next_start <= time.monotonic():
                host.next_start = time.monotonic() + max(self.settings.host_delay, host.crawl_delay)
                return
            self._connections.release()

    async def _request(self, trace: _Trace, url: httpx.URL) -> _Reply:
        """Send one GET and read its reply under the total deadline."""
        assert self._client is not None
        s = self.settings
        try:
            request = self._client.build_request("GET", url, headers=self._headers(trace))
            async with asyncio.timeout(s.total_timeout):
                response = await self._client.send(request, stream=True)
                try:
                    return await self._reply(trace, response)
                finally:
                    await response.aclose()
        except Exception as exc:
            return self._failure(url, exc)

    def _failure(self, url: httpx.URL, exc: Exception) -> _Reply:
        """Translate what sending a request raised into a reply."""
        if isinstance(exc, TimeoutError):
            # Not retried: a server this slow would only hold the host's slot again.
            deadline = self.settings.total_timeout
            error = f"no complete response within the {deadline:g} s total deadline"
            return _refused(FetchOutcome.TIMEOUT, error)
        if isinstance(exc, BlockedAddressError):
            return _refused(FetchOutcome.PRIVATE_ADDRESS, str(exc))
        if isinstance(exc, httpx.TimeoutException):
            return _Reply(FetchOutcome.TIMEOUT, error=_describe(exc), retryable=True)
        if isinstance(exc, httpx.TransportError | OSError):
            return _Reply(FetchOutcome.NETWORK_ERROR, error=_describe(exc), retryable=True)
        if not isinstance(exc, httpx.HTTPError):
            # A server must never be able to crash a run, even through a path of
            # httpx/h11 nobody mapped; the traceback stays visible in the log.
            logger.error("unexpected error fetching %s", url, exc_info=exc)
        return _refused(FetchOutcome.NETWORK_ERROR, _describe(exc))

    def _headers(self, trace: _Trace) -> dict[str, str]:
        headers = {"Accept": _ACCEPT[trace.purpose]}
        sent = trace.sent_validators or Validators()
        # A stored validator with control characters would make h11 refuse the request.
        if sent.etag and _HEADER_SAFE.fullmatch(sent.etag):
            headers["If-None-Match"] = sent.etag
        if sent.last_modified and _HEADER_SAFE.fullmatch(sent.last_modified):
            headers["If-Modified-Since"] = sent.last_modified
        return headers

    async def _reply(self, trace: _Trace, response: httpx.Response) -> _Reply:
        """Classify a response by status and type, reading the body when it is wanted."""
        status, headers = response.status_code, response.headers
        if status in _REDIRECT_STATUSES and headers.get("location"):
            return _Reply(None, status=status, headers=headers, location=headers["location"])
        if status == 304:
            return _Reply(FetchOutcome.NOT_MODIFIED, status=status, headers=headers)
        if not 200 <= status < 300:
            return _Reply(
                FetchOutcome.HTTP_ERROR,
                status=status,
                headers=headers,
                error=f"HTTP {status} {response.reason_phrase}".rstrip(),
                retryable=status in (408, 429) or status >= 500,
                retry_after=_retry_after(headers),
            )
        return await self._accept(trace, response)

    async def _accept(self, trace: _Trace, response: httpx.Response) -> _Reply:
        status, headers = response.status_code, response.headers
        limit = self.settings.size_limit(trace.purpose)
        truncate = trace.purpose is Purpose.ROBOTS
        content_type = headers.get("content-type")
        verdict = _type_verdict(trace.purpose, content_type)
        if verdict is _Verdict.REJECT:
            error = f"content type {content_type!r} is not accepted for a {trace.purpose}"
            return _Reply(FetchOutcome.NOT_HTML, status=status, headers=headers, error=error)
        length = _content_length(headers)
        if length is not None and length > limit and not truncate:
            error = f"Content-Length {length} exceeds the {limit}-byte cap"
            return _Reply(FetchOutcome.TOO_LARGE, status=status, headers=headers, error=error)
        failure, body = await self._read_body(trace, response, limit=limit, truncate=truncate)
        if failure is not None:
            failure.status, failure.headers = status, headers
            return failure
        if verdict is _Verdict.SNIFF and not _sniff_ok(trace.purpose, body):
            error = f"content type {content_type!r}; the body does not look like a {trace.purpose}"
            return _Reply(FetchOutcome.NOT_HTML, status=status, headers=headers, error=error)
        return _Reply(FetchOutcome.OK, status=status, headers=headers, body=body)

    async def _read_body(  # noqa: PLR0911 - one return per way a body can fail
        self, trace: _Trace, response: httpx.Response, *, limit: int, truncate: bool
    ) -> tuple[_Reply | None, bytes]:
        """Read and decode the raw body in bounded steps; a failure reply or the body."""
        body = _Body(limit)
        raw = 0
        try:
            chain = _decoder_chain(
                response.headers.get("content-encoding"),
                body,
                gunzip_file=trace.purpose is Purpose.SITEMAP,
            )
            async for chunk in response.aiter_raw():
                raw += len(chunk)
                if raw > limit + _STEP and not truncate:
                    # Compressed input this long is not a document we want either.
                    raise _LimitReachedError
                chain[0].feed(chunk)
            for decoder in chain:
                decoder.finish()
        except _LimitReachedError:
            if truncate:
                return None, bytes(body.data)
            error = f"body exceeds the {limit}-byte cap (stopped after {raw} bytes on the wire)"
            return _Reply(FetchOutcome.TOO_LARGE, error=error), b""
        except _IncompleteError as exc:
            return _Reply(FetchOutcome.TRUNCATED, error=str(exc), retryable=True), b""
        except _CorruptError as exc:
            return _Reply(FetchOutcome.DECODING_ERROR, error=str(exc)), b""
        except httpx.TimeoutException as exc:
            return _Reply(FetchOutcome.TIMEOUT, error=_describe(exc), retryable=True), b""
        except (httpx.TransportError, OSError) as exc:
            error = f"body cut short after {raw} bytes: {_describe(exc)}"
            return _Reply(FetchOutcome.TRUNCATED, error=error, retryable=True), b""
        return None, bytes(body.data)

    # ------------------------------------------------------------------ robots.txt

    async def _robots_policy(self, url: httpx.URL) -> RobotsPolicy:
        origin = f"{url.scheme}://{url.raw_host.decode('ascii').lower()}:{_port(url)}"
        policy = await self._robots.get(origin, lambda: self._load_robots(url))
        delay = policy.delay(self._token)
        if delay is not None:
            self._host(url).crawl_delay = min(delay, self.settings.max_crawl_delay)
        return policy

    async def _load_robots(self, url: httpx.URL) -> RobotsPolicy:
        result = await self.fetch(robots_url(url), purpose=Purpose.ROBOTS)
        s = self.settings
        if result.ok:
            return policy_from_body(result.body, ttl=s.robots_ttl)
        status = result.status
        client_error = status is not None and 400 <= status < 500 and status != 429
        if result.outcome is FetchOutcome.HTTP_ERROR and client_error:
            return policy_allow_all(ttl=s.robots_ttl)
        # Redirects that lead nowhere count as "no robots.txt" (as Google does).
        dead_ends = (FetchOutcome.REDIRECT_LOOP, FetchOutcome.TOO_MANY_REDIRECTS)
        if result.outcome in (*dead_ends, FetchOutcome.BAD_URL):
            return policy_allow_all(ttl=s.robots_ttl)
        reason = f"{result.outcome}: {result.error}"
        logger.info("robots.txt for %s unavailable (%s); disallowing for now", url.host, reason)
        return policy_unavailable(reason, retry_after=s.robots_retry_delay)

    # ------------------------------------------------------------------ results

    def _result(self, trace: _Trace, final_url: str, reply: _Reply) -> FetchResult:
        outcome = reply.outcome or FetchOutcome.HTTP_ERROR
        headers = reply.headers
        validators = _validators(headers)
        if outcome is FetchOutcome.NOT_MODIFIED and trace.sent_validators is not None:
            sent = trace.sent_validators
            validators = Validators(
                etag=validators.etag or sent.etag,
                last_modified=validators.last_modified or sent.last_modified,
            )
        fetched_at = trace.fetched_at
        body = reply.body if outcome is FetchOutcome.OK else b""
        # Raw names keep the server's spelling, which a WARC capture should preserve.
        header_items = tuple(
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in (headers.raw if headers is not None else ())
        )
        capture = None
        if outcome is FetchOutcome.OK and trace.purpose is Purpose.PAGE and self._capture:
            capture = self._capture(
                url=final_url,
                status=reply.status or 200,
                headers=header_items,
                body=body,
                fetched_at=fetched_at,
            )
        return FetchResult(
            url=trace.url,
            final_url=final_url,
            purpose=trace.purpose,
            outcome=outcome,
            status=reply.status,
            body=body,
            content_type=headers.get("content-type") if headers is not None else None,
            validators=validators,
            redirects=tuple(trace.redirects),
            headers=header_items,
            error=None if outcome is FetchOutcome.OK else reply.error,
            elapsed=time.monotonic() - trace.started,
            fetched_at=fetched_at,
            attempts=trace.attempts,
            capture=capture,
        )


def _with_response(refusal: _Reply, response: _Reply) -> _Reply:
    """A refusal that still reports the status and headers of the response that caused it."""
    refusal.status, refusal.headers = response.status, response.headers
    return refusal


def _describe(exc: BaseException) -> str:
    detail = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {detail}"
