"""Tests for helpers.toyworld: generator contract, CNN, training, shipped weights, CLI."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from helpers import toyworld as tw


@pytest.fixture(scope="module")
def data() -> tw.ToyDataset:
    """A small dataset shared by the generator tests."""
    return tw.generate(300, seed=7)


def test_same_seed_is_bit_identical(data: tw.ToyDataset) -> None:
    again = tw.generate(300, seed=7)
    for name in ("images", "labels", "masks", "boxes"):
        np.testing.assert_array_equal(getattr(data, name), getattr(again, name))


def test_different_seed_differs(data: tw.ToyDataset) -> None:
    other = tw.generate(300, seed=8)
    assert not np.array_equal(data.images, other.images)
    assert not np.array_equal(data.boxes, other.boxes)


def test_golden_hash_is_stable() -> None:
    """Guards cross-machine reproducibility: a change here means the data definition changed."""
    d = tw.generate(8, seed=0)
    h = hashlib.sha256()
    for arr in (d.images, d.labels, d.masks, d.boxes):
        h.update(np.ascontiguousarray(arr).tobytes())
    assert h.hexdigest() == "4fbce066e438472993a9a6e3be6d2732cde8341380cd04fadf6119399150e558"


def test_shapes_and_dtypes(data: tw.ToyDataset) -> None:
    n, s = 300, tw.IMAGE_SIZE
    assert len(data) == n
    assert data.images.shape == (n, s, s, 3) and data.images.dtype == np.uint8
    assert data.labels.shape == (n,) and data.labels.dtype == np.int64
    assert data.masks.shape == (n, s, s) and data.masks.dtype == bool
    assert data.boxes.shape == (n, 4) and data.boxes.dtype == np.int64
    assert data.CLASSES == tw.CLASSES and len(tw.CLASSES) >= 6


def test_labels_in_range_and_every_class_present(data: tw.ToyDataset) -> None:
    assert data.labels.min() >= 0 and data.labels.max() < len(tw.CLASSES)
    assert set(np.unique(data.labels)) == set(range(len(tw.CLASSES)))


def test_boxes_match_masks_exactly(data: tw.ToyDataset) -> None:
    for m, (x0, y0, x1, y1) in zip(data.masks, data.boxes):
        ys, xs = np.nonzero(m)
        assert (x0, y0, x1, y1) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)


def test_masks_nonempty_inside_and_reasonably_sized(data: tw.ToyDataset) -> None:
    s = tw.IMAGE_SIZE
    assert data.masks.reshape(len(data), -1).any(1).all()
    border = data.masks[:, 0, :].any() or data.masks[:, -1, :].any()
    border = border or data.masks[:, :, 0].any() or data.masks[:, :, -1].any()
    assert not border
    extent = np.maximum(data.boxes[:, 2] - data.boxes[:, 0], data.boxes[:, 3] - data.boxes[:, 1]) / s
    assert extent.min() >= 0.28 and extent.max() <= 0.65


def test_objects_contrast_with_local_background(data: tw.ToyDataset) -> None:
    """Object colour is far from the ring of background just around its box (GrabCut needs this)."""
    img = data.images.astype(np.float64)
    for i in range(len(data)):
        m = data.masks[i]
        x0, y0, x1, y1 = data.boxes[i]
        ring = np.zeros_like(m)
        ring[max(y0 - 3, 0) : y1 + 3, max(x0 - 3, 0) : x1 + 3] = True
        ring &= ~m
        ring[y0:y1, x0:x1] = False
        dist = np.linalg.norm(img[i][m].mean(0) - img[i][ring].mean(0))
        assert dist > 40, (i, dist)


def test_other_sizes() -> None:
    d = tw.generate(12, seed=1, size=48)
    assert d.images.shape == (12, 48, 48, 3)
    assert not d.masks[:, 0].any() and not d.masks[:, -1].any()


def test_subset(data: tw.ToyDataset) -> None:
    sub = data.subset(np.arange(5))
    assert len(sub) == 5 and np.array_equal(sub.images, data.images[:5])


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"n": -3}, {"n": 2.5}, {"n": 4, "size": 31}, {"n": 4, "seed": -1}])
def test_generate_rejects_bad_input(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        tw.generate(**kwargs)


def test_train_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        tw.train(n_train=0, progress=False)
    with pytest.raises(ValueError):
        tw.train(epochs=0, progress=False)


def test_normalize_contract() -> None:
    imgs = np.full((2, 64, 64, 3), 255, np.uint8)
    mean = np.full((64, 64, 3), 0.5, np.float32)
    x = tw.normalize(imgs, mean)
    assert x.dtype == torch.float32 and x.shape == (2, 3, 64, 64)
    torch.testing.assert_close(x, torch.full_like(x, 0.5 / tw.TOY_STD[0]))
    assert tw.normalize(torch.from_numpy(imgs[0]), mean).shape == (1, 3, 64, 64)
    with pytest.raises(ValueError):
        tw.normalize(np.zeros((2, 64, 64), np.uint8), mean)


def test_cnn_shapes_and_budget() -> None:
    model = tw.ToyCNN()
    assert model(torch.zeros(2, 3, 64, 64)).shape == (2, len(tw.CLASSES))
    assert model(torch.zeros(1, 3, 80, 80)).shape == (1, len(tw.CLASSES))
    n_bytes = sum(p.numel() * 4 for p in model.parameters())
    assert n_bytes < 3e6
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())


@pytest.mark.slow
def test_short_training_learns(tmp_path: Path) -> None:
    # 375 steps at a constant-ish peak: long enough to leave the initial ln(6) plateau (about 0.7
    # accuracy here), short enough for CI. The shipped weights' accuracy is tested separately.
    res = tw.train(
        n_train=2400, epochs=5, seed=3, batch_size=32, lr=3e-3, n_heldout=300, progress=False, out_dir=tmp_path
    )
    assert res.losses[-1] < 0.8 * res.losses[0]
    assert res.accuracy > 2.5 / len(tw.CLASSES)  # chance is 1/6
    assert (tmp_path / tw.WEIGHTS_PATH.name).is_file() and (tmp_path / tw.MEAN_IMAGE_PATH.name).is_file()
    assert res.mean_image.shape == (64, 64, 3) and res.mean_image.dtype == np.float32


@pytest.mark.slow
def test_shipped_weights_accuracy() -> None:
    model, mean_image = tw.load_toy_cnn()
    assert tw.evaluate(model, tw.generate(1000, seed=4242), mean_image) >= 0.97


def test_load_toy_cnn_is_frozen_eval() -> None:
    model, mean_image = tw.load_toy_cnn()
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())
    assert mean_image.shape == (64, 64, 3) and mean_image.dtype == np.float32
    assert 0.0 <= mean_image.min() and mean_image.max() <= 1.0
    assert tw.WEIGHTS_PATH.stat().st_size < 3e6


def test_load_toy_cnn_missing_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "nope.pt"
    monkeypatch.setattr(tw, "WEIGHTS_PATH", missing)
    with pytest.raises(FileNotFoundError, match="python -m helpers.toyworld train") as err:
        tw.load_toy_cnn()
    assert str(missing) in str(err.value)


def test_cli_evaluate(capsys: pytest.CaptureFixture[str]) -> None:
    assert tw.main(["evaluate", "--n", "60", "--seed", "5"]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_one_accuracy_loop_behind_evaluate_and_linear_accuracy(toy) -> None:
    """`toyworld.top1_accuracy` counts exactly; `evaluate` and `linear.accuracy` are that loop, for any batch size."""
    from helpers import linear

    data = tw.generate(30, seed=7)
    # a stub model that predicts class (index of the image's first pixel's red value mod 6): the count is known
    predicted = data.images[:, 0, 0, 0].astype(np.int64) % len(tw.CLASSES)

    def stub(x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.one_hot(x, len(tw.CLASSES)).float()

    pick = lambda images: torch.from_numpy(images[:, 0, 0, 0].astype(np.int64) % len(tw.CLASSES))  # noqa: E731
    expected = float(np.mean(predicted == data.labels))
    assert [tw.top1_accuracy(stub, data, pick, b) for b in (1, 7, 30, 500)] == [expected] * 4
    with pytest.raises(ValueError, match="batch_size"):
        tw.top1_accuracy(stub, data, pick, 0)
    model, mean_image = tw.load_toy_cnn()
    right = int((model(tw.normalize(data.images, mean_image)).argmax(1).numpy() == data.labels).sum())
    assert tw.evaluate(model, data, mean_image, batch_size=4) == right / len(data)
    assert linear.accuracy(toy, data, batch_size=4) == right / len(data)
    with pytest.raises(ValueError, match="batch_size"):
        linear.accuracy(toy, data, batch_size=0)


def _object_coloured_regions(img: np.ndarray, mask: np.ndarray) -> list[int]:
    """Pixel areas of the 8-connected regions in the object's colour (within the noise) that do not touch the object."""
    colour = np.median(img[mask], axis=0)
    same = np.all(np.abs(img.astype(int) - colour) <= 2 * tw._NOISE_AMPLITUDE, axis=2)
    near = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    n, labels, stats, _ = cv2.connectedComponentsWithStats((same & ~near).astype(np.uint8), connectivity=8)
    return [int(a) for a in stats[1:, cv2.CC_STAT_AREA]]


