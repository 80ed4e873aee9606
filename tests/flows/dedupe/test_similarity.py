"""Tests of flows.dedupe.similarity: story features, pair verification, clustering."""

from __future__ import annotations

import random

import numpy as np
import pytest

from flows.dedupe.config import DEFAULT_CONFIG
from flows.dedupe.hashing import is_boilerplate, is_dedupable
from flows.dedupe.minhash import band_keys, minhash, similarity
from flows.dedupe.similarity import (
    StoryFeatures,
    cluster,
    index_rows,
    is_same_story,
    story_features,
    story_pairs,
    title_key,
)
from tests.flows.dedupe.texts import VOCABULARY, article, edit_paragraph

# Two real-style reports of one event, written independently: same topic, names and
# numbers, different sentences. They must stay two stories.
REPORT_A = """
The city council of Riverton approved a budget of 48 million euros for new social housing
on Tuesday evening, after a debate that lasted more than four hours. Mayor Elena Brandt said
the plan would create 600 flats near the old harbour by 2028 and called the vote a turning
point for young families who can no longer afford rents in the centre. The opposition
criticised the cost and warned that construction prices could rise further. Residents who
attended the meeting applauded when the result was announced, while a small group of
protesters outside the town hall demanded rent controls instead of new buildings. The first
construction permits are expected in the spring, according to the planning department.
"""
REPORT_B = """
Riverton will build 600 social housing flats near its old harbour. Councillors voted in
favour of the 48 million euro plan late on Tuesday, ending a long and heated session. For
Mayor Elena Brandt the decision marks a new start for families priced out of the city
centre; critics from the opposition benches called the project too expensive and doubted
the 2028 deadline. Outside the town hall, a few dozen demonstrators called for a cap on
rents. Planning officials expect to issue the first building permits next spring, and the
tender for the harbour site is due to open before the summer holidays, a spokesperson said.
"""


# --------------------------------------------------------------------------- story features and verification


def test_exact_duplicate_text_under_different_urls_is_one_story() -> None:
    text = article(3)
    a = story_features(text=text, title="One", url="https://www.first.com/a/1")
    b = story_features(text=text, title="Another headline", url="https://second.org/x?id=9")
    assert a.content_hash == b.content_hash
    assert is_same_story(a, b)
    pairs = story_pairs({1: a, 2: b})
    assert pairs == {(1, 2)}


def test_paragraph_edit_is_detected_as_the_same_story() -> None:
    text = article(4, paragraphs=8)
    edited = edit_paragraph(text, 3, seed=5)
    original = story_features(text=text, title="Budget approved", url="https://a.com/1")
    copy = story_features(text=edited, title="Budget passes", url="https://b.com/2")
    assert original.content_hash != copy.content_hash
    assert 0.7 < similarity(original.signature, copy.signature) < 1.0
    assert set(band_keys(original.signature)) & set(band_keys(copy.signature))
    assert is_same_story(original, copy)
    assert is_same_story(copy, original)


def test_heavily_cut_copy_of_a_long_article_is_the_same_story() -> None:
    text = article(6, paragraphs=12)
    lines = text.split("\n")
    cut = "\n".join(lines[:5])  # first 5 of 12 paragraphs: J ~ 0.4, 290 shingles shared
    long = story_features(text=text, title="A", url="https://a.com/1")
    short = story_features(text=cut, title="B", url="https://b.com/1")
    assert DEFAULT_CONFIG.weak_threshold <= similarity(long.signature, short.signature)
    assert similarity(long.signature, short.signature) < DEFAULT_CONFIG.threshold
    assert is_same_story(long, short)


def test_two_articles_on_the_same_topic_are_not_merged() -> None:
    a = story_features(text=REPORT_A, title="Council backs housing", url="https://a.com/1")
    b = story_features(text=REPORT_B, title="Riverton to build flats", url="https://b.com/9")
    assert a.dedupable and b.dedupable
    assert similarity(a.signature, b.signature) < 0.1
    assert not is_same_story(a, b)
    assert story_pairs({1: a, 2: b}) == set()


def test_unrelated_articles_are_not_merged() -> None:
    features = {
        i: story_features(text=article(100 + i), title=f"T{i}", url=f"https://s{i}.com/a")
        for i in range(30)
    }
    assert story_pairs(features) == set()


def test_short_texts_are_never_merged() -> None:
    short = "Police closed the bridge on Tuesday morning after a crash, officials said."
    assert not is_dedupable(short)
    a = story_features(text=short, title="Bridge closed", url="https://a.com/1")
    b = story_features(text=short, title="Bridge closed", url="https://b.com/2")
    assert not a.dedupable
    assert a.content_hash == b.content_hash
    assert not is_same_story(a, b)
    assert story_pairs({1: a, 2: b}) == set()


