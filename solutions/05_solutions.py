"""Worked solutions for notebook 05 (weakly supervised localization). Try the exercises first!"""

from __future__ import annotations

import cv2
import numpy as np


def seeds(saliency: np.ndarray, fg_quantile: float, bg_quantile: float) -> np.ndarray:
    """Exercise 1: +1 where saliency >= its fg quantile, -1 where <= its bg quantile, 0 elsewhere."""
    q_fg, q_bg = np.quantile(saliency, [fg_quantile, bg_quantile])
    seed_map = np.zeros(saliency.shape, np.int8)
    seed_map[saliency >= q_fg] = 1
    seed_map[saliency <= q_bg] = -1
    return seed_map


def seed_colour_models(image: np.ndarray, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exercise 2: GrabCut's two colour GMMs fitted on the seed pixels only (the unseeded pixels play no part).

    cv2.grabCut with 0 iterations only fits its GMMs, so we give it a 1 x K "image" holding just the seed
    colours, labelled definite foreground / background, and keep the two models it fills in.
    """
    fg, bg = image[seeds == 1], image[seeds == -1]
    pixels = np.ascontiguousarray(np.concatenate([fg, bg])[None])  # (1, K, 3)
    labels = np.concatenate([np.full(len(fg), cv2.GC_FGD), np.full(len(bg), cv2.GC_BGD)]).astype(np.uint8)[None]
    bgd_model, fgd_model = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(pixels, labels, None, bgd_model, fgd_model, 0, cv2.GC_INIT_WITH_MASK)
    return bgd_model, fgd_model


def cut_and_box(
    image: np.ndarray, seeds: np.ndarray, bgd_model: np.ndarray, fgd_model: np.ndarray
) -> tuple[int, int, int, int]:
    """Exercise 3: one graph cut with the models frozen, then the box of the largest 8-connected foreground component."""
    mask = np.where(seeds == 1, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)  # soft seeds: the cut may relabel them
    cv2.grabCut(np.ascontiguousarray(image), mask, None, bgd_model, fgd_model, 1, cv2.GC_EVAL_FREEZE_MODEL)
    foreground = (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(foreground.astype(np.uint8), connectivity=8)
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))  # label 0 is the background
    x, y, w, h = (int(v) for v in stats[k, :4])
    return (x, y, x + w, y + h)
