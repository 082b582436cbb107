"""Fix the photo set and the tuning / report splits of the real-photo protocol (issue 18), before measuring.

Run once: python benchmarks/photo_splits.py ../shared/photos/coco_dev ../shared/photos/coco_val128
writes benchmarks/photo_splits.json. The rule and the split are described in benchmarks/photo_protocol.md.

Photo set = photos with one dominant object that an ImageNet class names: the largest non-crowd instance
(by COCO's mask area) covers >= 8% of the frame, is at least twice the largest instance of any other
category (crowd regions included, person included), and its category maps to ImageNet
(helpers.categories.has_imagenet_counterpart; person, giraffe, ... do not).
Tuning split = every dominant photo of the first folder (coco_dev, already used in development) plus a
seeded random half of the other dominant photos; report split = the other half.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from helpers.categories import has_imagenet_counterpart
from helpers.coco import read_coco

MIN_FRACTION = 0.08  # the dominant instance covers at least 8% of the frame
MIN_RATIO = 2.0  # and is at least twice any other category's largest instance
SEED = 18  # issue 18


def dominant(image) -> dict | None:
    """The dominant instance's record, or None when the photo has no dominant object with an ImageNet counterpart."""
    inst = [i for i in image.instances if not i.crowd]
    if not inst:
        return None
    main = max(inst, key=lambda i: i.area)
    frame = image.height * image.width
    others = [i.area for i in image.instances if i.category != main.category]
    if main.area < MIN_FRACTION * frame or (others and main.area < MIN_RATIO * max(others)):
        return None
    if not has_imagenet_counterpart(main.category):
        return None
    x0, y0, x1, y1 = main.box
    return {
        "id": image.id,
        "file": image.file_name,
        "category": main.category,
        "box": list(main.box),
        "area_fraction": round(main.area / frame, 4),
        "box_fraction": round((x1 - x0) * (y1 - y0) / frame, 4),
        "small": (x1 - x0) * (y1 - y0) < 0.5 * frame,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dev", type=Path, help="coco_dev folder (its dominant photos all go to the tuning split)")
    p.add_argument("val", type=Path, help="coco_val128 folder (its other dominant photos are split in half)")
    p.add_argument("--out", type=Path, default=Path(__file__).with_name("photo_splits.json"))
    args = p.parse_args()
    dev = read_coco(args.dev / "instances.json")
    val = read_coco(args.val / "instances.json")
    dev_ids = set(dev)
    rows_dev = [r for i in sorted(dev) if (r := dominant(dev[i]))]
    rows_val = [r for i in sorted(val) if i not in dev_ids and (r := dominant(val[i]))]
    excluded = {"person": 0, "no ImageNet counterpart": 0, "no dominant object": 0}
    for i in sorted(val):
        im = val[i]
        inst = [x for x in im.instances if not x.crowd]
        if dominant(im):
            continue
        if inst:
            main = max(inst, key=lambda x: x.area)
            frame = im.height * im.width
            others = [x.area for x in im.instances if x.category != main.category]
            if main.area >= MIN_FRACTION * frame and not (others and main.area < MIN_RATIO * max(others)):
                excluded["person" if main.category == "person" else "no ImageNet counterpart"] += 1
                continue
        excluded["no dominant object"] += 1
    order = sorted(rows_val, key=lambda r: r["id"])
    random.Random(SEED).shuffle(order)
    half = len(order) // 2
    tune_val, report = sorted(order[:half], key=lambda r: r["id"]), sorted(order[half:], key=lambda r: r["id"])
    out = {
        "rule": f"largest non-crowd instance (COCO mask area) >= {MIN_FRACTION:.0%} of the frame and >= {MIN_RATIO:g}x the largest "
        "instance of every other category; its category has an ImageNet counterpart (person excluded)",
        "seed": SEED,
        "folders": {"dev": args.dev.name, "val": args.val.name},
        "note": (
            f"{len(dev_ids & set(val))} of the {len(dev)} {args.dev.name} photos are also in {args.val.name} (same ids; "
            "the coco_url fields say COCO 2017 train: the 'COCO128' set); a photo counts once, in the tuning split. "
            f"{len(rows_dev)} {args.dev.name} photos meet the rule (its largest objects are persons, a giraffe, a cake, "
            "or under 8% of the frame / under 2x another category)."
        ),
        "excluded_val128": excluded,
        "splits": {
            "tune": [dict(r, folder=args.dev.name) for r in rows_dev]
            + [dict(r, folder=args.val.name) for r in tune_val],
            "report": [dict(r, folder=args.val.name) for r in report],
        },
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    for k, v in out["splits"].items():
        print(k, len(v), "small", sum(r["small"] for r in v), sorted({r["category"] for r in v}))
    print("excluded", excluded)


if __name__ == "__main__":
    main()
