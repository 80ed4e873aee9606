"""clean_text_scrape end to end: the seed, several languages, odd input, size and speed."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from flows.errors import ScrapeTooLargeError
from flows.extract.textscrape import TextScrape, clean_text_scrape
from tests.flows.extract.textscrape.scrapes import (
    SEED,
    accounted_for,
    paragraphs_of,
    reasons_of,
)


def test_seed_headline_lead_and_no_invented_date() -> None:
    source = SEED.read_text(encoding="utf-8")
    result = clean_text_scrape(source)

    assert result.title == "Pakistan, US Discussing Counterterror Use of Airspace"
    assert result.text.startswith("Pakistan stopped short Saturday")
    assert "Accessibility links" not in result.text
    assert "Breaking News" not in result.text
    assert "A Pakistani F-16 fighter jet" not in result.text
    assert result.published_at is None  # March 23, 2017 is the photo's date
    assert result.authors == ()
    assert result.language == "en"


GERMAN = """\
Zum Inhalt springen
Startseite
Politik
Wirtschaft
Suche
Anmelden
Abo
Stadtrat beschließt neues Radwegenetz für die Innenstadt
Von Anna Müller
Veröffentlicht am 12.03.2024, 14:30 Uhr
Teilen
Drucken
Der Stadtrat hat am Dienstagabend mit großer Mehrheit ein neues Radwegenetz für die \
Innenstadt beschlossen, das bis zum Jahr 2028 umgesetzt werden soll.
Foto: dpa
Die Kosten für das Projekt werden auf rund 40 Millionen Euro geschätzt. Ein großer Teil \
davon soll nach Angaben der Verwaltung aus Fördermitteln des Landes kommen.
Kritik kam von der Opposition, die vor allem die wegfallenden Parkplätze in der Altstadt \
bemängelte und eine Bürgerbefragung gefordert hatte.
Mehr zum Thema
Neue Buslinie soll Pendler entlasten
Parkgebühren steigen ab Juli
© 2024 Stadtanzeiger GmbH. Alle Rechte vorbehalten.
Impressum
Datenschutz
"""


def test_german_scrape_with_localized_chrome() -> None:
    result = clean_text_scrape(GERMAN)

    assert result.title == "Stadtrat beschließt neues Radwegenetz für die Innenstadt"
    assert result.authors == ("Anna Müller",)
    assert result.published_at is not None
    assert (result.published_at.date(), result.published_at.hour) == (
        datetime(2024, 3, 12).date(),
        14,
    )
    assert result.text.startswith("Der Stadtrat hat am Dienstagabend")
    assert result.language == "de"
    for chrome in ("Teilen", "Foto: dpa", "Mehr zum Thema", "Alle Rechte vorbehalten", "Impressum"):
        assert chrome not in result.text
    assert "Parkgebühren steigen ab Juli" not in result.text
    assert paragraphs_of(result)[-1].startswith("Kritik kam von der Opposition")
    accounted_for(GERMAN, result)


FRENCH = """\
Aller au contenu principal
Se connecter
S'abonner
International
Le gouvernement présente un plan pour les transports régionaux
Par Claire Dubois
Publié le 22 novembre 2024 à 07h22
Partager
Le gouvernement a présenté jeudi un plan de plusieurs milliards d'euros destiné à moderniser \
les lignes ferroviaires régionales d'ici à la fin de la décennie.
Lire aussi : La SNCF annonce de nouveaux horaires
Selon le ministre des transports, les premiers chantiers débuteront dès le printemps dans \
les régions où le réseau est le plus ancien.
Les syndicats ont salué une annonce attendue depuis longtemps, tout en réclamant des \
garanties sur le financement à long terme.
Sur le même sujet
Grève : le trafic perturbé ce week-end
Tous droits réservés
"""


def test_french_scrape_with_localized_chrome() -> None:
    result = clean_text_scrape(FRENCH)

    assert result.title == "Le gouvernement présente un plan pour les transports régionaux"
    assert result.authors == ("Claire Dubois",)
    assert result.published_at == datetime(2024, 11, 22, 7, 22)
    assert result.text.startswith("Le gouvernement a présenté jeudi")
    assert result.language == "fr"
    for chrome in ("Partager", "Lire aussi", "Sur le même sujet", "Grève", "Tous droits"):
        assert chrome not in result.text
    assert len(paragraphs_of(result)) == 3


def test_japanese_scrape() -> None:
    source = """\
