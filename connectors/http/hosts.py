"""Per-host state of the fetcher: the circuit breaker and the pacing, read on an injectable clock.

Each host name gets a :class:`Host` the first time it is requested
(:class:`HostTable`), kept for the fetcher's life:

* a :class:`Breaker`: ``threshold`` consecutive failures open the circuit for
  ``cooldown`` seconds; then one trial request may pass (half-open), and its
  success closes the circuit while its failure opens it again;
* a pace (:meth:`Host.turn`): at most ``concurrency`` requests in flight,
  starts at least ``max(delay, crawl_delay)`` apart, none before a deferral
  (Retry-After, a retry's backoff) has run out, and each start also holding
  one of the fetcher's connection slots shared by all hosts.

Both read time through a :class:`Clock` (the monotonic clock and
``asyncio.sleep`` unless one is passed in), so their tests drive a fake clock
instead of sleeping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

__all__ = ["SYSTEM_CLOCK", "Breaker", "Clock", "Host", "HostTable", "SystemClock"]


class Clock(Protocol):
    """Where the fetcher reads the time and waits."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic`` and ``asyncio.sleep``."""

    def monotonic(self) -> float:
        """Seconds on the system's monotonic clock."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Sleep on the running event loop."""
        await asyncio.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


class Breaker:
    """Consecutive failures open the circuit; after a cool-down one trial may pass (half-open)."""

    def __init__(self, *, threshold: int, cooldown: float, clock: Clock) -> None:
        self._threshold = threshold  # 0: the circuit never opens
        self._cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._open_until = 0.0
        self._trial = False

    def blocked(self) -> bool:
        """True when requests to the host must not be sent now."""
        if not self._tripped():
            return False
        return self._clock.monotonic() < self._open_until or self._trial

    def begin(self) -> None:
        """A request is about to go out; in half-open state it is the trial."""
        if self._tripped():
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
        if self._tripped():
            self._open_until = self._clock.monotonic() + self._cooldown
            return True
        return False

    def _tripped(self) -> bool:
        return bool(self._threshold) and self._failures >= self._threshold


class Host:
    """One host's breaker and pace."""

    def __init__(self, *, concurrency: int, delay: float, breaker: Breaker, clock: Clock) -> None:
        self.breaker = breaker
        self.crawl_delay = 0.0  # from robots.txt, already capped
        self._slots = asyncio.Semaphore(concurrency)
        self._delay = delay
        self._clock = clock
        self._next_start = 0.0  # clock time before which no request may start

    def defer(self, seconds: float) -> None:
        """Start no request to this host for ``seconds`` (Retry-After, backoff)."""
        self._next_start = max(self._next_start, self._clock.monotonic() + seconds)

    @asynccontextmanager
    async def turn(self, connections: asyncio.Semaphore) -> AsyncIterator[None]:
        """Hold one of the host's slots and one connection slot for a request started on pace."""
        async with self._slots:
            await self._wait_for_start(connections)
            try:
                yield
            finally:
                connections.release()

    async def _wait_for_start(self, connections: asyncio.Semaphore) -> None:
        """Wait until the host's next start time with a connection slot in hand."""
        while True:
            wait = self._next_start - self._clock.monotonic()
            if wait > 0:
                await self._clock.sleep(wait)
                continue
            await connections.acquire()
            # No await between this check and the update: the turn is ours.
            now = self._clock.monotonic()
            if self._next_start <= now:
                self._next_start = now + max(self._delay, self.crawl_delay)
                return
            connections.release()


class HostTable:
    """The :class:`Host` of each host name, made on first use."""

    def __init__(
        self,
        *,
        concurrency: int,
        delay: float,
        breaker_threshold: int,
        breaker_cooldown: float,
        clock: Clock,
    ) -> None:
        self._concurrency = concurrency
        self._delay = delay
        self._breaker_threshold = breaker_threshold
        self._breaker_cooldown = breaker_cooldown
        self._clock = clock
        self._hosts: dict[str, Host] = {}

    def get(self, name: str) -> Host:
        """The state of host ``name`` (compared case-insensitively)."""
        key = name.lower()
        host = self._hosts.get(key)
        if host is None:
            breaker = Breaker(
                threshold=self._breaker_threshold,
                cooldown=self._breaker_cooldown,
                clock=self._clock,
            )
            host = Host(
                concurrency=self._concurrency, delay=self._delay, breaker=breaker, clock=self._clock
            )
            self._hosts[key] = host
        return host
