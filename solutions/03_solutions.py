"""Worked solutions for the exercises of notebook 03 (class-model visualization)."""

from __future__ import annotations

import numpy as np
import torch

from helpers.classvis import gaussian_blur


def objective(logits: torch.Tensor, x: torch.Tensor, target: int, l2: float) -> torch.Tensor:
    """Exercise 1: S_c(I) - lambda * ||I||_2^2 for each image of the batch."""
    return logits[:, target] - l2 * (x**2).flatten(1).sum(dim=1)


def ascent_step(x: torch.Tensor, grad_score: torch.Tensor, lr: float, l2: float) -> torch.Tensor:
    """Exercise 2: one SGD ascent step; the penalty's gradient is 2 * lambda * I. Returns a new tensor."""
    return x + lr * (grad_score - 2 * l2 * x)


def class_image(model: torch.nn.Module, target: int, steps: int, lr: float, l2: float, size: int) -> torch.Tensor:
    """Exercise 3: the paper's class model, Eq. (1): SGD ascent on S_c(I) - lambda ||I||^2 from the mean image."""
    device = next(model.parameters()).device  # `model` is the bare nn.Module (e.g. toy.model)
    x = torch.zeros(1, 3, size, size, device=device)  # zero in normalised space = the training-set mean image
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


def jitter_blur_class_image(
    model: torch.nn.Module,
    target: int,
    steps: int,
    lr: float,
    l2: float,
    size: int,
    lo: torch.Tensor,
    hi: torch.Tensor,
    jitter: int,
    sigma: float,
    blur_every: int,
) -> torch.Tensor:
    """Exercise 5 (beyond the paper): exercise 3's loop with jitter, Adam, blur and clipping.

    Before each forward pass the image is shifted by a random (dy, dx) in [-jitter, jitter] (the class evidence
    must work at every shift, which removes pixel-level noise); Adam ascends S_c - l2 ||I||^2; every `blur_every`
    steps a Gaussian blur of std `sigma` pixels smooths the image; after each step it is clipped to [lo, hi], the
    normalised black and white.
    """
    device = next(model.parameters()).device
    x = torch.zeros(1, 3, size, size, device=device, requires_grad=True)  # the mean image, as in exercise 3
    adam = torch.optim.Adam([x], lr=lr, maximize=True)
    for step in range(steps):
        dy, dx = torch.randint(-jitter, jitter + 1, (2,), device="cpu").tolist()  # two Python ints
        score = objective(model(torch.roll(x, shifts=(dy, dx), dims=(2, 3))), x, target, l2)
        (x.grad,) = torch.autograd.grad(score.sum(), x)  # the gradient at the unshifted image
        adam.step()
        with torch.no_grad():
            if (step + 1) % blur_every == 0:
                x.copy_(gaussian_blur(x, sigma))
            x.copy_(torch.maximum(torch.minimum(x, hi), lo))
    return x.detach()
