"""The module graph of tracker/: no import circle, and each layer imports only those below it.

Every ``import`` statement counts, at the top of a module or inside a function (a late import
hides a circle, it does not remove it). ``from package import name`` points at the module
``package.name`` when there is one, else at the package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(name: str) -> Iterator[str]:
    """The tracker modules one module imports, anywhere in it."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]  # `import tracker.models.base` → that module
            if target and target != name:
                yield target


GRAPH = {name: sorted(set(_imports(name))) for name in MODULES}


def _circles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_there_is_no_import_circle_inside_tracker():
    assert _circles(GRAPH) == []


def test_the_circle_finder_finds_a_circle_through_a_late_import():
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}
    assert _circles(graph) == [["a", "b", "c"]]
    assert _circles({"a": ["b"], "b": []}) == []


def _imported_by(prefix: str) -> set[str]:
    """Everything the modules under ``prefix`` import."""
    return {
        target
        for name, targets in GRAPH.items()
        if name == prefix or name.startswith(prefix + ".")
        for target in targets
    }


def _under(targets: set[str], *prefixes: str) -> list[str]:
    return sorted(t for t in targets if any(t == p or t.startswith(p + ".") for p in prefixes))


# Each layer, and the layers above it that it must never import.
LAYERS = {
    "tracker.clock": ("tracker",),  # imports nothing of the app
    "tracker.errors": ("tracker",),
    "tracker.models": (
        "tracker.db",
        "tracker.services",
        "tracker.security",
        "tracker.web",
        "tracker.api",
        "tracker.cli",
    ),
    "tracker.db": (
        "tracker.services",
        "tracker.security",
        "tracker.web",
        "tracker.api",
        "tracker.cli",
    ),
    "tracker.services": ("tracker.security", "tracker.web", "tracker.api", "tracker.cli"),
    "tracker.security": ("tracker.web", "tracker.api", "tracker.cli"),
    "tracker.cli": ("tracker.web", "tracker.api"),
}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_each_layer_imports_only_the_layers_below_it(layer):
    assert _under(_imported_by(layer), *LAYERS[layer]) == []


def test_the_graph_sees_function_level_imports_and_names_modules_not_functions():
    assert "tracker.api.entries" in GRAPH["tracker.api"]  # imported inside route_modules()
    assert "tracker.models.base" in GRAPH["tracker.models.users"]
    assert all(target in MODULES for targets in GRAPH.values() for target in targets)
