"""The header layout: lead, standfirst, and which byline and dateline are believed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from flows.extract.textscrape import clean_text_scrape
from tests.flows.extract.textscrape.scrapes import (
    ENGLISH_BYLINE,
    accounted_for,
    paragraphs_of,
    reasons_of,
)


def test_byline_and_labelled_date() -> None:
    result = clean_text_scrape(ENGLISH_BYLINE)

    assert result.title == "Storm batters coastal towns as thousands lose power"
    assert result.authors == ("Jane Smith", "Omar Farouk")
    assert result.published_at == datetime(2021, 5, 3, 10, 4, tzinfo=timezone(timedelta(hours=1)))
    assert result.text.startswith("Residents of three coastal towns")
    assert "Advertisement" not in result.text
    assert "Share" not in paragraphs_of(result)
    assert len(paragraphs_of(result)) == 4
    reasons = reasons_of(result)
    assert reasons["By Jane Smith and Omar Farouk"] == "byline"
    assert reasons["Published 3 May 2021 10:04 BST"] == "dateline"
    assert reasons["Skip to main content"] == "chrome"
    accounted_for(ENGLISH_BYLINE, result)


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
    assert paragraphs_of(result)[-1].startswith("Builders welcomed the vote")
