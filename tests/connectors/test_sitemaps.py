"""Sitemap parsing on inline documents, and sitemap discovery through the real fetcher."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from connectors.errors import SourceConfigError
from connectors.records import Candidate, Rejected, RejectReason, Validators
from connectors.sitemaps import SitemapSource, is_site_root, parse_sitemap
from tests.connectors.http.fetching import discover
from tests.connectors.xmlattacks import EXTERNAL_ENTITIES, billion_laughs, external_entity
from tests.localserver import LocalServer, Request, Response

SITEMAP_URL = "https://site.example/sitemap.xml"
NS = b'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def urlset(*locs: bytes, extra_ns: bytes = b"") -> bytes:
    body = b"".join(b"<url><loc>" + loc + b"</loc></url>" for loc in locs)
    return b'<?xml version="1.0"?><urlset ' + NS + extra_ns + b">" + body + b"</urlset>"


def index(*locs: bytes) -> bytes:
    body = b"".join(b"<sitemap><loc>" + loc + b"</loc></sitemap>" for loc in locs)
    return b'<?xml version="1.0"?><sitemapindex ' + NS + b">" + body + b"</sitemapindex>"


def parse(data: bytes, **kwargs):
    return parse_sitemap(data, source="src", sitemap_url=SITEMAP_URL, **kwargs)


def urls(result) -> list[str]:
    return [c.url for c in result.candidates]


def test_urlset_with_lastmod_and_hreflang_alternates():
    doc = b"""<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="/style.xsl"?>
<!-- generated -->
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:xhtml="http://www.w3.org/1999/xhtml"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <loc> https://site.example/en/a?x=1&amp;y=2 </loc>
    <lastmod>2024-05-01T10:00:00+02:00</lastmod>
    <xhtml:link rel="alternate" hreflang="de" href="https://site.example/de/a"/>
    <image:image><image:loc>https://cdn.site.example/a.jpg</image:loc></image:image>
  </url>
  <url><loc>https://site.example/en/b</loc><lastmod>2024-05-02</lastmod></url>
  <url><loc>https://site.example/en/c</loc><lastmod>May 2024</lastmod></url>
  <url><loc>https://site.example/en/b</loc></url>
</urlset>"""
    result = parse(doc)
    assert urls(result) == [
        "https://site.example/en/a?x=1&y=2",
        "https://site.example/en/b",
        "https://site.example/en/c",
    ]
    first, second, third = (c.hints for c in result.candidates)
    assert first.origin == "sitemap"
    assert first.modified_at == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert second.modified_at == datetime(2024, 5, 2, tzinfo=UTC)
    assert third.modified_at is None
    assert first.container_url == SITEMAP_URL
    assert result.sitemaps == ()
    assert result.problems == ()
    assert result.limits == ()


def test_google_news_sitemap():
    doc = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://site.example/business/merger.html</loc>
    <lastmod>2024-06-02T09:00:00Z</lastmod>
    <news:news>
      <news:publication><news:name>The Example Times</news:name>
        <news:language>en</news:language></news:publication>
      <news:publication_date>2024-06-01T20:30:00-04:00</news:publication_date>
      <news:title>Companies A, B in merger talks</news:title>
    </news:news>
  </url>
  <url>
    <loc>https://site.example/world/undated.html</loc>
    <news:news><news:title>No date</news:title></news:news>
  </url>
</urlset>"""
    result = parse(doc)
    assert urls(result) == [
        "https://site.example/business/merger.html",
        "https://site.example/world/undated.html",
    ]
    hints = result.candidates[0].hints
    assert hints.origin == "news_sitemap"
    assert hints.title == "Companies A, B in merger talks"
    assert hints.published_at == datetime(2024, 6, 2, 0, 30, tzinfo=UTC)
    assert hints.modified_at == datetime(2024, 6, 2, 9, 0, tzinfo=UTC)
    assert hints.language == "en"
    undated = result.candidates[1].hints
    assert undated.origin == "news_sitemap"
    assert undated.published_at is None
    assert undated.language is None


