"""benchmarks/photo_cv_stats.py, issue 33's protocol: stratified folds, choices made on the training folds only,
pooled held-out scores and paired tests, and the cross-validated choice of the recommended photo map."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"
if not (BENCHMARKS / "photo_cv_stats.py").is_file():
    pytest.skip("the benchmarks folder is not part of an installed package", allow_module_level=True)
sys.path.insert(0, str(BENCHMARKS))
import photo_cv_stats as cvs  # noqa: E402

TRUTH = [0, 0, 10, 10]
HIT, MISS = [0, 0, 10, 10], [20, 20, 30, 30]


def test_folds_are_stratified_deterministic_and_cover_every_photo_once() -> None:
    ids = list(range(100, 144))
    small = [i % 11 < 5 for i in ids]  # 20 small, 24 large
    f = cvs.folds(ids, small)
    assert f == cvs.folds(list(reversed(ids)), list(reversed(small)))  # the order given does not matter
    assert sorted(f) == ids and sorted(np.bincount(list(f.values()))) == [11, 11, 11, 11]
    for k in range(4):
        assert sum(s for i, s in zip(ids, small) if f[i] == k) == 5  # 20 small photos, 5 in each fold


def raw_boxes(a_hits: set[int], b_hits: set[int], n: int = 44) -> dict:
    """Raw boxes of 44 photos: gradcam setting 'frac 0.1' hits the photos in `a_hits`, 'frac 0.15' those in `b_hits`."""
    photos = []
    for i in range(n):
        gradcam = {
            "frac 0.1": HIT if i in a_hits else MISS,
            "frac 0.15": HIT if i in b_hits else MISS,
            "frac 0.2": MISS,
        }
        boxes = {
            "gradcam": gradcam,
            "centred": {f"s={s}": HIT for s in cvs.SIDES},
            **{k: {"": MISS} for k in ("camcut448", "paper_full", "full")},
        }
        photos.append(
            {
                "id": i,
                "small": i % 2 == 0,
                "box": TRUTH,
                "boxes": boxes,
                "map_s": {"gradcam": 0.1, "ten_crop": 1.0},
                "cut_s": {},
            }
        )
    return {"date": "today", "threads": 1, "load_average": [0, 0], "photos": photos}


def test_the_held_out_fold_is_scored_by_a_choice_made_without_it() -> None:
    fold = cvs.folds(list(range(44)), [i % 2 == 0 for i in range(44)])
    fold0 = {i for i, k in fold.items() if k == 0}
    rest = sorted(set(range(44)) - fold0)
    # on folds 1-3 'frac 0.1' hits 18 photos and 'frac 0.15' 14; 'frac 0.15' also hits all 11 of fold 0 (25 in all)
    raw = raw_boxes(set(rest[:18]), fold0 | set(rest[18:32]))
    cv = cvs.cross_validate(raw, {"gradcam": [("frac 0.1", {}), ("frac 0.15", {})]})
    row = cv["rows"]["cv:gradcam"]
    assert row["on_all_44"] == "frac 0.15"  # what a choice that saw fold 0 would take
    assert row["chosen_per_fold"][0] == "frac 0.1"  # what the other folds chose for it: fold 0 then misses all 11
    held_fold0 = [p for p in raw["photos"] if p["id"] in fold0]
    assert all(p["boxes"]["gradcam"]["frac 0.1"] == MISS for p in held_fold0)
    assert row["small"]["n"] + row["large"]["n"] == 44 and cv["rows"]["full"]["all"]["hits"] == 0
    assert cv["rows"]["localize_photo_before"]["all"]["hits"] == 0  # the fixed row 'frac 0.2', never chosen here
    assert row["paired"]["paper_full"]["losses"] == 0 and row["paired"]["paper_full"]["wins"] == row["all"]["hits"]


def test_area_ratio_says_too_big_and_too_small() -> None:
    photos = [{"box": [0, 0, 10, 10], "boxes": {"f": {"": b}}} for b in ([0, 0, 30, 30], [0, 0, 5, 5], [0, 0, 10, 10])]
    ious, ratios = cvs.scores(photos, "f", "")
    np.testing.assert_allclose(ratios, [9.0, 0.25, 1.0])
    stats = cvs.row_stats([{"small": True}] * 3, ious, ratios, {})
    assert stats["area_ratio"] == {
        "median": 1.0,
        "too_big": pytest.approx(1 / 3, abs=1e-4),
        "too_small": pytest.approx(1 / 3, abs=1e-4),
    }


def test_the_recommended_map_is_a_gradient_map_only_if_it_beats_the_centre() -> None:
    pairs = []
    for i in range(40):
        pairs.append(
            {
                "id": i,
                "centre": i % 2 == 0,
                "centre_0px": i % 2 == 0,
                "single": i % 4 == 0,
                "single_0px": i % 4 == 0,
                "gradcam": True,
                "gradcam_0px": i % 3 != 0,
                "single_s": 0.1,
                "gradcam_s": 0.1,
            }
        )
    maps = {"single": "single", "gradcam": "Grad-CAM"}
    rows = {m: {"median_s_per_map": 0.1} for m in maps}
    rec = cvs.recommend_map(pairs, maps, ["single"], rows)
    assert not rec["gradient_maps"]["beats_centre"]  # the gradient hits half as often as the centre
    assert rec["all_maps"]["chosen_per_fold"] == ["gradcam"] * 4 and rec["recommended"] == "gradcam"
    assert rec["all_maps"]["vs_centre_15px"] == {"wins": 20, "losses": 0, "sign_test_p": pytest.approx(0.0, abs=1e-5)}
