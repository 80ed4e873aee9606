"""Web sources end to end: a local site with a feed, a sitemap and a URL list."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import query, run
from tests.localserver import LocalServer, Response, conditional
from tests.textgen import paragraphs

TOPICS = ["harbour", "railway", "library", "stadium", "hospital", "airport"]


def article_html(topic: str, extra: str = "") -> bytes:
    body = "".join(f"<p>{text} {extra}</p>" for text in paragraphs(topic, count=8))
    return (
        f"<html><head><title>News about the {topic}</title>"
        f'<link rel="canonical" href="/news/{topic}"></head>'
        f"<body><nav>Home | Local | Sport</nav><article><h1>New {topic} plans approved</h1>{body}"
        "</article><footer>Contact us</footer></body></html>"
    ).encode()


def rss(server: LocalServer, topics: list[str]) -> bytes:
    items = "".join(
        f"<item><title>New {t} plans approved</title><link>{server.url('/news/' + t)}?utm_source=rss</link>"
        f"<guid>{t}</guid><pubDate>Tue, 05 Mar 2024 09:30:00 +0000</pubDate></item>"
        for t in topics
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>{items}</channel></rss>'.encode()


def sitemap(server: LocalServer, topics: list[str]) -> bytes:
    urls = "".join(f"<url><loc>{server.url('/news/' + t)}</loc></url>" for t in topics)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


@pytest.fixture
def site(local_server: LocalServer) -> LocalServer:
    for topic in TOPICS:
        local_server.route(f"/news/{topic}", conditional(article_html(topic), f'"{topic}-1"'))
    local_server.route(
        "/robots.txt",
        Response(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
    )
    local_server.route(
        "/rss.xml", conditional(rss(local_server, TOPICS[:4]), '"feed-1"', "application/rss+xml")
    )
    # The sitemap server ignores conditional GETs, so reruns see its URLs again.
    local_server.route(
        "/sitemap.xml", Response(body=sitemap(local_server, TOPICS), content_type="application/xml")
    )
    local_server.route("/news/broken", Response(status=500, body=b"oops"))
    local_server.route("/private/secret", Response(body=article_html("secret")))
    return local_server


def sources(tmp_path: Path, server: LocalServer) -> Path:
    urls = tmp_path / "urls.txt"
    urls.write_text(
        f"{server.url('/news/broken')}\n{server.url('/private/secret')}\nnot a url\n",
        encoding="utf-8",
    )
    path = tmp_path / "sources.toml"
    path.write_text(
        f"""
