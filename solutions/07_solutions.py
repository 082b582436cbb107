"""Worked solutions for the exercises of notebook 07 (saliency in the loss, Ross et al. 2017)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def input_gradient(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Exercise 1: d(sum_k log p_k)/dx, (N,C,H,W), kept differentiable in the weights (create_graph=True)."""
    xg = x.detach().requires_grad_(True)
    log_p = F.log_softmax(model(xg), dim=1)
    return torch.autograd.grad(log_p.sum(), xg, create_graph=True)[0]


def rrr_penalty(model: nn.Module, x: torch.Tensor, annotation: torch.Tensor) -> torch.Tensor:
    """Exercise 2: mean over images of || A * d(sum_k log p_k)/dx ||^2, A (N,H,W) broadcast over the channels."""
    grad = input_gradient(model, x)
    a = annotation[:, None].to(grad.dtype)  # (N,1,H,W): every channel of an annotated pixel
    return (a * grad).pow(2).sum(dim=(1, 2, 3)).mean()
