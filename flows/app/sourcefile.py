"""``news-ingest init`` and ``news-ingest check``: start a sources file, validate it, list it.

``init`` writes a commented sources file (every section, an example of every
kind) at the default place or the one given, with a source for each
``--feed``/``--sitemap``/``--site``/``--urls``/``--files`` given; it never
overwrites a file unless told to. ``check`` reads the file as a run would
(every source built, every path checked) and prints its sources; with
``--list`` it also lists what a run would read or fetch
(:mod:`flows.pipeline.listing`), one ``source<TAB>what<TAB>location`` line each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from flows.app.options import format_option, load_sources, sources_option
from flows.app.output import emit, print_json, print_rows, stdout_console
from flows.errors import UsageError
from flows.pipeline.config import Settings, SourceConfig, format_interval, load_settings
from flows.pipeline.listing import Listed, list_sources
from flows.pipeline.paths import SOURCES_VARIABLE, Origin, locate_sources
from flows.pipeline.sources import build_source
from news_ingest.errors import ExitCode

__all__ = ["add_commands", "describe_source", "render_template"]

_KINDS = ("feed", "sitemap", "site", "urls", "files")  # what init can add, by option


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register init and check on the CLI's subcommand parser."""
    init = commands.add_parser("init", help="write a commented sources file to start from")
    init.add_argument(
        "path",
        nargs="?",
        type=Path,
        help=f"where to write it (default: ${SOURCES_VARIABLE}, else the per-user default)",
    )
    for kind in _KINDS:
        init.add_argument(
            f"--{kind}",
            action="append",
            default=[],
            metavar="DIR" if kind == "files" else "FILE" if kind == "urls" else "URL",
            help=f"add a {kind!r} source (repeatable)",
        )
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(handler=_init)

    check = commands.add_parser(
        "check", help="validate the sources file; --list shows what a run would fetch"
    )
    sources_option(check)
    check.add_argument(
        "--source", action="append", dest="sources_selected", metavar="NAME",
        help="only this source (repeatable); default: every enabled source",
    )  # fmt: skip
    check.add_argument(
        "--list",
        action="store_true",
        help="list every file a run would read and URL it would fetch (reads feeds and "
        "sitemaps, fetches no article page)",
    )
    format_option(check, "table", "json")
    check.set_defaults(handler=_check)


# ------------------------------------------------------------------------------------- init


def _init(args: argparse.Namespace) -> int:
    located = locate_sources(args.path)
    target = located.path
    if target.exists() and not args.force:
        raise UsageError(f"{target} exists; give --force to overwrite it, or another path")
    entries = _entries(args, base=target.parent)
    text = render_template(entries)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    try:
        settings = load_settings(temporary)
        for config in settings.sources:
            build_source(config)
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)
    if not args.quiet:
        print(_next_steps(target, located.origin, len(entries)))
    return ExitCode.OK


def render_template(entries: Sequence[str]) -> str:
    """The commented sources file with ``entries`` (``[[sources]]`` tables) filled in."""
    template = (resources.files("flows.app") / "sources_template.toml").read_text("utf-8")
    return template.replace("{sources}", "".join(entry + "\n" for entry in entries))


def _entries(args: argparse.Namespace, *, base: Path) -> list[str]:
    names: set[str] = set()
    entries = []
    for kind in _KINDS:
        for value in getattr(args, kind):
            name = _unique(_name_for(kind, value), names)
            entries.append(_entry(name, kind, value, base))
    return entries


def _entry(name: str, kind: str, value: str, base: Path) -> str:
    lines = ["[[sources]]", f"name = {json.dumps(name)}", f"kind = {json.dumps(kind)}"]
    if kind in ("files", "urls"):
        path = Path(value).expanduser().absolute()
        lines.append(f"path = {json.dumps(_relative(path, base))}")
    else:
        lines += [f"url = {json.dumps(value)}", 'interval = "1h"']
    return "\n".join(lines) + "\n"


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base.absolute()))
    except ValueError:
        return str(path)


def _name_for(kind: str, value: str) -> str:
    if kind in ("files", "urls"):
        stem = Path(value).expanduser().absolute().stem
    else:
        stem = (urlsplit(value).hostname or kind).removeprefix("www.")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")[:60]
    return name or kind


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    taken.add(candidate)
    return candidate


def _next_steps(target: Path, origin: Origin, sources: int) -> str:
    found = f"with {sources} source(s)" if sources else "with examples to uncomment"
    where = "" if origin is Origin.DEFAULT else f" --sources {target}"
    lines = [f"wrote {target} {found}"]
    if origin is Origin.OPTION:
        lines.append(f"  use it with --sources {target}, or: export {SOURCES_VARIABLE}={target}")
    lines.append(f"  next: news-ingest check{where} --list, then news-ingest run{where}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ check


def _check(args: argparse.Namespace) -> int:
    settings = load_sources(args.sources)
    selected = settings.select(args.sources_selected)
    for config in selected:
        build_source(config)  # paths, URLs and kinds: what a run would refuse
    listed = asyncio.run(_collect(settings, selected)) if args.list else None
    if args.fmt == "json":
        print_json(_as_json(settings, selected, listed))
    elif listed is None:
        if not args.quiet:
            _print_sources(settings, selected)
    else:  # standard output holds the list alone, ready for cut and grep
        if not args.quiet:
            print(_validity(settings), file=sys.stderr)
        for item in listed:
            _print_listed(item)
    return ExitCode.OK


async def _collect(settings: Settings, selected: Sequence[SourceConfig]) -> list[Listed]:
    return [item async for item in list_sources(settings, selected)]


def describe_source(config: SourceConfig) -> dict[str, object]:
    """A source's kind, what it reads, its schedule and whether it is enabled, as data."""
    reads: list[str] = [str(config.path)] if config.path else list(config.paths)
    reads += [config.url] if config.url else []
    reads += list(config.urls)
    schedule = None
    if config.schedule:
        schedule = f"cron {config.schedule}"
    elif config.interval:
        schedule = f"every {format_interval(config.interval)}"
    return {
        "name": config.name,
        "kind": config.kind.value,
        "reads": reads,
        "schedule": schedule,
        "enabled": config.enabled,
    }


def _print_sources(settings: Settings, selected: Sequence[SourceConfig]) -> None:
    console = stdout_console()
    emit(console, _validity(settings))
    rows = []
    for config in selected:
        info = describe_source(config)
        reads = info["reads"]
        assert isinstance(reads, list)
        yes = "yes" if config.enabled else "no (named with --source)"
        schedule = info["schedule"] or "none (run only)"
        rows.append((config.name, config.kind.value, "\n".join(reads), schedule, yes))
    print_rows(("source", "kind", "reads", "schedule", "enabled"), rows, console)


def _validity(settings: Settings) -> str:
    enabled = sum(s.enabled for s in settings.sources)
    return f"{settings.path}: valid; {len(settings.sources)} source(s), {enabled} enabled"


def _print_listed(item: Listed) -> None:
    if item.what == "rejected":
        print(f"news-ingest: {item.source}: {item.location}: {item.detail}", file=sys.stderr)
        return
    print(f"{item.source}\t{item.what}\t{item.location}")


def _as_json(
    settings: Settings, selected: Sequence[SourceConfig], listed: list[Listed] | None
) -> dict[str, object]:
    data: dict[str, object] = {
        "sources_file": str(settings.path),
        "valid": True,
        "sources": [describe_source(c) for c in selected],
    }
    if listed is not None:
        data["listed"] = listed
    return data
