"""Benchmark: one photo from pixels to box (`localize_photo`) on one CPU core, and the photo evaluation.

Budget (issue 9): one 224 px photo, saliency + localization, < 2 s on one core. The baseline measured in
the same run is the previous default pipeline: one-pass gradient of the whole image squashed to 224 x 224
(what the ILSVRC command did) and GrabCut at the image's full size with the seeds-only colour models.
With --evaluate it also prints `evaluate_photos` (every localizer on every annotated photo; minutes)
and the toy-world accuracy of the paper's pipeline and of the default.

Run: python benchmarks/bench_photo_localization.py [--evaluate]
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from timing import median_time

import helpers
from helpers import localization as loc
from helpers import photos, toyworld
from helpers.evaluation import boxes as box_eval
from helpers.evaluation import photo_localization as photo_eval
from helpers.geometry import resize_map


def previous_pipeline(classifier: helpers.Classifier, image: np.ndarray, target: int) -> loc.Localization:
    """The old photo path: squash to S x S, one gradient pass, GrabCut at full size with seed-fitted models."""
    s = classifier.input_size
    x = torch.from_numpy(image.copy()).permute(2, 0, 1)[None].float() / 255.0
    x = classifier.normalize(F.interpolate(x, size=(s, s), mode="bilinear", align_corners=False, antialias=True))
    sal = resize_map(helpers.saliency_map(classifier, x, target)[0].numpy(), *image.shape[:2])  # un-squash
    return loc.localize(image, sal, init="seeds", smooth=0.0, max_side=None)


def timing() -> None:
    """Time per 224 px photo, one thread, against the previous pipeline measured in the same run."""
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    lite0 = helpers.load_model("efficientnet_lite0", device="cpu")
    print("one photo resized to 224 px on the longer side, 1 thread (saliency + localization)")
    print(f"  {'photo':<10}{'localize_photo s':>18}{'previous s':>12}{'ratio':>8}")
    for name, cls in (("coffee", "espresso"), ("coco_629", "motor scooter")):
        full = helpers.load_image(name)
        scale = 224 / max(full.shape[:2])
        image = cv2.resize(
            full, (round(full.shape[1] * scale), round(full.shape[0] * scale)), interpolation=cv2.INTER_AREA
        )
        target = lite0.class_index(cls)
        t_new = median_time(lambda: photos.localize_photo(lite0, image, target), repeats=3)
        t_old = median_time(lambda: previous_pipeline(lite0, image, target), repeats=3)
        flag = "" if t_new < 2.0 else "  OVER the 2 s budget"
        print(f"  {name:<10}{t_new:>18.2f}{t_old:>12.2f}{t_new / t_old:>8.1f}{flag}")


def evaluation() -> None:
    """Every localizer on every annotated photo, and the toy-world accuracy of paper vs default."""
    torch.set_num_threads(2)
    cv2.setNumThreads(2)
    lite0 = helpers.load_model("efficientnet_lite0", device="cpu")
    t0 = time.perf_counter()
    cases = photo_eval.photo_cases(lite0)
    result = photo_eval.evaluate_photos(lite0, cases)
    print(
        f"\nreal photos: {len(cases)} with a dominant object that an ImageNet class names "
        f"({time.perf_counter() - t0:.0f} s); hits = IoU >= 0.5 with a box of the dominant category"
    )
    print(result.table())
    print("\nper photo IoU of localize_photo's pipeline (row 'Grad-CAM, CAM protocol 20% = localize_photo'):")
    row = [l.label for l in result.localizers].index("Grad-CAM, CAM protocol 20% = localize_photo")
    for case, v in zip(cases, result.ious[row]):
        print(
            f"  {case.name:<14}{case.category:<12}{lite0.categories[case.target]:<16}area {case.area_fraction:5.3f}  IoU {v:.2f}"
        )

    toy = helpers.load_model("toy", device="cpu")
    data = toyworld.generate(300, seed=20_000)
    x = toy.normalize(torch.from_numpy(data.images).permute(0, 3, 1, 2).float().div(255))
    sal = helpers.saliency_map(toy, x, torch.from_numpy(data.labels)).numpy()
    print("\ntoy world, 300 held-out images (seed 20 000), true-class saliency")
    for label, kwargs in (
        ("paper (localize(image, map, PAPER))", dataclasses.asdict(loc.PAPER)),
        ("previous default (seeds-only models, 5 iterations)", {"init": "seeds", "smooth": 0.0}),
        ("default (localize())", {}),
    ):
        r = box_eval.evaluate_boxes(loc.localize_boxes(data.images, sal, on_error="full_image", **kwargs), data.boxes)
        print(f"  {label:<54}{100 * r['accuracy']:>5.0f}%{r['mean_iou']:>7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--evaluate", action="store_true", help="also run the photo and toy evaluations (minutes)")
    args = parser.parse_args()
    timing()
    if args.evaluate:
        evaluation()


if __name__ == "__main__":
    main()
