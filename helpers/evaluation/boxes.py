"""Box scores: intersection over union and the ILSVRC localization criterion (IoU >= 0.5).

Boxes are (x0, y0, x1, y1) in pixels, x1/y1 exclusive (`helpers.geometry.Box`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .proportions import sign_test, wilson_interval


def as_box(box: Sequence[float] | np.ndarray, name: str = "box") -> tuple[float, float, float, float]:
    """Validate an (x0, y0, x1, y1) box: four finite numbers with x0 <= x1 and y0 <= y1."""
    b = np.asarray(box, dtype=np.float64).reshape(-1) if not isinstance(box, str) else np.array([])
    if b.shape != (4,) or not np.isfinite(b).all():
        raise ValueError(f"{name} must be four finite numbers (x0, y0, x1, y1); got {box!r}.")
    if b[2] < b[0] or b[3] < b[1]:
        raise ValueError(
            f"{name} {tuple(b.tolist())} has x1 < x0 or y1 < y0; expected (x0, y0, x1, y1), x1/y1 exclusive."
        )
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def box_ious(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Row-wise IoU of two (N, 4) box arrays (x1/y1 exclusive); 0 where both boxes are empty."""
    a, b = _as_box_array(boxes_a, "boxes_a"), _as_box_array(boxes_b, "boxes_b")
    if a.shape != b.shape:
        raise ValueError(f"Need as many predicted as true boxes; got {len(a)} and {len(b)}.")
    iw = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    ih = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    inter = iw * ih
    union = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _as_box_array(boxes: np.ndarray, name: str) -> np.ndarray:
    """(N, 4) float64 array of valid boxes."""
    b = np.asarray(boxes, dtype=np.float64)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4); got {b.shape}.")
    if not np.isfinite(b).all():
        raise ValueError(f"{name} contains NaN or infinite coordinates.")
    bad = np.flatnonzero((b[:, 2] < b[:, 0]) | (b[:, 3] < b[:, 1]))
    if len(bad):
        raise ValueError(f"{name}[{bad[0]}] = {b[bad[0]].tolist()} has x1 < x0 or y1 < y0.")
    return b


def iou(box_a: Sequence[float], box_b: Sequence[float]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes (x1/y1 exclusive); 0 for two empty boxes."""
    return float(box_ious(np.array([as_box(box_a, "box_a")]), np.array([as_box(box_b, "box_b")]))[0])


def evaluate_boxes(pred_boxes: np.ndarray, true_boxes: np.ndarray, *, threshold: float = 0.5) -> dict[str, float]:
    """Localization accuracy (share of IoU >= threshold, the ILSVRC criterion), mean IoU and count."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must lie in (0, 1]; got {threshold}.")
    ious = box_ious(pred_boxes, true_boxes)
    if len(ious) == 0:
        raise ValueError("evaluate_boxes needs at least one box pair.")
    return {"accuracy": float(np.mean(ious >= threshold)), "mean_iou": float(ious.mean()), "n": int(len(ious))}


def accuracy_interval(hits: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of an accuracy hits/n, printed with every sample's accuracy."""
    if not (isinstance(hits, (int, np.integer)) and isinstance(n, (int, np.integer)) and 0 <= hits <= n and n > 0):
        raise ValueError(f"need integer counts 0 <= hits <= n with n > 0; got hits={hits!r}, n={n!r}.")
    return wilson_interval(int(hits), int(n))


def paired_comparison(ious_a: np.ndarray, ious_b: np.ndarray, *, threshold: float = 0.5) -> dict[str, float]:
    """Two localizers on the same images: images only A hits (wins), only B hits (losses), two-sided exact sign test p."""
    a, b = np.asarray(ious_a) >= threshold, np.asarray(ious_b) >= threshold
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"need two 1-d IoU arrays over the same images; got shapes {a.shape} and {b.shape}.")
    wins, losses = int(np.sum(a & ~b)), int(np.sum(~a & b))
    return {"wins": wins, "losses": losses, "p": sign_test(wins, losses)}
