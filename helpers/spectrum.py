"""Where the colour noise of the paper's class images comes from: high-frequency energy, measured.

Beyond the paper. The plain method (SGD on S_c - lambda ||I||^2) follows the input gradient dS_c/dI, so
an image made of high frequencies means a gradient made of high frequencies. These tools measure that
share (`high_frequency_share`), follow it backwards through a network layer by layer
(`gradient_frequency_profile`), and switch off two suspects in EfficientNet-Lite without retraining:
ReLU6's upper clip (`relu6_as_relu`) and batch norm as separate layers (`fold_batchnorm`).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .models import Classifier

HIGH_FREQUENCY_CUTOFF = 0.25  # cycles per pixel: half the Nyquist frequency (0.5)


def high_frequency_share(x: torch.Tensor, cutoff: float = HIGH_FREQUENCY_CUTOFF) -> torch.Tensor:
    """Per image of (N,C,H,W): the share of spectral energy (mean removed per channel) above `cutoff` cycles/pixel.

    White noise gives about 0.80 at the default cutoff (the area of the spectrum outside radius 0.25);
    natural photos a few per cent.
    """
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        raise ValueError(
            f"Expected a (N,C,H,W) tensor; got {tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}."
        )
    if not 0 < cutoff < 0.5 * np.sqrt(2):
        raise ValueError(f"cutoff must be in (0, 0.707) cycles per pixel; got {cutoff}.")
    x = x.detach().float()
    x = x - x.mean(dim=(2, 3), keepdim=True)
    power = torch.fft.fft2(x).abs().pow(2).sum(dim=1)  # (N,H,W), summed over channels
    fy = torch.fft.fftfreq(x.shape[-2], device=x.device).view(-1, 1)
    fx = torch.fft.fftfreq(x.shape[-1], device=x.device).view(1, -1)
    high = (fy**2 + fx**2).sqrt() > cutoff
    total = power.flatten(1).sum(dim=1).clamp_min(1e-30)
    return (power * high).flatten(1).sum(dim=1) / total


def conv_kind(conv: nn.Conv2d) -> str:
    """'depthwise' (one filter per channel), 'pointwise' (1x1) or 'full' (an ordinary kxk convolution)."""
    if conv.groups > 1 and conv.groups == conv.in_channels:
        return "depthwise"
    return "pointwise" if tuple(conv.kernel_size) == (1, 1) else "full"


@dataclass(frozen=True)
class LayerSpectrum:
    """The gradient of S_c at the input of one convolution: its high-frequency share, and what the layer is."""

    depth: int  # 0 = the first convolution (next to the image)
    name: str
    kind: str
    stride: int
    resolution: int
    high_frequency_share: float


def gradient_frequency_profile(
    classifier: Classifier, x: torch.Tensor, targets: Sequence[int | str]
) -> list[LayerSpectrum]:
    """For every Conv2d, the high-frequency share of dS_c/d(its input), averaged over `targets` (one image each).

    Read backwards (from the deepest layer to the image) it shows which layers add high frequencies to
    the gradient on its way to the pixels. x (1,3,H,W) is not modified; the weights get no gradient.
    """
    convs = [(name, m) for name, m in classifier.model.named_modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(f"{classifier.name} has no Conv2d layers to profile.")
    ids = [classifier.class_index(t) for t in targets]
    if not ids:
        raise ValueError("targets must hold at least one class.")
    captured: dict[str, torch.Tensor] = {}

    def keep_input(name: str):
        def hook(_module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
            if inputs[0].requires_grad:
                inputs[0].retain_grad()
                captured[name] = inputs[0]

        return hook

    handles = [m.register_forward_pre_hook(keep_input(name)) for name, m in convs]
    try:
        batch = x.detach().to(classifier.device).expand(len(ids), -1, -1, -1).clone().requires_grad_(True)
        with torch.enable_grad():  # works under the caller's torch.no_grad() too
            logits = classifier.model(batch)
            logits.gather(1, torch.tensor(ids, device=batch.device).view(-1, 1)).sum().backward()
        shares = {name: float(high_frequency_share(t.grad).mean()) for name, t in captured.items()}
    finally:
        for h in handles:
            h.remove()
        classifier.model.zero_grad(set_to_none=True)
    return [
        LayerSpectrum(i, name, conv_kind(m), int(m.stride[0]), int(captured[name].shape[-1]), shares[name])
        for i, (name, m) in enumerate(convs)
        if name in shares
    ]


@contextmanager
def relu6_as_relu() -> Iterator[None]:
    """Inside the block, F.relu6 is F.relu: EfficientNet-Lite without its upper clip at 6 (same weights)."""
    original = F.relu6
    F.relu6 = lambda x, inplace=False: F.relu(x, inplace=inplace)  # type: ignore[assignment]
    try:
        yield
    finally:
        F.relu6 = original  # type: ignore[assignment]


def fold_batchnorm(classifier: Classifier) -> Classifier:
    """A copy of an EfficientNet-Lite classifier with every batch norm folded into the convolution before it.

    In eval mode a batch norm is a per-channel affine map, so the folded network is the same function:
    its logits and input gradients agree with the original up to float rounding.
    """
    model = copy.deepcopy(classifier.model)
    pairs = _conv_bn_pairs(model)
    if not pairs:
        raise ValueError(f"{classifier.name}: no (convolution, batch norm) pairs found to fold.")
    for owner, conv_name, bn_name in pairs:
        conv, bn = getattr(owner, conv_name), getattr(owner, bn_name)
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        bias = bn.bias - bn.running_mean * scale
        if conv.bias is not None:
            bias = bias + conv.bias * scale
        conv.weight = nn.Parameter(conv.weight * scale.view(-1, 1, 1, 1), requires_grad=False)
        conv.bias = nn.Parameter(bias.detach(), requires_grad=False)
        setattr(owner, bn_name, nn.Identity())
    return dataclasses.replace(
        classifier, name=classifier.name + "_bn_folded", model=model.eval().requires_grad_(False)
    )


def _conv_bn_pairs(model: nn.Module) -> list[tuple[nn.Module, str, str]]:
    """(module, conv attribute, bn attribute) for EfficientNet-Lite's naming: stem/_bn0, expand/_bn0, ..."""
    pairs = []
    for owner in model.modules():
        for conv_name, bn_name in (
            ("_conv_stem", "_bn0"),
            ("_expand_conv", "_bn0"),
            ("_depthwise_conv", "_bn1"),
            ("_project_conv", "_bn2"),
            ("_conv_head", "_bn1"),
        ):
            if isinstance(getattr(owner, conv_name, None), nn.Conv2d) and isinstance(
                getattr(owner, bn_name, None), nn.BatchNorm2d
            ):
                pairs.append((owner, conv_name, bn_name))
    return pairs


