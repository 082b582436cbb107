"""Benchmark: the CPU speed-ups behind the series' run time, each against its own baseline in the same run.

1. EfficientNet-Lite0 forward+backward (the input gradient, as `saliency_map` computes it) with the network's
   convolutions fed channels-last (`helpers.runtime.cpu_channels_last`) and symmetric "SAME" padding done
   inside conv2d, against the plain NCHW layout with an explicit padded copy (the code before); both must
   give the same bits.
2. `localize_boxes` (GrabCut) on 400 toy images: one process per core against one process; same boxes.

Run: python benchmarks/bench_cpu_layout.py   (1 torch thread; the machine should be otherwise quiet)
"""

from __future__ import annotations

import math
import os
from contextlib import contextmanager
from unittest import mock

import torch
import torch.nn.functional as F
from timing import median_time

import helpers
from helpers import efficientnet_lite, toyworld
from helpers import localization as loc
from helpers.runtime import available_cores, default_workers
from helpers.saliency import saliency_map


def _old_same_conv(self, x: torch.Tensor) -> torch.Tensor:
    """SameConv2d.forward as it was: always an explicit padded copy."""
    pad = []
    for size, k, s in zip(reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride)):
        total = max((math.ceil(size / s) - 1) * s + k - size, 0)
        pad += [total // 2, total - total // 2]
    return F.conv2d(F.pad(x, pad), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


@contextmanager
def before() -> None:
    """The code before the speed-ups: NCHW input, explicit padding."""
    with (
        mock.patch.object(efficientnet_lite, "cpu_channels_last", lambda x: x),
        mock.patch.object(efficientnet_lite.SameConv2d, "forward", _old_same_conv),
    ):
        yield


def lite0_rows() -> None:
    lite0 = helpers.load_model("efficientnet_lite0", device="cpu")
    torch.manual_seed(0)
    for shape in ((10, 3, 224, 224), (5, 3, 160, 160), (1, 3, 224, 298)):
        x = torch.randn(shape)
        with before():
            old = median_time(lambda: saliency_map(lite0, x, 1), repeats=3)
            old_map = saliency_map(lite0, x, 1)
        new = median_time(lambda: saliency_map(lite0, x, 1), repeats=3)
        same = torch.equal(old_map, saliency_map(lite0, x, 1))
        print(
            f"Lite0 saliency_map {tuple(shape)}: before {old:.3f} s, now {new:.3f} s, ratio {new / old:.2f}, "
            f"bit-identical: {same}"
        )


def grabcut_row() -> None:
    toy = helpers.load_model("toy", device="cpu")
    data = toyworld.generate(400, seed=20_000)
    x = toy.normalize(torch.from_numpy(data.images).permute(0, 3, 1, 2).float().div(255))
    sal = saliency_map(toy, x, torch.from_numpy(data.labels)).numpy()
    workers = default_workers(len(data))
    one = median_time(lambda: loc.localize_boxes(data.images, sal, on_error="full_image", workers=1), repeats=3)
    many = median_time(lambda: loc.localize_boxes(data.images, sal, on_error="full_image"), repeats=3)
    same = (
        loc.localize_boxes(data.images, sal, on_error="full_image", workers=1)
        == loc.localize_boxes(data.images, sal, on_error="full_image")
    ).all()
    print(
        f"localize_boxes, 400 toy images: 1 process {one:.2f} s, {workers} processes ({available_cores()} cores) "
        f"{many:.2f} s, ratio {many / one:.2f}, same boxes: {bool(same)}"
    )


def main() -> None:
    torch.set_num_threads(1)
    print(f"{os.cpu_count()} CPUs, 1 torch thread, torch {torch.__version__}")
    lite0_rows()
    grabcut_row()


if __name__ == "__main__":
    main()