def test_sitemap_index_lists_child_sitemaps():
    result = parse(index(b"https://site.example/s1.xml.gz", b"/s2.xml", b"ftp://x/s3.xml"))
    assert result.candidates == ()
    assert result.sitemaps == ("https://site.example/s1.xml.gz", "https://site.example/s2.xml")
    assert result.problems == ("1 entries skipped: not an http(s) URL of at most 2083 characters",)


def test_gzip_sitemap_is_inflated():
    result = parse(gzip.compress(urlset(b"https://site.example/gz")))
    assert urls(result) == ["https://site.example/gz"]
    assert result.problems == ()


def test_gzip_bomb_stops_at_the_cap():
    bomb = gzip.compress(urlset(b"https://site.example/first") + b" " * (4 * 2**20))
    result = parse(bomb, max_bytes=2**20)
    assert urls(result) == ["https://site.example/first"]
    assert result.limits == (f"inflates to more than {2**20} bytes; only the start was read",)


def test_corrupt_gzip_is_a_problem():
    result = parse(gzip.compress(urlset(b"https://site.example/x"))[:-30])
    assert any("gzip" in p for p in result.problems)


def test_plain_text_sitemap():
    doc = (
        b"\xef\xbb\xbfhttps://site.example/t1\n"
        b"\n"
        b"  https://site.example/t2  \r\n"
        b"not a url\n"
        b"/relative/path\n"
        b"https://site.example/t1\n"
    )
    result = parse(doc)
    assert urls(result) == ["https://site.example/t1", "https://site.example/t2"]
    assert result.candidates[0].hints.origin == "sitemap"
    assert result.problems == ("2 entries skipped: not an http(s) URL of at most 2083 characters",)


def test_url_length_and_scheme_limits():
    long_url = b"https://site.example/" + b"a" * 2100
    doc = urlset(long_url, b"javascript:alert(1)", b"mailto:x@y.z", b"https://site.example/ok")
    result = parse(doc)
    assert urls(result) == ["https://site.example/ok"]
    assert result.problems == ("3 entries skipped: not an http(s) URL of at most 2083 characters",)
    assert urls(parse(doc, max_url_length=3000))[0] == long_url.decode()


def test_50001_url_sitemap_is_truncated_to_50000():
    doc = urlset(*(b"https://big.example/a/%d" % i for i in range(50_001)))
    result = parse(doc)
    assert len(result.candidates) == 50_000
    assert len(set(urls(result))) == 50_000
    assert result.candidates[-1].url == "https://big.example/a/49999"
    assert result.limits == ("more than 50000 URLs; only the first 50000 were used",)


def test_malformed_sitemap_still_yields_what_it_can():
    doc = (
        b"<urlset " + NS + b"><url><loc>https://m.example/1</loc></url>"
        b"<url><loc>https://m.example/2</loc><url><loc>https://m.example/3</loc></url>"
        b"\x00garbage <url><loc>https://m.example/4</loc></url>"
    )
    result = parse(doc)
    # The unclosed second <url> nests the rest inside it; all four are still read.
    assert sorted(urls(result)) == [f"https://m.example/{i}" for i in range(1, 5)]
    assert len(result.problems) == 1
    assert result.problems[0].startswith("not well-formed: line 1:")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "empty document"),
        (b"<html><body>Not here</body></html>", "not a sitemap"),
        (b"<!doctype html><html><body>Not here</body></html>", "not well-formed"),
        (b"<<<<", "not well-formed"),
    ],
)
def test_documents_that_are_not_sitemaps(body, problem):
    result = parse(body)
    assert result.candidates == ()
    assert result.sitemaps == ()
    assert any(p.startswith(problem) for p in result.problems), result.problems


def test_feed_used_as_a_sitemap():
    rss = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>T</title>'
        b"<link>https://f.example/1</link></item></channel></rss>"
    )
    result = parse(rss)
    assert urls(result) == ["https://f.example/1"]
    assert result.candidates[0].hints.origin == "feed"


