"""Exercise checks of notebook 02 (notebook 01: tests/test_exercises_01.py): the worked solutions pass, stubs and wrong answers fail."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from helpers.exercises import saliency as ex2

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, SOLUTIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sol2 = _load("02_solutions")

CASES = [
    (ex2.check_saliency_from_gradient, sol2.saliency_from_gradient, lambda g: g.abs().sum(dim=1)),  # sum, not max
    (ex2.check_pointing_hit, sol2.pointing_hit, lambda s, m: bool(m[np.unravel_index(np.argmin(s), s.shape)])),
    (ex2.check_mass_inside, sol2.mass_inside, lambda s, m: float(m.mean())),  # area, not mass
]


@pytest.mark.parametrize(("check", "solution", "wrong"), CASES, ids=[c[0].__name__ for c in CASES])
def test_solution_passes_and_wrong_answers_fail(check, solution, wrong) -> None:
    assert check(solution), check(solution).message
    for bad in (wrong, lambda *args: None, lambda *args: 1 / 0, "not a function"):
        verdict = check(bad)
        assert not verdict and str(verdict).startswith("❌ Not yet:")
