"""Benchmark helpers.attribution against the paper's saliency map, measured in the same run.

Run: python benchmarks/bench_attribution.py [--repeats 7] [--batch 8] [--toy-batch 256]
Prints, for EfficientNet-Lite0 (a batch of 224 px images) and the toy CNN (a batch of 64 px images):
`backprop_saliency` time / `saliency_map` time for each ReLU rule (each is one forward and one backward,
so the ratio should be ~1), and integrated gradients with 32 steps / one saliency map (32 path points,
batched with the default batch size: 8 per pass at 224 px, all 32 in one pass at 64 px; so ~32x). Medians of interleaved runs, so load on a shared machine hits all alike.

Two clocks: wall time, and on a CPU the process's CPU time (`time.process_time`), which counts the work
done rather than the time other jobs on a shared machine take away; the targets are checked on CPU time
on a CPU and on wall time on a GPU (synchronised).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

import helpers
from helpers import attribution as A
from helpers import linear, toyworld
from helpers import saliency as S

RULE_TARGET = 1.05
IG_TARGET = 35.0


def median_times(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) time of each function; runs interleaved so machine load hits all alike."""
    for fn in fns.values():
        fn()  # warm-up
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            times[k].append((time.perf_counter() - wall, time.process_time() - cpu))
    return {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in times.items()}


def ratio(a: tuple[float, float], b: tuple[float, float], on_cpu: bool) -> tuple[float, float, float]:
    """(wall ratio, CPU ratio, the one the target is checked on)."""
    wall, cpu = a[0] / b[0], a[1] / b[1]
    return wall, cpu, cpu if on_cpu else wall


def report(
    title: str, classifier: helpers.Classifier, x: torch.Tensor, target: int, repeats: int, ig_repeats: int
) -> bool:
    """Time the three rules against saliency_map (and IG against one map); print ratios; True if within target."""
    fns: dict[str, Callable[[], object]] = {"saliency_map": lambda: S.saliency_map(classifier, x, target)}
    for rule in A.RULES:
        fns[f"backprop_saliency({rule})"] = lambda rule=rule: A.backprop_saliency(classifier, x, target, rule=rule)
    on_cpu = x.device.type == "cpu"
    t = median_times(fns, repeats)
    base = t["saliency_map"]
    print(f"\n{title}: batch {tuple(x.shape)}, median of {repeats} (wall ms / CPU ms)")
    ok = True
    for k, v in t.items():
        wall, cpu, checked = ratio(v, base, on_cpu)
        flag = "" if k == "saliency_map" else f"  ratio wall {wall:.3f}, CPU {cpu:.3f} (target <= {RULE_TARGET})"
        ok &= k == "saliency_map" or checked <= RULE_TARGET
        print(f"  {k:<30} {v[0] * 1000:9.1f} / {v[1] * 1000:9.1f}{flag}")
    one = x[:1]
    tig = median_times(
        {
            "saliency_map, 1 image": lambda: S.saliency_map(classifier, one, target),
            "integrated_gradients, 32 steps": lambda: A.integrated_gradients(classifier, one, target, steps=32),
        },
        ig_repeats,
    )
    wall, cpu, checked = ratio(tig["integrated_gradients, 32 steps"], tig["saliency_map, 1 image"], on_cpu)
    ok &= checked <= IG_TARGET
    for k, v in tig.items():
        print(f"  {k:<30} {v[0] * 1000:9.1f} / {v[1] * 1000:9.1f}")
    print(
        f"  integrated gradients (32 steps, default batches) / one saliency map: wall {wall:.1f}x, CPU {cpu:.1f}x (target <= {IG_TARGET:.0f}x)"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch", type=int, default=8, help="Lite0 batch size")
    parser.add_argument("--toy-batch", type=int, default=256)
    args = parser.parse_args()
    device = helpers.default_device()
    print(f"device: {device}, torch {torch.__version__}, threads: {torch.get_num_threads()}")
    ok = True
    lite0 = helpers.load_model(device=device)
    x = lite0.preprocess(helpers.load_image("chelsea")).repeat(args.batch, 1, 1, 1)
    ok &= report("EfficientNet-Lite0, 224 px", lite0, x, 281, args.repeats, max(3, args.repeats // 2))
    toy = helpers.load_model("toy", device=device)
    data = toyworld.generate(args.toy_batch, seed=toyworld.HELDOUT_SEED_OFFSET + 7)
    ok &= report("toy CNN, 64 px", toy, linear.toy_inputs(toy, data.images), 0, args.repeats, args.repeats)
    print("\nall ratios within target" if ok else "\nSOME RATIO ABOVE TARGET (see above)")


if __name__ == "__main__":
    main()