def test_identical_boilerplate_across_one_site_does_not_merge_articles() -> None:
    # A site whose extractor output is only its footer/teaser block: long enough, no
    # consent phrases, identical on every page. Titles differ: two articles.
    template = article(8, paragraphs=3)
    a = story_features(text=template, title="Storm hits coast", url="https://www.site.com/a")
    b = story_features(text=template, title="Budget vote delayed", url="https://m.site.com/b")
    assert a.dedupable and a.site == b.site == "site.com"
    assert not is_same_story(a, b)
    # The same text and title on one site (one article under two paths) does merge.
    c = story_features(text=template, title="Storm hits coast", url="https://site.com/c")
    assert is_same_story(a, c)


def test_same_site_pages_need_agreeing_titles_even_when_similar() -> None:
    text = article(9, paragraphs=8)
    a = story_features(text=text, title="Live: election night", url="https://site.com/a")
    b = story_features(
        text=edit_paragraph(text, 1, seed=1), title="Live: election night, updated",
        url="https://site.com/b",
    )  # fmt: skip
    c = story_features(
        text=edit_paragraph(text, 1, seed=1), title="Weather", url="https://site.com/c"
    )
    assert is_same_story(a, b)
    assert not is_same_story(a, c)
    d = story_features(text=text, title=None, url="https://site.com/d")
    assert not is_same_story(a, d)


def test_titles_are_compared_without_the_parts_they_share() -> None:
    assert title_key("Storm hits the coast | Daily Planet") == (
        "storm hits the coast | daily planet"
    )
    assert title_key("Live: Storm – Daily Planet") == "live storm | daily planet"
    assert title_key("Solar-powered lights - Daily News") == ("solar powered lights | daily news")
    assert title_key(None) == title_key("  ") == ""
    template = article(17, paragraphs=3)
    suffix = " | The Big City Daily News Portal Online"
    a = story_features(text=template, title="Storm" + suffix, url="https://site.com/a")
    b = story_features(text=template, title="Budget" + suffix, url="https://site.com/b")
    assert not is_same_story(a, b)


def test_empty_text() -> None:
    features = story_features(text="", title="", url=None)
    assert not features.dedupable
    assert features.tokens == features.shingles == 0
    assert features.site == ""
    assert band_keys(features.signature) == []
    assert similarity(features.signature, features.signature) == 0.0
    assert not is_same_story(features, features)
    assert minhash("   \n ") == features.signature
    assert not is_dedupable("")
    assert not is_boilerplate("")


def _shared_prefix_pair(total: int, shared: int, seed: int) -> tuple[str, str]:
    """Two texts of ``total`` words whose first ``shared`` words are the same."""
    rng = random.Random(seed)
    prefix = [rng.choice(VOCABULARY) for _ in range(shared)]
    first = prefix + [rng.choice(VOCABULARY) for _ in range(total - shared)]
    second = prefix + [rng.choice(VOCABULARY) for _ in range(total - shared)]
    return " ".join(first), " ".join(second)


def _features_with(similar: float, shingles: int, site: str) -> tuple[StoryFeatures, StoryFeatures]:
    """Two features whose signatures agree on exactly ``similar`` of their slots."""
    slots = DEFAULT_CONFIG.num_perm
    first = np.arange(1, slots + 1, dtype="<u4")
    second = first.copy()
    second[round(similar * slots) :] += 1000

    def make(values: np.ndarray, digest: str) -> StoryFeatures:
        return StoryFeatures(
            signature=values.tobytes(),
            site=site,
            title_key="t",
            tokens=shingles,
            shingles=shingles,
            content_hash=digest,
            dedupable=True,
        )

    return make(first, "a"), make(second, "b")


def test_low_similarity_needs_many_shared_shingles() -> None:
    config = DEFAULT_CONFIG
    # J = 0.4 between 76-shingle texts is ~43 shared shingles: short templated texts.
    a, b = _features_with(0.4, 76, site="")
    assert similarity(a.signature, b.signature) == pytest.approx(0.4, abs=0.01)
    assert not is_same_story(a, b)
    # The same J between 600-shingle texts rests on ~340 shared shingles.
    c, d = _features_with(0.4, 600, site="")
    assert is_same_story(c, d)
    # Below the weak threshold nothing merges, however long; above the strong one, all do.
    assert not is_same_story(*_features_with(config.weak_threshold - 0.05, 5000, site=""))
    assert is_same_story(*_features_with(config.threshold + 0.01, 70, site=""))


