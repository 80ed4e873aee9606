"""Per-article identity and dedupe features, computed in the extraction worker after cleaning.

Applies the pure rules of :mod:`flows.dedupe` to one :class:`Article`: which URL it
lives at and every URL variant that leads to it (:mod:`.identity`), the hash that
decides whether it changed (title + text, :mod:`.hashing`), and its near-duplicate
features (MinHash signature, LSH band keys, content hash, whether it is long enough
to compare: :mod:`.similarity`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from connectors.text.urls import is_http_url
from flows.dedupe.hashing import version_hash
from flows.dedupe.identity import identity_key, resolve_identity
from flows.dedupe.similarity import StoryFeatures, index_rows, story_features
from flows.errors import InvalidURLError
from flows.extract.records import Article

__all__ = ["Features", "Identity", "fingerprint", "identify"]


@dataclass(frozen=True, slots=True)
class Identity:
    """Where an article lives, and every (url, identity key, kind) variant that leads to it."""

    canonical_url: str
    host: str | None
    aliases: tuple[tuple[str, str, str], ...]  # kind: requested|fetched|redirect|canonical|file

    @property
    def keys(self) -> tuple[str, ...]:
        """The identity keys to look up (any hit is this article)."""
        return tuple(sorted({key for _, key, _ in self.aliases}))


@dataclass(frozen=True, slots=True)
class Features:
    """What identity, versioning and story assignment need to know about an article."""

    identity: Identity
    version_hash: str
    story: StoryFeatures
    bands: tuple[int, ...]  # LSH band keys; empty when the text is too short to compare

    @property
    def content_hash(self) -> str:
        """Hash of the normalised text (equal hashes: exact copies)."""
        return self.story.content_hash

    @property
    def dedupable(self) -> bool:
        """Whether the text is long and substantive enough to join a story."""
        return self.story.dedupable


def fingerprint(article: Article) -> Features:
    """Compute an article's identity, version hash and story features."""
    identity = identify(article)
    web_url = identity.canonical_url if is_http_url(identity.canonical_url) else None
    story = story_features(text=article.text, title=article.title, url=web_url)
    bands = tuple(key for _, key in index_rows(story))
    return Features(
        identity=identity,
        version_hash=version_hash(article.title, article.text),
        story=story,
        bands=bands,
    )


def identify(article: Article) -> Identity:
    """Decide the canonical URL and collect every URL variant seen for an article."""
    fetched = article.url if article.url and is_http_url(article.url) else None
    hints = {"page_canonical": article.canonical_link, "og_url": article.og_url}
    if fetched is None:
        # A saved page read from disk: its own canonical link is the best address it has.
        stated = next(
            (u for u in (article.canonical_link, article.og_url) if u and is_http_url(u)), None
        )
        if stated is None:
            return _local_identity(article.location)
        fetched, hints = stated, {"page_canonical": None, "og_url": None}
    try:
        decision = resolve_identity(fetched, redirects=article.redirects, **hints)
    except InvalidURLError:
        return _local_identity(article.location)
    variants: dict[str, str] = {}
    if is_http_url(article.location):
        variants[article.location] = "requested"
    else:
        variants[article.location] = "file"
    for alias in decision.aliases:
        variants.setdefault(alias.url, alias.kind.value)
    variants.setdefault(fetched, "fetched")
    aliases = tuple((url, _key(url), kind) for url, kind in sorted(variants.items()) if _key(url))
    return Identity(canonical_url=decision.url, host=_host(decision.url), aliases=aliases)


def _local_identity(location: str) -> Identity:
    return Identity(canonical_url=location, host=None, aliases=((location, location, "file"),))


def _key(url: str) -> str:
    if not is_http_url(url):
        return url
    try:
        return identity_key(url)
    except InvalidURLError:
        return ""


def _host(url: str) -> str | None:
    host = urlsplit(url).hostname
    return host.lower().removeprefix("www.") if host else None
