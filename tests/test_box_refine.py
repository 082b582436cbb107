"""helpers.box_refine: GrabCut inside the CAM's box shrinks a blob larger than the object (issue 33, round seven).

Synthetic photos where the answer is known: a red square on a plain or a textured grey background, with a CAM blob
that spreads well past the square (so the CAM's own box is too large and only the colours can fix it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import box_refine as br
from helpers.cam import cam_box
from helpers.evaluation.boxes import iou

SQUARE = (40, 30, 70, 60)  # the red square's box (x0, y0, x1, y1) in a 100 x 120 photo


def scene(textured: bool = False, scale: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A 100 x 120 grey photo (noisy if `textured`) with a red square, and a smooth CAM blob twice the square's size."""
    h, w = 100 * scale, 120 * scale
    rng = np.random.default_rng(0)
    grey = rng.integers(100, 156, (h, w, 1)) if textured else np.full((h, w, 1), 128)
    image = np.repeat(grey, 3, axis=2).astype(np.uint8)
    x0, y0, x1, y1 = (v * scale for v in SQUARE)
    image[y0:y1, x0:x1] = (220, 30, 30)
    yy, xx = np.mgrid[:h, :w] / scale
    cam = np.exp(-(((yy - 47) / 30) ** 2 + ((xx - 57) / 30) ** 2)).astype(np.float32)
    return image, cam


def test_the_scene_is_a_test_the_cams_own_box_is_much_larger_than_the_square() -> None:
    _, cam = scene()
    assert iou(cam_box(cam, 0.2), SQUARE) < 0.5


@pytest.mark.parametrize("textured", [False, True], ids=["plain", "textured"])
def test_the_refined_box_is_the_squares(textured: bool) -> None:
    image, cam = scene(textured)
    assert br.grabcut_box(image, cam) == SQUARE


def test_a_photo_larger_than_max_side_is_cut_small_and_its_box_scaled_back() -> None:
    image, cam = scene(textured=True, scale=4)  # 400 x 480: worked at 267 x 320
    box = br.grabcut_box(image, cam)
    square = tuple(v * 4 for v in SQUARE)
    assert iou(box, square) > 0.95
    assert box[0] <= square[0] and box[1] <= square[1] and box[2] >= square[2] and box[3] >= square[3]


@pytest.mark.parametrize("frac, fg", [(0.1, 0.3), (0.3, 0.7)])
def test_every_setting_of_the_grid_finds_the_square(frac: float, fg: float) -> None:
    image, cam = scene(textured=True)
    assert iou(br.grabcut_box(image, cam, frac, fg), SQUARE) > 0.9


def test_inputs_are_never_modified_and_results_do_not_depend_on_call_order() -> None:
    image, cam = scene(textured=True)
    image0, cam0 = image.copy(), cam.copy()
    first = br.grabcut_box(image, cam, 0.2, 0.5)
    br.grabcut_box(image, cam, 0.1, 0.3)
    np.random.seed(1)
    assert br.grabcut_box(image, cam, 0.2, 0.5) == first
    np.testing.assert_array_equal(image, image0)
    np.testing.assert_array_equal(cam, cam0)


def test_the_seed_reaches_opencvs_random_start_and_zero_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    image, cam = scene(textured=True)
    default = br.grabcut_box(image, cam)
    seeds: list[int] = []
    real = br.cv2.setRNGSeed
    monkeypatch.setattr(br.cv2, "setRNGSeed", lambda s: (seeds.append(s), real(s)))
    assert br.grabcut_box(image, cam, seed=0) == default
    br.grabcut_box(image, cam, seed=3)
    assert seeds == [0, 3]


def test_a_tensor_map_gives_the_same_box() -> None:
    image, cam = scene()
    assert br.grabcut_box(image, torch.from_numpy(cam)) == br.grabcut_box(image, cam)


def test_a_map_that_points_nowhere_gives_the_whole_photo() -> None:
    image, cam = scene()
    assert br.grabcut_box(image, np.zeros_like(cam)) == (0, 0, 120, 100)


def test_a_foreground_seed_too_small_for_grabcut_falls_back_to_the_cams_box() -> None:
    image, _ = scene()
    cam = np.zeros((100, 120), np.float32)
    cam[50, 60] = 1.0  # one hot pixel: one probable-foreground pixel, fewer than a colour mixture needs
    assert br.grabcut_box(image, cam) == (60, 50, 61, 51) == cam_box(cam, 0.2)


