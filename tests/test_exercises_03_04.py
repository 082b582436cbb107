"""Exercise checks of notebooks 03 and 04: the worked solutions pass, stubs and typical mistakes fail."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest
import torch

from helpers.exercises import classvis as ex03
from helpers.exercises import logits as ex04

ROOT = Path(__file__).resolve().parent.parent


def _solutions(number: str) -> ModuleType:
    """Import solutions/<number>_solutions.py (its name starts with a digit, so not via import)."""
    path = ROOT / "solutions" / f"{number}_solutions.py"
    spec = importlib.util.spec_from_file_location(f"solutions_{number}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sol03() -> ModuleType:
    return _solutions("03")


@pytest.fixture(scope="module")
def sol04() -> ModuleType:
    return _solutions("04")


def test_objective_check(sol03) -> None:
    assert ex03.check_objective(sol03.objective)
    assert not ex03.check_objective(lambda logits, x, c, l2: None)
    assert not ex03.check_objective(
        lambda logits, x, c, l2: logits[:, c] - l2 * x.norm()
    )  # norm, not squared, not per image
    assert not ex03.check_objective(lambda logits, x, c, l2: logits[:, c] + l2 * (x**2).flatten(1).sum(1))
    assert not ex03.check_objective("not a function")
    verdict = ex03.check_objective(lambda *a: 1 / 0)
    assert not verdict and "ZeroDivisionError" in verdict.message
    verdict = ex03.check_objective(
        lambda logits, x, c, l2: logits[:, c] - l2 * x.mul_(x).flatten(1).sum(1)
    )  # squares x in place
    assert not verdict and "changed its inputs in place" in verdict.message
    verdict = ex03.check_objective(
        lambda logits, x, c, l2: logits[:, c] - l2 * (x**2).flatten(1).sum(1) + torch.zeros(len(x))
    )
    assert not verdict and "not on a GPU" in verdict.message  # torch.zeros without device=


def test_ascent_step_check(sol03) -> None:
    assert ex03.check_ascent_step(sol03.ascent_step)
    assert not ex03.check_ascent_step(lambda x, g, lr, l2: None)
    assert not ex03.check_ascent_step(lambda x, g, lr, l2: x - lr * (g - 2 * l2 * x))  # descent
    assert not ex03.check_ascent_step(lambda x, g, lr, l2: x + lr * (g - l2 * x))  # forgot the 2

    def in_place(x, g, lr, l2):
        return x.add_(lr * (g - 2 * l2 * x))

    verdict = ex03.check_ascent_step(in_place)
    assert not verdict and "in place" in verdict.message

    def scales_the_gradient(x, g, lr, l2):
        return x + g.mul_(lr) - lr * 2 * l2 * x  # right values, but the caller's grad_score is overwritten

    verdict = ex03.check_ascent_step(scales_the_gradient)
    assert not verdict and "changed its inputs in place" in verdict.message


def test_starting_image_check(sol03, lite0) -> None:
    assert ex03.check_starting_image(sol03.starting_image(lite0), lite0)
    assert not ex03.check_starting_image(None, lite0)
    assert not ex03.check_starting_image(np.zeros((224, 224, 3), np.uint8), lite0)  # black, not the mean
    assert not ex03.check_starting_image(np.zeros((224, 224, 3), np.float32), lite0)
    assert not ex03.check_starting_image(np.full((64, 64, 3), 127, np.uint8), lite0)


def test_starting_image_check_on_toy_mean_image(sol03, toy) -> None:
    image = sol03.starting_image(toy)
    assert ex03.check_starting_image(image, toy)
    flat = np.full_like(image, int(np.round(image.mean())))
    assert not ex03.check_starting_image(flat, toy)  # the toy mean is an image, not one grey


def _student_loop(*, score="logit", penalty=2.0, direction=1.0, extra_steps=0, start=None, seed_start=False):
    """A class_image written as a student would, with one deliberate slip (the defaults are the right loop)."""

    def class_image(model, target, steps, lr, l2, size):
        device = next(model.parameters()).device
        if start == "random":
            x = 0.1 * torch.randn(1, 3, size, size, device=device)
        elif start == "grey":
            x = torch.full((1, 3, size, size), 0.1, device=device)
        else:
            x = torch.zeros(1, 3, size, size, device=device)
        for _ in range(steps + extra_steps):
            x = x.detach().requires_grad_(True)
            logits = model(x)
            s = {"logit": logits, "softmax": logits.softmax(dim=1), "log_softmax": logits.log_softmax(dim=1)}[score][
                0, target
            ]
            (g,) = torch.autograd.grad(s, x)
            x = x.detach() + direction * lr * (g - penalty * l2 * x.detach())
        return x

    return class_image


def _trains_weights(m, c, n, lr, l2, s):
    x = torch.zeros(1, 3, s, s, requires_grad=True)
    m(x)[0, c].backward()  # .grad on every trainable weight
    return _student_loop()(m, c, n, lr, l2, s)


def _changes_weights(m, c, n, lr, l2, s):
    with torch.no_grad():
        next(m.parameters()).mul_(1.01)
    return _student_loop()(m, c, n, lr, l2, s)


def _training_mode(m, c, n, lr, l2, s):
    m.train()
    return _student_loop()(m, c, n, lr, l2, s)


def _penalty_in_objective_and_step(m, c, n, lr, l2, s):
    """The student's objective already holds -l2||I||^2, and ascent_step subtracts 2 l2 I again."""
    x = torch.zeros(1, 3, s, s)
    for _ in range(n):
        x = x.detach().requires_grad_(True)
        objective = m(x)[:, c] - l2 * x.pow(2).flatten(1).sum(1)
        (g,) = torch.autograd.grad(objective.sum(), x)
        x = x.detach() + lr * (g - 2 * l2 * x.detach())
    return x


