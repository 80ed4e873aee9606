"""Feed parsing on inline documents, and feed discovery through the real fetcher."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.errors import SourceConfigError
from connectors.feeds import FeedSource, parse_feed
from connectors.records import Candidate, Rejected, RejectReason, Validators
from tests.connectors.http.fetching import discover
from tests.connectors.xmlattacks import EXTERNAL_ENTITIES, billion_laughs, external_entity
from tests.localserver import LocalServer, Request, Response

FEED_URL = "https://news.example/feeds/all.xml"

RSS2 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Example News</title>
  <link>https://news.example/</link>
  <language>en-GB</language>
  <item>
    <title>Council approves &amp; funds the bridge</title>
    <link>https://news.example/2024/05/bridge</link>
    <guid isPermaLink="false">bridge-123</guid>
    <pubDate>Wed, 01 May 2024 14:30:00 +0200</pubDate>
    <dc:creator>Ann Writer</dc:creator>
  </item>
  <item>
    <title>Relative link</title>
    <link>/2024/05/relative?x=1#comments</link>
    <pubDate>not a date at all</pubDate>
  </item>
  <item>
    <title>Permalink guid only</title>
    <guid>https://news.example/2024/05/guid-only</guid>
  </item>
  <item>
    <title>Repeated</title>
    <link>https://news.example/2024/05/bridge</link>
  </item>
  <item>
    <title>No link at all</title>
    <description>nothing to fetch</description>
  </item>
  <item>
    <title>Mail link</title>
    <link>mailto:editor@news.example</link>
  </item>
</channel>
</rss>
"""

RSS1 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example/">
    <title>RDF site</title>
    <link>https://rdf.example/</link>
    <dc:language>ja</dc:language>
    <items><rdf:Seq><rdf:li rdf:resource="https://rdf.example/a1"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://rdf.example/a1">
    <title>First RDF item</title>
    <link>https://rdf.example/a1</link>
    <dc:date>2024-03-05T09:15:00+09:00</dc:date>
    <dc:creator>Taro</dc:creator>
  </item>
</rdf:RDF>
"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de-DE" xml:base="https://atom.example/blog/">
  <title>Atom site</title>
  <updated>2024-02-02T12:00:00Z</updated>
  <id>urn:uuid:feed</id>
  <entry>
    <title type="html">Breaking: &lt;b&gt;Storm&lt;/b&gt; &amp;amp; rain</title>
    <link rel="alternate" type="text/html" href="posts/storm"/>
    <link rel="edit" href="https://atom.example/api/1"/>
    <id>tag:atom.example,2024:1</id>
    <published>2024-02-01T08:00:00+01:00</published>
    <updated>2024-02-02T10:00:00Z</updated>
    <author><name>Berta</name></author>
    <author><name>Carl</name></author>
  </entry>
  <entry>
    <title>Only a self link</title>
    <link rel="self" href="https://atom.example/entries/2.atom"/>
    <id>tag:atom.example,2024:2</id>
    <updated>2024-02-02T11:00:00Z</updated>
  </entry>
