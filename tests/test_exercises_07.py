"""Notebook 07's exercise checks: the solutions pass, other correct answers pass, every usual mistake is named."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from helpers.exercises import rrr as ex

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions" / "07_solutions.py"


@pytest.fixture(scope="module")
def sol():
    spec = importlib.util.spec_from_file_location("solutions_07", SOLUTIONS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_solutions_pass(sol) -> None:
    assert ex.check_input_gradient(sol.input_gradient), ex.check_input_gradient(sol.input_gradient).message
    assert ex.check_rrr_penalty(sol.rrr_penalty), ex.check_rrr_penalty(sol.rrr_penalty).message


def _grad_of(quantity, create_graph=True):
    def fn(model, x):
        xg = x.detach().requires_grad_(True)
        return torch.autograd.grad(quantity(model(xg)).sum(), xg, create_graph=create_graph)[0]

    return fn


def test_another_correct_gradient_passes() -> None:
    """sum_k log p_k = sum_k S_k - K logsumexp(S): the same gradient written another way."""
    k = 6
    assert ex.check_input_gradient(_grad_of(lambda s: s.sum(1) - k * torch.logsumexp(s, 1)))


def _mutating(model, x):
    x.requires_grad_(True)
    return torch.autograd.grad(F.log_softmax(model(x), 1).sum(), x, create_graph=True)[0]


def _backward(model, x):
    """The student's mistake under test: .backward() fills the weights' .grad (torch warns of the cycle it makes)."""
    xg = x.detach().requires_grad_(True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Using backward\\(\\) with create_graph=True", UserWarning)
        F.log_softmax(model(xg), 1).sum().backward(create_graph=True)
    return xg.grad


def _on_cpu_default(model, x):
    return _grad_of(lambda s: F.log_softmax(s, 1))(model, x) + torch.zeros(x.shape, dtype=x.dtype)


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (_grad_of(lambda s: F.log_softmax(s, 1), create_graph=False), "create_graph=True"),
        (_grad_of(lambda s: s), "summed logits"),
        (_grad_of(lambda s: F.log_softmax(s, 1).max(1).values), "top class's log-probability"),
        (_grad_of(lambda s: s.max(1).values), "top logit"),
        (_grad_of(lambda s: F.softmax(s, 1)), "sum_k p_k"),
        (_mutating, "changed its inputs"),
        (_backward, ".grad on the model's weights"),
        (_on_cpu_default, "not on a GPU"),
        (lambda model, x: None, "returned None"),
        (lambda model, x: x[:, 0], "shape"),
    ],
)
def test_input_gradient_names_the_mistake(wrong, words) -> None:
    verdict = ex.check_input_gradient(wrong)
    assert not verdict and words in verdict.message, verdict.message


def _penalty(mask_and_grad, sol_grad, reduce="mean"):
    def fn(model, x, annotation):
        g = sol_grad(model, x)
        v = mask_and_grad(annotation.to(g.dtype), g)
        per_image = v.flatten(1).sum(1)
        return per_image.mean() if reduce == "mean" else per_image.sum()

    return fn


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda a, g: ((1 - a)[:, None] * g) ** 2, "inverted"),
        (lambda a, g: (a * g[:, 0]) ** 2, "only one colour channel"),
        (lambda a, g: (a * g.sum(1)) ** 2, "summed before squaring"),
        (lambda a, g: (a[None] * g) ** 2, "broadcast across images"),
        (lambda a, g: (a[:, None] * g).abs(), "square is missing"),
    ],
)
def test_rrr_penalty_names_the_mistake(sol, wrong, words) -> None:
    verdict = ex.check_rrr_penalty(_penalty(wrong, sol.input_gradient))
    assert not verdict and words in verdict.message, verdict.message


def test_rrr_penalty_names_the_sum_and_the_missing_graph(sol) -> None:
    summed = ex.check_rrr_penalty(_penalty(lambda a, g: (a[:, None] * g) ** 2, sol.input_gradient, reduce="sum"))
    assert not summed and "sum over the batch" in summed.message
    no_graph = ex.check_rrr_penalty(
        _penalty(lambda a, g: (a[:, None] * g) ** 2, _grad_of(lambda s: F.log_softmax(s, 1), create_graph=False))
    )
    assert not no_graph and "create_graph=True" in no_graph.message


def test_rrr_penalty_names_the_unsquared_norm_and_the_mean_over_entries(sol) -> None:
    def norm(model, x, annotation):
        g = sol.input_gradient(model, x)
        return (annotation[:, None].to(g.dtype) * g).flatten(1).norm(dim=1).mean()

    def every_entry(model, x, annotation):
        g = sol.input_gradient(model, x)
        return (annotation[:, None].to(g.dtype) * g).pow(2).mean()

    for wrong, words in ((norm, "not its square"), (every_entry, "mean over every entry")):
        verdict = ex.check_rrr_penalty(wrong)
        assert not verdict and words in verdict.message, verdict.message


def test_checks_name_a_result_in_another_dtype(sol) -> None:
    gradient = ex.check_input_gradient(lambda model, x: sol.input_gradient(model, x).float())
    assert not gradient and "keep the input's dtype" in gradient.message, gradient.message
    penalty = ex.check_rrr_penalty(lambda model, x, a: sol.rrr_penalty(model, x, a).float())
    assert not penalty and "keep the input's dtype" in penalty.message, penalty.message


def test_a_float32_cast_of_the_input_is_explained() -> None:
    verdict = ex.check_input_gradient(lambda model, x: _grad_of(lambda s: F.log_softmax(s, 1))(model, x.float()))
    assert not verdict and "keep x's dtype" in verdict.message, verdict.message


def test_rrr_penalty_refuses_a_mutated_annotation(sol) -> None:
    def mutating(model, x, annotation):
        annotation[:] = ~annotation
        return sol.rrr_penalty(model, x, ~annotation)

    verdict = ex.check_rrr_penalty(mutating)
    assert not verdict and "changed its inputs" in verdict.message


@pytest.mark.parametrize(("question", "right", "wrong"), [(ex.Q1, "b", "a"), (ex.Q2, 3072, 1024), (ex.Q3, "b", "a")])
def test_quiz(question, right, wrong) -> None:
    assert question.check(right) and not question.check(wrong)
