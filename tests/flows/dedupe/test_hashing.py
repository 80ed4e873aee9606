"""Tests of flows.dedupe.hashing: text normalisation, exact hashes, boilerplate checks."""

from __future__ import annotations

from flows.dedupe.similarity import content_hash, normalize_text, version_hash

# --------------------------------------------------------------------------- on-disk format

# These values pin the on-disk format: content hashes (store.story_features) and
# version hashes (store.article_versions) are compared with the stored ones, so a
# change to them makes every known text look new. Computed by the code before any
# restructuring; do not update them to make a change pass.
_PINNED_TEXT = "“Don’t panic” — the MINISTER said…\u00a0It’s\tfine! Straße, １３日."


def test_hashes_match_the_stored_format() -> None:
    assert normalize_text(_PINNED_TEXT) == "don t panic the minister said it s fine strasse 13日"
    assert content_hash(_PINNED_TEXT) == "045c0ef1a4287ec72cb7c268be8497df"
    assert version_hash("Minister: don’t panic", _PINNED_TEXT) == (
        "e3c965accc03a015af020847098ab2fa"
    )
    assert version_hash(None, _PINNED_TEXT) == "85cdd8990d777225b46a550a59c2fc2e"
