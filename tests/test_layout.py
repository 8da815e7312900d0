"""The package's layout is a ladder: a room imports only the rooms below it, and no two
modules import each other, even through others (docs/architecture.md draws it)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "lcfeat"

#: Each room may import the rooms listed before it (and the top-level modules `errors`,
#: `config`, `version` and `lazy`, which import nothing of lcfeat); `archive` needs target ids only.
LADDER = ("targets", "lightcurve", "search", "features", "archive", "store", "pipeline",
          "study", "api", "cli")
BASE = {"errors", "config", "version", "lazy", ""}
ALLOWED = {room: BASE | set(LADDER[:i]) for i, room in enumerate(LADDER)}
ALLOWED["archive"] = BASE | {"targets"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """lcfeat modules imported by `path`, anywhere in it (function bodies included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.startswith("lcfeat"):
            submodules = {f"{node.module}.{a.name}" for a in node.names} & modules
            found |= submodules
            if len(submodules) < len(node.names):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("lcfeat")}
    return found & modules


def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: imports_of(path, modules) - {name} for name, path in paths.items()}


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_room_imports_a_room_above_it():
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph().items() if room(module) in ALLOWED
        for target in targets
        if room(target) != room(module) and room(target) not in ALLOWED[room(module)]
    )
    assert not wrong, "\n".join(wrong)


def test_top_level_modules_import_nothing_of_lcfeat_but_each_other():
    for module, targets in graph().items():
        if module.count(".") == 1 and room(module) not in LADDER and module != "lcfeat.__main__":
            assert {room(t) for t in targets} <= BASE, f"{module} imports {targets}"


def test_no_import_circles():
    edges = graph()

    def reachable(start: str) -> set[str]:
        seen, stack = set(), [start]
        while stack:
            for nxt in edges[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    # A package's __init__ importing its own submodules is how a package exposes them.
    circles = sorted(
        f"{a} <-> {b}" for a in edges for b in edges[a]
        if a in reachable(b) and not b.startswith(a + ".") and not a.startswith(b + ".")
    )
    assert not circles, "\n".join(circles)


def test_every_room_is_in_the_ladder():
    rooms = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert rooms == set(LADDER)
