"""The local AWS's modules form an acyclic import graph (issue 13).

Function-local imports count too: they hide a cycle from the interpreter but not from a reader, and
pipeline_hooks.py <-> server.py was exactly such a hidden cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import sandbox.local_aws

PACKAGE = "sandbox.local_aws"
PACKAGE_DIR = Path(sandbox.local_aws.__file__).parent


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {n.removeprefix(PACKAGE + ".").split(".")[0] for n in names if n.startswith(PACKAGE + ".")}
    return found


def _graph() -> dict[str, set[str]]:
    modules = {p.stem: p for p in PACKAGE_DIR.glob("*.py") if p.stem != "__init__"}
    return {name: _imports(path) & modules.keys() - {name} for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return [*trail[trail.index(nxt) :], nxt] if nxt in trail else [*trail, nxt]
            if nxt not in state and (found := visit(nxt, [*trail, nxt])):
                return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_the_graph_is_read_from_the_real_modules():
    graph = _graph()
    assert "pipeline_hooks" in graph["server"]
    assert "state" in graph["pipeline_hooks"]


def test_the_local_aws_has_no_import_cycle():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
