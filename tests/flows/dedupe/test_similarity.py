"""Tests of flows.dedupe.similarity: URL identity, content hashes, near-duplicate stories, clustering."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from flows.dedupe import similarity as dedupe
from flows.dedupe.similarity import (
    AliasKind,
    CanonicalSource,
    band_keys,
    canonical_url,
    cluster,
    content_hash,
    identity_key,
    is_boilerplate,
    is_dedupable,
    is_same_story,
    minhash,
    normalize_text,
    registered_domain,
    resolve_identity,
    same_site,
    similarity,
    story_features,
    story_pairs,
    version_hash,
)
from flows.errors import DedupeError, InvalidURLError

# --------------------------------------------------------------------------- text fixtures

_VOCABULARY = [
    "the",
    "council",
    "city",
    "mayor",
    "budget",
    "housing",
    "river",
    "bridge",
    "school",
    "police",
    "report",
    "minister",
    "election",
    "vote",
    "party",
    "union",
    "workers",
    "strike",
    "hospital",
    "doctors",
    "patients",
    "energy",
    "prices",
    "market",
    "bank",
    "inflation",
    "rate",
    "court",
    "judge",
    "trial",
    "witness",
    "storm",
    "flood",
    "rain",
    "farmers",
    "harvest",
    "station",
    "train",
    "delay",
    "airport",
    "flight",
    "border",
    "trade",
    "tariff",
    "export",
    "factory",
    "jobs",
    "museum",
    "festival",
    "concert",
    "team",
    "coach",
    "match",
    "season",
    "league",
    "player",
    "injury",
    "transfer",
    "fans",
    "stadium",
    "said",
    "on",
    "tuesday",
    "after",
    "before",
    "during",
    "while",
    "because",
    "although",
    "however",
    "meanwhile",
    "later",
    "new",
    "old",
    "large",
    "small",
    "local",
    "national",
    "public",
    "private",
    "early",
    "late",
    "first",
    "last",
    "several",
    "according",
    "to",
    "officials",
    "residents",
    "spokesperson",
    "statement",
    "plan",
    "proposal",
    "decision",
    "cost",
    "million",
    "euros",
    "percent",
    "year",
    "week",
    "month",
    "morning",
    "evening",
    "night",
    "district",
    "region",
    "county",
]


def article(seed: int, paragraphs: int = 6, words: int = 60) -> str:
    """A deterministic pseudo-article: paragraphs of words drawn from a news vocabulary."""
    rng = random.Random(seed)
    return "\n".join(
        " ".join(rng.choice(_VOCABULARY) for _ in range(words)).capitalize() + "."
        for _ in range(paragraphs)
    )


def edit_paragraph(text: str, index: int, seed: int) -> str:
    """Replace one paragraph's second half with other words (a syndicator's edit)."""
    lines = text.split("\n")
    rng = random.Random(seed)
    words = lines[index].split()
    half = len(words) // 2
    words[half:] = [rng.choice(_VOCABULARY) for _ in words[half:]]
    lines[index] = " ".join(words)
    return "\n".join(lines)


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

CONSENT_WALL = (
    "We value your privacy. We and our 842 partners store and/or access information on a "
    "device, such as cookies, and process personal data for personalised ads and content. "
    "You can accept all cookies or manage your preferences at any time."
)


# --------------------------------------------------------------------------- URL identity


def test_tracking_parameters_only_give_the_same_key_and_url() -> None:
    plain = "https://news.example.com/politics/vote-2024?id=42"
    tracked = (
        "https://news.example.com/politics/vote-2024?utm_source=twitter&id=42"
        "&utm_medium=social&fbclid=IwAR0abc&gclid=Cj0KCQ&mc_cid=12&mc_eid=ab&_ga=2.1"
        "&igshid=xyz&msclkid=1&yclid=9&ref_src=twsrc"
    )
    assert identity_key(tracked) == identity_key(plain)
    assert canonical_url(tracked) == canonical_url(plain) == plain


def test_five_url_variants_are_one_identity_key() -> None:
    variants = [
        "https://www.example.com/news/story-123?utm_source=newsletter&utm_campaign=x",
        "https://www.example.com/news/story-123?fbclid=IwAR0xyz",
        "https://www.example.com/amp/news/story-123",
        "https://m.example.com/news/story-123#comments",
        "HTTPS://WWW.EXAMPLE.COM:443/news/story-123",
        "http://example.com/news/story-123/amp/",
        "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/news/story-123",
        "https://www.example.com/news/story-123?amp=1",
        "https://www.example.com/news/story-123?outputType=amp",
    ]
    keys = {identity_key(url) for url in variants}
    assert len(keys) == 1
    decisions = [resolve_identity(url) for url in variants]
    assert {decision.key for decision in decisions} == keys
    # The variants stay distinct as URLs: the store keeps each one it saw.
    assert len({decision.aliases[0].url for decision in decisions}) == len(variants)


def test_different_pages_keep_different_keys() -> None:
    base = "https://www.example.com/news/story-123"
    others = [
        "https://www.example.com/news/story-124",
        "https://www.example.com/news/story-123?id=7",
        "https://www.example.com/News/story-123",
        "https://www.other-example.com/news/story-123",
        "https://www.example.com:8443/news/story-123",
        "https://blog.example.com/news/story-123",
    ]
    assert identity_key(base) not in {identity_key(url) for url in others}


def test_canonical_url_normalises_encoding_ports_idn_and_order() -> None:
    assert canonical_url("http://Example.COM:80/a%7eb/%e2%82%ac?b=2&a=1") == (
        "http://example.com/a~b/%E2%82%AC?a=1&b=2"
    )
    assert canonical_url("https://example.com:8443/x") == "https://example.com:8443/x"
    assert canonical_url("https://bücher.example/straße") == (
        "https://xn--bcher-kva.example/stra%C3%9Fe"
    )
    assert canonical_url("https://example.com/a?") == "https://example.com/a"
    assert canonical_url("https://example.com") == "https://example.com/"
    assert canonical_url("https://user:secret@example.com./a#frag") == "https://example.com/a"


def test_session_ids_are_dropped_but_look_alike_article_ids_are_kept() -> None:
    expected = "https://shop.example.com/item/9?color=red"
    assert canonical_url("https://shop.example.com/item/9;jsessionid=0A1B2C3D4E5F?color=red") == (
        expected
    )
    assert canonical_url("https://shop.example.com/item/9?PHPSESSID=abc&color=red") == expected
    assert canonical_url(
        "https://shop.example.com/item/9?color=red&sid=9f86d081884c7d659a2feaa0c55ad015"
    ) == (expected)
    # Slashdot-style story ids in "sid" are content, not sessions.
    story = "https://slashdot.org/story.pl?sid=08/01/01/1234"
    assert "sid=" in canonical_url(story)
    assert identity_key(story) != identity_key("https://slashdot.org/story.pl?sid=08/01/02/9999")


@pytest.mark.parametrize(
    "bad", ["", "not a url", "ftp://example.com/file", "mailto:a@example.com", "http://", "//x"]
)
def test_invalid_urls_raise_the_module_error(bad: str) -> None:
    with pytest.raises(InvalidURLError):
        canonical_url(bad)
    with pytest.raises(DedupeError):
        identity_key(bad)


def test_registered_domain_rule() -> None:
    assert registered_domain("news.bbc.co.uk") == "bbc.co.uk"
    assert registered_domain("www.abc.net.au") == "abc.net.au"
    assert registered_domain("www.asahi.co.jp") == "asahi.co.jp"
    assert registered_domain("edition.cnn.com") == "cnn.com"
    assert registered_domain("www.lemonde.fr") == "lemonde.fr"
    assert registered_domain("www.faz.net") == "faz.net"
    assert registered_domain("192.0.2.7") == "192.0.2.7"
    assert same_site("https://news.bbc.co.uk/a", "https://www.bbc.co.uk/b")
    assert not same_site("https://one.co.uk/a", "https://two.co.uk/a")
    assert same_site(
        "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/a", "https://example.com/"
    )
    assert not same_site("https://example.com/a", "not a url")


def test_same_site_canonical_is_preferred_and_kept_as_alias() -> None:
    decision = resolve_identity(
        "https://m.example.com/2024/05/story?utm_source=x",
        redirects=("https://t.co/abc", "http://example.com/2024/05/story"),
        page_canonical="https://www.example.com/2024/05/story-full-title",
    )
    assert decision.source is CanonicalSource.REL_CANONICAL
    assert decision.url == "https://www.example.com/2024/05/story-full-title"
    kinds = {alias.key: alias.kind for alias in decision.aliases}
    assert kinds[identity_key("https://example.com/2024/05/story")] is AliasKind.FETCHED
    assert kinds[identity_key("https://t.co/abc")] is AliasKind.REDIRECT
    assert kinds[decision.key] is AliasKind.CANONICAL
    assert decision.alias_keys == tuple(sorted(kinds))


def test_relative_canonical_and_og_url_fallback() -> None:
    relative = resolve_identity("https://example.com/a/b?page=1", page_canonical="/a/b")
    assert relative.url == "https://example.com/a/b"
    og = resolve_identity("https://example.com/a/b?page=1", og_url="https://example.com/a/b")
    assert og.source is CanonicalSource.OG_URL
    assert og.url == "https://example.com/a/b"


def test_cross_site_canonical_is_ignored() -> None:
    decision = resolve_identity(
        "https://www.syndicator.com/world/story-1",
        page_canonical="https://www.original-news.com/politics/story-1",
        og_url="https://www.original-news.com/politics/story-1",
    )
    assert decision.source is CanonicalSource.FETCHED
    assert decision.url == "https://www.syndicator.com/world/story-1"
    assert decision.alias_keys == (identity_key("https://syndicator.com/world/story-1"),)
    assert {hint.reason for hint in decision.ignored} == {"cross_site"}


@pytest.mark.parametrize(
    ("hint", "reason"),
    [
        ("https://example.com/", "site_root"),
        ("https://www.example.com", "site_root"),
        ("https://example.com/news/", "section"),
        ("javascript:void(0)", "not_http"),
        ("ftp://example.com/news/2024/story", "not_http"),
        ("http://[broken/x", "malformed"),
    ],
)
def test_canonical_hints_that_cannot_name_the_page_are_ignored(hint: str, reason: str) -> None:
    decision = resolve_identity("https://example.com/news/2024/story", page_canonical=hint)
    assert decision.source is CanonicalSource.FETCHED
    assert [ignored.reason for ignored in decision.ignored] == [reason]
    assert decision.alias_keys == (identity_key("https://example.com/news/2024/story"),)


def test_canonical_loop_gives_both_pages_the_same_keys() -> None:
    page_a = "https://example.com/news/story-a"
    page_b = "https://example.com/news/story-a-updated"
    first = resolve_identity(page_a, page_canonical=page_b)
    second = resolve_identity(page_b, page_canonical=page_a)
    assert set(first.alias_keys) == set(second.alias_keys)
    assert set(first.alias_keys) == {identity_key(page_a), identity_key(page_b)}


def test_invalid_fetched_url_raises() -> None:
    with pytest.raises(InvalidURLError):
        resolve_identity("file:///tmp/page.html")


# --------------------------------------------------------------------------- content hashes


def test_normalize_text_folds_typography_case_width_and_spacing() -> None:
    a = "“Don’t panic” — the MINISTER said…\u00a0It’s\tfine!"
    b = "\"Don't panic\" - the minister said... It's fine"
    assert normalize_text(a) == normalize_text(b) == "don t panic the minister said it s fine"
    assert normalize_text("１３日　ＡＢＣ") == "13日 abc"
    assert normalize_text("Bundes\u00adtag") == "bundestag"
    assert normalize_text("Straße") == normalize_text("STRASSE")
    assert normalize_text("") == ""


def test_content_hash_is_equal_for_typographic_variants_only() -> None:
    text = article(1)
    variant = text.replace(" ", "  ").replace(".", "!").upper()
    assert content_hash(text) == content_hash(variant)
    assert content_hash(text) != content_hash(text + " extra")
    assert len(content_hash(text)) == 32


def test_version_hash_changes_with_title_or_text_not_with_spacing() -> None:
    text = article(2)
    base = version_hash("Title", text)
    assert version_hash("Title", "  " + text.replace(" ", "  ") + "\n") == base
    assert version_hash("Title (updated)", text) != base
    assert version_hash("Title", edit_paragraph(text, 2, seed=3)) != base
    assert version_hash(None, text) != base


def test_exact_duplicate_text_under_different_urls_is_one_story() -> None:
    text = article(3)
    a = story_features(text=text, title="One", url="https://www.first.com/a/1")
    b = story_features(text=text, title="Another headline", url="https://second.org/x?id=9")
    assert a.content_hash == b.content_hash
    assert is_same_story(a, b)
    pairs = story_pairs({1: a, 2: b})
    assert pairs == {(1, 2)}


# --------------------------------------------------------------------------- near duplicates


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
    assert dedupe.DEFAULT_CONFIG.weak_threshold <= similarity(long.signature, short.signature)
    assert similarity(long.signature, short.signature) < dedupe.DEFAULT_CONFIG.threshold
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


def test_min_tokens_is_the_boundary() -> None:
    minimum = dedupe.DEFAULT_CONFIG.min_tokens
    words = article(7).split()
    assert is_dedupable(" ".join(words[:minimum]))
    assert not is_dedupable(" ".join(words[: minimum - 1]))


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


def test_consent_walls_and_paywall_stubs_are_boilerplate() -> None:
    assert is_boilerplate(CONSENT_WALL)
    assert not is_dedupable(CONSENT_WALL)
    stub = (
        "Subscribe to continue reading. Already a subscriber? Sign in to continue. "
        "Get unlimited access to our journalism for 1 euro in the first month."
    )
    assert is_boilerplate(stub)
    assert is_boilerplate("Please enable JavaScript to view this page.")
    a = story_features(text=CONSENT_WALL, title="Politics", url="https://a.com/x")
    b = story_features(text=CONSENT_WALL, title="Sport", url="https://b.com/y")
    assert not is_same_story(a, b)


def test_a_consent_banner_leaking_into_an_article_does_not_change_its_signature() -> None:
    text = article(10)
    leaked = CONSENT_WALL + "\n" + text
    assert is_dedupable(leaked)
    assert not is_boilerplate(leaked)
    assert minhash(leaked) == minhash(text)
    a = story_features(text=text, title="A", url="https://a.com/1")
    b = story_features(text=leaked, title="B", url="https://b.com/1")
    assert is_same_story(a, b)


def test_an_article_mentioning_cookies_is_not_boilerplate() -> None:
    text = article(11) + "\nThe regulator said sites must let users reject all cookies."
    assert not is_boilerplate(text)
    assert is_dedupable(text)


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


def test_unspaced_scripts_are_tokenised_per_character() -> None:
    chinese = (
        "国务院总理今天在北京主持召开常务会议，研究部署进一步扩大内需和稳定就业的政策措施。" * 2
    )
    assert len(dedupe.tokens(chinese)) >= dedupe.DEFAULT_CONFIG.min_tokens
    assert is_dedupable(chinese)
    assert dedupe.tokens("東京13日") == ["東", "京", "13", "日"]


def test_band_keys_are_signed_64_bit_and_one_per_band() -> None:
    keys = band_keys(minhash(article(12)))
    assert len(keys) == dedupe.DEFAULT_CONFIG.bands
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert any(key < 0 for key in keys) or any(key >= 2**62 for key in keys)


def test_similarity_rejects_signatures_of_other_lengths() -> None:
    small = dedupe.DedupeConfig(bands=4, rows=2)
    with pytest.raises(DedupeError):
        similarity(minhash("a b c d e f", config=small), minhash("a b c d e f"))
    with pytest.raises(DedupeError):
        band_keys(minhash("a b c d e f", config=small))


def test_lsh_probability_follows_the_s_curve() -> None:
    config = dedupe.DEFAULT_CONFIG
    values = [dedupe.lsh_probability(j / 10) for j in range(11)]
    assert values == sorted(values)
    assert values[0] == 0.0
    assert values[10] == 1.0
    assert dedupe.lsh_probability(config.threshold) > 0.99
    assert dedupe.lsh_probability(0.1) < 0.05


# --------------------------------------------------------------------------- determinism


def test_signature_and_band_keys_are_equal_in_another_process() -> None:
    text = article(13)
    script = textwrap.dedent(
        """
        import sys
        from flows.dedupe.similarity import band_keys, content_hash, minhash
        text = sys.stdin.read()
        print(minhash(text).hex())
        print(",".join(map(str, band_keys(minhash(text)))))
        print(content_hash(text))
        """
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=60,
    )
    signature_hex, keys, digest = result.stdout.split()
    assert signature_hex == minhash(text).hex()
    assert keys == ",".join(map(str, band_keys(minhash(text))))
    assert digest == content_hash(text)


def test_scheme_names_the_parameters() -> None:
    assert dedupe.DEFAULT_CONFIG.scheme != dedupe.DedupeConfig(bands=20, rows=6).scheme
    assert dedupe.DEFAULT_CONFIG.num_perm == len(minhash("x y z")) // 4


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
            for article, current in list(story.items()):
                if current in merged:
                    story[article] = step[new]
            story[new] = step[new]
        # Story ids are the smallest *arrived* member, which at the end is the smallest member.
        assert story == expected


def test_index_rows_are_band_numbered_and_empty_when_not_dedupable() -> None:
    features = story_features(text=article(14), title="T", url="https://a.com/x")
    rows = dedupe.index_rows(features)
    assert [band for band, _ in rows] == list(range(dedupe.DEFAULT_CONFIG.bands))
    assert [key for _, key in rows] == band_keys(features.signature)
    short = story_features(text="Too short to say anything.", title="T", url="https://a.com/y")
    assert dedupe.index_rows(short) == []


@pytest.mark.parametrize(
    ("page", "hint", "accepted"),
    [
        ("https://example.com/de/news/2024/story-123", "https://example.com/de/news/", False),
        ("https://example.com/news/2024/05/story-slug", "https://example.com/news/2024/", False),
        ("https://example.com/politik/ein-langer-titel", "https://example.com/politik", False),
        ("https://example.com/a-long-story-slug/comments", "https://example.com/a-long-story-slug",
         True),
        ("https://example.com/news/story-123/photos", "https://example.com/news/story-123", True),
        ("https://example.com/news/story-123", "https://example.com/news/story-124", True),
        ("https://example.com/news/story-123", "https://example.com/news/?id=123", True),
    ],
)  # fmt: skip
def test_canonical_pointing_at_a_section_above_the_page_is_ignored(
    page: str, hint: str, accepted: bool
) -> None:
    decision = resolve_identity(page, page_canonical=hint)
    assert (decision.source is CanonicalSource.REL_CANONICAL) is accepted
    assert (identity_key(hint) in decision.alias_keys) is accepted


def _shared_prefix_pair(total: int, shared: int, seed: int) -> tuple[str, str]:
    """Two texts of ``total`` words whose first ``shared`` words are the same."""
    rng = random.Random(seed)
    prefix = [rng.choice(_VOCABULARY) for _ in range(shared)]
    first = prefix + [rng.choice(_VOCABULARY) for _ in range(total - shared)]
    second = prefix + [rng.choice(_VOCABULARY) for _ in range(total - shared)]
    return " ".join(first), " ".join(second)


def _features_with(
    similar: float, shingles: int, site: str
) -> tuple[dedupe.StoryFeatures, dedupe.StoryFeatures]:
    """Two features whose signatures agree on exactly ``similar`` of their slots."""
    slots = dedupe.DEFAULT_CONFIG.num_perm
    first = np.arange(1, slots + 1, dtype="<u4")
    second = first.copy()
    second[round(similar * slots) :] += 1000

    def make(values: np.ndarray, digest: str) -> dedupe.StoryFeatures:
        return dedupe.StoryFeatures(
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
    config = dedupe.DEFAULT_CONFIG
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


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.lto.de/recht/a?r=rss", "https://www.lto.de/recht/a"),
        ("https://www.dw.com/de/x/a-65464327?maca=de-rss-de-all-1119-xml-mrss",
         "https://www.dw.com/de/x/a-65464327"),
        ("https://www.cbc.ca/news/world/x-1.7287711?cmp=rss", "https://www.cbc.ca/news/world/x-1.7287711"),
        ("https://example.com/a?from=newsletter&page=2", "https://example.com/a?page=2"),
        ("https://example.com/a?source=reuters", "https://example.com/a?source=reuters"),
        ("https://example.com/a?r=123", "https://example.com/a?r=123"),
    ],
)  # fmt: skip
def test_feed_channel_markers_are_tracking_but_look_alike_content_is_not(
    url: str, expected: str
) -> None:
    assert canonical_url(url) == expected


def test_news_about_subscribers_is_not_a_paywall() -> None:
    assert not is_boilerplate("Netflix raises prices for subscribers in Canada, the company said.")
    assert is_boilerplate("This content is only for subscribers. Log in to read the full story.")


def test_titles_are_compared_without_the_parts_they_share() -> None:
    assert dedupe.title_key("Storm hits the coast | Daily Planet") == (
        "storm hits the coast | daily planet"
    )
    assert dedupe.title_key("Live: Storm – Daily Planet") == "live storm | daily planet"
    assert dedupe.title_key("Solar-powered lights - Daily News") == (
        "solar powered lights | daily news"
    )
    assert dedupe.title_key(None) == dedupe.title_key("  ") == ""
    template = article(17, paragraphs=3)
    suffix = " | The Big City Daily News Portal Online"
    a = story_features(text=template, title="Storm" + suffix, url="https://site.com/a")
    b = story_features(text=template, title="Budget" + suffix, url="https://site.com/b")
    assert not is_same_story(a, b)


def test_a_huge_text_is_hashed_in_bounded_slices() -> None:
    # 30,000 tokens: more than seven signature slices; the result must not depend on slicing.
    text = " ".join(f"w{i}" for i in range(30_000))
    signature = minhash(text)
    words = text.split()
    hashes = dedupe._shingle_hashes(words, 5, dedupe.DEFAULT_CONFIG.seed)
    a, b = dedupe._permutations(dedupe.DEFAULT_CONFIG.num_perm, dedupe.DEFAULT_CONFIG.seed)
    at_once = ((hashes.reshape(-1, 1) * a + b) >> np.uint64(32)).min(axis=0)
    assert signature == at_once.astype("<u4").tobytes()