# Exercise 3's mistakes: (id, student function, words its verdict must contain).
CLASS_IMAGE_MISTAKES = [
    ("softmax", _student_loop(score="softmax"), "softmax probability"),
    ("log softmax", _student_loop(score="log_softmax"), "log P_c"),
    ("missing 2", _student_loop(penalty=1.0), "missing its 2"),
    ("penalty twice", _penalty_in_objective_and_step, "counted twice"),
    ("no penalty", _student_loop(penalty=0.0), "penalty is missing"),
    ("sign of lambda", _student_loop(penalty=-2.0), "wrong sign"),
    ("descent", _student_loop(direction=-1.0), "you descend"),
    ("one step too many", _student_loop(extra_steps=1), "one step too many"),
    ("one step too few", _student_loop(extra_steps=-1), "one step too few"),
    ("random start", _student_loop(start="random"), "random noise"),
    ("grey start", _student_loop(start="grey"), "does not return zeros"),
    ("gradients on the weights", _trains_weights, "received gradients"),
    ("weights changed", _changes_weights, "weights changed"),
    ("training mode", _training_mode, "training mode"),
    (
        "Classifier, not the bare module",
        lambda m, c, n, lr, l2, s: m.model(torch.zeros(1, 3, s, s)),
        "bare torch nn.Module",
    ),
]


def test_class_image_check_passes_the_solution_and_matches_the_library(sol03, toy) -> None:
    assert ex03.check_class_image(sol03.class_image, toy)
    assert not ex03.check_class_image(lambda m, c, n, lr, l2, s: None, toy)
    from helpers.classvis import class_model_visualization

    ours = sol03.class_image(toy.model, 2, 7, 0.5, 0.03, 64)
    library = class_model_visualization(toy, 2, steps=7, lr=0.5, l2=0.03, progress=False).tensor
    assert torch.allclose(ours, library, atol=1e-5)


@pytest.mark.parametrize(
    ("wrong", "words"),
    [(w, words) for _, w, words in CLASS_IMAGE_MISTAKES],
    ids=[i for i, _, _ in CLASS_IMAGE_MISTAKES],
)
def test_class_image_check_names_the_mistake(wrong, words, toy) -> None:
    verdict = ex03.check_class_image(wrong, toy)
    assert not verdict and words.lower() in verdict.message.lower(), verdict.message
    assert all(p.grad is None and not p.requires_grad for p in toy.model.parameters())  # the course's model untouched
    assert not toy.model.training


def test_quiz_questions_accept_the_right_answer_only() -> None:
    assert len(ex03.QUIZ) == 3
    assert ex03.Q1_WHY_LOGITS.check("a") and not ex03.Q1_WHY_LOGITS.check("c")
    assert ex03.Q2_PENALTY_SHRINK.check(0.99) and ex03.Q2_PENALTY_SHRINK.check(1 - 2 * 0.5 * 0.01)
    assert not ex03.Q2_PENALTY_SHRINK.check(0.995) and not ex03.Q2_PENALTY_SHRINK.check(0.96)  # the 2 forgotten; lr 2
    assert not ex03.Q2_PENALTY_SHRINK.check(0.01)
    assert ex03.Q3_NOISE_SOURCE.check("b") and not ex03.Q3_NOISE_SOURCE.check("a")
    assert not ex03.Q3_NOISE_SOURCE.check("objective")


