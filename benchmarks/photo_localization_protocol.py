"""Issue 18's real-photo protocol: localizers side by side and the pointing game, on a fixed split.

    python benchmarks/photo_localization_protocol.py localize ../shared/photos/coco_val128 --split tune
    python benchmarks/photo_localization_protocol.py pointing ../shared/photos/coco_val128 --split tune
    python benchmarks/photo_localization_protocol.py pointing ../shared/photos/coco_val128 --split tune --maps ten_crop
    python benchmarks/photo_localization_protocol.py summary            # -> data/benchmarks/photo_benchmark.json

The photo set, the splits and the decision rule are fixed in benchmarks/photo_protocol.md and
photo_splits.json (committed before any measurement). Every saliency map is cached (--cache, default
/tmp/i18cache) with the seconds it took, so re-runs only redo the box step. One thread (torch and OpenCV).
Per-photo results go to out/i18/<split>_<what>.json; `summary` turns them into the tables and the JSON file.
`--maps` re-runs the pointing game for some maps only (issue 30: the 10-crop rows after the estimator changed;
use a fresh --cache); `summary` then replaces those rows and keeps the others as committed, after checking that
the centre baseline, computed again on the same pairs, is unchanged.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
import photo_localizers as pl  # noqa: E402

import helpers  # noqa: E402
from helpers.categories import has_imagenet_counterpart  # noqa: E402
from helpers.coco import read_coco, segmentation_mask  # noqa: E402
from helpers.evaluation.masks import centre_hit, pointing_hit  # noqa: E402

HERE = Path(__file__).parent
SPLITS = HERE / "photo_splits.json"
CHOICE = HERE / "photo_choice.json"
OUT = HERE.parent / "out" / "i18"
RESULT_JSON = HERE.parent / "data" / "benchmarks" / "photo_benchmark.json"
MAP_KINDS = ("ten_crop", "smoothgrad", "gradcam", "single")

# (key, label, map kind or None, box function (image, map) -> box). One row each; "paper_full" is the reference.
LOCALIZERS: list[tuple[str, str, str | None, Callable]] = [
    (
        "paper_full",
        "paper: 10-crop map + paper's cut, full resolution",
        "ten_crop",
        lambda im, m: pl.paper_cut(im, m, None),
    ),
    ("paper_224", "paper: 10-crop map + paper's cut, 224 px", "ten_crop", lambda im, m: pl.paper_cut(im, m, 224)),
    (
        "sg_paper_full",
        "SmoothGrad + paper's cut, full resolution",
        "smoothgrad",
        lambda im, m: pl.paper_cut(im, m, None),
    ),
    ("sg_paper_224", "SmoothGrad + paper's cut, 224 px", "smoothgrad", lambda im, m: pl.paper_cut(im, m, 224)),
    (
        "localize_photo",
        "SmoothGrad + DEFAULT cut, 224 px (localize_photo before issue 18)",
        "smoothgrad",
        lambda im, m: pl.default_cut(im, m, 224),
    ),
    ("cam15", "Grad-CAM, CAM protocol, 15% of max", "gradcam", lambda im, m: pl.cam_box(m, 0.15)),
    ("cam20", "Grad-CAM, CAM protocol, 20% of max", "gradcam", lambda im, m: pl.cam_box(m, 0.20)),
    (
        "camcut_paper_full",
        "Grad-CAM + paper's cut, full resolution",
        "gradcam",
        lambda im, m: pl.paper_cut(im, m, None),
    ),
    ("camcut_paper_224", "Grad-CAM + paper's cut, 224 px", "gradcam", lambda im, m: pl.paper_cut(im, m, 224)),
    (
        "camcut_default_full",
        "Grad-CAM + DEFAULT cut, full resolution",
        "gradcam",
        lambda im, m: pl.default_cut(im, m, None),
    ),
    ("camcut_default_224", "Grad-CAM + DEFAULT cut, 224 px", "gradcam", lambda im, m: pl.default_cut(im, m, 224)),
    ("thr_sg", "baseline: SmoothGrad >= q95 box", "smoothgrad", pl.saliency_threshold_box),
    ("thr_10crop", "baseline: 10-crop >= q95 box", "ten_crop", pl.saliency_threshold_box),
    ("centred", "baseline: centred box, 50% of the sides", None, lambda im, m: pl.centred(im)),
    ("full", "baseline: full image", None, lambda im, m: pl.full_box(im.shape)),
]
CANDIDATES = (
    "sg_paper_full",
    "sg_paper_224",
    "localize_photo",
    "cam15",
    "cam20",
    "camcut_paper_full",
    "camcut_paper_224",
    "camcut_default_full",
    "camcut_default_224",
)
REFERENCE = "paper_full"
POINTING_MAPS = {
    "single": "single-pass gradient",
    "ten_crop": "10-crop gradient (paper)",
    "smoothgrad": "SmoothGrad (photo_saliency)",
    "gradcam": "Grad-CAM",
}


# ----------------------------------------------------------------------------------------------
# Photos and cached maps


def split_photos(folders: list[Path], split: str) -> list[dict]:
    """The split's photo records with their path, read from the folders given on the command line."""
    by_name = {f.name: f for f in folders}
    rows = json.loads(SPLITS.read_text())["splits"][split]
    for r in rows:
        if r["folder"] not in by_name:
            raise SystemExit(f"photo {r['id']} is in folder {r['folder']!r}; pass that folder on the command line.")
        r["path"] = str(by_name[r["folder"]] / r["file"])
    return rows


