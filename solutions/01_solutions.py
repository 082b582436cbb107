"""Worked solutions for notebook 01 (linear-model intuition)."""

from __future__ import annotations

from collections.abc import Callable

import torch


def relu_gradient(w1: torch.Tensor, b1: torch.Tensor, v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Exercise 1: dS/dx for S(x) = v^T relu(W1 x + b1), by the chain rule.

    relu'(z) is 1 where z > 0, else 0, so only the switched-on units pass their weights back:
    dS/dx = W1^T (v * [W1 x + b1 > 0]). Near x the network is the linear model w^T x + b with this w.
    """
    switched_on = (w1 @ x + b1 > 0).to(w1.dtype)
    return w1.T @ (v * switched_on)


def taylor_error(
    score: Callable[[torch.Tensor], torch.Tensor],
    x0: torch.Tensor,
    grad: torch.Tensor,
    direction: torch.Tensor,
    eps: float,
) -> float:
    """Exercise 2: relative error of the first-order prediction S(x0 + eps d) ~ S(x0) + eps w^T d (Eq. 3)."""
    predicted_change = eps * (grad * direction).sum()
    actual_change = score(x0 + eps * direction) - score(x0)
    return float((actual_change - predicted_change).abs() / predicted_change.abs())
