"""helpers.cam_zoom: the second Grad-CAM pass on the zoomed-in region of the first map's box (issue 33, round seven).

A synthetic "red detector" stands in for the classifier: its last activation is the redness of each input pixel and
its "red" score their mean, so its Grad-CAM is the redness map at the input's resolution. On the whole 240 x 240
photo (seen at 32 px) a 24 px red square is 3 input pixels and its CAM a blur much larger than the square; on the
zoomed crop it is many more input pixels and the box tightens onto the square (to within the crop's resizing blur).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from helpers import cam_zoom as cz
from helpers.cam import cam_box
from helpers.evaluation.boxes import iou
from helpers.models import Classifier
from helpers.photos import QUANTISATION_LEVELS, gradcam_map

SIDE = 240
SQUARE = (100, 120, 124, 144)  # the red square's box (x0, y0, x1, y1)
BLOB = (64, 84, 160, 180)  # the first map's box: the square widened by 1.5 x its side on each side


class RedDetector(nn.Module):
    """Features: ReLU of each pixel's redness R - (G + B) / 2; logits (red, other): their mean and 0. Counts passes."""

    def __init__(self) -> None:
        super().__init__()
        self.redness = nn.Conv2d(3, 1, 1, bias=False)
        self.redness.weight.data[:] = torch.tensor([1.0, -0.5, -0.5]).view(1, 3, 1, 1)
        self.relu = nn.ReLU()
        self.passes = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.passes += 1
        red = self.relu(self.redness(x)).mean(dim=(1, 2, 3))
        return torch.stack([red, torch.zeros_like(red)], dim=1)


@pytest.fixture()
def detector(red_classifier) -> Classifier:
    return red_classifier(RedDetector())


