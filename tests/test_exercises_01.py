"""Exercise checks and quiz of notebook 01: the worked solutions pass, stubs and typical mistakes fail."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from helpers.exercises import linear as ex1

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, SOLUTIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sol1 = _load("01_solutions")

STUBS = (lambda *args: None, lambda *args: 1 / 0, "not a function")


def _in_place_relu_gradient(w1, b1, v, x):
    v.mul_((w1 @ x + b1 > 0).to(v.dtype))
    return w1.T @ v


@pytest.mark.parametrize(
    "wrong",
    [
        lambda w1, b1, v, x: w1.T @ v,  # forgot the ReLU's derivative (the mask of active units)
        lambda w1, b1, v, x: w1.T @ (v * torch.relu(w1 @ x + b1)),  # multiplied by relu(z), not relu'(z)
        lambda w1, b1, v, x: w1 @ x,  # not a gradient at all
        _in_place_relu_gradient,  # right values, but it overwrote v
        *STUBS,
    ],
)
def test_relu_gradient_check_rejects_wrong_answers(wrong) -> None:
    verdict = ex1.check_relu_gradient(wrong)
    assert not verdict and str(verdict).startswith("❌ Not yet:")


def test_relu_gradient_solution_passes_and_reference_is_autograd() -> None:
    assert ex1.check_relu_gradient(sol1.relu_gradient)
    gen = torch.Generator().manual_seed(0)
    w1, b1, v, x = (torch.randn(*s, generator=gen, dtype=torch.float64) for s in [(7, 4), (7,), (7,), (4,)])
    assert torch.allclose(ex1.relu_gradient_reference(w1, b1, v, x), ex1._autograd_gradient(w1, b1, v, x))


@pytest.mark.parametrize(
    "wrong",
    [
        lambda s, x0, g, d, eps: float((s(x0 + eps * d) - s(x0) - eps * (g * d).sum()).abs()),  # absolute, not relative
        lambda s, x0, g, d, eps: float((s(x0 + eps * d) - s(x0) - eps * (g * d).sum()).abs() / s(x0).abs()),  # relative to S
        lambda s, x0, g, d, eps: float((s(x0 + eps * d) - s(x0) - (g * d).sum()).abs() / (g * d).sum().abs()),  # forgot eps
        lambda s, x0, g, d, eps: torch.zeros(3),  # not one number
        *STUBS,
    ],
)
def test_taylor_error_check_rejects_wrong_answers(wrong) -> None:
    verdict = ex1.check_taylor_error(wrong)
    assert not verdict and str(verdict).startswith("❌ Not yet:")


def test_taylor_error_solution_passes_and_is_zero_for_a_linear_score() -> None:
    assert ex1.check_taylor_error(sol1.taylor_error)
    w = torch.tensor([2.0, -1.0, 0.5], dtype=torch.float64)
    x0, d = torch.ones(3, dtype=torch.float64), torch.tensor([0.6, 0.0, 0.8], dtype=torch.float64)
    assert sol1.taylor_error(lambda x: w @ x + 3, x0, w, d, 10.0) < 1e-12  # a linear model has no first-order error


@pytest.mark.parametrize("question", ex1.QUIZ, ids=["Q1", "Q2", "Q3"])
def test_quiz_right_answer_passes_and_wrong_answers_explain(question) -> None:
    assert question.check(question.answer)
    wrong = "a" if question.answer != "a" else "b"
    verdict = question.check(question.answer + 1 if isinstance(question.answer, float) else wrong)
    assert not verdict and question.explanation in verdict.message


def test_quiz_numeric_answer_is_w_dot_d() -> None:
    w, d = torch.tensor([2.0, -1.0, 0.5]), torch.tensor([0.1, 0.2, -0.4])
    assert ex1.Q2.check(float(w @ d))


@pytest.mark.parametrize("question", [ex1.Q1, ex1.Q3], ids=["Q1", "Q3"])
def test_every_wrong_option_gets_its_own_feedback(question) -> None:
    """Each distractor names its own misconception before the shared explanation."""
    letters = [chr(ord("a") + i) for i in range(len(question.options))]
    wrong = [x for x in letters if x != question.answer]
    assert len(question.options) == 4 and sorted(question.why_wrong) == wrong
    messages = {x: question.check(x).message for x in wrong}
    assert all(question.why_wrong[x] in messages[x] for x in wrong)
    assert len(set(messages.values())) == len(wrong)
