"""Notebook 06's exercise checks and questions: the worked solutions pass, wrong answers and stubs fail."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from helpers import attribution as A
from helpers.exercises import attribution as ex

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions" / "06_solutions.py"


@pytest.fixture(scope="module")
def sol():
    spec = importlib.util.spec_from_file_location("solutions_06", SOLUTIONS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_solutions_pass(sol) -> None:
    for check, fn in ((ex.check_deconvnet_rule, sol.deconvnet_relu), (ex.check_guided_rule, sol.guided_relu),
                      (ex.check_rules_max_difference, sol.rules_max_difference)):
        verdict = check(fn)
        assert verdict, verdict.message


@pytest.mark.parametrize("check", [ex.check_deconvnet_rule, ex.check_guided_rule, ex.check_rules_max_difference])
def test_stubs_and_crashes_fail(check) -> None:
    assert "returned None" in check(lambda *args: None).message
    assert "raised ZeroDivisionError" in check(lambda *args: 1 / 0).message
    assert not check("not a function")


def test_wrong_rules_fail(sol) -> None:
    gradient = lambda g, x: g * (x > 0)  # noqa: E731 - the chain rule, not DeconvNet's
    assert not ex.check_deconvnet_rule(gradient)
    assert not ex.check_guided_rule(gradient)
    assert not ex.check_guided_rule(sol.deconvnet_relu)
    assert not ex.check_deconvnet_rule(lambda g, x: g.abs())  # a signal of the wrong sign still passes through


def test_rule_that_only_works_on_the_test_tensors_fails_inside_the_backward() -> None:
    shape_bound = lambda g, x: g.clamp(min=0).view(2, 3, 5, 4)  # noqa: E731 - right on (2,3,5,4), wrong on a network
    verdict = ex.check_deconvnet_rule(shape_bound)
    assert not verdict and "inside the backward pass" in verdict.message


def test_wrong_difference_fails(sol) -> None:
    only_two = lambda m, x, t: float((A.backprop_saliency(m, x, t, rule="gradient", reduce=None)  # noqa: E731
                                      - A.backprop_saliency(m, x, t, rule="guided", reduce=None)).abs().max() * 0.5)
    assert not ex.check_rules_max_difference(only_two)
    assert not ex.check_rules_max_difference(lambda m, x, t: 1.0)
    assert "one number" in ex.check_rules_max_difference(lambda m, x, t: [1.0, 2.0]).message


def test_quiz_right_and_wrong() -> None:
    assert ex.Q1.check("c") and not ex.Q1.check("a") and not ex.Q1.check("d")
    assert ex.Q2.check(2) and not ex.Q2.check(5.0) and not ex.Q2.check(1.0)
    assert ex.Q3.check("b") and not ex.Q3.check("a")
    assert len(ex.QUIZ) == 3


def test_quiz_answers_agree_with_the_rules() -> None:
    x, g = torch.tensor([1.0, -2.0, 3.0]), torch.tensor([-1.0, 4.0, 2.0])
    assert float(A.guided_rule(g, x).sum()) == ex.Q2.answer
    one = torch.tensor([-1.0]), torch.tensor([2.0])  # x, g of Q1
    passing = [rule for rule in A.RULES if float(A.RULE_FUNCTIONS[rule](one[1], one[0])) != 0]
    assert passing == ["deconvnet"] and ex.Q1.options[2] == "only DeconvNet"
