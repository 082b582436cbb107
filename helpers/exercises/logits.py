"""Checks for notebook 04 (logits versus softmax): the gradients of log P_c and P_c from the class-score Jacobian."""

from __future__ import annotations

from collections.abc import Callable

import torch

from . import CheckResult, call_student, compare_arrays, failed, passed

Jacobian = torch.Tensor  # (K, D): row k is dS_k/dI, flattened


def reference_log_softmax_grad(jacobian: Jacobian, probs: torch.Tensor, c: int) -> torch.Tensor:
    """d log P_c/dI = dS_c/dI - sum_k P_k dS_k/dI, shape (D,)."""
    return jacobian[c] - probs @ jacobian


def reference_softmax_grad(jacobian: Jacobian, probs: torch.Tensor, c: int) -> torch.Tensor:
    """dP_c/dI = P_c * d log P_c/dI, shape (D,)."""
    return probs[c] * reference_log_softmax_grad(jacobian, probs, c)


def _random_cases(seed: int) -> list[tuple[torch.Tensor, torch.Tensor, int]]:
    """A few (Jacobian, softmax probabilities, class) triples of different sizes."""
    gen = torch.Generator().manual_seed(seed)
    cases = []
    for k, d in [(2, 5), (6, 12), (10, 7)]:
        jac = torch.randn(k, d, generator=gen, dtype=torch.float64)
        probs = torch.randn(k, generator=gen, dtype=torch.float64).mul(2).softmax(0)
        cases.append((jac, probs, int(torch.randint(k, (1,), generator=gen))))
    return cases


def _check_gradient(name: str, fn: Callable, reference: Callable, hint: str, seed: int) -> CheckResult:
    """Compare the student's gradient function with the reference on random Jacobians."""
    for jac, probs, c in _random_cases(seed):
        out, bad = call_student(fn, jac.clone(), probs.clone(), c, name=name)
        if bad is not None:
            return bad
        verdict = compare_arrays(f"{name} (K={jac.shape[0]})", out, reference(jac, probs, c), rtol=1e-5, atol=1e-8)
        if not verdict:
            return failed(verdict.message + " " + hint)
    return passed(f"{name} matches the reference on random Jacobians.")


def check_log_softmax_grad(fn: Callable[[Jacobian, torch.Tensor, int], torch.Tensor]) -> CheckResult:
    """Exercise 1: `fn(jacobian, probs, c)` must return d log P_c/dI = J[c] - sum_k P_k J[k]."""
    return _check_gradient(
        "log_softmax_grad", fn, reference_log_softmax_grad,
        "Hint: log P_c = S_c - log sum_k exp(S_k); differentiate the log-sum-exp.", seed=5,
    )


def check_softmax_grad(fn: Callable[[Jacobian, torch.Tensor, int], torch.Tensor]) -> CheckResult:
    """Exercise 2: `fn(jacobian, probs, c)` must return dP_c/dI = P_c (J[c] - sum_k P_k J[k])."""
    return _check_gradient(
        "softmax_grad", fn, reference_softmax_grad,
        "Hint: dP_c/dI = P_c * d log P_c/dI.", seed=6,
    )
