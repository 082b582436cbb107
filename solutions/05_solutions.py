"""Worked solutions for notebook 05 (weakly supervised localization). Try the exercises first!"""

from __future__ import annotations

import cv2
import numpy as np


def seeds_from_saliency(saliency: np.ndarray, fg_quantile: float, bg_quantile: float) -> np.ndarray:
    """Exercise 1: +1 where saliency >= its fg quantile, -1 where <= its bg quantile, 0 elsewhere."""
    q_fg, q_bg = np.quantile(saliency, [fg_quantile, bg_quantile])
    seeds = np.zeros(saliency.shape, np.int8)
    seeds[saliency >= q_fg] = 1
    seeds[saliency <= q_bg] = -1
    return seeds


def box_iou(a: tuple, b: tuple) -> float:
    """Exercise 2: intersection over union of (x0, y0, x1, y1) boxes, x1/y1 exclusive."""
    iw = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def largest_component_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """Exercise 3: the box of the largest 8-connected component of a bool mask."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))  # label 0 is the background
    x, y, w, h = (int(v) for v in stats[k, :4])
    return (x, y, x + w, y + h)
