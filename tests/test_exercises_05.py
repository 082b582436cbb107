"""Notebook 05's exercise checks and questions: the worked solutions pass, wrong answers and the shipped stubs fail."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

from helpers import localization as loc
from helpers.exercises import localization as ex
from helpers.evaluation import boxes as box_eval

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions" / "05_solutions.py"
CHECKS = [ex.check_seeds, ex.check_seed_colour_models, ex.check_cut_and_box]


@pytest.fixture(scope="module")
def sol():
    spec = importlib.util.spec_from_file_location("solutions_05", SOLUTIONS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_solutions_pass(sol) -> None:
    for check, solution in zip(CHECKS, (sol.seeds, sol.seed_colour_models, sol.cut_and_box)):
        verdict = check(solution)
        assert verdict, verdict.message


@pytest.mark.parametrize("check", CHECKS)
def test_stub_returning_none_fails(check) -> None:
    result = check(lambda *args: None)
    assert not result and "returned None" in result.message
    assert not check("not a function")


def test_wrong_seeds_fail(sol) -> None:
    swapped = lambda s, fg, bg: -sol.seeds(s, fg, bg)  # noqa: E731
    assert not ex.check_seeds(swapped)
    percent = lambda s, fg, bg: sol.seeds(s, fg / 100, bg / 100)  # noqa: E731  (quantiles as %)
    assert not ex.check_seeds(percent)
    crashing = lambda s, fg, bg: np.quantile(s, 95)  # noqa: E731
    assert "raised" in ex.check_seeds(crashing).message


def test_wrong_colour_models_fail(sol) -> None:
    swapped = lambda image, seeds: sol.seed_colour_models(image, seeds)[::-1]  # noqa: E731
    assert "swapped" in ex.check_seed_colour_models(swapped).message
    empty = lambda image, seeds: (np.zeros((1, 65)), np.zeros((1, 65)))  # noqa: E731
    assert not ex.check_seed_colour_models(empty)
    assert "(1, 65)" in ex.check_seed_colour_models(lambda image, seeds: np.zeros(65)).message

    def only_foreground_on_wrong_pixels(image, seeds):  # models fitted on inverted seeds: background colours as object
        return sol.seed_colour_models(image, -seeds)

    assert not ex.check_seed_colour_models(only_foreground_on_wrong_pixels)


def test_wrong_cut_and_box_fail(sol) -> None:
    def all_foreground_pixels(image, seeds, bgd, fgd):
        mask = np.where(seeds == 1, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
        cv2.grabCut(image, mask, None, bgd, fgd, 1, cv2.GC_EVAL_FREEZE_MODEL)
        return loc.mask_box((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD))

    def seeds_box(image, seeds, bgd, fgd):  # no cut at all: the box of the foreground seeds
        return loc.mask_box(loc.largest_component(seeds == 1))

    inclusive = lambda *a: tuple(v - 1 if i >= 2 else v for i, v in enumerate(sol.cut_and_box(*a)))  # noqa: E731
    for wrong in (seeds_box, inclusive):
        assert not ex.check_cut_and_box(wrong)
    verdict = ex.check_cut_and_box(all_foreground_pixels)  # the scenes hold a stray patch of the object's colour
    assert not verdict and "largest 8-connected component" in verdict.message


def test_synthetic_scenes_are_localizable_by_the_paper_pipeline() -> None:
    """The check scenes are fair: the reference pipeline finds each object (IoU >= 0.5)."""
    for seed in range(6):
        image, saliency, box = ex.synthetic_scene(seed)
        seeds = loc.saliency_seeds(saliency)
        assert box_eval.iou(ex.cut_and_box_reference(image, seeds, *ex.seed_colour_models_reference(image, seeds)), box) >= 0.5


def test_quiz_right_answers_pass_wrong_ones_fail_with_the_explanation() -> None:
    assert ex.Q1.check("b") and ex.Q2.check(0.333) and ex.Q3.check("a")
    for question, wrong in ((ex.Q1, "a"), (ex.Q2, 0.5), (ex.Q3, "b")):
        verdict = question.check(wrong)
        assert not verdict and question.explanation in verdict.message