def test_quiz_feedback_follows_what_notebooks_03_and_04_measure() -> None:
    """Q1 must not say 04 confirms competitor suppression (04: most of the margin comes from S_c, the gradient fades
    like 1 - P_c); Q3 follows the noisy-start control: Lite0's noise-like first step is an artefact of the constant
    start, so "the gradient is noise" is the wrong answer, and only block 1's stride-2 convolution survives both starts."""
    q1 = ex03.Q1_WHY_LOGITS.explanation
    assert "measures this" not in q1 and "1 - P_c" in q1 and "most of their margin" in q1
    q3 = ex03.Q3_NOISE_SOURCE
    graded = q3.options[ord(q3.answer) - ord("a")] + q3.explanation
    assert "constant start" in graded and "noisy start" in graded and "block 1" in graded
    assert not q3.check("a") and "gradient is noise" in q3.options[0]


def _subtracts_in_place(j, p, c):
    """The issue's wrong version of exercise 2: right value, but the caller's Jacobian is overwritten."""
    j -= p @ j
    return j[c].clone()


def _lowers_probs_in_place(j, p, c):
    """The issue's wrong version of exercise 3: right value, but the caller's probabilities are changed."""
    pc = float(p[c])
    p[c] -= 1
    return pc * (j[c] - (p + torch.nn.functional.one_hot(torch.tensor(c, device=p.device), len(p)).to(p.dtype)) @ j)


def _default_device_weights(j, p, c):
    weights = torch.zeros(len(p), dtype=p.dtype)  # no device=
    return j[c] - (weights + p) @ j


def _others(j, p, c):
    return p @ j - p[c] * j[c]


# Exercises 2 and 3's mistakes: (id, check, student function, words its verdict must contain).
GRADIENT_MISTAKES = [
    ("log P_c: the logit gradient only", "log", lambda j, p, c: j[c], "logit's gradient alone"),
    ("log P_c: sign reversed", "log", lambda j, p, c: p @ j - j[c], "sign is reversed"),
    ("log P_c: uniform weights", "log", lambda j, p, c: j[c] - j.mean(0), "uniform"),
    ("log P_c: the sum leaves out c", "log", lambda j, p, c: j[c] - _others(j, p, c), "leaves out k = c"),
    ("log P_c: dP_c instead", "log", lambda j, p, c: p[c] * (j[c] - p @ j), "exercise 2 asks for log P_c"),
    ("log P_c: jacobian -= probs @ jacobian", "log", _subtracts_in_place, "changed its inputs in place"),
    ("log P_c: torch.zeros without device=", "log", _default_device_weights, "not on a GPU"),
    ("log P_c: the whole Jacobian", "log", lambda j, p, c: j - p @ j, "has shape"),
    ("P_c: the factor P_c missing", "p", lambda j, p, c: j[c] - p @ j, "factor P_c is missing"),
    ("P_c: only the logit term", "p", lambda j, p, c: p[c] * (1 - p[c]) * j[c], "only the logit term"),
    ("P_c: 1 - P_c for P_c", "p", lambda j, p, c: (1 - p[c]) * (j[c] - p @ j), "the factor is 1 - P_c"),
    ("P_c: sign reversed", "p", lambda j, p, c: p[c] * (p @ j - j[c]), "sign is reversed"),
    (
        "P_c: competitors without P_c",
        "p",
        lambda j, p, c: p[c] * (1 - p[c]) * j[c] - _others(j, p, c),
        "lacks its factor P_c",
    ),
    ("P_c: probs[c] -= 1", "p", _lowers_probs_in_place, "changed its inputs in place"),
    ("P_c: a list", "p", lambda j, p, c: (p[c] * (j[c] - p @ j)).tolist(), "should return a tensor"),
]
CHECKS_04 = {"log": ex04.check_log_softmax_grad, "p": ex04.check_softmax_grad}


@pytest.mark.parametrize(
    ("check", "wrong", "words"), [m[1:] for m in GRADIENT_MISTAKES], ids=[m[0] for m in GRADIENT_MISTAKES]
)
def test_gradient_checks_name_the_mistake(check, wrong, words) -> None:
    verdict = CHECKS_04[check](wrong)
    assert not verdict and words in verdict.message, verdict.message


