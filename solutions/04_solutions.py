"""Worked solutions for the exercises of notebook 04 (logits versus softmax)."""

from __future__ import annotations

from collections.abc import Callable

import torch


def score_jacobian(score_fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Exercise 1: the (K, D) Jacobian of the class scores at x, one backward pass per class (x is not changed)."""
    xg = x.detach().requires_grad_(True)
    scores = score_fn(xg)
    rows = [torch.autograd.grad(scores[k], xg, retain_graph=k < len(scores) - 1)[0] for k in range(len(scores))]
    return torch.stack(rows)


def log_softmax_grad(jacobian: torch.Tensor, probs: torch.Tensor, c: int) -> torch.Tensor:
    """Exercise 2: d log P_c/dI = dS_c/dI - sum_k P_k dS_k/dI (rows of the Jacobian are dS_k/dI)."""
    return jacobian[c] - probs @ jacobian


def softmax_grad(jacobian: torch.Tensor, probs: torch.Tensor, c: int) -> torch.Tensor:
    """Exercise 3: dP_c/dI = P_c * d log P_c/dI = P_c (1 - P_c) dS_c/dI - P_c sum_{k != c} P_k dS_k/dI."""
    return probs[c] * (jacobian[c] - probs @ jacobian)
