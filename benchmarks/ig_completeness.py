"""Integrated gradients' completeness gap against the number of steps, on images notebook 06 does not score.

Prints |sum of attributions - (S_c(x) - S_c(x'))| / |S_c(x) - S_c(x')| for the toy CNN (40 images of another
seed) and for Lite0 (five photos, whole photo, shorter side 224, its top-1 class), at 8 to 128 steps. Notebook 06
fixes its steps from this table (Sundararajan et al. 2017 accept a gap within 5%). Run:
    python -m benchmarks.ig_completeness  (about 5 minutes on one CPU core)
"""

from __future__ import annotations

import numpy as np
import torch

import helpers
from helpers import attribution as A
from helpers import linear, toyworld
from helpers.geometry import resize_shorter_side

STEPS = (8, 16, 32, 64, 128)
PHOTOS = ("china", "flower", "grace_hopper", "motorcycle", "rocket")


def relative_gaps(classifier: helpers.Classifier, x: torch.Tensor, targets: list[int], steps: int) -> np.ndarray:
    """|completeness gap| / |S_c(x) - S_c(x')| per image, the baseline x' being the all-zero model input."""
    _, delta = A.integrated_gradients(classifier, x, targets, steps=steps, return_delta=True)
    idx = torch.tensor(targets, device=x.device).view(-1, 1)
    with torch.no_grad():
        change = classifier.model(x).gather(1, idx) - classifier.model(torch.zeros_like(x)).gather(1, idx)
    return (delta.abs() / change[:, 0].abs()).cpu().numpy()


def main() -> None:
    """Print the toy CNN's and Lite0's gaps for each number of steps."""
    toy, lite0 = helpers.load_model("toy"), helpers.load_model("efficientnet_lite0")
    tune = toyworld.generate(40, seed=toyworld.HELDOUT_SEED_OFFSET + 7)
    xt = linear.toy_inputs(toy, tune.images)
    for steps in STEPS:
        g = relative_gaps(toy, xt, tune.labels.tolist(), steps)
        print(f"toy CNN, {steps:>3} steps: median gap {np.median(g):.1%}, largest {g.max():.1%} (n = {len(g)})")
    for name in PHOTOS:
        image = torch.from_numpy(helpers.load_image(name)).permute(2, 0, 1)[None].float().div(255)
        x = lite0.normalize(resize_shorter_side(image, lite0.input_size).to(lite0.device))
        with torch.no_grad():
            target = int(lite0.model(x).argmax())
        gaps = [relative_gaps(lite0, x, [target], steps)[0] for steps in STEPS]
        print(f"Lite0, {name:<13}" + "".join(f"{steps:>5} steps: {g:6.1%}" for steps, g in zip(STEPS, gaps)))


if __name__ == "__main__":
    main()