def test_billion_laughs_does_not_expand():
    doc = billion_laughs(
        b"urlset",
        b"<urlset " + NS + b"><url><loc>https://l.example/&lol9;</loc></url>"
        b"<url><loc>https://l.example/ok</loc></url></urlset>",
    )
    result = parse(doc)
    assert urls(result) == ["https://l.example/ok"]  # the entity <loc> is dropped, not expanded
    assert any("DOCTYPE" in p for p in result.problems)
    assert "lollol" not in repr(result)


@pytest.mark.parametrize("declaration", EXTERNAL_ENTITIES)
def test_external_entities_are_not_read(tmp_path: Path, declaration):
    doc = external_entity(
        tmp_path,
        declaration,
        b"urlset",
        b"<urlset " + NS + b"><url><loc>https://x.example/&xxe;</loc></url>"
        b"<url><loc>https://x.example/ok</loc><lastmod>&xxe;</lastmod></url></urlset>",
    )
    result = parse(doc)
    assert urls(result) == ["https://x.example/ok"]
    assert "TOP-SECRET" not in repr(result)


def test_lxml_settings_alone_do_not_expand_or_fetch(tmp_path: Path):
    # The second line of defence: the parser settings, without defuse_xml.
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    doc = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file://'
        + str(secret).encode()
        + b'">]><r>&xxe;</r>'
    )
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)
    root = etree.fromstring(doc, parser)
    assert "TOP-SECRET" not in etree.tostring(root).decode()
    lol = billion_laughs(b"r", b"<r>&lol9;</r>")
    root = etree.fromstring(lol, parser)
    assert len(etree.tostring(root)) < 10_000


def test_is_site_root():
    assert is_site_root("https://site.example")
    assert is_site_root("https://site.example/")
    assert not is_site_root("https://site.example/sitemap.xml")
    assert not is_site_root("https://site.example/?page=1")


def test_source_validates_configuration():
    with pytest.raises(SourceConfigError, match="not an http"):
        SitemapSource(name="s", url="file:///etc/passwd")
    with pytest.raises(SourceConfigError, match="max_sitemaps"):
        SitemapSource(name="s", url="https://a.example/", max_sitemaps=0)


# --- discovery through the real fetcher ---------------------------------------------------


XML = "application/xml"


def test_site_root_uses_robots_txt_sitemaps(local_server: LocalServer):
    base = local_server.base_url.encode()
    robots = b"User-agent: *\nAllow: /\nSitemap: " + base + b"/news-sitemap.xml\n"
    local_server.route("/robots.txt", Response(body=robots, content_type="text/plain"))
    local_server.route(
        "/news-sitemap.xml", Response(body=urlset(base + b"/a", base + b"/b"), content_type=XML)
    )
    items, _ = discover(SitemapSource(name="site", url=local_server.url("/")))
    assert [i.url for i in items] == [local_server.url("/a"), local_server.url("/b")]
    assert all(isinstance(i, Candidate) and i.source == "site" for i in items)
    assert local_server.hits("/sitemap.xml") == 0
    assert local_server.hits("/robots.txt") == 1


def test_site_root_falls_back_to_sitemap_xml(local_server: LocalServer):
    base = local_server.base_url.encode()
    local_server.route("/sitemap.xml", Response(body=urlset(base + b"/only"), content_type=XML))
    items, _ = discover(SitemapSource(name="site", url=local_server.base_url))
    assert [i.url for i in items] == [local_server.url("/only")]
    assert local_server.hits("/robots.txt") == 1  # 404: no rules, no Sitemap lines


