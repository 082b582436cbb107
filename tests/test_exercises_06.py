"""Notebook 06's exercise checks and questions: the worked solutions pass; each usual mistake (the table per exercise) fails with its name."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F

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
    for check, fn in ((ex.check_conv1d_input_gradient, sol.conv1d_input_gradient), (ex.check_maxpool2d_backward, sol.maxpool2d_backward),
                      (ex.check_fooling_loop, sol.fooling_loop), (ex.check_deconvnet_rule, sol.deconvnet_relu),
                      (ex.check_guided_rule, sol.guided_relu), (ex.check_rules_max_difference, sol.rules_max_difference)):
        verdict = check(fn)
        assert verdict, verdict.message


def test_other_correct_answers_pass() -> None:
    """The library's own layers are right answers too: the checks accept any correct computation, not one recipe."""
    def conv_transpose(g, w, stride, length):
        out = F.conv_transpose1d(g, w, stride=stride)
        return F.pad(out, (0, length - out.shape[-1]))

    def unpool(g, x, k):
        _, idx = F.max_pool2d(x, k, return_indices=True)
        return F.max_unpool2d(g, idx, k, output_size=x.shape[-2:])

    assert ex.check_conv1d_input_gradient(conv_transpose)
    assert ex.check_maxpool2d_backward(unpool)


# ----------------------------------------------------------------------------------------------
# Exercise 1: the mistakes, written as a student would


def _conv_backward(g, w, stride, length, *, flip=True, swap=True, use_stride=True, tail=True):
    taps = w.shape[-1]
    s = stride if use_stride else 1
    up = g.new_zeros(*g.shape[:2], (g.shape[-1] - 1) * s + 1)
    up[..., ::s] = g
    w = w.flip(-1) if flip else w
    w = w.transpose(0, 1) if swap else w
    out = F.conv1d(F.pad(up, (taps - 1, taps - 1)), w)
    return F.pad(out, (0, length - out.shape[-1])) if tail and use_stride else out


CONV_MISTAKES: list[tuple[str, Callable, str]] = [
    ("flip forgotten", lambda g, w, s, n: _conv_backward(g, w, s, n, flip=False), "filter was not flipped"),
    ("channels not swapped", lambda g, w, s, n: _conv_backward(g, w, s, n, swap=False), "channel axes"),
    ("neither flipped nor swapped", lambda g, w, s, n: _conv_backward(g, w, s, n, flip=False, swap=False), "not flipped"),
    ("stride ignored", lambda g, w, s, n: _conv_backward(g, w, s, n, use_stride=False), "stride was ignored"),
    ("tail not padded", lambda g, w, s, n: _conv_backward(g, w, s, n, tail=False), "Pad the result with zeros"),
    ("stride ignored, padded to length", lambda g, w, s, n: F.pad(_conv_backward(g, w, 1, n, use_stride=False),
                                                                   (0, n - g.shape[-1] - w.shape[-1] + 1)), "differs from autograd"),
    ("changes grad_out", lambda g, w, s, n: _conv_backward(g.add_(0.5), w, s, n), "in place"),
    ("returns a list", lambda g, w, s, n: _conv_backward(g, w, s, n).tolist(), "should return a tensor"),
]


@pytest.mark.parametrize(("wrong", "words"), [(w, words) for _, w, words in CONV_MISTAKES], ids=[i for i, _, _ in CONV_MISTAKES])
def test_conv_backward_names_the_mistake(wrong, words) -> None:
    verdict = ex.check_conv1d_input_gradient(wrong)
    assert not verdict and words in verdict.message, verdict.message


# ----------------------------------------------------------------------------------------------
# Exercise 2


