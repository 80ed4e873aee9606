"""How much the command line says: ``-q``, the default, ``-v`` and ``-vv``.

=========  ============================  =================================================
level      news-ingest's own log         Prefect's log (``PREFECT_LOGGING_LEVEL``)
=========  ============================  =================================================
``-q``     errors                        errors
default    warnings                      warnings (no "Beginning flow run", links, states)
``-v``     info (progress, decisions)    info: flow and task runs, UI links and states
``-vv``    debug, each API request       debug
=========  ============================  =================================================

Prefect reads its logging level when it is first imported, so this runs before
any command imports it. A ``PREFECT_LOGGING_LEVEL`` already set in the
environment is kept unless ``-q`` or ``-v`` asks otherwise.
"""

from __future__ import annotations

import logging
import os

__all__ = ["configure"]

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(verbose: int, *, quiet: bool) -> None:
    """Set this process's log levels (and Prefect's, before it is imported)."""
    level = _level(verbose, quiet=quiet)
    prefect_level = logging.getLevelName(level)
    if quiet or verbose:
        os.environ["PREFECT_LOGGING_LEVEL"] = prefect_level
    else:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", prefect_level)
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    logging.basicConfig(level=level, format=_FORMAT)
    # httpx logs every request to Prefect's API at INFO: only -vv wants that.
    logging.getLogger("httpx").setLevel(level if verbose >= 2 else max(level, logging.WARNING))


def _level(verbose: int, *, quiet: bool) -> int:
    if quiet:
        return logging.ERROR
    if verbose >= 2:
        return logging.DEBUG
    return logging.INFO if verbose == 1 else logging.WARNING
