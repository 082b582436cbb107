"""Measuring a shortcut (notebook 07): per-image correctness, saliency mass on the decoy and the object, intervals.

The models of `helpers.rrr` are scored on the decoy toy world (`helpers.shortcut`): `correct` gives one bool per
image (paired between models on the same images), `saliency_on_masks` the paper's map's mass on the decoy's and
the object's exact masks relative to their area (1 = a uniform map), and `mean_interval` a bootstrap interval of a
mean over images; `seed_summary` the mean and range of one number over training seeds.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..rrr import shortcut_input
from ..saliency import saliency_map
from ..shortcut import DecoyDataset
from .masks import mass_relative_to_area

__all__ = ["correct", "mean_interval", "saliency_on_masks", "seed_summary"]


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def correct(model: nn.Module, dataset: DecoyDataset, batch_size: int = 500) -> np.ndarray:
    """(N,) bool: whether the model's top class is each image's label (the object's class, never the decoy's)."""
    if not isinstance(dataset, DecoyDataset):
        raise TypeError(f"correct needs a DecoyDataset (from generate_decoy); got {type(dataset).__name__}.")
    model.eval()
    out = []
    for s in range(0, len(dataset), batch_size):
        x = shortcut_input(dataset.images[s : s + batch_size], _device(model))
        out.append(model(x).argmax(1).cpu().numpy() == dataset.labels[s : s + batch_size])
    return np.concatenate(out)


def saliency_on_masks(model: nn.Module, dataset: DecoyDataset) -> dict[str, np.ndarray]:
    """The paper's map of each image's true class, its mass on the decoy and on the object relative to their area.

    Returns {"decoy": (N,), "object": (N,)}: mass inside the mask divided by the mask's share of the image, so a
    uniform map scores 1 on both. Needs images that have a decoy (decoy="class" or "swapped").
    """
    if not isinstance(dataset, DecoyDataset) or not dataset.decoy_masks.any(axis=(1, 2)).all():
        raise ValueError("saliency_on_masks needs a DecoyDataset whose every image has a decoy (decoy='class').")
    maps = saliency_map(model, shortcut_input(dataset.images, _device(model)), dataset.labels.tolist())
    return {
        "decoy": np.asarray(mass_relative_to_area(maps, dataset.decoy_masks)),
        "object": np.asarray(mass_relative_to_area(maps, dataset.masks)),
    }


def mean_interval(
    values: np.ndarray, *, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """(mean, low, high): the mean of per-image values with a percentile bootstrap interval over the images."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size < 2:
        raise ValueError(f"mean_interval needs at least two values; got {v.size}.")
    rng = np.random.Generator(np.random.PCG64(seed))
    means = v[rng.integers(0, v.size, size=(n_boot, v.size))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(v.mean()), float(lo), float(hi)


def seed_summary(values: list[float] | np.ndarray) -> tuple[float, float, float]:
    """(mean, min, max) of one number over training seeds: the spread a reader should expect from a new seed."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        raise ValueError("seed_summary needs at least one value.")
    return float(v.mean()), float(v.min()), float(v.max())
