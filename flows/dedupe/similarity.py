"""Near-duplicate stories: per-article features, pair verification, and clustering.

:func:`story_features` sums up what verification needs to know about one
article version (signature, site, title, sizes, content hash); candidate pairs
from shared LSH bands or content hashes are verified by :func:`is_same_story`,
and stories are the connected components of verified pairs (:func:`cluster`),
named by their smallest member id, so the partition does not depend on the
order articles arrive in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, TypeVar

from flows.dedupe.config import DEFAULT_CONFIG, DedupeConfig
from flows.dedupe.hashing import content_tokens, normalize_text, normalized_hash, split_tokens
from flows.dedupe.identity import site_of
from flows.dedupe.minhash import Signature, band_keys, shingle_signature, similarity

__all__ = [
    "StoryFeatures",
    "candidate_pairs",
    "cluster",
    "index_rows",
    "is_same_story",
    "story_features",
    "story_pairs",
    "title_key",
]


# ---------------------------------------------------------------------------
# Story features and verification
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoryFeatures:
    """What verification needs to know about one article; small enough to persist per article."""

    signature: Signature
    site: str  # registrable domain of the article's URL ('' when unknown)
    title_key: str  # normalised title parts joined by " | " ('' when unknown)
    tokens: int  # comparison tokens in the text, boilerplate paragraphs left out
    shingles: int  # distinct shingles of those tokens
    content_hash: str
    dedupable: bool


def index_rows(
    features: StoryFeatures, *, config: DedupeConfig = DEFAULT_CONFIG
) -> list[tuple[int, int]]:
    """Return the ``(band_no, key)`` rows to index for an article; none if it is not dedupable."""
    if not features.dedupable:
        return []
    return list(enumerate(band_keys(features.signature, config=config)))


def story_features(
    *,
    text: str,
    title: str | None = None,
    url: str | None = None,
    config: DedupeConfig = DEFAULT_CONFIG,
) -> StoryFeatures:
    """Compute an article's story features: signature, site, title, sizes, hash, dedupability."""
    normalized = normalize_text(text)
    words = content_tokens(text, normalized)
    signature, shingles = shingle_signature(words, config=config)
    return StoryFeatures(
        signature=signature,
        site=site_of(url),
        title_key=title_key(title),
        tokens=len(words),
        shingles=shingles,
        content_hash=normalized_hash(normalized),
        dedupable=len(words) >= config.min_tokens,
    )


def is_same_story(
    a: StoryFeatures, b: StoryFeatures, *, config: DedupeConfig = DEFAULT_CONFIG
) -> bool:
    """Verify a candidate pair: similar enough text, and for one site also agreeing titles.

    Similar enough: the same normalised text, an estimated Jaccard of at least
    ``threshold``, or of at least ``weak_threshold`` with ``weak_min_shared``
    shingles in common (a low similarity needs much evidence).

    Symmetric and deterministic, so the set of verified pairs (and the stories
    built from it) does not depend on the order articles arrive in. Pages of
    one site share navigation, teasers and legal text that can leak into the
    extracted text, so two pages of one site must also agree on their titles
    (even identical texts: an identical text under two titles is a template).
    """
    if not (a.dedupable and b.dedupable):
        return False
    same_site_titles_differ = (
        a.site
        and a.site == b.site
        and (_title_similarity(a.title_key, b.title_key) < config.title_agreement)
    )
    if same_site_titles_differ:
        return False
    if a.content_hash == b.content_hash:
        return True
    jaccard = similarity(a.signature, b.signature)
    if jaccard >= config.threshold:
        return True
    return jaccard >= config.weak_threshold and _shared(a, b, jaccard) >= config.weak_min_shared


def _shared(a: StoryFeatures, b: StoryFeatures, jaccard: float) -> float:
    """Estimated number of shingles two texts share: J / (1 + J) * (|A| + |B|)."""
    return jaccard / (1.0 + jaccard) * (a.shingles + b.shingles)


_TITLE_SEPARATOR: Final = re.compile(r"\s+(?:[|–—·•»:-]|::)\s+")


def title_key(title: str | None) -> str:
    """Normalise a title for comparison, keeping its parts ("Headline | Site") apart."""
    parts = (normalize_text(part) for part in _TITLE_SEPARATOR.split(title or ""))
    return " | ".join(part for part in parts if part)


def _title_similarity(a: str, b: str) -> float:
    """Token Jaccard of two title keys after dropping the parts both share (the site name)."""
    if not a or not b:
        return 0.0
    parts_a, parts_b = a.split(" | "), b.split(" | ")
    shared = set(parts_a) & set(parts_b)
    rest_a = [part for part in parts_a if part not in shared]
    rest_b = [part for part in parts_b if part not in shared]
    if not rest_a and not rest_b:
        return 1.0
    set_a = set(split_tokens(" ".join(rest_a)))
    set_b = set(split_tokens(" ".join(rest_b)))
    return len(set_a & set_b) / len(set_a | set_b) if set_a | set_b else 0.0


# ---------------------------------------------------------------------------
# Batches and clustering
# ---------------------------------------------------------------------------

K = TypeVar("K", int, str)


def candidate_pairs(
    features: Mapping[K, StoryFeatures], *, config: DedupeConfig = DEFAULT_CONFIG
) -> set[tuple[K, K]]:
    """Return the pairs of a batch that share an LSH band or a content hash (smaller id first)."""
    buckets: dict[tuple[int, int] | str, list[K]] = {}
    for item_id in sorted(features):
        item = features[item_id]
        if not item.dedupable:
            continue
        buckets.setdefault(item.content_hash, []).append(item_id)
        for band_no, key in enumerate(band_keys(item.signature, config=config)):
            buckets.setdefault((band_no, key), []).append(item_id)
    pairs: set[tuple[K, K]] = set()
    for members in buckets.values():
        for i, first in enumerate(members):
            pairs.update((first, second) for second in members[i + 1 :])
    return pairs


def story_pairs(
    features: Mapping[K, StoryFeatures], *, config: DedupeConfig = DEFAULT_CONFIG
) -> set[tuple[K, K]]:
    """Return the verified same-story pairs of a batch (candidates that pass is_same_story)."""
    return {
        (a, b)
        for a, b in candidate_pairs(features, config=config)
        if is_same_story(features[a], features[b], config=config)
    }


def cluster(pairs: Iterable[tuple[K, K]], ids: Iterable[K] = ()) -> dict[K, K]:
    """Map every id to its story id: the smallest id of its connected component.

    ``ids`` adds singletons. The result depends only on the set of pairs, not
    on their order, which makes stories independent of insertion order. For an
    incremental store, pass the new verified pairs plus ``(article, story_id)``
    of every stored article they touch: a story id is its smallest member, so
    the components (and merged stories' new ids) come out the same as if the
    whole warehouse had been clustered at once.
    """
    parent: dict[K, K] = {}

    def find(item: K) -> K:
        root = parent.setdefault(item, item)
        while root != parent[root]:
            root = parent[root]
        while parent[item] != root:  # path compression
            parent[item], item = root, parent[item]
        return root

    for item in ids:
        find(item)
    for a, b in pairs:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            # The smaller root wins, so every root is its component's minimum.
            low, high = (root_a, root_b) if root_a < root_b else (root_b, root_a)
            parent[high] = low
    return {item: find(item) for item in parent}
