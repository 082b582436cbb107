"""Notebook 06's exercise checks and questions: the worked solutions pass; each usual mistake (the table per exercise) fails with its name."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

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
    for check, fn in (
        (ex.check_conv1d_input_gradient, sol.conv1d_input_gradient),
        (ex.check_maxpool2d_backward, sol.maxpool2d_backward),
        (ex.check_fooling_loop, sol.fooling_loop),
        (ex.check_deconvnet_rule, sol.deconvnet_relu),
        (ex.check_guided_rule, sol.guided_relu),
        (ex.check_rules_max_difference, sol.rules_max_difference),
    ):
        verdict = check(fn)
        assert verdict, verdict.message


def test_other_correct_answers_pass() -> None:
    """The library's own layers are right answers where the exercise allows them: the checks accept any correct
    computation, not one recipe (the pooling indices are PyTorch's switches, ties included)."""

    def unpool(g, x, k):
        _, idx = F.max_pool2d(x, k, return_indices=True)
        return F.max_unpool2d(g, idx, k, output_size=x.shape[-2:])

    def loops(g, w, stride, length):  # the sum R(i, q) = sum over o, p, t with stride p + t = q of g(o, p) K(o, i, t)
        out = g.new_zeros(g.shape[0], w.shape[1], length)
        for p in range(g.shape[-1]):
            for t in range(w.shape[-1]):
                out[:, :, stride * p + t] += g[:, :, p] @ w[:, :, t]
        return out

    assert ex.check_maxpool2d_backward(unpool)
    assert ex.check_conv1d_input_gradient(loops)


def test_forbidden_calls_are_refused_inside_and_allowed_outside_the_check() -> None:
    """The guard refuses the calls only while the student's function runs, and a caught exception does not hide them."""
    from helpers.exercises.rules import ForbiddenCall, refused_calls

    x = torch.ones(3, requires_grad=True)
    with pytest.raises(ForbiddenCall), refused_calls(("autograd",)):
        try:
            (x * 2).sum().backward()
        except Exception:  # noqa: BLE001, S110 - a student's try/except does not swallow the refusal
            pass
    (grad,) = torch.autograd.grad((x * 2).sum(), x)  # allowed again afterwards
    assert torch.equal(grad, torch.full((3,), 2.0)) and x.grad is None
    with pytest.raises(ValueError, match="kinds out of"), refused_calls(("numpy",)):
        pass


# ----------------------------------------------------------------------------------------------
# Exercise 1: the mistakes, written as a student would


def _conv_backward(g, w, stride, length, *, flip=True, swap=True, use_stride=True, tail=True, default_device=False):
    taps = w.shape[-1]
    s = stride if use_stride else 1
    size = (*g.shape[:2], (g.shape[-1] - 1) * s + 1)
    up = torch.zeros(size, dtype=g.dtype) if default_device else g.new_zeros(size)
    up[..., ::s] = g
    w = w.flip(-1) if flip else w
    w = w.transpose(0, 1) if swap else w
    out = F.conv1d(F.pad(up, (taps - 1, taps - 1)), w)
    return F.pad(out, (0, length - out.shape[-1])) if tail and use_stride else out


def _conv_by_autograd(g, w, stride, length):
    x = torch.zeros(g.shape[0], w.shape[1], length, dtype=g.dtype, device=g.device, requires_grad=True)
    (grad,) = torch.autograd.grad(F.conv1d(x, w, stride=stride), x, g)
    return grad


CONV_MISTAKES: list[tuple[str, Callable, str]] = [
    ("flip forgotten", lambda g, w, s, n: _conv_backward(g, w, s, n, flip=False), "filter was not flipped"),
    ("channels not swapped", lambda g, w, s, n: _conv_backward(g, w, s, n, swap=False), "channel axes"),
    (
        "neither flipped nor swapped",
        lambda g, w, s, n: _conv_backward(g, w, s, n, flip=False, swap=False),
        "not flipped",
    ),
    ("stride ignored", lambda g, w, s, n: _conv_backward(g, w, s, n, use_stride=False), "stride was ignored"),
    ("tail not padded", lambda g, w, s, n: _conv_backward(g, w, s, n, tail=False), "Pad the result with zeros"),
    (
        "stride ignored, padded to length",
        lambda g, w, s, n: F.pad(_conv_backward(g, w, 1, n, use_stride=False), (0, n - g.shape[-1] - w.shape[-1] + 1)),
        "differs from autograd",
    ),
    ("changes grad_out", lambda g, w, s, n: _conv_backward(g.add_(0.5), w, s, n), "in place"),
    ("returns a list", lambda g, w, s, n: _conv_backward(g, w, s, n).tolist(), "should return a tensor"),
    (
        "F.conv_transpose1d",
        lambda g, w, s, n: F.pad(F.conv_transpose1d(g, w, stride=s), (0, n - (g.shape[-1] - 1) * s - w.shape[-1])),
        "without conv_transpose",
    ),
    ("autograd", _conv_by_autograd, "without autograd"),
    ("torch.zeros without device=", lambda g, w, s, n: _conv_backward(g, w, s, n, default_device=True), "not on a GPU"),
]


@pytest.mark.parametrize(
    ("wrong", "words"), [(w, words) for _, w, words in CONV_MISTAKES], ids=[i for i, _, _ in CONV_MISTAKES]
)
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


def _up(t, k):
    return t.repeat_interleave(k, 2).repeat_interleave(k, 3)


def _max_routing(g, x, k):
    """The issue's wrong version: the signal to every input equal to its window's maximum (autograd picks one)."""
    return _up(g, k) * (x == _up(F.max_pool2d(x, k), k)).to(g.dtype)


def _pool_default_device(g, x, k):
    out = torch.zeros(x.shape, dtype=x.dtype)  # no device=
    return out + _pool_routes(g, x, k, lambda win: win.argmax(-1))


POOL_MISTAKES: list[tuple[str, Callable, str]] = [
    ("to every input", lambda g, x, k: g.repeat_interleave(k, 2).repeat_interleave(k, 3), "every input of the window"),
    ("average pooling", lambda g, x, k: g.repeat_interleave(k, 2).repeat_interleave(k, 3) / k**2, "average pooling"),
    ("to the minimum", lambda g, x, k: _pool_routes(g, x, k, lambda win: win.argmin(-1)), "minimum"),
    ("ReLU'd switches", lambda g, x, k: _pool_routes(g, x, k, lambda win: win.argmax(-1)) * (x > 0), "negative"),
    (
        "window axes mixed up",
        lambda g, x, k: (
            _pool_routes(g, x.transpose(2, 3), k, lambda win: win.argmax(-1)).transpose(2, 3)
            if x.shape[2] == x.shape[3]
            else _pool_routes(g, x, k, lambda win: win.argmax(-1)).flip(-1)
        ),
        "differs from autograd",
    ),
    ("pooled shape", lambda g, x, k: g, "expected x's shape"),
    ("max routing: every tied maximum", _max_routing, "every tied input"),
    (
        "split among tied maxima",
        lambda g, x, k: (
            _max_routing(g, x, k) / _up(F.avg_pool2d((x == _up(F.max_pool2d(x, k), k)).to(g.dtype), k) * k**2, k)
        ),
        "split among the tied inputs",
    ),
    (
        "the last tied maximum",
        lambda g, x, k: _pool_routes(g, x, k, lambda win: k * k - 1 - win.flip(-1).argmax(-1)),
        "last tied input",
    ),
    (
        "autograd",
        lambda g, x, k: torch.autograd.grad(F.max_pool2d(x.clone().requires_grad_(True), k), x, g, allow_unused=True)[
            0
        ],
        "without autograd",
    ),
    (
        "changes x in place",
        lambda g, x, k: _pool_routes(
            g, x.mul_(1.0).add_(0.0).clamp_(min=-1e9).sub_(1e-3), k, lambda win: win.argmax(-1)
        ),
        "in place",
    ),
    ("torch.zeros without device=", _pool_default_device, "not on a GPU"),
]


@pytest.mark.parametrize(
    ("wrong", "words"), [(w, words) for _, w, words in POOL_MISTAKES], ids=[i for i, _, _ in POOL_MISTAKES]
)
def test_maxpool_backward_names_the_mistake(wrong, words) -> None:
    verdict = ex.check_maxpool2d_backward(wrong)
    assert not verdict and words in verdict.message, verdict.message


# ----------------------------------------------------------------------------------------------
# Exercise 3


def _fool(
    model,
    x,
    target,
    eps,
    alpha,
    steps,
    *,
    sign=1.0,
    clip="original",
    pixel_range=True,
    unit=True,
    logp=False,
    once=False,
    softmax=False,
    first_only=False,
    backward=False,
    train=False,
    default_device=False,
):
    adv, grad = x.clone(), None
    if train:
        model.train()
    for _ in range(steps):
        if grad is None or not once:
            a = adv.clone().requires_grad_(True)
            out = model(a)
            out = out.log_softmax(1) if logp else out.softmax(1) if softmax else out
            objective = out[:1, target].sum() if first_only else out[:, target].sum()
            if backward:
                objective.backward()
                grad = a.grad
            else:
                (grad,) = torch.autograd.grad(objective, a)
        step = alpha * (grad.sign() if unit else grad)
        if default_device:
            step = step * torch.ones(x.shape, dtype=x.dtype)  # no device=
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
    ("softmax probability", lambda *a: _fool(*a, softmax=True), "the probability P_c"),
    (
        "the perturbation, not the image",
        lambda m, x, t, e, a, s: _fool(m, x, t, e, a, s) - x,
        "returned the perturbation",
    ),
    ("only the first image's score", lambda *a: _fool(*a, first_only=True), "only the first image moved"),
    (".backward()", lambda *a: _fool(*a, backward=True), "filled the model's .grad"),
    ("model.train()", lambda *a: _fool(*a, train=True), "training mode"),
    ("torch.ones without device=", lambda *a: _fool(*a, default_device=True), "not on a GPU"),
]