</feed>
"""

JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "JSON site",
    "home_page_url": "https://json.example/",
    "language": "fr",
    "authors": [{"name": "Desk"}],
    "items": [
        {
            "id": "1",
            "url": "https://json.example/one",
            "title": "Un",
            "date_published": "2024-04-01T10:00:00-05:00",
            "date_modified": "2024-04-02",
            "authors": [{"name": "Eve"}],
        },
        {"id": 2, "url": "/two", "title": "Deux", "language": "fr-CA"},
        {"id": "3", "content_text": "no url"},
        "not an object",
    ],
}


def parse(data: bytes, **kwargs):
    return parse_feed(data, source="src", feed_url=FEED_URL, **kwargs)


def by_url(result) -> dict[str, Candidate]:
    return {c.url: c for c in result.candidates}


def test_rss2_entries_links_and_hints():
    result = parse(RSS2)
    urls = [c.url for c in result.candidates]
    assert urls == [
        "https://news.example/2024/05/bridge",
        "https://news.example/2024/05/relative?x=1",
        "https://news.example/2024/05/guid-only",
    ]
    bridge = by_url(result)["https://news.example/2024/05/bridge"].hints
    assert bridge is not None
    assert bridge.origin == "feed"
    assert bridge.title == "Council approves & funds the bridge"
    assert bridge.guid == "bridge-123"
    assert bridge.published_at == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert bridge.modified_at is None  # RSS pubDate is not a modification date
    assert bridge.language == "en-gb"
    assert bridge.authors == ("Ann Writer",)
    assert bridge.container_url == FEED_URL
    relative = by_url(result)["https://news.example/2024/05/relative?x=1"].hints
    assert relative is not None
    assert relative.published_at is None  # unparseable, never guessed
    assert all(c.source == "src" for c in result.candidates)
    # Two entries (no link, mailto:) were skipped and counted.
    assert result.problems == ("2 entries without an http(s) link skipped",)


def test_links_resolve_against_final_url_after_redirect():
    result = parse(RSS2, base_url="https://mirror.example/feeds/x.xml")
    assert "https://mirror.example/2024/05/relative?x=1" in by_url(result)


def test_rss1_rdf_dc_date_is_the_publication_date():
    result = parse(RSS1)
    assert [c.url for c in result.candidates] == ["https://rdf.example/a1"]
    hints = result.candidates[0].hints
    assert hints is not None
    assert hints.published_at == datetime(2024, 3, 5, 0, 15, tzinfo=UTC)
    assert hints.modified_at is None
    assert hints.language == "ja"
    assert hints.authors == ("Taro",)
    assert hints.guid == "https://rdf.example/a1"
    assert result.problems == ()


def test_atom_xml_base_html_title_and_dates():
    result = parse(ATOM)
    assert [c.url for c in result.candidates] == ["https://atom.example/blog/posts/storm"]
    hints = result.candidates[0].hints
    assert hints is not None
    assert hints.title == "Breaking: Storm & rain"
    assert hints.published_at == datetime(2024, 2, 1, 7, 0, tzinfo=UTC)
    assert hints.modified_at == datetime(2024, 2, 2, 10, 0, tzinfo=UTC)
    assert hints.language == "de-de"
    assert hints.authors == ("Berta", "Carl")
    assert hints.guid == "tag:atom.example,2024:1"
    assert result.problems == ("1 entries without an http(s) link skipped",)


def test_json_feed_1_1():
    result = parse(json.dumps(JSON_FEED).encode(), content_type="application/feed+json")
    found = by_url(result)
    assert list(found) == ["https://json.example/one", "https://news.example/two"]
    one = found["https://json.example/one"].hints
    assert one is not None
    assert one.published_at == datetime(2024, 4, 1, 15, 0, tzinfo=UTC)
    assert one.modified_at == datetime(2024, 4, 2, tzinfo=UTC)
    assert one.authors == ("Eve",)
    assert one.language == "fr"
    two = found["https://news.example/two"].hints
    assert two is not None
    assert two.guid == "2"
    assert two.authors == ("Desk",)  # 1.1: items inherit the feed's authors
    assert two.language == "fr-ca"
    assert "1 items are not JSON objects" in result.problems
    assert "1 entries without an http(s) link skipped" in result.problems


def test_json_feed_1_0_sniffed_without_content_type():
    doc = {
        "version": "https://jsonfeed.org/version/1",
        "title": "old",
        "items": [{"id": "a", "url": "https://j.example/a", "author": {"name": "Old Style"}}],
    }
    result = parse(b"\xef\xbb\xbf\n" + json.dumps(doc).encode())
    assert [c.url for c in result.candidates] == ["https://j.example/a"]
    assert result.candidates[0].hints.authors == ("Old Style",)
    assert result.problems == ()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON document is not an object"),
        (b'{"version": "https://jsonfeed.org/version/1.1"}', "JSON feed has no items list"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    ],
)
def test_broken_json_feeds_report_a_problem(body, problem):
    result = parse(body, content_type="application/json")
    assert result.candidates == ()
    assert any(p.startswith(problem) for p in result.problems), result.problems


def test_malformed_feed_still_yields_entries_and_reports_the_error():
    broken = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Broken</title>
<item><title>One</title><link>https://b.example/1</link></item>
<item><title>Two & three</title><link>https://b.example/2</link></item>
<item><title>Unclosed <b>tag</title><link>https://b.example/3</link></item>
</channel>"""
    result = parse(broken)
    assert {c.url for c in result.candidates} == {
        "https://b.example/1",
        "https://b.example/2",
        "https://b.example/3",
    }
    assert len(result.problems) == 1
    assert result.problems[0].startswith("not well-formed:")


def test_html_page_is_not_a_feed():
    result = parse(b"<!doctype html><html><body><p>hello</p></body></html>")
    assert result.candidates == ()
    assert "not a recognisable RSS or Atom feed" in result.problems


