"""Issue 33, round seven: signals from the image itself (GrabCut, superpixel straddling, a zoomed second CAM pass).

    python benchmarks/photo_cv7.py boxes ../shared/photos/coco_val128 --only grabcut   # one family's boxes on the 44
    python benchmarks/photo_cv7.py other ../shared/photos/coco_val128 --only grabcut   # ... on the 88 other pairs
    python benchmarks/photo_cv7.py summary                                            # folds, choices, the "cv7" JSON

The protocol is fixed in benchmarks/photo_protocol.md ("Round seven"), committed before any measurement. A family
FAMILY is the module `benchmarks/cv7_FAMILY.py`: `SETTINGS` (the setting names in the protocol's order) and
`boxes(classifier, image, cam, target) -> {setting: (box, seconds)}`, where `cam` is today's Grad-CAM (quantised, the
photo's size) and `seconds` what that one setting costs beyond the map at one thread. Today's Grad-CAM comes from the
caches given (--cache, first found wins) or is computed once into the first. Raw results: out/i33g/FAMILY.json (the
44) and out/i33g/FAMILY_other.json (the 88 pairs); `summary` adds them to round four's boxes (out/i33c/boxes4.json),
cross-validates, and writes the "cv7" section of data/benchmarks/photo_benchmark.json (its other sections kept).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
import photo_cv4 as p4  # noqa: E402
import photo_cv5 as p5  # noqa: E402
import photo_cv_protocol as p3  # noqa: E402
import photo_cv_stats as cvs  # noqa: E402

import helpers  # noqa: E402
from helpers.cam import cam_box  # noqa: E402
from helpers.evaluation import photo_localization as photo_eval  # noqa: E402
from helpers.evaluation.boxes import iou as box_iou  # noqa: E402

HERE = Path(__file__).parent
OUT = HERE.parent / "out" / "i33g"
FAMILIES = ("grabcut", "objectness", "zoom")  # the protocol's order
COST_LIMIT_S = 1.0  # selectable when the median of today's map + the family's seconds at its chosen setting is <= 1 s
TODAY = 0.2  # today's localize_photo: Grad-CAM's box at 20% of the maximum


def family_module(family: str) -> ModuleType:
    """`benchmarks/cv7_<family>.py`, which gives SETTINGS and boxes()."""
    if family not in FAMILIES:
        raise SystemExit(f"family must be one of {FAMILIES}; got {family!r}")
    return importlib.import_module(f"cv7_{family}")


def photo_boxes(module: ModuleType, classifier, image: np.ndarray, cam: np.ndarray, target: int) -> dict:
    """Every setting's box and seconds on one photo, checked against the module's SETTINGS."""
    found = module.boxes(classifier, image, cam, target)
    if list(found) != list(module.SETTINGS):
        raise SystemExit(f"{module.__name__}.boxes returned settings {list(found)}, expected {list(module.SETTINGS)}")
    return {
        "boxes": {s: [int(v) for v in b] for s, (b, _) in found.items()},
        "seconds": {s: round(float(t), 4) for s, (_, t) in found.items()},
    }


def run_record(load0: float) -> dict:
    return {
        "date": datetime.date.today().isoformat(),
        "threads": torch.get_num_threads(),
        "load_average": [round(load0, 2), round(os.getloadavg()[0], 2)],
    }


def run_boxes(args: argparse.Namespace) -> None:
    """One family's boxes of every setting on the 44 photos, with the seconds per setting."""
    module = family_module(args.only)
    models: dict = {}
    classifier = models.setdefault(p3.LITE0, helpers.load_model(p3.LITE0, device="cpu"))
    load0, rows = os.getloadavg()[0], {}
    for n, r in enumerate(p3.all_photos(args.folder)):
        image = helpers.load_image(r["path"])
        cam, _, target = p5.gradcam(args.cache, models, image, r["id"], r["category"])
        rows[str(r["id"])] = photo_boxes(module, classifier, image, cam, target)
        hit = box_iou(tuple(rows[str(r["id"])]["boxes"][module.SETTINGS[0]]), tuple(r["box"])) >= 0.5
        print(f"{n + 1:>3}/44 {r['id']:>4} {args.only} done ({module.SETTINGS[0]}: {'hit' if hit else 'miss'})")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.only}.json").write_text(json.dumps({**run_record(load0), "photos": rows}))


def run_other(args: argparse.Namespace) -> None:
    """One family's boxes of every setting on the 88 other pairs (round five's training pairs), and today's box."""
    module = family_module(args.only)
    pairs = json.loads(args.round5.read_text())["train"]
    models: dict = {}
    classifier = models.setdefault(p3.LITE0, helpers.load_model(p3.LITE0, device="cpu"))
    files = {i: im.file_name for i, im in p5.read_coco(args.folder / "instances.json").items()}
    load0, rows = os.getloadavg()[0], []
    for n, pair in enumerate(pairs):
        image = helpers.load_image(args.folder / files[pair["id"]])
        cam, _, target = p5.gradcam(args.cache, models, image, pair["id"], pair["category"])
        row = photo_boxes(module, classifier, image, cam, target)
        today = [int(v) for v in cam_box(cam, TODAY)]
        rows.append({"id": pair["id"], "category": pair["category"], "truths": pair["truths"], "today": today, **row})
        print(f"{n + 1:>3}/{len(pairs)} {pair['id']:>4} {pair['category']}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.only}_other.json").write_text(json.dumps({**run_record(load0), "pairs": rows}))


