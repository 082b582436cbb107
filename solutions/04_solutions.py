"""Worked solutions for the exercises of notebook 04 (logits versus softmax)."""

from __future__ import annotations

import torch


def log_softmax_grad(jacobian: torch.Tensor, probs: torch.Tensor, c: int) -> torch.Tensor:
    """Exercise 1: d log P_c/dI = dS_c/dI - sum_k P_k dS_k/dI (rows of the Jacobian are dS_k/dI)."""
    return jacobian[c] - probs @ jacobian


def softmax_grad(jacobian: torch.Tensor, probs: torch.Tensor, c: int) -> torch.Tensor:
    """Exercise 2: dP_c/dI = P_c * d log P_c/dI."""
    return probs[c] * (jacobian[c] - probs @ jacobian)
