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
            **{k: {"": MISS} for k in ("paper_full", "full")},
            "camcut448": {c: MISS for c in cvs.CAMCUT_CUTS},
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


def test_maxboxacc_v2_averages_the_hit_rate_over_iou_0_3_0_5_0_7() -> None:
    """MaxBoxAccV2 (Choe et al. 2020): a box of IoU 0.4 earns one level of three, 0.6 two, 0.8 three."""
    ious = np.array([0.4, 0.6, 0.8, 0.1])
    np.testing.assert_array_equal(cvs.levels_passed(ious), [1, 2, 3, 0])
    v2 = cvs.maxboxacc_v2(ious, np.array([True, True, False, False]), {"ref": np.array([0.55, 0.55, 0.55, 0.55])})
    assert (v2["all"]["levels"], v2["all"]["of"], v2["all"]["score"]) == (6, 12, 0.5)
    assert (v2["small"]["levels"], v2["large"]["levels"]) == (3, 3)
    assert v2["all"]["bootstrap95"][0] <= 0.5 <= v2["all"]["bootstrap95"][1]
    assert v2["paired"]["ref"]["wins"] == 1 and v2["paired"]["ref"]["losses"] == 2  # 0.8 beats 0.55; 0.4, 0.1 lose
    with pytest.raises(ValueError, match="criterion must be"):
        cvs.credit(ious, "iou75")