# ----------------------------------------------------------------------------------------------
# Summary


def run_of(path: Path) -> dict:
    """The run record (date, threads, load average) of a cached file, without its rows."""
    return {k: v for k, v in json.loads(path.read_text()).items() if k not in ("photos", "pairs")}


def add_family(raw: dict, family: str) -> list[tuple[str, dict]]:
    """Put one family's cached boxes and seconds into round four's rows; return its settings."""
    cached = json.loads((OUT / f"{family}.json").read_text())["photos"]
    for row in raw["photos"]:
        mine = cached[str(row["id"])]
        row["boxes"][family] = mine["boxes"]
        for setting, seconds in mine["seconds"].items():
            row["cut_s"][f"{family}_{setting}"] = seconds
    cvs.FAMILY_MAPS[family] = ["gradcam"]
    return [(s, {}) for s in family_module(family).SETTINGS]


def other_rows(family: str, setting: str) -> dict | None:
    """The second check: the family at `setting` against today's box on the 88 other pairs (any instance box)."""
    path = OUT / f"{family}_other.json"
    if not path.is_file():
        return None
    pairs = json.loads(path.read_text())["pairs"]

    def hits(key) -> list[bool]:
        return [max(box_iou(tuple(key(p)), tuple(t)) for t in p["truths"]) >= 0.5 for p in pairs]

    mine, today = hits(lambda p: p["boxes"][setting]), hits(lambda p: p["today"])
    return {
        "setting": setting,
        "family": cvs.proportion(mine),
        "localize_photo_before": cvs.proportion(today),
        "paired": cvs.paired(mine, today),
    }


def run_summary(_args: argparse.Namespace) -> None:
    raw = json.loads((p4.OUT / "boxes4.json").read_text())
    present = [f for f in FAMILIES if (OUT / f"{f}.json").is_file()]
    new = {f: add_family(raw, f) for f in present}
    old_selectable, _ = p4.selectable(raw)
    families = {**p3.box_settings(), **p4.new_families(), **new}
    everything = np.ones(len(raw["photos"]), bool)
    costs = {}
    for f in present:
        table = {s: cvs.scores(raw["photos"], f, s) for s, _ in new[f]}
        best = cvs.best_setting(table, [s for s, _ in new[f]], everything)
        costs[f] = cvs.family_cost(raw["photos"], f, best)
    chosen_from = [*old_selectable, *(f for f in present if costs[f] <= COST_LIMIT_S)]
    cv = cvs.cross_validate(raw, families, chosen_from, "benchmarks/photo_protocol.md (Round seven)")
    cv["round7"] = {f: run_of(OUT / f"{f}.json") for f in present}
    cv["round7_median_cost_s"] = {f: round(c, 3) for f, c in costs.items()}
    cv["cost_limit_s"] = COST_LIMIT_S
    cv["second_check"] = {f: other_rows(f, cv["rows"][f"cv:{f}"]["on_all_44"]) for f in present}
    pick_family = cv["chosen_on_all_44"].split(" ", 1)[0]
    check = cv["second_check"].get(pick_family)
    rule2 = check is None or not (
        check["paired"]["losses"] > check["paired"]["wins"] and check["paired"]["sign_test_p"] < 0.05
    )
    cv["adopt_rule1"] = cv["adopt"]
    cv["adopt_rule2"] = rule2
    cv["adopt"] = bool(cv["adopt"] and rule2)
    print(cvs.cv_table(cv))
    print(f"selectable: {chosen_from}; costs {cv['round7_median_cost_s']}")
    p3.write_section("cv7", cv)
    photo_eval.photo_benchmark.cache_clear()  # the table reads the file just written
    print(photo_eval.cv7_table())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("what", choices=("boxes", "other", "summary"))
    p.add_argument("folder", nargs="?", type=Path, help="the COCO128 folder (../shared/photos/coco_val128)")
    p.add_argument("--only", default=None, help="boxes / other: the family to run")
    p.add_argument("--cache", type=Path, nargs="+", default=[Path("/tmp/i33cache"), Path("/tmp/h33d_cache")])
    p.add_argument("--round5", type=Path, default=HERE.parent / "out" / "i33d" / "candidates.json")
    args = p.parse_args()
    if args.what in ("boxes", "other") and args.only is None:
        raise SystemExit(f"{args.what} needs --only FAMILY, one of {FAMILIES}")
    p3.dispatch(args, {"boxes": run_boxes, "other": run_other, "summary": run_summary})


if __name__ == "__main__":
    main()
