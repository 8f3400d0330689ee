"""The shape of the package, read from the source with ``ast`` (nothing is imported):

- the imports between govscore's modules form no cycle: neither the module-level imports (what runs
  at ``import``) nor all imports, function-local ones included (a local import that only dodges a
  cycle is still a cycle);
- no module uses a private name (``_x``) of another module, by ``from m import _x`` or ``m._x``.

Imports under ``if TYPE_CHECKING:`` never run and are left out. Implicit imports of parent
packages (importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__``) are not edges.

Violations that live in modules this branch does not own are listed in the ``KNOWN_*`` constants
below, each with a comment; the test fails when one of them is fixed (so the list shrinks with the
code) and when a new one appears.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "govscore"

KNOWN_CYCLES_WITH_LOCAL_IMPORTS: frozenset[frozenset[str]] = frozenset()
"""Cycles that exist only through function-local imports, still to be broken (none left)."""

KNOWN_PRIVATE_NAME_USES: frozenset[tuple[str, str, str]] = frozenset()
"""(importing module, module the name belongs to, name) still to be made public or moved."""


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    top: set[str] = field(default_factory=set)
    """govscore modules imported when this module is imported (module level, not TYPE_CHECKING)."""
    local: set[str] = field(default_factory=set)
    """govscore modules imported inside functions (or under TYPE_CHECKING: never at run time)."""
    private: set[tuple[str, str]] = field(default_factory=set)
    """(module, name) for each private name of another module this one uses."""


def _modules() -> dict[str, Module]:
    found: dict[str, Module] = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        name = ".".join(parts)
        found[name] = Module(name, path, is_package)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(body: list[ast.stmt], runs_at_import: bool) -> Iterator[tuple[ast.stmt, bool]]:
    """Every statement, with whether it runs when the module is imported."""
    for node in body:
        yield node, runs_at_import
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _walk(node.body, False)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _walk(node.body, False)
            yield from _walk(node.orelse, runs_at_import)
        else:
            for child_field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(node, child_field, None)
                if isinstance(children, list):
                    stmts = [c for c in children if isinstance(c, ast.stmt)]
                    for handler in children:
                        if isinstance(handler, ast.ExceptHandler):
                            stmts.extend(handler.body)
                    yield from _walk(stmts, runs_at_import)


def _resolve(module: Module, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    base = module.name.split(".")
    if not module.is_package:
        base.pop()
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


def _analyse(modules: dict[str, Module]) -> None:
    for module in modules.values():
        tree = ast.parse(module.path.read_text(encoding="utf-8"), str(module.path))
        aliases: dict[str, str] = {}  # local name → govscore module it is bound to
        for node, at_import in _walk(tree.body, True):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in modules:
                        targets.append(alias.name)
                        aliases[alias.asname or alias.name] = alias.name
            elif isinstance(node, ast.ImportFrom):
                source = _resolve(module, node.level, node.module)
                for alias in node.names:
                    full = f"{source}.{alias.name}"
                    if full in modules:
                        targets.append(full)
                        aliases[alias.asname or alias.name] = full
                    elif source in modules:
                        targets.append(source)
                        if alias.name.startswith("_") and source != module.name:
                            module.private.add((source, alias.name))
            for target in targets:
                if target != module.name:
                    (module.top if at_import else module.local).add(target)
        for sub in ast.walk(tree):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) \
                    and sub.attr.startswith("_") and not sub.attr.startswith("__"):
                owner = aliases.get(sub.value.id)
                if owner is not None and owner != module.name:
                    module.private.add((owner, sub.attr))


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def _analysed() -> dict[str, Module]:
    modules = _modules()
    _analyse(modules)
    return modules


def _show(cycles: list[frozenset[str]]) -> list[list[str]]:
    return sorted(sorted(c) for c in cycles)


def test_the_analysis_sees_the_package() -> None:
    """A sanity check on the walker itself: known edges and every layer are found."""
    modules = _analysed()
    assert {"govscore.cli", "govscore.inputs.readers", "govscore.engine.plan",
            "govscore.views.report", "govscore.errors"} <= set(modules)
    assert "govscore.errors" in modules["govscore.inputs.tables"].top
    assert "govscore.engine.kernel" in modules["govscore.engine.plan"].top
    assert "govscore.api" not in modules["govscore"].top  # under TYPE_CHECKING
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]


def test_no_import_cycle_at_module_level() -> None:
    modules = _analysed()
    graph = {name: m.top for name, m in modules.items()}
    assert _show(_cycles(graph)) == []


def test_no_import_cycle_through_local_imports() -> None:
    """Function-local imports count too: a local import must not be there to dodge a cycle."""
    modules = _analysed()
    graph = {name: m.top | m.local for name, m in modules.items()}
    assert _show(_cycles(graph)) == _show(list(KNOWN_CYCLES_WITH_LOCAL_IMPORTS))


def test_no_private_name_of_another_module() -> None:
    modules = _analysed()
    uses = {(name, owner, private) for name, m in modules.items() for owner, private in m.private}
    assert sorted(uses) == sorted(KNOWN_PRIVATE_NAME_USES)


def test_a_view_never_runs_the_pipeline() -> None:
    """Renderers receive an assessment; they never import the API that makes one."""
    modules = _analysed()
    for name, module in modules.items():
        if name.startswith(f"{PACKAGE}.views."):
            assert f"{PACKAGE}.api" not in module.top | module.local, name