def test_duplicate_links_are_yielded_once():
    items = b"".join(b"<item><link>https://d.example/same</link></item>" for _ in range(5))
    result = parse(b'<rss version="2.0"><channel>' + items + b"</channel></rss>")
    assert [c.url for c in result.candidates] == ["https://d.example/same"]
    assert result.problems == ()


def test_entry_cap_truncates_and_says_so():
    items = b"".join(b"<item><link>https://d.example/%d</link></item>" % i for i in range(30))
    result = parse(b'<rss version="2.0"><channel>' + items + b"</channel></rss>", max_entries=10)
    assert len(result.candidates) == 10
    assert result.problems == ("more than 10 entries; the rest were skipped",)


def test_gzip_body_without_content_encoding():
    result = parse(gzip.compress(RSS1))
    assert [c.url for c in result.candidates] == ["https://rdf.example/a1"]


def test_utf16_feed():
    text = RSS1.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    result = parse(text.encode("utf-16"))
    assert [c.url for c in result.candidates] == ["https://rdf.example/a1"]


# --- XML attacks --------------------------------------------------------------------------


@pytest.mark.parametrize("one_line", [False, True])
def test_billion_laughs_does_not_expand(one_line):
    doc = billion_laughs(
        b"rss",
        b'<rss version="2.0"><channel><item><title>&lol9;</title>'
        b"<link>https://l.example/a</link></item></channel></rss>",
    )
    if one_line:
        doc = doc.replace(b"\n", b"")
    result = parse(doc)
    assert [c.url for c in result.candidates] == ["https://l.example/a"]
    title = result.candidates[0].hints.title or ""
    assert "lollol" not in title
    assert any("DOCTYPE" in p for p in result.problems)


@pytest.mark.parametrize("declaration", EXTERNAL_ENTITIES)
def test_external_entities_are_not_read(tmp_path: Path, declaration):
    doc = external_entity(
        tmp_path,
        declaration,
        b"rss",
        b'<rss version="2.0"><channel><item><title>a &xxe; b</title>'
        b"<link>https://x.example/a</link><guid>&xxe;</guid></item></channel></rss>",
    )
    result = parse(doc)
    assert [c.url for c in result.candidates] == ["https://x.example/a"]
    assert "TOP-SECRET" not in repr(result)


def test_body_that_looks_like_a_path_is_parsed_as_a_document(tmp_path: Path):
    # feedparser.parse(b"/some/file") opens the file; we must hand it the bytes.
    local = tmp_path / "local.xml"
    local.write_bytes(RSS1)
    result = parse(str(local).encode())
    assert result.candidates == ()
    assert "rdf.example" not in repr(result)


# --- the source ---------------------------------------------------------------------------


def test_feed_source_validates_its_configuration():
    with pytest.raises(SourceConfigError, match="ftp"):
        FeedSource(name="x", urls=["ftp://a.example/feed"])
    with pytest.raises(SourceConfigError, match="non-empty"):
        FeedSource(name="x", urls=[])
    with pytest.raises(SourceConfigError, match="non-empty"):
        FeedSource(name="x", urls="https://a.example/feed")
    source = FeedSource(name="x", urls=["https://a.example/f", "https://a.example/f"])
    assert source.urls == ("https://a.example/f",)


# --- discovery through the real fetcher ---------------------------------------------------


def rss_items(*links: str) -> bytes:
    items = "".join(f"<item><title>{link}</title><link>{link}</link></item>" for link in links)
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


def test_discovery_yields_entries_of_every_feed(local_server: LocalServer):
    local_server.route(
        "/a.xml", Response(body=rss_items("/one", "/two"), content_type="application/rss+xml")
    )
    local_server.route(
        "/b.json",
        Response(
            body=json.dumps(
                {"version": "https://jsonfeed.org/version/1.1", "items": [{"url": "/three"}]}
            ).encode(),
            content_type="application/feed+json",
        ),
    )
    source = FeedSource(name="pub", urls=[local_server.url("/a.xml"), local_server.url("/b.json")])
    items, log = discover(source)
    assert [i.url for i in items] == [local_server.url(p) for p in ("/one", "/two", "/three")]
    assert all(isinstance(i, Candidate) and i.source == "pub" for i in items)
    assert items[0].hints.container_url == local_server.url("/a.xml")
    assert {r.url for r in log} >= {local_server.url("/a.xml"), local_server.url("/b.json")}


