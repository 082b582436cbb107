"""Checks for notebook 05's exercises: saliency seeds, box IoU, and the box of the largest component."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from .. import localization as loc
from . import CheckResult, call_student, failed, passed




def _random_maps(seed: int = 0, n: int = 6) -> list[np.ndarray]:
    """Smooth random saliency-like maps of assorted shapes (continuous values, so no ties)."""
    rng = np.random.default_rng(seed)
    maps = []
    for _ in range(n):
        h, w = (int(v) for v in rng.integers(16, 70, size=2))
        m = cv2.GaussianBlur(rng.random((h, w)).astype(np.float64), (0, 0), 2.0) + 1e-6 * rng.random((h, w))
        maps.append(m * float(rng.uniform(0.1, 50)))
    return maps


def check_seeds(fn: Callable[[np.ndarray, float, float], np.ndarray]) -> CheckResult:
    """Exercise 1: seeds(saliency, fg_quantile, bg_quantile) -> int map of +1 / -1 / 0, as in the paper."""
    for i, m in enumerate(_random_maps()):
        for fg_q, bg_q in ((0.95, 0.30), (0.8, 0.5)):
            out, verdict = call_student(fn, m.copy(), fg_q, bg_q)
            if verdict is not None:
                return verdict
            got = np.asarray(out)
            if got.shape != m.shape:
                return failed(f"map {i} has shape {m.shape}; your seed map has shape {got.shape}.")
            expected = loc.saliency_seeds(m, fg_q, bg_q)
            if not np.array_equal(got.astype(np.int64), expected.astype(np.int64)):
                wrong = int((got.astype(np.int64) != expected).sum())
                share_fg = float(np.mean(got == 1))
                return failed(
                    f"{wrong} of {m.size} pixels differ for quantiles ({fg_q}, {bg_q}); you mark {100 * share_fg:.1f}% "
                    f"as foreground, expected {100 * (1 - fg_q):.0f}%. Use np.quantile(saliency, q)."
                )
    return passed("+1 above the foreground quantile, -1 below the background quantile, 0 elsewhere.")


def _random_boxes(rng: np.random.Generator) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two random boxes (x0, y0, x1, y1), x1/y1 exclusive, often overlapping, sometimes touching."""
    a = rng.integers(0, 30, size=2)
    a = (int(a[0]), int(a[1]), int(a[0] + rng.integers(1, 20)), int(a[1] + rng.integers(1, 20)))
    if rng.random() < 0.2:  # touching on the right: shares no pixel
        return a, (a[2], a[1], a[2] + 5, a[3])
    b = rng.integers(0, 30, size=2)
    return a, (int(b[0]), int(b[1]), int(b[0] + rng.integers(1, 20)), int(b[1] + rng.integers(1, 20)))


def check_iou(fn: Callable[[tuple, tuple], float]) -> CheckResult:
    """Exercise 2: box_iou(a, b) for (x0, y0, x1, y1) boxes with exclusive x1/y1."""
    rng = np.random.default_rng(1)
    for _ in range(200):
        a, b = _random_boxes(rng)
        out, verdict = call_student(fn, a, b)
        if verdict is not None:
            return verdict
        try:
            got = float(out)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return failed(f"box_iou should return a number; got {type(out).__name__}.")
        expected = loc.iou(a, b)
        if not np.isclose(got, expected, atol=1e-9):
            hint = " Boxes that only touch share no pixel (x1 is exclusive)." if expected == 0 else ""
            return failed(f"box_iou({a}, {b}) = {got:.4f}; expected {expected:.4f}.{hint}")
    return passed("intersection area / union area, for 200 random pairs of boxes.")


def _random_blobs(seed: int) -> np.ndarray:
    """A bool mask holding 2-4 separate rectangles and discs of different sizes."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((60, 80), np.uint8)
    for _ in range(int(rng.integers(2, 5))):
        x, y = int(rng.integers(5, 75)), int(rng.integers(5, 55))
        if rng.random() < 0.5:
            cv2.circle(mask, (x, y), int(rng.integers(2, 10)), 1, -1)
        else:
            cv2.rectangle(mask, (x, y), (x + int(rng.integers(1, 15)), y + int(rng.integers(1, 15))), 1, -1)
    return mask.astype(bool)


def check_component_box(fn: Callable[[np.ndarray], tuple]) -> CheckResult:
    """Exercise 3: largest_component_box(mask) -> (x0, y0, x1, y1) of the largest 8-connected component."""
    for seed in range(20):
        mask = _random_blobs(seed)
        out, verdict = call_student(fn, mask.copy())
        if verdict is not None:
            return verdict
        expected = loc.mask_box(loc.largest_component(mask))
        try:
            got = tuple(int(v) for v in out)  # type: ignore[union-attr]
        except (TypeError, ValueError):
            return failed(f"return a box (x0, y0, x1, y1); got {type(out).__name__}.")
        if got != expected:
            if got == loc.mask_box(mask):
                return failed(f"{got} boxes every foreground pixel; keep only the largest connected component.")
            return failed(f"for mask {seed} you return {got}; expected {expected} (x1/y1 exclusive).")
    return passed("the box of the largest connected component, for 20 random masks.")
