"""Exercise checks of notebook 01: the worked solutions pass, stubs and wrong answers fail (notebook 02: test_exercises_02.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from helpers.exercises import linear as ex1

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, SOLUTIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sol1 = _load("01_solutions")

CASES = [
    (ex1.check_linear_saliency, sol1.linear_saliency, lambda w, c: w[c].amax(dim=0)),  # forgot abs()
    (ex1.check_first_order, sol1.first_order, lambda f0, g, d: (g * d).sum()),  # forgot F(I0)
]


@pytest.mark.parametrize(("check", "solution", "wrong"), CASES, ids=[c[0].__name__ for c in CASES])
def test_solution_passes_and_wrong_answers_fail(check, solution, wrong) -> None:
    assert check(solution), check(solution).message
    for bad in (wrong, lambda *args: None, lambda *args: 1 / 0, "not a function"):
        verdict = check(bad)
        assert not verdict and str(verdict).startswith("❌ Not yet:")