def compute_map(classifier: helpers.Classifier, image: np.ndarray, target: int, kind: str) -> np.ndarray:
    if kind == "ten_crop":
        return helpers.ten_crop_saliency(classifier, image, target)
    if kind == "smoothgrad":
        return helpers.photo_saliency(
            classifier, image, target
        )  # = localize_photo's map (SmoothGrad, 8 samples, quantised)
    if kind == "gradcam":
        return pl.gradcam_map(classifier, image, target)
    if kind == "single":
        return helpers.image_saliency(classifier, image, target)
    raise ValueError(kind)


def cached_map(
    cache: Path, classifier: helpers.Classifier, image: np.ndarray, photo_id: int, target: int, kind: str
) -> tuple[np.ndarray, float]:
    """(map, seconds it took to compute), computed once and kept in the cache folder."""
    path = cache / f"{photo_id}_{target}_{kind}.npz"
    if path.is_file():
        z = np.load(path)
        return z["map"], float(z["seconds"])
    t0 = time.perf_counter()
    m = np.asarray(compute_map(classifier, image, target, kind), np.float32)
    seconds = time.perf_counter() - t0
    cache.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, map=m, seconds=seconds)
    return m, seconds


# ----------------------------------------------------------------------------------------------
# Localization


def run_localize(args: argparse.Namespace, classifier: helpers.Classifier) -> None:
    photos = split_photos(args.folders, args.split)
    load0 = os.getloadavg()[0]
    rows = []
    for n, r in enumerate(photos):
        image = helpers.load_image(r["path"])
        target = pl.category_target(classifier, image, r["category"])
        maps = {
            k: cached_map(args.cache, classifier, image, r["id"], target, k)
            for k in ("ten_crop", "smoothgrad", "gradcam")
        }
        row = {k: r[k] for k in ("id", "category", "box", "box_fraction", "small")}
        row.update(target=classifier.categories[target], height=image.shape[0], width=image.shape[1], results={})
        frame = image.shape[0] * image.shape[1]
        for key, _label, kind, fn in LOCALIZERS:
            m, map_s = maps[kind] if kind else (None, 0.0)
            t0 = time.perf_counter()
            box = tuple(int(v) for v in fn(image, m))
            cut_s = time.perf_counter() - t0
            row["results"][key] = {
                "box": box,
                "iou": round(pl.box_iou(box, r["box"]), 4),
                "area": round((box[2] - box[0]) * (box[3] - box[1]) / frame, 4),
                "map_s": round(map_s, 3),
                "box_s": round(cut_s, 3),
            }
        if (
            n < args.check_localize_photo
        ):  # helpers.localize_photo (= cam20), called as is, must give the cached row's box
            lp = tuple(int(v) for v in helpers.localize_photo(classifier, image, target).box)
            same = lp == tuple(row["results"]["cam20"]["box"])
            print(
                f"  check: localize_photo on {r['id']} {'matches' if same else 'DIFFERS from'} the cached pipeline ({lp})"
            )
        rows.append(row)
        hits = "".join("x" if row["results"][k]["iou"] >= 0.5 else "." for k, *_ in LOCALIZERS)
        print(f"{n + 1:>3}/{len(photos)} {r['id']:>4} {r['category']:<14} {hits}", flush=True)
    out = {
        "split": args.split,
        "model": classifier.name,
        "threads": torch.get_num_threads(),
        "load_average": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "date": datetime.date.today().isoformat(),
        "photos": rows,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.split}_localization.json").write_text(json.dumps(out, indent=1))
    print(localization_table(out))


