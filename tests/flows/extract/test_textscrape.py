"""Tests for flows.extract.textscrape: cleaning plain-text scrapes of news pages.

Fixtures are written inline (plus the bundled seed document); they mimic what
a browser's copy-all gives for real pages: one block per line or paragraph,
site chrome around the article.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from flows.errors import ScrapeTooLargeError
from flows.extract.textscrape import TextScrape, clean_text_scrape

SEED = Path(__file__).resolve().parents[3] / "seeds" / "000_a816b2ae7982ef0e.txt"


def _paragraphs(result: TextScrape) -> list[str]:
    return [p for p in result.text.split("\n\n") if p]


def _reasons(result: TextScrape) -> dict[str, str]:
    return dict(result.dropped)


def _accounted_for(source: str, result: TextScrape) -> None:
    """Every non-empty input line ends up either in the text or in ``dropped``."""
    kept = set(_paragraphs(result))
    dropped = {line for line, _ in result.dropped}
    for line in (ln.strip() for ln in source.splitlines()):
        if line:
            assert line in kept or line in dropped, line


# --------------------------------------------------------------------------- the seed


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


def test_seed_drops_are_explained() -> None:
    source = SEED.read_text(encoding="utf-8")
    result = clean_text_scrape(source)

    reasons = _reasons(result)
    assert reasons["Accessibility links"] == "chrome"
    assert reasons["Breaking News"] == "chrome"
    caption = next(line for line in reasons if line.startswith("FILE - A Pakistani F-16"))
    assert reasons[caption] == "caption"
    assert _paragraphs(result)[-1].startswith("The blast killed nearly 200 people")
    _accounted_for(source, result)


# --------------------------------------------------------------------------- English header


ENGLISH_BYLINE = """\
Skip to main content
Menu
Search
Sign in
World
Europe
Storm batters coastal towns as thousands lose power
By Jane Smith and Omar Farouk
Published 3 May 2021 10:04 BST
Share
Save
Residents of three coastal towns spent the night without electricity after a storm brought \
down power lines across the region on Sunday evening.

Engineers worked through the night to restore supplies, the network operator said, adding \
that most homes should be reconnected by Monday afternoon.

"We have never seen winds like this in May," said one resident, who has lived in the area \
for more than forty years.

Advertisement