def test_gradient_checks_pass_the_solutions(sol04) -> None:
    assert ex04.check_log_softmax_grad(sol04.log_softmax_grad)
    assert ex04.check_softmax_grad(sol04.softmax_grad)
    assert "returned None" in ex04.check_softmax_grad(lambda j, p, c: None).message


def _one_backward(f, x):  # the gradient of the summed scores: one row, not the Jacobian
    xg = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(xg).sum(), xg)
    return g.expand(len(f(x)), -1)


def _flags_input(f, x):  # right values, but it switched on requires_grad of the caller's tensor
    x.requires_grad_(True)
    rows = [torch.autograd.grad(f(x)[k], x)[0] for k in range(len(f(x)))]
    return torch.stack(rows)


def _default_device_jacobian(f, x):
    xg = x.detach().requires_grad_(True)
    scores = f(xg)
    out = torch.zeros(len(scores), len(x), dtype=x.dtype)  # no device=
    for k in range(len(scores)):
        out[k] = torch.autograd.grad(scores[k], xg, retain_graph=True)[0]
    return out


JACOBIAN_MISTAKES = [
    ("one backward of the summed scores", _one_backward, "summed scores"),
    ("transposed", lambda f, x: torch.autograd.functional.jacobian(f, x).T, "transposed"),
    ("x.requires_grad_(True) on the caller's x", _flags_input, "changed its inputs"),
    ("torch.zeros without device=", _default_device_jacobian, "not on a GPU"),
    ("returns None", lambda f, x: None, "returned None"),
    ("raises", lambda f, x: 1 / 0, "ZeroDivisionError"),
]


@pytest.mark.parametrize(("wrong", "words"), [m[1:] for m in JACOBIAN_MISTAKES], ids=[m[0] for m in JACOBIAN_MISTAKES])
def test_score_jacobian_check_names_the_mistake(wrong, words) -> None:
    verdict = ex04.check_score_jacobian(wrong)
    assert not verdict and words in verdict.message, verdict.message


def test_score_jacobian_check_passes_the_solution(sol04) -> None:
    assert ex04.check_score_jacobian(sol04.score_jacobian)


@pytest.mark.parametrize("question", ex04.QUIZ, ids=["Q1", "Q2", "Q3"])
def test_quiz_04_right_answer_passes_and_wrong_answers_explain(question) -> None:
    assert question.check(question.answer)
    wrong = question.answer + 0.01 if isinstance(question.answer, float) else ("a" if question.answer != "a" else "b")
    verdict = question.check(wrong)
    assert not verdict and question.explanation in verdict.message


def test_quiz_04_numeric_answer_is_the_logit_factor() -> None:
    p = 0.99
    assert ex04.Q2.check(p * (1 - p)) and ex04.Q2.check("0.0099") and ex04.Q2.check("0.99%") and not ex04.Q2.check(p)
    for one_minus_p in (1 - p, 0.01, "0.01", "1%"):  # the missing factor P_c: rejected, and named
        verdict = ex04.Q2.check(one_minus_p)
        assert not verdict and "that is 1 - P_c" in verdict.message, one_minus_p


def test_reference_gradient_matches_autograd() -> None:
    """The references themselves agree with autograd on a random linear 'network' S = W I."""
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(5, 7, generator=gen, dtype=torch.float64)
    x = torch.randn(7, generator=gen, dtype=torch.float64, requires_grad=True)
    s = w @ x
    probs = s.softmax(0).detach()
    (g_log,) = torch.autograd.grad(s.log_softmax(0)[2], x, retain_graph=True)
    (g_p,) = torch.autograd.grad(s.softmax(0)[2], x)
    assert torch.allclose(ex04.reference_log_softmax_grad(w, probs, 2), g_log)
    assert torch.allclose(ex04.reference_softmax_grad(w, probs, 2), g_p)


# ----------------------------------------------------------------------------------------------
# 03 exercise 5: jitter, Adam, blur and clipping in the student's own loop, judged by Lite2.


def _plain_loop(sol03):
    """Exercise 3's plain loop behind exercise 5's signature: no jitter, no blur, no clip (SGD at Lite0's lr)."""

    def jitter_blur_class_image(model, target, steps, lr, l2, size, lo, hi, jitter, sigma, blur_every):
        return sol03.class_image(model, target, steps, 0.5, l2, size)

    return jitter_blur_class_image