def localization_summary(out: dict) -> dict:
    """Per localizer: counts, Wilson intervals, mean IoU / area, paired comparison with the paper, median seconds."""
    photos = out["photos"]
    small = [p["small"] for p in photos]
    summary = {}
    for key, label, kind, _fn in LOCALIZERS:
        res = [p["results"][key] for p in photos]
        hit = [x["iou"] >= 0.5 for x in res]
        ref = [p["results"][REFERENCE]["iou"] >= 0.5 for p in photos]
        wins = sum(h and not g for h, g in zip(hit, ref))
        losses = sum(g and not h for h, g in zip(hit, ref))
        k_all, k_small = sum(hit), sum(h for h, s in zip(hit, small) if s)
        n_all, n_small = len(hit), sum(small)
        summary[key] = {
            "label": label,
            "map": kind,
            "all": {
                "hits": k_all,
                "n": n_all,
                "rate": round(k_all / n_all, 4),
                "wilson95": [round(v, 4) for v in pl.wilson(k_all, n_all)],
            },
            "small": {
                "hits": k_small,
                "n": n_small,
                "rate": round(k_small / n_small, 4) if n_small else None,
                "wilson95": [round(v, 4) for v in pl.wilson(k_small, n_small)],
            },
            "mean_iou": round(float(np.mean([x["iou"] for x in res])), 4),
            "mean_box_area": round(float(np.mean([x["area"] for x in res])), 4),
            "vs_paper": {"wins": wins, "losses": losses, "sign_test_p": round(pl.sign_test(wins, losses), 4)},
            "median_s_per_photo": round(float(np.median([x["map_s"] + x["box_s"] for x in res])), 3),
            "median_box_s": round(float(np.median([x["box_s"] for x in res])), 3),
        }
    return summary