[fetch]
allow_private_addresses = true
host_delay = 0
retries = 0
[[sources]]
name = "feed"
kind = "feed"
url = "{server.url("/rss.xml")}"
[[sources]]
name = "map"
kind = "sitemap"
url = "{server.url("/sitemap.xml")}"
[[sources]]
name = "list"
kind = "urls"
path = "urls.txt"
""",
        encoding="utf-8",
    )
    return path


@pytest.mark.usefixtures("prefect_harness")
def test_site_is_stored_once_and_a_rerun_costs_only_304s(
    tmp_path: Path, site: LocalServer, db_path: Path
) -> None:
    path = sources(tmp_path, site)
    first = run(path, db_path)

    by_source = {s.name: s for s in first.sources}
    assert all(s.status == "completed" for s in first.sources)
    assert (by_source["feed"].counts.found, by_source["feed"].counts.new) == (4, 4)
    # The sitemap lists all six pages: four are already known from the feed.
    assert by_source["map"].counts.new == 2
    assert by_source["map"].counts.not_modified + by_source["map"].counts.unchanged == 4
    assert (by_source["list"].counts.errors, by_source["list"].counts.rejected) == (2, 1)
    assert query(db_path, "SELECT count(*), count(DISTINCT url) FROM articles") == [(6, 6)]
    assert query(db_path, "SELECT count(*) FROM articles WHERE url LIKE '%utm_%'") == [(0,)]
    outcomes = dict(
        query(
            db_path,
            "SELECT url, outcome FROM fetch_log WHERE purpose = 'page' AND url NOT LIKE '%/news/%' OR url LIKE '%broken%'",
        )
    )
    assert outcomes[site.url("/private/secret")] == "robots_denied"
    assert outcomes[site.url("/news/broken")] == "http_error"
    hinted = query(
        db_path,
        "SELECT hint_origin, hint_guid, published_source FROM article_versions WHERE url LIKE '%harbour%'",
    )
    assert hinted == [("feed", "harbour", "feed")]

    page_hits = site.hits("/news/harbour")
    second = run(path, db_path)

    assert query(db_path, "SELECT count(*) FROM article_versions") == [(6,)]
    assert all(s.counts.new == s.counts.updated == 0 for s in second.sources)
    counts = {s.name: s.counts for s in second.sources}
    assert counts["feed"].found == 0  # the feed itself answered 304: no entry is looked at
    assert counts["map"].not_modified == 6  # each page asked for conditionally: 304
    assert site.hits("/news/harbour") == page_hits + 1
    statuses = query(
        db_path,
        "SELECT DISTINCT f.status FROM fetch_log f JOIN runs r USING (run_id) WHERE r.started_at = (SELECT max(started_at) FROM runs) AND purpose = 'page' AND url LIKE '%/news/%' AND url NOT LIKE '%broken%'",
    )
    assert statuses == [(304,)]


@pytest.mark.usefixtures("prefect_harness")
def test_an_edited_page_becomes_a_second_version(
    tmp_path: Path, site: LocalServer, db_path: Path
) -> None:
    path = sources(tmp_path, site)
    run(path, db_path)
    site.route(
        "/news/harbour", conditional(article_html("harbour", "The mayor resigned."), '"harbour-2"')
    )

    second = run(path, db_path)

    assert sum(s.counts.updated for s in second.sources) == 1
    assert query(db_path, "SELECT version_count FROM articles WHERE url LIKE '%harbour'") == [(2,)]
    assert query(db_path, "SELECT count(*) FROM articles") == [(6,)]


@pytest.mark.usefixtures("prefect_harness")
def test_private_addresses_are_refused_by_default(
    tmp_path: Path, site: LocalServer, db_path: Path
) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        f'[[sources]]\nname = "feed"\nkind = "feed"\nurl = "{site.url("/rss.xml")}"\n',
        encoding="utf-8",
    )

    report = run(path, db_path)

    assert report.sources[0].counts.found == 0
    assert site.hits("/rss.xml") == 0
    assert query(db_path, "SELECT outcome FROM fetch_log") == [("private_address",)]


@pytest.mark.usefixtures("prefect_harness")
def test_pages_in_legacy_charsets_are_decoded_in_the_worker(
    tmp_path: Path, local_server: LocalServer, db_path: Path
) -> None:
    """Fetched bytes travel to the extraction worker undecoded; the text comes out right."""
    words = " ".join(paragraphs("charset", count=6))
    page = (
        "<html><head>{meta}<title>Café in Zürich</title></head><body><article>"
        f"<h1>Café in Zürich</h1><p>Grüße, señor: {words}</p></article></body></html>"
    )
    local_server.route(
        "/header",
        Response(
            body=page.format(meta="").encode("cp1252"),
            content_type="text/html; charset=windows-1252",
        ),
    )
    local_server.route(
        "/meta",
        Response(
            body=page.format(meta='<meta charset="iso-8859-1">').encode("latin-1"),
            content_type="text/html",
        ),
    )
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{local_server.url('/header')}\n{local_server.url('/meta')}\n", "utf-8")
    path = tmp_path / "sources.toml"
    path.write_text(
        "[fetch]\nallow_private_addresses = true\nhost_delay = 0\n"
        f'[[sources]]\nname = "list"\nkind = "urls"\npath = "{urls}"\n',
        encoding="utf-8",
    )

    report = run(path, db_path)

    assert report.status == "completed"
    stored = query(db_path, "SELECT title, text FROM article_versions ORDER BY url")
    assert [title for title, _ in stored] == ["Café in Zürich", "Café in Zürich"]
    assert all("Grüße, señor" in text for _, text in stored)