def test_low_similarity_rule_on_texts() -> None:
    short_a, short_b = _shared_prefix_pair(80, 47, seed=15)
    a = story_features(text=short_a, title="Q1 results A", url="https://a.com/1")
    b = story_features(text=short_b, title="Q1 results B", url="https://b.com/1")
    assert 0.25 < similarity(a.signature, b.signature) < 0.5
    assert not is_same_story(a, b)
    long_a, long_b = _shared_prefix_pair(600, 350, seed=3)
    c = story_features(text=long_a, title="Report", url="https://a.com/2")
    d = story_features(text=long_b, title="Report, edited", url="https://b.com/2")
    assert 0.3 <= similarity(c.signature, d.signature) < 0.5
    assert is_same_story(c, d)


def test_index_rows_are_band_numbered_and_empty_when_not_dedupable() -> None:
    features = story_features(text=article(14), title="T", url="https://a.com/x")
    rows = index_rows(features)
    assert [band for band, _ in rows] == list(range(DEFAULT_CONFIG.bands))
    assert [key for _, key in rows] == band_keys(features.signature)
    short = story_features(text="Too short to say anything.", title="T", url="https://a.com/y")
    assert index_rows(short) == []


# --------------------------------------------------------------------------- batches and clustering


def _random_pairs(rng: random.Random, nodes: int, edges: int) -> list[tuple[int, int]]:
    return [(rng.randrange(nodes), rng.randrange(nodes)) for _ in range(edges)]


def test_cluster_is_independent_of_pair_order_and_orientation() -> None:
    rng = random.Random(2024)
    ids = list(range(60))
    pairs = _random_pairs(rng, 60, 45)
    expected = cluster(pairs, ids)
    for seed in range(25):
        shuffled = [(b, a) if random.Random(seed * 7).random() < 0.5 else (a, b) for a, b in pairs]
        random.Random(seed).shuffle(shuffled)
        order = list(ids)
        random.Random(seed + 1000).shuffle(order)
        assert cluster(shuffled, order) == expected
    for item, story in expected.items():
        members = [other for other, s in expected.items() if s == story]
        assert story == min(members)
        assert story <= item


def test_cluster_joins_chains_and_keeps_singletons() -> None:
    stories = cluster([(5, 3), (3, 9), (7, 8)], ids=[1, 3, 5, 7, 8, 9])
    assert stories == {1: 1, 3: 3, 5: 3, 9: 3, 7: 7, 8: 7}
    assert cluster([], ids=["b", "a"]) == {"a": "a", "b": "b"}


def test_batch_partition_is_independent_of_insertion_order() -> None:
    base = [article(200 + i, paragraphs=7) for i in range(8)]
    texts = {}
    for i, text in enumerate(base):
        texts[f"{i}-orig"] = (text, f"https://origin{i}.com/a")
        texts[f"{i}-copy"] = (edit_paragraph(text, 2, seed=i), f"https://copy{i % 3}.net/x{i}")
    partitions = set()
    for seed in range(6):
        keys = list(texts)
        random.Random(seed).shuffle(keys)
        features = {k: story_features(text=texts[k][0], title=k, url=texts[k][1]) for k in keys}
        stories = cluster(story_pairs(features), features)
        groups: dict[str, set[str]] = {}
        for key, story in stories.items():
            groups.setdefault(story, set()).add(key)
        partitions.add(frozenset(frozenset(group) for group in groups.values()))
    assert len(partitions) == 1
    (partition,) = partitions
    assert partition == {frozenset({f"{i}-orig", f"{i}-copy"}) for i in range(8)}


def test_cluster_incrementally_matches_clustering_everything_at_once() -> None:
    rng = random.Random(77)
    pairs = _random_pairs(rng, 80, 70)
    expected = cluster(pairs, range(80))
    for seed in range(5):
        arrival = list(range(80))
        random.Random(seed).shuffle(arrival)
        story: dict[int, int] = {}
        for new in arrival:
            touching = [b if a == new else a for a, b in pairs if new in (a, b)]
            known = [other for other in touching if other in story]
            # What the store passes: new verified pairs plus (article, story_id) of stored ones.
            step = cluster(
                [(new, other) for other in known] + [(o, story[o]) for o in known], [new]
            )
            merged = {story[o] for o in known}
            for member, current in list(story.items()):
                if current in merged:
                    story[member] = step[new]
            story[new] = step[new]
        # Story ids are the smallest *arrived* member, which at the end is the smallest member.
        assert story == expected