def test_distractors_share_the_object_colour_and_leave_the_truth_alone() -> None:
    """distractors=True paints a blob in the object's own colour apart from the object; masks and boxes stay the object's."""
    d = tw.generate(60, seed=11, distractors=True)
    assert np.array_equal(d.images, tw.generate(60, seed=11, distractors=True).images)  # reproducible
    for i in range(len(d)):
        assert np.array_equal(d.boxes[i], tw._box_from_mask(d.masks[i]))


def test_every_image_gets_a_distractor_of_0_67_to_1_5_times_the_object_area() -> None:
    """Size cannot pick the object: each image holds one object-coloured blob of 0.67-1.5x its area, smaller or larger."""
    d = tw.generate(120, seed=40_000, distractors=True)
    ratios = []
    for i, (img, mask) in enumerate(zip(d.images, d.masks)):
        blob = max(_object_coloured_regions(img, mask), default=0)
        ratios.append(blob / mask.sum())
        # pixel noise and strokes crossing the blob change its colour-matched area by a few pixels
        assert 0.62 <= ratios[-1] <= 1.55, f"image {i}: blob of {blob} px for an object of {mask.sum()} px"
    assert np.mean(np.array(ratios) < 0.95) > 0.2 and np.mean(np.array(ratios) > 1.05) > 0.2  # both sides, often


