"""Worked solutions for the exercises of notebook 03 (class-model visualization)."""

from __future__ import annotations

import numpy as np
import torch


def objective(logits: torch.Tensor, x: torch.Tensor, target: int, l2: float) -> torch.Tensor:
    """Exercise 1: S_c(I) - lambda * ||I||_2^2 for each image of the batch."""
    return logits[:, target] - l2 * (x**2).flatten(1).sum(dim=1)


def ascent_step(x: torch.Tensor, grad_score: torch.Tensor, lr: float, l2: float) -> torch.Tensor:
    """Exercise 2: one SGD ascent step; the penalty's gradient is 2 * lambda * I. Returns a new tensor."""
    return x + lr * (grad_score - 2 * l2 * x)


def class_image(model: torch.nn.Module, target: int, steps: int, lr: float, l2: float, size: int) -> torch.Tensor:
    """Exercise 3: the paper's class model, Eq. (1): SGD ascent on S_c(I) - lambda ||I||^2 from the mean image."""
    device = next(model.parameters()).device            # `model` is the bare nn.Module (e.g. toy.model)
    x = torch.zeros(1, 3, size, size, device=device)   # zero in normalised space = the training-set mean image
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        logits = model(x)
        score = objective(logits, x, target, 0.0)  # S_c alone; the penalty's gradient is added in ascent_step
        (grad_score,) = torch.autograd.grad(score.sum(), x)
        x = ascent_step(x.detach(), grad_score, lr, l2)
    return x


def starting_image(classifier) -> np.ndarray:
    """Exercise 4: the zero input, shown in pixel space, is the training-set mean image."""
    s = classifier.input_size
    return classifier.deprocess(torch.zeros(1, 3, s, s, device=classifier.device))
