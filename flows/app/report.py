"""``news-ingest report``: one self-contained HTML page of charts about the warehouse.

The page carries its data as JSON and a small script of our own that draws
the charts as inline SVG: no network request, no library, so it opens from
a mail attachment or an air-gapped machine. Charts: articles per day per
source, top stories by number of sources, source health, run history.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict
from functools import cache
from importlib import resources
from pathlib import Path

from warehouse.summaries import ReportData

__all__ = ["render_html", "write_report"]


def render_html(data: ReportData) -> str:
    """The complete page: styles, data and drawing script inline."""
    payload = json.dumps(asdict(data), ensure_ascii=False)
    # JSON inside <script>: "<" escaped so no "</script>" in a title can end the element.
    payload = payload.replace("<", "\\u003c").replace("\u2028", "\\u2028")
    empty = data.totals["articles"] == 0
    banner = (
        '<p class="banner" id="empty-banner">This warehouse has no articles yet: run '
        "<code>news-ingest run</code>, then make the report again.</p>"
        if empty
        else ""
    )
    title = f"news-ingest report: {html.escape(Path(data.database).name)}"
    return _asset("report.html").format(
        title=title,
        database=html.escape(data.database),
        generated=html.escape(data.generated_at),
        banner=banner,
        articles=data.totals["articles"],
        stories=data.totals["stories"],
        sources=data.totals["sources"],
        runs=data.totals["runs"],
        payload=payload,
        style=_asset("report.css"),
        script=_asset("report.js"),
    )


def write_report(data: ReportData, out: Path) -> None:
    """Write the page for ``data`` to ``out`` (through a temporary file, so never half)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(render_html(data), encoding="utf-8")
    tmp.replace(out)


@cache
def _asset(name: str) -> str:
    """One of the page's parts, shipped beside this module: report.html, .css or .js."""
    return resources.files("flows.app").joinpath(name).read_text(encoding="utf-8")