def localization_table(out: dict) -> str:
    s = localization_summary(out)
    n_all, n_small = s[REFERENCE]["all"]["n"], s[REFERENCE]["small"]["n"]
    mean_true = np.mean([p["box_fraction"] for p in out["photos"]])
    lines = [
        f"split {out['split']}: {n_all} photos ({n_small} small); mean true box area {mean_true:.2f}; load {out['load_average']}",
        f"| localizer | all ({n_all}) [95% CI] | small ({n_small}) [95% CI] | mean IoU | mean box area | vs paper W/L (p) | s/photo |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, v in s.items():
        a, sm, c = v["all"], v["small"], v["vs_paper"]
        lines.append(
            f"| {key}: {v['label']} | {a['hits']} = {a['rate']:.0%} [{a['wilson95'][0]:.0%}, {a['wilson95'][1]:.0%}] | "
            f"{sm['hits']} = {sm['rate']:.0%} [{sm['wilson95'][0]:.0%}, {sm['wilson95'][1]:.0%}] | {v['mean_iou']:.2f} | "
            f"{v['mean_box_area']:.2f} | {c['wins']}/{c['losses']} ({c['sign_test_p']:.2f}) | {v['median_s_per_photo']:.2f} |"
        )
    return "\n".join(lines)


def rank_candidates(out: dict) -> list[str]:
    """The decision rule of photo_protocol.md: most hits, then small hits, then mean IoU, then the faster."""
    s = localization_summary(out)
    return sorted(
        CANDIDATES,
        key=lambda k: (-s[k]["all"]["hits"], -s[k]["small"]["hits"], -s[k]["mean_iou"], s[k]["median_s_per_photo"]),
    )


# ----------------------------------------------------------------------------------------------
# Pointing game


def run_pointing(args: argparse.Namespace, classifier: helpers.Classifier) -> None:
    photos = split_photos(args.folders, args.split)
    annotations = {}
    rows = []
    load0 = os.getloadavg()[0]
    for n, r in enumerate(photos):
        folder = Path(r["path"]).parent
        coco = annotations.setdefault(folder, read_coco(folder / "instances.json"))[r["id"]]
        image = helpers.load_image(r["path"])
        for category in sorted({i.category for i in coco.instances}):
            if not has_imagenet_counterpart(category):
                continue
            mask = np.logical_or.reduce(
                [
                    segmentation_mask(i.segmentation, coco.height, coco.width)
                    for i in coco.instances
                    if i.category == category
                ]
            )
            target = pl.category_target(classifier, image, category)
            row = {
                "id": r["id"],
                "category": category,
                "target": classifier.categories[target],
                "centre": centre_hit(mask),
                "mask_fraction": round(float(mask.mean()), 4),
            }
            for kind in args.maps:
                m, seconds = cached_map(args.cache, classifier, image, r["id"], target, kind)
                row[kind] = pointing_hit(m, mask)
                row[f"{kind}_s"] = round(seconds, 3)
            rows.append(row)
        print(f"{n + 1:>3}/{len(photos)} {r['id']:>4} pairs so far {len(rows)}", flush=True)
    out = {
        "split": args.split,
        "model": classifier.name,
        "threads": torch.get_num_threads(),
        "tolerance_px": 15,
        "maps": list(args.maps),
        "load_average": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "date": datetime.date.today().isoformat(),
        "pairs": rows,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.split}_pointing.json").write_text(json.dumps(out, indent=1))
    print(pointing_table(out))


def pointing_summary(out: dict) -> dict:
    pairs = out["pairs"]
    classes = [p["category"] for p in pairs]
    s = {}
    kinds = {k: v for k, v in POINTING_MAPS.items() if k in out.get("maps", POINTING_MAPS)}
    for kind, label in {**kinds, "centre": "centre baseline"}.items():
        hits = [p[kind] for p in pairs]
        k, n = sum(hits), len(hits)
        s[kind] = {
            "label": label,
            "hits": k,
            "n": n,
            "rate": round(k / n, 4),
            "wilson95": [round(v, 4) for v in pl.wilson(k, n)],
            "per_class_mean": round(pl.per_class_mean(hits, classes), 4),
            "n_classes": len(set(classes)),
            "per_class_bootstrap95": [round(v, 4) for v in pl.bootstrap_per_class(hits, classes)],
        }
        if kind != "centre":
            s[kind]["median_s_per_map"] = round(float(np.median([p[f"{kind}_s"] for p in pairs])), 3)
    return s


def pointing_table(out: dict) -> str:
    s = pointing_summary(out)
    n, nc = s["centre"]["n"], s["centre"]["n_classes"]
    lines = [
        f"pointing game, split {out['split']}: {n} (photo, category) pairs, {nc} categories, 15 px",
        f"| map | hit rate ({n} pairs) [95% Wilson] | mean of per-class rates ({nc}) [95% bootstrap] | s/map |",
        "|---|---|---|---|",
    ]
    for _kind, v in s.items():
        lines.append(
            f"| {v['label']} | {v['hits']} = {v['rate']:.0%} [{v['wilson95'][0]:.0%}, {v['wilson95'][1]:.0%}] | "
            f"{v['per_class_mean']:.0%} [{v['per_class_bootstrap95'][0]:.0%}, {v['per_class_bootstrap95'][1]:.0%}] | "
            f"{v.get('median_s_per_map', float('nan')):.2f} |"
        )
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Summary


def merged_pointing(committed: dict | None, out: dict) -> dict:
    """The split's pointing section: a full run replaces it; a `--maps` run replaces only its maps' rows (dated)."""
    fresh = pointing_summary(out)
    if committed is None or set(out.get("maps", POINTING_MAPS)) == set(POINTING_MAPS):
        return {"date": out["date"], "model": out["model"], "tolerance_px": 15, "maps": fresh}
    if fresh["centre"] != committed["maps"]["centre"] or out["model"] != committed["model"]:
        raise SystemExit(
            f"split {out['split']}: the centre baseline or the model differs from the committed run: not the same pairs."
        )
    maps = dict(committed["maps"])
    for kind in out["maps"]:
        maps[kind] = {**fresh[kind], "date": out["date"]}
    return {**committed, "maps": maps}


def run_summary(_args: argparse.Namespace) -> None:
    result = {
        "protocol": "benchmarks/photo_protocol.md",
        "splits_file": "benchmarks/photo_splits.json",
        "machine": "2-core CPU shared with other jobs, 1 torch/OpenCV thread, no GPU",
        "hit": "IoU >= 0.5 with the dominant object's box",
        "small": "true box < 50% of the frame",
        "localization": {},
        "pointing": {},
    }
    if CHOICE.is_file():
        result["recommended"] = json.loads(CHOICE.read_text())
    committed = json.loads(RESULT_JSON.read_text()) if RESULT_JSON.is_file() else {}
    for section in ("localization", "pointing", "timing"):  # a section whose raw files are not here stays as committed
        if section in committed:
            result[section] = committed[section]
    for split in ("tune", "report"):
        loc_file, pt_file = OUT / f"{split}_localization.json", OUT / f"{split}_pointing.json"
        if loc_file.is_file():
            out = json.loads(loc_file.read_text())
            print(localization_table(out), "\n")
            if split == "tune":
                print("tune ranking of the candidates:", rank_candidates(out), "\n")
            result["localization"][split] = {
                "date": out["date"],
                "model": out["model"],
                "threads": out["threads"],
                "load_average": out["load_average"],
                "n": len(out["photos"]),
                "n_small": sum(p["small"] for p in out["photos"]),
                "mean_true_box_area": round(float(np.mean([p["box_fraction"] for p in out["photos"]])), 4),
                "localizers": localization_summary(out),
            }
        if pt_file.is_file():
            out = json.loads(pt_file.read_text())
            print(pointing_table(out), "\n")
            result["pointing"][split] = merged_pointing(result["pointing"].get(split), out)
    timing = OUT / "timing.json"
    if timing.is_file():
        result["timing"] = json.loads(timing.read_text())
    RESULT_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULT_JSON.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {RESULT_JSON}")


def run_timing(args: argparse.Namespace, classifier: helpers.Classifier) -> None:
    """Seconds per photo, pixels to box, each pipeline called as one function: median of 3 after a warm-up, 1 thread."""
    from timing import median_time

    photos = split_photos(args.folders, args.split)[: args.timing_photos]
    pipelines = {
        "cam20 (recommended), full resolution": lambda im, t: pl.localize_gradcam(classifier, im, t, 0.20),
        "cam20 on the photo resized to 224 px (longer side)": None,
        "paper_full (10-crop + paper's cut, full resolution)": lambda im, t: pl.localize_paper(classifier, im, t, None),
        "paper_224": lambda im, t: pl.localize_paper(classifier, im, t, 224),
        "localize_photo (today)": lambda im, t: pl.default_cut(
            im, helpers.photos.photo_saliency(classifier, im, t, method="smoothgrad"), 224
        ),  # before issue 18
        "sg_paper_full": lambda im, t: pl.paper_cut(im, helpers.photo_saliency(classifier, im, t), None),
    }
    load0 = os.getloadavg()[0]
    times: dict[str, list[float]] = {k: [] for k in pipelines}
    for r in photos:
        image = helpers.load_image(r["path"])
        target = pl.category_target(classifier, image, r["category"])
        scale = 224 / max(image.shape[:2])
        small = cv2.resize(
            image, (round(image.shape[1] * scale), round(image.shape[0] * scale)), interpolation=cv2.INTER_AREA
        )
        for name, fn in pipelines.items():
            call = (
                (lambda: pl.localize_gradcam(classifier, small, target, 0.20))
                if fn is None
                else (lambda: fn(image, target))
            )
            times[name].append(median_time(call, repeats=3))
            print(f"{r['id']:>4} {name:<55} {times[name][-1]:.3f} s", flush=True)
    out = {
        "date": datetime.date.today().isoformat(),
        "threads": 1,
        "photos": [r["id"] for r in photos],
        "image_sizes": "COCO photos as stored (longer side <= 640 px)",
        "load_average": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "median_s_per_photo": {k: round(float(np.median(v)), 3) for k, v in times.items()},
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "timing.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("what", choices=("localize", "pointing", "timing", "summary"))
    p.add_argument(
        "folders", nargs="*", type=Path, help="photo folders named in photo_splits.json (coco_val128, coco_dev)"
    )
    p.add_argument("--split", choices=("tune", "report"), default="tune")
    p.add_argument("--cache", type=Path, default=Path("/tmp/i18cache"))
    p.add_argument("--timing-photos", type=int, default=2, help="timing: the first N photos of the split")
    p.add_argument(
        "--maps",
        nargs="+",
        choices=tuple(POINTING_MAPS),
        default=list(POINTING_MAPS),
        help="pointing: the maps to (re-)run",
    )
    p.add_argument(
        "--check-localize-photo",
        type=int,
        default=2,
        help="call helpers.localize_photo (= cam20) itself on the first N photos",
    )
    args = p.parse_args()
    if args.what == "summary":
        return run_summary(args)
    if args.split == "report" and args.what == "localize" and not CHOICE.is_file():
        raise SystemExit(
            "Write benchmarks/photo_choice.json (the choice made on the tune split) and commit it before the report run."
        )
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    classifier = helpers.load_model("efficientnet_lite0", device="cpu")
    {"localize": run_localize, "pointing": run_pointing, "timing": run_timing}[args.what](args, classifier)


if __name__ == "__main__":
    main()