def _never_judged(*args):
    raise AssertionError("a loop that breaks a stated rule must be refused before the judge runs")


def test_jitter_blur_check_refuses_the_plain_loop_and_names_it(sol03, lite0) -> None:
    verdict = ex03.check_jitter_blur_class_image(_plain_loop(sol03), lite0, None, _never_judged)
    assert not verdict and "the plain loop of exercise 3" in verdict.message and "no jitter" in verdict.message


def test_jitter_blur_check_refuses_broken_rules_before_judging(sol03, lite0) -> None:
    def unclipped(*args):
        return sol03.jitter_blur_class_image(*args) + 10.0

    def trains(model, *args):
        model.train()
        return sol03.jitter_blur_class_image(model, *args)

    def backward(model, target, steps, lr, l2, size, lo, hi, jitter, sigma, blur_every):
        x = torch.zeros(1, 3, size, size, requires_grad=True)
        model(x)[0, target].backward()  # .grad on every (trainable) weight
        return sol03.jitter_blur_class_image(model, target, steps, lr, l2, size, lo, hi, jitter, sigma, blur_every)

    for wrong, words in (
        (unclipped, "valid pixel range"),
        (trains, "training mode"),
        (backward, "received gradients"),
        (lambda *args: None, "returned None"),
        (lambda *args: torch.zeros(1, 3, 8, 8), "has shape"),
    ):
        verdict = ex03.check_jitter_blur_class_image(wrong, lite0, None, _never_judged)
        assert not verdict and words in verdict.message, verdict.message
    assert all(p.grad is None and not p.requires_grad for p in lite0.model.parameters()) and not lite0.model.training


def test_jitter_blur_check_compares_with_the_plain_method_paired(lite0, monkeypatch) -> None:
    """Two of five in the judge's top-5 passed the old rule even when the plain method did as well; the check now wants
    every class ranked above the plain image (sign test) and one more class in the top-5 than the plain images."""

    def random_images(model, target, steps, lr, l2, size, lo, hi, jitter, sigma, blur_every):
        return lo + (hi - lo) * torch.rand(lo.shape, device=lo.device)  # valid, and seed-dependent like jitter

    monkeypatch.setattr(
        ex03, "plain_images", lambda classifier, targets: [np.zeros((8, 8, 3), np.uint8)] * len(targets)
    )
    calls = []

    def judge_with(student, plain):
        def fake_judge(judge_model, images, targets):
            calls.append(len(images))
            ranks = student if len(calls) % 2 == 1 else plain
            return [SimpleNamespace(rank=r) for r in ranks]

        return fake_judge

    for student, plain, ok in (
        (
            [1, 2, 50, 60, 70],
            [3, 40, 40, 40, 40],
            False,
        ),  # two in the top-5 (the old rule passed it), the plain one too
        ([1, 2, 30, 30, 30], [40, 40, 40, 40, 40], True),  # every class above the plain image, two more in the top-5
        ([1, 2, 3, 4, 50], [40, 40, 40, 40, 40], False),  # four in the top-5, but one class below the plain image
        ([6, 7, 8, 9, 10], [40, 40, 40, 40, 40], False),  # every class above the plain image, none more in the top-5
    ):
        verdict = ex03.check_jitter_blur_class_image(random_images, lite0, None, judge_with(student, plain))
        assert bool(verdict) is ok, verdict.message
        assert "plain" in verdict.message and "sign test" in verdict.message
    assert calls == [5, 5] * 4  # the student's images, then the plain method's, judged on the same classes


def test_one_sided_sign_test_values() -> None:
    assert ex03.one_sided_sign_test(5, 5) == 1 / 32 and ex03.one_sided_sign_test(4, 5) == 6 / 32
    assert ex03.one_sided_sign_test(0, 5) == 1.0


@pytest.mark.slow
def test_jitter_blur_check_passes_the_solution_with_the_judge(sol03, lite0) -> None:
    """The solution's class images are recognised by Lite2 (the check's budget: a few classes, 96 px, Adam steps)."""
    import helpers
    from helpers.atlas import judge

    lite2 = helpers.load_model("efficientnet_lite2", device=lite0.device)
    verdict = ex03.check_jitter_blur_class_image(sol03.jitter_blur_class_image, lite0, lite2, judge)
    assert verdict, verdict.message
