"""Benchmark helpers.saliency: overhead against raw autograd and Captum, 10-crop batching, 10-crop peak memory.

Run: python benchmarks/bench_saliency.py [--repeats 7] [--batch 8]
Ratios compare medians of interleaved runs in this same process (robust to a shared machine).
Peak memory: on CUDA, torch.cuda.max_memory_allocated around the pass; on CPU, the peak of the
process's resident set (sampled from /proc/self/statm every millisecond by a thread) minus its
value just before the pass. Each is measured in a fresh subprocess after loading the model and the
image, on the first pass, so the allocator's growth for activations and gradients is counted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import torch

import helpers
from helpers import saliency as S
from helpers.models import Classifier, freeze, imagenet_categories


def median_times(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall time of each function, runs interleaved so machine load hits all alike."""
    for fn in fns.values():
        fn()  # warm-up
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            t = time.perf_counter()
            fn()
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def raw_autograd(model: torch.nn.Module, x: torch.Tensor, target: int) -> torch.Tensor:
    """The baseline: forward + torch.autograd.grad, nothing else."""
    xg = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(model(xg)[:, target].sum(), xg)
    return g


def vgg16_random(device: torch.device) -> Classifier:
    """torchvision VGG16 with random weights (timing and memory only)."""
    import torchvision

    return Classifier(
        "vgg16-random",
        freeze(torchvision.models.vgg16(weights=None), device),
        device,
        imagenet_categories(),
        torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1),
        torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1),
        224,
    )


def _rss_bytes() -> int:
    """Current resident set size of this process (Linux /proc)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def sampled_rss_growth(fn: Callable[[], object]) -> float:
    """Peak RSS during fn() minus RSS just before it, in bytes, from a 1 ms sampling thread."""
    base, peak, done = _rss_bytes(), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_bytes())
            time.sleep(0.001)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    fn()
    done.set()
    thread.join()
    return float(max(peak[0], _rss_bytes()) - base)


def peak_memory_child(name: str) -> None:
    """(subprocess) Print the peak memory, in MiB, of one 10-crop saliency pass at 224 px."""
    device = helpers.default_device()
    clf = helpers.load_model(device=device) if name == "efficientnet_lite0" else vgg16_random(device)
    image = helpers.load_image("chelsea")
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        S.ten_crop_saliency(clf, image, 281)
        torch.cuda.synchronize()
        peak, method = (torch.cuda.max_memory_allocated() - base) / 2**20, "cuda max_memory_allocated"
    else:
        peak, method = (
            sampled_rss_growth(lambda: S.ten_crop_saliency(clf, image, 281)) / 2**20,
            "peak RSS growth, sampled every 1 ms",
        )
    print(json.dumps({"model": name, "peak_mib": round(peak, 1), "method": method, "device": str(device)}))


def peak_memory(name: str) -> dict:
    """Run `peak_memory_child` in a fresh interpreter so earlier allocations don't hide the peak."""
    out = subprocess.run([sys.executable, __file__, "--memory-child", name], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        peak_memory_child(args.memory_child)
        return
    from captum.attr import Saliency

    device = helpers.default_device()
    lite0 = helpers.load_model(device=device)
    print(
        f"device: {device}, torch threads: {torch.get_num_threads()}, batch {args.batch} x 3 x 224 x 224, median of {args.repeats}"
    )
    image = helpers.load_image("chelsea")
    x = lite0.preprocess(image).repeat(args.batch, 1, 1, 1)
    captum = Saliency(lite0.model)
    t = median_times(
        {
            "raw autograd.grad": lambda: raw_autograd(lite0.model, x, 281),
            "saliency_map": lambda: S.saliency_map(lite0, x, 281),
            "captum Saliency + max": lambda: captum.attribute(
                x.detach().clone().requires_grad_(True), target=281, abs=True
            ).amax(1),
        },
        args.repeats,
    )
    for k, v in t.items():
        print(f"  {k:<24} {v * 1000:8.1f} ms")
    print(f"saliency_map / raw autograd.grad   = {t['saliency_map'] / t['raw autograd.grad']:.3f}  (target <= 1.10)")
    print(f"saliency_map / captum Saliency+max = {t['saliency_map'] / t['captum Saliency + max']:.3f}  (target <= 1.0)")

    crops = median_times(
        {
            "10 crops, one batch": lambda: S.ten_crop_saliency(lite0, image, 281),
            "10 crops, one by one": lambda: S.ten_crop_saliency(lite0, image, 281, batch_size=1),
        },
        max(3, args.repeats // 2),
    )
    for k, v in crops.items():
        print(f"  {k:<24} {v * 1000:8.1f} ms")
    print(
        f"10-crop speed-up of one batch over 10 passes = {crops['10 crops, one by one'] / crops['10 crops, one batch']:.2f}x"
    )

    for name in ("efficientnet_lite0", "vgg16"):
        m = peak_memory(name)
        print(
            f"peak memory of a 10-crop pass at 224 px, {name}: {m['peak_mib']:.0f} MiB ({m['method']}, {m['device']})"
        )


if __name__ == "__main__":
    main()
