"""The house plan's layers, read from the code: no import points up, no module-level cycle.

Every module of ``cxdash`` belongs to one layer (``LAYERS``, by package or module prefix, the longest prefix
wins). An import may point to its own layer or a lower one; imports inside functions count too, since they are
the same dependency paid later. Module-level imports (outside functions and ``if TYPE_CHECKING:``) must also form
no cycle between modules, whatever their layers. The walk uses ``ast`` only: nothing is imported, so a broken
module still gets its edges checked.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cxdash"

BASE, SUMMARIES, WRITE_SIDE, METRICS, CHARTS, VIEWS, TOP = range(7)
MODULE, FUNCTION, TYPE_CHECKING = "module", "function", "type_checking"
LAYER_NAMES = ("base", "summaries", "write side", "metrics", "charts", "views", "top")

# A new module goes in the layer of its package; a new top-level module or subpackage needs its own row here.
LAYERS: dict[str, int] = {
    "cxdash": BASE,  # the package's __init__ (its version) only; its modules have their own rows
    "cxdash.domain": BASE,
    "cxdash.i18n": BASE,
    "cxdash.schema": BASE,
    "cxdash.db": BASE,
    "cxdash.sqlfuncs": BASE,
    "cxdash.bulk": BASE,
    "cxdash.audit": BASE,
    "cxdash.memory": BASE,
    "cxdash.formatting": BASE,
    "cxdash.filters": BASE,
    "cxdash.unit_names": BASE,
    "cxdash.code_labels": BASE,
    "cxdash.customers": BASE,
    "cxdash.export": BASE,
    "cxdash.summaries": SUMMARIES,
    # Alembic loads them by path, nobody imports them; they may build summary tables, nothing higher.
    "cxdash.migrations": SUMMARIES,
    "cxdash.imports": WRITE_SIDE,
    "cxdash.improve": WRITE_SIDE,
    "cxdash.service": WRITE_SIDE,
    "cxdash.followup": WRITE_SIDE,
    "cxdash.notify": WRITE_SIDE,
    "cxdash.targets": WRITE_SIDE,
    "cxdash.org_admin": WRITE_SIDE,
    "cxdash.catalog": WRITE_SIDE,
    "cxdash.auth": WRITE_SIDE,
    "cxdash.code_label_store": WRITE_SIDE,
    "cxdash.demo": WRITE_SIDE,
    "cxdash.metrics": METRICS,
    "cxdash.organisation": METRICS,  # the filters' choices: read side, reads the deployment's zone (imports)
    "cxdash.charts": CHARTS,
    "cxdash.views": VIEWS,
    "cxdash.alerts": VIEWS,  # the scheduled rules: KPI rules read the metrics, then open cases (followup)
    "cxdash.ui": TOP,
    "cxdash.commands": TOP,
    "cxdash.cli": TOP,
    "cxdash.warmup": TOP,
    "cxdash.__main__": TOP,
    "cxdash.app": TOP,  # the entry script Streamlit runs
}


@dataclass(frozen=True)
class Edge:
    """One ``import`` of a cxdash module by another: where it is written and whether it runs at import time."""

    source: str
    target: str
    path: Path
    line: int
    when: str  # MODULE (runs on import), FUNCTION (runs on a call) or TYPE_CHECKING (never runs)

    def where(self) -> str:
        """``file:line`` relative to the checkout, for the failure message."""
        return f"{self.path.relative_to(PACKAGE.parent)}:{self.line}"


def module_name(path: Path) -> str:
    """``cxdash/metrics/service/compliance.py`` -> ``cxdash.metrics.service.compliance``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def python_files() -> list[Path]:
    """Every Python file of the package, migrations' versions included."""
    return sorted(PACKAGE.rglob("*.py"))


MODULES = {module_name(p): p for p in python_files()}


def layer_of(module: str) -> int | None:
    """The layer of the longest ``LAYERS`` prefix naming ``module`` (or one of its parents), None when none does."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYERS and (n > 1 or module == "cxdash"):
            return LAYERS[prefix]
    return None


def _is_type_checking(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:`` or ``if typing.TYPE_CHECKING:``."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(node: ast.AST, when: str) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
    """Every import under ``node`` with when it runs (:data:`MODULE`, :data:`FUNCTION`, :data:`TYPE_CHECKING`)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, when
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _imports(child, TYPE_CHECKING if when == TYPE_CHECKING else FUNCTION)
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield from _imports(ast.Module(body=[stmt], type_ignores=[]), TYPE_CHECKING)
            for stmt in child.orelse:
                yield from _imports(ast.Module(body=[stmt], type_ignores=[]), when)
        else:
            yield from _imports(child, when)


