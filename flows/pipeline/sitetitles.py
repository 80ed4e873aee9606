"""What a run knows of each host's titles, handed to the extraction workers with each page.

A page's title is chosen in its worker (:mod:`flows.extract.titles`), which
cannot read the warehouse; what the host's other pages teach (the affixes its
``<title>``s share, such as "| Politics | Metro News") must come with the
page. So the flow keeps, per host, the ``<title>``s stated by the host's
stored articles (their latest versions, at most :data:`PER_HOST`, read once per
host per run when a batch first meets the host) and adds those of the run's
own articles as they come back, and each document travels to its worker with
the :class:`~flows.extract.titles.SiteTitles` learned from them. The tenth page
of a site is thus cleaned with what the first nine taught, within a run and
across runs; the decision stays in the worker, so the title, its source and
the version hash computed there agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from flows.dedupe.fingerprint import Features
from flows.extract.records import Article
from flows.extract.titles import SiteTitles, learn_site_titles
from warehouse import lookups
from warehouse.connection import Connection

__all__ = ["PER_HOST", "SiteTitleMemory", "host_of"]

PER_HOST = 50  # titles kept per host: enough to learn its affixes, bounded memory per run


def host_of(url: str | None) -> str | None:
    """A URL's host as ``articles.host`` holds it: lower case, without "www."."""
    try:
        host = urlsplit(url).hostname if url else None
    except ValueError:
        return None
    return host.lower().removeprefix("www.") if host else None


class SiteTitleMemory:
    """Per host: the ``<title>``s seen (stored and this run's) and the affixes learned."""

    def __init__(self, per_host: int = PER_HOST) -> None:
        self._per_host = per_host
        self._titles: dict[str, list[str]] = {}
        self._learned: dict[str, SiteTitles] = {}

    def load(self, conn: Connection, urls: Iterable[str | None]) -> None:
        """Read the stored titles of the hosts of ``urls`` not met yet in this run."""
        hosts = {h for h in map(host_of, urls) if h and h not in self._titles}
        if not hosts:
            return
        stored = lookups.page_titles(conn, hosts, per_host=self._per_host)
        for host in hosts:
            self._titles[host] = stored.get(host, [])

    def site(self, url: str | None) -> SiteTitles | None:
        """What the host of ``url`` has taught so far (None when nothing)."""
        host = host_of(url)
        titles = self._titles.get(host) if host else None
        if not host or not titles:
            return None
        if host not in self._learned:
            self._learned[host] = learn_site_titles(titles)
        return self._learned[host]

    def remember(self, processed: tuple[Article, Features]) -> None:
        """Add a cleaned article's stated title to what its host teaches."""
        article, features = processed
        host = features.identity.host
        if not host or not article.page_title:
            return
        titles = self._titles.setdefault(host, [])
        titles.insert(0, article.page_title)
        del titles[self._per_host :]
        self._learned.pop(host, None)
