"""What a run would read or fetch, found without reading or fetching one article.

``news-ingest check --list`` (trafilatura's ``--list``): a local source lists
the files it would read (a folder's documents, a warc source's archives); a
URL list lists its URLs; a feed, sitemap or site source is discovered as a
run discovers it (a site's feeds and sitemaps are listed after its pages),
through the one polite fetcher (robots.txt, pacing, the address guard), which
downloads the feeds, sitemaps and a site's home page but not a single
article. Nothing is written anywhere, and no stored validators are sent: it
lists what a first run would fetch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from connectors.http import Fetcher
from connectors.protocols import DocumentSource, WebSource
from connectors.records import Candidate
from connectors.site import SiteSource
from flows.pipeline.config import Settings, SourceConfig
from flows.pipeline.sources import build_source

__all__ = ["Listed", "list_sources"]


@dataclass(frozen=True, slots=True)
class Listed:
    """One thing a run would read or fetch, or a problem met while listing."""

    source: str
    what: str  # file (a local document or archive) | page (a URL to fetch) | rejected
    #            | feed, sitemap (what a site source found: detail says how)
    location: str  # a path or a URL
    detail: str | None = None  # a rejected item's reason and detail


@runtime_checkable
class _Files(Protocol):
    """A local source that can name its files without reading them."""

    def files(self) -> list[Path]:
        """The files a run would read, in order."""
        ...


async def list_sources(
    settings: Settings, configs: Sequence[SourceConfig]
) -> AsyncIterator[Listed]:
    """Each selected source's files or URLs, source by source."""
    connectors = [(config, build_source(config)) for config in configs]
    async with AsyncExitStack() as stack:
        fetcher = None
        if any(isinstance(c, WebSource) for _, c in connectors):
            fetcher = await stack.enter_async_context(Fetcher(settings.fetch))
        for config, connector in connectors:
            async for item in _one(config, connector, fetcher):
                yield item


async def _one(
    config: SourceConfig, connector: DocumentSource | WebSource, fetcher: Fetcher | None
) -> AsyncIterator[Listed]:
    if isinstance(connector, _Files):
        for path in connector.files():
            yield Listed(config.name, "file", str(path))
        return
    if isinstance(connector, WebSource):
        assert fetcher is not None
        async for item in connector.discover(fetcher, {}):
            if isinstance(item, Candidate):
                yield Listed(config.name, "page", item.url)
            else:
                detail = f"{item.reason.value}: {item.detail}"
                yield Listed(config.name, "rejected", item.location, detail)
    if isinstance(connector, SiteSource):  # what its discovery found, after its pages
        for url in connector.found.feeds:
            yield Listed(config.name, "feed", url, connector.found.feeds_via)
        for url in connector.found.sitemaps:
            yield Listed(config.name, "sitemap", url, connector.found.sitemaps_via)
