"""The HTTP side of the connectors: one polite, bounded, SSRF-guarded client.

Code outside this package imports from here; the modules inside say how it works:

- ``client``: :class:`Fetcher`, the client, and the order of its checks
- ``settings``: :class:`FetchSettings` and :class:`Purpose`
- ``results``: :class:`FetchOutcome`, :class:`FetchResult`, :class:`FetchRecord`,
  :class:`ResponseSink` (and, inside the client, ``Reply`` and ``FetchTrace``)
- ``targets``: which URLs are requested, and redirects
- ``hosts``: per-host circuit breaker and pacing, on an injectable clock
- ``retries``: backoff, jitter and Retry-After
- ``exchange``: one GET under a total deadline, classified
- ``sniffing``: accepted content types per purpose, body sniffing
- ``decoders``: Content-Encoding as a chain of bounded decoders
- ``robots``: robots.txt: what a download means, the cache, the rules a fetch obeys
- ``ssrf``: which addresses may be connected to
"""

from connectors.http.client import Fetcher
from connectors.http.results import FetchOutcome, FetchRecord, FetchResult, ResponseSink
from connectors.http.settings import FetchSettings, Purpose

__all__ = [
    "FetchOutcome",
    "FetchRecord",
    "FetchResult",
    "FetchSettings",
    "Fetcher",
    "Purpose",
    "ResponseSink",
]