def _absolute(source: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a (possibly relative) ``from ... import`` names."""
    if node.level == 0:
        return node.module or ""
    base = source.split(".") if is_package else source.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imported_names(source: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement loads: ``from a import b`` loads ``a.b`` when that is a module, else ``a``."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    parent = _absolute(source, path.name == "__init__.py", node)
    names = [f"{parent}.{alias.name}" for alias in node.names if f"{parent}.{alias.name}" in MODULES]
    return names or [parent]


@cache
def all_imports() -> tuple[tuple[str, Path, str, int, str], ...]:
    """``(source, path, imported name, line, when)`` for every import in the package, any target."""
    found = []
    for source, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, when in _imports(tree, MODULE):
            found += [(source, path, name, node.lineno, when) for name in imported_names(source, path, node)]
    return tuple(found)


def edges() -> list[Edge]:
    """Every import of one cxdash module by another."""
    return [Edge(source, name, path, line, when) for source, path, name, line, when in all_imports()
            if name.split(".")[0] == "cxdash" and name != source]


def test_every_module_has_a_layer() -> None:
    """A module outside every row of ``LAYERS`` cannot be checked; its author must say where it sits."""
    missing = sorted(m for m in MODULES if layer_of(m) is None)
    assert not missing, (
        f"modules without a layer: {missing}; add their package or module to LAYERS in {Path(__file__).name}")


def test_no_import_points_up() -> None:
    """An import may point to its own layer or a lower one, wherever in the module it is written."""
    upward = []
    for edge in edges():
        source_layer, target_layer = layer_of(edge.source), layer_of(edge.target)
        if source_layer is None or target_layer is None or target_layer <= source_layer:
            continue
        upward.append(f"{edge.where()}: {edge.source} ({LAYER_NAMES[source_layer]}) -> "
                      f"{edge.target} ({LAYER_NAMES[target_layer]})")
    assert not upward, "imports pointing up a layer:\n" + "\n".join(upward)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_level_cycle() -> None:
    """Modules importing each other at import time load in an order that depends on who came first."""
    module_edges = [e for e in edges() if e.when == MODULE and e.target in MODULES]
    graph: dict[str, set[str]] = {}
    for edge in module_edges:
        graph.setdefault(edge.source, set()).add(edge.target)
    messages = []
    for component in _cycles(graph):
        members = set(component)
        inside = sorted({(e.source, e.target): e for e in module_edges
                         if e.source in members and e.target in members}.values(), key=lambda e: e.where())
        messages.append(f"cycle between {', '.join(component)}:\n" + "\n".join(
            f"  {e.where()}: {e.source} -> {e.target}" for e in inside))
    assert not messages, "module-level import cycles:\n" + "\n".join(messages)


def _unit(module: str) -> str:
    """The subpackage or top-level module of cxdash a module belongs to (``cxdash.metrics.service.compliance`` -> ``metrics``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "cxdash"


def test_no_cycle_between_packages() -> None:
    """Subpackages and top-level modules import each other without a cycle, counting imports inside functions too:
    areas of the same layer (the write side) may use each other, but only one way round."""
    found: dict[tuple[str, str], Edge] = {}
    for edge in edges():
        if edge.when != TYPE_CHECKING and _unit(edge.source) != _unit(edge.target):
            found.setdefault((_unit(edge.source), _unit(edge.target)), edge)
    graph: dict[str, set[str]] = {}
    for source, target in found:
        graph.setdefault(source, set()).add(target)
    messages = []
    for component in _cycles(graph):
        inside = [e for (s, t), e in sorted(found.items()) if s in component and t in component]
        messages.append(f"cycle between {', '.join(component)}:\n" + "\n".join(
            f"  {e.where()}: {e.source} -> {e.target}" for e in inside))
    assert not messages, "package cycles:\n" + "\n".join(messages)


def test_nothing_imports_the_benchmark() -> None:
    """The benchmark sits outside the package and drives it; the package never reaches back into it."""
    found = [f"{path.relative_to(PACKAGE.parent)}:{line}: {source} -> {name}"
             for source, path, name, line, _ in all_imports() if name.split(".")[0] == "bench"]
    assert not found, "cxdash imports the benchmark:\n" + "\n".join(found)


def test_streamlit_only_in_ui() -> None:
    """Everything below the pages (and the entry script and ui/ they use) works without Streamlit: the CLI, the benchmark and the tests call it directly."""
    found = [f"{path.relative_to(PACKAGE.parent)}:{line}: {source} -> {name}"
             for source, path, name, line, _ in all_imports()
             if name.split(".")[0] == "streamlit" and not source.startswith(("cxdash.ui", "cxdash.app"))]
    assert not found, "Streamlit imported outside cxdash.ui:\n" + "\n".join(found)


def test_layer_table_reads_whole_names() -> None:
    """A row names a package or module, never a prefix of a name: ``cxdash.db`` does not cover ``cxdash.dbx``."""
    assert layer_of("cxdash.metrics.service.compliance") == METRICS and layer_of("cxdash.db") == BASE
    assert layer_of("cxdash.dbx") is None and layer_of("cxdash.newpackage.module") is None
