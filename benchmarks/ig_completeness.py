"""Integrated gradients' completeness gap against the number of steps, on images notebook 06 does not score.

Prints, per image and number of steps, the absolute gap |sum of attributions - (S_c(x) - S_c(x'))| and the
relative gap (divided by |S_c(x) - S_c(x')|), for the toy CNN (40 images of another seed: median and largest) and
for Lite0 (five photos, whole photo, shorter side 224, its top-1 class), at 8 to 512 steps, with the seconds one
photo takes at each count on this machine. Notebook 06 fixes its steps from this table (Sundararajan et al. 2017
accept a gap within 5%). Run:
    python -m benchmarks.ig_completeness              (about 30 minutes on one CPU core; 512 steps: 3.5 min a photo)
    python -m benchmarks.ig_completeness --steps 8 64 (fewer counts)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import helpers
from helpers import attribution as A
from helpers import linear, toyworld
from helpers.geometry import resize_shorter_side

STEPS = (8, 16, 32, 64, 128, 256, 512)
PHOTOS = ("china", "flower", "grace_hopper", "motorcycle", "rocket")
TOLERANCE = 0.05  # Sundararajan et al.: the attributions should add up to within 5% of S_c(x) - S_c(x')


def completeness_gaps(
    classifier: helpers.Classifier, x: torch.Tensor, targets: list[int], steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """(absolute gap, relative gap) per image, the baseline x' being the all-zero model input."""
    _, delta = A.integrated_gradients(classifier, x, targets, steps=steps, return_delta=True)
    idx = torch.tensor(targets, device=x.device).view(-1, 1)
    with torch.no_grad():
        change = classifier.model(x).gather(1, idx) - classifier.model(torch.zeros_like(x)).gather(1, idx)
    absolute = delta.abs().cpu().numpy()
    return absolute, absolute / change[:, 0].abs().cpu().numpy()


def relative_gaps(classifier: helpers.Classifier, x: torch.Tensor, targets: list[int], steps: int) -> np.ndarray:
    """|completeness gap| / |S_c(x) - S_c(x')| per image."""
    return completeness_gaps(classifier, x, targets, steps)[1]


def toy_table(steps_list: tuple[int, ...]) -> None:
    """The toy CNN's median and largest gaps, absolute and relative, for each number of steps."""
    toy = helpers.load_model("toy")
    tune = toyworld.generate(40, seed=toyworld.HELDOUT_SEED_OFFSET + 7)
    xt = linear.toy_inputs(toy, tune.images)
    for steps in steps_list:
        absolute, rel = completeness_gaps(toy, xt, tune.labels.tolist(), steps)
        print(
            f"toy CNN, {steps:>3} steps: relative gap median {np.median(rel):.1%}, largest {rel.max():.1%}; "
            f"absolute median {np.median(absolute):.3f}, largest {absolute.max():.3f} (n = {len(rel)} images)"
        )


def lite0_table(steps_list: tuple[int, ...]) -> None:
    """Lite0's absolute and relative gap and seconds per photo for each number of steps, and a summary per count."""
    lite0 = helpers.load_model("efficientnet_lite0")
    rel_by_steps: dict[int, list[float]] = {s: [] for s in steps_list}
    seconds: dict[int, list[float]] = {s: [] for s in steps_list}
    for name in PHOTOS:
        image = torch.from_numpy(helpers.load_image(name)).permute(2, 0, 1)[None].float().div(255)
        x = lite0.normalize(resize_shorter_side(image, lite0.input_size).to(lite0.device))
        with torch.no_grad():
            target = int(lite0.model(x).argmax())
        for steps in steps_list:
            start = time.perf_counter()
            absolute, rel = completeness_gaps(lite0, x, [target], steps)
            seconds[steps].append(time.perf_counter() - start)
            rel_by_steps[steps].append(float(rel[0]))
            print(f"Lite0, {name:<13}{steps:>4} steps: absolute gap {absolute[0]:7.3f}, relative {rel[0]:7.1%}")
    print(f"Lite0 summary (n = {len(PHOTOS)} photos, {torch.get_num_threads()} thread(s), {lite0.device}):")
    for steps in steps_list:
        r = np.array(rel_by_steps[steps])
        print(
            f"{steps:>4} steps: largest relative gap {r.max():6.1%}, median {np.median(r):6.1%}, "
            f"{int((r < TOLERANCE).sum())} of {len(r)} within {TOLERANCE:.0%}; {np.mean(seconds[steps]):.1f} s a photo"
        )


def main() -> None:
    """Print the toy CNN's and Lite0's gaps for each number of steps."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, nargs="+", default=list(STEPS), help="numbers of steps to try")
    args = p.parse_args()
    steps_list = tuple(args.steps)
    toy_table(steps_list)
    lite0_table(steps_list)


if __name__ == "__main__":
    main()
