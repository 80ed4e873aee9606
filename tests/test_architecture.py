"""The import rules of docs/architecture.md, checked over every module's source.

Each rule names who may import what. Every import counts: at the top of a
module, inside a function (the CLI defers slow imports) and under
``TYPE_CHECKING``; a rule broken anywhere fails here with the module, the
line and the import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("news_ingest", "flows", "connectors", "warehouse")


@dataclass(frozen=True, slots=True)
class Import:
    """One import statement's target, where it stands, and whether it is at module level."""

    module: str  # the importing module, e.g. "flows.pipeline.web"
    target: str  # the imported module, e.g. "warehouse.store"
    line: int
    top_level: bool  # at module level and outside TYPE_CHECKING: runs on import

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def imports_of(module: str, path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_checking = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    top = {id(node) for node in tree.body if id(node) not in type_checking}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno, id(node) in top)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                target = candidate if _is_module(candidate) else base
                yield Import(module, target, node.lineno, id(node) in top)


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    base = parts[: len(parts) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _is_module(name: str) -> bool:
    return name in MODULES


MODULES = project_modules()
IMPORTS = list(dict.fromkeys(i for m, path in MODULES.items() for i in imports_of(m, path)))


def _top(name: str) -> str:
    return name.split(".", maxsplit=1)[0]


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


# Who may import which of the project's packages (and flows' stages), by module prefix.
# The most specific prefix of an importing module applies.
ALLOWED: dict[str, tuple[str, ...]] = {
    "news_ingest.errors": (),
    "news_ingest.cli": ("news_ingest", "flows.app.cli"),  # the console script, on top
    # The Python API, on top too (imported lazily by news_ingest.__getattr__).
    "news_ingest.api": (
        "news_ingest",
        "flows.ingest",
        "flows.prefect_api",
        "flows.pipeline",
        "warehouse",
    ),
    "news_ingest": ("news_ingest",),
    "connectors": ("connectors", "news_ingest"),
    "warehouse": ("warehouse", "news_ingest"),
    "flows.errors": ("news_ingest",),
    "flows.extract": ("flows.extract", "flows.errors", "connectors", "news_ingest"),
    "flows.dedupe": (
        "flows.dedupe",
        "flows.extract",
        "flows.errors",
        "connectors",
        "warehouse",
        "news_ingest",
    ),
    "flows.pipeline": (
        "flows.pipeline",
        "flows.extract",
        "flows.dedupe",
        "flows.errors",
        "connectors",
        "warehouse",
        "news_ingest",
    ),
    "flows.app": ("flows", "connectors", "warehouse", "news_ingest"),
    "flows": (
        "flows.ingest",
        "flows.reextract",
        "flows.upkeep",
        "flows.serve",
        "flows.deploy",
        "flows.prefect_api",
        "flows.prefect_server",
        "flows.pipeline",
        "flows.extract",
        "flows.dedupe",
        "flows.errors",
        "connectors",
        "warehouse",
        "news_ingest",
    ),
}

# Third-party packages only some parts of the project may import.
RESTRICTED = {
    "duckdb": ("warehouse",),  # the one package that talks to the database
    "pyarrow": ("warehouse",),
    "psycopg": ("warehouse.lake",),  # the lake's PostgreSQL state (docs/lake.md)
    "prefect": (
        "flows.ingest",
        "flows.reextract",
        "flows.upkeep",
        "flows.serve",
        "flows.deploy",
        "flows.prefect_api",
        "flows.pipeline",
    ),
    "trafilatura": ("flows.extract",),
    # The Dask engine, on both ends: the flow's client and what runs on a worker.
    "distributed": ("flows.extract.dask_pool", "flows.extract.dask_worker"),
    "dask": ("flows.extract.dask_pool", "flows.extract.dask_worker"),
    "httpx": ("connectors", "flows.serve"),
}


def _rule_for(module: str) -> tuple[str, ...]:
    matches = [prefix for prefix in ALLOWED if _within(module, prefix)]
    return ALLOWED[max(matches, key=len)]


def test_every_module_is_covered_by_a_rule() -> None:
    assert MODULES, "no modules found"
    uncovered = [m for m in MODULES if not any(_within(m, p) for p in ALLOWED)]
    assert not uncovered


def test_project_imports_point_one_way() -> None:
    broken = [
        str(i)
        for i in IMPORTS
        if _top(i.target) in PACKAGES
        and not any(_within(i.target, allowed) for allowed in _rule_for(i.module))
    ]
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("package", sorted(RESTRICTED))
def test_restricted_libraries_stay_in_their_place(package: str) -> None:
    places = RESTRICTED[package]
    broken = [
        str(i)
        for i in IMPORTS
        if _top(i.target) == package and not any(_within(i.module, p) for p in places)
    ]
    assert not broken, "\n".join(broken)


def test_no_import_cycles_between_modules() -> None:
    """Module-level imports form no cycle (function-level and TYPE_CHECKING imports too)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for i in IMPORTS:
        if i.target in MODULES and i.target != i.module:
            graph[i.module].add(i.target)
    cycles = _cycles(graph)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_checker_sees_a_broken_rule(tmp_path: Path) -> None:
    """The rules are not vacuous: a connector importing the warehouse is caught."""
    bad = tmp_path / "connectors" / "bad.py"
    bad.parent.mkdir()
    bad.write_text("from warehouse.store import transaction\n", encoding="utf-8")
    found = list(imports_of("connectors.bad", bad))
    assert [i.target for i in found] == ["warehouse.store"]
    assert not any(_within(found[0].target, a) for a in _rule_for("connectors.bad"))
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
