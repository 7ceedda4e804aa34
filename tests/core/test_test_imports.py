"""No test imports another test module (issue 23, item 8).

Shared builders are fixtures of the factories plugin (``tests/factories/``, listed in
``pytest_plugins`` of ``tests/conftest.py``) or plain helpers in ``tests/factories/`` and
``tests/support/``. A conftest or a ``test_*`` module is never imported: pytest loads those
itself (``--import-mode=importlib`` would even load a second copy), and a fixture imported
into another conftest needs a ``noqa: F401`` that hides what it is for.
"""
from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_test_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names
                      if (ROOT / Path(*f"{node.module}.{alias.name}".split("."))).with_suffix(".py").exists()]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__import__"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return [(line, name) for line, name in found if name.startswith("tests.")]


def _offenders() -> dict[str, list[str]]:
    offenders: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bad = [f"line {line}: {name}" for line, name in _imported(tree) if _is_test_module(name)]
        if bad:
            offenders[_module_name(path)] = bad
    return offenders


def test_no_test_module_imports_another():
    offenders = _offenders()
    assert not offenders, ("import a builder from tests/factories (a fixture needs no import at all) or a "
                           f"helper from tests/support, never a conftest or test module: {offenders}")


def test_no_fixture_is_imported_with_noqa():
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("from tests.") and "noqa: F401" in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert not offenders, f"fixtures come from the factories plugin, not from an import: {offenders}"
