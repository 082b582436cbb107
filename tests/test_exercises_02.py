"""Notebook 02's exercise checks: the worked solutions pass; each usual mistake (the table per exercise) fails with its name."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import pytest
import torch

from helpers.evaluation.masks import pointing_hit as library_pointing_hit
from helpers.exercises import saliency as ex

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions" / "02_solutions.py"


def _load_solutions() -> ModuleType:
    spec = importlib.util.spec_from_file_location("solutions_02", SOLUTIONS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sol = _load_solutions()


def test_solutions_pass() -> None:
    for check, solution in (
        (ex.check_saliency_from_model, sol.saliency_from_model),
        (ex.check_ten_crop_average, sol.ten_crop_average),
        (ex.check_pointing_hit, sol.pointing_hit),
    ):
        verdict = check(solution)
        assert verdict, verdict.message


@pytest.mark.parametrize("check", [ex.check_saliency_from_model, ex.check_ten_crop_average, ex.check_pointing_hit])
def test_stubs_and_crashes_fail_clearly(check) -> None:
    for bad, words in (
        (lambda *a: None, "returned None"),
        (lambda *a: 1 / 0, "ZeroDivisionError"),
        ("text", "should be a function"),
    ):
        verdict = check(bad)
        assert not verdict and words in verdict.message and str(verdict).startswith("❌ Not yet:")


# ----------------------------------------------------------------------------------------------
# Exercise 1: the mistakes, written as a student would


def _grad(model, x, targets, prob=False):
    xg = x.detach().clone().requires_grad_(True)
    scores = model(xg)
    scores = scores.softmax(dim=1) if prob else scores
    (g,) = torch.autograd.grad(scores[torch.arange(len(targets)), torch.tensor(targets)].sum(), xg)
    return g


def _backward_on_weights(model, x, targets):
    xg = x.detach().clone().requires_grad_(True)
    model(xg)[
        torch.arange(len(targets)), torch.tensor(targets)
    ].sum().backward()  # fills .grad of the trainable weights
    return xg.grad.abs().amax(dim=1)


def _flags_x(model, x, targets):
    x.requires_grad_(True)  # the caller's tensor
    (g,) = torch.autograd.grad(model(x)[torch.arange(len(targets)), torch.tensor(targets)].sum(), x)
    return g.abs().amax(dim=1)


def _leaves_grad_on_x(model, x, targets):
    x.requires_grad_(True)
    scores = model(x)
    (g,) = torch.autograd.grad(scores[torch.arange(len(targets)), torch.tensor(targets)].sum(), x, retain_graph=True)
    scores.sum().backward(inputs=[x])
    x.requires_grad_(False)  # switched back off, but x.grad stays
    return g.abs().amax(dim=1)


def _changes_x(model, x, targets):
    out = sol.saliency_from_model(model, x, targets)
    x.add_(1.0)
    return out


SALIENCY_MISTAKES: list[tuple[str, Callable, str]] = [
    ("sum over channels", lambda m, x, t: _grad(m, x, t).abs().sum(dim=1), "sum over colour channels"),
    ("no abs", lambda m, x, t: _grad(m, x, t).amax(dim=1), "abs() missing"),
    ("softmax", lambda m, x, t: _grad(m, x, t, prob=True).abs().amax(dim=1), "softmax probability"),
    ("first target for all", lambda m, x, t: _grad(m, x, [t[0]] * len(t)).abs().amax(dim=1), "first target"),
    (".backward() on the weights", _backward_on_weights, "model's parameters"),
    ("x.requires_grad_(True)", _flags_x, "requires_grad of the caller's x"),
    ("x.grad left", _leaves_grad_on_x, "left a .grad on the caller's x"),
    ("x changed in place", _changes_x, "changed the input x in place"),
    ("Classifier, not the bare module", lambda m, x, t: m.model(x), "bare torch nn.Module"),
]


@pytest.mark.parametrize(
    ("wrong", "words"), [(w, words) for _, w, words in SALIENCY_MISTAKES], ids=[i for i, _, _ in SALIENCY_MISTAKES]
)
def test_saliency_from_model_names_the_mistake(wrong, words) -> None:
    verdict = ex.check_saliency_from_model(wrong)
    assert not verdict and words in verdict.message, verdict.message


def test_saliency_test_model_is_trainable() -> None:
    """A frozen model would hide a stray .backward(): the check's model has trainable weights."""
    assert all(p.requires_grad for p in ex._tiny_model().parameters())


# ----------------------------------------------------------------------------------------------
# Exercise 2


def _divide_by_ten(maps, offsets, work):
    total = np.zeros(work)
    for k, (m, (t, l)) in enumerate(zip(maps, offsets)):
        m = m[:, ::-1] if k >= 5 else m
        total[t : t + m.shape[0], l : l + m.shape[1]] += m
    return total / 10


TEN_CROP_MISTAKES: list[tuple[str, Callable, str]] = [
    (
        "mirror not undone",
        lambda maps, o, w: sol.ten_crop_average(np.concatenate([maps[:5], maps[5:, :, ::-1]]), o, w),
        "flip them back",
    ),
    ("divide by 10", _divide_by_ten, "divide by 10"),
    ("sum", lambda maps, o, w: _divide_by_ten(maps, o, w) * 10, "return the sum"),
    ("no pasting", lambda maps, o, w: maps.mean(axis=0), "has shape"),
]


