"""The package's layers hold: import-linter's contracts pass, modules are short, and no module forwards moved names."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import localization, photos, saliency

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "helpers"
MAX_LINES = 600  # a module per idea: past this, split it (ruff format wraps at 120 columns; 500 before it did)


def _lint_imports() -> str:
    """The `lint-imports` next to this Python (the environment's), else the one on PATH."""
    here = Path(sys.executable).with_name("lint-imports")
    found = str(here) if here.is_file() else shutil.which("lint-imports")
    if found is None:
        pytest.fail(
            "lint-imports is missing: install the test extra (pip install -e '.[test]', it brings import-linter)."
        )
    return found


def test_import_linter_contracts_are_kept() -> None:
    """Layers, algorithms -> evaluation forbidden, no cycle (pyproject.toml, [tool.importlinter])."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [_lint_imports(), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_is_short_and_says_what_it_holds(path: Path) -> None:
    """No module over 500 lines; each opens with a docstring whose first line names its idea."""
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_LINES, f"{path.name} has {len(text.splitlines())} lines; split it by idea."
    doc = ast.get_docstring(ast.parse(text))
    assert doc and len(doc.splitlines()[0]) > 20, f"{path.name} needs a docstring whose first line says what it holds."


def test_no_module_forwards_names_from_an_old_home() -> None:
    """No compatibility layer: no module but the package itself defines a module `__getattr__`; `helpers.moved` is gone."""
    assert not (PACKAGE / "moved.py").exists()
    forwarding = [
        p.relative_to(PACKAGE)
        for p in PACKAGE.rglob("*.py")
        if p.name != "__init__.py" and re.search(r"^def __getattr__", p.read_text(), flags=re.M)
    ]
    assert not forwarding, f"modules that forward names: {forwarding}"
    for module in (saliency, localization, photos):
        assert "__getattr__" not in vars(module), module.__name__
        with pytest.raises(AttributeError):
            module.mass_inside_mask  # noqa: B018 - a metric lives in helpers.evaluation.masks only
