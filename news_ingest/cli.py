"""The ``news-ingest`` console script: check the installation, then run the command line.

The project's working packages have generic names (``flows``, ``connectors``,
``warehouse``: the layout the design fixes). Another installed package, or a
folder of that name earlier on ``sys.path``, could shadow one of them, and the
command would then fail somewhere deep or, worse, run someone else's code.
So before anything is imported, each of them must be found beside this
package (the same folder: the checkout of an editable install, or the
environment's site-packages); if one is not, the command stops with one line
that says which and where it was found instead.
"""

from __future__ import annotations

import sys
from importlib.util import find_spec
from pathlib import Path

from news_ingest.errors import ExitCode

__all__ = ["PACKAGES", "foreign_packages", "main"]

PACKAGES = ("flows", "connectors", "warehouse")


def foreign_packages() -> dict[str, str]:
    """Each working package found somewhere other than beside news_ingest: name -> where."""
    home = Path(__file__).resolve().parent.parent
    found = {}
    for name in PACKAGES:
        spec = find_spec(name)
        origin = spec.origin if spec is not None else None
        if origin is None or Path(origin).resolve().parent != home / name:
            found[name] = origin or "not found"
    return found


def main() -> int:
    """Entry point of the console script."""
    foreign = foreign_packages()
    if foreign:
        where = "; ".join(f"'{name}' is {origin}" for name, origin in foreign.items())
        print(
            f"news-ingest: another package shadows this project's own ({where}; expected "
            f"beside {Path(__file__).resolve().parent}): run news-ingest from its own "
            "virtual environment (make setup, or pipx install) and not from a folder that "
            "holds a package of that name",
            file=sys.stderr,
        )
        return ExitCode.FAILED
    from flows.app.cli import main as run_command_line  # noqa: PLC0415 (checked first)

    return run_command_line()
