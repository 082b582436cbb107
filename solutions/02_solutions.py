"""Worked solutions for notebook 02 (saliency maps)."""

from __future__ import annotations

import numpy as np
import torch


def saliency_from_gradient(grad: torch.Tensor) -> torch.Tensor:
    """Exercise 1: the paper's map, max over colour channels of |dS_c/dI|."""
    return grad.abs().amax(dim=1)


def pointing_hit(saliency: np.ndarray, mask: np.ndarray) -> bool:
    """Exercise 2: is the maximum of the map inside the object mask?"""
    y, x = np.unravel_index(np.argmax(saliency), saliency.shape)
    return bool(mask[y, x])


def mass_inside(saliency: np.ndarray, mask: np.ndarray) -> float:
    """Exercise 3: the share of the saliency mass inside the mask."""
    return float(saliency[mask].sum() / saliency.sum())
