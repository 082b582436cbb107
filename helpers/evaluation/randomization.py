"""The model-randomization sanity check (Adebayo et al. 2018, beyond the paper): a copy with its top layers re-initialised.

A saliency method that explains the model should give different maps once the learned top layers are gone;
notebooks 02 and 06 compare each method's maps on the trained model and on these copies by rank correlation
(`helpers.evaluation.masks.rank_correlation`).
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import torch
from torch import nn

from ..inputs import as_module
from ..models import Classifier
from .masks import rank_correlation

_NORM_TYPES = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)


def parameterized_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Layers with their own weights and a `reset_parameters` (conv, linear), in definition order; norms excluded."""
    return [
        (name, m)
        for name, m in model.named_modules()
        if hasattr(m, "reset_parameters")
        and not isinstance(m, _NORM_TYPES)
        and any(True for _ in m.parameters(recurse=False))
    ]


def randomize_top_layers(model: nn.Module | Classifier, n: int, *, seed: int = 0) -> nn.Module | Classifier:
    """A frozen copy of the model with its last `n` weight layers re-initialised (the original is untouched).

    Adebayo et al. (2018)'s cascading model-randomization test, beyond the paper: a saliency method
    that explains the model should give different maps once the learned top layers are gone.
    """
    module = as_module(model)
    layers = parameterized_layers(module)
    if not 0 <= n <= len(layers):
        raise ValueError(f"n must be between 0 and {len(layers)} (the model's weight layers); got {n}.")
    device = next(module.parameters()).device
    clone = copy.deepcopy(module).to("cpu")  # re-initialised on the CPU: the same weights on every device
    names = {name for name, _ in layers[len(layers) - n :]}
    with torch.random.fork_rng(devices=[]), torch.no_grad():  # seeded, and the caller's CPU generator untouched
        torch.manual_seed(seed)
        for name, m in clone.named_modules():
            if name in names:
                m.reset_parameters()
    clone = clone.to(device).eval().requires_grad_(False)
    if isinstance(model, Classifier):
        return dataclasses.replace(model, model=clone, name=f"{model.name} (top {n} layers random)")
    return clone


def rank_correlations(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor, *, margin: int = 0) -> np.ndarray:
    """Spearman correlation of map i of `a` with map i of `b` (N,H,W), leaving out a `margin`-px border; (N,).

    A border band that every map of the architecture shares (padding) counts as agreement over the whole frame;
    `margin` > 0 measures the interior only, so that shared band cannot make two maps look alike.
    """
    a, b = (np.asarray(v.detach().cpu() if isinstance(v, torch.Tensor) else v, np.float64) for v in (a, b))
    if a.ndim != 3 or a.shape != b.shape:
        raise ValueError(f"Expected two (N, H, W) stacks of maps of the same shape; got {a.shape} and {b.shape}.")
    if isinstance(margin, bool) or not isinstance(margin, int) or margin < 0 or 2 * margin >= min(a.shape[1:]):
        raise ValueError(f"margin must be an int >= 0 that leaves pixels of the {a.shape[1:]} maps; got {margin!r}.")
    inner = (slice(None), slice(margin, a.shape[1] - margin), slice(margin, a.shape[2] - margin))
    return np.array([rank_correlation(x, y) for x, y in zip(a[inner], b[inner])], np.float64)
