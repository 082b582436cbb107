"""Worked solutions for notebook 02 (saliency maps). Try the exercises first!"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import nn


def saliency_from_model(model: nn.Module, x: torch.Tensor, targets: list[int]) -> torch.Tensor:
    """Exercise 1: M = max over colour channels of |dS_c/dI| for each image's own target class; (N, H, W)."""
    xg = x.detach().clone().requires_grad_(True)  # a fresh leaf: x itself is never modified
    scores = model(xg)  # class scores S_c (logits, not softmax)
    rows = torch.arange(len(targets), device=scores.device)  # index tensors on the model's device (CUDA, MPS, CPU)
    picked = scores[rows, torch.as_tensor(targets, device=scores.device)]
    (w,) = torch.autograd.grad(picked.sum(), xg)  # images are independent: one backward pass for all
    return w.abs().amax(dim=1)


def ten_crop_average(maps: np.ndarray, offsets: list[tuple[int, int]], work_hw: tuple[int, int]) -> np.ndarray:
    """Exercise 2: un-mirror maps 5..9, paste every map at its (top, left), average over the crops covering each pixel."""
    total = np.zeros(work_hw, np.float64)
    count = np.zeros(work_hw, np.float64)
    for k, (m, (top, left)) in enumerate(zip(maps, offsets)):
        if k >= 5:
            m = m[:, ::-1]  # the crop was mirrored: flip its map back
        total[top : top + m.shape[0], left : left + m.shape[1]] += m
        count[top : top + m.shape[0], left : left + m.shape[1]] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def pointing_hit(saliency: np.ndarray, mask: np.ndarray, tolerance: float) -> bool:
    """Exercise 3: is the map's maximum closer than `tolerance` pixels to the object mask (TorchRay: strictly)?"""
    y, x = np.unravel_index(np.argmax(saliency), saliency.shape)
    distance_to_object = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return bool(distance_to_object[y, x] < tolerance)
