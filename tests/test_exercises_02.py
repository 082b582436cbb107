"""Notebook 02's exercise checks and questions: the worked solutions pass, the usual mistakes fail with a hint."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers.exercises import saliency as ex

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions" / "02_solutions.py"


@pytest.fixture(scope="module")
def sol():
    spec = importlib.util.spec_from_file_location("solutions_02", SOLUTIONS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_solutions_pass(sol) -> None:
    for check, solution in ((ex.check_saliency_from_model, sol.saliency_from_model),
                            (ex.check_ten_crop_average, sol.ten_crop_average),
                            (ex.check_pointing_hit, sol.pointing_hit)):
        verdict = check(solution)
        assert verdict, verdict.message


@pytest.mark.parametrize("check", [ex.check_saliency_from_model, ex.check_ten_crop_average, ex.check_pointing_hit])
def test_stubs_and_crashes_fail_clearly(check) -> None:
    for bad, words in ((lambda *a: None, "returned None"), (lambda *a: 1 / 0, "ZeroDivisionError"), ("text", "should be a function")):
        verdict = check(bad)
        assert not verdict and words in verdict.message and str(verdict).startswith("❌ Not yet:")


def _grad(model, x, targets, prob=False):
    xg = x.detach().clone().requires_grad_(True)
    scores = model(xg)
    scores = scores.softmax(dim=1) if prob else scores
    (g,) = torch.autograd.grad(scores[torch.arange(len(targets)), torch.tensor(targets)].sum(), xg)
    return g


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda m, x, t: _grad(m, x, t).abs().sum(dim=1), "sum over colour channels"),
        (lambda m, x, t: _grad(m, x, t).amax(dim=1), "abs() missing"),
        (lambda m, x, t: _grad(m, x, t, prob=True).abs().amax(dim=1), "softmax probability"),
        (lambda m, x, t: _grad(m, x, [t[0]] * len(t)).abs().amax(dim=1), "first target"),
    ],
)
def test_saliency_from_model_names_the_mistake(wrong, words) -> None:
    verdict = ex.check_saliency_from_model(wrong)
    assert not verdict and words in verdict.message


def test_saliency_from_model_refuses_side_effects(sol) -> None:
    def mutates(model, x, targets):
        x.requires_grad_(True)
        out = sol.saliency_from_model(model, x, targets)
        x.data.add_(1.0)
        return out

    assert "changed the input" in ex.check_saliency_from_model(mutates).message

    def leaks(model, x, targets):
        for p in model.parameters():
            p.requires_grad_(True)
        xg = x.clone().requires_grad_(True)
        scores = model(xg)
        scores[torch.arange(len(targets)), torch.tensor(targets)].sum().backward()
        return xg.grad.abs().amax(dim=1)

    assert "model's parameters" in ex.check_saliency_from_model(leaks).message


def test_ten_crop_average_names_the_mistake(sol) -> None:
    def no_unmirror(maps, offsets, work):
        return sol.ten_crop_average(np.concatenate([maps[:5], maps[5:, :, ::-1]]), offsets, work)

    assert "flip them back" in ex.check_ten_crop_average(no_unmirror).message

    def divide_by_ten(maps, offsets, work):
        total = np.zeros(work)
        for k, (m, (t, l)) in enumerate(zip(maps, offsets)):
            m = m[:, ::-1] if k >= 5 else m
            total[t : t + m.shape[0], l : l + m.shape[1]] += m
        return total / 10

    assert "divide by 10" in ex.check_ten_crop_average(divide_by_ten).message
    assert not ex.check_ten_crop_average(lambda maps, offsets, work: maps.mean(axis=0))


def test_pointing_hit_wrong_answers_fail(sol) -> None:
    inside_only = lambda s, m, tol: bool(m[np.unravel_index(np.argmax(s), s.shape)])  # noqa: E731  (tolerance ignored)
    assert not ex.check_pointing_hit(inside_only)
    chessboard = lambda s, m, tol: sol.pointing_hit(s, m, tol) if tol == 0 else sol.pointing_hit(s, m, 2 * tol)  # noqa: E731
    assert not ex.check_pointing_hit(chessboard)
    minimum = lambda s, m, tol: sol.pointing_hit(-s, m, tol)  # noqa: E731
    assert not ex.check_pointing_hit(minimum)


def test_pointing_reference_uses_euclidean_distance() -> None:
    mask = np.zeros((30, 30), bool)
    mask[10, 10] = True
    saliency = np.zeros((30, 30))
    saliency[13, 14] = 1.0  # distance 5 from the mask pixel
    assert ex.pointing_hit_reference(saliency, mask, 5) and not ex.pointing_hit_reference(saliency, mask, 4.9)


def test_quiz_right_answers_pass_wrong_ones_fail_with_the_explanation() -> None:
    assert ex.Q1.check("b") and ex.Q2.check(0.128) and ex.Q3.check("b")
    for question, wrong in ((ex.Q1, "a"), (ex.Q2, 0.5), (ex.Q3, "a")):
        verdict = question.check(wrong)
        assert not verdict and question.explanation in verdict.message
    assert ex.QUIZ == (ex.Q1, ex.Q2, ex.Q3)
