"""One request and its response: a GET under a total deadline, classified into a :class:`Reply`.

httpx's timeouts measure inactivity only (a server dripping a byte every half
second never trips them), so each request also runs under ``total_timeout``.
A response is classified by its status (a redirect, 304, an error with its
Retry-After, success), then by its declared type
(:mod:`connectors.http.sniffing`) and its Content-Length, and only then is its
raw body read and decoded under the cap and the CPU budget
(:mod:`connectors.http.decoders`). Undoing a coding runs in a thread of the
exchange's own, a step at a time, so a body that costs CPU (a bomb inflating
to its cap in one step, a stream of empty frames) never holds the event loop
and every other host's fetches go on. One thread, because between its C calls
a decoding thread holds the GIL and the event loop waits its turn behind every
busy thread (measured: the loop's longest pause was 10-20 ms with one, 30-75 ms
with four); and not the loop's default executor, which resolves host names.
Whatever a request raises becomes a reply too: nothing a server does escapes
as an exception.

The httpx client itself (:func:`open_client`) speaks HTTP/1.1, follows no
redirects, decodes nothing and connects through the SSRF-guarded transport
unless it is given another. Even without following, httpx builds the next
request of every redirect and raises on a Location it cannot parse
(``javascript:...``), so a response hook checks the Location first, with the
rule the redirect chain applies (:func:`~connectors.http.targets.redirect_target`):
a target that is not an http(s) URL ends the hop as ``bad_url``, in one log line.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import logging
import re
import urllib.request
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

import httpx

from connectors.errors import (
    BlockedAddressError,
    ConnectorError,
    CorruptStreamError,
    CpuBudgetError,
    SizeCapError,
    TruncatedStreamError,
)
from connectors.http.decoders import ACCEPT_ENCODING, BodyDecoder
from connectors.http.results import FetchOutcome, Reply
from connectors.http.settings import FetchSettings, Purpose
from connectors.http.sniffing import Verdict, accept_header, sniff_ok, type_verdict
from connectors.http.ssrf import GuardedResolver, guarded_transport
from connectors.http.targets import redirect_target
from connectors.records import Validators

__all__ = ["Exchange", "open_client", "retry_after"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
_HEADER_SAFE = re.compile(r"[\x20-\x7e]+")
_DECODING_THREADS = 1  # see the module docstring
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class _BadRedirectError(ConnectorError):
    """A redirect whose Location is not an http(s) URL (control flow out of httpx's send)."""

    def __init__(self, response: httpx.Response, problem: str) -> None:
        super().__init__(problem)
        self.status = response.status_code
        self.headers = response.headers


def open_client(
    settings: FetchSettings,
    *,
    transport: httpx.AsyncBaseTransport | None,
    resolver: GuardedResolver,
) -> httpx.AsyncClient:
    """The one httpx client of a fetcher: keep-alive HTTP/1.1, no redirects, no decoding."""
    s = settings
    limits = httpx.Limits(
        max_connections=s.max_connections, max_keepalive_connections=s.max_connections
    )
    if transport is None and s.trust_env and urllib.request.getproxies():
        # httpx mounts the environment's proxies only when it builds the
        # transport; the proxy then resolves names, so the guard can check
        # them before sending but cannot pin the address connected to.
        logger.warning("trust_env with proxy settings: addresses checked, not pinned")
    elif transport is None:
        transport = guarded_transport(resolver, limits=limits, trust_env=s.trust_env)
    return httpx.AsyncClient(
        transport=transport,
        limits=limits,
        headers={"User-Agent": s.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        timeout=httpx.Timeout(
            connect=s.connect_timeout,
            read=s.read_timeout,
            write=s.read_timeout,
            pool=s.total_timeout,
        ),
        follow_redirects=False,
        event_hooks={"response": [_location_guard(max_url_length=s.max_url_length)]},
        trust_env=s.trust_env,
        http1=True,
        http2=False,
    )


def _location_guard(*, max_url_length: int) -> Callable[[httpx.Response], Awaitable[None]]:
    """A response hook raising _BadRedirectError before httpx trips over a bad Location."""

    async def check(response: httpx.Response) -> None:
        if response.status_code not in _REDIRECT_STATUSES:
            return
        location = response.headers.get("location")
        if not location:
            return
        target = redirect_target(response.url, location, max_length=max_url_length)
        if isinstance(target, str):
            raise _BadRedirectError(response, target)

    return check


class Exchange:
    """Sends single GET requests through one httpx client and classifies each response."""

    def __init__(self, client: httpx.AsyncClient, settings: FetchSettings) -> None:
        self._client = client
        self._settings = settings
        self._decoding = ThreadPoolExecutor(_DECODING_THREADS, thread_name_prefix="decode")

    async def aclose(self) -> None:
        """Close the httpx client and its connections, and stop the decoding threads."""
        try:
            await self._client.aclose()
        finally:
            # A step still running belongs to a fetch that timed out; it ends on its own.
            self._decoding.shutdown(wait=False, cancel_futures=True)

    async def get(
        self, url: httpx.URL, *, purpose: Purpose, validators: Validators | None
    ) -> Reply:
        """Send one GET (conditional when validators are given) and read its reply."""
        try:
            request = self._client.build_request(
                "GET", url, headers=_request_headers(purpose, validators)
            )
            async with asyncio.timeout(self._settings.total_timeout):
                response = await self._client.send(request, stream=True)
                try:
                    return await self._classify(purpose, response)
                finally:
                    await response.aclose()
        except Exception as exc:
            return self._failure(url, exc)

    def _failure(self, url: httpx.URL, exc: Exception) -> Reply:
        """Translate what sending a request raised into a reply."""
        if isinstance(exc, _BadRedirectError):
            logger.info("refused the redirect from %s: %s", url, exc)
            reply = Reply.refused(FetchOutcome.BAD_URL, str(exc))
            reply.status, reply.headers = exc.status, exc.headers
            return reply
        if isinstance(exc, TimeoutError):
            # Not retried: a server this slow would only hold the host's slot again.
            deadline = self._settings.total_timeout
            error = f"no complete response within the {deadline:g} s total deadline"
            return Reply.refused(FetchOutcome.TIMEOUT, error)
        if isinstance(exc, BlockedAddressError):
            return Reply.refused(FetchOutcome.PRIVATE_ADDRESS, str(exc))
        if isinstance(exc, httpx.TimeoutException):
            return Reply(FetchOutcome.TIMEOUT, error=_describe(exc), retryable=True)
        if isinstance(exc, httpx.TransportError | OSError):
            return Reply(FetchOutcome.NETWORK_ERROR, error=_describe(exc), retryable=True)
        if not isinstance(exc, httpx.HTTPError):
            # A server must never be able to crash a run, even through a path of
            # httpx/h11 nobody mapped; the traceback stays visible in the log.
            logger.error("unexpected error fetching %s", url, exc_info=exc)
        return Reply.refused(FetchOutcome.NETWORK_ERROR, _describe(exc))

    async def _classify(self, purpose: Purpose, response: httpx.Response) -> Reply:
        """Classify a response by status and type, reading the body when it is wanted."""
        status, headers = response.status_code, response.headers
        if status in _REDIRECT_STATUSES and headers.get("location"):
            return Reply(None, status=status, headers=headers, location=headers["location"])
        if status == 304:
            return Reply(FetchOutcome.NOT_MODIFIED, status=status, headers=headers)
        if not 200 <= status < 300:
            return Reply(
                FetchOutcome.HTTP_ERROR,
                status=status,
                headers=headers,
                error=f"HTTP {status} {response.reason_phrase}".rstrip(),
                retryable=status in (408, 429) or status >= 500,
                retry_after=retry_after(headers.get("retry-after", ""), now=datetime.now(UTC)),
            )
        reply = await self._accept(purpose, response)
        reply.status, reply.headers = status, headers
        return reply

    async def _accept(self, purpose: Purpose, response: httpx.Response) -> Reply:
        """The reply to a 2xx response: its body, or why it is not wanted."""
        content_type = response.headers.get("content-type")
        verdict = type_verdict(purpose, content_type)
        if verdict is Verdict.REJECT:
            error = f"content type {content_type!r} is not accepted for a {purpose}"
            return Reply(FetchOutcome.NOT_HTML, error=error)
        limit = self._settings.size_limit(purpose)
        length = _content_length(response.headers)
        # robots.txt over the cap is cut, not refused (RFC 9309 allows it).
        keep_start = purpose is Purpose.ROBOTS
        if length is not None and length > limit and not keep_start:
            error = f"Content-Length {length} exceeds the {limit}-byte cap"
            return Reply(FetchOutcome.TOO_LARGE, error=error)
        body = await self._read_body(response, purpose=purpose, limit=limit, keep_start=keep_start)
        if isinstance(body, Reply):
            return body
        if verdict is Verdict.SNIFF and not sniff_ok(purpose, body):
            error = f"content type {content_type!r}; the body does not look like a {purpose}"
            return Reply(FetchOutcome.NOT_HTML, error=error)
        return Reply(FetchOutcome.OK, body=body)

    async def _read_body(  # noqa: PLR0911 - one return per way a body can fail
        self, response: httpx.Response, *, purpose: Purpose, limit: int, keep_start: bool
    ) -> bytes | Reply:
        """Read and decode the raw body in bounded steps; the body, or the reply saying why not."""
        decoder: BodyDecoder | None = None
        try:
            decoder = BodyDecoder(
                response.headers.get("content-encoding"),
                limit=limit,
                keep_start=keep_start,
                gzip_file=purpose is Purpose.SITEMAP,
                cpu_budget=self._settings.decode_cpu_budget,
            )
            async for chunk in response.aiter_raw():
                await self._step(decoder, functools.partial(decoder.feed, chunk))
            return await self._step(decoder, decoder.finish)
        except SizeCapError:
            assert decoder is not None
            if keep_start:
                return decoder.decoded
            wire = decoder.raw_bytes
            error = f"body exceeds the {limit}-byte cap (stopped after {wire} bytes on the wire)"
            return Reply(FetchOutcome.TOO_LARGE, error=error)
        except CpuBudgetError as exc:
            assert decoder is not None
            error = f"{exc} (stopped after {decoder.raw_bytes} bytes on the wire)"
            logger.info("refused the body of %s: %s", response.url, error)
            return Reply(FetchOutcome.TOO_LARGE, error=error, blames_host=True)
        except TruncatedStreamError as exc:
            return Reply(FetchOutcome.TRUNCATED, error=str(exc), retryable=True)
        except CorruptStreamError as exc:
            return Reply(FetchOutcome.DECODING_ERROR, error=str(exc))
        except httpx.TimeoutException as exc:
            return Reply(FetchOutcome.TIMEOUT, error=_describe(exc), retryable=True)
        except (httpx.TransportError, OSError) as exc:
            wire = decoder.raw_bytes if decoder is not None else 0
            error = f"body cut short after {wire} bytes: {_describe(exc)}"
            return Reply(FetchOutcome.TRUNCATED, error=error, retryable=True)

    async def _step(self, decoder: BodyDecoder, step: Callable[[], _T]) -> _T:
        """Run a decoding step: in the decoding threads when it inflates, else here (a copy)."""
        if not decoder.inflates:
            return step()
        return await asyncio.get_running_loop().run_in_executor(self._decoding, step)


def _request_headers(purpose: Purpose, validators: Validators | None) -> dict[str, str]:
    headers = {"Accept": accept_header(purpose)}
    sent = validators or Validators()
    # A stored validator with control characters would make h11 refuse the request.
    if sent.etag and _HEADER_SAFE.fullmatch(sent.etag):
        headers["If-None-Match"] = sent.etag
    if sent.last_modified and _HEADER_SAFE.fullmatch(sent.last_modified):
        headers["If-Modified-Since"] = sent.last_modified
    return headers


def retry_after(value: str, *, now: datetime) -> float | None:
    """Seconds a Retry-After value asks for (delta-seconds or an HTTP-date after ``now``)."""
    value = value.strip()
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
    return max(0.0, (when - now).total_seconds())


def _content_length(headers: httpx.Headers) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None


def _describe(exc: BaseException) -> str:
    detail = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {detail}"
