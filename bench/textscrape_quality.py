"""Quality of ``flows.extract.textscrape`` on text scrapes rendered from real saved news pages.

Each page ``<cc>/<Publisher>_<date>.html.gz`` of the fundus corpus is rendered
to the text a reader gets by copying the visible page (script, style,
noscript, template and hidden elements dropped; block elements separated by
blank lines, inline elements joined) and cleaned with
:func:`flows.extract.textscrape.clean_text_scrape`. The result is compared with the
per-publisher reference ``<cc>/<Publisher>.json`` (fundus's own parser
output): title match, whether the text starts at the reference lead, chrome
leakage, paragraph recall and date accuracy. Figures are printed overall and
per language; ``--out`` writes them, with one row per page, as JSON.

Usage::

    .venv/bin/python -m bench.textscrape_quality --corpus /work/shared/corpus/fundus \
        [--mode blank|innertext] [--out FILE.json] [--show N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import lxml.html

from connectors.text.charset import decode_html
from flows.extract.textscrape import TextScrape, clean_text_scrape

# --------------------------------------------------------------------------- rendering

_DROP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "meta",
        "link",
        "svg",
        "canvas",
        "iframe",
        "object",
        "embed",
        "video",
        "audio",
        "picture",
        "img",
        "source",
        "select",
        "option",
        "input",
        "textarea",
        "map",
    }
)
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tr",
        "ul",
        "caption",
        "tbody",
        "thead",
        "tfoot",
    }
)
_CELL_TAGS = frozenset({"td", "th"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_WS = re.compile(r"[ \t\r\n\f\u00a0\u200b]+")


def _hidden(el: Any) -> bool:
    if el.get("hidden") is not None:
        return True
    if (el.get("type") or "").lower() == "hidden":
        return True
    return bool(_HIDDEN_STYLE.search(el.get("style") or ""))


def render_text_scrape(html: str, *, mode: str = "blank") -> str:
    """Render a page to the visible text a reader would copy (innerText-like)."""
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    out: list[str | int] = []  # strings of inline text, ints are required line breaks

    def brk(n: int) -> None:
        out.append(n)

    def walk(el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag or tag.lower() in _DROP_TAGS or _hidden(el):
            if el.tail:
                out.append(el.tail)
            return
        tag = tag.lower()
        if tag in _BLOCK_TAGS:
            need = 2 if mode == "blank" or tag in {"p", "h1", "h2", "h3", "h4", "h5", "h6"} else 1
            brk(need)
        elif tag == "br":
            brk(1)
        elif tag in _CELL_TAGS:
            out.append("\t")
        if el.text:
            out.append(el.text)
        for child in el:
            walk(child)
        if tag in _BLOCK_TAGS:
            brk(2 if mode == "blank" or tag in {"p", "h1", "h2", "h3", "h4", "h5", "h6"} else 1)
        if el.tail:
            out.append(el.tail)

    walk(root)
    return _join(out)


def _join(items: list[str | int]) -> str:
    lines: list[str] = []
    current: list[str] = []
    pending = 0
    for item in items:
        if isinstance(item, int):
            line = _WS.sub(" ", "".join(current)).strip()
            current = []
            if line:
                if lines:
                    lines.extend([""] * (max(pending, 1) - 1))
                lines.append(line)
                pending = item
            else:
                pending = max(pending, item)
            continue
        current.append(item)
    line = _WS.sub(" ", "".join(current)).strip()
    if line:
        if lines:
            lines.extend([""] * (max(pending, 1) - 1))
        lines.append(line)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- reference


@dataclass(frozen=True, slots=True)
class Reference:
    """What fundus's per-publisher parser extracted from one page."""

    title: str | None
    summary: tuple[str, ...]
    paragraphs: tuple[str, ...]
    headlines: tuple[str, ...]
    published: datetime | None
    authors: tuple[str, ...]


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", name))


def load_pages(corpus: Path) -> list[tuple[str, Path, str, Reference]]:
    """(language folder, page path, url, reference) for every page of the corpus."""
    pages = []
    for ref_path in sorted(corpus.glob("*/*.json")):
        cc = ref_path.parent.name
        publisher = ref_path.stem
        meta = json.loads((ref_path.parent / "meta.info").read_text())
        versions = json.loads(ref_path.read_text())
        htmls = sorted(ref_path.parent.glob(f"{publisher}_*.html.gz"))
        keys = sorted(versions, key=_version_key)
        for html_path, key in zip(htmls, keys, strict=True):
            pages.append(
                (cc, html_path, meta.get(html_path.name, {}).get("url", ""), _ref(versions[key]))
            )
    return pages


