"""Issue 33, round four: a finer CAM grid and the classifier-scored box choice, cross-validated like round three.

    python benchmarks/photo_cv4.py boxes ../shared/photos/coco_val128   # new maps, crop scores and boxes (cached)
    python benchmarks/photo_cv4.py boxes ../shared/photos/coco_val128 --only box_delete   # add one search family
    python benchmarks/photo_cv4.py summary                             # folds, choices, table, the "cv4" JSON section
    python benchmarks/photo_cv4.py truth ../shared/photos/coco_val128   # diagnostic: the true box's crop, scored alike

The protocol is fixed in benchmarks/photo_protocol.md ("Round four"), committed before any measurement. The
round-three boxes (out/i33/boxes.json, from `photo_cv_protocol.py boxes` and `rescore`) are reused as they are; the
new maps (`gradcam320`, `gradcam448`) are computed once per photo and cached (--cache) with the seconds they took,
today's Grad-CAM is read from round three's cache (--old-cache). The box search scores its crops once per photo
(alpha = 0) and stores every candidate's log-probability, so each alpha's box is chosen without a new pass. One
thread. Raw results go to out/i33c/boxes4.json; `summary` writes the "cv4" section of
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

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
import photo_cv_protocol as p3  # noqa: E402
import photo_cv_stats as cvs  # noqa: E402

import helpers  # noqa: E402
from helpers.box_search import ALPHAS, crop_log_probs, search_box  # noqa: E402
from helpers.evaluation.boxes import iou as box_iou  # noqa: E402
from helpers.photos import quantise_map  # noqa: E402
from helpers.views import whole_image_scores  # noqa: E402

HERE = Path(__file__).parent
ROUND3 = p3.OUT / "boxes.json"
OUT = HERE.parent / "out" / "i33c"
NEW_MAPS = ("gradcam320", "gradcam448")
# box search family -> (the map whose boxes it chooses among, what the classifier scores: helpers.box_search)
SEARCHES = {
    "box_search": ("gradcam", "crop"),
    "box_search320": ("gradcam320", "crop"),
    "box_delete": ("gradcam", "delete"),
}
ORACLES = ("box_search", "box_search320")  # box_delete has box_search's candidates, so the same oracle
POST_HOC = ("box_delete",)  # the protocol's amendment: designed after the results, a row that cv_select cannot pick
COST_LIMIT_S = 1.0  # a new family is selectable when its median map + box cost per photo is at most this (1 thread)


def new_families() -> dict[str, list[tuple[str, dict]]]:
    """Round four's families in the protocol's order: the finer grids with round three's rules, the box searches."""
    rules = [("frac", f) for f in cvs.FRACTIONS] + [("otsu", None)] + [("mass", m) for m in cvs.MASSES]
    out = {
        kind: [(f"{r}{'' if v is None else f' {v}'}", {"map": kind, "rule": r, "value": v}) for r, v in rules]
        for kind in NEW_MAPS
    }
    for family in SEARCHES:
        out[family] = [(f"alpha={a}", {"alpha": a}) for a in ALPHAS]
        if family in ORACLES:  # diagnostic: the best candidate by IoU with the truth (reads the truth)
            out[f"{family}_oracle"] = [("", {})]
    return out


def search_row(
    classifier, image: np.ndarray, cam: np.ndarray, target: int, truth: list[int], score: str = "crop"
) -> dict:
    """One photo's box search: every candidate with its log-probability and area share, each alpha's box, the oracle."""
    t0 = time.perf_counter()
    s = search_box(classifier, image, cam, target, alpha=0.0, score=score)
    seconds = time.perf_counter() - t0
    ious = [box_iou(b, tuple(truth)) for b in s.boxes]
    return {
        "seconds": round(seconds, 3),
        "candidates": [list(b) for b in s.boxes],
        "fractions": list(s.fractions),
        "log_probs": [round(float(v), 4) for v in s.log_probs],
        "area_shares": [round(float(v), 4) for v in s.area_shares],
        "boxes": {f"alpha={a}": list(s.boxes[s.choose(a)]) for a in ALPHAS},
        "oracle": list(s.boxes[int(np.argmax(ious))]),
    }


