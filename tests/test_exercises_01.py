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


def _autograd_relu_gradient(w1, b1, v, x):
    xg = x.clone().requires_grad_(True)
    return torch.autograd.grad(v @ torch.relu(w1 @ xg + b1), xg)[0]


def _backward_relu_gradient(w1, b1, v, x):
    xg = x.clone().requires_grad_(True)
    (v @ torch.relu(w1 @ xg + b1)).backward()
    return xg.grad


def _default_device_relu_gradient(w1, b1, v, x):
    mask = torch.zeros(w1.shape[0], dtype=w1.dtype)  # no device=
    mask[w1 @ x + b1 > 0] = 1.0
    return w1.T @ (v * mask)


# Exercise 1's mistakes: (id, student function, words its verdict must contain).
RELU_MISTAKES = [
    ("ReLU derivative forgotten", lambda w1, b1, v, x: w1.T @ v, "derivative is missing"),
    (
        "times relu(z), not relu'(z)",
        lambda w1, b1, v, x: w1.T @ (v * torch.relu(w1 @ x + b1)),
        "multiplied by relu(W1 x + b1)",
    ),
    ("mask without the bias", lambda w1, b1, v, x: w1.T @ (v * (w1 @ x > 0)), "leaves out b1"),
    ("mask reversed", lambda w1, b1, v, x: w1.T @ (v * (w1 @ x + b1 < 0)), "mask is reversed"),
    ("W1 not transposed", lambda w1, b1, v, x: w1 @ x, "one value per hidden unit"),
    ("overwrites v", _in_place_relu_gradient, "in place"),
    ("torch.autograd.grad", _autograd_relu_gradient, "without autograd"),
    (".backward()", _backward_relu_gradient, "without autograd"),
    (
        "torch.autograd.functional.jacobian",
        lambda w1, b1, v, x: torch.autograd.functional.jacobian(lambda z: v @ torch.relu(w1 @ z + b1), x),
        "without autograd",
    ),
    ("torch.zeros without device=", _default_device_relu_gradient, "not on a GPU"),
    ("a list", lambda w1, b1, v, x: (w1.T @ (v * (w1 @ x + b1 > 0))).tolist(), "should return a tensor"),
    ("returns None", lambda *args: None, "returned None"),
    ("raises", lambda *args: 1 / 0, "raised ZeroDivisionError"),
    ("not a function", "not a function", "should be a function"),
]


@pytest.mark.parametrize(
    ("wrong", "words"), [(w, words) for _, w, words in RELU_MISTAKES], ids=[i for i, _, _ in RELU_MISTAKES]
)
def test_relu_gradient_check_names_the_mistake(wrong, words) -> None:
    verdict = ex1.check_relu_gradient(wrong)
    assert not verdict and str(verdict).startswith("❌ Not yet:") and words in verdict.message, verdict.message


def test_relu_gradient_solution_passes_and_reference_is_autograd() -> None:
    assert ex1.check_relu_gradient(sol1.relu_gradient)
    gen = torch.Generator().manual_seed(0)
    w1, b1, v, x = (torch.randn(*s, generator=gen, dtype=torch.float64) for s in [(7, 4), (7,), (7,), (4,)])
    assert torch.allclose(ex1.relu_gradient_reference(w1, b1, v, x), ex1._autograd_gradient(w1, b1, v, x))


def _mutates_x0(s, x0, g, d, eps):
    """The issue's wrong version: right value, but x0 itself moved (the notebook's loop then drifts)."""
    predicted = eps * (g * d).sum()
    s0 = s(x0)
    x0 += eps * d
    return float((s(x0) - s0 - predicted).abs() / predicted.abs())


def _default_device_taylor(s, x0, g, d, eps):
    step = torch.full(x0.shape, eps, dtype=x0.dtype)  # no device=
    return float((s(x0 + step * d) - s(x0) - eps * (g * d).sum()).abs() / (eps * (g * d).sum()).abs())


def _taylor(*, step=1.0, eps_step=True, eps_pred=True, under="predicted", absolute=True, as_float=True):
    def taylor_error(s, x0, g, d, eps):
        predicted = (eps if eps_pred else 1.0) * (g * d).sum()
        actual = s(x0 + step * (eps if eps_step else 1.0) * d) - s(x0)
        value = (
            (actual - predicted) / {"predicted": predicted, "actual": actual, "score": s(x0), "none": 1.0}[under].abs()
            if under != "none"
            else actual - predicted
        )
        value = value.abs() if absolute else value
        return float(value) if as_float else value

    return taylor_error


# Exercise 2's mistakes: (id, student function, words its verdict must contain).
TAYLOR_MISTAKES = [
    ("absolute, not relative", _taylor(under="none"), "absolute error"),
    ("relative to the score", _taylor(under="score"), "divided by the score"),
    ("relative to the actual change", _taylor(under="actual"), "divided by the actual change"),
    ("eps missing from the prediction", _taylor(eps_pred=False), "eps is missing from the prediction"),
    ("eps missing from the step", _taylor(eps_step=False), "eps is missing from the step"),
    ("reversed step", _taylor(step=-1.0), "step goes the wrong way"),
    ("signed error", _taylor(absolute=False), "absolute value"),
    ("0-d tensor, not a float", _taylor(as_float=False), "0-d tensor"),
    ("mutates x0", _mutates_x0, "changed its inputs in place"),
    ("torch.full without device=", _default_device_taylor, "not on a GPU"),
    ("several numbers", lambda s, x0, g, d, eps: torch.zeros(3), "one Python float"),
    ("returns None", lambda *args: None, "returned None"),
    ("raises", lambda *args: 1 / 0, "raised ZeroDivisionError"),
]


@pytest.mark.parametrize(
    ("wrong", "words"), [(w, words) for _, w, words in TAYLOR_MISTAKES], ids=[i for i, _, _ in TAYLOR_MISTAKES]
)
def test_taylor_error_check_names_the_mistake(wrong, words) -> None:
    verdict = ex1.check_taylor_error(wrong)
    assert not verdict and str(verdict).startswith("❌ Not yet:") and words in verdict.message, verdict.message


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
