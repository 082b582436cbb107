"""Checks for notebook 01 (linear models): each compares the student's function with a reference on random inputs."""

from __future__ import annotations

from collections.abc import Callable

import torch

from . import CheckResult, call_student, compare_arrays, failed, passed




def linear_saliency_reference(weight: torch.Tensor, c: int) -> torch.Tensor:
    """Saliency of a linear model for class c: max over colour channels of |w_c|, shape (H, W)."""
    return weight[c].abs().amax(dim=0)


def check_linear_saliency(fn: Callable[[torch.Tensor, int], torch.Tensor]) -> CheckResult:
    """Exercise 1: `fn(weight (K,3,H,W), c) -> (H,W)` must equal max_channels |w_c| for random weights."""
    gen = torch.Generator().manual_seed(11)
    weight = torch.randn(6, 3, 16, 20, generator=gen)
    for c in (0, 4):
        out, problem = call_student(fn, weight.clone(), c)
        if problem is not None:
            return problem
        verdict = compare_arrays(f"linear_saliency(weight, {c})", out, linear_saliency_reference(weight, c))
        if not verdict:
            return failed(verdict.message + " Hint: take the absolute value, then the maximum over the colour channels.")
    return passed("the saliency of a linear model is |w_c|, maxed over colour channels, whatever the image.")


def first_order_reference(f0: torch.Tensor, grad: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """First-order Taylor prediction F(I0 + d) ~ F(I0) + w^T d."""
    return f0 + (grad * delta).sum()


def check_first_order(fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]) -> CheckResult:
    """Exercise 2: `fn(f0, grad, delta)` must return F(I0) + w^T d (a scalar)."""
    gen = torch.Generator().manual_seed(12)
    f0 = torch.randn((), generator=gen)
    grad, delta = torch.randn(1, 3, 8, 8, generator=gen), torch.randn(1, 3, 8, 8, generator=gen)
    out, problem = call_student(fn, f0.clone(), grad.clone(), delta.clone())
    if problem is not None:
        return problem
    out = torch.as_tensor(out).reshape(-1)
    if out.numel() != 1:
        return failed(f"expected one number (a scalar); got {out.numel()} values. Sum the products w * d over all pixels.")
    verdict = compare_arrays("first_order(f0, grad, delta)", out.reshape(()), first_order_reference(f0, grad, delta))
    return verdict if not verdict else passed("F(I0 + d) ~ F(I0) + sum(w * d): the gradient is the local linear model.")
