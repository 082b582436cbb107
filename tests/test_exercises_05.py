"""Notebook 05's exercise checks: the worked solutions pass, wrong answers and the shipped stubs fail."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from helpers.exercises import localization as ex

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions" / "05_solutions.py"


@pytest.fixture(scope="module")
def sol():
    spec = importlib.util.spec_from_file_location("solutions_05", SOLUTIONS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_solutions_pass(sol) -> None:
    assert ex.check_seeds(sol.seeds_from_saliency)
    assert ex.check_iou(sol.box_iou)
    assert ex.check_component_box(sol.largest_component_box)


@pytest.mark.parametrize("check", [ex.check_seeds, ex.check_iou, ex.check_component_box])
def test_stub_returning_none_fails(check) -> None:
    result = check(lambda *args: None)
    assert not result and "returned None" in result.message
    assert not check("not a function")


def test_wrong_seeds_fail(sol) -> None:
    swapped = lambda s, fg, bg: -sol.seeds_from_saliency(s, fg, bg)  # noqa: E731
    assert not ex.check_seeds(swapped)
    percent = lambda s, fg, bg: sol.seeds_from_saliency(s, fg / 100, bg / 100)  # noqa: E731  (quantiles as %)
    assert not ex.check_seeds(percent)
    crashing = lambda s, fg, bg: np.quantile(s, 95)  # noqa: E731
    assert "raised" in ex.check_seeds(crashing).message


def test_wrong_iou_fails(sol) -> None:
    inclusive = lambda a, b: sol.box_iou((a[0], a[1], a[2] + 1, a[3] + 1), (b[0], b[1], b[2] + 1, b[3] + 1))  # noqa: E731
    assert not ex.check_iou(inclusive)
    over_first = lambda a, b: sol.box_iou(a, b) * 0.9  # noqa: E731
    assert not ex.check_iou(over_first)
    assert not ex.check_iou(lambda a, b: "0.5")


def test_wrong_component_box_fails(sol) -> None:
    def all_pixels(mask: np.ndarray) -> tuple[int, int, int, int]:
        ys, xs = np.nonzero(mask)
        return (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)

    result = ex.check_component_box(all_pixels)
    assert not result and "largest connected component" in result.message
    inclusive = lambda m: tuple(v - 1 if i >= 2 else v for i, v in enumerate(sol.largest_component_box(m)))  # noqa: E731
    assert not ex.check_component_box(inclusive)
