"""The public API stays put: every `helpers...` name that the notebooks, solutions, README and benchmarks use resolves.

The names are read from the sources themselves (notebook code cells, `solutions/*.py`, the README's
Python blocks and commands, `benchmarks/*.py`), so moving a module's contents cannot silently break
a notebook: a moved name must stay reachable where the notebooks look for it.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _notebook_code(path: Path) -> str:
    """A notebook's code cells as one Python source; IPython magics and shell lines become blank."""
    cells = json.loads(path.read_text())["cells"]
    lines = [line for c in cells if c["cell_type"] == "code" for line in ("".join(c["source"]) + "\n").splitlines()]
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)


def _readme_code(text: str) -> str:
    return "\n".join(re.findall(r"```python\n(.*?)```", text, re.S))


def sources() -> dict[str, str]:
    """Name -> Python source of everything outside the package that uses it."""
    out = {str(p.relative_to(ROOT)): _notebook_code(p) for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}
    for pattern in ("solutions/*.py", "benchmarks/*.py"):
        out |= {str(p.relative_to(ROOT)): p.read_text() for p in sorted(ROOT.glob(pattern))}
    out["README.md"] = _readme_code((ROOT / "README.md").read_text())
    return out


def _dotted(node: ast.AST) -> list[str] | None:
    """['a', 'b', 'c'] for the expression a.b.c, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return [node.id, *reversed(parts)] if isinstance(node, ast.Name) else None


def used_names(source: str) -> set[str]:
    """Dotted `helpers...` names a source uses: what it imports, and attribute chains on helpers modules it holds."""
    tree = ast.parse(source)
    aliases: dict[str, str] = {}
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "helpers":
                    names.add(a.name)
                    aliases[a.asname or "helpers"] = a.name if a.asname else "helpers"
        elif isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "helpers":
            for a in node.names:
                names.add(f"{node.module}.{a.name}")
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    for node in ast.walk(tree):
        chain = _dotted(node) if isinstance(node, ast.Attribute) else None
        if chain and chain[0] in aliases:
            names.add(".".join([aliases[chain[0]], *chain[1:]]))
    return names


def resolve(dotted: str) -> object:
    """Import `helpers` and walk the dotted name; submodules are imported on the way. Stops below the first non-module."""
    parts = dotted.split(".")
    obj: object = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=1):
        if not isinstance(obj, ModuleType):
            break  # an attribute of a function or class: not part of the module API
        if not hasattr(obj, part) and importlib.util.find_spec(".".join(parts[: i + 1])) is not None:
            importlib.import_module(".".join(parts[: i + 1]))
        assert hasattr(obj, part), f"{'.'.join(parts[:i])} has no {part!r}"
        obj = getattr(obj, part)
    return obj


def prose() -> dict[str, str]:
    """The README and the notebooks' markdown cells: where students read names and commands."""
    out = {"README.md": (ROOT / "README.md").read_text()}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        out[str(path.relative_to(ROOT))] = "\n".join(
            "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
        )
    return out


USES = sorted(
    {(name, where) for where, source in sources().items() for name in used_names(source)}
    | {
        (name, where)
        for where, text in prose().items()
        for name in re.findall(r"`(helpers(?:\.\w+)+)", text)
        if not name.endswith(".py")
    }  # a file name such as `helpers.py`, not a module
)


def test_the_sources_use_many_names() -> None:
    """The extraction works: notebooks 02 and 05 reach names through module aliases (mask_eval.mass_inside_mask, loc.localize)."""
    names = {n for n, _ in USES}
    assert {
        "helpers.evaluation.masks.mass_inside_mask",
        "helpers.evaluation.pointing.evaluate_pointing",
        "helpers.evaluation.boxes.iou",
        "helpers.localization.localize",
        "helpers.load_model",
    } <= names
    assert len(names) > 100


@pytest.mark.parametrize(("name", "where"), USES, ids=[f"{n} ({w})" for n, w in USES])
def test_name_resolves(name: str, where: str) -> None:
    resolve(name)


COMMANDS = sorted({m for text in prose().values() for m in re.findall(r"python -m (helpers(?:\.\w+)+)", text)})


@pytest.mark.parametrize("module", COMMANDS)
def test_commands_exist(module: str) -> None:
    """`python -m helpers.<module>` in the README or a notebook names a module that can run."""
    assert importlib.util.find_spec(module) is not None
