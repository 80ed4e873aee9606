"""What a fetch produces: an outcome from a closed vocabulary, the result, and its log row.

Every :meth:`~connectors.http.Fetcher.fetch` returns a :class:`FetchResult`
whose ``outcome`` is one of :class:`FetchOutcome` (stored in the fetch_log
table, described in docs/schema.md) and leaves one :class:`FetchRecord` for
``drain_log``. A :class:`ResponseSink` is what the fetcher hands each OK page
to for raw capture (:class:`connectors.capture.WarcCapture` is one).

Inside the client each request hop ends as a :class:`Reply`, the working
record that retries, redirects and the circuit breaker look at; a
:class:`FetchTrace` follows the fetch as a whole, and turns its last reply into
the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

import httpx

from connectors.http.settings import Purpose
from connectors.records import CaptureRef, Validators
from connectors.text.charset import decode_for_display

__all__ = ["FetchOutcome", "FetchRecord", "FetchResult", "FetchTrace", "Reply", "ResponseSink"]


class FetchOutcome(StrEnum):
    """Closed vocabulary of what became of one fetch; stored in the fetch_log table."""

    OK = "ok"  # a 2xx response of the expected type, body read in full
    NOT_MODIFIED = "not_modified"  # 304 to a conditional GET; body empty
    ROBOTS_DENIED = "robots_denied"  # robots.txt disallows it, or could not be read (see error)
    HTTP_ERROR = "http_error"  # a 4xx/5xx (after retries), or a Retry-After beyond the cap
    TIMEOUT = "timeout"  # connect/read inactivity timeout or the total deadline
    TOO_LARGE = "too_large"  # Content-Length or the decoded body exceeds the cap, or its CPU budget
    PRIVATE_ADDRESS = "private_address"  # the host is or resolves to a non-public address
    NOT_HTML = "not_html"  # the response is not the type the purpose expects (see error)
    REDIRECT_LOOP = "redirect_loop"  # a redirect went back to a URL already in the chain
    TOO_MANY_REDIRECTS = "too_many_redirects"  # more than max_redirects redirects
    NETWORK_ERROR = "network_error"  # DNS, connect, TLS or protocol failure before a response
    BAD_URL = "bad_url"  # not an absolute http(s) URL with a valid host (also a bad Location)
    CIRCUIT_OPEN = "circuit_open"  # the host failed breaker_threshold times in a row; not tried
    TRUNCATED = "truncated"  # the body ended early (connection cut, lying Content-Length)
    DECODING_ERROR = "decoding_error"  # corrupt or unsupported Content-Encoding


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
        """The body as a browser shows it (for display: U+FFFD where no encoding fits)."""
        return decode_for_display(self.body, self.content_type)


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


@dataclass(slots=True)
class Reply:
    """What one hop ended with; ``outcome`` None means a redirect to ``location``."""

    outcome: FetchOutcome | None
    status: int | None = None
    headers: httpx.Headers | None = None
    body: bytes = b""
    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None
    location: str | None = None
    blames_host: bool = False  # a failure of the host whatever the outcome (a CPU-burning body)

    @classmethod
    def refused(cls, outcome: FetchOutcome, error: str) -> Reply:
        """A hop that ended without a usable response, for the reason given."""
        return cls(outcome=outcome, error=error)

    def caused_by(self, response: Reply) -> Reply:
        """This refusal, reporting the status and headers of the response that caused it."""
        self.status, self.headers = response.status, response.headers
        return self

    def host_failed(self) -> bool | None:
        """Whether this counts against the host's breaker (None: it says nothing about the host)."""
        if self.blames_host:
            return True
        if self.outcome in (FetchOutcome.TIMEOUT, FetchOutcome.NETWORK_ERROR):
            return True
        if self.outcome is FetchOutcome.TRUNCATED:
            return True
        if self.outcome is FetchOutcome.HTTP_ERROR:
            return self.status is None or self.status >= 500 or self.status == 429
        if self.outcome in (FetchOutcome.PRIVATE_ADDRESS, FetchOutcome.BAD_URL):
            return None
        return False  # the host answered (a redirect, a 4xx, a page of the wrong type)

    @property
    def content_type(self) -> str | None:
        """The response's Content-Type header, if there was a response."""
        return self.headers.get("content-type") if self.headers is not None else None

    def header_items(self) -> tuple[tuple[str, str], ...]:
        """The response headers as sent; raw names keep the server's spelling for a capture."""
        raw = self.headers.raw if self.headers is not None else ()
        return tuple((name.decode("latin-1"), value.decode("latin-1")) for name, value in raw)

    def validators(self, sent: Validators | None) -> Validators:
        """The validators to send next time: the response's, the sent ones filling in on a 304."""
        headers = self.headers
        received = (
            Validators(etag=headers.get("etag"), last_modified=headers.get("last-modified"))
            if headers is not None
            else Validators()
        )
        if self.outcome is not FetchOutcome.NOT_MODIFIED or sent is None:
            return received
        return Validators(
            etag=received.etag or sent.etag,
            last_modified=received.last_modified or sent.last_modified,
        )


@dataclass(slots=True)
class FetchTrace:
    """A fetch in progress: what its result will report besides its last reply."""

    url: str  # as requested
    purpose: Purpose
    sent_validators: Validators | None
    started: float  # on the fetcher's clock
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    attempts: int = 0  # requests sent so far, every hop and retry
    redirects: list[str] = field(default_factory=list)  # URLs redirected from so far

    def result(
        self, final_url: str, reply: Reply, *, finished: float, capture: CaptureRef | None
    ) -> FetchResult:
        """The fetch's result, from the reply its last hop (``final_url``) ended with."""
        outcome = reply.outcome or FetchOutcome.HTTP_ERROR
        ok = outcome is FetchOutcome.OK
        return FetchResult(
            url=self.url,
            final_url=final_url,
            purpose=self.purpose,
            outcome=outcome,
            status=reply.status,
            body=reply.body if ok else b"",
            content_type=reply.content_type,
            validators=reply.validators(self.sent_validators),
            redirects=tuple(self.redirects),
            headers=reply.header_items(),
            error=None if ok else reply.error,
            elapsed=finished - self.started,
            fetched_at=self.fetched_at,
            attempts=self.attempts,
            capture=capture,
        )
