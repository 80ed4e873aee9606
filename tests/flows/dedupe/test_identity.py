"""Tests of flows.dedupe.identity: canonical URLs, identity keys, sites, canonical hints."""

from __future__ import annotations

import pytest

from flows.dedupe.identity import (
    AliasKind,
    CanonicalSource,
    canonical_url,
    identity_key,
    registered_domain,
    resolve_identity,
    same_site,
    site_of,
)
from flows.errors import DedupeError, InvalidURLError


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


def test_site_of_names_the_registrable_domain_or_nothing() -> None:
    assert site_of("https://m.news.bbc.co.uk/a?utm_source=x") == "bbc.co.uk"
    assert site_of("https://www-example-com.cdn.ampproject.org/c/s/www.example.com/a") == (
        "example.com"
    )
    assert site_of(None) == site_of("") == site_of("file:///tmp/page.html") == ""


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