def _ref(raw: dict[str, Any]) -> Reference:
    body = raw.get("body") or {}
    paragraphs: list[str] = []
    headlines: list[str] = []
    for section in body.get("sections") or []:
        headlines.extend(section.get("headline") or [])
        paragraphs.extend(section.get("paragraphs") or [])
    published = None
    if raw.get("publishing_date"):
        try:
            published = datetime.fromisoformat(raw["publishing_date"])
        except ValueError:
            published = None
    return Reference(
        title=raw.get("title"),
        summary=tuple(body.get("summary") or ()),
        paragraphs=tuple(p for p in paragraphs if p.strip()),
        headlines=tuple(headlines),
        published=published,
        authors=tuple(raw.get("authors") or ()),
    )


# --------------------------------------------------------------------------- scoring

_PUNCT_SPACE = re.compile(r"\s+([,.;:!?»”])")


def norm(text: str) -> str:
    """Comparable form: NFKC, casefolded, quotes unified, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text.replace("\u00ad", "")).casefold()
    text = re.sub(r"[\u2018\u2019\u201a\u201b´`]", "'", text)
    text = re.sub(r"[\u201c\u201d\u201e\u201f«»]", '"', text)
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    text = _WS.sub(" ", text).strip()
    return _PUNCT_SPACE.sub(r"\1", text)


@dataclass(slots=True)
class PageResult:
    """Scores of one page."""

    cc: str
    page: str
    url: str
    title_ref: str | None
    title_got: str | None
    title: str  # exact | normalised | none | wrong | no_ref
    lead: str  # ok | description | wrong | empty | no_ref
    lead_ref: str
    lead_got: str
    recall: float | None
    leak_lines: int
    out_lines: int
    leaked: list[str] = field(default_factory=list)
    date: str = "none"  # correct | none | wrong | no_ref_none | no_ref_wrong
    date_got: str | None = None
    date_ref: str | None = None
    authors_got: list[str] = field(default_factory=list)
    authors_ref: list[str] = field(default_factory=list)
    description_ok: str = "none"  # match | none | wrong
    lead_failure: str = ""  # why the lead is wrong: see _lead_failure
    authors_precise: bool | None = None  # every author found is a reference author
    title_visible: bool = False  # the reference title is a line of the scrape
    lead_visible: bool = False  # the reference lead is in the scrape at all
    seconds: float = 0.0


def _score_title(ref: str | None, got: str | None) -> str:
    if not ref:
        return "no_ref"
    if got is None:
        return "none"
    if got.strip() == ref.strip():
        return "exact"
    if norm(got) == norm(ref):
        return "normalised"
    a, b = _tokens(got), _tokens(ref)
    if a and b and len(a & b) / min(len(a), len(b)) >= 0.6:
        return "variant"  # the page's display headline vs the reference's SEO title, kickers
    return "wrong"


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"\w+", norm(text)))


def _starts_with(text: str, candidate: str) -> bool:
    a, b = norm(text), norm(candidate)
    if not b:
        return False
    probe = b[: min(len(b), 80)]
    return a.startswith(probe)


def _score_lead(ref: Reference, got: TextScrape) -> str:
    leads = [s for s in (*ref.summary[:1], *ref.paragraphs[:1]) if s.strip()]
    if not leads:
        return "no_ref"
    if not got.text.strip():
        return "empty"
    if any(_starts_with(got.text, lead) for lead in leads):
        return "ok"
    if ref.paragraphs and got.description and _starts_with(got.description, ref.paragraphs[0]):
        return "description"
    return "wrong"


def _lead_failure(ref: Reference, got: TextScrape, *, visible: bool) -> str:
    """Failure category of a wrong lead."""
    leads = [s for s in (*ref.summary[:1], *ref.paragraphs[:1]) if s.strip()]
    if not visible:
        return "lead_not_in_scrape"  # page renders the article with JavaScript, or hides it
    probe = norm(leads[0])[:80]
    if probe in norm(got.text):
        return "extra_text_before_lead"  # captions, teasers or notices kept above the lead
    if got.description and probe in norm(got.description):
        return "lead_taken_as_description"
    if any(probe in norm(line) for line, _ in got.dropped):
        return "lead_dropped"  # taken for a caption, header line or trailing teaser
    return "other_region"  # another block of prose won


def _authors_precise(ref: Reference, got: TextScrape) -> bool | None:
    if not got.authors:
        return None
    known = {norm(a) for a in ref.authors}
    return all(norm(a) in known for a in got.authors)


def _ref_blob(ref: Reference) -> str:
    parts = [ref.title or "", *ref.summary, *ref.headlines, *ref.paragraphs]
    return " \n ".join(norm(p) for p in parts)


def _leaks(ref: Reference, got: TextScrape) -> tuple[list[str], int]:
    blob = _ref_blob(ref)
    lines = [ln for ln in got.text.split("\n") if ln.strip()]
    leaked = [ln for ln in lines if norm(ln) not in blob]
    return leaked, len(lines)


def _recall(ref: Reference, got: TextScrape) -> float | None:
    paras = [p for p in ref.paragraphs if len(p.strip()) > 1]
    if not paras:
        return None
    text = norm(got.text)
    found = sum(1 for p in paras if norm(p)[:200] in text)
    return found / len(paras)


def _score_date(ref: Reference, got: TextScrape) -> str:
    if got.published_at is None:
        return "none" if ref.published else "no_ref_none"
    if ref.published is None:
        return "no_ref_wrong"
    mine = got.published_at
    days: set[date] = {ref.published.date()}
    if ref.published.tzinfo is not None:
        days.add(ref.published.astimezone(UTC).date())
    return "correct" if mine.date() in days else "wrong"


def _score_description(ref: Reference, got: TextScrape) -> str:
    if got.description is None:
        return "none"
    desc = norm(got.description)
    candidates = [norm(s) for s in ref.summary]
    if any(c and (c.startswith(desc[:60]) or desc.startswith(c[:60])) for c in candidates):
        return "match"
    return "wrong"


def read_page(path: Path) -> str:
    """Decode a saved page; fundus stored pages re-encoded as UTF-8 whatever their meta says."""
    body = gzip.decompress(path.read_bytes())
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return decode_html(body)[0]


def score_page(
    cc: str, path: Path, url: str, ref: Reference, *, mode: str, use_url: bool = True
) -> PageResult:
    """Render, clean and score one page."""
    scrape = render_text_scrape(read_page(path), mode=mode)
    scrape_lines = {norm(ln) for ln in scrape.split("\n") if ln.strip()}
    scrape_norm = norm(scrape)
    start = time.perf_counter()
    got = clean_text_scrape(scrape, url=(url or None) if use_url else None)
    seconds = time.perf_counter() - start
    leaked, out_lines = _leaks(ref, got)
    leads = [s for s in (*ref.summary[:1], *ref.paragraphs[:1]) if s.strip()]
    lead = _score_lead(ref, got)
    lead_visible = bool(leads) and norm(leads[0])[:80] in scrape_norm
    return PageResult(
        cc=cc,
        page=path.name,
        url=url,
        title_ref=ref.title,
        title_got=got.title,
        title=_score_title(ref.title, got.title),
        lead=lead,
        lead_failure=_lead_failure(ref, got, visible=lead_visible)
        if lead in {"wrong", "empty"}
        else "",
        authors_precise=_authors_precise(ref, got),
        lead_ref=(leads[0][:120] if leads else ""),
        lead_got=got.text[:120],
        recall=_recall(ref, got),
        leak_lines=len(leaked),
        out_lines=out_lines,
        leaked=[ln[:100] for ln in leaked[:15]],
        date=_score_date(ref, got),
        date_got=got.published_at.isoformat() if got.published_at else None,
        date_ref=ref.published.isoformat() if ref.published else None,
        authors_got=list(got.authors),
        authors_ref=list(ref.authors),
        description_ok=_score_description(ref, got),
        title_visible=bool(ref.title) and norm(ref.title or "") in scrape_lines,
        lead_visible=lead_visible,
        seconds=seconds,
    )


def summarise(rows: list[PageResult]) -> dict[str, Any]:
    """Aggregate figures for a set of page results."""
    n = len(rows)
    if not n:
        return {"pages": 0}
    titles = Counter(r.title for r in rows)
    leads = Counter(r.lead for r in rows)
    dates = Counter(r.date for r in rows)
    with_title = n - titles["no_ref"]
    with_lead = n - leads["no_ref"]
    recalls = [r.recall for r in rows if r.recall is not None]
    out_lines = sum(r.out_lines for r in rows)
    leak_lines = sum(r.leak_lines for r in rows)
    dated = [r for r in rows if r.date_got is not None]
    visible_titles = [r for r in rows if r.title_visible]
    visible_leads = [r for r in rows if r.lead_visible]
    return {
        "pages": n,
        "title_exact": titles["exact"] / max(with_title, 1),
        "title_normalised": (titles["exact"] + titles["normalised"]) / max(with_title, 1),
        "title_none": titles["none"] / max(with_title, 1),
        "title_variant": titles["variant"] / max(with_title, 1),
        "title_wrong": titles["wrong"] / max(with_title, 1),
        "title_visible": len(visible_titles),
        "title_exact_when_visible": sum(1 for r in visible_titles if r.title == "exact")
        / max(len(visible_titles), 1),
        "title_wrong_when_visible": sum(1 for r in visible_titles if r.title == "wrong")
        / max(len(visible_titles), 1),
        "lead_ok": leads["ok"] / max(with_lead, 1),
        "lead_visible": len(visible_leads),
        "lead_ok_when_visible": sum(1 for r in visible_leads if r.lead == "ok")
        / max(len(visible_leads), 1),
        "lead_located_when_visible": sum(
            1 for r in visible_leads if r.lead in {"ok", "description"}
        )
        / max(len(visible_leads), 1),
        "lead_in_description": leads["description"] / max(with_lead, 1),
        "lead_wrong": leads["wrong"] / max(with_lead, 1),
        "lead_empty": leads["empty"] / max(with_lead, 1),
        "recall_mean": sum(recalls) / max(len(recalls), 1),
        "leak_line_rate": leak_lines / max(out_lines, 1),
        "pages_without_leak": sum(1 for r in rows if r.leak_lines == 0) / n,
        "date_correct": dates["correct"],
        "date_wrong": dates["wrong"] + dates["no_ref_wrong"],
        "date_none": dates["none"] + dates["no_ref_none"],
        "date_precision": dates["correct"] / max(len(dated), 1),
        "lead_failures": dict(Counter(r.lead_failure for r in rows if r.lead_failure)),
        "authors_found": sum(1 for r in rows if r.authors_precise is not None),
        "authors_precision": sum(1 for r in rows if r.authors_precise)
        / max(sum(1 for r in rows if r.authors_precise is not None), 1),
        "description_match": sum(1 for r in rows if r.description_ok == "match"),
        "description_wrong": sum(1 for r in rows if r.description_ok == "wrong"),
        "seconds_total": sum(r.seconds for r in rows),
    }


def _print_summary(name: str, s: dict[str, Any]) -> None:
    if not s.get("pages"):
        return
    print(
        f"{name:>8} n={s['pages']:3d} title={s['title_exact']:.2f}/{s['title_normalised']:.2f}"
        f" (none {s['title_none']:.2f}, variant {s['title_variant']:.2f},"
        f" wrong {s['title_wrong']:.2f})"
        f" [vis {s['title_exact_when_visible']:.2f}]"
        f" lead={s['lead_ok']:.2f} (wrong {s['lead_wrong']:.2f}, empty {s['lead_empty']:.2f})"
        f" [vis {s['lead_located_when_visible']:.2f}]"
        f" recall={s['recall_mean']:.2f} leak={s['leak_line_rate']:.2f}"
        f" clean={s['pages_without_leak']:.2f}"
        f" date ok/wrong/none={s['date_correct']}/{s['date_wrong']}/{s['date_none']}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print overall and per-language figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--mode", choices=["blank", "innertext"], default="blank")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--show", type=int, default=0, help="print N failures per category")
    parser.add_argument("--dump", type=Path, help="write each rendered scrape into this folder")
    parser.add_argument("--no-url", action="store_true", help="do not pass the page URL")
    args = parser.parse_args(argv)

    rows: list[PageResult] = []
    for cc, path, url, ref in load_pages(args.corpus):
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            (args.dump / f"{cc}_{path.name[:-8]}.txt").write_text(
                render_text_scrape(read_page(path), mode=args.mode)
            )
        rows.append(score_page(cc, path, url, ref, mode=args.mode, use_url=not args.no_url))

    overall = summarise(rows)
    by_cc: dict[str, list[PageResult]] = defaultdict(list)
    for r in rows:
        by_cc[r.cc].append(r)
    per_cc = {cc: summarise(rs) for cc, rs in sorted(by_cc.items())}
    for cc, s in per_cc.items():
        _print_summary(cc, s)
    _print_summary("ALL", overall)
    print(json.dumps(overall, indent=1))
    _print_failures(rows, args.show)
    if args.out:
        args.out.write_text(
            json.dumps(
                {
                    "mode": args.mode,
                    "url_passed": not args.no_url,
                    "overall": overall,
                    "per_language": per_cc,
                    "pages": [asdict(r) for r in rows],
                },
                indent=1,
                ensure_ascii=False,
            )
        )
    return 0


def _print_failures(rows: list[PageResult], show: int) -> None:
    if not show:
        return
    for r in [r for r in rows if r.title == "wrong" and r.title_visible][:show]:
        print(f"TITLE {r.cc}/{r.page}: got {r.title_got!r} want {r.title_ref!r}")
    for r in [r for r in rows if r.lead in {"wrong", "empty"} and r.lead_visible][:show]:
        print(f"LEAD {r.cc}/{r.page}: got {r.lead_got!r}\n      want {r.lead_ref!r}")
    for r in [r for r in rows if r.date in {"wrong", "no_ref_wrong"}][:show]:
        print(f"DATE {r.cc}/{r.page}: got {r.date_got} want {r.date_ref}")


if __name__ == "__main__":
    sys.exit(main())
