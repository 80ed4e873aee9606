"""Per-article dedupe features, computed in the extraction worker next to cleaning.

Applies the pure rules of ``flows.dedupe`` to one :class:`Article`: its
identity (canonical URL and every alias key), the hash that decides whether
it changed (title + text), the hash of its normalised text (exact copies), and
whether its text is long enough to be compared at all.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flows.clean import Article

__all__ = ["MIN_DEDUPE_WORDS", "Features", "Identity", "fingerprint", "may_share_story"]

MIN_DEDUPE_WORDS = 50
_TRACKING = re.compile(
    r"^(utm_.*|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|_ga|yclid)$", re.I
)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who an article is: its canonical URL, host, and every (key, url, kind) alias."""

    canonical_url: str
    host: str | None
    aliases: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True, slots=True)
class Features:
    """What dedupe and versioning need to know about an article."""

    identity: Identity
    version_hash: str
    content_hash: str
    dedupable: bool


def fingerprint(article: Article) -> Features:
    """Compute an article's identity and hashes."""
    text = _normalize(article.text)
    return Features(
        identity=_identity(article),
        version_hash=_hash(f"{article.title or ''}\n{article.text}"),
        content_hash=_hash(text),
        dedupable=len(text.split()) >= MIN_DEDUPE_WORDS,
    )


def may_share_story(
    host: str | None, title: str | None, other_host: str | None, other_title: str | None
) -> bool:
    """Identical text on one site under different titles is boilerplate, not one story."""
    if host is None or host != other_host:
        return True
    return _normalize(title or "") == _normalize(other_title or "")


def _identity(article: Article) -> Identity:
    fetched = [(u, "fetched") for u in (article.url,) if u] + [
        (u, "redirect") for u in article.redirects
    ]
    canonical = article.canonical_link or article.og_url
    candidates = list(fetched)
    if canonical and (not fetched or _host(canonical) == _host(fetched[0][0])):
        candidates.insert(0, (canonical, "canonical"))
    if not candidates:
        candidates = [(article.location, "file")]
    aliases = tuple(dict.fromkeys((_key(u), u, kind) for u, kind in candidates))
    preferred = candidates[0][0]
    return Identity(canonical_url=_key(preferred), host=_host(preferred), aliases=aliases)


def _key(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"}:
        return url.strip()
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True))
    kept = [(k, v) for k, v in query if not _TRACKING.match(k)]
    netloc = (parts.hostname or "").lower()
    if parts.port and parts.port not in {80, 443}:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(kept), ""))


def _host(url: str) -> str | None:
    host = urlsplit(url).hostname
    return host.lower().removeprefix("www.") if host else None


def _normalize(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
