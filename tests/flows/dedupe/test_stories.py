"""Article identity, versions and near-duplicate stories, end to end through the flow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import query, run
from tests.localserver import LocalServer, Response
from tests.textgen import paragraphs

pytestmark = pytest.mark.usefixtures("prefect_harness")


def page(title: str, texts: list[str], *, chrome: str = "A", canonical: str | None = None) -> bytes:
    head = f"<title>{title}</title>" + (
        f'<link rel="canonical" href="{canonical}">' if canonical else ""
    )
    nav = {
        "A": "<nav><a href='/'>Home</a> | <a href='/world'>World</a></nav><div class='ad'>Buy now</div>",
        "B": "<header><h2>The Other Gazette</h2><ul><li>Politics</li><li>Sport</li></ul></header>",
    }[chrome]
    foot = {
        "A": "<footer>(c) Daily A</footer>",
        "B": "<aside>Related: more news</aside><footer>Gazette</footer>",
    }[chrome]
    body = "".join(f"<p>{t}</p>" for t in texts)
    return f"<html><head>{head}</head><body>{nav}<article><h1>{title}</h1>{body}</article>{foot}</body></html>".encode()


def write_sources(tmp_path: Path, urls: list[str]) -> Path:
    (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n", encoding="utf-8")
    path = tmp_path / "sources.toml"
    path.write_text(
        "[fetch]\nallow_private_addresses = true\nhost_delay = 0\nrespect_robots = false\n"
        '[[sources]]\nname = "list"\nkind = "urls"\npath = "urls.txt"\n',
        encoding="utf-8",
    )
    return path


def counts(db: Path) -> tuple[Any, ...]:
    return query(
        db,
        "SELECT (SELECT count(*) FROM store.articles), (SELECT count(*) FROM store.article_versions),"
        " (SELECT count(*) FROM store.url_aliases), (SELECT count(DISTINCT story_id) FROM store.articles),"
        " (SELECT count(*) FROM store.story_features), (SELECT count(*) FROM store.story_merges)",
    )[0]


@pytest.fixture
def second_site() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


def test_five_url_variants_are_one_article_with_five_aliases(
    tmp_path: Path, local_server: LocalServer, db_path: Path
) -> None:
    text = paragraphs("variants")
    local_server.route("/news/story", Response(body=page("Variant story", text)))
    local_server.route(
        "/amp/news/story", Response(body=page("Variant story", text, canonical="/news/story"))
    )
    local_server.route(
        "/go/story", Response(status=301, headers={"Location": "/news/story"}, content_type=None)
    )
    base = local_server.base_url
    variants = [
        f"{base}/news/story",
        f"{base}/news/story?utm_source=rss&utm_medium=feed",
        f"{base}/news/story?fbclid=IwAR0abc",
        f"{base}/go/story",  # redirects to /news/story
        f"{base}/amp/news/story",
    ]
    path = write_sources(tmp_path, variants)

    run(path, db_path)

    assert query(db_path, "SELECT count(*) FROM articles") == [(1,)]
    aliases = {row[0] for row in query(db_path, "SELECT url FROM url_aliases")}
    assert set(variants) <= aliases
    assert query(db_path, "SELECT url FROM articles") == [(f"{base}/news/story",)]
    before = counts(db_path)
    run(path, db_path)
    assert counts(db_path) == before


def test_syndicated_copies_share_a_story_and_other_articles_do_not(
    tmp_path: Path, local_server: LocalServer, second_site: LocalServer, db_path: Path
) -> None:
    urls = []
    for n in range(4):
        text = paragraphs(f"wire-{n}")
        local_server.route(f"/a/{n}", Response(body=page(f"Wire story {n}", text)))
        edited = [
            *text[:-1],
            "The Gazette contributed reporting.",
        ]  # the copy drops a paragraph, adds a line
        second_site.route(
            f"/b/{n}", Response(body=page(f"Gazette: wire story {n} retold", edited, chrome="B"))
        )
        urls += [local_server.url(f"/a/{n}"), f"http://localhost:{second_site.port}/b/{n}"]
    path = write_sources(tmp_path, urls)

    report = run(path, db_path)

    stories = query(
        db_path,
        "SELECT story_id, list(url ORDER BY url) FROM articles GROUP BY story_id ORDER BY story_id",
    )
    assert len(stories) == 4
    for _, members in stories:
        assert len(members) == 2
        assert members[0].split("/")[-1] == members[1].split("/")[-1]  # /a/n with /b/n
    assert (report.sources[0].counts.new, report.sources[0].counts.duplicates) == (4, 4)
    assert query(db_path, "SELECT count(*), min(article_count) FROM stories") == [(4, 2)]

    before = counts(db_path)
    run(path, db_path)
    assert counts(db_path) == before


def test_stories_do_not_depend_on_the_order_articles_arrive(
    tmp_path: Path, local_server: LocalServer, second_site: LocalServer
) -> None:
    urls = []
    for n in range(3):
        text = paragraphs(f"order-{n}")
        local_server.route(f"/a/{n}", Response(body=page(f"Story {n}", text)))
        second_site.route(f"/b/{n}", Response(body=page(f"Story {n} (copy)", text[1:], chrome="B")))
        second_site.route(
            f"/c/{n}", Response(body=page(f"Story {n} (short copy)", text[:4], chrome="B"))
        )
        urls += [
            local_server.url(f"/a/{n}"),
            f"http://localhost:{second_site.port}/b/{n}",
            f"http://localhost:{second_site.port}/c/{n}",
        ]

    partitions = []
    for name, order in (("forward", urls), ("backward", urls[::-1])):
        folder = tmp_path / name
        folder.mkdir()
        db = folder / "news.duckdb"
        run(write_sources(folder, order), db)
        groups = query(db, "SELECT list(url ORDER BY url) FROM articles GROUP BY story_id")
        partitions.append(sorted(tuple(g[0]) for g in groups))
    assert partitions[0] == partitions[1]
    assert len(partitions[0]) == 3


def test_canonical_links_loops_and_other_sites(
    tmp_path: Path, local_server: LocalServer, db_path: Path
) -> None:
    loop = paragraphs("loop")
    local_server.route("/loop/a", Response(body=page("Loop", loop, canonical="/loop/b")))
    local_server.route("/loop/b", Response(body=page("Loop", loop, canonical="/loop/a")))
    local_server.route(
        "/own",
        Response(body=page("Own", paragraphs("own"), canonical="https://elsewhere.example/stolen")),
    )
    path = write_sources(
        tmp_path,
        [local_server.url("/loop/a"), local_server.url("/loop/b"), local_server.url("/own")],
    )

    run(path, db_path)

    urls = sorted(row[0] for row in query(db_path, "SELECT url FROM articles"))
    assert len(urls) == 2  # the loop is one article
    assert local_server.url("/own") in urls  # the cross-site canonical is ignored
    assert not any("elsewhere" in u for (u,) in query(db_path, "SELECT url FROM url_aliases"))


def test_short_texts_and_one_sites_boilerplate_never_merge(
    tmp_path: Path, local_server: LocalServer, second_site: LocalServer, db_path: Path
) -> None:
    short = [
        "Markets were calm today as traders waited for the central bank decision on interest rates."
    ]
    wall = paragraphs("paywall-stub", count=3)  # the same long text under two different titles
    local_server.route("/short", Response(body=page("Markets calm", short)))
    second_site.route("/short", Response(body=page("Markets calm", short, chrome="B")))
    local_server.route("/p/1", Response(body=page("Mayor resigns after audit", wall)))
    local_server.route("/p/2", Response(body=page("Floods close coastal road", wall)))
    urls = [
        local_server.url("/short"),
        f"http://localhost:{second_site.port}/short",
        local_server.url("/p/1"),
        local_server.url("/p/2"),
    ]

    run(write_sources(tmp_path, urls), db_path)

    stories = query(db_path, "SELECT count(*), count(DISTINCT story_id) FROM articles")
    assert stories == [(4, 4)]
