"""What a newcomer reads agrees with the repository: the licence, the README's module table and exercise counts."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.py"))


def test_the_licence_file_is_the_one_pyproject_names() -> None:
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License") and "Permission is hereby granted, free of charge" in licence
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == {"text": "MIT"}
    assert "[`LICENSE`](LICENSE)" in README


def _layer_table() -> str:
    start = README.index("| layer | module | what it holds |")
    return README[start : README.index("\n\n", start)]


def _modules() -> list[str]:
    """Dotted names of the library's modules and of the course and evaluation sub-packages' modules."""
    names = [f"helpers.{p.stem}" for p in (ROOT / "helpers").glob("*.py") if p.stem != "__init__"]
    for package in ("course", "evaluation"):
        names += [
            f"helpers.{package}.{p.stem}"
            for p in (ROOT / "helpers" / package).glob("*.py")
            if not p.stem.startswith("__")
        ]
    return sorted(names)


@pytest.mark.parametrize("module", _modules())
def test_the_readme_layer_table_names_every_module(module: str) -> None:
    """Each module appears as `helpers.x` or, in a row of its package, as `.x` after `helpers.<package>.`."""
    table = _layer_table()
    parent, _, leaf = module.rpartition(".")
    in_row = any(f"`.{leaf}`" in row and f"`{parent}." in row for row in table.splitlines())
    assert f"`{module}`" in table or in_row, f"{module} is missing from the README's layer table"


def _exercise_count(twin: Path) -> int:
    """Exercises of a notebook: the distinct automatic checks its exercise cells call (check_...(answer))."""
    return len(set(re.findall(r"\b(check_[a-z_]+)\(", twin.read_text())))


def test_the_readme_states_the_range_of_exercises_per_notebook() -> None:
    low, high = map(int, re.search(r"(\d)–(\d) exercises in which", README).groups())
    counts = {p.name[:2]: _exercise_count(p) for p in NOTEBOOKS}
    assert (low, high) == (min(counts.values()), max(counts.values())), counts
