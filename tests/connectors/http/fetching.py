"""Helpers for tests that fetch through a real Fetcher from the local HTTP server.

Shared by the tests of connectors.http and by the feed and sitemap tests:
``PAGE``, ``settings``, ``fetch_all``, ``fetch_one``, ``discover``, ``gaps`` and
``scripted``.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from connectors.http import Fetcher, FetchRecord, FetchResult, FetchSettings, Purpose
from connectors.protocols import WebSource
from connectors.records import Validators
from tests.localserver import Request, Response

PAGE = b"<!doctype html><html><head><title>t</title></head><body><p>Hello</p></body></html>"


def settings(**overrides: object) -> FetchSettings:
    """Fast test settings: local addresses allowed, no pacing, robots off, short timeouts."""
    values: dict[str, object] = {
        "allow_private_addresses": True,
        "host_delay": 0.0,
        "respect_robots": False,
        "retries": 0,
        "retry_backoff": 0.05,
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "total_timeout": 3.0,
    }
    values.update(overrides)
    return FetchSettings(**values)  # type: ignore[arg-type]


def fetch_all(
    fetch_settings: FetchSettings,
    urls: Sequence[str],
    *,
    purpose: Purpose = Purpose.PAGE,
    validators: Validators | None = None,
    concurrent: bool = False,
    **fetcher_options: object,
) -> tuple[list[FetchResult], list[FetchRecord]]:
    """Fetch URLs with one Fetcher (in order, or all at once); return results and the log."""

    async def go() -> tuple[list[FetchResult], list[FetchRecord]]:
        async with Fetcher(fetch_settings, **fetcher_options) as fetcher:  # type: ignore[arg-type]
            if concurrent:
                calls = [fetcher.fetch(u, purpose=purpose, validators=validators) for u in urls]
                results = list(await asyncio.gather(*calls))
            else:
                results = [
                    await fetcher.fetch(u, purpose=purpose, validators=validators) for u in urls
                ]
            return results, fetcher.drain_log()

    return asyncio.run(go())


def fetch_one(
    fetch_settings: FetchSettings, url: str, **options: object
) -> tuple[FetchResult, list[FetchRecord]]:
    """Fetch one URL; return its result and the log."""
    results, log = fetch_all(fetch_settings, [url], **options)  # type: ignore[arg-type]
    return results[0], log


def discover(
    source: WebSource,
    known: Mapping[str, Validators] | None = None,
    fetch_settings: FetchSettings | None = None,
) -> tuple[list[Any], list[FetchRecord]]:
    """Run a web source's discovery through one Fetcher (robots on); return its items and the log.

    The items are Candidate or Rejected; typed Any so tests index them as they expect.
    """

    async def go() -> tuple[list[Any], list[FetchRecord]]:
        async with Fetcher(fetch_settings or settings(respect_robots=True)) as fetcher:
            items = [item async for item in source.discover(fetcher, known or {})]
            return items, fetcher.drain_log()

    return asyncio.run(go())


def gaps(stamps: list[float]) -> list[float]:
    """Seconds between consecutive time stamps, in time order."""
    ordered = sorted(stamps)
    return [b - a for a, b in itertools.pairwise(ordered)]


def scripted(
    *responses: Response, stamps: list[float] | None = None
) -> Callable[[Request], Response]:
    """A route answering with each response in turn, then the last one forever."""
    queue = list(responses)

    def route(request: Request) -> Response:
        if stamps is not None:
            stamps.append(time.monotonic())
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return route