def test_a_box_over_the_whole_photo_still_runs_with_probable_background_only() -> None:
    image, _ = scene()
    cam = np.full((100, 120), 0.25, np.float32)
    x0, y0, x1, y1 = SQUARE
    cam[y0:y1, x0:x1] = 1.0  # box at 0.2: the whole photo, so no definite background
    assert iou(br.grabcut_box(image, cam, 0.2, 0.5), SQUARE) > 0.9


def test_the_start_mask_fences_the_widened_box_and_seeds_the_hot_pixels() -> None:
    cam = np.zeros((50, 60), np.float32)
    cam[20:30, 20:40] = 0.4
    cam[22:28, 25:35] = 1.0
    mask = br.seed_mask(cam, (20, 20, 40, 30), 0.5)
    assert br.widen_box((20, 20, 40, 30), br.WIDEN, 50, 60) == (19, 19, 41, 31)
    assert (mask[:19] == 0).all() and (mask[:, 41:] == 0).all()  # cv2.GC_BGD
    assert (mask[22:28, 25:35] == 3).all()  # cv2.GC_PR_FGD
    assert mask[20, 20] == 2 and mask[19, 19] == 2  # cv2.GC_PR_BGD inside the widened box
    assert br.seeds_suffice(mask)
    assert not br.seeds_suffice(np.full((50, 60), 3, np.uint8))  # no background at all


def test_working_size_and_scale_back() -> None:
    assert br.working_size((480, 640), 320) == (240, 320)
    assert br.working_size((100, 120), 320) == (100, 120)  # never enlarged
    assert br.scale_box((10, 20, 30, 40), (240, 320), (480, 640)) == (20, 40, 60, 80)
    assert br.scale_box((0, 0, 320, 239), (239, 320), (480, 643)) == (0, 0, 643, 480)  # outwards, clipped


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda im, cam: (im[:, :, 0], cam), "grayscale"),
        (lambda im, cam: (im.astype(np.float32), cam), "uint8"),
        (lambda im, cam: (im, cam[:50]), "at the image's size"),
        (lambda im, cam: (im, -cam), "non-negative"),
        (lambda im, cam: (im, np.full_like(cam, np.nan)), "NaN"),
        (lambda im, cam: (im, cam[None, None, :, :, None]), "2-D"),
    ],
    ids=["grayscale", "float", "map size", "negative", "nan", "5-d"],
)
def test_bad_inputs_say_what_was_expected(change, message: str) -> None:
    image, cam = change(*scene())
    with pytest.raises((ValueError, TypeError), match=message):
        br.grabcut_box(image, cam)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"frac": 0.0}, "frac must lie in"),
        ({"frac": 1.5}, "frac must lie in"),
        ({"frac": True}, "frac must lie in"),
        ({"fg": -0.1}, "fg must lie in"),
        ({"fg": "0.5"}, "fg must lie in"),
        ({"max_side": 4}, "max_side"),
        ({"max_side": 320.0}, "max_side"),
        ({"iterations": 0}, "iterations"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"seed": 1.0}, "seed must be an integer >= 0"),
    ],
)
def test_parameters_out_of_range_are_refused(kwargs: dict, message: str) -> None:
    image, cam = scene()
    with pytest.raises(ValueError, match=message):
        br.grabcut_box(image, cam, **kwargs)


def test_the_benchmark_adapter_gives_the_protocols_settings_in_order_each_timed() -> None:
    benchmarks = Path(__file__).parent.parent / "benchmarks"
    if not benchmarks.is_dir():
        pytest.skip("the benchmarks folder is not part of an installed package")
    sys.path.insert(0, str(benchmarks))
    import cv7_grabcut

    assert cv7_grabcut.SETTINGS[:2] == ("f=0.1 t=0.3", "f=0.1 t=0.5") and len(cv7_grabcut.SETTINGS) == 9
    image, cam = scene()
    found = cv7_grabcut.boxes(None, image, cam, 0)
    assert list(found) == list(cv7_grabcut.SETTINGS)
    assert found["f=0.2 t=0.5"][0] == br.grabcut_box(image, cam, 0.2, 0.5)
    assert all(seconds > 0 for _, seconds in found.values())
