"""robots.txt rules per origin: parsing (Protego), the verdict for an unreadable file, caching.

:class:`RobotsRules` is what the fetcher asks: it downloads an origin's
``/robots.txt`` through the fetcher itself (the same guard, pacing and log as
any request), turns what came back into a policy (:func:`policy_for_fetch`),
keeps it in a :class:`RobotsCache`, and says whether a URL may be fetched and
how far apart. The rules follow RFC 9309 and Google's documented behaviour:

* 2xx: the rules apply (the first ``max_bytes`` only; Protego parses them);
* 4xx other than 429, or a redirect chain that goes nowhere: no rules, all allowed;
* 429, 5xx, a timeout, a network error: the site's wishes are unknown, so
  everything is disallowed *for now* and the file is fetched again after a
  short back-off, not after the full cache lifetime.

Error tree: none; an unparsable file is an empty rule set, never an exception.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from protego import Protego

from connectors.http.results import FetchOutcome, FetchResult
from connectors.http.targets import origin

__all__ = [
    "RobotsCache",
    "RobotsPolicy",
    "RobotsRules",
    "policy_allow_all",
    "policy_for_fetch",
    "policy_from_body",
    "policy_unavailable",
    "robots_token",
    "robots_url",
]

logger = logging.getLogger(__name__)

_CACHE_SIZE = 10_000
# Redirects that lead nowhere count as "no robots.txt" (as Google does), as does a bad URL.
_NO_FILE = frozenset(
    {FetchOutcome.REDIRECT_LOOP, FetchOutcome.TOO_MANY_REDIRECTS, FetchOutcome.BAD_URL}
)


@dataclass(frozen=True, slots=True)
class RobotsPolicy:
    """What one origin's robots.txt allows, or why it could not be read.

    ``rules`` is None when there is no robots.txt (everything allowed);
    ``unavailable`` holds the reason when it could not be read (everything
    disallowed until ``expires``, a ``time.monotonic()`` value).
    """

    rules: Protego | None
    unavailable: str | None
    expires: float

    def allows(self, url: str, token: str) -> bool:
        """True when ``token`` may fetch ``url`` under this policy."""
        if self.unavailable is not None:
            return False
        return self.rules is None or bool(self.rules.can_fetch(url, token))

    def delay(self, token: str) -> float | None:
        """Seconds between requests the site asks for (Crawl-delay or Request-rate), if any."""
        if self.rules is None:
            return None
        delays: list[float] = []
        crawl_delay = self.rules.crawl_delay(token)
        if crawl_delay is not None:
            delays.append(float(crawl_delay))
        rate = self.rules.request_rate(token)
        if rate is not None and rate.requests > 0:
            delays.append(rate.seconds / rate.requests)
        usable = [d for d in delays if math.isfinite(d) and d >= 0]
        return max(usable) if usable else None

    @property
    def sitemaps(self) -> tuple[str, ...]:
        """Sitemap URLs the file lists."""
        return () if self.rules is None else tuple(self.rules.sitemaps)

    def is_fresh(self) -> bool:
        """True until the policy should be fetched again."""
        return time.monotonic() < self.expires


def robots_url(url: httpx.URL) -> str:
    """The robots.txt URL for the origin of ``url``."""
    return str(url.copy_with(path="/robots.txt", query=None, fragment=None, userinfo=b""))


def robots_token(user_agent: str) -> str:
    """The product token robots.txt groups match: ``news-ingest`` in ``news-ingest/0.1 (...)``."""
    head = user_agent.strip().split(None, 1)[0] if user_agent.strip() else "*"
    return head.split("/", 1)[0] or "*"


def policy_allow_all(*, ttl: float) -> RobotsPolicy:
    """No robots.txt (4xx): everything is allowed for ``ttl`` seconds."""
    return RobotsPolicy(rules=None, unavailable=None, expires=time.monotonic() + ttl)


def policy_unavailable(reason: str, *, retry_after: float) -> RobotsPolicy:
    """robots.txt could not be read: disallow all, ask again after ``retry_after`` seconds."""
    return RobotsPolicy(rules=None, unavailable=reason, expires=time.monotonic() + retry_after)


def policy_from_body(body: bytes, *, ttl: float) -> RobotsPolicy:
    """Parse a robots.txt body (UTF-8, undecodable bytes replaced) into a policy."""
    text = body.decode("utf-8", errors="replace").lstrip("\ufeff")
    return RobotsPolicy(rules=Protego.parse(text), unavailable=None, expires=time.monotonic() + ttl)


def policy_for_fetch(result: FetchResult, *, ttl: float, retry_delay: float) -> RobotsPolicy:
    """The policy a robots.txt download implies: its rules, allow all, or disallow for now."""
    if result.ok:
        return policy_from_body(result.body, ttl=ttl)
    status = result.status
    client_error = status is not None and 400 <= status < 500 and status != 429
    if result.outcome is FetchOutcome.HTTP_ERROR and client_error:
        return policy_allow_all(ttl=ttl)
    if result.outcome in _NO_FILE:
        return policy_allow_all(ttl=ttl)
    reason = f"{result.outcome}: {result.error}"
    logger.info("%s unavailable (%s); disallowing for now", result.url, reason)
    return policy_unavailable(reason, retry_after=retry_delay)


class RobotsCache:
    """Policies per origin, each fetched once at a time and kept until it expires (LRU-bounded)."""

    def __init__(self, *, max_entries: int = _CACHE_SIZE) -> None:
        self._entries: OrderedDict[str, RobotsPolicy] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._max_entries = max_entries

    async def get(self, origin: str, load: Callable[[], Awaitable[RobotsPolicy]]) -> RobotsPolicy:
        """Return the fresh policy for ``origin``, running ``load`` once under a lock if needed."""
        cached = self._fresh(origin)
        if cached is not None:
            return cached
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            cached = self._fresh(origin)
            if cached is not None:
                return cached
            policy = await load()
            self._entries[origin] = policy
            self._entries.move_to_end(origin)
            while len(self._entries) > self._max_entries:
                evicted, _ = self._entries.popitem(last=False)
                self._locks.pop(evicted, None)
            return policy

    def _fresh(self, origin: str) -> RobotsPolicy | None:
        policy = self._entries.get(origin)
        return policy if policy is not None and policy.is_fresh() else None


class RobotsRules:
    """The robots.txt of every origin a fetcher visits: downloaded once, cached, obeyed.

    ``download`` fetches a robots.txt URL through the fetcher (with the robots
    purpose); ``max_crawl_delay`` caps the pace a site may ask for.
    """

    def __init__(
        self,
        *,
        user_agent: str,
        ttl: float,
        retry_delay: float,
        max_crawl_delay: float,
        download: Callable[[str], Awaitable[FetchResult]],
    ) -> None:
        self._token = robots_token(user_agent)
        self._ttl = ttl
        self._retry_delay = retry_delay
        self._max_crawl_delay = max_crawl_delay
        self._download = download
        self._cache = RobotsCache()

    async def policy(self, url: httpx.URL) -> RobotsPolicy:
        """The policy of the URL's origin, its robots.txt downloaded if not cached."""
        return await self._cache.get(origin(url), lambda: self._load(url))

    def denial(self, policy: RobotsPolicy, url: httpx.URL) -> str | None:
        """Why ``policy`` forbids fetching ``url``, or None when it allows it."""
        if policy.allows(str(url), self._token):
            return None
        reason = policy.unavailable
        return f"robots.txt unavailable: {reason}" if reason else "robots.txt disallows it"

    def crawl_delay(self, policy: RobotsPolicy) -> float | None:
        """Seconds the policy asks for between requests, capped; None if it asks for none."""
        delay = policy.delay(self._token)
        return None if delay is None else min(delay, self._max_crawl_delay)

    async def _load(self, url: httpx.URL) -> RobotsPolicy:
        result = await self._download(robots_url(url))
        return policy_for_fetch(result, ttl=self._ttl, retry_delay=self._retry_delay)
