"""Notebook 06's COCO table on the COCO128 photos: every method and the no-network baselines, with intervals.

    python benchmarks/bench_method_pointing.py ../shared/photos/coco_val128      (about 10 CPU minutes, one thread)

Each photo as notebook 06 scores its bundled COCO photos: the largest annotated category with an ImageNet
counterpart (its instances' union as the mask, skipped under 1% of the frame), explained for its best-scoring
ImageNet class on the whole photo (shorter side 224) by EfficientNet-Lite0; maps resized to the photo. Rows: the
gradient, DeconvNet, guided backprop, Grad-CAM and SmoothGrad (8 samples, as in 06), and the baselines that use no
network: the centre point (pointing only), a centred Gaussian, the colour-contrast map and a uniform map.
Integrated gradients are left out: on Lite0 their completeness gap reaches 5% only at 256-512 steps
(benchmarks/ig_completeness.py), 30-60 times the other rows' cost; `--ig-steps N` adds them at N steps.

Scores per photo: a pointing hit (the map's maximum inside the mask; ties: the tied pixel nearest their centroid),
the mass in the mask over the mask's area (1 = uniform) and the AUC of the map against the mask (0.5 = chance).
Summary: hits / n with a 95% Wilson interval and a paired sign test against the gradient; means with 95% bootstrap
intervals. Results: data/benchmarks/method_pointing.json (read by helpers.evaluation.method_pointing).
"""

from __future__ import annotations

import argparse
import datetime
import json
import time
from pathlib import Path

import numpy as np
import torch

import helpers
from helpers import attribution as A
from helpers import saliency as S
from helpers.categories import has_imagenet_counterpart, imagenet_classes
from helpers.coco import CocoImage, read_coco, segmentation_mask
from helpers.evaluation import masks as mask_eval
from helpers.evaluation.method_pointing import RESULT_FILE
from helpers.evaluation.proportions import sign_test, wilson_interval
from helpers.geometry import resize_map, resize_shorter_side

REFERENCE = "gradient (paper)"
MIN_AREA = 0.01  # as notebook 06: a category under 1% of the frame is skipped
SMOOTHGRAD_SAMPLES = 8  # as notebook 06's COCO section
BOOTSTRAP = 2000


def category_mask(im: CocoImage, category: str) -> np.ndarray:
    """Union of the masks of every instance of `category` in the photo (bool HxW)."""
    masks = [segmentation_mask(i.segmentation, im.height, im.width) for i in im.instances if i.category == category]
    return np.logical_or.reduce(masks)


def chosen_category(im: CocoImage) -> tuple[str, np.ndarray] | None:
    """The largest category with an ImageNet counterpart and its mask, or None (none, or under MIN_AREA)."""
    mappable = sorted({i.category for i in im.instances if has_imagenet_counterpart(i.category)})
    if not mappable:
        return None
    masks = {c: category_mask(im, c) for c in mappable}
    category = max(mappable, key=lambda c: masks[c].sum())
    return (category, masks[category]) if masks[category].mean() >= MIN_AREA else None


def whole_photo(lite0: helpers.Classifier, image: np.ndarray) -> torch.Tensor:
    """The whole photo (no crop), shorter side 224, as Lite0's input (as notebook 06)."""
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float().div(255)
    return lite0.normalize(resize_shorter_side(x, lite0.input_size).to(lite0.device))


def network_maps(lite0: helpers.Classifier, x: torch.Tensor, target: int, ig_steps: int) -> dict[str, np.ndarray]:
    """Each network method's map of one photo at the model's input size (numpy)."""
    maps = {
        name: A.backprop_saliency(lite0, x, target, rule=rule)
        for name, rule in [(REFERENCE, "gradient"), ("DeconvNet", "deconvnet"), ("guided backprop", "guided")]
    }
    maps["Grad-CAM"] = A.grad_cam(lite0, x, target)
    maps["SmoothGrad"] = S.smoothgrad(lite0, x, target, n_samples=SMOOTHGRAD_SAMPLES, batch_size=SMOOTHGRAD_SAMPLES)
    if ig_steps:
        maps["integrated gradients"] = A.integrated_gradients(lite0, x, target, steps=ig_steps)
    return {k: m[0].cpu().numpy() for k, m in maps.items()}


def score(saliency: np.ndarray, mask: np.ndarray) -> dict[str, float | bool]:
    """Pointing hit, mass / area and AUC of one map against one mask."""
    return {
        "hit": bool(mask[mask_eval.saliency_peak(saliency)]),
        "mass_over_area": mask_eval.mass_relative_to_area(saliency, mask),
        "auc": mask_eval.mask_auc(saliency, mask),
    }


