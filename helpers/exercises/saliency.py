"""Checks and questions for notebook 02 (saliency maps).

Students implement the paper's algorithms: the saliency map of a model (autograd on the class score,
then the maximum of |w| over colour channels), the 10-crop average with the mirror un-done, and the
pointing game with the 15-px tolerance of the TorchRay benchmark. Each check compares the student's
function with a reference on inputs it builds itself and says what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np
import torch
from torch import nn

from ..saliency import paste_average, saliency_map
from . import CheckResult, call_student, compare_arrays, failed, passed
from .quiz import MultipleChoice, NumericAnswer

# ----------------------------------------------------------------------------------------------
# Exercise 1: saliency from a model


def _tiny_model(seed: int = 0) -> nn.Module:
    """A small frozen conv net (3 -> 5 classes) in eval mode: enough to tell right maps from wrong ones."""
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 6, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(24, 5),
    )
    return model.eval().requires_grad_(False)


def saliency_from_model_reference(model: nn.Module, x: torch.Tensor, targets: Sequence[int]) -> torch.Tensor:
    """The paper's map for a batch: M = max_c |dS_c/dI| of each image's target score; (N, H, W)."""
    return saliency_map(model, x, list(targets))


def _hint_for_map(model: nn.Module, x: torch.Tensor, targets: list[int], got: np.ndarray) -> str:
    """Name the usual mistake when a student's map matches a wrong variant of the paper's."""
    idx = torch.tensor(targets)[:, None]
    xg = x.detach().clone().requires_grad_(True)
    scores = model(xg)
    g_score, g_prob = (
        torch.autograd.grad(s.gather(1, idx).sum(), xg, retain_graph=True)[0] for s in (scores, scores.softmax(dim=1))
    )
    variants = {
        "the sum over colour channels": g_score.abs().sum(dim=1),
        "the maximum of the signed gradient (abs() missing)": g_score.amax(dim=1),
        "the gradient of the softmax probability": g_prob.abs().amax(dim=1),
        "the gradient of every image's first target": saliency_map(model, x, targets[0]),
    }
    for name, m in variants.items():
        if got.shape == tuple(m.shape) and np.allclose(got, m.numpy(), rtol=1e-4, atol=1e-6):
            return f" Your map equals {name}; the paper takes max over c of |dS_c/dI| of the score (logit) of each image's own class."
    return " Hint: scores = model(x); pick scores[i, targets[i]]; torch.autograd.grad of their sum; abs(); amax(dim=1)."


def check_saliency_from_model(fn: Callable[[nn.Module, torch.Tensor, list[int]], torch.Tensor]) -> CheckResult:
    """Exercise 1: `fn(model, x (N,3,H,W), targets) -> (N,H,W)`, the paper's map of each image's target score.

    Also checks that x is not modified and that no gradient is left on the model's parameters.
    """
    model = _tiny_model()
    gen = torch.Generator().manual_seed(21)
    x = torch.randn(3, 3, 11, 9, generator=gen)
    targets = [1, 4, 2]
    x_before = x.clone()
    out, problem = call_student(fn, model, x, list(targets), name="saliency_from_model")
    if problem is not None:
        return problem
    if not torch.equal(x, x_before):
        return failed("your function changed the input x in place; work on x.detach().clone() (or x.detach().requires_grad_()).")
    if any(p.grad is not None for p in model.parameters()):
        return failed("gradients were written to the model's parameters; use torch.autograd.grad(score, x) so only dS/dI is computed.")
    got = out.detach().cpu().numpy() if isinstance(out, torch.Tensor) else np.asarray(out)
    verdict = compare_arrays("saliency_from_model(model, x, targets)", got, saliency_from_model_reference(model, x, targets))
    if not verdict:
        return failed(verdict.message + _hint_for_map(model, x, targets, got))
    return passed("w = dS_c/dI at I0 (Eq. 4) by one backward pass, then M_ij = max_c |w_h(i,j,c)| (Sect. 3.1).")


# ----------------------------------------------------------------------------------------------
# Exercise 2: the 10-crop average with the mirror un-done


def ten_crop_average_reference(maps: np.ndarray, offsets: Sequence[tuple[int, int]], work_hw: tuple[int, int]) -> np.ndarray:
    """Average of 10 crop maps (the last 5 of mirrored crops) pasted at their (top, left) in a work_hw canvas."""
    unmirrored = np.concatenate([maps[:5], maps[5:, :, ::-1]])
    return paste_average(unmirrored, offsets, work_hw)


def _ten_crop_case(seed: int) -> tuple[np.ndarray, list[tuple[int, int]], tuple[int, int]]:
    """Random crop maps of size S in a working image larger than S, with the 5 crop positions used twice."""
    rng = np.random.default_rng(seed)
    s = int(rng.integers(6, 10))
    h, w = s + int(rng.integers(1, 5)), s + int(rng.integers(1, 7))
    offsets = [(0, 0), (0, w - s), (h - s, 0), (h - s, w - s), ((h - s) // 2, (w - s) // 2)] * 2
    return rng.random((10, s, s)).astype(np.float32), offsets, (h, w)


def check_ten_crop_average(fn: Callable[[np.ndarray, list[tuple[int, int]], tuple[int, int]], np.ndarray]) -> CheckResult:
    """Exercise 2: `fn(maps (10,S,S), offsets, work_hw) -> (H,W)`: un-mirror maps 5..9, paste, average over coverage."""
    for seed in range(5):
        maps, offsets, work = _ten_crop_case(seed)
        out, problem = call_student(fn, maps.copy(), list(offsets), work, name="ten_crop_average")
        if problem is not None:
            return problem
        expected = ten_crop_average_reference(maps, offsets, work)
        got = out.detach().cpu().numpy() if isinstance(out, torch.Tensor) else np.asarray(out)
        verdict = compare_arrays("ten_crop_average(maps, offsets, work_hw)", got, expected)
        if verdict:
            continue
        if got.shape == expected.shape:
            if np.allclose(got, paste_average(maps, offsets, work), atol=1e-5):
                return failed("the maps of the mirrored crops (5..9) are pasted as they are: flip them back first (m[:, ::-1]).")
            total = np.zeros(work, np.float64)
            for m, (t, l) in zip(np.concatenate([maps[:5], maps[5:, :, ::-1]]), offsets):
                total[t : t + m.shape[0], l : l + m.shape[1]] += m
            if np.allclose(got, total / 10, atol=1e-5):
                return failed("you divide by 10 everywhere; divide each pixel by the number of crops that cover it (corners are covered less).")
            if np.allclose(got, total, atol=1e-5):
                return failed("you return the sum; divide each pixel by the number of crops that cover it.")
        return failed(verdict.message + " Hint: flip maps[5:] left-right, add each map into a canvas at (top, left), count coverage, divide.")
    return passed("mirrored maps flipped back, each pixel averaged over the crops that cover it, as in the paper's 10-crop test.")


# ----------------------------------------------------------------------------------------------
# Exercise 3: the pointing game with a tolerance (TorchRay)


def pointing_hit_reference(saliency: np.ndarray, mask: np.ndarray, tolerance: float) -> bool:
    """True when the map's maximum (first one in row-major order) lies within `tolerance` px of the mask."""
    y, x = np.unravel_index(int(np.argmax(saliency)), saliency.shape)
    if not mask.any():
        return False
    distance = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return bool(distance[y, x] <= tolerance)


