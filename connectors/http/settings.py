"""The fetcher's limits and manners (:class:`FetchSettings`), and why a URL is fetched.

Settings are read once from the sources file's ``[fetch]`` table
(``flows.pipeline.config``) into one frozen object and checked there, so a bad
value stops the run before any request; every part of the client reads its
limits from it. The purpose of a fetch decides its size cap here, and its
accepted content types in :mod:`connectors.http.sniffing`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from connectors.errors import FetchSettingsError
from connectors.http.ssrf import AddressPolicy

__all__ = ["FetchSettings", "Purpose"]

_POSITIVE = ("connect_timeout", "read_timeout", "total_timeout", "decode_cpu_budget")
_NON_NEGATIVE = (
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
_AT_LEAST_ONE = (
    "host_concurrency",
    "max_connections",
    "max_page_bytes",
    "max_sitemap_bytes",
    "max_robots_bytes",
    "max_url_length",
)


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
    # CPU seconds undoing one response's Content-Encoding may take; beyond it the
    # fetch is too_large and counts against the host (10x a 44 MiB sitemap's 0.1 s).
    decode_cpu_budget: float = 1.0
    max_url_length: int = 2083
    max_crawl_delay: float = 30.0
    robots_ttl: float = 24 * 3600
    robots_retry_delay: float = 60.0  # an unreadable robots.txt is asked for again after this
    breaker_threshold: int = 5  # consecutive failures that open a host's circuit (0: never)
    breaker_cooldown: float = 300.0  # then one trial request is let through (half-open)
    max_connections: int = 32  # across all hosts
    trust_env: bool = False  # deliberate: proxies/certs from env only if asked

    def __post_init__(self) -> None:
        # "Not below" rather than ">=": the checks stay as they were, where a NaN passes.
        _require(self, _POSITIVE, "> 0", lambda value: value > 0)
        _require(self, _NON_NEGATIVE, ">= 0", lambda value: not value < 0)
        _require(self, _AT_LEAST_ONE, ">= 1", lambda value: not value < 1)
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


def _require(
    settings: FetchSettings, names: tuple[str, ...], rule: str, holds: Callable[[float], bool]
) -> None:
    """Raise FetchSettingsError naming the first field for which ``holds`` is false."""
    for name in names:
        if not holds(getattr(settings, name)):
            raise FetchSettingsError(f"fetch.{name} must be {rule}")
