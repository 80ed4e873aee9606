"""A fake clock for the breaker, pacing and retry tests: time passes only when something sleeps."""

from __future__ import annotations

import asyncio


class FakeClock:
    """A Clock whose ``sleep`` moves time forward at once instead of waiting.

    Starts far from zero so that code which confuses "never" with time 0 shows.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        """The fake time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass without anyone sleeping."""
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        """Record the sleep, move time on, and let other tasks run as a real sleep would."""
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)
