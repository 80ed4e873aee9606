"""Whether a web source's discovery worked: were its feeds, sitemaps and URL list usable?

A feed, sitemap or URL list that cannot be fetched or parsed fails its source,
even when the source's other feeds delivered articles (those are still
stored): a dead feed must not look like a quiet one. Connectors do not raise
for it (see :mod:`connectors.protocols`): the fetcher logs the failed fetch,
and the connector yields a reject row for what it could not parse or read.
This module reads both:

- a feed or sitemap fetch whose outcome is neither ``ok`` nor ``not_modified``;
- a ``malformed_feed`` reject of a feed or sitemap none of whose entries could be
  read (one that still gave entries is a reject row, not a failure);
- a URL list that is gone or unreadable (``missing_path``, ``unreadable``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from connectors.http import FetchOutcome, FetchRecord
from connectors.records import Candidate, Rejected, RejectReason

__all__ = ["DiscoveryWatch"]

_USABLE = frozenset({FetchOutcome.OK, FetchOutcome.NOT_MODIFIED})
_UNREADABLE = frozenset({RejectReason.MISSING_PATH, RejectReason.UNREADABLE})


@dataclass(slots=True)
class DiscoveryWatch:
    """What one web source's discovery yielded: entries per feed or sitemap, and its rejects."""

    entries: Counter[str] = field(default_factory=Counter)  # container URL -> candidates
    rejects: list[Rejected] = field(default_factory=list)

    def note(self, item: Candidate | Rejected) -> None:
        """Count a discovered candidate under its feed or sitemap, or keep a reject."""
        if isinstance(item, Rejected):
            self.rejects.append(item)
        elif item.hints is not None and item.hints.container_url is not None:
            self.entries[item.hints.container_url] += 1

    def failures(self, fetches: Iterable[FetchRecord]) -> list[str]:
        """One line per feed, sitemap or URL list that could not be fetched, parsed or read."""
        found = [
            f"{r.purpose.value} {r.url} could not be fetched: {r.outcome.value}"
            + (f" ({r.error})" if r.error else "")
            for r in fetches
            if r.outcome not in _USABLE
        ]
        for reject in self.rejects:
            if reject.reason in _UNREADABLE:
                found.append(f"{reject.location} could not be read: {reject.detail}")
            elif reject.reason is RejectReason.MALFORMED_FEED and not self.entries[reject.location]:
                found.append(f"{reject.location} could not be parsed: {reject.detail}")
        return found

    def clear(self) -> None:
        """Forget everything (the next source starts afresh)."""
        self.entries.clear()
        self.rejects.clear()
