"""Tests for helpers.localization: the GraphCut pipeline, its bad inputs, boxes, VOC files and the CLI."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from helpers import localization as loc
from helpers import toyworld
from helpers.evaluation import boxes as box_eval
from helpers.evaluation import ilsvrc, voc


@pytest.fixture(scope="module")
def world() -> toyworld.ToyDataset:
    return toyworld.generate(24, seed=4321)


def soft_mask(mask: np.ndarray, sigma: float = 2.0, noise: float = 0.2, seed: int = 0) -> np.ndarray:
    """A saliency-like map from an exact mask: blurred, plus noise."""
    rng = np.random.default_rng(seed)
    blurred = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma)
    return blurred + noise * rng.random(mask.shape, dtype=np.float32)


# ---------------------------------------------------------------------------------------------- normal inputs


@pytest.mark.parametrize("init, hard", [(init, "none") for init in loc.GRABCUT_INITS] + [("seeds", "both")])
def test_localize_finds_toy_objects_from_mask_saliency(world: toyworld.ToyDataset, init: str, hard: str) -> None:
    ious = []
    for i in range(len(world)):
        result = loc.localize(world.images[i], soft_mask(world.masks[i], seed=i), init=init, hard=hard)
        ious.append(box_eval.iou(result.box, world.boxes[i]))
    assert np.mean(np.array(ious) >= 0.5) >= 0.9
    assert np.mean(ious) >= 0.75


def test_localization_fields_are_consistent(world: toyworld.ToyDataset) -> None:
    image, mask = world.images[0], world.masks[0]
    result = loc.localize(image, soft_mask(mask))
    assert result.mask.shape == result.seeds.shape == result.segmentation.shape == mask.shape
    assert result.mask.dtype == bool and result.seeds.dtype == np.int8
    assert set(np.unique(result.seeds)) <= {loc.FOREGROUND_SEED, loc.UNSEEDED, loc.BACKGROUND_SEED}
    assert not (result.mask & ~result.segmentation).any()  # the object is part of the foreground
    assert cv2.connectedComponents(result.mask.astype(np.uint8), connectivity=8)[0] == 2  # one component
    assert result.box == loc.mask_box(result.mask)
    # hard seeds stay what they are: foreground seeds are foreground, background seeds background
    hard = loc.localize(image, soft_mask(mask), hard="both")
    assert hard.segmentation[hard.seeds == loc.FOREGROUND_SEED].all()
    assert not hard.segmentation[hard.seeds == loc.BACKGROUND_SEED].any()
    # about 5% foreground and 30% background seeds
    assert 0.03 <= np.mean(result.seeds == loc.FOREGROUND_SEED) <= 0.07
    assert 0.27 <= np.mean(result.seeds == loc.BACKGROUND_SEED) <= 0.33


def test_largest_component_is_kept() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 60, (80, 80, 3), dtype=np.uint8)
    image[10:40, 10:40] = (230, 30, 30)  # big red square
    image[60:70, 60:70] = (230, 30, 30)  # small red square, same colour
    saliency = np.zeros((80, 80), np.float32)
    saliency[12:38, 12:38] = 1.0
    saliency[62:68, 62:68] = 1.0
    saliency += 0.01 * rng.random((80, 80), dtype=np.float32)
    result = loc.localize(image, saliency)
    assert result.segmentation[60:70, 60:70].mean() > 0.5  # both squares are foreground ...
    assert box_eval.iou(result.box, (10, 10, 40, 40)) > 0.9  # ... but the box is the big one's


def test_localize_is_deterministic_and_does_not_mutate(world: toyworld.ToyDataset) -> None:
    image, saliency = world.images[1], soft_mask(world.masks[1])
    image_copy, saliency_copy = image.copy(), saliency.copy()
    a, b = loc.localize(image, saliency), loc.localize(image, saliency)
    assert a.box == b.box and np.array_equal(a.mask, b.mask)
    assert np.array_equal(image, image_copy) and np.array_equal(saliency, saliency_copy)


@pytest.mark.parametrize("side", [16, 32, 128, 200])
def test_saliency_at_another_resolution_is_resized(world: toyworld.ToyDataset, side: int) -> None:
    image, mask = world.images[2], world.masks[2]
    small = cv2.resize(soft_mask(mask), (side, side), interpolation=cv2.INTER_AREA if side < 64 else cv2.INTER_LINEAR)
    result = loc.localize(image, small)
    assert result.mask.shape == (64, 64)
    assert box_eval.iou(result.box, world.boxes[2]) >= 0.6


def test_saliency_as_tensor_with_leading_axes(world: toyworld.ToyDataset) -> None:
    saliency = soft_mask(world.masks[3])
    from_array = loc.localize(world.images[3], saliency)
    from_tensor = loc.localize(world.images[3], torch.from_numpy(saliency)[None, None])
    assert from_array.box == from_tensor.box


def test_non_square_image_and_working_scale() -> None:
    rng = np.random.default_rng(2)
    image = rng.integers(0, 80, (90, 150, 3), dtype=np.uint8)
    image[20:60, 80:130] = (40, 200, 220)
    saliency = np.zeros((90, 150), np.float32)
    saliency[20:60, 80:130] = 1.0  # the saliency covers the object (bg seeds fall outside it)
    saliency += 0.05 * rng.random(saliency.shape, dtype=np.float32)
    for kwargs in ({}, {"min_side": 180}, {"max_side": 64}):
        result = loc.localize(image, saliency, **kwargs)
        assert result.mask.shape == (90, 150), kwargs
        assert box_eval.iou(result.box, (80, 20, 130, 60)) >= 0.8, kwargs


def test_grayscale_image_is_accepted_like_its_rgb_copy(world: toyworld.ToyDataset) -> None:
    gray = cv2.cvtColor(world.images[4], cv2.COLOR_RGB2GRAY)
    saliency = soft_mask(world.masks[4])
    a = loc.localize(gray, saliency)
    b = loc.localize(np.repeat(gray[:, :, None], 3, axis=2), saliency)
    assert a.box == b.box
    assert np.array_equal(loc.localize(gray[:, :, None], saliency).mask, a.mask)


def test_iterations_one_is_the_papers_single_cut(world: toyworld.ToyDataset) -> None:
    result = loc.localize(world.images[5], soft_mask(world.masks[5]), iterations=1)
    assert box_eval.iou(result.box, world.boxes[5]) >= 0.5


# ---------------------------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("value", [0.0, 1.0, -3.5])
def test_constant_saliency_raises_clear_error(world: toyworld.ToyDataset, value: float) -> None:
    with pytest.raises(ValueError, match="constant"):
        loc.localize(world.images[0], np.full((64, 64), value, np.float32))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_saliency_raises(world: toyworld.ToyDataset, bad: float) -> None:
    saliency = soft_mask(world.masks[0])
    saliency[5, 5] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        loc.localize(world.images[0], saliency)


def test_seeds_leaving_one_side_empty_raise_localization_error(world: toyworld.ToyDataset) -> None:
    saliency = np.ones((64, 64), np.float32)
    saliency[:2, :2] = 0.0  # 4 low pixels: the 30% and 95% quantiles both equal 1, no pixel is above
    with pytest.raises(loc.LocalizationError, match="0 foreground"):
        loc.localize(world.images[0], saliency, smooth=0.0)
    saliency = np.zeros((64, 64), np.float32)
    saliency[:1, :3] = 1.0  # 3 salient pixels (unblurred): fewer than the 5 the colour model needs
    with pytest.raises(loc.LocalizationError, match="3 foreground"):
        loc.localize(world.images[0], saliency, smooth=0.0)
    with pytest.raises(loc.LocalizationError, match="3 foreground"):
        loc.localize(world.images[0], saliency, loc.PAPER)
    assert issubclass(loc.LocalizationError, ValueError)


def test_two_valued_saliency_splits_ties_into_disjoint_seeds() -> None:
    saliency = np.zeros((40, 40), np.float32)
    saliency[10:20, 10:20] = 1.0  # 6% of the pixels: the 95% quantile is 1, the 30% quantile 0
    seeds = loc.saliency_seeds(saliency)
    assert np.array_equal(seeds == loc.FOREGROUND_SEED, saliency == 1.0)
    assert np.array_equal(seeds == loc.BACKGROUND_SEED, saliency == 0.0)


@pytest.mark.parametrize("shape", [(6, 6, 3), (7, 100, 3)])
def test_too_small_image_raises(shape: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError, match="too small"):
        loc.localize(np.zeros(shape, np.uint8), np.random.default_rng(0).random(shape[:2]))


@pytest.mark.parametrize(
    "image, match",
    [
        (np.zeros((32, 32, 3), np.float32), "uint8"),
        (np.zeros((32, 32, 4), np.uint8), "RGBA"),
        (np.zeros((32, 32), np.float64), "grayscale"),
        ([[1, 2], [3, 4]], "numpy array"),
    ],
)
def test_bad_images_raise(image: object, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        loc.localize(image, np.random.default_rng(0).random((32, 32)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "saliency, match", [(np.zeros((2, 32, 32)), "2-D"), (np.zeros(10), "2-D"), ("map", "numpy array")]
)
def test_bad_saliency_shapes_raise(saliency: object, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        loc.localize(np.zeros((32, 32, 3), np.uint8), saliency)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"fg_quantile": 0.3, "bg_quantile": 0.95}, "bg_quantile < fg_quantile"),
        ({"fg_quantile": 95}, r"\[0, 1\]"),
        ({"bg_quantile": -0.1}, r"\[0, 1\]"),
        ({"fg_quantile": float("nan")}, "number"),
        ({"iterations": 0}, "iterations"),
        ({"iterations": 2.5}, "iterations"),
        ({"init": "foreground"}, "init"),
        ({"min_side": 0}, "min_side"),
        ({"hard": "yes"}, "hard"),
        ({"smooth": 2.0}, "smooth"),
    ],
)
def test_bad_parameters_raise(world: toyworld.ToyDataset, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        loc.localize(world.images[0], soft_mask(world.masks[0]), **kwargs)


# ---------------------------------------------------------------------------------------------- boxes and scores


def test_iou_cases() -> None:
    assert box_eval.iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert box_eval.iou((0, 0, 10, 10), (10, 0, 20, 10)) == 0.0  # touching edges share no pixel (x1 exclusive)
    assert box_eval.iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    # apart along one axis only: the other axis overlaps, so an unclipped negative width would give a negative IoU
    assert box_eval.iou((0, 0, 10, 10), (20, 0, 30, 10)) == 0.0
    assert box_eval.iou((0, 0, 10, 10), (0, 20, 10, 30)) == 0.0
    assert box_eval.box_ious(np.array([[0, 0, 10, 10]] * 2), np.array([[20, 0, 30, 10], [0, 20, 10, 30]])).tolist() == [
        0.0,
        0.0,
    ]
    assert box_eval.iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert box_eval.iou((0, 0, 10, 10), (2, 2, 4, 4)) == pytest.approx(4 / 100)  # contained
    assert box_eval.iou((0, 0, 10, 10), (5, 5, 5, 5)) == 0.0  # empty box
    assert box_eval.iou((3, 3, 3, 3), (3, 3, 3, 3)) == 0.0  # two empty boxes: defined as 0
    a, b = (1.5, 2, 7, 9), np.array([3, 1, 8, 6])
    assert box_eval.iou(a, b) == pytest.approx(box_eval.iou(b, a))


@pytest.mark.parametrize("bad", [(0, 0, 10), (10, 0, 0, 10), (0, 10, 10, 0), (0, 0, np.nan, 5), "abcd"])
def test_iou_rejects_bad_boxes(bad: object) -> None:
    with pytest.raises(ValueError, match="box"):
        box_eval.iou(bad, (0, 0, 5, 5))  # type: ignore[arg-type]


def test_evaluate_boxes() -> None:
    true = np.array([[0, 0, 10, 10]] * 4)
    pred = np.array([[0, 0, 10, 10], [0, 0, 10, 5], [0, 0, 10, 4], [50, 50, 60, 60]])  # IoU 1, 0.5, 0.4, 0
    scores = box_eval.evaluate_boxes(pred, true)
    assert scores["accuracy"] == 0.5  # IoU exactly 0.5 counts as correct
    assert scores["mean_iou"] == pytest.approx(1.9 / 4)
    assert scores["n"] == 4
    with pytest.raises(ValueError, match="as many"):
        box_eval.evaluate_boxes(pred[:3], true)
    with pytest.raises(ValueError, match="at least one"):
        box_eval.evaluate_boxes(np.zeros((0, 4)), np.zeros((0, 4)))


def test_baselines(world: toyworld.ToyDataset) -> None:
    mask = world.masks[0]
    assert loc.threshold_box(mask.astype(np.float32), quantile=0.5) == tuple(world.boxes[0])
    small = cv2.resize(mask.astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA)
    assert box_eval.iou(loc.threshold_box(small, (64, 64), quantile=0.7), world.boxes[0]) > 0.7
    with pytest.raises(ValueError, match="constant"):
        loc.threshold_box(np.zeros((8, 8)))
    assert loc.centred_box((64, 64), 0.5) == (16, 16, 48, 48)
    x0, y0, x1, y1 = loc.centred_box((90, 150), 0.4)
    assert (x1 - x0, y1 - y0) == (60, 36) and x0 + x1 == 150 and y0 + y1 == 90
    with pytest.raises(ValueError, match="fraction"):
        loc.centred_box((64, 64), 0.0)


def test_localize_boxes_falls_back_to_the_whole_image_when_asked(world: toyworld.ToyDataset) -> None:
    images = world.images[:3]
    maps = [soft_mask(world.masks[0]), np.ones((64, 64)) - np.eye(64)[0], soft_mask(world.masks[2])]
    with pytest.raises(loc.LocalizationError):
        loc.localize_boxes(images, maps)
    boxes = loc.localize_boxes(images, maps, on_error="full_image")
    assert boxes.shape == (3, 4) and tuple(boxes[1]) == (0, 0, 64, 64)


# ---------------------------------------------------------------------------------------------- VOC files and the CLI


def test_voc_round_trip(tmp_path) -> None:
    ann = voc.VocAnnotation(
        "a.png", 64, 48, (voc.VocObject("star", (0, 3, 64, 48)), voc.VocObject("ring", (5, 6, 7, 8)))
    )
    voc.write_voc(tmp_path / "a.xml", ann)
    text = (tmp_path / "a.xml").read_text()
    assert "<xmin>1</xmin>" in text and "<xmax>64</xmax>" in text  # VOC: 1-based, inclusive
    assert voc.read_voc(tmp_path / "a.xml") == ann


def test_read_voc_bad_files(tmp_path) -> None:
    (tmp_path / "broken.xml").write_text("<annotation><size>")
    with pytest.raises(ValueError, match="VOC XML"):
        voc.read_voc(tmp_path / "broken.xml")
    (tmp_path / "empty.xml").write_text("<annotation><size><width>4</width><height>4</height></size></annotation>")
    with pytest.raises(ValueError, match="no <object>"):
        voc.read_voc(tmp_path / "empty.xml")


def write_fixture(folder, data: toyworld.ToyDataset, *, shift: int = 0, names: list[str] | None = None):
    """ILSVRC-style folder pair from toy images: images/*.png and boxes/*.xml (boxes shifted by `shift`)."""
    images, boxes = folder / "images", folder / "boxes"
    images.mkdir(parents=True)
    boxes.mkdir()
    for i in range(len(data)):
        stem = f"toy_{i:04d}"
        cv2.imwrite(str(images / f"{stem}.png"), data.images[i][:, :, ::-1])
        x0, y0, x1, y1 = (int(v) for v in data.boxes[i])
        box = (min(x0 + shift, 63), y0, min(x1 + shift, 64), y1)
        name = names[i] if names else toyworld.CLASSES[int(data.labels[i])]
        voc.write_voc(boxes / f"{stem}.xml", voc.VocAnnotation(f"{stem}.png", 64, 64, (voc.VocObject(name, box),)))
    return images, boxes


@pytest.mark.slow
def test_ilsvrc_cli_on_toy_fixture(tmp_path, toy, capsys) -> None:
    data = toyworld.generate(30, seed=777)
    images, boxes = write_fixture(tmp_path / "good", data)
    pairs = ilsvrc.pair_images_and_boxes(images, boxes)
    top1 = ilsvrc.ilsvrc_localization_error(toy, pairs, batch_size=8, top_k=1, progress=False)
    top5 = ilsvrc.ilsvrc_localization_error(toy, pairs, batch_size=8, top_k=5, progress=False)
    assert top5.n_images == 30 and top5.top_k == 5
    assert top5.classification_error <= top5.localization_error <= top1.localization_error
    # The command uses localize_photo, the photo recipe (Grad-CAM + CAM protocol): on the toy CNN its CAM is 8 x 8 at
    # 64 px, too coarse for shapes spanning a third of the side, so it boxes only 8 of the 30 (GraphCut: most of them).
    assert round(top5.localization_error * 30) == 22
    # wrong boxes (moved 40 px right) make every localization wrong; the classification is unchanged
    images_bad, boxes_bad = write_fixture(tmp_path / "bad", data, shift=40)
    bad = ilsvrc.ilsvrc_localization_error(toy, ilsvrc.pair_images_and_boxes(images_bad, boxes_bad), progress=False)
    assert bad.localization_error == 1.0 and bad.classification_error == top5.classification_error
    # the command line gives the same numbers
    code = ilsvrc.main(
        [
            "evaluate",
            "--images",
            str(images),
            "--boxes",
            str(boxes),
            "--model",
            "toy",
            "--device",
            "cpu",
            "--batch-size",
            "16",
            "--no-progress",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert f"top-5 localization error {100 * top5.localization_error:.1f}%" in out


def test_ilsvrc_cli_errors(tmp_path, capsys) -> None:
    data = toyworld.generate(3, seed=5)
    images, boxes = write_fixture(tmp_path / "wnid", data, names=["n01440764"] * 3)
    assert (
        ilsvrc.main(
            [
                "evaluate",
                "--images",
                str(images),
                "--boxes",
                str(boxes),
                "--model",
                "toy",
                "--device",
                "cpu",
                "--no-progress",
            ]
        )
        == 2
    )
    assert "--synsets" in capsys.readouterr().err
    (boxes / "toy_0000.xml").unlink()
    assert (
        ilsvrc.main(["evaluate", "--images", str(images), "--boxes", str(boxes), "--model", "toy", "--device", "cpu"])
        == 2
    )
    assert "no XML box file" in capsys.readouterr().err


def _striped_image_and_map() -> tuple[np.ndarray, np.ndarray]:
    """A 90x150 image with one object and a saliency map that covers it."""
    image = np.random.default_rng(2).integers(0, 80, (90, 150, 3), dtype=np.uint8)
    image[20:60, 80:130] = (40, 200, 220)
    saliency = np.zeros((90, 150), np.float32)
    saliency[20:60, 80:130] = 1.0
    return image, saliency


@pytest.mark.parametrize("shape", [(45, 75), (30, 50), (181, 301), (46, 75)])
def test_same_aspect_map_at_another_resolution_is_resized(shape: tuple[int, int]) -> None:
    image, saliency = _striped_image_and_map()
    resized = cv2.resize(saliency, shape[::-1], interpolation=cv2.INTER_LINEAR)
    assert box_eval.iou(loc.localize(image, resized).box, (80, 20, 130, 60)) >= 0.7


def test_transposed_map_is_refused_with_a_hint() -> None:
    image, saliency = _striped_image_and_map()
    with pytest.raises(ValueError, match=r"150x90 \(HxW\) but the image is 90x150.*transposed: pass saliency\.T"):
        loc.localize(image, saliency.T)


@pytest.mark.parametrize("shape", [(90, 90), (224, 224), (60, 150)])
def test_map_of_another_aspect_ratio_is_refused(shape: tuple[int, int]) -> None:
    image, _ = _striped_image_and_map()
    with pytest.raises(ValueError, match="aspect ratios differ") as err:
        loc.localize(image, np.random.default_rng(0).random(shape, dtype=np.float32))
    assert "transposed" not in str(err.value)


# ---------------------------------------------------------------------------------------------- no-network baselines
def _scene(blob: bool) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A grey 64 px scene with a red square (the object) and, if asked, a larger red bar elsewhere."""
    img = np.full((64, 64, 3), 120, np.uint8)
    img[8:24, 8:24] = (220, 30, 30)
    if blob:
        img[36:58, 20:60] = (220, 30, 30)
    return img, (8, 8, 24, 24)


@pytest.mark.parametrize("baseline", [loc.grabcut_box, loc.colour_box])
def test_no_network_baselines_box_a_lone_object(baseline) -> None:
    img, truth = _scene(blob=False)
    assert box_eval.iou(baseline(img), truth) >= 0.8


def test_colour_box_is_fooled_by_a_larger_region_of_the_object_colour() -> None:
    """Colour alone cannot tell the object from a same-coloured distractor: the rule boxes the larger one."""
    img, truth = _scene(blob=True)
    assert box_eval.iou(loc.colour_box(img), truth) < 0.1


def _map_on_object() -> np.ndarray:
    """A saliency map that is high on the scene's small square (the object) and low elsewhere, with a little noise."""
    sal = np.random.default_rng(0).random((64, 64)).astype(np.float32) * 0.1
    sal[10:22, 10:22] += 1.0
    return sal


@pytest.mark.parametrize("baseline", [loc.grabcut_box, loc.colour_box])
def test_the_most_salient_component_picks_the_object_the_largest_misses(baseline) -> None:
    """Given a map, the rules box the component holding the most saliency: the small object, not the larger bar."""
    img, truth = _scene(blob=True)
    assert box_eval.iou(baseline(img), truth) < 0.1  # the largest region is the bar
    assert box_eval.iou(baseline(img, saliency=_map_on_object()), truth) >= 0.8


def test_most_salient_component_takes_the_mean_per_pixel_not_the_sum() -> None:
    """A larger region with more summed saliency loses to a smaller one the map points at (higher mean)."""
    mask = np.zeros((20, 20), bool)
    mask[0:5, 0:5] = True  # 25 px, mean 2.0, sum 50
    mask[10:20, 10:20] = True  # 100 px, mean 1.0, sum 100
    sal = np.zeros((20, 20), np.float32)
    sal[0:5, 0:5], sal[10:20, 10:20] = 2.0, 1.0
    assert np.array_equal(loc.most_salient_component(mask, sal), np.pad(np.ones((5, 5), bool), ((0, 15), (0, 15))))
    assert not loc.most_salient_component(np.zeros((20, 20), bool), sal).any()
    with pytest.raises(ValueError, match="same"):
        loc.most_salient_component(mask, sal[:5])


def test_most_salient_component_ignores_speckle_unless_nothing_larger_exists() -> None:
    """A 4-px hot spot does not win over a region of >= MIN_CHOICE_AREA px; alone with other speckle, it does."""
    mask = np.zeros((20, 20), bool)
    mask[0:2, 0:2] = True  # 4 px, very salient
    mask[10:20, 10:20] = True  # 100 px, less salient
    sal = np.full((20, 20), 0.1, np.float32)
    sal[0:2, 0:2] = 5.0
    assert loc.most_salient_component(mask, sal)[15, 15]
    mask[10:20, 10:20] = False
    mask[10:12, 10:12] = True  # now two specks
    assert loc.most_salient_component(mask, sal)[0, 0]
    with pytest.raises(ValueError, match="min_area"):
        loc.most_salient_component(mask, sal, min_area=0)


def test_second_largest_component_and_edge_map() -> None:
    """The no-network choosers: the runner-up by size, and a Sobel map high on edges and zero on flat colour."""
    mask = np.zeros((20, 20), bool)
    mask[0:3, 0:3], mask[10:20, 10:20], mask[0:5, 12:17] = True, True, True  # 9, 100, 25 px
    assert loc.second_largest_component(mask).sum() == 25 and loc.second_largest_component(mask)[0, 12]
    assert loc.second_largest_component(np.pad(np.ones((2, 2), bool), 3)).sum() == 4  # alone: itself
    assert not loc.second_largest_component(np.zeros((5, 5), bool)).any()
    img = np.zeros((20, 20, 3), np.uint8)
    img[:, 10:] = 200
    edges = loc.edge_map(img)
    assert edges.shape == (20, 20) and edges[:, 9:11].min() > 0 and edges[:, :5].max() == 0 and edges[:, 15:].max() == 0


def test_a_choice_map_of_another_size_is_refused() -> None:
    img, _ = _scene(blob=True)
    for baseline in (loc.grabcut_box, loc.colour_box):
        with pytest.raises(ValueError, match="saliency must have the image's"):
            baseline(img, saliency=np.ones((32, 32), np.float32))


def test_no_network_baselines_reject_bad_input() -> None:
    img, _ = _scene(blob=False)
    with pytest.raises(ValueError, match="distance must be a positive number"):
        loc.colour_box(img, distance=0)
    with pytest.raises(ValueError, match="no rectangle"):
        loc.grabcut_box(img[:9, :9], margin=4)
    with pytest.raises((TypeError, ValueError)):
        loc.grabcut_box(img.astype(np.float32))


def test_no_network_baselines_leave_the_image_alone() -> None:
    img, _ = _scene(blob=True)
    before = img.copy()
    sal = _map_on_object()
    sal_before = sal.copy()
    loc.grabcut_box(img), loc.colour_box(img), loc.grabcut_box(img, saliency=sal), loc.colour_box(img, saliency=sal)
    assert np.array_equal(img, before) and np.array_equal(sal, sal_before)


# ---------------------------------------------------------------------------------------------- ILSVRC --method
def test_ilsvrc_method_paper_runs_the_papers_pipeline(tmp_path, toy, capsys, monkeypatch) -> None:
    """--method paper boxes each guessed class with localize_photo_paper (never localize_photo); full_image is the trivial box."""
    from helpers import photos

    data = toyworld.generate(6, seed=777)
    images, boxes = write_fixture(tmp_path, data)
    pairs = ilsvrc.pair_images_and_boxes(images, boxes)
    calls = []
    original = photos.localize_photo_paper
    monkeypatch.setattr(ilsvrc, "localize_photo_paper", lambda *a, **k: calls.append(a[2]) or original(*a, **k))
    monkeypatch.setattr(ilsvrc, "localize_photo", lambda *a, **k: pytest.fail("--method paper ran localize_photo"))
    result = ilsvrc.ilsvrc_localization_error(toy, pairs, top_k=1, progress=False, method="paper")
    assert sorted(calls) == sorted(int(k) for k in data.labels)  # the toy CNN guesses every class right
    right = [
        box_eval.iou(original(toy, data.images[i], int(data.labels[i])).box, tuple(data.boxes[i])) >= 0.5
        for i in range(len(data))
    ]
    assert result.localization_error == pytest.approx(1.0 - np.mean(right))
    full = ilsvrc.ilsvrc_localization_error(toy, pairs, top_k=1, progress=False, method="full_image")
    assert full.localization_error == 1.0  # toy objects are far smaller than the frame
    assert (
        ilsvrc.main(
            [
                "evaluate",
                "--images",
                str(images),
                "--boxes",
                str(boxes),
                "--model",
                "toy",
                "--device",
                "cpu",
                "--top-k",
                "1",
                "--method",
                "paper",
                "--no-progress",
            ]
        )
        == 0
    )
    assert (
        f"paper: 6 images | top-1 localization error {100 * result.localization_error:.1f}%" in capsys.readouterr().out
    )


def test_ilsvrc_rejects_an_unknown_method(tmp_path, toy) -> None:
    images, boxes = write_fixture(tmp_path, toyworld.generate(2, seed=1))
    with pytest.raises(ValueError, match="method must be one of"):
        ilsvrc.ilsvrc_localization_error(
            toy, ilsvrc.pair_images_and_boxes(images, boxes), progress=False, method="graphcut"
        )


# ---------------------------------------------------------------------------------------------- intervals and paired tests
def test_accuracy_interval_is_wilsons() -> None:
    lo, hi = box_eval.accuracy_interval(14, 22)  # the value the photo benchmark stores for 14/22
    assert (lo, hi) == pytest.approx((0.4295, 0.8027), abs=1e-4)
    assert box_eval.accuracy_interval(0, 10)[0] == 0.0 and box_eval.accuracy_interval(10, 10)[1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="hits <= n"):
        box_eval.accuracy_interval(3, 2)


def test_paired_comparison_counts_discordant_images_and_tests_them() -> None:
    a = np.array([0.9, 0.9, 0.9, 0.1, 0.6, 0.2])
    b = np.array([0.1, 0.2, 0.9, 0.1, 0.3, 0.7])
    r = box_eval.paired_comparison(a, b)
    assert (r["wins"], r["losses"]) == (3, 1)
    assert r["p"] == pytest.approx(2 * 5 / 16)  # P(X <= 1) for X ~ Bin(4, 1/2), two-sided
    assert box_eval.paired_comparison(a, a)["p"] == 1.0
    with pytest.raises(ValueError, match="same images"):
        box_eval.paired_comparison(a, b[:3])