def test_index_loop_terminates_and_yields_each_url_once(local_server: LocalServer):
    base = local_server.base_url.encode()
    a, b = base + b"/index-a.xml", base + b"/index-b.xml"
    local_server.route(
        "/index-a.xml", Response(body=index(b, a, base + b"/pages.xml"), content_type=XML)
    )
    local_server.route("/index-b.xml", Response(body=index(a, b), content_type=XML))
    local_server.route(
        "/pages.xml",
        Response(body=urlset(base + b"/p1", base + b"/p2", base + b"/p1"), content_type=XML),
    )
    items, _ = discover(SitemapSource(name="loop", url=local_server.url("/index-a.xml")))
    assert [i.url for i in items] == [local_server.url("/p1"), local_server.url("/p2")]
    for path in ("/index-a.xml", "/index-b.xml", "/pages.xml"):
        assert local_server.hits(path) == 1


def test_same_url_in_two_sitemaps_is_yielded_once(local_server: LocalServer):
    base = local_server.base_url.encode()
    local_server.route(
        "/idx.xml", Response(body=index(base + b"/s1.xml", base + b"/s2.xml"), content_type=XML)
    )
    local_server.route(
        "/s1.xml", Response(body=urlset(base + b"/x", base + b"/y"), content_type=XML)
    )
    local_server.route(
        "/s2.xml", Response(body=urlset(base + b"/y", base + b"/z"), content_type=XML)
    )
    items, _ = discover(SitemapSource(name="dup", url=local_server.url("/idx.xml")))
    assert [i.url for i in items] == [local_server.url(p) for p in ("/x", "/y", "/z")]


def test_max_sitemaps_caps_the_fan_out(local_server: LocalServer):
    base = local_server.base_url.encode()
    children = [base + b"/c%d.xml" % i for i in range(5)]
    local_server.route("/idx.xml", Response(body=index(*children), content_type=XML))
    for i in range(5):
        local_server.route(
            f"/c{i}.xml", Response(body=urlset(base + b"/page%d" % i), content_type=XML)
        )
    items, _ = discover(SitemapSource(name="cap", url=local_server.url("/idx.xml"), max_sitemaps=3))
    candidates = [i for i in items if isinstance(i, Candidate)]
    rejects = [i for i in items if isinstance(i, Rejected)]
    assert [c.url for c in candidates] == [local_server.url("/page0"), local_server.url("/page1")]
    assert len(rejects) == 1
    assert rejects[0].reason is RejectReason.TOO_LARGE
    assert "3 listed sitemaps were not fetched" in rejects[0].detail
    assert local_server.hits("/c2.xml") == 0


def test_gzip_file_served_as_application_gzip(local_server: LocalServer):
    base = local_server.base_url.encode()
    local_server.route(
        "/sitemap.xml.gz",
        Response(body=gzip.compress(urlset(base + b"/gz1")), content_type="application/x-gzip"),
    )
    items, _ = discover(SitemapSource(name="gz", url=local_server.url("/sitemap.xml.gz")))
    assert [i.url for i in items] == [local_server.url("/gz1")]


def test_truncated_sitemap_yields_a_too_large_reject(local_server: LocalServer):
    base = local_server.base_url.encode()
    local_server.route(
        "/big.xml",
        Response(body=urlset(*(base + b"/p%d" % i for i in range(12))), content_type=XML),
    )
    source = SitemapSource(name="big", url=local_server.url("/big.xml"), max_urls_per_sitemap=10)
    items, _ = discover(source)
    assert sum(isinstance(i, Candidate) for i in items) == 10
    rejects = [i for i in items if isinstance(i, Rejected)]
    assert [(r.reason, r.location) for r in rejects] == [
        (RejectReason.TOO_LARGE, local_server.url("/big.xml"))
    ]
    assert "only the first 10" in rejects[0].detail


def test_malformed_sitemap_yields_entries_and_a_reject(local_server: LocalServer):
    base = local_server.base_url.encode()
    body = b"<urlset " + NS + b"><url><loc>" + base + b"/ok</loc></url><url><loc>broken"
    local_server.route("/bad.xml", Response(body=body, content_type=XML))
    items, _ = discover(SitemapSource(name="bad", url=local_server.url("/bad.xml")))
    assert items[0] == Candidate(local_server.url("/ok"), "bad", items[0].hints)
    assert isinstance(items[-1], Rejected)
    assert items[-1].reason is RejectReason.MALFORMED_FEED