The weather service has issued a further warning for heavy rain on Tuesday, with flooding \
possible in low-lying areas near the river mouth.
"""


def test_byline_and_labelled_date() -> None:
    result = clean_text_scrape(ENGLISH_BYLINE)

    assert result.title == "Storm batters coastal towns as thousands lose power"
    assert result.authors == ("Jane Smith", "Omar Farouk")
    assert result.published_at == datetime(2021, 5, 3, 10, 4, tzinfo=timezone(timedelta(hours=1)))
    assert result.text.startswith("Residents of three coastal towns")
    assert "Advertisement" not in result.text
    assert "Share" not in _paragraphs(result)
    assert len(_paragraphs(result)) == 4
    reasons = _reasons(result)
    assert reasons["By Jane Smith and Omar Farouk"] == "byline"
    assert reasons["Published 3 May 2021 10:04 BST"] == "dateline"
    assert reasons["Skip to main content"] == "chrome"
    _accounted_for(ENGLISH_BYLINE, result)


def test_url_slug_supports_the_headline() -> None:
    result = clean_text_scrape(
        ENGLISH_BYLINE, url="https://news.example/world/storm-batters-coastal-towns-power"
    )
    assert result.title == "Storm batters coastal towns as thousands lose power"


# --------------------------------------------------------------------------- localized chrome

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
    assert _paragraphs(result)[-1].startswith("Kritik kam von der Opposition")
    _accounted_for(GERMAN, result)


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
    assert len(_paragraphs(result)) == 3


SPANISH = """\
Saltar al contenido
Iniciar sesión
Suscríbete
Economía
El paro baja en enero por primera vez en una década
Por María García
Publicado: 14/01/2025 09:15
Actualizado: 15/01/2025 08:30
Compartir en Facebook
El número de personas desempleadas bajó en enero por primera vez en diez años, según los \
datos publicados este martes por el Ministerio de Trabajo.
La mejora se concentró en el sector servicios y en las comunidades del sur, donde el \
turismo de invierno sigue creciendo con fuerza.
Los sindicatos advierten, sin embargo, de que buena parte de los nuevos contratos son \
temporales y de jornada parcial.
Noticias relacionadas
La inflación se modera en diciembre
Todos los derechos reservados
"""


def test_spanish_scrape_prefers_published_over_updated() -> None:
    result = clean_text_scrape(SPANISH)

    assert result.title == "El paro baja en enero por primera vez en una década"
    assert result.authors == ("María García",)
    assert result.published_at == datetime(2025, 1, 14, 9, 15)
    assert result.text.startswith("El número de personas desempleadas")
    assert result.language == "es"
    for chrome in ("Compartir", "Noticias relacionadas", "La inflación", "derechos reservados"):
        assert chrome not in result.text


# --------------------------------------------------------------------------- trailing chrome

TRAILING = """\
Home
News
Council approves budget after marathon session
Published: 2023-06-01T18:45:00Z
The city council approved next year's budget late on Wednesday after a session that lasted \
more than eleven hours and ended with a narrow vote.
The budget includes new money for road repairs and libraries, but cuts funding for two \
community centres that will now have to find other sponsors.
The mayor said the compromise was the best the city could afford in a difficult year.
Related
Mayor announces re-election bid
Library opening hours extended
More from News
Comments
© 2023 Example Media. All rights reserved.
Privacy Policy
Terms of Use
"""


def test_trailing_related_links_and_copyright_are_cut() -> None:
    result = clean_text_scrape(TRAILING)

    assert result.title == "Council approves budget after marathon session"
    assert result.published_at == datetime(2023, 6, 1, 18, 45, tzinfo=UTC)
    paragraphs = _paragraphs(result)
    assert (
        paragraphs[-1]
        == "The mayor said the compromise was the best the city could afford in a difficult year."
    )
    assert len(paragraphs) == 3
    reasons = _reasons(result)
    assert reasons["Mayor announces re-election bid"] == "trailing"
    assert "© 2023 Example Media. All rights reserved." in reasons
    _accounted_for(TRAILING, result)


# --------------------------------------------------------------------------- no headline, edge inputs

NO_HEADLINE = """\
The committee met on Monday to review the proposals submitted by residents during the \
consultation, which closed at the end of last month.

Members agreed that the most popular suggestions, including longer opening hours for the \
swimming pool, would be costed before the next meeting.

