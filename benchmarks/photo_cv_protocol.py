"""Issue 33's real-photo protocol: 4-fold cross-validation of the box candidates, and the pointing game on all pairs.

    python benchmarks/photo_cv_protocol.py maps ../shared/photos/coco_val128      # cache every map of the 44 photos
    python benchmarks/photo_cv_protocol.py boxes ../shared/photos/coco_val128     # every (family, setting) box, IoU
    python benchmarks/photo_cv_protocol.py pointing ../shared/photos/coco_val128  # all COCO128 pairs, 15 px and 0 px
    python benchmarks/photo_cv_protocol.py rescore ../shared/photos/coco_val128 --cache /tmp/fresh --only gradcam16
    python benchmarks/photo_cv_protocol.py ranks ../shared/photos/coco_val128     # the explained class's rank
    python benchmarks/photo_cv_protocol.py summary                               # folds, choices, tables, JSON

The protocol (folds, candidates, what is chosen on the training folds, the decision rule) is fixed in
benchmarks/photo_protocol.md ("Round three"), committed before any measurement. Every map is computed once per
photo and cached (--cache) with the seconds it took; every choice is then made on the cached maps. One thread.
Raw results go to out/i33/; `summary` writes the "cv" and "pointing_all" sections of
data/benchmarks/photo_benchmark.json and keeps its other sections as they are.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
import photo_cv_stats as cvs  # noqa: E402
import photo_localizers as pl  # noqa: E402

import helpers  # noqa: E402
from helpers.cam import cam_box, fuse_maps  # noqa: E402
from helpers.categories import has_imagenet_counterpart  # noqa: E402
from helpers.coco import read_coco, segmentation_mask  # noqa: E402
from helpers.evaluation.masks import centre_hit, pointing_hit  # noqa: E402
from helpers.methods import METHODS  # noqa: E402
from helpers.photos import quantise_map  # noqa: E402
from helpers.views import whole_image_scores  # noqa: E402

HERE = Path(__file__).parent
SPLITS = HERE / "photo_splits.json"
OUT = HERE.parent / "out" / "i33"
RESULT_JSON = HERE.parent / "data" / "benchmarks" / "photo_benchmark.json"
LITE0 = "efficientnet_lite0"
# (cache kind, model, registry method); the Lite1 / Lite2 CAMs at their own input size.
BOX_MAPS = {
    "gradcam": (LITE0, "gradcam"),
    "gradcam16": (LITE0, "gradcam16"),
    "gradcam_layers": (LITE0, "gradcam_layers"),
    "gradcam_tta": (LITE0, "gradcam_tta"),
    "gradcam_lite1": ("efficientnet_lite1", "gradcam"),
    "gradcam_lite2": ("efficientnet_lite2", "gradcam"),
    "smoothgrad": (LITE0, "smoothgrad"),
    "ten_crop": (LITE0, "ten_crop"),
}
POINTING_MAPS = {
    "single": "single-pass gradient (paper)",
    "ten_crop": "10-crop gradient (paper)",
    "smoothgrad": "SmoothGrad (photo_saliency)",
    "gradcam": "Grad-CAM",
    "gradcam_tta": "Grad-CAM, mirror + 2 sizes",
}
GRADIENT_MAPS = ("single", "ten_crop", "smoothgrad")
CAMCUT_SIDE = 448  # camcut448: Grad-CAM seeding a GraphCut at this working size (DEFAULT or the paper's cut)
ZERO_PX = 1  # pointing_hit is strict (d < tolerance): tolerance 1 px = the maximum lies inside the mask


def all_photos(folder: Path) -> list[dict]:
    """The 44 photos of photo_splits.json (tune and report halves together), with their path."""
    splits = json.loads(SPLITS.read_text())["splits"]
    rows = sorted(splits["tune"] + splits["report"], key=lambda r: r["id"])
    for r in rows:
        r["path"] = str(folder / r["file"])
    return rows


def cached_map(
    cache: Path, models: dict, image: np.ndarray, photo_id: int, category: str, kind: str
) -> tuple[np.ndarray, float, int]:
    """(raw map, seconds it took, target index) of one kind, computed once (the category's best class on that model)."""
    model_name, method = BOX_MAPS.get(kind, (LITE0, kind))
    path = cache / f"{photo_id}_{category.replace(' ', '_')}_{kind}.npz"
    if path.is_file():
        with np.load(path) as z:
            return z["map"], float(z["seconds"]), int(z["target"])
    classifier = models.setdefault(model_name, helpers.load_model(model_name, device="cpu"))
    target = pl.category_target(classifier, image, category)
    t0 = time.perf_counter()
    m = np.asarray(METHODS[method](classifier, image, target), np.float32)
    seconds = time.perf_counter() - t0
    cache.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(".part.npz")
    np.savez_compressed(part, map=m, seconds=seconds, target=target)
    os.replace(part, path)  # a second run reading the cache never sees a half-written file
    return m, seconds, target


def run_maps(args: argparse.Namespace) -> None:
    models: dict = {}
    for n, r in enumerate(all_photos(args.folder)):
        image = helpers.load_image(r["path"])
        secs = {k: cached_map(args.cache, models, image, r["id"], r["category"], k)[1] for k in BOX_MAPS}
        print(f"{n + 1:>3}/44 {r['id']:>4} " + " ".join(f"{k} {s:.2f}" for k, s in secs.items()), flush=True)


# ----------------------------------------------------------------------------------------------
# Every (family, setting) box of every photo


def box_settings() -> dict[str, list[tuple[str, dict]]]:
    """family -> [(setting name, {map, rule, value, w})], in the protocol's order (ties go to the earlier)."""
    rules = [("frac", f) for f in cvs.FRACTIONS] + [("otsu", None)] + [("mass", m) for m in cvs.MASSES]

    def grid(map_kind: str, **extra) -> list[tuple[str, dict]]:
        tag = "".join(f" w={v}" for v in extra.values())
        return [
            (f"{rule}{'' if v is None else f' {v}'}{tag}", {"map": map_kind, "rule": rule, "value": v, **extra})
            for rule, v in rules
        ]

    families = {
        k: grid(k) for k in ("gradcam", "gradcam16", "gradcam_layers", "gradcam_tta", "gradcam_lite1", "gradcam_lite2")
    }
    families["fusion"] = [s for w in cvs.FUSION_WEIGHTS for s in grid("fusion", w=w)]
    return families


def setting_box(image: np.ndarray, maps: dict[str, np.ndarray], s: dict) -> tuple[int, int, int, int]:
    """The box of one setting on the photo's cached maps."""
    m = fuse_maps(maps["gradcam"], maps["smoothgrad"], s["w"]) if s["map"] == "fusion" else quantise_map(maps[s["map"]])
    return cam_box(m, s["value"], rule=s["rule"]) if s["rule"] != "frac" else cam_box(m, s["value"])


def run_boxes(args: argparse.Namespace) -> None:
    """IoU and box area of every setting of every family, the fixed rows and the centred boxes; cut times."""
    models: dict = {}
    families = box_settings()
    rows = []
    load0 = os.getloadavg()[0]
    for n, r in enumerate(all_photos(args.folder)):
        image = helpers.load_image(r["path"])
        raw = {k: cached_map(args.cache, models, image, r["id"], r["category"], k) for k in BOX_MAPS}
        maps = {k: v[0] for k, v in raw.items()}
        boxes: dict[str, dict[str, list[int]]] = {}
        for family, settings in families.items():
            boxes[family] = {name: list(setting_box(image, maps, s)) for name, s in settings}
        boxes["centred"] = {f"s={s}": list(helpers.localization.centred_box(image.shape, s)) for s in cvs.SIDES}
        t0 = time.perf_counter()
        paper = pl.paper_cut(image, maps["ten_crop"], None)
        paper_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        camcut = pl.default_cut(image, quantise_map(maps["gradcam"]), CAMCUT_SIDE)
        camcut_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        camcut_paper = pl.paper_cut(image, quantise_map(maps["gradcam"]), CAMCUT_SIDE)
        camcut_paper_s = time.perf_counter() - t0
        boxes["paper_full"] = {"": list(paper)}
        boxes["camcut448"] = {"default": list(camcut), "paper": list(camcut_paper)}
        boxes["full"] = {"": list(pl.full_box(image.shape))}
        rows.append(
            {
                **{k: r[k] for k in ("id", "category", "box", "box_fraction", "small")},
                "height": image.shape[0],
                "width": image.shape[1],
                "map_s": {k: round(v[1], 3) for k, v in raw.items()},
                "cut_s": {
                    "paper_full": round(paper_s, 3),
                    "camcut448": round(camcut_s, 3),
                    "camcut448_paper": round(camcut_paper_s, 3),
                },
                "boxes": boxes,
            }
        )
        print(f"{n + 1:>3}/44 {r['id']:>4} paper cut {paper_s:.2f} s, camcut448 {camcut_s:.2f} s", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    out = {**run_record(load0), "photos": rows}
    (OUT / "boxes.json").write_text(json.dumps(out))


def write_section(key: str, section: dict) -> None:
    """Store one round's section in data/benchmarks/photo_benchmark.json, keeping every other section as it is."""
    result = json.loads(RESULT_JSON.read_text())
    result[key] = section
    RESULT_JSON.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {RESULT_JSON} ({key!r})")


def run_record(load0: float) -> dict:
    """When and how a caching run ran: its date, torch's thread count, the load average at its start and end."""
    return {
        "date": datetime.date.today().isoformat(),
        "threads": torch.get_num_threads(),
        "load_average": [round(load0, 2), round(os.getloadavg()[0], 2)],
    }


def rescore_camcut(cache: Path, models: dict, image: np.ndarray, photo: dict) -> None:
    """camcut448 from a boxes.json of the DEFAULT cut only (key ''): keep it as 'default', add the paper's cut."""
    cam = quantise_map(cached_map(cache, models, image, photo["id"], photo["category"], "gradcam")[0])
    old = photo["boxes"]["camcut448"]
    t0 = time.perf_counter()
    paper = pl.paper_cut(image, cam, CAMCUT_SIDE)
    photo["cut_s"]["camcut448_paper"] = round(time.perf_counter() - t0, 3)
    photo["boxes"]["camcut448"] = {"default": old.get("default", old.get("")), "paper": list(paper)}


def run_rescore(args: argparse.Namespace) -> None:
    """Recompute the maps of the families in --only (a fresh --cache) and their boxes, keeping every other box of
    out/i33/boxes.json: after a fix to one map (the stride-16 CAM's border), without redoing the GraphCuts."""
    if not args.only:
        raise SystemExit(f"rescore needs --only with families among {sorted(box_settings())}")
    families = box_settings()
    unknown = set(args.only) - set(families) - {"camcut448"}
    if unknown or "fusion" in args.only:
        raise SystemExit(f"rescore: unknown or derived family {sorted(unknown | ({'fusion'} & set(args.only)))}")
    raw = json.loads((OUT / "boxes.json").read_text())
    by_id = {r["id"]: r for r in all_photos(args.folder)}
    models: dict = {}
    for n, p in enumerate(raw["photos"]):
        image = helpers.load_image(by_id[p["id"]]["path"])
        if "camcut448" in args.only:
            rescore_camcut(args.cache, models, image, p)
        for kind in (k for k in args.only if k != "camcut448"):
            m, seconds, _ = cached_map(args.cache, models, image, p["id"], p["category"], kind)
            p["boxes"][kind] = {name: list(setting_box(image, {kind: m}, s)) for name, s in families[kind]}
            p["map_s"][kind] = round(seconds, 3)
        print(f"{n + 1:>3}/{len(raw['photos'])} {p['id']:>4} rescored {', '.join(args.only)}", flush=True)
    raw.setdefault("rescored", {}).update({k: datetime.date.today().isoformat() for k in args.only})
    (OUT / "boxes.json").write_text(json.dumps(raw))


# ----------------------------------------------------------------------------------------------
# Pointing game on every pair of the COCO128 photos


def run_pointing(args: argparse.Namespace) -> None:
    coco = read_coco(args.folder / "instances.json")
    models: dict = {LITE0: helpers.load_model(LITE0, device="cpu")}  # its class names, even when every map is cached
    rows = []
    load0 = os.getloadavg()[0]
    part, parts = args.part
    for n, (image_id, im) in enumerate(sorted(coco.items())):
        if n % parts != part:
            continue
        image = helpers.load_image(args.folder / im.file_name)
        for category in sorted({i.category for i in im.instances}):
            if not has_imagenet_counterpart(category):
                continue
            masks = [
                segmentation_mask(i.segmentation, im.height, im.width) for i in im.instances if i.category == category
            ]
            mask = np.logical_or.reduce(masks)
            row = {
                "id": image_id,
                "category": category,
                "mask_fraction": round(float(mask.mean()), 4),
                "centre": bool(centre_hit(mask)),
                "centre_0px": bool(centre_hit(mask, ZERO_PX)),
            }
            for kind in POINTING_MAPS:
                m, seconds, target = cached_map(args.cache, models, image, image_id, category, kind)
                q = quantise_map(m)
                row[kind], row[f"{kind}_0px"] = bool(pointing_hit(q, mask)), bool(pointing_hit(q, mask, ZERO_PX))
                row[f"{kind}_s"] = round(seconds, 3)
            row["target"] = models[LITE0].categories[target]
            rows.append(row)
        print(f"{n + 1:>3}/{len(coco)} {image_id:>4} pairs so far {len(rows)}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    out = {
        "date": datetime.date.today().isoformat(),
        "model": LITE0,
        "threads": torch.get_num_threads(),
        "load_average": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "pairs": rows,
    }
    (OUT / f"pointing_{part}of{parts}.json").write_text(json.dumps(out))


# ----------------------------------------------------------------------------------------------
# Summary


def run_ranks(args: argparse.Namespace) -> None:
    """The rank of each pointing pair's explained class in Lite0's whole-image scores (0 = top 1): out/i33/ranks.json."""
    pairs = [p for f in sorted(OUT.glob("pointing_*of*.json")) for p in json.loads(f.read_text())["pairs"]]
    coco = read_coco(args.folder / "instances.json")
    classifier = helpers.load_model(LITE0, device="cpu")
    ranks = {}
    for n, image_id in enumerate(sorted({p["id"] for p in pairs})):
        with torch.no_grad():
            scores = whole_image_scores(classifier, helpers.load_image(args.folder / coco[image_id].file_name))
        order = torch.argsort(scores.flatten(), descending=True).tolist()
        for p in (p for p in pairs if p["id"] == image_id):
            ranks[f"{image_id}|{p['category']}"] = order.index(classifier.categories.index(p["target"]))
        print(f"{n + 1:>3} {image_id:>4}", flush=True)
    (OUT / "ranks.json").write_text(json.dumps(ranks))


def run_summary(_args: argparse.Namespace) -> None:
    result = json.loads(RESULT_JSON.read_text())
    boxes_file, pointing_files = OUT / "boxes.json", sorted(OUT.glob("pointing_*of*.json"))
    if boxes_file.is_file():
        raw = json.loads(boxes_file.read_text())
        result["cv"] = cvs.cross_validate(raw, box_settings())
        print(cvs.cv_table(result["cv"]))
    if pointing_files:
        parts = [json.loads(f.read_text()) for f in pointing_files]
        if len(parts) != int(pointing_files[0].stem.rsplit("of", 1)[1]):
            raise SystemExit(f"pointing: {len(parts)} parts in {OUT}, expected {pointing_files[0].stem}'s count.")
        raw = {**parts[0], "pairs": [p for part in parts for p in part["pairs"]]}
        if (OUT / "ranks.json").is_file():  # the explained class's whole-image rank (`ranks`)
            ranks = json.loads((OUT / "ranks.json").read_text())
            for p in raw["pairs"]:
                p["target_rank"] = ranks[f"{p['id']}|{p['category']}"]
        raw["load_average"] = [part["load_average"] for part in parts]
        chosen_ids = [r["id"] for r in all_photos(Path("."))]
        result["pointing_all"] = cvs.pointing_summary(raw, POINTING_MAPS, GRADIENT_MAPS, chosen_ids)
        print(cvs.pointing_table(result["pointing_all"]))
    RESULT_JSON.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {RESULT_JSON}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("what", choices=("maps", "boxes", "rescore", "pointing", "ranks", "summary"))
    p.add_argument("folder", nargs="?", type=Path, help="the COCO128 folder (../shared/photos/coco_val128)")
    p.add_argument("--cache", type=Path, default=Path("/tmp/i33cache"))
    p.add_argument("--only", nargs="+", default=[], help="rescore: the map families to recompute (e.g. gradcam16)")
    p.add_argument(
        "--part",
        type=lambda v: tuple(int(x) for x in v.split("/")),
        default=(0, 1),
        help="pointing: run photo i of every n (i/n, e.g. 0/2 and 1/2 in two processes)",
    )
    steps = {"maps": run_maps, "boxes": run_boxes, "rescore": run_rescore, "pointing": run_pointing, "ranks": run_ranks}
    dispatch(p.parse_args(), {**steps, "summary": run_summary})


def dispatch(args: argparse.Namespace, steps: dict) -> None:
    """Run the step `args.what`: "summary" reads the raw results; every other step needs the folder, at 1 thread."""
    if args.what != "summary":
        if args.folder is None:
            raise SystemExit(f"{args.what} needs the COCO128 folder, e.g. ../shared/photos/coco_val128")
        torch.set_num_threads(1)
        cv2.setNumThreads(1)
    steps[args.what](args)


if __name__ == "__main__":
    main()
