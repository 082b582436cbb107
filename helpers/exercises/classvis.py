"""Checks for notebook 03 (class-model visualization): the objective, one ascent step, the starting image."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from . import CheckResult, call_student, compare_arrays, failed, passed




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
    """Exercise 3: the uint8 pixel image that the zero input of `classifier` corresponds to (the training mean)."""
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
