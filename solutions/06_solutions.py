"""Worked solutions for notebook 06 (gradient, DeconvNet and guided backprop)."""

from __future__ import annotations

import torch

import helpers

RULES = ("gradient", "deconvnet", "guided")


def deconvnet_relu(grad_out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Exercise 1: DeconvNet's ReLU rule, a ReLU of the backward signal (the forward input x is not used)."""
    return grad_out.clamp(min=0)


def guided_relu(grad_out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Exercise 2: guided backprop, the gradient's mask (x > 0) and DeconvNet's (grad_out > 0) together."""
    return grad_out * ((x > 0) & (grad_out > 0))


def rules_max_difference(model: torch.nn.Module, x: torch.Tensor, target: int) -> float:
    """Exercise 3: the largest |a - b| between the signed signals of any two of the three rules."""
    signals = [helpers.backprop_saliency(model, x, target, rule=rule, reduce=None) for rule in RULES]
    return max(float((a - b).abs().max()) for i, a in enumerate(signals) for b in signals[i + 1 :])
