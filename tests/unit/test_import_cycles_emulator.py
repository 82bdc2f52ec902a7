"""No import cycle inside the emulator package.

Every ``import``/``from`` statement counts, wherever it stands: at module level, inside a
function, under ``if TYPE_CHECKING:``. A cycle that only exists for the type checker still
ties two modules together for a reader. :func:`import_graph` and :func:`find_cycles` know
nothing of the emulator, so a package-wide import test can reuse them.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module_names(package_dir: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package (``__init__`` included)."""
    modules: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join([package, *parts])] = path
    return modules


def _targets(
    node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules: set[str]
) -> set[str]:
    """The package's modules one statement imports. ``from pkg import sub`` is an arrow to
    ``pkg.sub`` when that is a module, else to ``pkg`` (a name defined in its __init__)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names} & modules
    base = node.module or ""
    if node.level:
        # Relative: level 1 is the module's own package (a package's __init__ is its own).
        anchor = module.split(".")
        drop = node.level - 1 if is_package else node.level
        anchor = anchor[: len(anchor) - drop]
        base = ".".join([*anchor, base]) if base else ".".join(anchor)
    targets = set()
    for alias in node.names:
        name = f"{base}.{alias.name}"
        if name in modules:
            targets.add(name)
        elif base in modules:
            targets.add(base)
    return targets


def import_graph(package_dir: Path, package: str) -> dict[str, set[str]]:
    """Each module of the package -> the modules of the same package it imports."""
    modules = _module_names(package_dir, package)
    names = set(modules)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                graph[name] |= _targets(node, name, is_package, names) - {name}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle's modules, as strongly connected components (Tarjan), each as a path that
    starts and ends at the same module so a failure reads as the chain of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_through(sorted(component), graph) for component in components]


def _path_through(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A cycle inside one component, found by walking arrows that stay inside it."""
    members = set(component)
    path = [component[0]]
    seen = {component[0]: 0}
    while True:
        following = sorted(graph[path[-1]] & members)[0]
        if following in seen:
            return [*path[seen[following] :], following]
        seen[following] = len(path)
        path.append(following)


def test_the_emulator_has_no_import_cycle() -> None:
    graph = import_graph(ROOT / "emulator", "emulator")
    assert graph.get("emulator.core"), "the walk found no imports"
    cycles = find_cycles(graph)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_cycle_under_type_checking_or_in_a_function_is_found(tmp_path: Path) -> None:
    # The shape the emulator had: core imports client, client imports core for its types.
    package = _write(
        tmp_path / "pkg",
        {
            "__init__.py": "from pkg.core import Server\n",
            "core.py": "from pkg.client import View\nclass Server: ...\n",
            "client.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from pkg.core import Server\n"
                "class View: ...\n"
            ),
            "late.py": "def f():\n    from . import lazy\n",
            "lazy.py": "import pkg.late\n",
            "fine.py": "from pkg import core\nfrom pkg.sub import leaf\n",
            "sub/__init__.py": "",
            "sub/leaf.py": "from ..client import View\nfrom . import other\n",
            "sub/other.py": "",
        },
    )
    graph = import_graph(package, "pkg")
    assert graph["pkg.fine"] == {"pkg.core", "pkg.sub.leaf"}
    assert graph["pkg.sub.leaf"] == {"pkg.client", "pkg.sub.other"}
    assert sorted(find_cycles(graph)) == [
        ["pkg.client", "pkg.core", "pkg.client"],
        ["pkg.late", "pkg.lazy", "pkg.late"],
    ]


def test_no_cycle_no_report() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert find_cycles({"a": {"a"}}) == [["a", "a"]]