def check_pointing_hit(fn: Callable[[np.ndarray, np.ndarray, float], bool]) -> CheckResult:
    """Exercise 3: `fn(saliency (H,W), mask (H,W) bool, tolerance) -> bool`: is the maximum within tolerance px of the mask?"""
    rng = np.random.default_rng(22)
    for trial in range(40):
        saliency = rng.random((40, 50))
        mask = np.zeros((40, 50), bool)
        y, x = int(rng.integers(5, 30)), int(rng.integers(5, 40))
        mask[y : y + 6, x : x + 8] = True
        tolerance = [0, 3, 5, 8][trial % 4]
        py, px = y + int(rng.integers(-12, 18)), x + int(rng.integers(-12, 20))
        saliency[np.clip(py, 0, 39), np.clip(px, 0, 49)] = 2.0  # a maximum near the object: hit or miss by distance
        out, problem = call_student(fn, saliency.copy(), mask.copy(), tolerance, name="pointing_hit")
        if problem is not None:
            return problem
        expected = pointing_hit_reference(saliency, mask, tolerance)
        if bool(out) != expected:
            peak = np.unravel_index(int(np.argmax(saliency)), saliency.shape)
            return failed(
                f"with tolerance {tolerance} px and the maximum at (row, column) {peak} you answered {bool(out)}; expected {expected}. "
                "Hint: a hit when the Euclidean distance from the maximum to the nearest mask pixel is <= tolerance."
            )
    return passed("a hit when the maximum lies within the tolerance of the object (TorchRay uses 15 px).")


# ----------------------------------------------------------------------------------------------
# Check your understanding

Q1 = MultipleChoice(
    "The saliency map is M_ij = max_c |w_h(i,j,c)| with w = dS_c/dI at the image I0 (Eq. 4). What does a bright pixel of M mean?",
    [
        "the pixel contributes much of the class score S_c (its share of S_c)",
        "a small change of that pixel changes S_c strongly, to first order (Eq. 3)",
        "the pixel has a high probability of belonging to the object",
    ],
    "b",
    "w is a derivative: by Eq. 3, S_c(I) ~ w^T I + b near I0, so |w| says how sensitive the score is to each pixel. "
    "It is not a share of the score (that would need w * I and a baseline) and not a probability; a pixel can be "
    "sensitive without being on the object, which is why we measure the maps against masks.",
)

Q2 = NumericAnswer(
    "A saliency map that is the same everywhere is scored on an image whose object covers 12.8% of the pixels. "
    "What share of its mass lies inside the mask (a number between 0 and 1)?",
    0.128,
    0.005,
    "A uniform map puts mass in proportion to area, so it scores the mask's area fraction, 0.128: the baseline "
    "every map must beat before it tells us anything about the object.",
)

Q3 = MultipleChoice(
    "After re-initialising all six weight layers of the toy CNN, its maps still have rank correlation 0.26 with the trained maps. What does that say?",
    [
        "the saliency method ignores the model: the maps only show the image",
        "part of every map is a pattern no weights decide (e.g. smaller gradients near the border), which a rank "
        "correlation over all pixels counts as agreement; the learned weights account for the fall from 1 to about 0.26",
        "the randomization failed: the weights were not changed",
    ],
    "b",
    "The correlation falls steadily as layers are randomized, so the maps do depend on the learned weights, the "
    "property Adebayo et al. ask of a method that explains the model. What is left is largely shared spatial "
    "structure: in the notebook a random network's map still correlates at 0.16 with the trained map of a different "
    "image, and the trained maps of two different images at 0.29.",
)

QUIZ = (Q1, Q2, Q3)
