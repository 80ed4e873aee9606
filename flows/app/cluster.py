"""The command line's part of the Dask engine: ``--engine``/``--scheduler`` and ``worker``.

    news-ingest run|reextract|serve ... [--engine local|dask] [--scheduler ADDRESS]
    news-ingest worker --scheduler ADDRESS [--nthreads N] [--name NAME]

The options override the sources file's ``[pipeline] engine`` and
``scheduler``; with the Dask engine the cluster is checked before anything
starts (:func:`flows.pipeline.per_document.check_engine`). ``worker`` becomes
a ``dask worker`` set up for the project's extraction (not daemonic, one
process per machine, this installation's build): docs/scale-out.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from flows.pipeline.config import ENGINES, PipelineSettings, with_engine

__all__ = ["add_engine_options", "add_worker_command", "engine_of"]


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """``--engine`` and ``--scheduler``, for the commands that extract pages."""
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        help="where pages are extracted: local processes or a Dask cluster's workers "
        "(default: [pipeline] engine in the sources file, else local)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="the Dask scheduler, e.g. tcp://host:8786 (with --engine dask; default: "
        "[pipeline] scheduler)",
    )


def engine_of(pipeline: PipelineSettings, args: argparse.Namespace) -> PipelineSettings:
    """The settings with the options applied, the Dask cluster checked if it is the engine."""
    from flows.pipeline.per_document import check_engine  # noqa: PLC0415 (imports numpy)

    chosen = with_engine(pipeline, engine=args.engine, scheduler=args.scheduler)
    check_engine(chosen)  # one line if the cluster cannot be used, before Prefect starts
    return chosen


def add_worker_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``worker`` command: a Dask worker for the project's extraction."""
    command = commands.add_parser(
        "worker",
        help="run a Dask worker for the Dask engine's extraction on this machine",
    )
    command.add_argument("--scheduler", required=True, metavar="ADDRESS", help="tcp://host:8786")
    command.add_argument(
        "--nthreads",
        type=int,
        default=os.cpu_count() or 1,
        help="pages extracted at once, one process each (default: this machine's cores)",
    )
    command.add_argument("--name", help="the worker's name on the scheduler")
    command.set_defaults(handler=_worker)


def _worker(args: argparse.Namespace) -> int:
    from flows.extract.dask_pool import reach_scheduler  # noqa: PLC0415 (imports distributed)
    from flows.extract.dask_worker import local_build, worker_command  # noqa: PLC0415

    asyncio.run(reach_scheduler(args.scheduler))  # one line if it does not answer
    command, env = worker_command(args.scheduler, threads=max(1, args.nthreads), name=args.name)
    print(
        f"news-ingest worker: {max(1, args.nthreads)} extraction process(es) for "
        f"{args.scheduler}, build {local_build().digest}",
        file=sys.stderr,
        flush=True,
    )
    os.execve(command[0], command, env)  # noqa: S606 (becomes the dask worker: signals reach it)
