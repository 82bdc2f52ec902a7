"""The house's import order, walked with ``ast``: every import of every project module (at module
level and inside functions, ``import x`` and ``from x import y``, relative ones too) must follow
an allowed arrow of the layer table below, and no modules may import each other in a circle.

Bottom to top: ``domain`` (pure rules) and ``texts`` (the catalogues); ``models`` (tables,
engine, queries; renders no text); ``services`` (settings and what handlers and jobs both need);
``handlers`` and ``scheduler`` side by side, never importing each other; ``bot`` (the
composition root); ``sandbox``; the console script (``bot.cli``, which also starts the sandbox).
``emulator`` (the Bot API emulator) stands alone.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Layer → the other layers its modules may import. Every arrow is listed; anything else is wrong.
ALLOWED: dict[str, frozenset[str]] = {
    "domain": frozenset(),
    "texts": frozenset({"domain"}),
    "models": frozenset({"domain"}),
    "services": frozenset({"models", "texts", "domain"}),
    "handlers": frozenset({"services", "models", "texts", "domain"}),
    "scheduler": frozenset({"services", "models", "texts", "domain"}),
    "bot": frozenset({"handlers", "scheduler", "services", "models", "texts", "domain"}),
    "emulator": frozenset(),
    "sandbox": frozenset(
        {"bot", "handlers", "scheduler", "services", "models", "texts", "domain", "emulator"}
    ),
    "console": frozenset(
        {
            "sandbox",
            "bot",
            "handlers",
            "scheduler",
            "services",
            "models",
            "texts",
            "domain",
            "emulator",
        }
    ),
}
# Modules whose layer is not their top-level package's, each with the modules under it: the
# console script (``sigap``, the package ``bot.cli`` and its command modules ``bot.cli.*``) is
# the very top, since ``sigap sandbox`` starts the sandbox, which is built on ``bot``.
SPECIAL_LAYERS = {"bot.cli": "console"}


def packages() -> list[str]:
    """The top-level packages the project installs (pyproject's ``packages.find``)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted(pattern.rstrip("*") for pattern in include)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            modules[module_name(path)] = path
    return modules


def layer_of(module: str) -> str:
    for prefix, layer in SPECIAL_LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return module.split(".")[0]


def imports_of(module: str, path: Path, known: set[str]) -> Iterator[tuple[str, int]]:
    """(imported project module, line) for every import statement anywhere in the file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tops = {name.split(".")[0] for name in known}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in tops:
                    yield _nearest(alias.name, known), node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] not in tops:
                continue
            for alias in node.names:
                # ``from handlers import desk`` imports the module handlers.desk.
                submodule = f"{target}.{alias.name}"
                yield (submodule if submodule in known else _nearest(target, known)), node.lineno


def _nearest(name: str, known: set[str]) -> str:
    """The module itself, or the package that holds the name (``models.tables.Activity``)."""
    while name not in known and "." in name:
        name = name.rpartition(".")[0]
    return name


def import_graph() -> dict[str, dict[str, int]]:
    """module → {imported module: first line}."""
    modules = project_modules()
    known = set(modules)
    graph: dict[str, dict[str, int]] = {}
    for module, path in modules.items():
        edges: dict[str, int] = {}
        for target, line in imports_of(module, path, known):
            if target != module:
                edges.setdefault(target, line)
        graph[module] = edges
    return graph


def wrong_arrows(graph: dict[str, dict[str, int]]) -> list[str]:
    wrong = []
    for module, edges in sorted(graph.items()):
        source = layer_of(module)
        for target, line in sorted(edges.items()):
            layer = layer_of(target)
            if layer != source and layer not in ALLOWED[source]:
                allowed = ", ".join(sorted(ALLOWED[source])) or "nothing else"
                wrong.append(
                    f"{module} imports {target} (line {line}): {source} may import only {allowed}"
                )
    return wrong


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph.get(module, {}):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(found)


def test_every_package_has_a_layer() -> None:
    missing = [p for p in packages() if p not in ALLOWED]
    assert not missing, f"add these packages to the layer table (ALLOWED): {missing}"


def test_imports_follow_the_layers() -> None:
    wrong = wrong_arrows(import_graph())
    assert not wrong, "imports against the house's order:\n" + "\n".join(wrong)


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert not found, "modules that import each other (directly or round a circle):\n" + "\n".join(
        " ↔ ".join(component) for component in found
    )


def test_the_console_script_is_a_layer_of_its_own() -> None:
    """``bot.cli`` and each of its command modules sit above ``bot``: the bot imports none."""
    modules = project_modules()
    console = [m for m in modules if m == "bot.cli" or m.startswith("bot.cli.")]
    assert "bot.cli.common" in console and {layer_of(m) for m in console} == {"console"}
    assert layer_of("bot.client") == "bot"  # a sibling whose name merely starts the same
    assert wrong_arrows({"bot.app": {"bot.cli.common": 3}}) == [
        "bot.app imports bot.cli.common (line 3): bot may import only domain, handlers, "
        "models, scheduler, services, texts"
    ]


def test_the_walk_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The walker itself: function-level, relative and ``from package import module``."""
    package = tmp_path / "handlers"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text(
        "from . import b\n"
        "def f():\n"
        "    import bot.app\n"
        "    from .c import thing\n"
        "from models.tables import Activity\n"
    )
    known = {"handlers", "handlers.a", "handlers.b", "handlers.c", "bot.app", "models.tables"}
    found = {target for target, _ in imports_of("handlers.a", package / "a.py", known)}
    assert found == {"handlers.b", "handlers.c", "bot.app", "models.tables"}
    graph = {"handlers.a": {"bot.app": 3}, "bot.app": {"handlers.a": 1}}
    assert wrong_arrows(graph) == [
        "handlers.a imports bot.app (line 3): handlers may import only domain, models, "
        "services, texts"
    ]
    assert cycles(graph) == [["bot.app", "handlers.a"]]