def scene(textured: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A grey (or grey-textured) photo with a red square, and a first map: 1 on a blob 4 x the square's side."""
    rng = np.random.default_rng(0)
    grey = rng.integers(60, 200, (SIDE, SIDE, 1)) if textured else np.full((SIDE, SIDE, 1), 128)
    image = np.repeat(grey, 3, axis=2).astype(np.uint8)
    x0, y0, x1, y1 = SQUARE
    image[y0:y1, x0:x1] = (230, 20, 20)
    cam = np.zeros((SIDE, SIDE), np.float32)
    bx0, by0, bx1, by1 = BLOB
    cam[by0:by1, bx0:bx1] = 0.5
    cam[y0:y1, x0:x1] = 1.0
    return image, cam


def test_widen_box_rounds_outwards_and_clips_to_the_photo() -> None:
    assert cz.widen_box((10, 20, 30, 60), 0.25, 100, 100) == (5, 10, 35, 70)
    assert cz.widen_box((10, 20, 31, 61), 0.1, 100, 100) == (7, 15, 34, 66)  # 2.1 and 4.1 px: rounded outwards
    assert cz.widen_box((0, 0, 90, 50), 0.5, 60, 100) == (0, 0, 100, 60)
    assert cz.widen_box((10, 20, 30, 60), 0.0, 100, 100) == (10, 20, 30, 60)


@pytest.mark.parametrize("textured", [False, True])
def test_the_zoomed_box_fits_the_square_the_first_box_does_not(detector, textured: bool) -> None:
    image, cam = scene(textured)
    assert cam_box(cam) == BLOB and iou(BLOB, SQUARE) < 0.1
    first = gradcam_map(detector, image, 0)  # the detector's own first pass: a blur larger than the square
    assert iou(cam_box(first), SQUARE) < 0.65
    for margin in (0.1, 0.25, 0.5):
        box = cz.zoom_box(detector, image, "red", cam, margin=margin)  # the crop, resized to 32 px, blurs ~2 px
        assert iou(box, SQUARE) >= 0.7, (margin, box)
        assert iou(cz.zoom_box(detector, image, 0, first, margin=margin), SQUARE) >= 0.8


def test_the_zoomed_map_is_zero_outside_the_crop_quantised_and_at_the_photos_size(detector) -> None:
    image, cam = scene()
    zoomed = cz.zoom_cam(detector, image, 0, cam, margin=0.25)
    assert zoomed.shape == cam.shape and zoomed.dtype == np.float32 and zoomed.max() == 1.0
    x0, y0, x1, y1 = cz.widen_box(BLOB, 0.25, SIDE, SIDE)
    outside = np.ones(cam.shape, bool)
    outside[y0:y1, x0:x1] = False
    assert not zoomed[outside].any() and zoomed[y0:y1, x0:x1].any()
    np.testing.assert_array_equal(zoomed * QUANTISATION_LEVELS, np.round(zoomed * QUANTISATION_LEVELS))


def test_inputs_are_untouched_and_the_result_is_deterministic(detector) -> None:
    image, cam = scene(textured=True)
    image0, cam0 = image.copy(), cam.copy()
    a = cz.zoom_cam(detector, image, 0, cam)
    b = cz.zoom_cam(detector, image, 0, cam)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(image, image0)
    np.testing.assert_array_equal(cam, cam0)
    assert not any(p.grad is not None for p in detector.model.parameters())


def test_a_box_covering_most_of_the_photo_keeps_the_first_map_without_a_second_pass(detector) -> None:
    image, _ = scene()
    cam = np.zeros((SIDE, SIDE), np.float32)
    cam[12:228, 12:228] = 1.0  # widened by 0.1 x 216 px on each side: 100% of the photo
    kept = cz.zoom_cam(detector, image, 0, cam, margin=0.1)
    np.testing.assert_array_equal(kept, cam)
    assert kept is not cam and detector.model.passes == 0
    kept[:] = 0  # a copy: the caller's map is not aliased
    assert cam.max() == 1.0
    # all zeros: the first box is the whole photo, so the map is kept as it is
    np.testing.assert_array_equal(cz.zoom_cam(detector, image, 0, np.zeros_like(cam)), np.zeros_like(cam))
    assert detector.model.passes == 0


def test_just_under_the_cover_limit_the_crop_is_explained() -> None:
    cam = np.zeros((100, 100), np.float32)
    cam[5:94, 5:94] = 1.0  # 89 px; widened by 0 -> 79% of the photo, by 0.01 -> 91 px = 83%
    assert cz.zoom_region(cam, 0.0) == (5, 5, 94, 94)
    assert cz.zoom_region(cam, 0.01) is None


def test_target_none_is_the_whole_photos_top_class(detector) -> None:
    image, cam = scene()
    np.testing.assert_array_equal(cz.zoom_cam(detector, image, None, cam), cz.zoom_cam(detector, image, 0, cam))


@pytest.mark.parametrize(
    ("cam", "error", "words"),
    [
        (np.zeros((SIDE, SIDE - 1), np.float32), ValueError, "photo's size"),
        (np.zeros((SIDE, SIDE), np.uint8), TypeError, "floating"),
        (np.full((SIDE, SIDE), -1.0, np.float32), ValueError, "non-negative"),
        (np.full((SIDE, SIDE), np.nan, np.float32), ValueError, "finite"),
        (torch.zeros(SIDE, SIDE), TypeError, "numpy"),
    ],
)
def test_a_bad_first_map_is_a_clear_error(detector, cam, error, words: str) -> None:
    image, _ = scene()
    with pytest.raises(error, match=words):
        cz.zoom_cam(detector, image, 0, cam)


@pytest.mark.parametrize("margin", [-0.1, float("nan"), float("inf"), True, "0.25", None])
def test_a_bad_margin_is_a_clear_error(detector, margin) -> None:
    image, cam = scene()
    with pytest.raises(ValueError, match="margin must be"):
        cz.zoom_box(detector, image, 0, cam, margin=margin)


@pytest.mark.parametrize(("rule", "value"), [("frac", 0.0), ("frac", 1.5), ("mass", 0.0), ("largest", 0.2)])
def test_a_bad_rule_fails_before_the_second_pass(detector, rule: str, value: float) -> None:
    image, cam = scene()
    with pytest.raises(ValueError):
        cz.zoom_box(detector, image, 0, cam, rule=rule, value=value)  # type: ignore[arg-type]
    assert detector.model.passes == 0


def test_bad_images_and_targets_are_clear_errors(detector) -> None:
    image, cam = scene()
    with pytest.raises(ValueError, match="RGB"):
        cz.zoom_cam(detector, image[..., :2], 0, cam)
    with pytest.raises(IndexError):
        cz.zoom_cam(detector, image, 5, cam)


def test_the_rules_are_the_cam_rules_on_the_zoomed_map(detector) -> None:
    image, cam = scene(textured=True)
    zoomed = cz.zoom_cam(detector, image, 0, cam, margin=0.5)
    for rule, value in (("frac", 0.3), ("otsu", None), ("mass", 0.7)):
        assert cz.zoom_box(detector, image, 0, cam, margin=0.5, rule=rule, value=value) == cam_box(
            zoomed, value, rule=rule
        )
