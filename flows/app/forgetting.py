"""``news-ingest reset SOURCE`` and ``news-ingest drop SOURCE``, with a confirmation.

Both say what they would change (row counts, :mod:`warehouse.maintenance`)
before changing anything. ``drop`` asks for the source's name to be typed
back, ``reset`` for a yes; ``--yes`` answers for a script, and without a
terminal to ask on, the command refuses rather than guess. ``--dry-run`` only
says. The change itself is :mod:`flows.pipeline.forget`'s.
"""

from __future__ import annotations

import argparse
import sys

from flows.app.options import db_option, format_option, lake_option, named_lake
from flows.app.output import print_json
from flows.errors import UsageError
from flows.pipeline import forget
from flows.pipeline.paths import existing_database
from news_ingest.errors import ExitCode
from warehouse.connection import LockWait
from warehouse.maintenance import DropPlan, ResetPlan

__all__ = ["add_commands", "describe_drop", "describe_reset"]

LOCK_WAIT = 600.0  # seconds to wait for a run that holds the warehouse


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register reset and drop on the CLI's subcommand parser."""
    reset = commands.add_parser(
        "reset",
        help="forget one source's fetch state (validators, checkpoints, freshness); keep its data",
    )
    drop = commands.add_parser(
        "drop", help="delete everything one source brought in (articles, versions, logs, state)"
    )
    for command in (reset, drop):
        command.add_argument("source", metavar="SOURCE", help="the source's name")
        db_option(command)
        command.add_argument("-y", "--yes", action="store_true", help="do not ask to confirm")
        command.add_argument(
            "--dry-run", action="store_true", help="say what would change; change nothing"
        )
        format_option(command, "table", "json")
    lake_option(reset)
    lake_option(drop)
    reset.set_defaults(handler=_reset)
    drop.set_defaults(handler=_drop)


def _reset(args: argparse.Namespace) -> int:
    def confirm(plan: ResetPlan) -> bool:
        yes = {"y", "Y", "yes", "Yes", "YES"}
        return _confirm(args, plan, describe_reset(plan), "Reset it? [y/N] ", yes)

    lake = named_lake(args)
    if lake is not None:
        done = forget.reset_lake(lake, args.source, confirm=confirm)
    else:
        done = forget.reset(existing_database(args.db), args.source, confirm=confirm, wait=_wait())
    return _finish(args, done, f"reset source {args.source!r}")


def _drop(args: argparse.Namespace) -> int:
    def confirm(plan: DropPlan) -> bool:
        prompt = f"Type the source's name ({args.source}) to drop it: "
        return _confirm(args, plan, describe_drop(plan), prompt, {args.source})

    lake = named_lake(args)
    if lake is None:
        done = forget.drop(existing_database(args.db), args.source, confirm=confirm, wait=_wait())
        return _finish(args, done, f"dropped source {args.source!r}")
    on_lake = forget.drop_lake(lake, args.source, confirm=confirm)
    if on_lake is None:
        return _finish(args, None, "")
    resumed = " (finished the drop a stopped drop had left pending)" if on_lake.resumed else ""
    return _finish(args, on_lake.plan, f"dropped source {args.source!r}{resumed}")


def describe_drop(plan: DropPlan) -> str:
    """What dropping the source deletes, in words."""
    kept = (
        f"; {plan.articles_kept} article(s) other sources delivered too keep their versions"
        if plan.articles_kept
        else ""
    )
    return (
        f"dropping source {plan.source!r} deletes {plan.articles_deleted} article(s) with their "
        f"URL aliases, story and search index entries, {plan.versions} version(s) in all{kept}; "
        f"and its {plan.rejects} reject(s), {plan.fetch_log} fetch log row(s), "
        f"{plan.url_state} URL state(s), {plan.checkpoints} checkpoint(s) and "
        f"{plan.run_sources} run summary row(s)"
    )


def describe_reset(plan: ResetPlan) -> str:
    """What resetting the source forgets, in words."""
    return (
        f"resetting source {plan.source!r} forgets {plan.url_state} URL state(s) (validators "
        f"and raw hashes: the next run fetches and cleans every page again, storing a version "
        f"only where the text changed), {plan.checkpoints} checkpoint(s) (local files are read "
        f"again) and its freshness state ({plan.source_state} row); its articles stay"
    )


def _confirm(
    args: argparse.Namespace,
    plan: DropPlan | ResetPlan,
    description: str,
    prompt: str,
    accepted: set[str],
) -> bool:
    if args.fmt == "json":
        print_json({"dry_run": args.dry_run, "plan": plan})
    elif not args.quiet or not (args.yes or args.dry_run):
        print(description)
    if args.dry_run:
        return False
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError(
            f"{args.command} asks for confirmation and there is no terminal to ask on: "
            "add --yes (or --dry-run to see what it would change)"
        )
    return input(prompt).strip() in accepted


def _finish(args: argparse.Namespace, done: DropPlan | ResetPlan | None, what: str) -> int:
    if done is None:
        if not args.dry_run:
            print("nothing changed", file=sys.stderr)
            return ExitCode.FAILED
        if args.fmt != "json" and not args.quiet:
            print("nothing changed (--dry-run)", file=sys.stderr)
        return ExitCode.OK
    if not args.quiet and args.fmt != "json":
        print(what)
    return ExitCode.OK


def _wait() -> LockWait:
    return LockWait(timeout=LOCK_WAIT, notify=lambda m: print(f"news-ingest: {m}", file=sys.stderr))
