"""Imports flow downwards: no circle between the application's packages, and no package imports a page that
gathers several features (the department page, the dashboard, the home page), which sit above the features.

The check reads every module's imports with `ast` (an import inside a function counts as much as one at the top;
an import under `if TYPE_CHECKING:` does not, since it never runs). A package is one unit, but for the parts of
`auth` every feature stands on (its models and permission rules), which are the ground floor beside db, i18n
and the others."""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

import crmproject
from crmproject.kpis.models import GoalFamily
from crmproject.plans.seeds import KPI_GOAL_FAMILIES

PACKAGE = Path(crmproject.__file__).parent
GROUND_MODULES = {"crmproject.auth.models", "crmproject.auth.permissions", "crmproject.auth.throttle"}
# what gathers several features (the pages, and the notifications, which read the dashboard's figures too);
# nothing below them may import them
PAGES = {"dashboard", "department_page", "home", "notifications"}
# the roof: the application factory, the command line and the list of every model assemble everything
ROOF = {"app", "cli", "models", "crmproject"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _unit(module: str) -> str:
    if module in GROUND_MODULES:
        return "auth(ground)"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _exists(module: str) -> bool:
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _imported(tree: ast.AST) -> list[str]:
    """The crmproject modules a module imports, but for those under `if TYPE_CHECKING:`."""
    typing_only = {id(node) for branch in ast.walk(tree) if isinstance(branch, ast.If)
                   and getattr(branch.test, "id", getattr(branch.test, "attr", None)) == "TYPE_CHECKING"
                   for statement in branch.body for node in ast.walk(statement)}
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "crmproject":
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if alias.name.split(".")[0] == "crmproject"]
        else:
            continue
        for name in names:
            parts = name.split(".")
            while len(parts) > 1 and not _exists(".".join(parts)):
                parts.pop()
            if len(parts) > 1:
                found.append(".".join(parts))
    return found


@cache
def _graph() -> dict[str, dict[str, list[str]]]:
    """unit -> {unit it imports: [the modules that do]}"""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        source = _module_name(path)
        for target in _imported(ast.parse(path.read_text(encoding="utf-8"))):
            if _unit(target) != _unit(source):
                graph[_unit(source)][_unit(target)].append(source)
    return graph


def _circles(graph) -> list[list[str]]:
    """The strongly connected components of more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        for other in graph.get(unit, {}):
            if other not in index:
                visit(other)
                low[unit] = min(low[unit], low[other])
            elif other in stack:
                low[unit] = min(low[unit], index[other])
        if low[unit] == index[unit]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == unit:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for unit in list(graph):
        if unit not in index:
            visit(unit)
    return found


def test_no_import_circle_between_packages():
    graph = _graph()
    circles = _circles(graph)
    described = [
        f"{' <-> '.join(circle)}: " + "; ".join(
            f"{a} -> {b} ({', '.join(sorted(set(graph[a][b]))[:3])})" for a in circle for b in circle if b in graph[a])
        for circle in circles]
    assert not circles, "\n".join(described)


def test_nothing_imports_a_page_above_it():
    graph = _graph()
    upward = {f"{unit} -> {page}: {', '.join(sorted(set(modules)))}"
              for unit, targets in graph.items() if unit not in PAGES | ROOF
              for page, modules in targets.items() if page in PAGES}
    assert not upward, "\n".join(sorted(upward))


def test_the_check_sees_an_import_inside_a_function_and_ignores_a_typing_one():
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from crmproject.dashboard import views\n"
                     "def f():\n    from crmproject.kpis.services import create_kpi\n")
    assert _imported(tree) == ["crmproject.kpis.services"]
    assert _circles({"a": {"b": []}, "b": {"c": []}, "c": {"a": []}, "d": {"a": []}}) == [["a", "b", "c"]]


def test_seed_plans_know_every_kpi_goal_family():
    """The plans sit below the KPIs, so a template's goal families are written out there: the same ones."""
    assert set(KPI_GOAL_FAMILIES) == {family.value for family in GoalFamily}