def test_distractor_masks_are_0_67_to_1_5_times_the_object_on_both_sides_and_apart() -> None:
    """The generator's own masks: every distractor is 0.67-1.5x the object's area, >= the gap away; smaller and larger occur."""
    rng = np.random.Generator(np.random.PCG64(3))
    ys, xs = np.mgrid[0:64, 0:64].astype(np.float32)
    ratios = []
    for label in range(len(tw.CLASSES)):
        for _ in range(20):
            obj, blob = tw._object_and_distractor(rng, label, 64, (xs, ys))
            ratios.append(blob.sum() / obj.sum())
            assert 0.67 <= ratios[-1] <= 1.5
            gap = cv2.dilate(obj.astype(np.uint8), np.ones((2 * tw._DISTRACTOR_GAP + 1,) * 2, np.uint8)).astype(bool)
            assert not (blob & gap).any()
    smaller = np.mean(np.array(ratios) < 1.0)
    assert 0.25 < smaller < 0.75, f"{smaller:.0%} of distractors are smaller than the object; expected about half"


def test_an_impossible_distractor_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setattr(tw, "_DISTRACTOR_AREA", (20.0, 21.0))  # twenty objects' worth cannot fit in the frame
    with pytest.raises(ValueError, match=r"No distractor of \(20.0, 21.0\)x the object.s area fits"):
        tw.generate(2, seed=0, distractors=True)


def test_no_distractors_by_default() -> None:
    """The default world has no second region in the object's colour (the golden hash pins the data itself)."""
    d = tw.generate(40, seed=11)
    assert np.array_equal(d.images, tw.generate(40, seed=11, distractors=False).images)


def test_distractors_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="distractors must be True or False"):
        tw.generate(4, distractors="yes")  # type: ignore[arg-type]
