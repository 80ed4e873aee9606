"""The one HTTP client of the web connectors: polite, bounded, SSRF-guarded, never raising.

Every request goes through :meth:`Fetcher.fetch`, which, for the URL and then
for every redirect hop (followed by hand, at most ``max_redirects``):

1. validates the URL (http or https, a DNS host name, a sane length)  -> ``bad_url``
2. refuses a host whose circuit breaker is open                       -> ``circuit_open``
3. resolves the host and checks every address                         -> ``private_address``
4. consults the origin's robots.txt (fetched through this same path,
   cached)                                                            -> ``robots_denied``
5. waits its turn: per-host concurrency and pacing (``host_delay`` or the
   robots Crawl-delay, whichever is longer), and a global connection cap
6. sends a GET (conditional when validators are given) under a total
   deadline, because httpx's own timeouts only measure inactivity
7. retries 408/429/5xx and network errors with exponential backoff and jitter,
   honouring Retry-After up to ``max_retry_after``
8. reads the raw body and decompresses it itself, in bounded steps, under the
   decoded-size cap, so a compression bomb stops at the cap

The Fetcher wires these steps together; each lives in its own module:
:mod:`~connectors.http.targets` (1, redirects), :mod:`~connectors.http.hosts`
(2, 5), :mod:`~connectors.http.ssrf` (3), :mod:`~connectors.http.robots` (4),
:mod:`~connectors.http.exchange` (6), :mod:`~connectors.http.retries` (7) and
:mod:`~connectors.http.decoders` (8).

and returns a :class:`~connectors.http.results.FetchResult` whose ``outcome``
is one of :class:`~connectors.http.results.FetchOutcome`. Each call (and each
robots.txt download) also leaves one
:class:`~connectors.http.results.FetchRecord` for :meth:`Fetcher.drain_log`.

Error tree (raised only for misuse or unusable settings, never for anything a
server does; declared in :mod:`connectors.errors`)::

    ConnectorError
    └── FetchError
        ├── FetchSettingsError        a FetchSettings value is unusable
        └── FetcherClosedError        fetch() called outside ``async with Fetcher(...)``
"""

from __future__ import annotations

import asyncio
import functools
import logging
from types import TracebackType

import httpx

from connectors.errors import BlockedAddressError, FetcherClosedError, UnresolvableHostError
from connectors.http.exchange import Exchange, open_client
from connectors.http.hosts import SYSTEM_CLOCK, Clock, Host, HostTable
from connectors.http.results import (
    FetchOutcome,
    FetchRecord,
    FetchResult,
    FetchTrace,
    Reply,
    ResponseSink,
)
from connectors.http.retries import RetryPolicy
from connectors.http.robots import RobotsPolicy, RobotsRules
from connectors.http.settings import FetchSettings, Purpose
from connectors.http.ssrf import GuardedResolver, Lookup
from connectors.http.targets import RedirectChain, host_name, port, request_target
from connectors.records import CaptureRef, Validators

__all__ = ["Fetcher"]

logger = logging.getLogger(__name__)


