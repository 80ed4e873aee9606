"""Site sources: feeds linked from the home page or at common paths, and the site's sitemaps,
through the real fetcher against a local site."""

from __future__ import annotations

import pytest

from connectors.errors import SourceConfigError
from connectors.records import Candidate, Rejected, RejectReason, Validators
from connectors.site import SiteSource, linked_feeds
from tests.connectors.http.fetching import discover
from tests.localserver import LocalServer, Response

HOME = """<!doctype html><html><head><title>Daily</title>
<link rel="alternate" type="application/rss+xml" title="Daily news" href="/rss.xml">
<link rel="alternate" type="application/rss+xml" title="Comments feed" href="/comments/feed">
<link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/2">
<link rel="stylesheet" href="/site.css">
</head><body><p>Front page</p></body></html>"""


def rss(base: str, *slugs: str) -> bytes:
    items = "".join(f"<item><title>{s}</title><link>{base}/news/{s}</link></item>" for s in slugs)
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


def urlset(base: str, *slugs: str) -> bytes:
    locs = "".join(f"<url><loc>{base}/news/{s}</loc></url>" for s in slugs)
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{locs}</urlset>"
    ).encode()


def urls(items: list[object]) -> list[str]:
    return [i.url for i in items if isinstance(i, Candidate)]


def test_links_in_the_home_page_name_the_feeds() -> None:
    base = "https://daily.example/section/"
    assert linked_feeds(HOME, base) == ["https://daily.example/rss.xml"]
    with_base = HOME.replace("<title>", '<base href="https://cdn.daily.example/"><title>')
    assert linked_feeds(with_base, base) == ["https://cdn.daily.example/rss.xml"]
    atom = '<link rel="Alternate feed" type="application/atom+xml; charset=utf-8" href="a.xml">'
    assert linked_feeds(f"<html><head>{atom}</head></html>", base) == [base + "a.xml"]
    assert linked_feeds("", base) == [] and linked_feeds("not html at all", base) == []


def test_a_site_reads_its_linked_feed_then_its_sitemaps_each_url_once(
    local_server: LocalServer,
) -> None:
    base = local_server.base_url
    local_server.route("/", Response(body=HOME.encode()))
    local_server.route("/rss.xml", Response(body=rss(base, "a", "b"), content_type="text/xml"))
    robots = f"User-agent: *\nAllow: /\nSitemap: {base}/news-sitemap.xml\n".encode()
    local_server.route("/robots.txt", Response(body=robots, content_type="text/plain"))
    local_server.route(
        "/news-sitemap.xml", Response(body=urlset(base, "b", "c"), content_type="text/xml")
    )
    source = SiteSource(name="daily", url=base + "/")

    items, log = discover(source)

    assert urls(items) == [f"{base}/news/a", f"{base}/news/b", f"{base}/news/c"]
    assert items[0].hints.origin == "feed"  # the feed's entry wins over the sitemap's
    assert source.found.feeds == [f"{base}/rss.xml"]
    assert source.found.feeds_via == "home page links"
    assert source.found.sitemaps == [f"{base}/news-sitemap.xml"]
    purposes = [(r.url.removeprefix(base), r.purpose.value) for r in log]
    assert ("/", "page") in purposes and ("/rss.xml", "feed") in purposes
    assert ("/news-sitemap.xml", "sitemap") in purposes
    assert local_server.hits("/comments/feed") == 0 and local_server.hits("/feed") == 0


def test_without_a_linked_feed_common_paths_are_tried_in_order(
    local_server: LocalServer,
) -> None:
    base = local_server.base_url
    local_server.route("/", Response(body=b"<html><head><title>x</title></head></html>"))
    local_server.route("/feed", Response(status=404))
    local_server.route("/rss", Response(body=b"<html><body>Not a feed</body></html>"))
    local_server.route("/rss.xml", Response(body=rss(base, "x"), content_type="text/xml"))
    local_server.route("/sitemap.xml", Response(body=urlset(base, "y"), content_type="text/xml"))
    source = SiteSource(name="daily", url=base)

    items, _ = discover(source)

    assert urls(items) == [f"{base}/news/x", f"{base}/news/y"]
    assert source.found.feeds == [f"{base}/rss.xml"] and source.found.feeds_via == "common path"
    assert source.found.sitemaps_via == "/sitemap.xml"
    assert local_server.hits("/feed.xml") == 0  # the first feed found ends the probing


def test_a_feed_found_before_that_answers_304_is_kept(local_server: LocalServer) -> None:
    base = local_server.base_url
    local_server.route("/", Response(body=b"<html></html>"))
    local_server.route("/feed", Response(status=304))
    source = SiteSource(name="daily", url=base)

    items, _ = discover(source, known={f"{base}/feed": Validators(etag='"v1"')})

    assert items == [] and source.found.feeds == [f"{base}/feed"]


def test_a_site_with_nothing_to_read_is_one_reject(local_server: LocalServer) -> None:
    base = local_server.base_url
    local_server.route("/", Response(body=b"<html><head></head><body>hi</body></html>"))
    source = SiteSource(name="daily", url=base + "/")

    items, _ = discover(source)

    assert len(items) == 1 and isinstance(items[0], Rejected)
    assert items[0].reason is RejectReason.NO_FEED and "no feed" in items[0].detail


def test_a_site_needs_an_http_url() -> None:
    with pytest.raises(SourceConfigError, match="not an http"):
        SiteSource(name="x", url="ftp://example.com/")