def test_failed_fetch_yields_nothing(local_server: LocalServer, caplog):
    local_server.route("/gone.xml", Response(status=410, body=b"gone", content_type="text/plain"))
    items, log = discover(SitemapSource(name="gone", url=local_server.url("/gone.xml")))
    assert items == []
    assert any(r.url == local_server.url("/gone.xml") for r in log)
    assert "fetch failed" in caplog.text


def test_conditional_get_on_second_discovery(local_server: LocalServer):
    base = local_server.base_url.encode()
    body = urlset(base + b"/c1", base + b"/c2")

    def sitemap(request: Request) -> Response:
        if request.header("If-None-Match") == '"v1"':
            return Response(status=304, body=b"", headers={"ETag": '"v1"'}, content_type=None)
        return Response(body=body, headers={"ETag": '"v1"'}, content_type=XML)

    local_server.route("/sitemap.xml", sitemap)
    url = local_server.url("/sitemap.xml")
    source = SitemapSource(name="cond", url=url)
    first, log = discover(source)
    assert [i.url for i in first] == [local_server.url("/c1"), local_server.url("/c2")]
    etag = next(r.etag for r in log if r.url == url)
    assert etag == '"v1"'
    second, log = discover(source, {url: Validators(etag=etag)})
    assert second == []
    assert [r.outcome for r in log if r.url == url] == ["not_modified"]


def test_unchanged_index_still_leads_to_changed_children(local_server: LocalServer):
    base = local_server.base_url.encode()
    version = {"child2": 1}

    def conditional(etag: str, body) -> Callable[[Request], Response]:
        def route(request: Request) -> Response:
            current = etag.format(**version)
            if request.header("If-None-Match") == current:
                return Response(status=304, body=b"", headers={"ETag": current}, content_type=None)
            return Response(body=body(), headers={"ETag": current}, content_type=XML)

        return route

    local_server.route(
        "/index.xml",
        conditional('"i"', lambda: index(base + b"/child1.xml", base + b"/child2.xml")),
    )
    local_server.route("/child1.xml", conditional('"c1"', lambda: urlset(base + b"/old")))
    local_server.route(
        "/child2.xml",
        conditional(
            '"c2-{child2}"',
            lambda: urlset(*(base + b"/new%d" % i for i in range(version["child2"]))),
        ),
    )
    source = SitemapSource(name="idx", url=local_server.url("/index.xml"))
    first, log = discover(source)
    assert [i.url for i in first] == [local_server.url("/old"), local_server.url("/new0")]
    known = {r.url: Validators(etag=r.etag) for r in log if r.etag}
    assert set(known) == {local_server.url(p) for p in ("/index.xml", "/child1.xml", "/child2.xml")}

    version["child2"] = 2  # a new article in child2; the index itself is unchanged
    second, log = discover(source, known)
    assert [i.url for i in second] == [local_server.url("/new0"), local_server.url("/new1")]
    outcomes = {r.url.rsplit("/", 1)[1]: r.outcome for r in log if r.url in known}
    assert outcomes == {
        "index.xml": "not_modified",
        "child1.xml": "not_modified",
        "child2.xml": "ok",
    }


def test_undeclared_prefixes_do_not_crash_the_parser():
    # Found by fuzzing: lxml's QName raises on recovered names like "bad:tag".
    doc = (
        b"<urlset " + NS + b"><url><loc>https://p.example/1</loc><bad:tag>x</bad:tag></url>"
        b"<url><loc>https://p.example/2</loc></url></urlset>"
    )
    result = parse(doc)
    assert urls(result) == ["https://p.example/1", "https://p.example/2"]
    assert result.problems[0].startswith("not well-formed")
    assert parse(b"<bad:urlset><url><loc>https://p.example/3</loc></url></bad:urlset>").problems
