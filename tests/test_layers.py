"""The package's layers hold: import-linter's contracts pass, and no module reaches a moved name through its old home."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import localization, photos, saliency

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "helpers"
MAX_LINES = 500


def _lint_imports() -> str:
    """The `lint-imports` next to this Python (the environment's), else the one on PATH."""
    here = Path(sys.executable).with_name("lint-imports")
    found = str(here) if here.is_file() else shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports is missing: install the test extra (pip install -e '.[test]', it brings import-linter).")
    return found


def test_import_linter_contracts_are_kept() -> None:
    """Layers, algorithms -> evaluation forbidden, no cycle (pyproject.toml, [tool.importlinter])."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([_lint_imports(), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
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


MOVED = {"helpers.saliency": saliency._MOVED, "helpers.localization": localization._MOVED, "helpers.photos": photos._MOVED}


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute name of what `from ... import` imports from, inside module `module`."""
    if not node.level:
        return node.module or ""
    parts = module.split(".")[: -node.level]
    return ".".join(parts + ([node.module] if node.module else []))


def _moved_uses(tree: ast.AST, module: str) -> list[str]:
    """Every moved name that `module` takes from its old home: `from old import name`, or `old_alias.name`."""
    aliases: dict[str, str] = {}
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(module, node)
            for a in node.names:
                if f"{source}.{a.name}" in MOVED:  # from helpers import saliency as S
                    aliases[a.asname or a.name] = f"{source}.{a.name}"
                elif _new_home(source, a.name):
                    uses.append(f"{a.name} from {source} (now in {_new_home(source, a.name)})")
        elif isinstance(node, ast.Import):
            aliases.update({a.asname: a.name for a in node.names if a.asname and a.name in MOVED})
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            source = aliases[node.value.id]
            if _new_home(source, node.attr):
                uses.append(f"{node.value.id}.{node.attr} (now in {_new_home(source, node.attr)})")
    return uses


def _new_home(old: str, name: str) -> str | None:
    return next((home for home, names in MOVED.get(old, {}).items() if name in names), None)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_package_takes_moved_names_from_their_new_home(path: Path) -> None:
    """A moved name reached through its old module would be an upward import that import-linter cannot see."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    module = ".".join(parts if parts[-1] != "__init__" else (*parts[:-1], "x"))  # a package's __init__ resolves like a child
    assert not _moved_uses(ast.parse(path.read_text()), module)


@pytest.mark.parametrize("old", sorted(MOVED))
def test_moved_names_resolve_in_their_old_home(old: str) -> None:
    """`helpers.saliency.mass_inside_mask` and the like still work, and are the new home's objects."""
    import importlib

    module = importlib.import_module(old)
    for home, names in MOVED[old].items():
        new = importlib.import_module(home)
        for name in names:
            assert getattr(module, name) is getattr(new, name)
            assert name in dir(module)
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018
