"""A `site` source end to end: only a home page URL in the sources file; the flow finds the
feed it links and the sitemap robots.txt declares, stores each article once, and records
what it fetched; `check --list` lists the same without fetching an article."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.app.cli import main
from tests.flows.test_ingest_web import TOPICS, article_html, rss, sitemap
from tests.helpers import query, run
from tests.localserver import LocalServer, Response, conditional

HOME = '<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head></html>'


@pytest.fixture
def news_site(local_server: LocalServer) -> LocalServer:
    for topic in TOPICS:
        local_server.route(f"/news/{topic}", conditional(article_html(topic), f'"{topic}-1"'))
    local_server.route("/", Response(body=HOME.encode()))
    robots = f"User-agent: *\nSitemap: {local_server.url('/news-sitemap.xml')}\n".encode()
    local_server.route("/robots.txt", Response(body=robots, content_type="text/plain"))
    feed = rss(local_server, TOPICS[:4]).replace(b"?utm_source=rss", b"")  # the sitemap's URLs
    local_server.route("/rss.xml", conditional(feed, '"feed-1"', "application/rss+xml"))
    local_server.route(
        "/news-sitemap.xml",
        conditional(sitemap(local_server, TOPICS[2:]), '"map-1"', "application/xml"),
    )
    return local_server


def site_sources(tmp_path: Path, server: LocalServer) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        "[fetch]\nallow_private_addresses = true\nhost_delay = 0\nretries = 0\n"
        f'[[sources]]\nname = "daily"\nkind = "site"\nurl = "{server.url("/")}"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.usefixtures("prefect_harness")
def test_a_site_source_ingests_what_its_feed_and_sitemap_list(
    tmp_path: Path, news_site: LocalServer, db_path: Path
) -> None:
    path = site_sources(tmp_path, news_site)

    first = run(path, db_path)

    (daily,) = first.sources
    assert daily.status == "completed" and (daily.counts.found, daily.counts.new) == (6, 6)
    assert query(db_path, "SELECT count(*), count(DISTINCT url) FROM articles") == [(6, 6)]
    assert query(db_path, "SELECT count(*) FROM article_versions WHERE hint_origin = 'feed'") == [
        (4,)
    ]
    found = query(
        db_path,
        "SELECT DISTINCT regexp_extract(url, '/[^/]*$'), purpose FROM fetch_log "
        "WHERE source = 'daily' AND purpose <> 'page' ORDER BY 1",
    )
    assert found == [
        ("/news-sitemap.xml", "sitemap"),
        ("/robots.txt", "robots"),
        ("/rss.xml", "feed"),
    ]

    second = run(path, db_path)  # the feed and the sitemap answer 304: nothing to look at
    assert second.sources[0].counts.found == 0 and second.sources[0].status == "completed"
    assert not query(db_path, "SELECT * FROM rejects")


def test_check_lists_a_sites_articles_and_what_it_found(
    tmp_path: Path, news_site: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = site_sources(tmp_path, news_site)

    assert main(["check", "--sources", str(path), "--list"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        *(f"daily\tpage\t{news_site.url('/news/' + t)}" for t in TOPICS),
        f"daily\tfeed\t{news_site.url('/rss.xml')}",
        f"daily\tsitemap\t{news_site.url('/news-sitemap.xml')}",
    ]
    assert all(news_site.hits(f"/news/{t}") == 0 for t in TOPICS)
