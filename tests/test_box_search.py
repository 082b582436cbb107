"""helpers.box_search: the classifier-scored choice among a CAM's boxes (issue 33, round four).

A synthetic "red detector" stands in for the classifier: its score for "red" is the crop's mean redness, so the crop
that fits the red square best scores highest, and the search must return that box.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import helpers
from helpers import box_search as bs
from helpers.models import Classifier

SQUARE = (40, 30, 60, 50)  # the red square's box (x0, y0, x1, y1) in a 80 x 100 image


class RedDetector(nn.Module):
    """Logits (red, other): 20 x the mean of (R - (G + B) / 2) over the input, and 0."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(20.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        redness = (x[:, 0] - (x[:, 1] + x[:, 2]) / 2).mean(dim=(1, 2))
        return torch.stack([self.scale * redness, torch.zeros_like(redness)], dim=1)


@pytest.fixture()
def detector(red_classifier) -> Classifier:
    return red_classifier(RedDetector())


def scene() -> tuple[np.ndarray, np.ndarray]:
    """A grey 80 x 100 image with a red square, and a CAM: 1 on the square, 0.3 around it, 0.15 wider still."""
    image = np.full((80, 100, 3), 128, np.uint8)
    x0, y0, x1, y1 = SQUARE
    image[y0:y1, x0:x1] = (230, 20, 20)
    cam = np.zeros((80, 100), np.float32)
    cam[10:70, 15:85] = 0.15
    cam[20:60, 30:70] = 0.3
    cam[y0:y1, x0:x1] = 1.0
    return image, cam


def test_the_candidates_are_the_full_image_then_the_cams_boxes_without_duplicates() -> None:
    _, cam = scene()
    boxes, fractions = bs.candidate_boxes(cam)
    assert boxes == ((0, 0, 100, 80), (15, 10, 85, 70), (30, 20, 70, 60), SQUARE)
    assert fractions == (None, 0.10, 0.20, 0.35)  # the first fraction that gives each box


def test_the_crop_that_fits_the_object_scores_highest_and_is_returned(detector) -> None:
    image, cam = scene()
    image0, cam0 = image.copy(), cam.copy()
    found = bs.search_box(detector, image, cam, "red", alpha=0.0)
    assert found.box == SQUARE and found.fractions[found.index] == 0.35
    assert list(np.argsort(found.log_probs)) == [0, 1, 2, 3]  # redder as the box tightens
    np.testing.assert_allclose(found.area_shares, [1.0, 0.525, 0.2, 0.05])
    # a strong prior for large boxes (alpha < 0) takes the full image; `choose` needs no new pass
    assert found.choose(-10.0) == 0 and found.choose(0.0) == found.index
    loc = bs.search_localization(found, cam)
    assert loc.box == SQUARE and loc.mask.sum() == 400
    whole = bs.search_localization(bs.search_box(detector, image, cam, 0, alpha=-10.0), cam)
    assert whole.box == (0, 0, 100, 80) and whole.mask.all()
    np.testing.assert_array_equal(image, image0)  # inputs untouched
    np.testing.assert_array_equal(cam, cam0)
    assert detector.model.scale.grad is None  # no gradient reaches the parameters


def test_the_objective_trades_log_probability_for_area() -> None:
    lp, share = np.log([0.5, 0.4]), np.array([1.0, 0.25])
    np.testing.assert_allclose(bs.box_objective(lp, share, 0.0), lp)
    # alpha = 0.5: the quarter-size box gains 0.5 * log 4 = 0.69 nats, more than its log(0.5 / 0.4) = 0.22 loss
    assert np.argmax(bs.box_objective(lp, share, 0.5)) == 1 and np.argmax(bs.box_objective(lp, share, 0.1)) == 0


def test_context_box_widens_and_clips() -> None:
    assert bs.context_box((40, 30, 60, 50), 80, 100, 0.1) == (38, 28, 62, 52)
    assert bs.context_box((0, 0, 100, 80), 80, 100, 0.1) == (0, 0, 100, 80)


