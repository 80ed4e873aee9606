"""The language guess: script first, then the stopword list with the most hits."""

from __future__ import annotations

import pytest

from flows.extract.textscrape.language import detect_language
from flows.extract.textscrape.lines import line_features


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "The council said on Tuesday that it would review the plans after residents raised "
            "concerns about the traffic and the noise in the area.",
            "en",
        ),
        (
            "Der Stadtrat hat am Dienstagabend mit großer Mehrheit ein neues Radwegenetz für die "
            "Innenstadt beschlossen, das bis zum Jahr 2028 umgesetzt werden soll und nicht nur.",
            "de",
        ),
        ("Городской совет во вторник утвердил новый бюджет после долгого обсуждения.", "ru"),
        ("Міська рада у вівторок ухвалила новий бюджет після довгого обговорення.", "uk"),
        ("気象庁は13日、午後9時19分ごろ、日向灘で震度5弱の地震があったと発表した。", "ja"),
    ],
)
def test_language_from_script_or_stopwords(text: str, language: str) -> None:
    assert detect_language(line_features([text, text.upper()])) == language


def test_too_little_text_gives_no_guess() -> None:
    assert detect_language(line_features(["Hello world", "Breaking news"])) is None
    assert detect_language([]) is None
