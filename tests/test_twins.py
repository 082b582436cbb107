"""Every notebook has a text twin (notebooks/NN_name.py, jupytext py:percent) with the same cells.

The twin is what a review or a merge reads; `jupytext --sync notebooks/*.ipynb` re-syncs the two (jupytext.toml).
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def _cells(notebook: nbformat.NotebookNode) -> list[tuple[str, str, tuple[str, ...]]]:
    """What the twin must hold of each cell: its type, its source and its tags (not outputs or slide metadata)."""
    return [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", ()))) for c in notebook.cells]


def test_every_notebook_has_a_twin_and_no_twin_is_orphaned():
    twins = sorted(p.with_suffix(".ipynb") for p in NOTEBOOKS[0].parent.glob("[0-9][0-9]_*.py"))
    assert NOTEBOOKS, "no notebooks found"
    assert twins == NOTEBOOKS, (
        "each notebooks/NN_name.ipynb needs notebooks/NN_name.py: run `jupytext --sync notebooks/*.ipynb`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_twin_has_the_notebooks_code_and_markdown(path: Path):
    twin = path.with_suffix(".py")
    assert twin.exists(), f"{twin.name} is missing: run `jupytext --sync {path.relative_to(path.parents[1])}`"
    ours, theirs = _cells(nbformat.read(path, as_version=4)), _cells(jupytext.read(twin))
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, (
            f"cell {k} differs between {path.name} and {twin.name}: edit one, then "
            f"`jupytext --sync notebooks/{path.name}` (the newer file wins)\n"
            f"notebook: {a!r:.300}\ntwin:     {b!r:.300}"
        )
    assert len(ours) == len(theirs), f"{path.name} has {len(ours)} cells, {twin.name} {len(theirs)}: re-sync them"
