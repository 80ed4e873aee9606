"""Story assignment for one batch: candidates from the persisted index, verified, clustered.

Every new version (a new article, or a changed text of a known one) is looked
up in the LSH index and by exact content hash, each candidate pair is
verified with :func:`flows.dedupe.similarity.is_same_story` against the candidate's
stored features (every version of it), pairs within the batch are found the
same way, and stories are the connected components of verified pairs named by
their smallest article id (:func:`flows.dedupe.similarity.cluster`). So the partition
into stories is the same whatever order articles arrive in; when a new
article links two existing stories they merge, and the merge is logged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from flows.dedupe.config import DEFAULT_CONFIG
from flows.dedupe.similarity import StoryFeatures, cluster, is_same_story, story_pairs
from warehouse import stories as index
from warehouse.connection import Connection
from warehouse.stories import StoryFeatureRow

__all__ = ["StoryItem", "StoryPlan", "assign_stories", "write_index"]

_SCHEME = DEFAULT_CONFIG.scheme


@dataclass(frozen=True, slots=True)
class StoryItem:
    """A version to place: its article, version number, features and band keys."""

    article_id: int
    version_no: int
    features: StoryFeatures
    bands: tuple[int, ...]
    story_id: int | None  # the article's story so far; None for a new article


@dataclass(slots=True)
class StoryPlan:
    """The outcome: a story per article of the batch, and stories that merged."""

    story_of: dict[int, int] = field(default_factory=dict)
    merges: dict[int, int] = field(default_factory=dict)  # old story id -> story it joined


def assign_stories(conn: Connection, items: list[StoryItem]) -> StoryPlan:
    """Decide the story of each item's article (reads the index; writes nothing)."""
    comparable = [item for item in items if item.features.dedupable]
    stored = _stored_candidates(conn, comparable)
    pairs = _verified_stored_pairs(comparable, stored)
    pairs |= _batch_pairs(comparable)
    linked = {b for _, b in pairs if b not in {i.article_id for i in items}}
    current = index.story_ids(conn, linked)
    edges = set(pairs)
    edges.update((article, story) for article, story in current.items())
    edges.update((i.article_id, i.story_id) for i in items if i.story_id is not None)
    roots = cluster(edges, ids=[i.article_id for i in items])
    plan = StoryPlan()
    for item in items:
        plan.story_of[item.article_id] = roots[item.article_id]
    for story in set(current.values()) | {i.story_id for i in items if i.story_id is not None}:
        if roots.get(story, story) != story:
            plan.merges[story] = roots[story]
    return plan


def write_index(
    conn: Connection,
    items: Iterable[StoryItem],
    plan: StoryPlan,
    *,
    run_id: UUID,
    at: datetime,
) -> None:
    """Persist the items' features and band keys, and apply the plan's merges."""
    items = list(items)
    index.insert_features(conn, [_feature_row(item) for item in items])
    index.insert_bands(conn, [(key, item.article_id) for item in items for key in item.bands])
    index.merge_stories(conn, plan.merges, run_id=run_id, at=at)


def _stored_candidates(
    conn: Connection, items: list[StoryItem]
) -> dict[int, dict[int, list[StoryFeatures]]]:
    """For each item, the stored articles sharing a band or its exact text, with their features."""
    by_key: dict[int, set[int]] = defaultdict(set)
    for key, article_id in index.find_band_matches(conn, (k for i in items for k in i.bands)):
        by_key[key].add(article_id)
    by_hash: dict[str, set[int]] = defaultdict(set)
    hashes = (i.features.content_hash for i in items)
    for content_hash, article_id in index.find_content_matches(conn, hashes):
        by_hash[content_hash].add(article_id)
    wanted: dict[int, set[int]] = {}
    for item in items:
        found = set(by_hash.get(item.features.content_hash, ()))
        for key in item.bands:
            found |= by_key.get(key, set())
        found.discard(item.article_id)
        wanted[item.article_id] = found
    features: dict[int, list[StoryFeatures]] = defaultdict(list)
    all_ids = set().union(*wanted.values()) if wanted else set()
    for row in index.load_features(conn, all_ids, scheme=_SCHEME):
        features[row.article_id].append(_story_features(row))
    return {
        article_id: {other: features[other] for other in others if features.get(other)}
        for article_id, others in wanted.items()
    }


def _verified_stored_pairs(
    items: list[StoryItem], stored: dict[int, dict[int, list[StoryFeatures]]]
) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for item in items:
        for other, versions in stored.get(item.article_id, {}).items():
            if any(is_same_story(item.features, v) for v in versions):
                pairs.add((item.article_id, other))
    return pairs


def _batch_pairs(items: list[StoryItem]) -> set[tuple[int, int]]:
    """Verified pairs among the batch's own versions (different articles only)."""
    features = {position: item.features for position, item in enumerate(items)}
    pairs = set()
    for a, b in story_pairs(features):
        first, second = items[a].article_id, items[b].article_id
        if first != second:
            pairs.add((min(first, second), max(first, second)))
    return pairs


def _feature_row(item: StoryItem) -> StoryFeatureRow:
    f = item.features
    return StoryFeatureRow(
        article_id=item.article_id,
        version_no=item.version_no,
        scheme=_SCHEME,
        signature=bytes(f.signature),
        site=f.site,
        title_key=f.title_key,
        tokens=f.tokens,
        shingles=f.shingles,
        content_hash=f.content_hash,
        dedupable=f.dedupable,
    )


def _story_features(row: StoryFeatureRow) -> StoryFeatures:
    return StoryFeatures(
        signature=bytes(row.signature),
        site=row.site,
        title_key=row.title_key,
        tokens=row.tokens,
        shingles=row.shingles,
        content_hash=row.content_hash,
        dedupable=row.dedupable,
    )
