"""Worked solutions for notebook 06 (gradient, DeconvNet and guided backprop)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

import helpers

RULES = ("gradient", "deconvnet", "guided")


def conv1d_input_gradient(grad_out: torch.Tensor, weight: torch.Tensor, stride: int, length: int) -> torch.Tensor:
    """Exercise 1: dL/dx of y = conv1d(x, weight, stride), without autograd: the transposed convolution.

    R_n(q) = sum over p, t with stride*p + t = q of R_{n+1}(p) K(t): put each value of grad_out at position
    stride * p (stride - 1 zeros in between), pad K - 1 zeros on both sides and correlate with the flipped
    filters, channel axes swapped (C_out in, C_in out). Input values that no window reaches get 0.
    """
    n, c_out, l_out = grad_out.shape
    taps = weight.shape[-1]
    upsampled = grad_out.new_zeros(n, c_out, (l_out - 1) * stride + 1)
    upsampled[..., ::stride] = grad_out
    grad = F.conv1d(F.pad(upsampled, (taps - 1, taps - 1)), weight.flip(-1).transpose(0, 1))
    return F.pad(grad, (0, length - grad.shape[-1]))  # the tail that no window covers


def maxpool2d_backward(grad_out: torch.Tensor, x: torch.Tensor, k: int) -> torch.Tensor:
    """Exercise 2: dL/dx of y = max_pool2d(x, k): each window's signal goes to its maximum (the switch), 0 elsewhere."""
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // k, k, w // k, k).permute(0, 1, 2, 4, 3, 5).reshape(n, c, h // k, w // k, k * k)
    switch = F.one_hot(windows.argmax(dim=-1), k * k).to(grad_out.dtype)  # 1 at each window's arg max
    routed = switch * grad_out[..., None]  # (n, c, h/k, w/k, k*k)
    return routed.reshape(n, c, h // k, w // k, k, k).permute(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)


def fooling_loop(
    model: torch.nn.Module, x: torch.Tensor, target: int, epsilon: float, alpha: float, steps: int
) -> torch.Tensor:
    """Exercise 3: `steps` steps x <- clip(x + alpha * sign(dS_target/dx)), within epsilon of the original x and in [0, 1]."""
    adv = x.detach().clone()
    for _ in range(steps):
        adv.requires_grad_(True)
        (grad,) = torch.autograd.grad(model(adv)[:, target].sum(), adv)
        adv = adv.detach() + alpha * grad.sign()
        adv = torch.minimum(torch.maximum(adv, x - epsilon), x + epsilon).clamp(0.0, 1.0)
    return adv


def deconvnet_relu(grad_out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Extra: DeconvNet's ReLU rule, a ReLU of the backward signal (the forward input x is not used)."""
    return grad_out.clamp(min=0)


def guided_relu(grad_out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Exercise 4 (extra): guided backprop, the gradient's mask (x > 0) and DeconvNet's (grad_out > 0) together."""
    return grad_out * ((x > 0) & (grad_out > 0))


def rules_max_difference(model: torch.nn.Module, x: torch.Tensor, target: int) -> float:
    """Extra: the largest |a - b| between the signed signals of any two of the three rules."""
    signals = [helpers.backprop_saliency(model, x, target, rule=rule, reduce=None) for rule in RULES]
    return max(float((a - b).abs().max()) for i, a in enumerate(signals) for b in signals[i + 1 :])