def test_relative_links_resolve_against_the_redirect_target(local_server: LocalServer):
    local_server.route(
        "/old.xml", Response(status=301, headers={"Location": "/new/feed.xml"}, body=b"")
    )
    local_server.route(
        "/new/feed.xml", Response(body=rss_items("story"), content_type="application/rss+xml")
    )
    items, _ = discover(FeedSource(name="moved", urls=[local_server.url("/old.xml")]))
    assert [i.url for i in items] == [local_server.url("/new/story")]
    assert items[0].hints.container_url == local_server.url("/old.xml")


def test_malformed_feed_yields_entries_then_a_reject(local_server: LocalServer):
    body = rss_items("/ok1", "/ok2").replace(b"</channel></rss>", b"<item><title>cut")
    local_server.route("/broken.xml", Response(body=body, content_type="text/xml"))
    items, _ = discover(FeedSource(name="b", urls=[local_server.url("/broken.xml")]))
    assert [i.url for i in items[:2]] == [local_server.url("/ok1"), local_server.url("/ok2")]
    (reject,) = items[2:]
    assert isinstance(reject, Rejected)
    assert reject.reason is RejectReason.MALFORMED_FEED
    assert reject.location == local_server.url("/broken.xml")
    assert reject.detail.startswith("not well-formed")


def test_failed_feed_fetch_is_logged_not_rejected(local_server: LocalServer, caplog):
    local_server.route("/ok.xml", Response(body=rss_items("/fine"), content_type="text/xml"))
    source = FeedSource(
        name="f", urls=[local_server.url("/missing.xml"), local_server.url("/ok.xml")]
    )
    items, log = discover(source)
    assert [i.url for i in items] == [local_server.url("/fine")]
    assert any(r.url == local_server.url("/missing.xml") and r.status == 404 for r in log)
    assert "fetch failed" in caplog.text


def test_conditional_get_on_second_discovery(local_server: LocalServer):
    def feed(request: Request) -> Response:
        headers = {"ETag": '"f1"', "Last-Modified": "Wed, 01 May 2024 10:00:00 GMT"}
        if request.header("If-None-Match") == '"f1"':
            return Response(status=304, body=b"", headers=headers, content_type=None)
        return Response(body=rss_items("/s1", "/s2"), headers=headers, content_type="text/xml")

    local_server.route("/feed.xml", feed)
    url = local_server.url("/feed.xml")
    source = FeedSource(name="c", urls=[url])
    first, log = discover(source)
    assert len(first) == 2
    record = next(r for r in log if r.url == url)
    stored = Validators(etag=record.etag, last_modified=record.last_modified)
    assert stored.etag == '"f1"'
    second, log = discover(source, {url: stored})
    assert second == []
    assert [r.outcome for r in log if r.url == url] == ["not_modified"]
    sent = [r for r in local_server.requests if r.path == "/feed.xml"][-1]
    assert sent.header("If-None-Match") == '"f1"'


def test_body_that_looks_like_a_url_is_not_fetched(local_server: LocalServer):
    local_server.route("/other.xml", Response(body=rss_items("/leak"), content_type="text/xml"))
    result = parse(local_server.url("/other.xml").encode())
    assert result.candidates == ()
    assert local_server.hits("/other.xml") == 0


def test_feedparser_crash_on_a_bad_encoding_declaration_is_a_problem():
    # Found by fuzzing: feedparser 6.0.14 raises UnicodeDecodeError here.
    doc = b'<?xml version="1.0" encoding="\xc0\xc1"?><rss version="2.0"><channel/></rss>'
    result = parse(doc)
    assert result.candidates == ()
    assert any(p.startswith("unparseable: UnicodeDecodeError") for p in result.problems)


def test_feedburner_original_link_wins():
    doc = (
        b'<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">'
        b"<channel><item><link>http://feedproxy.google.com/~r/x/~3/abc/</link>"
        b"<feedburner:origLink>https://real.example/story</feedburner:origLink></item>"
        b"</channel></rss>"
    )
    assert [c.url for c in parse(doc).candidates] == ["https://real.example/story"]


def test_mislabelled_content_type_does_not_matter():
    assert [c.url for c in parse(RSS1, content_type="application/json").candidates] == [
        "https://rdf.example/a1"
    ]
    doc = json.dumps(JSON_FEED).encode()
    assert len(parse(doc, content_type="text/xml").candidates) == 2
