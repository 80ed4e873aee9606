"""The HTML report: self-contained, and its charts render in a real headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from flows.app.cli import main
from flows.app.report import render_html
from tests.analyst_data import analyst_db, one  # noqa: F401 (fixture)
from warehouse.connection import connect
from warehouse.summaries import ReportData

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _Elements(HTMLParser):
    """Tags with their attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.items.append((tag, {k: v or "" for k, v in attrs}))


def elements(markup: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(markup)
    return parser.items


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: scripts/ensure-chromium.sh installs it")
        pytest.skip("chromium not installed (scripts/ensure-chromium.sh installs it)")
    return found


def render(page: Path, tmp_path: Path, screenshot: Path) -> str:
    """The DOM after the page's scripts ran, and a screenshot of it."""
    binary = chromium()
    base = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    url = page.resolve().as_uri()
    subprocess.run(
        [*base, f"--screenshot={screenshot}", "--window-size=1280,2400", url],
        check=True,
        capture_output=True,
        timeout=120,
    )
    done = subprocess.run(
        [*base, "--dump-dom", url], check=True, capture_output=True, text=True, timeout=120
    )
    return done.stdout


def points(dom: str, chart: str) -> list[dict[str, str]]:
    """Data points drawn inside one chart's container."""
    inside, found, depth = False, [], 0
    for tag, attrs in elements(dom):
        if tag == "div" and attrs.get("id") == chart:
            inside, depth = True, 0
            continue
        if inside and tag == "div" and attrs.get("class") == "chart":
            break  # the next chart
        if inside and "point" in attrs.get("class", "").split():
            found.append(attrs)
        depth += 1
    return found


def make_report(db: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["report", "--db", str(db), "--out", str(out)]) == 0
    return capsys.readouterr().err


def test_report_is_self_contained(
    analyst_db: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "report.html"
    make_report(analyst_db, out, capsys)
    page = out.read_text(encoding="utf-8")
    # No network assets: nothing loaded from anywhere, and the CSP forbids it anyway.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "default-src 'none'" in page
    for tag, attrs in elements(page):
        assert tag != "link" and not (tag == "script" and "src" in attrs)


@pytest.mark.slow
def test_report_renders_its_charts_in_headless_chromium(
    analyst_db: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "report.html"
    make_report(analyst_db, out, capsys)
    screenshot = tmp_path / "report.png"

    dom = render(out, tmp_path, screenshot)

    print(f"report screenshot: {screenshot}")
    assert screenshot.stat().st_size > 10_000
    body = next(attrs for tag, attrs in elements(dom) if tag == "body")
    assert body.get("data-rendered") == "true", body.get("data-error")
    daily = one(analyst_db, "SELECT count(*) FROM daily_counts WHERE articles > 0")
    sources = one(analyst_db, "SELECT count(*) FROM source_health")
    runs = one(analyst_db, "SELECT count(*) FROM runs")
    top = one(analyst_db, "SELECT max(source_count) FROM stories")
    assert len(points(dom, "chart-daily")) == daily[0]
    story_points = points(dom, "chart-stories")
    assert story_points and max(int(p["data-value"]) for p in story_points) == top[0] == 2
    health = points(dom, "chart-health")
    assert len(health) == 2 * sources[0]  # error rate and not-modified rate per source
    assert {p["data-source"] for p in health} == {"wire", "metro", "local-feed"}
    feed_errors = [
        p for p in health if p["data-source"] == "local-feed" and p["data-metric"] == "error_rate"
    ]
    assert 0 < float(feed_errors[0]["data-value"]) < 1  # the 500 among the feed's fetches
    run_parts = points(dom, "chart-runs")
    assert len({p["data-run"] for p in run_parts}) == runs[0] == 2


@pytest.mark.slow
def test_report_over_zero_articles_renders_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "empty.duckdb"
    with connect(db):
        pass  # migrated, no run yet
    out = tmp_path / "empty.html"
    err = make_report(db, out, capsys)
    assert "no articles yet" in err

    dom = render(out, tmp_path, tmp_path / "empty.png")

    print(f"empty report screenshot: {tmp_path / 'empty.png'}")
    body = next(attrs for tag, attrs in elements(dom) if tag == "body")
    assert body.get("data-rendered") == "true", body.get("data-error")
    assert "This warehouse has no articles yet" in dom
    empties = [a for t, a in elements(dom) if t == "svg" and a.get("data-empty") == "true"]
    assert len(empties) == 4
    assert all(points(dom, chart) == [] for chart in ("chart-daily", "chart-runs"))


def test_hostile_titles_cannot_break_out_of_the_data_block() -> None:
    data = ReportData(
        database="x.duckdb",
        generated_at="now",
        totals={"articles": 1, "stories": 1, "sources": 1, "runs": 0},
        daily=[],
        stories=[
            {
                "story_id": 1,
                "title": "</script><script>alert(1)</script>\u2028",
                "sources": 1,
                "articles": 1,
                "names": ["<b>x</b>"],
            }
        ],
        health=[],
        runs=[],
    )
    page = render_html(data)
    assert "alert(1)</script>" not in page and "<b>x</b>" not in page
    assert page.count("<script") == 2  # the data block and our script, nothing injected
