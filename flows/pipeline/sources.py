"""Build connector objects from validated source configs (the one place kinds map to classes)."""

from __future__ import annotations

from connectors.errors import SourceConfigError
from connectors.protocols import DocumentSource, WebSource
from flows.errors import ConfigError
from flows.pipeline.config import SourceConfig, SourceKind

__all__ = ["build_source"]


def build_source(config: SourceConfig) -> DocumentSource | WebSource:
    """The connector for a source; a configuration it rejects becomes a ConfigError."""
    try:
        return _build(config)
    except SourceConfigError as exc:
        raise ConfigError(str(exc)) from exc


def _build(config: SourceConfig) -> DocumentSource | WebSource:
    # Imports are per kind so a run over local files never loads the HTTP stack.
    if config.kind is SourceKind.FILES:
        from connectors.files import FilesSource  # noqa: PLC0415

        assert config.path is not None
        source = FilesSource(name=config.name, path=config.path, follow_links=config.follow_links)
        source.check()
        return source
    if config.kind is SourceKind.FEED:
        from connectors.feeds import FeedSource  # noqa: PLC0415

        urls = (config.url,) if config.url else ()
        return FeedSource(name=config.name, urls=urls + config.urls)
    if config.kind is SourceKind.SITEMAP:
        from connectors.sitemaps import SitemapSource  # noqa: PLC0415

        assert config.url is not None
        if config.max_urls:
            return SitemapSource(
                name=config.name, url=config.url, max_urls_per_sitemap=config.max_urls
            )
        return SitemapSource(name=config.name, url=config.url)
    if config.kind is SourceKind.URLS:
        from connectors.urllist import UrlListSource  # noqa: PLC0415

        assert config.path is not None
        return UrlListSource(name=config.name, path=config.path)
    from connectors.warc import WarcSource  # noqa: PLC0415

    return WarcSource(
        name=config.name,
        paths=config.paths,
        hosts=config.hosts,
        since=config.since,
        until=config.until,
        languages=config.languages,
    )