# ----------------------------------------------------------------------------------------------
# Periodic patterns in a saliency map (notebook 06: Lite0's DeconvNet grid at its total stride)


def _map_power(saliency_map: np.ndarray | torch.Tensor, period: int) -> np.ndarray:
    """The 2-D power spectrum of one (H,W) map, mean removed; both sides must be multiples of `period`."""
    m = np.asarray(saliency_map.detach().cpu() if isinstance(saliency_map, torch.Tensor) else saliency_map, np.float64)
    if m.ndim != 2 or not np.all(np.isfinite(m)):
        raise ValueError(f"Expected one finite (H, W) map; got shape {m.shape}.")
    if isinstance(period, bool) or int(period) != period or period < 1 or any(n % period for n in m.shape):
        raise ValueError(f"period must be a whole number of pixels that divides both sides {m.shape}; got {period!r}.")
    return np.abs(np.fft.fft2(m - m.mean())) ** 2


def _on_grid(shape: tuple[int, ...], period: int) -> np.ndarray:
    """Bool (H,W): the frequencies k/n (both axes) at which a pattern repeating every `period` px can have power."""
    rows, cols = (np.arange(n) % (n // period) == 0 for n in shape)
    return rows[:, None] & cols[None, :]


def periodic_power_share(saliency_map: np.ndarray | torch.Tensor, period: int) -> float:
    """Share of a map's power (mean removed) at frequencies that repeat every `period` px on both axes.

    Those frequencies include every shorter period that divides `period` (a 2-px checkerboard scores 1 at
    period 32): `period_specific_shares` separates them. A map with no periodic structure scores about
    (period / side)^2, the share of such frequencies.
    """
    power = _map_power(saliency_map, period)
    total = power.sum()
    if total == 0:
        raise ValueError("The map is constant: it has no power to share out.")
    return float(power[_on_grid(power.shape, period)].sum() / total)


def period_specific_shares(
    saliency_map: np.ndarray | torch.Tensor, periods: Sequence[int] = (32, 16, 8, 4, 2)
) -> dict[int, tuple[float, float]]:
    """Per even period p: (share of the map's power, share of all frequencies) that repeat every p px but not p/2.

    These sets do not overlap, so the shares add up, and a share well above its chance level (the second number,
    what a map without that period would show) is structure specific to that period.
    """
    out = {}
    for p in periods:
        if isinstance(p, bool) or int(p) != p or p < 2 or p % 2:
            raise ValueError(f"periods must be even whole numbers of pixels >= 2; got {p!r}.")
        power = _map_power(saliency_map, p)
        total = power.sum()
        if total == 0:
            raise ValueError("The map is constant: it has no power to share out.")
        own = _on_grid(power.shape, p) & ~_on_grid(power.shape, p // 2)
        out[int(p)] = (float(power[own].sum() / total), float(own.mean()))
    return out
