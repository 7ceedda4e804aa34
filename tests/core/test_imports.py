"""The import graph of app/ (issue 23, item 7): no cycles between modules, no import from core
into a feature, and every import inside a function says why it is there.

Read with ``ast`` from the source, so nothing is imported. ``from X import Y`` counts as an import
of the module ``X.Y`` where that is a module, else of ``X``. The graph follows what Python runs:

- Importing ``app.x.y`` first executes every parent package's ``__init__`` that is not yet
  loaded, so a module importing ``app.x.y`` at import time also depends on ``app.x``
  (and on whatever ``app/x/__init__.py`` imports at its top). A cycle running through a package's
  ``__init__`` is a real cycle: it broke ``pytest tests/results/test_charts.py`` run alone.
- Not an edge: a module importing one of its own parent packages (``from app.x import bp`` in
  ``app.x.views``). Python executed (or began) that ``__init__`` before the module, so the import
  runs nothing; whether the name is defined yet is checked by :func:`test_every_module_imports_alone`.
- A package's ``__init__`` importing its own modules counts when it runs at import time (at the top,
  or in a function called at the top), not in ``init_app``: ``create_app`` calls that once every
  feature package is imported, and the views are loaded when the app registers the blueprint
  (:class:`app.core.blueprints.FeatureBlueprint`). Other imports inside functions (in ``init_app``
  too) are edges, as if they ran at the top: a lazy import does not make a cycle go away, it only
  hides it (``ALLOWED_CYCLES`` names the ones that stay, with the reason). Their parent packages
  are not edges: by the time a function runs, ``create_app`` has imported every feature package.

The graph is a model; :func:`test_every_module_imports_alone` imports every module first in a
fresh interpreter, so a cycle that depends on which module is imported first (the order in which
pytest collects) fails there whatever the graph says.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"

#: Cycles that remain, with the reason. Keep this short.
ALLOWED_CYCLES = {
    frozenset({"app.lottery.algorithm", "app.lottery.fast", "app.lottery.relaxed", "app.lottery.table"}):
        "the pure lottery core (left whole by issue 23) picks the fast path, the relaxed LP and the "
        "rounding of its distribution at run time; they reuse its helpers",
}

#: Features core may name: none. (app.extensions is the unbound extensions, not a feature.)
CORE_MAY_IMPORT = ("app.core", "app.extensions")

#: Modules whose function-level imports are not annotated one by one yet, with the reason they
#: are lazy; remove an entry once its imports carry their own comment or moved to the top. None
#: is left: every lazy import says why.
UNANNOTATED_OK: dict[str, str] = {}


@dataclass(frozen=True)
class Import:
    source: str
    target: str   #: a module of app/, or the imported name outside app/
    line: int
    in_function: bool


def _modules() -> dict[str, Path]:
    modules = {}
    for path in APP.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _called_at_import(tree: ast.Module) -> set[str]:
    """Names of the module's functions that its top-level code (or a decorator) calls: their
    imports run at import time."""
    called: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                for decorator in getattr(child, "decorator_list", ()):
                    visit_all(decorator)
                continue
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Name):
                called.add(child.func.id)
            visit(child)

    def visit_all(node: ast.AST) -> None:
        called.update(c.func.id for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name))

    visit(tree)
    return called


def _imports(module: str, path: Path, source: str | None = None,
             modules: dict[str, Path] | None = None) -> list[Import]:
    modules = MODULES if modules is None else modules
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    at_import = _called_at_import(tree)
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or (isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                                     and not (node is tree and getattr(child, "name", None) in at_import))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(module, alias.name, child.lineno, in_function))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")[:len(package.split(".")) - child.level + 1]
                    base = ".".join(parts + ([child.module] if child.module else []))
                targets = {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in child.names}
                for target in sorted(targets):
                    found.append(Import(module, target, child.lineno, in_function))
            visit(child, inside)

    visit(tree, False)
    return found


IMPORTS = [imp for module, path in MODULES.items() for imp in _imports(module, path)]


def _parents(module: str) -> list[str]:
    """``app.x.y`` -> ``["app", "app.x"]``: the packages Python imports before the module."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _graph(imports: list[Import] | None = None, modules: dict[str, Path] | None = None) -> dict[str, set[str]]:
    """Module -> the modules whose code runs because of it (see the module docstring)."""
    imports = IMPORTS if imports is None else imports
    modules = MODULES if modules is None else modules
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in imports:
        if imp.target not in modules or imp.target == imp.source:
            continue
        own_parents = set(_parents(imp.source))
        if imp.target in own_parents:
            continue  # already executed (or being executed) before the module: runs nothing
        own_part = modules[imp.source].name == "__init__.py" and imp.target.startswith(imp.source + ".")
        if own_part and imp.in_function:
            continue  # init_app: runs at app creation, after every package has been imported
        graph[imp.source].add(imp.target)
        if not imp.in_function:
            graph[imp.source].update(p for p in _parents(imp.target)
                                     if p in modules and p not in own_parents and p != imp.source)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
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


