"""Notebook 05's exercise checks and questions: the worked solutions pass, wrong answers and the shipped stubs fail."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from helpers import localization as loc
from helpers.evaluation import boxes as box_eval
from helpers.exercises import localization as ex

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


def _student_seeds(*, fg_op=np.greater_equal, bg_op=np.less_equal, quantile=np.quantile, from_top=False, sign=1):
    """A seeds() written as a student would, with one deliberate slip (the defaults are the right answer)."""

    def seeds(saliency, fg_quantile, bg_quantile):
        if from_top:
            fg_quantile, bg_quantile = 1 - fg_quantile, 1 - bg_quantile
        q_fg, q_bg = quantile(saliency, [fg_quantile, bg_quantile])
        out = np.zeros(saliency.shape, int)
        out[fg_op(saliency, q_fg)] = sign
        out[bg_op(saliency, q_bg)] = -sign
        return out

    return seeds


# Exercise 1's mistakes: (id, student function, words its verdict must contain).
SEED_MISTAKES = [
    ("> and <", _student_seeds(fg_op=np.greater, bg_op=np.less), "at or above"),
    ("> and <: use >=", _student_seeds(fg_op=np.greater, bg_op=np.less), ">="),
    ("> only", _student_seeds(fg_op=np.greater), "you use > for the foreground"),
    ("< only", _student_seeds(bg_op=np.less), "you use < for the background"),
    ("np.percentile with fractions", _student_seeds(quantile=np.percentile), "np.percentile takes percents"),
    ("+1 and -1 swapped", _student_seeds(sign=-1), "swapped"),
    ("quantile from the top", _student_seeds(from_top=True), "counted from the bottom"),
    ("np.quantile(s, 95)", lambda s, fg, bg: np.quantile(s, 95), "raised"),
]


@pytest.mark.parametrize(
    ("wrong", "words"), [(w, words) for _, w, words in SEED_MISTAKES], ids=[i for i, _, _ in SEED_MISTAKES]
)
def test_seeds_check_names_the_mistake(wrong, words) -> None:
    verdict = ex.check_seeds(wrong)
    assert not verdict and words in verdict.message, verdict.message


def _whole_image_models(unseeded):
    """seed_colour_models as a student might write it: GrabCut fits its models on the whole image."""

    def seed_colour_models(image, seeds):
        mask = np.full(seeds.shape, unseeded, np.uint8)
        mask[seeds == 1], mask[seeds == -1] = cv2.GC_FGD, cv2.GC_BGD
        bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
        cv2.grabCut(image, mask, None, bgd, fgd, 0, cv2.GC_INIT_WITH_MASK)
        return bgd, fgd

    return seed_colour_models


# Exercise 2's mistakes.
COLOUR_MODEL_MISTAKES = [
    ("whole image, unseeded probable background", _whole_image_models(cv2.GC_PR_BGD), "counted as probable background"),
    ("whole image, unseeded probable foreground", _whole_image_models(cv2.GC_PR_FGD), "counted as probable foreground"),
    ("models swapped", lambda image, seeds: sol_05().seed_colour_models(image, seeds)[::-1], "swapped"),
    (
        "models fitted on inverted seeds",
        lambda image, seeds: sol_05().seed_colour_models(image, -seeds),
        "swapped",
    ),  # the same models, swapped
    ("empty models", lambda image, seeds: (np.zeros((1, 65)), np.zeros((1, 65))), "agrees with the reference on only"),
    ("one array", lambda image, seeds: np.zeros(65), "(1, 65)"),
]


def sol_05():
    spec = importlib.util.spec_from_file_location("solutions_05_table", SOLUTIONS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("wrong", "words"),
    [(w, words) for _, w, words in COLOUR_MODEL_MISTAKES],
    ids=[i for i, _, _ in COLOUR_MODEL_MISTAKES],
)
def test_colour_models_check_names_the_mistake(wrong, words) -> None:
    verdict = ex.check_seed_colour_models(wrong)
    assert not verdict and words in verdict.message, verdict.message


def test_unseeded_colour_scenes_separate_seed_models_from_whole_image_models() -> None:
    """The scenes' unseeded colours are in no seed, and whole-image models change the cut on a large share of pixels."""
    for seed in range(2):
        image, saliency = ex.unseeded_colour_scene(seed)
        seeds = loc.saliency_seeds(saliency)
        seeded = {tuple(c) for c in image[seeds != 0].reshape(-1, 3) // 40}
        unseeded = {tuple(c) for c in image[seeds == 0].reshape(-1, 3) // 40}
        assert unseeded - seeded
        reference = ex.frozen_cut_reference(image, seeds, *ex.seed_colour_models_reference(image, seeds))
        for label in (cv2.GC_PR_BGD, cv2.GC_PR_FGD):
            whole = ex.frozen_cut_reference(image, seeds, *ex.whole_image_colour_models(image, seeds, label))
            assert np.mean(whole != reference) > 0.1


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
        assert (
            box_eval.iou(ex.cut_and_box_reference(image, seeds, *ex.seed_colour_models_reference(image, seeds)), box)
            >= 0.5
        )


def test_quiz_right_answers_pass_wrong_ones_fail_with_the_explanation() -> None:
    assert (
        ex.Q1.check("b") and ex.Q2.check(0.333) and ex.Q2.check("1/3") and ex.Q2.check(" 1 / 3 ") and ex.Q3.check("a")
    )
    for question, wrong in ((ex.Q1, "a"), (ex.Q2, 0.2), (ex.Q3, "b")):
        verdict = question.check(wrong)
        assert not verdict and question.explanation in verdict.message
    assert "give a fraction, not a percentage" in ex.Q2.check(33.3).message
    assert "divides by the union" in ex.Q2.check("1/2").message


NOTEBOOK_05 = Path(__file__).resolve().parents[1] / "notebooks" / "05_weakly_supervised_localization.py"


def _quiz_texts() -> list[str]:
    """Every text a student reads in notebook 05's quiz: questions, options, explanations, misconceptions."""
    texts = []
    for q in ex.QUIZ:
        texts += [q.question, q.explanation, *getattr(q, "options", ()), *getattr(q, "why_wrong", {}).values()]
        texts += [message for _, message in getattr(q, "mistakes", ())]
    return texts


def test_quiz_cross_references_name_sections_the_notebook_has() -> None:
    """'section N' is a numbered main-line heading of notebook 05; an optional section is named by its quoted title."""
    twin = NOTEBOOK_05.read_text()
    numbered = set(re.findall(r"^# ## (\d+) · ", twin, flags=re.M))
    optional = set(re.findall(r"^# ## Optional: (.+?) · \d+ min", twin, flags=re.M))
    assert numbered and optional, "notebook 05's headings changed: update this test"
    for text in _quiz_texts():
        assert not re.search(r"optional section \d", text), f"optional sections have no number: {text!r}"
        for title in re.findall(r"optional section '([^']+)'", text):
            assert title in optional, f"no optional section {title!r} in notebook 05 (it has {sorted(optional)})"
        for number in re.findall(r"(?<!optional )\bsection (\d+)", text):
            assert number in numbered, f"notebook 05 has no section {number} (it has {sorted(numbered)}): {text!r}"