def run_boxes(args: argparse.Namespace) -> None:
    """New maps (cached), their boxes under round three's rules, and the box searches, added to round three's rows;
    with --only, the named search families added to out/i33c/boxes4.json (the rest kept)."""
    unknown = set(args.only) - set(SEARCHES)
    if unknown:
        raise SystemExit(f"--only takes search families among {sorted(SEARCHES)}; got {sorted(unknown)}")
    raw = json.loads((OUT / "boxes4.json" if args.only else ROUND3).read_text())
    by_id = {r["id"]: r for r in p3.all_photos(args.folder)}
    families = new_families()
    models: dict = {}
    load0 = os.getloadavg()[0]
    for n, row in enumerate(raw["photos"]):
        image = helpers.load_image(by_id[row["id"]]["path"])
        cam, _, target = p3.cached_map(args.old_cache, models, image, row["id"], row["category"], "gradcam")
        maps = {"gradcam": quantise_map(cam)}
        for kind in NEW_MAPS:
            m, seconds, _ = p3.cached_map(args.cache, models, image, row["id"], row["category"], kind)
            maps[kind] = quantise_map(m)
            if not args.only:
                row["map_s"][kind] = round(seconds, 3)
                row["boxes"][kind] = {name: list(p3.setting_box(image, maps, s)) for name, s in families[kind]}
        classifier = models.setdefault(p3.LITE0, helpers.load_model(p3.LITE0, device="cpu"))
        row.setdefault("search", {})
        for family in args.only or SEARCHES:
            kind, score = SEARCHES[family]
            found = search_row(classifier, image, maps[kind], target, row["box"], score)
            row["search"][family] = found
            row["boxes"][family] = found["boxes"]
            row["cut_s"][family] = found["seconds"]
            if family in ORACLES:
                row["boxes"][f"{family}_oracle"] = {"": found["oracle"]}
                row["cut_s"][f"{family}_oracle"] = found["seconds"]
        print(
            f"{n + 1:>3}/{len(raw['photos'])} {row['id']:>4} "
            + " ".join(f"{k} {row['map_s'][k]:.2f}" for k in NEW_MAPS)
            + " "
            + " ".join(f"{f} {row['cut_s'][f]:.2f}" for f in args.only or SEARCHES),
            flush=True,
        )
    run = {
        "date": datetime.date.today().isoformat(),
        "threads": torch.get_num_threads(),
        "load_average": [round(load0, 2), round(os.getloadavg()[0], 2)],
    }
    if args.only:
        raw["round4"].setdefault("added", {}).update({f: run for f in args.only})
    else:
        raw["round4"] = run
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "boxes4.json").write_text(json.dumps(raw))


def run_truth(args: argparse.Namespace) -> None:
    """Diagnostic (reads the truth): does the true box's crop score above box_search's candidates? And how far is the
    full-image candidate (warped to a square) from the whole photo seen with its aspect kept?"""
    raw = json.loads((OUT / "boxes4.json").read_text())
    by_id = {r["id"]: r for r in p3.all_photos(args.folder)}
    classifier = helpers.load_model(p3.LITE0, device="cpu")
    warp, above_full, above_all = [], 0, 0
    for row in raw["photos"]:
        image = helpers.load_image(by_id[row["id"]]["path"])
        target = p3.cached_map(args.old_cache, {}, image, row["id"], row["category"], "gradcam")[2]
        lp = row["search"]["box_search"]["log_probs"]
        truth = float(crop_log_probs(classifier, image, [tuple(row["box"])], target)[0])
        warp.append(lp[0] - float(whole_image_scores(classifier, image).log_softmax(0)[target]))
        above_full, above_all = above_full + (truth > lp[0]), above_all + (truth >= max(lp))
    n = len(raw["photos"])
    print(
        f"the true box's crop scores above the full image's on {above_full} of {n} photos, above every candidate on "
        f"{above_all}; full-image candidate minus the whole photo (aspect kept), log p: median "
        f"{np.median(warp):.2f}, quartiles {np.percentile(warp, 25):.2f} / {np.percentile(warp, 75):.2f}"
    )


def selectable(raw: dict) -> tuple[list[str], dict[str, float]]:
    """Round three's selectable families plus the new ones (not the oracles, not the amendment's post-hoc family) whose
    median cost is within the limit."""
    costs = {f: cvs.family_cost(raw["photos"], f) for f in new_families() if not f.endswith("_oracle")}
    return [*cvs.SELECTABLE, *(f for f, c in costs.items() if c <= COST_LIMIT_S and f not in POST_HOC)], costs


def run_summary(_args: argparse.Namespace) -> None:
    raw = json.loads((OUT / "boxes4.json").read_text())
    chosen_from, costs = selectable(raw)
    cv = cvs.cross_validate(
        raw, {**p3.box_settings(), **new_families()}, chosen_from, "benchmarks/photo_protocol.md (Round four)"
    )
    cv["round4"] = {**raw["round4"], "median_cost_s": {f: round(c, 3) for f, c in costs.items()}}
    cv["cost_limit_s"] = COST_LIMIT_S
    cv["post_hoc"] = {
        f: "designed after the round-four results (protocol amendment): reported, not selectable" for f in POST_HOC
    }
    print(cvs.cv_table(cv))
    print(f"selectable: {chosen_from}")
    p3.write_section("cv4", cv)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("what", choices=("boxes", "summary", "truth"))
    p.add_argument("folder", nargs="?", type=Path, help="the COCO128 folder (../shared/photos/coco_val128)")
    p.add_argument("--cache", type=Path, default=Path("/tmp/h33c_cache"), help="the new maps' cache")
    p.add_argument("--old-cache", type=Path, default=Path("/tmp/i33cache"), help="round three's map cache (gradcam)")
    p.add_argument("--only", nargs="+", default=[], help="boxes: add only these search families to boxes4.json")
    p3.dispatch(p.parse_args(), {"boxes": run_boxes, "summary": run_summary, "truth": run_truth})


if __name__ == "__main__":
    main()
