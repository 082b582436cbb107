"""Benchmark: GraphCut localization time per image, one CPU core, against baselines measured in the same run.

Budgets (issue 5): one 224 px image (saliency given) < 0.5 s on one core; the notebook's toy evaluation
(1000 images) < 2 minutes on 2 cores. Run: python benchmarks/bench_localization.py
"""

from __future__ import annotations

import time

import cv2
import numpy as np
import torch
from timing import median_time

import helpers
from helpers import localization as loc
from helpers import toyworld
from helpers.evaluation import boxes as box_eval


def main() -> None:
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    # A 224 px photo with a realistic saliency map (Lite0 gradient), computed once, untimed.
    lite0 = helpers.load_model("efficientnet_lite0", device="cpu")
    image = cv2.resize(helpers.load_image("coffee"), (224, 224), interpolation=cv2.INTER_AREA)
    x = lite0.normalize(torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255.0)
    t_sal = median_time(lambda: helpers.saliency_map(lite0, x, lite0.class_index("espresso")), repeats=3)
    sal = helpers.saliency_map(lite0, x, lite0.class_index("espresso"))[0].numpy()
    t_thr = median_time(lambda: loc.threshold_box(sal))
    print("one 224x224 image, 1 thread (saliency given)")
    print(f"  {'method':<44}{'ms':>8}{'x threshold box':>17}{'x Lite0 saliency':>18}")
    rows = [
        ("GraphCut, default (5 iterations)", {}),
        ("GraphCut, paper's single cut (iterations=1)", {"iterations": 1}),
        ("GraphCut, unseeded as probable background", {"init": "probable_background"}),
        ("GraphCut, hard seeds", {"hard": "both"}),
    ]
    print(f"  {'(b) box around saliency >= q95':<44}{1000 * t_thr:>8.1f}{1.0:>17.1f}{t_thr / t_sal:>18.2f}")
    for name, kwargs in rows:
        t = median_time(lambda: loc.localize(image, sal, **kwargs))
        flag = "" if t < 0.5 else "  OVER the 0.5 s budget"
        print(f"  {name:<44}{1000 * t:>8.1f}{t / t_thr:>17.0f}{t / t_sal:>18.2f}{flag}")
    print(f"  {'(reference) Lite0 saliency, one pass':<44}{1000 * t_sal:>8.1f}")

    # Toy evaluation: 1000 images, saliency in batches of 250, then GraphCut per image.
    cv2.setNumThreads(2)
    torch.set_num_threads(2)
    toy = helpers.load_model("toy", device="cpu")
    data = toyworld.generate(1000, seed=20_000)
    t0 = time.perf_counter()
    maps = np.concatenate(
        [
            helpers.saliency_map(
                toy,
                toy.normalize(torch.from_numpy(data.images[s : s + 250]).permute(0, 3, 1, 2).float() / 255.0),
                torch.from_numpy(data.labels[s : s + 250]),
            ).numpy()
            for s in range(0, 1000, 250)
        ]
    )
    t_toy_sal = time.perf_counter() - t0
    t0 = time.perf_counter()
    boxes = loc.localize_boxes(data.images, maps, on_error="full_image")
    t_toy_gc = time.perf_counter() - t0
    scores = box_eval.evaluate_boxes(boxes, data.boxes)
    total = t_toy_sal + t_toy_gc
    print("toy evaluation, 1000 images of 64x64, 2 threads")
    print(
        f"  saliency {t_toy_sal:.1f} s + GraphCut {t_toy_gc:.1f} s = {total:.1f} s "
        f"({total / 120:.2f} x the 2-minute budget); GraphCut / saliency time = {t_toy_gc / t_toy_sal:.1f}; "
        f"accuracy {100 * scores['accuracy']:.1f}%"
    )


if __name__ == "__main__":
    main()