@pytest.mark.parametrize(
    ("wrong", "words"), [(w, words) for _, w, words in FOOL_MISTAKES], ids=[i for i, _, _ in FOOL_MISTAKES]
)
def test_fooling_loop_names_the_mistake(wrong, words) -> None:
    verdict = ex.check_fooling_loop(wrong)
    assert not verdict and words in verdict.message, verdict.message


def test_fooling_reference_raises_the_score_and_keeps_the_budget() -> None:
    net = ex.fooling_check_net()
    x = torch.rand(2, 3, 12, 12, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    adv = ex.fooling_loop_reference(net, x, 1, 0.03, 0.01, 6)
    assert float((adv - x).abs().max()) <= 0.03 + 1e-12 and 0 <= float(adv.min()) and float(adv.max()) <= 1
    assert bool((net(adv)[:, 1] > net(x)[:, 1]).all())
    assert (
        float((ex.fooling_loop_reference(net, x, 1, 0.03, 0.01, 6, budget=False) - x).abs().max()) > 0.03
    )  # the budget binds


@pytest.mark.parametrize(
    "check",
    [
        ex.check_conv1d_input_gradient,
        ex.check_maxpool2d_backward,
        ex.check_fooling_loop,
        ex.check_deconvnet_rule,
        ex.check_guided_rule,
        ex.check_rules_max_difference,
    ],
)
def test_stubs_and_crashes_fail(check) -> None:
    assert "returned None" in check(lambda *args: None).message
    assert "raised ZeroDivisionError" in check(lambda *args: 1 / 0).message
    assert not check("not a function")


RULE_MISTAKES: list[tuple[str, Callable, Callable, str]] = [
    ("guided <- gradient rule", ex.check_guided_rule, lambda g, x: g * (x > 0), "that is the gradient rule"),
    ("guided <- DeconvNet rule", ex.check_guided_rule, lambda g, x: g.clamp(min=0), "that is the DeconvNet rule"),
    ("guided <- x >= 0", ex.check_guided_rule, lambda g, x: g * ((x >= 0) & (g > 0)), "x >= 0"),
    (
        "guided <- times relu(x)",
        ex.check_guided_rule,
        lambda g, x: g.clamp(min=0) * x.clamp(min=0),
        "multiplied by relu(x)",
    ),
    ("guided <- in place", ex.check_guided_rule, lambda g, x: g.mul_((x > 0) & (g > 0)), "in place"),
    (
        "guided <- default device",
        ex.check_guided_rule,
        lambda g, x: torch.zeros(g.shape, dtype=g.dtype) + g * ((x > 0) & (g > 0)),
        "not on a GPU",
    ),
    (
        "guided <- a list",
        ex.check_guided_rule,
        lambda g, x: (g * ((x > 0) & (g > 0))).tolist(),
        "should return a tensor",
    ),
    ("DeconvNet <- gradient rule", ex.check_deconvnet_rule, lambda g, x: g * (x > 0), "that is the gradient rule"),
    (
        "DeconvNet <- guided rule",
        ex.check_deconvnet_rule,
        lambda g, x: g * ((x > 0) & (g > 0)),
        "that is the guided rule",
    ),
    ("DeconvNet <- |g|", ex.check_deconvnet_rule, lambda g, x: g.abs(), "Hint: DeconvNet ignores x"),
]


@pytest.mark.parametrize(("check", "wrong", "words"), [m[1:] for m in RULE_MISTAKES], ids=[m[0] for m in RULE_MISTAKES])
def test_wrong_rules_are_named(check, wrong, words) -> None:
    verdict = check(wrong)
    assert not verdict and words.lower() in verdict.message.lower(), verdict.message


def test_rule_that_only_works_on_the_test_tensors_fails_inside_the_backward() -> None:
    shape_bound = lambda g, x: g.clamp(min=0).view(2, 3, 5, 4)  # noqa: E731 - right on (2,3,5,4), wrong on a network
    verdict = ex.check_deconvnet_rule(shape_bound)
    assert not verdict and "inside the backward pass" in verdict.message


def test_wrong_difference_fails(sol) -> None:
    only_two = lambda m, x, t: float(  # noqa: E731 - a wrong answer, written as a student would
        (
            A.backprop_saliency(m, x, t, rule="gradient", reduce=None)  # noqa: E731
            - A.backprop_saliency(m, x, t, rule="guided", reduce=None)
        )
        .abs()
        .max()
        * 0.5
    )
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
