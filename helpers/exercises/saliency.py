"""Checks for notebook 02 (saliency maps): each compares the student's function with a reference on random inputs."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from . import CheckResult, call_student, compare_arrays, failed, passed


def saliency_from_gradient_reference(grad: torch.Tensor) -> torch.Tensor:
    """The paper's map from a gradient batch (N,3,H,W): max over channels of |grad|, shape (N,H,W)."""
    return grad.abs().amax(dim=1)


def check_saliency_from_gradient(fn: Callable[[torch.Tensor], torch.Tensor]) -> CheckResult:
    """Exercise 1: `fn(grad (N,3,H,W)) -> (N,H,W)` must be the paper's max_c |grad|."""
    grad = torch.randn(2, 3, 9, 7, generator=torch.Generator().manual_seed(21))
    out, problem = call_student(fn, grad.clone())
    if problem is not None:
        return problem
    verdict = compare_arrays("saliency_from_gradient(grad)", out, saliency_from_gradient_reference(grad))
    if not verdict:
        return failed(verdict.message + " Hint: absolute value first, then the maximum over dim=1 (colour channels).")
    return passed("M_ij = max_c |w_h(i,j,c)|, as in the paper (Eq. 2's gradient, Section 3.1).")


def pointing_hit_reference(saliency: np.ndarray, mask: np.ndarray) -> bool:
    """True when the (unique) maximum of the map lies inside the mask."""
    y, x = np.unravel_index(int(np.argmax(saliency)), saliency.shape)
    return bool(mask[y, x])


def check_pointing_hit(fn: Callable[[np.ndarray, np.ndarray], bool]) -> CheckResult:
    """Exercise 2: `fn(saliency (H,W), mask (H,W) bool) -> bool`: is the map's maximum inside the mask?"""
    rng = np.random.default_rng(22)
    for trial in range(20):
        saliency = rng.random((12, 15))
        mask = np.zeros((12, 15), bool)
        y, x = rng.integers(0, 8), rng.integers(0, 10)
        mask[y : y + 4, x : x + 5] = True
        if trial % 2:  # make half the trials hits
            saliency[y + 1, x + 2] = 2.0
        out, problem = call_student(fn, saliency.copy(), mask.copy())
        if problem is not None:
            return problem
        if bool(out) != pointing_hit_reference(saliency, mask):
            return failed(f"on a {saliency.shape} map you answered {bool(out)}; the maximum is at "
                          f"{np.unravel_index(int(np.argmax(saliency)), saliency.shape)} (row, column). Hint: np.argmax + np.unravel_index.")
    return passed("the pointing game asks only where the maximum is.")


def mass_inside_reference(saliency: np.ndarray, mask: np.ndarray) -> float:
    """Fraction of the map's total mass inside the mask."""
    return float(saliency[mask].sum() / saliency.sum())


def check_mass_inside(fn: Callable[[np.ndarray, np.ndarray], float]) -> CheckResult:
    """Exercise 3: `fn(saliency (H,W), mask) -> float` in [0, 1]: the share of saliency mass inside the mask."""
    rng = np.random.default_rng(23)
    saliency = rng.random((10, 13))
    mask = rng.random((10, 13)) < 0.3
    out, problem = call_student(fn, saliency.copy(), mask.copy())
    if problem is not None:
        return problem
    try:
        value = float(out)
    except (TypeError, ValueError):
        return failed(f"expected one number; got {type(out).__name__}.")
    expected = mass_inside_reference(saliency, mask)
    if not np.isclose(value, expected, rtol=1e-6):
        return failed(f"got {value:.4f}; expected {expected:.4f}. Hint: sum inside the mask divided by the total sum.")
    return passed("a uniform map would score the mask's area fraction; a useful map scores well above it.")