class Fetcher:
    """The shared async HTTP client: ``async with Fetcher(settings) as f: await f.fetch(url)``.

    One httpx.AsyncClient (HTTP/1.1, keep-alive, no automatic redirects or
    decoding) serves every host; ``transport`` replaces the SSRF-guarded
    transport (the pre-flight address check still applies), ``capture``
    archives every OK page, ``lookup`` replaces the system resolver and
    ``clock`` the monotonic clock and sleep that pace hosts and time breakers.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        capture: ResponseSink | None = None,
        lookup: Lookup | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._capture = capture
        self._clock = clock
        self._resolver = GuardedResolver(settings.address_policy(), lookup=lookup)
        self._robots = RobotsRules(
            user_agent=settings.user_agent,
            ttl=settings.robots_ttl,
            retry_delay=settings.robots_retry_delay,
            max_crawl_delay=settings.max_crawl_delay,
            download=functools.partial(self.fetch, purpose=Purpose.ROBOTS),
        )
        self._hosts = HostTable(
            concurrency=settings.host_concurrency,
            delay=settings.host_delay,
            breaker_threshold=settings.breaker_threshold,
            breaker_cooldown=settings.breaker_cooldown,
            clock=clock,
        )
        self._retries = RetryPolicy(
            retries=settings.retries,
            backoff=settings.retry_backoff,
            max_retry_after=settings.max_retry_after,
        )
        self._log: list[FetchRecord] = []
        self._exchange: Exchange | None = None
        self._connections: asyncio.Semaphore | None = None

    async def __aenter__(self) -> Fetcher:
        """Open the HTTP client."""
        client = open_client(self.settings, transport=self._transport, resolver=self._resolver)
        self._exchange = Exchange(client, self.settings)
        self._connections = asyncio.Semaphore(self.settings.max_connections)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the HTTP client and its connections."""
        exchange, self._exchange = self._exchange, None
        if exchange is not None:
            await exchange.aclose()

    def drain_log(self) -> list[FetchRecord]:
        """Return (and forget) the records of every fetch since the last drain, robots.txt too."""
        records, self._log = self._log, []
        return records

    async def fetch(
        self, url: str, *, purpose: Purpose = Purpose.PAGE, validators: Validators | None = None
    ) -> FetchResult:
        """Fetch a URL politely; every remote problem is an outcome in the result, never raised."""
        if self._exchange is None:
            raise FetcherClosedError("use `async with Fetcher(settings) as fetcher`")
        trace = FetchTrace(url, purpose, validators, started=self._clock.monotonic())
        target = request_target(url, max_length=self.settings.max_url_length)
        if isinstance(target, str):
            result = self._result(trace, url, Reply.refused(FetchOutcome.BAD_URL, target))
        else:
            result = await self._follow(trace, target)
        self._log.append(FetchRecord.from_result(result))
        logger.debug("fetch %s -> %s %s", url, result.outcome, result.error or "")
        return result

    async def robots_sitemaps(self, url: str) -> tuple[str, ...]:
        """Sitemap URLs listed in the robots.txt of ``url``'s origin (fetched once, cached)."""
        target = request_target(url, max_length=self.settings.max_url_length)
        if isinstance(target, str):
            return ()
        return (await self._robots_policy(target)).sitemaps

    async def _follow(self, trace: FetchTrace, first: httpx.URL) -> FetchResult:
        """Fetch ``first`` and the redirects it leads to; the result of the last hop."""
        chain = RedirectChain(
            first,
            max_redirects=self.settings.max_redirects,
            max_url_length=self.settings.max_url_length,
        )
        current = first
        while True:
            reply = await self._hop(trace, current)
            if reply.outcome is not None:
                return self._result(trace, str(current), reply)
            target = chain.next_hop(current, reply)
            if isinstance(target, Reply):
                return self._result(trace, str(current), target)
            trace.redirects.append(str(current))
            current = target

    async def _hop(self, trace: FetchTrace, url: httpx.URL) -> Reply:
        """Guard, robots, then the request with retries, for one URL of the chain."""
        host = self._hosts.get(host_name(url))
        refusal = await self._refusal(trace, url, host)
        if refusal is not None:
            return refusal
        # Checked again with no await before begin(): robots.txt may just have
        # opened the circuit, or another fetch may have become the half-open trial.
        if host.breaker.blocked():
            return Reply.refused(FetchOutcome.CIRCUIT_OPEN, f"circuit open for {url.host}")
        host.breaker.begin()
        failed: bool | None = None
        try:
            reply = await self._retries.run(
                lambda: self._send_on_pace(trace, url, host),
                host=host,
                purpose=trace.purpose,
                url=str(url),
            )
            failed = reply.host_failed()
        finally:
            self._count(host, url, failed=failed)
        return reply

    async def _refusal(self, trace: FetchTrace, url: httpx.URL, host: Host) -> Reply | None:
        """Why the hop must not be sent: an open circuit, a bad address or robots.txt."""
        if host.breaker.blocked():
            return Reply.refused(FetchOutcome.CIRCUIT_OPEN, f"circuit open for {url.host}")
        refusal = await self._check_address(url)
        if refusal is not None:
            if refusal.outcome is FetchOutcome.NETWORK_ERROR:
                self._count(host, url, failed=True)
            return refusal
        if self.settings.respect_robots and trace.purpose is not Purpose.ROBOTS:
            denial = self._robots.denial(await self._robots_policy(url), url)
            if denial is not None:
                return Reply.refused(FetchOutcome.ROBOTS_DENIED, denial)
        return None

    def _count(self, host: Host, url: httpx.URL, *, failed: bool | None) -> None:
        if host.breaker.record(failed=failed):
            logger.warning("circuit opened for %s after repeated failures", url.host)

    async def _check_address(self, url: httpx.URL) -> Reply | None:
        try:
            async with asyncio.timeout(self.settings.connect_timeout):
                await self._resolver.resolve(url.raw_host.decode("ascii"), port(url))
        except BlockedAddressError as exc:
            return Reply.refused(FetchOutcome.PRIVATE_ADDRESS, str(exc))
        except UnresolvableHostError as exc:
            return Reply.refused(FetchOutcome.NETWORK_ERROR, str(exc))
        except TimeoutError:
            return Reply.refused(FetchOutcome.NETWORK_ERROR, f"DNS lookup of {url.host} timed out")
        return None

    async def _send_on_pace(self, trace: FetchTrace, url: httpx.URL, host: Host) -> Reply:
        """One request, once the host's concurrency, pacing and the global cap allow it."""
        assert self._exchange is not None
        assert self._connections is not None
        async with host.turn(self._connections):
            trace.attempts += 1
            return await self._exchange.get(
                url, purpose=trace.purpose, validators=trace.sent_validators
            )

    async def _robots_policy(self, url: httpx.URL) -> RobotsPolicy:
        """The policy of the URL's origin; the Crawl-delay it asks for paces the host."""
        policy = await self._robots.policy(url)
        delay = self._robots.crawl_delay(policy)
        if delay is not None:
            self._hosts.get(host_name(url)).crawl_delay = delay
        return policy

    def _result(self, trace: FetchTrace, final_url: str, reply: Reply) -> FetchResult:
        """The fetch's result from its last reply, an OK page archived first."""
        capture = self._capture_page(trace, final_url, reply)
        return trace.result(final_url, reply, finished=self._clock.monotonic(), capture=capture)

    def _capture_page(self, trace: FetchTrace, final_url: str, reply: Reply) -> CaptureRef | None:
        """Hand an OK page to the ResponseSink, if there is one; where it was archived."""
        page = reply.outcome is FetchOutcome.OK and trace.purpose is Purpose.PAGE
        if not page or not self._capture:
            return None
        return self._capture(
            url=final_url,
            status=reply.status or 200,
            headers=reply.header_items(),
            body=reply.body,
            fetched_at=trace.fetched_at,
        )
