"""Tests of flows.dedupe.fingerprint: one cleaned article's identity, version hash and features."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.dedupe.config import DEFAULT_CONFIG
from flows.dedupe.fingerprint import fingerprint
from flows.dedupe.hashing import content_hash, version_hash
from flows.dedupe.identity import identity_key
from flows.dedupe.minhash import band_keys, minhash
from flows.extract.records import Article
from tests.flows.dedupe.texts import article

LONG_TEXT = article(21)
SHORT_TEXT = "Police closed the bridge on Tuesday morning after a crash, officials said."


def cleaned(
    *,
    location: str,
    url: str | None = None,
    canonical_link: str | None = None,
    og_url: str | None = None,
    redirects: tuple[str, ...] = (),
    title: str | None = "Budget approved",
    text: str = LONG_TEXT,
) -> Article:
    """An Article as the clean step hands it on: only what fingerprint reads varies."""
    return Article(
        source="test",
        location=location,
        url=url,
        canonical_link=canonical_link,
        og_url=og_url,
        redirects=redirects,
        title=title,
        title_source="page",
        text=text,
        description=None,
        authors=(),
        authors_source=None,
        published=None,
        modified_at=None,
        language="en",
        sitename=None,
        word_count=len(text.split()),
        raw_hash="0" * 32,
        retrieved_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        extractor="trafilatura",
        hints=None,
        validators=None,
        capture=None,
    )


# --------------------------------------------------------------------------- identity


def test_a_fetched_page_keeps_every_url_variant_and_prefers_its_canonical() -> None:
    requested = "https://t.co/abc"
    hop = "https://feeds.example.org/r/123"
    fetched = "https://www.example.com/news/story-1"
    canonical = "https://www.example.com/news/story-1-full-title"
    features = fingerprint(
        cleaned(
            location=requested,
            url=fetched,
            redirects=(requested, hop),
            canonical_link=canonical,
            og_url="http://example.com/news/story-1?utm_source=rss",
        )
    )
    identity = features.identity
    # rel=canonical wins over og:url; the host is shown without "www.".
    assert identity.canonical_url == canonical
    assert identity.host == "example.com"
    # One row per identity key (og:url names the fetched page), sorted by URL.
    assert identity.aliases == (
        (hop, identity_key(hop), "redirect"),
        (requested, identity_key(requested), "requested"),
        (fetched, identity_key(fetched), "fetched"),
        (canonical, identity_key(canonical), "canonical"),
    )
    assert identity.keys == tuple(sorted(key for _, key, _ in identity.aliases))
    assert features.story.site == "example.com"


def test_a_canonical_on_another_site_is_not_followed() -> None:
    fetched = "https://www.syndicator.com/world/story-1"
    identity = fingerprint(
        cleaned(
            location=fetched,
            url=fetched,
            canonical_link="https://www.original-news.com/politics/story-1",
        )
    ).identity
    assert identity.canonical_url == fetched
    assert identity.host == "syndicator.com"
    assert identity.aliases == ((fetched, identity_key(fetched), "requested"),)


def test_a_local_file_without_a_web_url_lives_at_its_file_uri() -> None:
    location = "file:///data/saved/page.html"
    features = fingerprint(cleaned(location=location, canonical_link="/news/story-2"))
    assert features.identity.canonical_url == location
    assert features.identity.host is None
    assert features.identity.aliases == ((location, location, "file"),)
    assert features.identity.keys == (location,)
    # Without a web address there is no site, but the text is still compared.
    assert features.story.site == ""
    assert features.dedupable


def test_a_saved_page_lives_at_the_address_its_canonical_link_gives() -> None:
    location = "file:///data/saved/story-2.html"
    canonical = "https://www.example.com/news/story-2?utm_medium=social"
    identity = fingerprint(
        cleaned(location=location, canonical_link=canonical, og_url="https://example.com/x")
    ).identity
    assert identity.canonical_url == "https://www.example.com/news/story-2"
    assert identity.host == "example.com"
    assert identity.aliases == (
        (location, location, "file"),
        (canonical, identity_key(canonical), "fetched"),
    )


def test_a_saved_page_falls_back_to_its_og_url() -> None:
    location = "file:///data/saved/story-3.html"
    identity = fingerprint(
        cleaned(
            location=location,
            canonical_link="/relative/only",
            og_url="https://example.com/news/story-3",
        )
    ).identity
    assert identity.canonical_url == "https://example.com/news/story-3"
    assert [kind for _, _, kind in identity.aliases] == ["file", "fetched"]


# --------------------------------------------------------------------------- versions and stories


def test_the_version_hash_changes_with_title_or_text_only() -> None:
    url = "https://example.com/news/story-4"
    base = fingerprint(cleaned(location=url, url=url))
    assert base.version_hash == version_hash("Budget approved", LONG_TEXT)
    retitled = fingerprint(cleaned(location=url, url=url, title="Budget approved (updated)"))
    edited = fingerprint(cleaned(location=url, url=url, text=LONG_TEXT + " Corrected."))
    respaced = fingerprint(cleaned(location=url, url=url, text="  " + LONG_TEXT + "\n"))
    assert retitled.version_hash != base.version_hash
    assert edited.version_hash != base.version_hash
    assert respaced.version_hash == base.version_hash
    # A new version is still the same article.
    assert retitled.identity == edited.identity == base.identity


def test_a_long_text_is_dedupable_and_indexed_by_every_band() -> None:
    url = "https://example.com/news/story-5"
    features = fingerprint(cleaned(location=url, url=url))
    assert features.dedupable
    assert features.content_hash == content_hash(LONG_TEXT)
    assert features.story.signature == minhash(LONG_TEXT)
    assert features.bands == tuple(band_keys(minhash(LONG_TEXT)))
    assert len(features.bands) == DEFAULT_CONFIG.bands


def test_a_short_text_is_hashed_but_never_indexed() -> None:
    url = "https://example.com/news/story-6"
    features = fingerprint(cleaned(location=url, url=url, text=SHORT_TEXT))
    assert not features.dedupable
    assert features.bands == ()
    assert features.content_hash == content_hash(SHORT_TEXT)
    assert features.story.tokens < DEFAULT_CONFIG.min_tokens
