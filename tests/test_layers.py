"""The layers point down only: import-linter's contracts from pyproject.toml, plus a plain AST check
whose failure message names the file and the import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "commander"
FRAMEWORKS = {"PySide6", "shiboken6", "sqlalchemy", "alembic", "httpx", "psycopg", "keyring"}


def imported_roots(path: Path) -> list[tuple[int, str]]:
    """(line, top-level module) for every absolute import in a file, wherever it sits (functions too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def offenders(folder: Path, forbidden: set[str]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted(folder.rglob("*.py"))
        for line, module in imported_roots(path)
        if module in forbidden
    ]


def test_import_linter_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    if not lint_imports.exists():
        pytest.fail(f"{lint_imports} is missing: install the test extras (pip install -e '.[test]').")
    # Run from the root so that it reads [tool.importlinter] from pyproject.toml.
    done = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"import-linter found a broken contract:\n{done.stdout}\n{done.stderr}"
    assert " kept, 0 broken." in done.stdout, done.stdout


def test_the_domain_imports_no_framework() -> None:
    assert offenders(PACKAGE / "domain", FRAMEWORKS) == [], "the domain must stay plain Python"


@pytest.mark.parametrize("layer", ["domain", "store", "app", "cli", "sync", "integrations"])
def test_only_the_ui_imports_qt(layer: str) -> None:
    folder = PACKAGE / layer
    assert folder.is_dir(), f"commander/{layer} is missing"
    assert offenders(folder, {"PySide6", "shiboken6"}) == [], f"commander/{layer} must not import Qt"


def test_the_check_itself_would_see_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from sqlalchemy.orm import Session\n    import PySide6.QtCore\n", encoding="utf-8")
    assert [module for _, module in imported_roots(sample)] == ["sqlalchemy", "PySide6"]
