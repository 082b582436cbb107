"""Checks for notebook 03 (class-model visualization): the objective, one ascent step, the whole ascent loop,
the starting image, and the notebook's "check your understanding" questions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from . import CheckResult, call_student, compare_arrays, failed, passed
from .quiz import MultipleChoice, NumericAnswer


def reference_objective(logits: torch.Tensor, x: torch.Tensor, target: int, l2: float) -> torch.Tensor:
    """The paper's objective per image: S_c(I) - l2 * ||I||_2^2, shape (N,)."""
    return logits[:, target] - l2 * x.pow(2).flatten(1).sum(dim=1)


def reference_ascent_step(x: torch.Tensor, grad_score: torch.Tensor, lr: float, l2: float) -> torch.Tensor:
    """One gradient-ascent step on S_c - l2||I||^2: I + lr * (dS_c/dI - 2 l2 I), without touching x."""
    return x + lr * (grad_score - 2 * l2 * x)


def check_objective(fn: Callable[[torch.Tensor, torch.Tensor, int, float], torch.Tensor]) -> CheckResult:
    """Exercise 1: `fn(logits, x, target, l2)` must return S_c - l2*||x||^2 per image."""
    gen = torch.Generator().manual_seed(3)
    for n, k, l2 in [(1, 6, 0.0), (4, 6, 0.01), (3, 10, 0.5)]:
        logits, x = torch.randn(n, k, generator=gen), torch.randn(n, 3, 8, 8, generator=gen)
        target = int(torch.randint(k, (1,), generator=gen))
        out, bad = call_student(fn, logits.clone(), x.clone(), target, l2, name="objective")
        if bad is not None:
            return bad
        verdict = compare_arrays(f"objective (N={n}, l2={l2})", out, reference_objective(logits, x, target, l2))
        if not verdict:
            hint = " Remember: one value per image, and the squared L2 norm sums over channels and pixels."
            return failed(verdict.message + hint)
    return passed("objective = S_c(I) - lambda * ||I||^2, one value per image.")


def check_ascent_step(fn: Callable[[torch.Tensor, torch.Tensor, float, float], torch.Tensor]) -> CheckResult:
    """Exercise 2: `fn(x, grad_score, lr, l2)` must return x + lr * (grad_score - 2*l2*x) and leave x unchanged."""
    gen = torch.Generator().manual_seed(4)
    for lr, l2 in [(1.0, 0.0), (0.5, 0.1), (2.0, 1e-3)]:
        x, g = torch.randn(2, 3, 8, 8, generator=gen), torch.randn(2, 3, 8, 8, generator=gen)
        x_before = x.clone()
        out, bad = call_student(fn, x, g, lr, l2, name="ascent_step")
        if bad is not None:
            return bad
        if not torch.equal(x, x_before):
            return failed("ascent_step modified its input x in place; return a new tensor instead.")
        verdict = compare_arrays(f"ascent_step (lr={lr}, l2={l2})", out, reference_ascent_step(x, g, lr, l2))
        if not verdict:
            hint = " Ascent goes *up* the gradient, and d(lambda||I||^2)/dI = 2*lambda*I."
            return failed(verdict.message + hint)
    return passed("one SGD ascent step: I + lr * (dS_c/dI - 2*lambda*I).")


def check_starting_image(image: Any, classifier: Any) -> CheckResult:
    """Exercise 4: the uint8 pixel image that the zero input of `classifier` corresponds to (the training mean)."""
    if image is None:
        return failed("starting_image is None: fill in the stub.")
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu().numpy()
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] != 3:
        got = f"{image.dtype} array of shape {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        return failed(f"Expected a uint8 HxWx3 image (what classifier.deprocess returns); got {got}.")
    s = classifier.input_size
    expected = classifier.deprocess(torch.zeros(1, 3, s, s, device=classifier.device))
    if image.shape != expected.shape:
        return failed(f"The image has shape {image.shape}; the model's input is {expected.shape}.")
    worst = int(np.abs(image.astype(int) - expected.astype(int)).max())
    if worst > 1:
        return failed(f"Pixels differ from the right answer by up to {worst}/255. Hint: zero in normalised space is the mean.")
    return passed("the zero input is the training-set mean image in pixel space.")