def test_the_graph_is_read():
    """The test sees the modules and their imports (it would pass vacuously otherwise)."""
    assert "app.voting.dots" in MODULES and "app.core.signals" in MODULES
    assert any(i.source == "app.voting.dots" and i.target == "app.voting.rules" for i in IMPORTS)
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset({"a", "b", "c"})]
    # Importing a model of another feature runs that feature's package __init__ first.
    assert "app.events" in _graph()["app.ideas.models"]
    # The views import their own package for ``bp``: no edge (Python ran it before them).
    assert "app.ideas" not in _graph()["app.ideas.views_manage"]


def test_the_graph_follows_the_package_inits():
    """The cycle of 5824c71 in small: results.services imports lottery.models, which runs
    lottery/__init__, whose views reach results.report, which imports results.services."""
    init, module = Path("__init__.py"), Path("module.py")
    modules = {"app": init, "app.results": init, "app.results.services": module, "app.results.report": module,
               "app.lottery": init, "app.lottery.models": module, "app.lottery.views": module}
    sources = {
        "app.results.services": "from app.lottery.models import Seat",
            "app.lottery": "bp = None\nfrom app.lottery import views",
        "app.lottery.views": "from app.lottery import bp\nfrom app.results.report import write",
        "app.lottery.models": "import sqlalchemy",
        # The report as the cycle needs it (not the real file, whose imports change).
        "app.results.report": "from app.results.services import totals\ndef write(): pass",
    }
    imports = [imp for name, source in sources.items()
               for imp in _imports(name, modules[name], source=source, modules=modules)]
    assert _cycles(_graph(imports, modules)) == [
        frozenset({"app.results.services", "app.lottery", "app.lottery.views", "app.results.report"})]
    # Views loaded in init_app (at app creation) close no cycle; a function called at the top does.
    lazy = {**sources, "app.lottery": "def init_app(app):\n    from app.lottery import views"}
    imports = [imp for name, source in lazy.items()
               for imp in _imports(name, modules[name], source=source, modules=modules)]
    assert _cycles(_graph(imports, modules)) == []
    called = {**sources, "app.lottery": "def load():\n    from app.lottery import views\nload()"}
    imports = [imp for name, source in called.items()
               for imp in _imports(name, modules[name], source=source, modules=modules)]
    assert len(_cycles(_graph(imports, modules))) == 1


def test_no_import_cycles():
    cycles = [sorted(c) for c in _cycles(_graph()) if c not in ALLOWED_CYCLES]
    assert not cycles, f"import cycles between modules: {cycles}"
    stale = [sorted(c) for c in ALLOWED_CYCLES if c not in _cycles(_graph())]
    assert not stale, f"allowed cycles that no longer exist (remove them): {stale}"


def test_core_imports_no_feature():
    wrong = [f"{i.source}:{i.line} imports {i.target}" for i in IMPORTS
             if i.source.startswith("app.core") and i.target.startswith("app")
             and not i.target.startswith(CORE_MAY_IMPORT)]
    assert not wrong, "core must not import features (let them register with core instead):\n" + "\n".join(wrong)


