"""Issue 33, round six: round five's box selector cross-validated on the 44 photos themselves (round three's folds).

    python benchmarks/photo_cv6.py    # -> "cv6" in data/benchmarks/photo_benchmark.json (cv6_table)

The protocol is fixed in benchmarks/photo_protocol.md ("Round six"), committed before any measurement. Nothing is
computed from pixels: the candidates and features are round five's cache (--candidates, out/i33d/candidates.json,
written by `photo_cv5.py features`), the fixed rows round four's boxes (--round4, out/i33c/boxes4.json). Two arms:
"same" fits on the 44's training folds only; "pooled" adds round five's 88 other pairs to every fit.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import photo_cv5 as p5  # noqa: E402
import photo_cv_protocol as p3  # noqa: E402
import photo_cv_stats as cvs  # noqa: E402

from helpers.box_select import BoxSelector, fit_selector  # noqa: E402
from helpers.evaluation import photo_localization as photo_eval  # noqa: E402
from helpers.paths import DATA_DIR  # noqa: E402

HERE = Path(__file__).parent
SELECTOR_CV6 = DATA_DIR / "box_select_cv6.json"
ARMS = {"same": "cv6_same", "pooled": "cv6_pooled"}  # arm -> row key; "pooled" adds the 88 other pairs to every fit
GRID = [(s, C) for s in p5.FEATURE_SETS for C in p5.CS]  # round five's grid, in its order
GRID_NAMES = [f"{s} C={C}" for s, C in GRID]


def fit(pairs: list[dict], setting: tuple[str, float]) -> BoxSelector:
    """The selector of one grid point (feature set, C) fitted on every candidate of `pairs`."""
    table, hits, _ = p5.stack(pairs)
    return fit_selector(table, hits, p5.FEATURE_SETS[setting[0]], setting[1])


def inner_choice(train: list[dict], fold: np.ndarray, extra: list[dict]) -> tuple[tuple[str, float], dict]:
    """The grid point with the most pooled inner held-out hits over `train` (each fold value held out in turn, fitted
    on the rest + `extra`); ties: higher mean IoU, then the smaller C, then "core". Also every point's score."""
    table = {}
    for setting in GRID:
        ious = np.zeros(len(train))
        for k in sorted(set(fold.tolist())):
            rest = [p for p, f in zip(train, fold) if f != k]
            held = [p for p, f in zip(train, fold) if f == k]
            ious[fold == k] = p5.kept_ious(held, fit(rest + extra, setting))
        table[setting] = (int((ious >= 0.5).sum()), round(float(ious.mean()), 4))

    def key(s: tuple[str, float]) -> tuple:
        return (-table[s][0], -table[s][1], s[1], s[0] != "core")

    return min(GRID, key=key), {f"{s} C={C}": {"hits": h, "mean_iou": m} for (s, C), (h, m) in table.items()}


def cross_validate(test: list[dict], fold: np.ndarray, extra: list[dict]) -> tuple[np.ndarray, list[dict]]:
    """Per photo, the candidate index kept by a selector chosen and fitted without its outer fold; per fold, what."""
    kept = np.zeros(len(test), int)
    per_fold = []
    for k in range(cvs.K):
        train = [p for p, f in zip(test, fold) if f != k]
        setting, inner = inner_choice(train, fold[fold != k], extra)
        selector = fit(train + extra, setting)
        for i in np.flatnonzero(fold == k):
            kept[i] = int(np.argmax(selector.scores(np.array(test[i]["features"]))))
        per_fold.append({"fold": k, "chosen": f"{setting[0]} C={setting[1]}", "inner": inner})
    return kept, per_fold


def fold_breakdown(photos: list[dict], fold: np.ndarray, arm: str) -> list[dict]:
    """Per outer fold: n, small n, the arm's hits, today's hits, and the photos where only one of them hits."""
    ious, today = cvs.scores(photos, arm, "")[0], cvs.scores(photos, *cvs.OLD)[0]
    out = []
    for k in range(cvs.K):
        sel = fold == k
        out.append(
            {
                "fold": k,
                "n": int(sel.sum()),
                "n_small": int(sum(p["small"] for p, s in zip(photos, sel) if s)),
                "hits": int((ious[sel] >= 0.5).sum()),
                "today_hits": int((today[sel] >= 0.5).sum()),
                **cvs.paired((ious[sel] >= 0.5).tolist(), (today[sel] >= 0.5).tolist()),
            }
        )
    return out


def decide(rows: dict) -> str | None:
    """The protocol's rule: arms with more wins than losses against today; of those, more hits, then mean IoU, then
    the same-population arm. None: no arm qualifies."""
    qualify = [
        a
        for a in ARMS.values()
        if rows[a]["paired"]["localize_photo_before"]["wins"] > rows[a]["paired"]["localize_photo_before"]["losses"]
    ]
    if not qualify:
        return None
    return min(qualify, key=lambda a: (-rows[a]["all"]["hits"], -rows[a]["mean_iou"], list(ARMS.values()).index(a)))


