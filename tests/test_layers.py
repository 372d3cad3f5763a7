"""The package graph: layers import downward only, no cycle, no other package's private
module; the worker and the spec stay free of analysis code. Imports inside functions count.

The layers, bottom to top, are :data:`LAYERS` (drawn in ``docs/architecture.md``): a
package may import any package of a lower layer, and none of its own layer or above.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "src" / "dataroi"

#: Bottom to top. ``impact`` is a wing over the bottom layers that renders through
#: ``report``; the root's private modules (``_json``, ``_random``...) are shared helpers.
LAYERS: list[set[str]] = [
    {"exceptions", "_names"},
    {"_json", "_money", "_counts", "_lazy", "_random", "_files", "_yaml", "_expr", "_imports",
     "_interrupts", "_orphans", "metrics"},
    {"spec"},
    {"data"},
    {"acquisition"},
    {"trial"},
    {"ledger", "executors", "artifacts"},
    {"testing"},
    {"curves"},
    {"value"},
    {"stress", "slices", "annotation"},
    {"decide"},
    {"plotting"},
    {"report"},
    {"impact"},
    {"analysis"},
    {"study"},
    {"share", "portfolio"},
    {"cli", "__init__"},
    {"__main__"},
]


def _package(path: Path) -> str:
    rel = path.relative_to(ROOT)
    return rel.parts[0].removesuffix(".py") if rel.parts else "__init__"


def _imports() -> dict[str, set[tuple[str, str, str]]]:
    """package → {(imported package, imported module, "file:line")}, every import
    statement of the package's files (inside functions too)."""
    out: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for path in ROOT.rglob("*.py"):
        pkg = _package(path)
        rel = path.relative_to(ROOT)
        module_parts = ["dataroi", *rel.with_suffix("").parts]
        if module_parts[-1] == "__init__":
            module_parts = module_parts[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module_parts if path.name == "__init__.py" else module_parts[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    names = [".".join([*base, node.module] if node.module else base)]
                else:
                    names = [node.module or ""]
            for name in names:
                parts = name.split(".")
                if parts[0] != "dataroi" or len(parts) < 2:
                    continue
                out[pkg].add((parts[1], name, f"{rel}:{node.lineno}"))
    return out


def _layer_of(pkg: str) -> int:
    for i, layer in enumerate(LAYERS):
        if pkg in layer:
            return i
    raise AssertionError(f"package {pkg!r} is in no layer of tests/test_layers.py: add it")


def test_every_package_has_a_layer():
    found = {_package(p) for p in ROOT.rglob("*.py")}
    for pkg in found:
        _layer_of(pkg)


def test_packages_import_downward_only():
    bad = []
    for pkg, imports in _imports().items():
        for target, module, where in sorted(imports):
            if target == pkg:
                continue
            if _layer_of(target) >= _layer_of(pkg):
                bad.append(f"{where}: {pkg} imports {module} (layer {_layer_of(target)} >= "
                           f"{_layer_of(pkg)})")
    assert not bad, "\n".join(bad)


def test_no_cycle_between_packages():
    graph: dict[str, set[str]] = defaultdict(set)
    for pkg, imports in _imports().items():
        graph[pkg] |= {t for t, _, _ in imports if t != pkg}
    seen: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        if seen.get(node) == 1:
            pytest.fail(f"import cycle: {' -> '.join([*path, node])}")
        if seen.get(node) == 2:
            return
        seen[node] = 1
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, [*path, node])
        seen[node] = 2

    for node in sorted(graph):
        visit(node, [])


@pytest.mark.slow
def test_no_package_imports_another_packages_private_module():
    bad = []
    for pkg, imports in _imports().items():
        for target, module, where in sorted(imports):
            parts = module.split(".")
            private = [p for p in parts[2:] if p.startswith("_")]
            if target != pkg and private and not target.startswith("_"):
                bad.append(f"{where}: {pkg} imports {module}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(("package", "forbidden"), [
    # the worker computes and returns; it never touches the record or the analysis
    ("trial", {"ledger", "value", "decide", "stress", "slices", "analysis", "plotting",
               "report", "study", "curves"}),
    # reading a spec builds no estimator and fits nothing
    ("spec", {"trial", "annotation", "data", "curves", "value"}),
    # the report renders what it is handed: it reads no ledger and computes nothing
    ("report", {"ledger", "study", "analysis", "value", "decide", "stress"}),
])
@pytest.mark.slow
def test_rooms_that_stay_small(package, forbidden):
    used = {t for t, _, _ in _imports().get(package, set())}
    assert not used & forbidden, f"{package} imports {sorted(used & forbidden)}"