def _has_reason(path: Path, line: int) -> bool:
    """A comment on the import's line, or on the line just above it (or above the block of imports it is in)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if "#" in lines[line - 1]:
        return True
    above = line - 2
    while above >= 0 and lines[above].lstrip().startswith(("import ", "from ")):
        above -= 1
    return above >= 0 and lines[above].lstrip().startswith("#")


def test_every_import_inside_a_function_says_why():
    """A package's ``__init__`` registers its parts in ``init_app`` (and ``create_app`` the
    features): those imports are lazy because the modules import the package for ``bp``."""
    missing = []
    for imp in IMPORTS:
        path = MODULES[imp.source]
        if not imp.in_function or path.name == "__init__.py" or imp.source in UNANNOTATED_OK:
            continue
        if not _has_reason(path, imp.line):
            missing.append(f"{path.relative_to(ROOT)}:{imp.line} imports {imp.target}")
    assert not missing, ("an import inside a function needs a one-line reason (a comment on or above it), "
                         "or belongs at the top:\n" + "\n".join(sorted(set(missing))))


def test_the_allow_list_is_current():
    lazy = {i.source for i in IMPORTS if i.in_function}
    stale = sorted(set(UNANNOTATED_OK) - lazy)
    assert not stale, f"modules without function-level imports left in UNANNOTATED_OK: {stale}"


#: Run in a fresh interpreter: imports each module given as the argument first, after removing every
#: module of the project from ``sys.modules``. Libraries stay loaded (they are the slow part and take
#: no part in the project's cycles), but the metrics the app registers with prometheus_client's
#: global registry at import are removed with the app's modules. Prints ``{module: traceback}``
#: for the modules that fail.
_IMPORT_ALONE = textwrap.dedent("""
    import importlib, json, sys, traceback
    modules, own = json.loads(sys.argv[1])
    try:
        from prometheus_client import REGISTRY
    except ImportError:
        REGISTRY = None
    libraries = set(getattr(REGISTRY, "_collector_to_names", ()))

    def forget():
        for name in [n for n in sys.modules if n.split(".")[0] in own]:
            del sys.modules[name]
        for collector in set(getattr(REGISTRY, "_collector_to_names", ())) - libraries:
            REGISTRY.unregister(collector)

    failed = {}
    for module in modules:
        forget()
        try:
            importlib.import_module(module)
        except BaseException:
            failed[module] = traceback.format_exc(limit=-12)
    print(json.dumps(failed))
""")


def _import_alone(modules: list[str], root: Path, own: list[str], processes: int = 1) -> dict[str, str]:
    """Import each module as the first of the project's modules, in ``processes`` fresh
    interpreters side by side (each takes every ``processes``-th module)."""
    runs = [subprocess.Popen([sys.executable, "-c", _IMPORT_ALONE, json.dumps([modules[number::processes], own])],
                             cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for number in range(processes)]
    failed: dict[str, str] = {}
    for run in runs:
        out, err = run.communicate(timeout=900)
        assert run.returncode == 0, err
        failed.update(json.loads(out.splitlines()[-1]))
    return failed


def test_importing_alone_finds_a_cycle(tmp_path):
    """The check sees a cycle the way collection does: ``a`` first breaks, ``b`` first works."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from pkg.b import B\nA = 1\n")
    (tmp_path / "pkg" / "b.py").write_text("B = 1\nfrom pkg.a import A\n")
    (tmp_path / "pkg" / "c.py").write_text("from pkg.a import A\n")
    failed = _import_alone(["pkg.a", "pkg.b", "pkg.c", "pkg"], tmp_path, ["pkg"])
    assert sorted(failed) == ["pkg.a", "pkg.c"]
    assert "partially initialized module 'pkg.a'" in failed["pkg.a"]


@pytest.mark.slow
def test_every_module_imports_alone():
    """Each module of app/ imports when it is the first one imported (as when pytest collects a
    single test file), whatever the graph above says. About 45 s of CPU (most of it SQLAlchemy
    mapping the models again for each module), so on two processes."""
    own = sorted({p.stem for p in ROOT.iterdir() if (p.suffix == ".py" or (p / "__init__.py").exists())})
    failed = _import_alone(sorted(MODULES), ROOT, own, processes=2)
    assert not failed, "modules that fail when imported first (an import cycle):\n" + "\n".join(
        f"{module}:\n{trace}" for module, trace in failed.items())
