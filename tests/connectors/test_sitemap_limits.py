"""A feed served as a sitemap obeys the sitemap source's URL limits."""

from __future__ import annotations

import asyncio

from connectors.http import Fetcher, FetchSettings
from connectors.records import Candidate, Rejected, RejectReason
from connectors.sitemaps import SitemapSource, parse_sitemap
from tests.localserver import LocalServer, Response

SITEMAP_URL = "https://site.example/feed.xml"


def rss(*links: str) -> bytes:
    items = "".join(
        f"<item><title>T{n}</title><link>{u}</link></item>" for n, u in enumerate(links)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


def atom(*links: str) -> bytes:
    entries = "".join(
        f'<entry><id>urn:{n}</id><title>T{n}</title><link href="{u}"/></entry>'
        for n, u in enumerate(links)
    )
    return (
        f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'
    ).encode()


def test_an_rss_sitemap_stops_at_max_urls_and_says_so_as_a_limit() -> None:
    links = [f"https://site.example/a/{n}" for n in range(5)]

    result = parse_sitemap(rss(*links), source="s", sitemap_url=SITEMAP_URL, max_urls=2)

    assert [c.url for c in result.candidates] == links[:2]
    assert result.problems == ()
    assert result.limits == ("more than 2 entries; the rest were skipped",)


def test_an_atom_sitemap_skips_urls_longer_than_max_url_length() -> None:
    short, long = "https://site.example/a/1", "https://site.example/" + "x" * 100

    result = parse_sitemap(
        atom(short, long), source="s", sitemap_url=SITEMAP_URL, max_url_length=60
    )

    assert [c.url for c in result.candidates] == [short]
    assert result.problems == ("1 entries without an http(s) link skipped",)
    assert result.limits == ()


def test_a_feed_sitemap_source_honours_max_urls_per_sitemap(local_server: LocalServer) -> None:
    links = [local_server.url(f"/a/{n}") for n in range(5)]
    local_server.route("/feed.xml", Response(body=rss(*links), content_type="application/xml"))
    source = SitemapSource(
        name="feedmap", url=local_server.url("/feed.xml"), max_urls_per_sitemap=2
    )

    async def collect() -> list[Candidate | Rejected]:
        settings = FetchSettings(allow_private_addresses=True, host_delay=0)
        async with Fetcher(settings) as fetcher:
            return [item async for item in source.discover(fetcher, {})]

    items = asyncio.run(collect())

    assert [i.url for i in items if isinstance(i, Candidate)] == links[:2]
    (reject,) = [i for i in items if isinstance(i, Rejected)]
    assert reject.reason is RejectReason.TOO_LARGE
    assert "more than 2 entries" in reject.detail