def photo_scores(lite0: helpers.Classifier, path: Path, im: CocoImage, ig_steps: int) -> dict | None:
    """One photo's record: its category, target class, mask area and every row's scores; None if skipped."""
    chosen = chosen_category(im)
    if chosen is None:
        return None
    category, mask = chosen
    image = helpers.load_image(path / im.file_name)
    x = whole_photo(lite0, image)
    with torch.no_grad():
        logits = lite0.model(x)[0]
    target = max(imagenet_classes(category), key=lambda i: float(logits[i]))
    h, w = mask.shape
    maps = {k: resize_map(m, h, w) for k, m in network_maps(lite0, x, target, ig_steps).items()}
    maps["centred Gaussian"] = mask_eval.centred_gaussian_map(h, w)
    maps["colour contrast"] = mask_eval.colour_contrast_map(image)
    rows = {k: score(m, mask) for k, m in maps.items()}
    rows["centre point"] = {"hit": bool(mask[h // 2, w // 2])}
    area = float(mask.mean())
    rows["uniform map"] = {"hit": area, "mass_over_area": 1.0, "auc": 0.5}  # a random point hits with p = area
    return {"id": im.id, "category": category, "target": lite0.categories[target], "area": area, "rows": rows}


def bootstrap(values: list[float], seed: int = 0) -> dict[str, float | list[float]]:
    """Mean and 95% percentile-bootstrap interval over photos."""
    v = np.asarray(values, float)
    boots = np.random.default_rng(seed).choice(v, (BOOTSTRAP, len(v))).mean(axis=1)
    return {"mean": float(v.mean()), "ci95": [float(q) for q in np.percentile(boots, [2.5, 97.5])]}


def summarise(photos: list[dict]) -> dict[str, dict]:
    """Per row: hits / n with Wilson interval, sign test against the gradient, mass / area and AUC with intervals."""
    out: dict[str, dict] = {}
    reference = [p["rows"][REFERENCE]["hit"] for p in photos]
    for key in photos[0]["rows"]:
        hits = [p["rows"][key]["hit"] for p in photos]
        row: dict = {"n": len(photos)}
        if all(isinstance(h, bool) for h in hits):
            k = int(sum(hits))
            wins = sum(h and not r for h, r in zip(hits, reference))
            losses = sum(r and not h for h, r in zip(hits, reference))
            row["pointing"] = {"hits": k, "rate": k / len(hits), "wilson95": list(wilson_interval(k, len(hits)))}
            if key != REFERENCE:
                row["vs_gradient"] = {"wins": wins, "losses": losses, "sign_test_p": sign_test(wins, losses)}
        else:  # the uniform map: the expected hit rate, the mean area
            row["pointing"] = {"expected_rate": bootstrap(hits)}
        for metric in ("mass_over_area", "auc"):
            if metric in photos[0]["rows"][key]:
                row[metric] = bootstrap([p["rows"][key][metric] for p in photos])
        out[key] = row
    return out


def main() -> None:
    """Score every photo of the folder, print the summary and write the JSON file."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", type=Path, help="a COCO photo folder with instances.json (../shared/photos/coco_val128)")
    p.add_argument("--ig-steps", type=int, default=0, help="add integrated gradients at this many steps (0: left out)")
    p.add_argument("--limit", type=int, default=0, help="score only the first N photos (a quick check; not written)")
    p.add_argument("--out", type=Path, default=RESULT_FILE)
    args = p.parse_args()
    torch.set_num_threads(1)
    lite0 = helpers.load_model("efficientnet_lite0")
    images = sorted(read_coco(args.folder / "instances.json").items())
    if args.limit:
        images = images[: args.limit]
    start, photos = time.perf_counter(), []
    for _, im in images:
        record = photo_scores(lite0, args.folder, im, args.ig_steps)
        if record is not None:
            photos.append(record)
    seconds = time.perf_counter() - start
    summary = summarise(photos)
    for key, row in summary.items():
        point = row["pointing"]
        hit = f"{point['hits']}/{row['n']}" if "hits" in point else f"{point['expected_rate']['mean']:.0%} expected"
        vs = row.get("vs_gradient")
        paired = f"  vs gradient {vs['wins']}:{vs['losses']} (p = {vs['sign_test_p']:.2g})" if vs else ""
        mass = f"  mass/area {row['mass_over_area']['mean']:.2f}" if "mass_over_area" in row else ""
        print(f"{key:<22}{hit:>16}{mass}{paired}")
    print(f"{len(photos)} of {len(images)} photos scored in {seconds:.0f} s")
    if args.limit:
        return
    result = {
        "created": datetime.date.today().isoformat(),
        "model": lite0.name,
        "folder": args.folder.name,
        "photos_in_folder": len(images),
        "n": len(photos),
        "threads": 1,
        "seconds": round(seconds),
        "smoothgrad_samples": SMOOTHGRAD_SAMPLES,
        "integrated_gradients_steps": args.ig_steps,
        "reference": REFERENCE,
        "rows": summary,
        "photos": photos,
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
