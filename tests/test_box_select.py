"""helpers.box_select: a logistic regression over a CAM's candidate boxes (issue 33, round five)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers import box_select as bsel
from helpers.cam import cam_box

H, W = 120, 160


def blob_with_halo(halo: float = 0.3) -> np.ndarray:
    """A tight Gaussian blob (sigma 8 px) on a broad faint halo (sigma 40 px, `halo` x the blob's height)."""
    yy, xx = np.mgrid[:H, :W]
    r2 = (yy - 60) ** 2 + (xx - 80) ** 2
    return (np.exp(-r2 / (2 * 8**2)) + halo * np.exp(-r2 / (2 * 40**2))).astype(np.float32)


def area(box: tuple[int, int, int, int]) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])


def test_stored_selector_keeps_the_tight_box_where_the_fixed_threshold_keeps_the_halo() -> None:
    cam = blob_with_halo()
    before = cam.copy()
    box = bsel.select_box(cam, (H, W, 3))
    today = cam_box(cam, 0.2)
    # the blob's box at half its height is about 19 x 19 px; the 20% threshold boxes the halo (about 49 x 49)
    assert area(box) <= 21 * 21 < area(today)
    assert abs((box[0] + box[2]) / 2 - 80) <= 1 and abs((box[1] + box[3]) / 2 - 60) <= 1
    np.testing.assert_array_equal(cam, before)  # the map is not modified


def test_features_of_the_full_image_and_a_candidate() -> None:
    boxes, fractions, table = bsel.candidate_features(blob_with_halo())
    assert boxes[0] == (0, 0, W, H) and fractions[0] is None and table.shape == (len(boxes), len(bsel.FEATURES))
    full = dict(zip(bsel.FEATURES, table[0]))
    assert full["mass_in_box"] == 1 and full["log_area"] == 0 and full["border"] == 1
    tight = dict(zip(bsel.FEATURES, table[-1]))
    assert tight["threshold"] == fractions[-1] and 0 < tight["mass_in_box"] < 1 and tight["log_contrast"] > 1
    assert tight["border"] == 0 and tight["log_components"] == pytest.approx(np.log(2))


def test_a_hand_made_selector_follows_its_weights() -> None:
    cam = blob_with_halo()
    zeros, ones = np.zeros(len(bsel.CORE_FEATURES)), np.ones(len(bsel.CORE_FEATURES))
    smallest = bsel.BoxSelector(bsel.CORE_FEATURES, zeros, ones, np.array([0.0, -1.0, 0.0]), 0.0)
    largest = bsel.BoxSelector(bsel.CORE_FEATURES, zeros, ones, np.array([0.0, 1.0, 0.0]), 0.0)
    choice = bsel.choose_box(cam, (H, W), smallest)
    assert choice.index == len(choice.boxes) - 1 and bsel.select_box(cam, (H, W), largest) == (0, 0, W, H)
    flat = bsel.BoxSelector(bsel.CORE_FEATURES, zeros, ones, zeros, 0.0)
    assert bsel.select_box(cam, (H, W), flat) == (0, 0, W, H)  # ties go to the earlier, larger box
    loc = bsel.choice_localization(choice, cam)
    assert loc.box == choice.box and loc.mask.sum() < H * W


def test_fit_selector_learns_the_sign_and_shrinks_with_a_small_C() -> None:
    rng = np.random.default_rng(0)
    table = rng.normal(size=(400, len(bsel.FEATURES)))
    hits = (table[:, bsel.FEATURES.index("mass_in_box")] + 0.3 * rng.normal(size=400) > 0).astype(float)
    strong = bsel.fit_selector(table, hits, bsel.CORE_FEATURES, 10.0)
    weak = bsel.fit_selector(table, hits, bsel.CORE_FEATURES, 0.001)
    w = dict(zip(strong.features, strong.weights))
    assert w["mass_in_box"] > 3 * max(abs(w["threshold"]), abs(w["log_area"]))
    assert 0 < weak.weights[2] < strong.weights[2] / 5
    predicted = strong.scores(table) > 0
    assert (predicted == hits.astype(bool)).mean() > 0.85


def test_stored_selector_round_trips(tmp_path) -> None:
    stored = bsel.load_selector()
    assert set(stored.features) <= set(bsel.FEATURES) and stored.C > 0
    path = tmp_path / "sel.json"
    path.write_text(json.dumps(stored.to_json()))
    again = bsel.load_selector(path)
    np.testing.assert_allclose(again.weights, stored.weights)
    assert again.intercept == stored.intercept


def test_bad_input_says_what_was_expected(tmp_path) -> None:
    cam = blob_with_halo()
    with pytest.raises(ValueError, match="at the image's size"):
        bsel.select_box(cam, (H + 1, W, 3))
    with pytest.raises(ValueError, match="points nowhere"):
        bsel.select_box(np.zeros((H, W), np.float32), (H, W))
    with pytest.raises(TypeError, match="BoxSelector"):
        bsel.select_box(cam, (H, W), selector={"weights": [1.0]})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="subset of"):
        bsel.BoxSelector(("colour",), [0.0], [1.0], [1.0], 0.0)
    with pytest.raises(ValueError, match="scale must be positive"):
        bsel.BoxSelector(("threshold",), [0.0], [0.0], [1.0], 0.0)
    with pytest.raises(ValueError, match="C must be a positive"):
        bsel.fit_selector(np.zeros((2, len(bsel.FEATURES))), np.array([0.0, 1.0]), bsel.CORE_FEATURES, 0)
    with pytest.raises(ValueError, match="0 / 1"):
        bsel.fit_selector(np.zeros((2, len(bsel.FEATURES))), np.array([0.0, 2.0]), bsel.CORE_FEATURES, 1.0)
    with pytest.raises(ValueError, match="feature table"):
        bsel.load_selector().scores(np.zeros((3, 2)))
    with pytest.raises(FileNotFoundError, match="photo_cv5.py fit"):
        bsel.load_selector(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="not a box selector"):
        bsel.load_selector(tmp_path / "bad.json")
