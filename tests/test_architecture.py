"""The shape of the package, checked from its source: no import cycle (imports inside functions
included), no module over 600 lines, no database driver imported outside ``themegraph/graph/``.

Each module is parsed with :mod:`ast`, never imported, so the test sees every import statement
wherever it sits: a cycle hidden behind a function-level import is still a cycle (issue #14).
Imports under ``if TYPE_CHECKING:`` never run and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "themegraph"

MAX_LINES = 600

#: What the lower rooms may import (docs/architecture.md): the knowledge base and the file formats
#: never depend on the work rooms (loaders, review, exports, queries, maps) or the doors (cli, api).
LOWER_ROOMS = {
    "graph": {"graph", "errors", "progress", "stopping"},
    "readers": {"readers", "graph", "errors", "progress", "stopping"},
    "literature": {"literature", "readers", "graph", "errors", "progress", "stopping"},
}

#: Top-level names of the database drivers: only the stores under themegraph/graph/ import them.
DRIVERS = {"neo4j", "ladybug"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skipped


def imports_of(name: str) -> list[tuple[str, int]]:
    """Every (imported module, line) in module ``name``: top-level and inside functions alike.

    ``from pkg import x`` counts as importing ``pkg.x`` when that is a module, else ``pkg``.
    """
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"), str(MODULES[name]))
    skipped = _type_checking_only(tree)
    here = name if _is_package(name) else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((sub if sub in MODULES else target, node.lineno))
    return found


def import_graph() -> dict[str, dict[str, int]]:
    """``{module: {imported themegraph module: first line}}`` over the whole package."""
    graph = {}
    for name in MODULES:
        edges = graph.setdefault(name, {})
        for target, line in imports_of(name):
            if target in MODULES and target != name:
                edges.setdefault(target, line)
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def describe(component: list[str], graph: dict[str, dict[str, int]]) -> str:
    """The import lines that hold a cycle together, e.g. ``a.py:12 -> b``."""
    members = set(component)
    return "; ".join(
        f"{MODULES[a].relative_to(PACKAGE.parent)}:{line} -> {b}"
        for a in component
        for b, line in sorted(graph[a].items())
        if b in members
    )


def test_the_analysis_sees_function_level_and_relative_imports():
    graph = import_graph()
    # themegraph/cli/__init__.py imports its command modules with ``from . import demo, ...``
    assert "themegraph.cli.demo" in graph["themegraph.cli"]
    # graph/open.py imports both stores inside open_store(), never at module level
    assert {"themegraph.graph.ladybug_store", "themegraph.graph.neo4j_store"} <= set(graph["themegraph.graph.open"])
    # the stores import the interface, and the interface no longer imports them back
    assert "themegraph.graph.store" in graph["themegraph.graph.ladybug_store"]
    assert not {"themegraph.graph.ladybug_store", "themegraph.graph.neo4j_store", "themegraph.graph.open"} & set(
        graph["themegraph.graph.store"]
    )


def test_cycles_finds_every_strongly_connected_group_and_nothing_else():
    graph = {"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3}, "d": {"a": 4, "e": 5}, "e": {"d": 6}, "f": {}}
    assert cycles(graph) == [["a", "b", "c"], ["d", "e"]]
    assert cycles({"a": {"b": 1}, "b": {}, "c": {"a": 2, "b": 3}}) == []


def test_no_import_cycle():
    graph = import_graph()
    found = cycles(graph)  # none since issue #14 (graph/open.py; literature/layout.py)
    assert not found, "import cycles:\n" + "\n".join(describe(c, graph) for c in found)


def test_no_module_over_600_lines():
    lengths = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in MODULES.items()}
    too_long = {name: n for name, n in lengths.items() if n > MAX_LINES}  # none since #14's splits
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"


def test_drivers_are_imported_only_under_graph():
    outside = [
        f"{MODULES[name].relative_to(PACKAGE.parent)}:{line} imports {target}"
        for name in MODULES
        if not name.startswith("themegraph.graph.")
        for target, line in imports_of(name)
        if target.split(".")[0] in DRIVERS
    ]
    assert not outside, "driver imports outside themegraph/graph/:\n" + "\n".join(outside)


def room(module: str) -> str:
    """``themegraph.graph.schema`` -> ``graph``; ``themegraph.errors`` -> ``errors``."""
    return module.split(".")[1] if "." in module else module


def test_lower_rooms_import_no_upper_one():
    graph = import_graph()
    upward = [
        f"{MODULES[name].relative_to(PACKAGE.parent)}:{line} imports {target}"
        for name, targets in graph.items()
        if room(name) in LOWER_ROOMS
        for target, line in sorted(targets.items())
        if room(target) not in LOWER_ROOMS[room(name)]
    ]
    assert not upward, "imports from a lower room up (docs/architecture.md):\n" + "\n".join(upward)
