"""When a request is sent again, and how long everyone waits first.

A reply says whether it is worth retrying (408, 429, 5xx, network errors, a
cut body); :class:`RetryPolicy` sends it again up to ``retries`` times after an
exponential backoff with jitter, or after the server's Retry-After. The wait
is a deferral of the whole host (:meth:`connectors.http.hosts.Host.defer`),
not of this request alone: a server that asks for a pause gets it from every
fetch. A Retry-After beyond ``max_retry_after`` gives up at once instead, since
honouring it would stall every fetch to the host. robots.txt is not retried
in place: an unreadable one is asked for again later (:mod:`connectors.http.robots`).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable

from connectors.http.hosts import Host
from connectors.http.results import Reply
from connectors.http.settings import Purpose

__all__ = ["RetryPolicy"]

logger = logging.getLogger(__name__)


class RetryPolicy:
    """Retries with exponential backoff and jitter, honouring Retry-After up to a cap."""

    def __init__(
        self,
        *,
        retries: int,
        backoff: float,
        max_retry_after: float,
        rng: random.Random | None = None,
    ) -> None:
        self._retries = retries
        self._backoff = backoff
        self._max_retry_after = max_retry_after
        # Jitter only spreads retries out; it needs no cryptographic strength.
        self._rng = rng or random.Random()  # noqa: S311

    def retries_for(self, purpose: Purpose) -> int:
        """How many times a request for this purpose may be sent again."""
        return 0 if purpose is Purpose.ROBOTS else self._retries

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry ``attempt + 1``: doubling from the first, x0.5 to x1.5."""
        base: float = self._backoff * 2**attempt
        return base * self._rng.uniform(0.5, 1.5)

    async def run(
        self, send: Callable[[], Awaitable[Reply]], *, host: Host, purpose: Purpose, url: str
    ) -> Reply:
        """Send until a reply is final or the retries are spent; return the last reply."""
        retries = self.retries_for(purpose)
        attempt = 0
        while True:
            reply = await send()
            if reply.retry_after is not None and reply.retry_after > self._max_retry_after:
                # Waiting that long would stall every fetch to the host; give up
                # on this URL (the breaker counts it) instead of deferring the host.
                reply.error = (
                    f"{reply.error}; Retry-After {reply.retry_after:.0f} s exceeds "
                    f"the {self._max_retry_after:.0f} s cap, gave up"
                )
                return reply
            if reply.retry_after is not None:
                host.defer(reply.retry_after)  # other fetches to the host wait too
            if not reply.retryable or attempt >= retries:
                return reply
            wait = reply.retry_after if reply.retry_after is not None else self.backoff(attempt)
            host.defer(wait)
            attempt += 1
            logger.info("retry %d for %s in %.1f s: %s", attempt, url, wait, reply.error)
