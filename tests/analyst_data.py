"""A small but complete warehouse built by the real flow, for the analyst-side tests.

Two JSONL sources (one carries exact copies of two of the other's stories), a
web feed served on 127.0.0.1 (fetches, a 500, 304s on the second run), a bad
file (a reject), and two runs with an edited article in between (a second
version). Built once per session; tests open it read-only or copy it.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import query, run
from tests.localserver import LocalServer, Response, conditional

# Neutral words for filler prose: none of the words the tests search for.
_PROSE_TEXT = (
    "officials said plan would be reviewed committee before end month residents invited "
    "comment proposal public meetings budget council members agreed later week statement "
    "spokesperson added details expected soon critics argued costs rising local groups "
    "welcomed decision regional government funding earlier years several experts warned "
    "timetable could slip despite promises contractors workers started preparations morning "
    "evening weekend district north south east west city town village county national"
)
_PROSE = _PROSE_TEXT.split()


def prose(seed: str, sentences: int) -> str:
    """Filler sentences that depend only on ``seed`` (different seeds do not look alike)."""
    rng = random.Random(seed)
    lines = [
        " ".join(rng.choice(_PROSE) for _ in range(rng.randint(9, 16))).capitalize() + "."
        for _ in range(sentences)
    ]
    return " ".join(lines)


# (slug, headline, distinctive words repeated in the body, days before the base day)
WIRE = [
    ("airspace", "Pakistan and US discuss use of airspace", "airspace counterterrorism", 0),
    ("tram", "Council expands tram network", "tram network kilometres", 0),
    ("harbour", "Harbour dredging begins after delay", "harbour dredging", 1),
    ("glacier", "Glacier retreat measured by survey", "glacier retreat survey", 1),
    ("vaccine", "Vaccine trial enrols volunteers", "vaccine trial volunteers", 2),
    ("orchestra", "Orchestra announces winter season", "orchestra symphony", 2),
]
METRO_OWN = [
    ("library", "Library reopens after renovation", "library renovation books", 0),
    ("marathon", "Marathon route changes this year", "marathon runners route", 1),
]
COPIED = ("tram", "glacier")  # metro republishes these wire stories word for word
BASE_DAY = datetime(2024, 3, 7, 9, 30, tzinfo=UTC)
_BUILT: dict[str, Path] = {}


def body(words: str, extra: str = "") -> str:
    """Six paragraphs about ``words``, with filler prose of their own."""
    return "\n\n".join(
        f"The {words} story developed further on day {i}. {prose(words + str(i), 3)}{extra}"
        for i in range(6)
    )


def record(host: str, slug: str, title: str, words: str, days: int, extra: str = "") -> str:
    published = (BASE_DAY - timedelta(days=days)).isoformat()
    return json.dumps(
        {
            "url": f"https://{host}/news/{slug}",
            "title": title,
            "text": f"{title}\n\n{body(words, extra)}",
            "published_at": published,
        }
    )


def write_sources(root: Path, server: LocalServer, *, edited: bool) -> Path:
    """The JSONL folders, the bad file and the sources file (``edited``: the harbour update)."""
    wire, metro = root / "wire", root / "metro"
    wire.mkdir(exist_ok=True)
    metro.mkdir(exist_ok=True)
    lines = [
        record(
            "wire.example",
            slug,
            title,
            words,
            days,
            "Dredging resumed." if edited and slug == "harbour" else "",
        )
        for slug, title, words, days in WIRE
    ]
    (wire / "wire.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    copied = [w for w in WIRE if w[0] in COPIED]
    lines = [record("metro.example", s, t, w, d) for s, t, w, d in METRO_OWN + copied]
    (metro / "metro.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (metro / "empty.txt").write_text("", encoding="utf-8")
    path = root / "sources.toml"
    path.write_text(
        f"""
[fetch]
allow_private_addresses = true
host_delay = 0
retries = 0
[[sources]]
name = "wire"
kind = "files"
path = "wire"
[[sources]]
name = "metro"
kind = "files"
path = "metro"
[[sources]]
name = "local-feed"
kind = "feed"
url = "{server.url("/rss.xml")}"
""",
        encoding="utf-8",
    )
    return path


FEED_TOPICS = ("stadium", "hospital", "airport")


def page(topic: str) -> bytes:
    paragraphs = "".join(
        f"<p>The {topic} project moved ahead on day {i}. {prose(topic + str(i), 3)}</p>"
        for i in range(8)
    )
    return (
        f"<html><head><title>New {topic} plans approved</title></head><body>"
        f"<nav>Home | Local</nav><article><h1>New {topic} plans approved</h1>{paragraphs}"
        "</article><footer>Contact</footer></body></html>"
    ).encode()


def serve_site(server: LocalServer) -> None:
    items = (
        "".join(
            f"<item><title>New {t} plans approved</title><link>{server.url('/news/' + t)}</link>"
            f"<guid>{t}</guid><pubDate>Wed, 06 Mar 2024 10:00:00 +0000</pubDate></item>"
            for t in FEED_TOPICS
        )
        + f"<item><title>Broken</title><link>{server.url('/news/broken')}</link></item>"
    )
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>{items}</channel></rss>'
    server.route("/rss.xml", conditional(feed.encode(), '"feed-1"', "application/rss+xml"))
    server.route("/robots.txt", Response(body=b"User-agent: *\n", content_type="text/plain"))
    server.route("/news/broken", Response(status=500, body=b"oops"))
    for topic in FEED_TOPICS:
        server.route(f"/news/{topic}", conditional(page(topic), f'"{topic}-1"', "text/html"))


def one(db: Path, sql: str) -> tuple[Any, ...]:
    """The single row of a query on a database file (opened read-only)."""
    rows = query(db, sql)
    assert len(rows) == 1, rows
    return rows[0]


def build(root: Path) -> Path:
    """Two runs of the flow over the generated sources; returns the database path."""
    db = root / "news.duckdb"
    with LocalServer() as server:
        serve_site(server)
        first = run(write_sources(root, server, edited=False), db)
        assert first.status == "completed", first
        second = run(write_sources(root, server, edited=True), db)
        assert second.status == "completed", second
    return db


@pytest.fixture(scope="session")
def analyst_db(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Path:
    """The shared analyst warehouse (do not write to it: copy it first)."""
    if "db" not in _BUILT:
        _BUILT["db"] = build(tmp_path_factory.mktemp("analyst"))
    return _BUILT["db"]