def reference_class_image(model: torch.nn.Module, target: int, steps: int, lr: float, l2: float, size: int) -> torch.Tensor:
    """The paper's class model, Eq. (1), by plain SGD ascent from the zero (mean) image; returns (1,3,size,size)."""
    x = torch.zeros(1, 3, size, size, requires_grad=True)
    for _ in range(steps):
        objective = model(x)[0, target] - l2 * x.pow(2).sum()
        (grad,) = torch.autograd.grad(objective, x)
        with torch.no_grad():
            x += lr * grad
    return x.detach()


def check_class_image(fn: Callable[..., torch.Tensor], classifier: Any) -> CheckResult:
    """Exercise 3: `fn(model, target, steps, lr, l2, size)` must run the paper's ascent loop from the mean image.

    Checked against the reference loop (and so against `class_model_visualization`) on `classifier`
    (the toy CNN), for two settings; the weights must come out without gradients.
    """
    model = classifier.model
    size = classifier.input_size
    for target, steps, lr, l2 in [(0, 5, 0.5, 0.03), (5, 12, 0.5, 0.1)]:
        out, bad = call_student(fn, model, target, steps, lr, l2, size, name="class_image")
        if bad is not None:
            return bad
        if isinstance(out, torch.Tensor) and out.requires_grad:
            out = out.detach()
        expected = reference_class_image(model, target, steps, lr, l2, size)
        verdict = compare_arrays(f"class_image (target {target}, {steps} steps, l2={l2})", out, expected, rtol=1e-3, atol=1e-4)
        if not verdict:
            hint = (" Start from torch.zeros(1, 3, size, size) (the mean image), take the gradient of"
                    " S_c - l2*||I||^2 with respect to the image, and step *up* by lr times it, `steps` times.")
            return failed(verdict.message + hint)
    if any(p.grad is not None for p in model.parameters()):
        return failed("the model's weights received gradients: differentiate with respect to the image only.")
    return passed("your loop is the paper's class-model visualization (Eq. 1, SGD from the mean image).")


Q1_WHY_LOGITS = MultipleChoice(
    question="Why does the paper maximise the class score S_c and not the softmax probability P_c?",
    options=[
        "P_c can be raised by pushing the other classes' scores down, without making the image more like class c.",
        "The softmax is not differentiable.",
        "S_c is bounded, so the optimisation cannot diverge.",
        "P_c is slower to compute than S_c.",
    ],
    answer="a",
    explanation=("P_c = exp(S_c) / sum_k exp(S_k) grows when any other score falls, so ascending it can "
                 "spend its effort on suppressing competitors (notebook 04 measures this). S_c is not bounded: "
                 "that is what the L2 term is for."),
)

Q2_PENALTY_SHRINK = NumericAnswer(
    question=("With Lite0's defaults (lr = 0.5, lambda = 0.01), if the score's gradient were zero, each SGD step "
              "would multiply the image (its difference from the mean) by which factor?"),
    answer=0.99,
    tolerance=0.002,
    explanation=("The step is I <- I + lr * (dS_c/dI - 2 lambda I); with dS_c/dI = 0 that is I <- (1 - 2 lr lambda) I "
                 "= (1 - 0.01) I = 0.99 I. The penalty pulls the image back to the mean by 1% per step, which is "
                 "why the norm levels off where the score's gradient balances it."),
)

Q3_NOISE_SOURCE = MultipleChoice(
    question="The paper's plain method gives colour noise on EfficientNet-Lite0. What did this notebook's measurement point to?",
    options=[
        "The objective S_c - lambda ||I||^2: it asks for noise.",
        "Lite0's input gradient: already mostly high frequencies at the mean image, added by the stride-2 convolutions next to the image.",
        "Batch-norm layers folded into the convolutions.",
        "ReLU6 saturating at 6.",
    ],
    answer="b",
    explanation=("The same objective gives structured images on the toy CNN. Folding batch norm "
                 "leaves the gradient unchanged (same function), and replacing ReLU6 by ReLU does not make the gradient "
                 "smoother; the high-frequency share jumps where the gradient passes back through the stride-2 3x3 "
                 "convolutions closest to the pixels."),
)

QUIZ = (Q1_WHY_LOGITS, Q2_PENALTY_SHRINK, Q3_NOISE_SOURCE)
