"""Contract: models/ and connectors/ never import PySide6, pyqtgraph or console/.

An AST walk over every module (not just the ones a test happens to import), so a
lazy import inside a function is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FORBIDDEN = ("PySide6", "shiboken6", "pyqtgraph", "console")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", "") == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append((node.lineno, str(node.args[0].value)))
    return found


@pytest.mark.parametrize("package", ["models", "connectors"])
def test_package_does_not_import_qt_or_console(package: str) -> None:
    violations = []
    files = sorted((REPO / package).rglob("*.py"))
    assert files, f"no modules found under {package}/"
    for path in files:
        for line, module in imported_modules(path):
            if module.split(".")[0] in FORBIDDEN:
                violations.append(f"{path.relative_to(REPO)}:{line} imports {module}")
    assert not violations, "\n".join(violations)


def test_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from PySide6 import QtCore\n")
    assert imported_modules(bad) == [(2, "PySide6")]