def in_sample_grid(test: list[dict], extras: dict[str, list[dict]]) -> dict:
    """Diagnostic, after the decision (not a choice): every grid point of each arm fitted on ALL 44 and scored on the
    same 44 (optimistic), paired with today's rule: can this model class pick better boxes on these photos at all?"""
    today = [p["today_iou"] >= 0.5 for p in test]
    out = {}
    for arm, extra in extras.items():
        for s, C in GRID:
            hit = (p5.kept_ious(test, fit(test + extra, (s, C))) >= 0.5).tolist()
            out[f"{arm} {s} C={C}"] = {"hits": int(sum(hit)), "vs_today": cvs.paired(hit, today)}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--candidates", type=Path, default=p5.OUT / "candidates.json")
    p.add_argument("--round4", type=Path, default=HERE.parent / "out" / "i33c" / "boxes4.json")
    args = p.parse_args()
    raw, r4 = json.loads(args.candidates.read_text()), json.loads(args.round4.read_text())
    cached = {p["id"]: p for p in raw["test"]}
    test = [cached[p["id"]] for p in r4["photos"]]  # round four's order
    fold_of = cvs.folds([p["id"] for p in r4["photos"]], [p["small"] for p in r4["photos"]])
    fold = np.array([fold_of[p["id"]] for p in r4["photos"]])
    extras = {"same": [], "pooled": raw["train"]}
    kept, per_fold = {}, {}
    for arm, key in ARMS.items():
        kept[key], per_fold[key] = cross_validate(test, fold, extras[arm])
    photos = []
    for n, p in enumerate(r4["photos"]):
        t = test[n]
        boxes = {**p["boxes"], **{key: {"": t["candidates"][kept[key][n]]} for key in ARMS.values()}}
        boxes["box_select_oracle"] = {"": t["candidates"][int(np.argmax(t["ious"]))]}
        photos.append({**p, "boxes": boxes})
    fixed = {key: cvs.scores(photos, f, s) for key, (f, s) in cvs.FIXED.items()}
    refs = {"localize_photo_before": fixed["localize_photo_before"][0], "paper_full": fixed["paper_full"][0]}
    rows = {key: cvs.row_stats(photos, *fixed[key], refs) for key in cvs.FIXED}
    for key in (*ARMS.values(), "box_select_oracle"):
        rows[key] = cvs.row_stats(photos, *cvs.scores(photos, key, ""), refs)
    for key in ARMS.values():
        rows[key]["chosen_per_fold"] = [f["chosen"] for f in per_fold[key]]
        rows[key]["folds"] = fold_breakdown(photos, fold, key)
        rows[key]["chosen_fractions"] = {str(t["id"]): t["fractions"][kept[key][n]] for n, t in enumerate(test)}
        rows[key]["same_box_as_today"] = sum(p["boxes"][key][""] == p["boxes"]["gradcam"]["frac 0.2"] for p in photos)
    adopted = decide(rows)
    on_all = None
    if adopted is not None:  # the adopted arm's setting chosen on all 44 (4 folds as inner folds), refitted on all 44
        extra = extras[next(a for a, k in ARMS.items() if k == adopted)]
        setting, inner = inner_choice(test, fold, extra)
        selector = fit(test + extra, setting)
        on_all = {"arm": adopted, "chosen": f"{setting[0]} C={setting[1]}", "inner": inner}
        stored = {**selector.to_json(), "fitted_on": f"the 44 photos of benchmarks/photo_splits.json ({adopted})"}
        SELECTOR_CV6.write_text(json.dumps({**stored, "date": raw["date"]}, indent=1) + "\n")
    result = json.loads(p3.RESULT_JSON.read_text())
    result["cv6"] = {
        "protocol": "benchmarks/photo_protocol.md (Round six)",
        "n": len(photos),
        "n_small": int(sum(p["small"] for p in photos)),
        "k": cvs.K,
        "seed": cvs.SEED,
        "folds": {str(i): f for i, f in fold_of.items()},
        "grid": GRID_NAMES,
        "n_other_pairs": len(raw["train"]),
        "per_fold": per_fold,
        "rows": rows,
        "adopted": adopted,
        "adopt": adopted is not None,
        "chosen_on_all_44": on_all,
        "diagnostic_in_sample": in_sample_grid(test, extras),
    }
    p3.RESULT_JSON.write_text(json.dumps(result, indent=1) + "\n")
    photo_eval.photo_benchmark.cache_clear()  # the table reads the file just written
    print(photo_eval.cv6_table())
    print(f"adopted: {adopted}; wrote {p3.RESULT_JSON}")


if __name__ == "__main__":
    main()