A final decision is expected in the autumn, once the council has set its budget for the \
coming year.
"""


def test_no_clear_headline_gives_none_and_keeps_the_prose() -> None:
    result = clean_text_scrape(NO_HEADLINE)

    assert result.title is None
    assert result.published_at is None
    assert len(_paragraphs(result)) == 3
    assert result.text.startswith("The committee met on Monday")


def test_menu_only_lines_are_not_a_headline() -> None:
    source = "Home\nNews\nSport\nWeather\n\n" + NO_HEADLINE
    result = clean_text_scrape(source)

    assert result.title is None
    assert result.text.startswith("The committee met on Monday")


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


def test_date_mentioned_only_in_the_body_is_not_the_publication_date() -> None:
    source = (
        "Court rules on harbour dispute\n"
        "The court ruled on 12 March 2023 that the harbour authority had acted lawfully when "
        "it raised mooring fees for the second time in a year.\n"
        "Boat owners said they would consider an appeal against the decision next month.\n"
    )
    result = clean_text_scrape(source)

    assert result.title == "Court rules on harbour dispute"
    assert result.published_at is None


@pytest.mark.parametrize(
    ("dateline", "expected"),
    [
        ("Published 03/04/2024", None),  # day and month cannot be told apart in English
        ("Published 30/04/2024", datetime(2024, 4, 30)),
        ("Updated: 2024-04-30 08:15", datetime(2024, 4, 30, 8, 15)),
        ("Published 2 hours ago", None),
    ],
)
def test_labelled_date_formats(dateline: str, expected: datetime | None) -> None:
    source = ENGLISH_BYLINE.replace("Published 3 May 2021 10:04 BST", dateline)
    assert clean_text_scrape(source).published_at == expected


def test_hard_wrapped_paragraphs_are_rejoined() -> None:
    paragraph = (
        "The regional airport will close its second runway for six weeks this summer while "
        "engineers replace the lighting system and resurface the most worn sections of the "
        "tarmac, the operator said on Thursday."
    )
    wrapped = "\n".join(_wrap(paragraph, 60))
    source = "\n\n".join([wrapped, wrapped.replace("regional", "municipal"), wrapped]) + "\n"
    result = clean_text_scrape(source)

    assert _paragraphs(result)[0] == paragraph
    assert len(_paragraphs(result)) == 3


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current]


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


def test_too_large_input_is_refused() -> None:
    with pytest.raises(ScrapeTooLargeError):
        clean_text_scrape("x" * 101, max_chars=100)


# --------------------------------------------------------------------------- performance


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


def test_one_megabyte_is_cleaned_well_under_a_second() -> None:
    source = _large_scrape(1_000_000)
    assert len(source) >= 1_000_000
    started = time.process_time()
    result = clean_text_scrape(source)
    elapsed = time.process_time() - started

    assert elapsed < 1.0, f"{elapsed:.2f} s of CPU for 1 MB"
    assert "the council said on Tuesday" in result.text


def test_one_megabyte_of_repeated_menu_lines_is_linear() -> None:
    started = time.process_time()
    result = clean_text_scrape("Menu\n" * 200_000)
    elapsed = time.process_time() - started

    assert elapsed < 1.0, f"{elapsed:.2f} s of CPU"
    assert result.text == ""
    assert result.title is None


STANDFIRST = """\
Technology
Chipmaker posts record profit as demand for AI hardware soars
Quarterly earnings beat forecasts for the sixth time in a row, sending shares higher in late trading
By Lee Chen
Updated 14:02 GMT, 5 June 2024
The company reported revenue of 30 billion dollars for the three months to April, up by more \
than half from a year earlier, driven by orders from cloud providers.
Its chief executive said supply constraints would ease in the second half of the year as new \
factories in Arizona and Taiwan begin production.
"""


def test_standfirst_between_headline_and_byline_is_the_description() -> None:
    result = clean_text_scrape(STANDFIRST)

    assert result.title == "Chipmaker posts record profit as demand for AI hardware soars"
    assert result.description == (
        "Quarterly earnings beat forecasts for the sixth time in a row, sending shares higher "
        "in late trading"
    )
    assert result.authors == ("Lee Chen",)
    # only an "Updated" label: it is used, in UTC as the dateline says
    assert result.published_at == datetime(2024, 6, 5, 14, 2, tzinfo=UTC)
    assert result.text.startswith("The company reported revenue")
    assert "Quarterly earnings" not in result.text


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
    reasons = _reasons(result)
    assert reasons["Article content"] == "chrome"  # repeated furniture
    assert (
        reasons[
            "A man walks past stacked containers at the port on Tuesday. (AP Photo/Pedro Alves)"
        ]
        == "caption"
    )
    for unwanted in ("in this picture", "Subscribe now", "Article content", "World News Business"):
        assert unwanted not in result.text
    assert len(_paragraphs(result)) == 3
    _accounted_for(WIRE, result)


AUTHOR_BOX = """\
Politics
Parliament passes new housing law after long debate
Ministers say the reform will speed up planning decisions for a million new homes.
4 min read
The housing bill cleared its final vote on Wednesday evening after months of amendments in \
both chambers of parliament.
Sarah Jones
Sarah Jones is the political correspondent of the paper and covers parliament and elections.
Follow
Opposition parties said they would review the law once in power, arguing that it weakens \
local control over development.
Builders welcomed the vote and said work on the first sites could start next spring.
"""


def test_author_box_inside_the_article_does_not_move_the_lead() -> None:
    result = clean_text_scrape(AUTHOR_BOX)

    assert result.title == "Parliament passes new housing law after long debate"
    assert result.description == (
        "Ministers say the reform will speed up planning decisions for a million new homes."
    )
    assert result.text.startswith("The housing bill cleared its final vote")
    assert "4 min read" not in result.text
    assert _paragraphs(result)[-1].startswith("Builders welcomed the vote")