def test_the_v2_selector_can_prefer_tighter_boxes_the_iou_0_5_selector_ignores() -> None:
    """Both hit every photo at IoU 0.5 and one has the higher mean IoU; only V2 sees the other reach 0.7 everywhere."""
    tight = [0, 0, 10, 14]  # IoU 0.714 on every photo
    uneven = ([0, 0, 10, 14.5], TRUTH)  # IoU 0.690 or 1.0: the higher mean IoU, but under 0.7 on half the photos
    photos = [
        {
            "id": i,
            "small": i % 2 == 0,
            "box": TRUTH,
            "boxes": {
                "gradcam": {"frac 0.2": uneven[i % 4 // 2]},
                "gradcam_tta": {"frac 0.2": tight},
                "paper_full": {"": MISS},
                "full": {"": MISS},
                "camcut448": {c: MISS for c in cvs.CAMCUT_CUTS},
                "centred": {f"s={s}": MISS for s in cvs.SIDES},
            },
            "map_s": {"gradcam": 0.1, "gradcam_tta": 1.0, "ten_crop": 1.0},
            "cut_s": {},
        }
        for i in range(44)
    ]
    raw = {"photos": photos, "date": "d", "threads": 1, "load_average": [0.0]}
    cv = cvs.cross_validate(raw, {"gradcam": [("frac 0.2", {})], "gradcam_tta": [("frac 0.2", {})]})
    assert cv["rows"]["cv:cv_select"]["chosen_per_fold"] == ["gradcam frac 0.2"] * 4  # a tie at 0.5: mean IoU
    assert cv["rows"]["cv:cv_select_v2"]["chosen_per_fold"] == ["gradcam_tta frac 0.2"] * 4
    v2 = cv["rows"]["cv:cv_select_v2"]["maxboxacc_v2"]
    assert v2["all"]["score"] == 1.0 and v2["paired"]["localize_photo_before"] == {
        "wins": 22,
        "losses": 0,
        "sign_test_p": 0.0,
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


def pointing_pairs() -> list[dict]:
    """40 pairs: the map hits only the recognised pairs (rank < 5), the centre only the even ones; 4 mask sizes."""
    return [
        {
            "id": i,
            "category": "c",
            "mask_fraction": (0.01, 0.05, 0.2, 0.5)[i % 4],
            "target_rank": i % 10,
            **{f"{k}{s}": v for s in ("", "_0px") for k, v in (("centre", i % 2 == 0), ("smoothgrad", i % 10 < 5))},
            **{f"{k}{s}": True for s in ("", "_0px") for k in ("ten_crop", "single", "gradcam_tta")},
            **{f"{k}_s": 0.1 for k in ("ten_crop", "single", "smoothgrad", "gradcam_tta")},
        }
        for i in range(40)
    ]


def test_pointing_splits_by_recognition_and_size_band_and_compares_the_cam_with_smoothgrad() -> None:
    pairs = pointing_pairs()
    maps = {"single": "s", "ten_crop": "t", "smoothgrad": "sg", "gradcam_tta": "tta"}
    s = cvs.pointing_summary({"date": "d", "model": "m", "pairs": pairs}, maps, ["single", "smoothgrad"])
    rec = s["by_recognition"]
    assert (rec["in_top5"]["n"], rec["not_in_top5"]["n"]) == (20, 20)
    assert rec["in_top5"]["15px"]["smoothgrad"]["hits"] == 20 and rec["not_in_top5"]["15px"]["smoothgrad"]["hits"] == 0
    assert rec["in_top5"]["15px"]["smoothgrad"]["vs_centre"]["wins"] == 8  # recognised and odd: ranks 1, 3
    assert rec["not_in_top5"]["0px"]["smoothgrad"]["vs_centre"] == {"wins": 0, "losses": 8, "sign_test_p": 0.0078}
    tta = s["paired"]["gradcam_tta vs smoothgrad"]["15px"]
    assert (tta["all"]["wins"], tta["all"]["losses"]) == (20, 0)
    bands = s["paired"]["ten_crop vs centre"]["0px"]
    assert [bands[b]["wins"] for b in ("< 2%", "2%-10%", ">= 10%")] == [0, 10, 10]  # the odd pairs: 5% and 50% masks
    unranked = [{k: v for k, v in p.items() if k != "target_rank"} for p in pairs]
    assert (
        cvs.pointing_summary({"date": "d", "model": "m", "pairs": unranked}, maps, ["single"])["by_recognition"] is None
    )


def test_round_four_families_are_chosen_only_when_selectable_and_paired_by_size() -> None:
    """A new family that fixes the small photos wins cv_select only when it is selectable; its cost adds the map it
    searches (`FAMILY_MAPS`) and its search time; the paired test is also split by stratum."""
    photos = [
        {
            "id": i,
            "small": i % 2 == 0,
            "box": TRUTH,
            "boxes": {
                "gradcam": {"frac 0.2": MISS if i % 2 == 0 else HIT},
                "box_search": {"alpha=0.0": HIT},
                "paper_full": {"": MISS},
                "full": {"": MISS},
                "camcut448": {c: MISS for c in cvs.CAMCUT_CUTS},
                "centred": {f"s={s}": MISS for s in cvs.SIDES},
            },
            "map_s": {"gradcam": 0.1, "ten_crop": 1.0},
            "cut_s": {"box_search": 0.3},
        }
        for i in range(44)
    ]
    raw = {"photos": photos, "date": "d", "threads": 1, "load_average": [0.0]}
    families = {"gradcam": [("frac 0.2", {})], "box_search": [("alpha=0.0", {})]}
    old = cvs.cross_validate(raw, families)
    assert old["rows"]["cv:cv_select"]["chosen_per_fold"] == ["gradcam frac 0.2"] * 4 and not old["adopt"]
    new = cvs.cross_validate(raw, families, (*cvs.SELECTABLE, "box_search"), "round four")
    row = new["rows"]["cv:cv_select"]
    assert row["chosen_per_fold"] == ["box_search alpha=0.0"] * 4 and new["adopt"] and new["protocol"] == "round four"
    assert row["cost_s"] == pytest.approx(0.4) and "box_search" in new["selectable"]
    by_size = row["paired_by_size"]
    assert by_size["small"]["localize_photo_before"] == {"wins": 22, "losses": 0, "sign_test_p": 0.0}
    assert by_size["large"]["localize_photo_before"]["wins"] == by_size["large"]["localize_photo_before"]["losses"] == 0


def _photo(i: int, hit_tight: bool) -> dict:
    """A cached round-five test row: the full image and one tight box; which one hits is `hit_tight`."""
    return {
        "id": i,
        "today_iou": 0.6,
        "features": [[0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0], [0.4, -1.5, 0.7, 0.6, 1.0, 0.7, 0.0, 0.1]],
        "ious": [0.3, 0.8] if hit_tight else [0.8, 0.3],
    }


def test_round_six_fits_each_fold_without_it_and_learns_the_held_out_choice(monkeypatch) -> None:
    """Every selector that scores an outer fold is fitted without that fold, every inner fit also without its inner
    fold; on photos where the tight box always hits, every held-out photo keeps it."""
    import photo_cv6 as p6

    test = [_photo(i, True) for i in range(16)]
    fold = np.arange(16) % cvs.K
    calls: list[set[int]] = []
    real_fit = p6.fit
    monkeypatch.setattr(
        p6, "fit", lambda pairs, setting: calls.append({p["id"] for p in pairs}) or real_fit(pairs, setting)
    )
    kept, per_fold = p6.cross_validate(test, fold, [])
    per_outer = len(p6.GRID) * (cvs.K - 1) + 1  # inner fits, then the refit on the training folds
    assert len(calls) == cvs.K * per_outer
    members = [{i for i in range(16) if fold[i] == k} for k in range(cvs.K)]
    for n, ids in enumerate(calls):
        left_out = {k for k in range(cvs.K) if not ids & members[k]}
        inner = n % per_outer < per_outer - 1  # an inner fit also leaves out the inner fold it scores
        assert n // per_outer in left_out and len(left_out) == (2 if inner else 1)
    assert kept.tolist() == [1] * 16 and len(per_fold) == cvs.K and per_fold[0]["chosen"] in p6.GRID_NAMES


def test_round_six_decision_needs_more_wins_than_losses_and_then_more_hits() -> None:
    """An arm qualifies with more wins than losses against today; of two, the one with more hits; none: None."""
    import photo_cv6 as p6

    def row(wins: int, losses: int, hits: int) -> dict:
        return {
            "paired": {"localize_photo_before": {"wins": wins, "losses": losses}},
            "all": {"hits": hits},
            "mean_iou": 0.5,
        }

    assert p6.decide({"cv6_same": row(1, 1, 35), "cv6_pooled": row(0, 4, 31)}) is None
    assert p6.decide({"cv6_same": row(2, 1, 36), "cv6_pooled": row(0, 4, 31)}) == "cv6_same"
    assert p6.decide({"cv6_same": row(2, 1, 36), "cv6_pooled": row(3, 1, 37)}) == "cv6_pooled"