def _pool_routes(g, x, k, pick):
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // k, k, w // k, k).permute(0, 1, 2, 4, 3, 5).reshape(n, c, h // k, w // k, k * k)
    routed = F.one_hot(pick(win), k * k).to(g.dtype) * g[..., None]
    return routed.reshape(n, c, h // k, w // k, k, k).permute(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)


POOL_MISTAKES: list[tuple[str, Callable, str]] = [
    ("to every input", lambda g, x, k: g.repeat_interleave(k, 2).repeat_interleave(k, 3), "every input of the window"),
    ("average pooling", lambda g, x, k: g.repeat_interleave(k, 2).repeat_interleave(k, 3) / k**2, "average pooling"),
    ("to the minimum", lambda g, x, k: _pool_routes(g, x, k, lambda win: win.argmin(-1)), "minimum"),
    ("ReLU'd switches", lambda g, x, k: _pool_routes(g, x, k, lambda win: win.argmax(-1)) * (x > 0), "negative"),
    ("window axes mixed up", lambda g, x, k: _pool_routes(g, x.transpose(2, 3), k, lambda win: win.argmax(-1)).transpose(2, 3)
     if x.shape[2] == x.shape[3] else _pool_routes(g, x, k, lambda win: win.argmax(-1)).flip(-1), "differs from autograd"),
    ("pooled shape", lambda g, x, k: g, "expected x's shape"),
]


@pytest.mark.parametrize(("wrong", "words"), [(w, words) for _, w, words in POOL_MISTAKES], ids=[i for i, _, _ in POOL_MISTAKES])
def test_maxpool_backward_names_the_mistake(wrong, words) -> None:
    verdict = ex.check_maxpool2d_backward(wrong)
    assert not verdict and words in verdict.message, verdict.message


# ----------------------------------------------------------------------------------------------
# Exercise 3


def _fool(model, x, target, eps, alpha, steps, *, sign=1.0, clip="original", pixel_range=True, unit=True, logp=False, once=False):
    adv, grad = x.clone(), None
    for _ in range(steps):
        if grad is None or not once:
            a = adv.clone().requires_grad_(True)
            out = model(a)
            out = out.log_softmax(1) if logp else out
            (grad,) = torch.autograd.grad(out[:, target].sum(), a)
        step = alpha * (grad.sign() if unit else grad)
        centre = x if clip == "original" else adv
        adv = adv + sign * step
        if clip in ("original", "current"):
            adv = torch.minimum(torch.maximum(adv, centre - eps), centre + eps)
        adv = adv.clamp(0, 1) if pixel_range else adv
    return adv


FOOL_MISTAKES: list[tuple[str, Callable, str]] = [
    ("step sign wrong", lambda *a: _fool(*a, sign=-1.0), "wrong sign"),
    ("budget not enforced", lambda *a: _fool(*a, clip="none"), "budget is not enforced"),
    ("budget around the current image", lambda *a: _fool(*a, clip="current"), "budget is not enforced"),
    ("pixel range not enforced", lambda *a: _fool(*a, pixel_range=False), "pixel range"),
    ("raw gradient", lambda *a: _fool(*a, unit=False), "raw gradient"),
    ("log-probability", lambda *a: _fool(*a, logp=True), "log P_c"),
    ("gradient computed once", lambda *a: _fool(*a, once=True), "computed once"),
    ("one step of epsilon (FGSM)", lambda m, x, t, e, a, s: _fool(m, x, t, e, e, 1), "one FGSM step"),
    ("changes x in place", lambda m, x, t, e, a, s: x.add_(0.01), "in place"),
    ("returns one image", lambda m, x, t, e, a, s: _fool(m, x, t, e, a, s)[0], "shape"),
]


@pytest.mark.parametrize(("wrong", "words"), [(w, words) for _, w, words in FOOL_MISTAKES], ids=[i for i, _, _ in FOOL_MISTAKES])
def test_fooling_loop_names_the_mistake(wrong, words) -> None:
    verdict = ex.check_fooling_loop(wrong)
    assert not verdict and words in verdict.message, verdict.message


def test_fooling_reference_raises_the_score_and_keeps_the_budget() -> None:
    net = ex.fooling_check_net()
    x = torch.rand(2, 3, 12, 12, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    adv = ex.fooling_loop_reference(net, x, 1, 0.03, 0.01, 6)
    assert float((adv - x).abs().max()) <= 0.03 + 1e-12 and 0 <= float(adv.min()) and float(adv.max()) <= 1
    assert bool((net(adv)[:, 1] > net(x)[:, 1]).all())
    assert float((ex.fooling_loop_reference(net, x, 1, 0.03, 0.01, 6, budget=False) - x).abs().max()) > 0.03  # the budget binds


@pytest.mark.parametrize("check", [ex.check_conv1d_input_gradient, ex.check_maxpool2d_backward, ex.check_fooling_loop,
                                   ex.check_deconvnet_rule, ex.check_guided_rule, ex.check_rules_max_difference])
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
    assert ex.Q3.check("b") and not ex.Q3.check("a") and not ex.Q3.check("c") and not ex.Q3.check("d")
    assert ex.Q4.check("c") and not ex.Q4.check("a") and not ex.Q4.check("b") and not ex.Q4.check("d")
    assert len(ex.QUIZ) == 4
    for q in ex.QUIZ:
        if hasattr(q, "why_wrong"):  # every wrong option of a multiple-choice question gets its own feedback
            assert len(q.why_wrong) == len(q.options) - 1, q.question


def test_quiz_answers_agree_with_the_rules() -> None:
    x, g = torch.tensor([1.0, -2.0, 3.0]), torch.tensor([-1.0, 4.0, 2.0])
    assert float(A.guided_rule(g, x).sum()) == ex.Q2.answer
    one = torch.tensor([-1.0]), torch.tensor([2.0])  # x, g of Q1
    passing = [rule for rule in A.RULES if float(A.RULE_FUNCTIONS[rule](one[1], one[0])) != 0]
    assert passing == ["deconvnet"] and ex.Q1.options[2] == "only DeconvNet"
