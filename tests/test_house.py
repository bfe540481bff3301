"""The house rules, measured over commander/: no import circle (type-only imports count too), no module over
600 lines, no function over 80 lines in the ui, no more than 12 modules directly in a domain or ui package.

Each failure message names the files (and for a circle, every import in it with its line), so the fix
starts from the message."""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "commander"
MAX_MODULE_LINES = 600
MAX_UI_FUNCTION_LINES = 80
MAX_MODULES_PER_PACKAGE = 12


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of a directed graph with more than one node (Tarjan's algorithm,
    iterative so that a long import chain cannot hit the recursion limit); each component sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(sorted(graph.get(root, ()))))]
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return sorted(components)


def shortest_cycle(graph: Mapping[str, Iterable[str]], component: list[str]) -> list[str]:
    """One shortest cycle through the component's first module, as [a, b, ..., a]."""
    start = component[0]
    members = set(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for successor in sorted(graph.get(node, ())):
            if successor not in members:
                continue
            if successor == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if successor not in came_from:
                came_from[successor] = node
                queue.append(successor)
    raise AssertionError(f"{component} is not strongly connected")


def import_graph(package: str) -> tuple[grimp.ImportGraph, dict[str, set[str]]]:
    """grimp's graph of the package with the imports under TYPE_CHECKING, and the same as a plain mapping."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=False, cache_dir=None)
    return graph, {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}


def describe_cycles(package: str) -> list[str]:
    """Every import circle in the package: one shortest cycle per strongly connected component, each import
    with its line, so that the message says which line to change."""
    graph, edges = import_graph(package)
    found = []
    for component in strongly_connected(edges):
        cycle = shortest_cycle(edges, component)
        steps = []
        for importer, imported in zip(cycle, cycle[1:], strict=False):
            lines = "; ".join(
                f"line {detail['line_number']}: {detail['line_contents']}"
                for detail in graph.get_import_details(importer=importer, imported=imported)
            )
            steps.append(f"    {importer} -> {imported} ({lines})")
        others = sorted(set(component) - set(cycle))
        tail = f"\n    (the same circle also takes in {', '.join(others)})" if others else ""
        found.append(" -> ".join(cycle) + "\n" + "\n".join(steps) + tail)
    return found


def sources(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def long_functions(path: Path, limit: int, root: Path = ROOT) -> list[str]:
    """Every def (function, method, nested) in the file longer than the limit, from its def line to its
    last line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.relative_to(root)}:{node.lineno} {node.name} is {length} lines"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (length := (node.end_lineno or node.lineno) - node.lineno + 1) > limit
    ]


def crowded_packages(folder: Path, limit: int, root: Path = ROOT) -> list[str]:
    """Every package under the folder (the folder itself included) with more than the limit of modules
    directly in it; a module is a .py file other than __init__.py."""
    packages = [folder, *sorted(init.parent for init in folder.rglob("__init__.py") if init.parent != folder)]
    found = []
    for package in packages:
        modules = sorted(path.name for path in package.glob("*.py") if path.name != "__init__.py")
        if len(modules) > limit:
            found.append(f"{package.relative_to(root)} has {len(modules)} modules: {', '.join(modules)}")
    return found


def test_no_import_circle_in_commander() -> None:
    cycles = describe_cycles("commander")
    assert cycles == [], f"{len(cycles)} import circle(s) in commander/ (type-only imports count):\n" + "\n".join(
        cycles
    )


def test_no_module_over_600_lines() -> None:
    big = [
        f"{path.relative_to(ROOT)} is {lines} lines"
        for path in sources(PACKAGE)
        if (lines := line_count(path)) > MAX_MODULE_LINES
    ]
    assert big == [], f"split these modules by responsibility (at most {MAX_MODULE_LINES} lines):\n" + "\n".join(big)


def test_no_function_over_80_lines_in_the_ui() -> None:
    long = [found for path in sources(PACKAGE / "ui") for found in long_functions(path, MAX_UI_FUNCTION_LINES)]
    assert long == [], f"split these ui functions (at most {MAX_UI_FUNCTION_LINES} lines):\n" + "\n".join(long)


@pytest.mark.parametrize("layer", ["domain", "ui"])
def test_no_package_over_12_modules(layer: str) -> None:
    crowded = crowded_packages(PACKAGE / layer, MAX_MODULES_PER_PACKAGE)
    assert crowded == [], f"group these modules into feature packages (at most {MAX_MODULES_PER_PACKAGE}):\n" + (
        "\n".join(crowded)
    )


# The measures themselves, on samples where the answer is known: each would see a breach.


def test_the_circle_finder_sees_a_circle_and_names_its_path() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e2"}, "e2": {"e"}}
    assert strongly_connected(graph) == [["a", "b", "c"], ["e", "e2"]]
    assert shortest_cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_a_type_only_import_closes_a_circle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "house_sample"
    package.mkdir()
    (package / "__init__.py").write_text("from house_sample import state\n", encoding="utf-8")
    (package / "state.py").write_text("X = 1\n", encoding="utf-8")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from house_sample.b import B\n", encoding="utf-8"
    )
    (package / "b.py").write_text("from house_sample.a import *  # noqa\n\nB = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    cycles = describe_cycles("house_sample")
    # The package's __init__ importing its own submodule is no circle: only a -> b -> a is.
    assert len(cycles) == 1, cycles
    assert cycles[0].startswith("house_sample.a -> house_sample.b -> house_sample.a\n"), cycles[0]
    assert "line 4: from house_sample.b import B" in cycles[0]


def test_the_size_measures_see_a_long_function_and_a_crowded_package(tmp_path: Path) -> None:
    sample = tmp_path / "ui" / "sample.py"
    sample.parent.mkdir()
    body = "\n".join(f"            x{n} = {n}" for n in range(80))
    sample.write_text(f"class View:\n    def paint(self):\n        def inner():\n{body}\n", encoding="utf-8")
    assert long_functions(sample, MAX_UI_FUNCTION_LINES, tmp_path) == [
        "ui/sample.py:2 paint is 82 lines",
        "ui/sample.py:3 inner is 81 lines",
    ]
    (tmp_path / "ui" / "__init__.py").write_text("", encoding="utf-8")
    for n in range(MAX_MODULES_PER_PACKAGE - 1):
        (tmp_path / "ui" / f"m{n}.py").write_text("", encoding="utf-8")
    assert crowded_packages(tmp_path / "ui", MAX_MODULES_PER_PACKAGE, tmp_path) == []
    (tmp_path / "ui" / "one_more.py").write_text("", encoding="utf-8")
    assert crowded_packages(tmp_path / "ui", MAX_MODULES_PER_PACKAGE, tmp_path)[0].startswith("ui has 13 modules")