@pytest.mark.parametrize(
    ("wrong", "words"), [(w, words) for _, w, words in TEN_CROP_MISTAKES], ids=[i for i, _, _ in TEN_CROP_MISTAKES]
)
def test_ten_crop_average_names_the_mistake(wrong, words) -> None:
    verdict = ex.check_ten_crop_average(wrong)
    assert not verdict and words in verdict.message, verdict.message


# ----------------------------------------------------------------------------------------------
# Exercise 3


def _student_pointing(
    *,
    compare=np.less,
    metric=cv2.DIST_L2,
    mask_size=cv2.DIST_MASK_PRECISE,
    swap_xy=False,
    of_mask=False,
    peak=np.argmax,
):
    def pointing_hit(saliency, mask, tolerance):
        y, x = np.unravel_index(peak(saliency), saliency.shape)
        source = mask if of_mask else ~mask
        distance = cv2.distanceTransform(source.astype(np.uint8), metric, mask_size)
        return bool(compare(distance[x, y] if swap_xy else distance[y, x], tolerance))

    return pointing_hit


POINTING_MISTAKES: list[tuple[str, Callable, str]] = [
    ("dist <= tolerance", _student_pointing(compare=np.less_equal), "strictly below"),
    ("tolerance ignored", lambda s, m, t: bool(m[np.unravel_index(np.argmax(s), s.shape)]), "ignore the tolerance"),
    ("minimum", _student_pointing(peak=np.argmin), "minimum"),
    ("transform of the mask", _student_pointing(of_mask=True), "complement"),
    ("city block", _student_pointing(metric=cv2.DIST_L1, mask_size=3), "city-block"),
    ("chessboard", _student_pointing(metric=cv2.DIST_C, mask_size=3), "chessboard"),
    ("3x3 mask", _student_pointing(mask_size=3), "DIST_MASK_PRECISE"),
    ("row and column swapped", _student_pointing(swap_xy=True), "(row, column)"),
    ("tolerance doubled", lambda s, m, t: sol.pointing_hit(s, m, 2 * t), "strictly closer"),
]


@pytest.mark.parametrize(
    ("wrong", "words"), [(w, words) for _, w, words in POINTING_MISTAKES], ids=[i for i, _, _ in POINTING_MISTAKES]
)
def test_pointing_hit_names_the_mistake(wrong, words) -> None:
    verdict = ex.check_pointing_hit(wrong)
    assert not verdict and words in verdict.message, verdict.message


def test_pointing_cases_hold_the_edge_cases_and_agree_with_the_library() -> None:
    """The check's cases put the maximum on the object at tolerance 0 and at exactly the tolerance; reference = library."""
    cases = ex.pointing_cases()
    distances = [float(ex._distance_to_object(m)[ex._peak(s)]) for s, m, _ in cases]
    assert any(d == 0 and t == 0 for d, (_, _, t) in zip(distances, cases))
    assert any(d == t > 0 for d, (_, _, t) in zip(distances, cases))
    for case in cases:
        assert ex.pointing_hit_reference(*case) == library_pointing_hit(*case) == sol.pointing_hit(*case)


def test_pointing_reference_uses_euclidean_distance() -> None:
    mask = np.zeros((30, 30), bool)
    mask[10, 10] = True
    saliency = np.zeros((30, 30))
    saliency[13, 14] = 1.0  # Euclidean distance 5 (city-block 7, chessboard 4)
    assert ex.pointing_hit_reference(saliency, mask, 5.1) and not ex.pointing_hit_reference(saliency, mask, 5)
    assert not ex.pointing_hit_reference(saliency, mask, 4.5)  # chessboard distance 4 would hit


# ----------------------------------------------------------------------------------------------
# Check your understanding


def test_quiz_right_answers_pass_wrong_ones_fail_with_the_explanation() -> None:
    assert ex.Q1.check("b") and ex.Q2.check(0.128) and ex.Q2.check("16/125") and ex.Q3.check("c")
    for question, wrong in ((ex.Q1, "a"), (ex.Q2, 0.3), (ex.Q3, "a")):
        verdict = question.check(wrong)
        assert not verdict and question.explanation in verdict.message
    assert ex.QUIZ == (ex.Q1, ex.Q2, ex.Q3)


def test_quiz_q2_tells_a_percentage_from_a_fraction() -> None:
    for percent in (12.8, "12.8"):  # a bare 12.8 is ambiguous: the format is told
        verdict = ex.Q2.check(percent)
        assert not verdict and "give a fraction, not a percentage" in verdict.message
    assert ex.Q2.check("12.8%")  # with the % sign the meaning is plain: accepted
    assert "share follows the area" in ex.Q2.check("1/2").message


def test_quiz_q3_right_option_does_not_copy_the_notebook() -> None:
    """The right option is the idea in other words, not the notebook's sentence a student can match by eye."""
    import nbformat

    notebook = nbformat.read(
        Path(__file__).resolve().parent.parent / "notebooks" / "02_saliency_maps.ipynb", as_version=4
    )
    prose = " ".join(c.source for c in notebook.cells if c.cell_type == "markdown").lower()
    right = ex.Q3.options[ord(ex.Q3.answer) - ord("a")].lower()
    words = right.replace(",", " ").replace(":", " ").split()
    shared = [" ".join(words[i : i + 5]) for i in range(len(words) - 4) if " ".join(words[i : i + 5]) in prose]
    assert not shared, shared


def test_quiz_q3_claims_inside_the_border_only_what_holds_on_every_seed() -> None:
    # inside the 8-px border the all-random maps beat two different images' trained maps on seed 0 only: no "flip"
    assert "flips" not in ex.Q3.explanation and "more than two different images" not in ex.Q3.explanation
    assert "than with another image's" in ex.Q3.explanation
