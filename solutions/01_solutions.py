"""Worked solutions for notebook 01 (linear-model intuition)."""

from __future__ import annotations

import torch


def linear_saliency(weight: torch.Tensor, c: int) -> torch.Tensor:
    """Exercise 1: a linear model's gradient is w_c, so its saliency is max over channels of |w_c|."""
    return weight[c].abs().amax(dim=0)


def first_order(f0: torch.Tensor, grad: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """Exercise 2: the first-order Taylor expansion F(I0 + d) ~ F(I0) + w^T d."""
    return f0 + (grad * delta).sum()
