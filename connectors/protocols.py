"""What a source promises the flow: a local :class:`DocumentSource` or a :class:`WebSource`.

Sources are generators that never learn where their records go (dlt's
pattern): a local source yields documents, reject rows and checkpoints; a web
source yields candidate URLs discovered through the fetcher it is handed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from connectors.records import Candidate, Checkpoint, RawDocument, Rejected, Validators

if TYPE_CHECKING:
    from connectors.http import Fetcher

__all__ = ["DocumentSource", "WebSource"]


@runtime_checkable
class DocumentSource(Protocol):
    """A source whose documents are read locally (folders, archives)."""

    @property
    def name(self) -> str:
        """The source's name from the sources file."""
        ...

    def documents(
        self, resume: Mapping[str, Checkpoint]
    ) -> Iterator[RawDocument | Rejected | Checkpoint]:
        """Yield every document (or reject row), with checkpoints the flow stores as it goes."""
        ...


@runtime_checkable
class WebSource(Protocol):
    """A source that discovers URLs to fetch (feeds, sitemaps, URL lists).

    ``discover`` fetches its feeds or sitemaps through the fetcher it is given
    (``connectors.http.Fetcher``), sending the validators in ``known`` as a
    conditional GET; a feed that cannot be parsed cleanly yields a
    :class:`Rejected` for the feed and still yields the entries it could read.
    A feed or sitemap that cannot be fetched yields no reject: the fetcher has
    already recorded the failure (its fetch log row) and the source logs it.
    """

    @property
    def name(self) -> str:
        """The source's name from the sources file."""
        ...

    def discover(
        self, fetcher: Fetcher, known: Mapping[str, Validators]
    ) -> AsyncIterator[Candidate | Rejected]:
        """Yield candidate URLs, and a reject row per fetched feed or sitemap that is unusable."""
        ...