def test_bad_input_is_a_clear_error(detector) -> None:
    image, cam = scene()
    with pytest.raises(ValueError, match="at the image's size"):
        bs.search_box(detector, image, cam[:40], "red", alpha=0.0)
    for bad in (float("nan"), "0.5", True):
        with pytest.raises(ValueError, match="alpha must be a finite number"):
            bs.search_box(detector, image, cam, "red", alpha=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"margin must lie in \[0, 1\]"):
        bs.search_box(detector, image, cam, "red", alpha=0.0, margin=2.0)
    with pytest.raises(ValueError, match="at least one fraction"):
        bs.search_box(detector, image, cam, "red", alpha=0.0, fractions=())
    with pytest.raises(ValueError, match="inside a 80 x 100 image"):
        bs.context_box((50, 10, 40, 20), 80, 100)
    with pytest.raises(ValueError, match="non-empty 1-D arrays of one length"):
        bs.box_objective(np.zeros(2), np.ones(3), 0.0)
    with pytest.raises(ValueError, match=r"area_shares must lie in \(0, 1\]"):
        bs.box_objective(np.zeros(2), np.array([1.0, 0.0]), 0.0)
    with pytest.raises(TypeError, match="needs a helpers.Classifier"):
        bs.search_box(detector.model, image, cam, 0, alpha=0.0)  # type: ignore[arg-type]
    detector.model.train()
    with pytest.raises(ValueError, match="training mode"):
        bs.search_box(detector, image, cam, "red", alpha=0.0)


def test_search_follows_the_models_device_and_runs_lite0_on_a_photo(lite0) -> None:
    """On a real photo: the candidates are scored in one batch and the box is one of them."""
    image = helpers.load_image("coffee")
    cam = helpers.photos.gradcam_map(lite0, image, "espresso")
    found = bs.search_box(lite0, image, cam, "espresso", alpha=0.25)
    assert found.box in found.boxes and len(found.log_probs) == len(found.boxes) >= 2
    assert np.all(found.log_probs <= 0) and found.area_shares[0] == 1.0
    assert all(p.grad is None for p in lite0.model.parameters())


def test_deletion_keeps_the_smallest_box_that_removes_the_class_where_the_crop_prefers_a_part(detector) -> None:
    """A CAM peaking on half the object: the crop of that half is the reddest, but deleting it leaves the other half;
    the deletion score keeps the whole square (with a small alpha), the crop score the part."""
    image, cam = scene()
    x0, y0, x1, y1 = SQUARE
    cam[y0:y1, x0:x1] = 0.8
    cam[y0:y1, x0:50] = 1.0  # the CAM's peak: the left half
    image0 = image.copy()
    fractions = (0.1, 0.2, 0.5, 0.9)
    part = (40, 30, 50, 50)
    crop = bs.search_box(detector, image, cam, "red", alpha=0.1, fractions=fractions)
    deletion = bs.search_box(detector, image, cam, "red", alpha=0.1, fractions=fractions, score="delete")
    assert crop.boxes == deletion.boxes and crop.boxes[-2:] == (SQUARE, part)
    assert crop.box == part and deletion.box == SQUARE and deletion.score == "delete"
    # every box that holds the square removes the class alike: without the area prior the first (full image) wins
    np.testing.assert_allclose(deletion.evidence[:4], deletion.evidence[0], atol=0.05)  # the resize blurs its edge
    assert deletion.evidence[4] < deletion.evidence[0] - 0.1 and deletion.choose(0.0) == 0
    np.testing.assert_array_equal(image, image0)
    assert detector.model.scale.grad is None
    with pytest.raises(ValueError, match="score must be one of"):
        bs.search_box(detector, image, cam, "red", alpha=0.1, score="both")  # type: ignore[arg-type]