ニュース
速報
宮崎県で震度5弱、高知と宮崎に津波注意報
2025年1月13日 21時37分
シェアする
気象庁は13日、午後9時19分ごろ、日向灘で震度5弱の地震があったと発表した。震源の深さは約30キロと推定される。
この地震で、気象庁は高知県と宮崎県に1メートルの津波注意報を出した。沿岸部の住民に警戒を呼びかけている。
"""
    result = clean_text_scrape(source)

    assert result.title == "宮崎県で震度5弱、高知と宮崎に津波注意報"
    assert result.published_at == datetime(2025, 1, 13, 21, 37)
    assert result.text.startswith("気象庁は13日")
    assert result.language == "ja"


WIRE = """\
World News Business Markets Sustainability Legal Breakingviews Technology Investigations Sports \
Science Lifestyle Sign In Register My View Following Saved Reuters Plus Events Podcasts
Article content
Why the port strike matters for global trade?
By Ana Lopes
Dockworkers march outside the container terminal in Santos, Brazil, in this picture taken on \
Monday. REUTERS/Carla Carniel
Article content
SANTOS, Brazil (Reuters) - Dockworkers at Latin America's largest port extended their strike \
on Tuesday, leaving dozens of ships waiting at anchor and exporters counting the cost.
Article content
Subscribe now to read the latest news in your city and across the country.
The union said talks with terminal operators had broken down over wages and overtime rules \
that were changed earlier this year.
A man walks past stacked containers at the port on Tuesday. (AP Photo/Pedro Alves)
Exporters of coffee and soybeans warned that a prolonged stoppage would push up freight costs \
and delay shipments to Asia and Europe.
"""


def test_wire_story_captions_notices_and_repeated_furniture() -> None:
    result = clean_text_scrape(WIRE)

    assert result.title == "Why the port strike matters for global trade?"
    assert result.authors == ("Ana Lopes",)
    assert result.text.startswith("SANTOS, Brazil (Reuters) - Dockworkers")
    reasons = reasons_of(result)
    assert reasons["Article content"] == "chrome"  # repeated furniture
    assert (
        reasons[
            "A man walks past stacked containers at the port on Tuesday. (AP Photo/Pedro Alves)"
        ]
        == "caption"
    )
    for unwanted in ("in this picture", "Subscribe now", "Article content", "World News Business"):
        assert unwanted not in result.text
    assert len(paragraphs_of(result)) == 3
    accounted_for(WIRE, result)


@pytest.mark.parametrize("source", ["", "   ", "\n\n\t\n", "\u00a0\n \n"])
def test_empty_or_whitespace_input(source: str) -> None:
    result = clean_text_scrape(source)

    assert result == TextScrape(None, "", None, (), None, None, ())


def test_single_paragraph() -> None:
    paragraph = (
        "Police closed the main road into the village for several hours on Friday after a "
        "lorry shed its load of timber across both lanes."
    )
    result = clean_text_scrape(paragraph + "\n")

    assert result.text == paragraph
    assert result.title is None
    assert result.dropped == ()


def test_too_large_input_is_refused() -> None:
    with pytest.raises(ScrapeTooLargeError):
        clean_text_scrape("x" * 101, max_chars=100)


def _large_scrape(size: int) -> str:
    """About ``size`` characters of distinct lines: menus, teasers, datelines and prose."""
    parts: list[str] = []
    total = i = 0
    while total < size:
        block = [
            f"Section {i}",
            f"Teaser headline number {i} about the regional council",
            f"Published {1 + i % 28} May 2021 10:{i % 60:02d}",
            f"Paragraph {i}: the council said on Tuesday that it would review the plans "
            f"for the {i}th time, after residents raised concerns about traffic and noise "
            "in the neighbourhood around the new school building.",
        ]
        parts.extend(block)
        total += sum(len(line) + 1 for line in block)
        i += 1
    return "\n".join(parts)


def _cpu_seconds(text: str) -> tuple[float, TextScrape]:
    started = time.process_time()
    result = clean_text_scrape(text)
    return time.process_time() - started, result


# Ten times the text may cost ten times the CPU, not a hundred (a quadratic step): a ratio,
# so the check holds on a slow or busy machine (bench/ measures the speed itself).
LINEAR = 30.0


def test_cleaning_a_megabyte_costs_ten_times_a_tenth_of_it() -> None:
    source = _large_scrape(1_000_000)
    assert len(source) >= 1_000_000
    tenth, _ = _cpu_seconds(_large_scrape(100_000))
    whole, result = _cpu_seconds(source)

    assert whole < LINEAR * max(tenth, 0.005), f"{whole:.2f} s for 1 MB, {tenth:.3f} s for 0.1 MB"
    assert "the council said on Tuesday" in result.text


def test_one_megabyte_of_repeated_menu_lines_is_linear() -> None:
    tenth, _ = _cpu_seconds("Menu\n" * 20_000)
    whole, result = _cpu_seconds("Menu\n" * 200_000)

    assert whole < LINEAR * max(tenth, 0.005), f"{whole:.2f} s, {tenth:.3f} s for a tenth"
    assert result.text == ""
    assert result.title is None
