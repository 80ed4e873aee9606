"""The lexicons: keys that chrome strings are compared by, accent folding, localized entries."""

from __future__ import annotations

from flows.extract.textscrape.lexicon import CHROME_KEYS, TRAILING_KEYS, fold, lexicon_key


def test_lexicon_keys_keep_letters_only_in_one_case() -> None:
    assert lexicon_key("  Share on Facebook! ") == "share on facebook"
    assert lexicon_key("E-Mail") == "email"
    assert lexicon_key("© 2024 · 12 Comments") == "comments"


def test_fold_strips_accents_and_case() -> None:
    assert fold("März") == "marz"
    assert fold("ÉTÉ") == "ete"


def test_chrome_and_trailing_phrases_in_several_languages() -> None:
    for phrase in ("Skip to main content", "Zum Inhalt springen", "Se connecter", "Compartir"):
        assert lexicon_key(phrase) in CHROME_KEYS, phrase
    for marker in ("Related stories", "Mehr zum Thema", "Sur le même sujet", "Leggi anche"):
        assert lexicon_key(marker) in TRAILING_KEYS, marker
    assert lexicon_key("Storm batters coastal towns") not in CHROME_KEYS
