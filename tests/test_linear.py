"""helpers.linear: the centred-shape task a linear model solves, and the linear classifier (paper, Eq. 2)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from helpers import linear, toyworld
from helpers.saliency import class_score_gradient


@pytest.fixture(scope="module")
def centred():
    return linear.generate_centred(600, seed=1), linear.generate_centred(300, seed=toyworld.HELDOUT_SEED_OFFSET + 1)


@pytest.mark.slow
def test_generate_centred_is_deterministic_balanced_and_exact(centred) -> None:
    train, _ = centred
    again = linear.generate_centred(600, seed=1)
    assert np.array_equal(train.images, again.images) and np.array_equal(train.labels, again.labels)
    assert not np.array_equal(train.images, linear.generate_centred(600, seed=2).images)
    assert np.bincount(train.labels, minlength=6).tolist() == [100] * 6
    assert train.images.shape == (600, 64, 64, 3) and train.images.dtype == np.uint8
    # shape pixels are the shape colour (up to the noise), everything else the background
    shape_px = train.images[train.masks].astype(int)
    back_px = train.images[~train.masks].astype(int)
    assert np.abs(shape_px - linear.CENTRED_SHAPE_COLOUR).max() <= linear.CENTRED_NOISE
    assert np.abs(back_px - linear.CENTRED_BACKGROUND).max() <= linear.CENTRED_NOISE
    # near the centre: every box contains the centre pixel, and boxes are the masks' tight boxes
    x0, y0, x1, y1 = train.boxes.T
    assert np.all((x0 <= 32) & (32 < x1) & (y0 <= 32) & (32 < y1))
    k = 5
    ys, xs = np.nonzero(train.masks[k])
    assert train.boxes[k].tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


@pytest.mark.parametrize(
    "bad", [dict(n=0), dict(n=2.5), dict(n=10, size=16), dict(n=10, jitter=20.0), dict(n=10, jitter=-1.0)]
)
def test_generate_centred_refuses_bad_arguments(bad) -> None:
    with pytest.raises(ValueError):
        linear.generate_centred(**bad)


def test_linear_model_works_on_centred_shapes_and_its_gradient_is_w(centred) -> None:
    train, heldout = centred
    lin = linear.train_linear_classifier(train, epochs=10, lr=1e-3, weight_decay=0.0, optimizer="sgd", seed=0)
    assert linear.accuracy(lin, heldout) > 0.9  # chance is 1/6
    # |w_c| is pixel importance: pixels no training shape ever covers keep (nearly) zero weight
    importance = lin.model.templates().abs().amax(dim=1)
    never = torch.from_numpy(~train.masks.any(axis=0))
    assert float(importance[:, never].mean()) < 0.2 * float(importance[:, ~never].mean())
    x = linear.toy_inputs(lin, heldout.images[:4])
    grad, _ = class_score_gradient(lin, x, 2)
    assert torch.allclose(grad, lin.model.templates()[2].expand_as(grad), rtol=1e-5, atol=1e-7)


def test_sgd_and_adamw_are_deterministic_and_other_optimizers_refused(centred) -> None:
    train, _ = centred
    small = train.subset(slice(0, 120))
    for opt in ("sgd", "adamw"):
        a = linear.train_linear_classifier(small, epochs=2, optimizer=opt, seed=3).model.templates()
        b = linear.train_linear_classifier(small, epochs=2, optimizer=opt, seed=3).model.templates()
        assert torch.equal(a, b) and float(a.abs().max()) > 0
    with pytest.raises(ValueError, match="optimizer"):
        linear.train_linear_classifier(small, optimizer="adam")


@pytest.mark.slow
def test_linear_model_is_near_chance_on_the_cluttered_toy_world() -> None:
    train, heldout = toyworld.generate(600, seed=1), toyworld.generate(300, seed=toyworld.HELDOUT_SEED_OFFSET + 1)
    lin = linear.train_linear_classifier(train, epochs=10, lr=1e-3, weight_decay=0.0, optimizer="sgd", seed=0)
    assert linear.accuracy(lin, heldout) < 0.3


@pytest.fixture(scope="module")
def tiny_linear(centred):
    """A linear Classifier trained for one epoch on 60 images; tests set its weights by hand."""
    train, _ = centred
    return linear.train_linear_classifier(train.subset(slice(0, 60)), epochs=1, optimizer="sgd", weight_decay=0.0)


def test_importance_by_coverage_compares_covered_and_never_covered_pixels_within_one_model(tiny_linear) -> None:
    lin = copy.deepcopy(tiny_linear)
    size = lin.model.image_size
    weights = torch.zeros(6, 3, size, size)
    weights[:, 1, :10, :] = -2.0  # max over colours of |w|: 2 on the covered rows
    weights[3, 0, :10, :] = 5.0  # class 3: 5 there
    weights[:, 2, 10:, :] = 0.5  # 0.5 on the rows no mask covers
    with torch.no_grad():
        lin.model.linear.weight.copy_(weights.flatten(1))
    masks = np.zeros((4, size, size), bool)
    masks[0, :5] = True
    masks[2, 5:10] = True  # together the masks cover rows 0-9
    covered, never = linear.importance_by_coverage(lin, masks)
    assert covered.shape == never.shape == (6,) and covered.dtype == np.float64
    assert np.allclose(covered, [2, 2, 2, 5, 2, 2]) and np.allclose(never, 0.5)


@pytest.mark.parametrize(
    "masks, words",
    [
        (np.zeros((2, 64, 64), bool), "cover some"),
        (np.ones((2, 64, 64), bool), "cover some"),
        (np.zeros((2, 32, 32), bool), "bool"),
        (np.zeros((2, 64, 64), np.uint8), "bool"),
    ],
)
def test_importance_by_coverage_refuses_masks_it_cannot_compare(tiny_linear, masks, words) -> None:
    with pytest.raises(ValueError, match=words):
        linear.importance_by_coverage(tiny_linear, masks)


def test_importance_by_coverage_needs_a_linear_model(tiny_linear) -> None:
    not_linear = copy.copy(tiny_linear)
    object.__setattr__(not_linear, "model", torch.nn.Identity())
    with pytest.raises(TypeError, match="linear model"):
        linear.importance_by_coverage(not_linear, np.zeros((1, 64, 64), bool))


def test_predict_and_per_image_loss_agree_with_accuracy_and_the_mean_loss(tiny_linear, centred) -> None:
    _, heldout = centred
    data = heldout.subset(slice(0, 70))
    pred = linear.predict(tiny_linear, data, batch_size=32)  # batches of 32: the last one is short
    assert pred.shape == (70,) and pred.dtype == np.int64
    assert np.mean(pred == data.labels) == pytest.approx(linear.accuracy(tiny_linear, data))
    loss = linear.per_image_loss(tiny_linear, data, batch_size=32)
    with torch.no_grad():
        logits = tiny_linear.model(linear.toy_inputs(tiny_linear, data.images))
    expected = torch.nn.functional.cross_entropy(logits.double(), torch.from_numpy(data.labels), reduction="none")
    assert loss.shape == (70,) and np.allclose(loss, expected.numpy(), rtol=1e-6)


def test_trained_model_carries_no_gradients_and_is_frozen(tiny_linear) -> None:
    params = list(tiny_linear.model.parameters())
    assert all(p.grad is None for p in params), "training left .grad on the returned model's weights"
    assert not tiny_linear.model.training and not any(p.requires_grad for p in params)


def test_shuffled_labels_permutes_the_labels_only_and_leaves_the_input_alone(centred) -> None:
    data = centred[0]
    before = data.labels.copy()
    shuffled = linear.shuffled_labels(data, seed=3)
    assert np.array_equal(data.labels, before)  # input not mutated
    assert np.array_equal(np.sort(shuffled.labels), np.sort(before)) and not np.array_equal(shuffled.labels, before)
    assert shuffled.images is data.images and shuffled.masks is data.masks
    assert np.array_equal(linear.shuffled_labels(data, seed=3).labels, shuffled.labels)
    with pytest.raises(ValueError, match="at least 2"):
        linear.shuffled_labels(data.subset(0))


def test_exact_reach_takes_the_first_crossing_not_the_last_step_below() -> None:
    steps = np.array([0.1, 0.2, 0.5, 1.0, 1.5, 2.0])
    errors = np.array([1e-9, 1e-8, 0.5, 1e-3, 0.7, 0.9])  # dips back under 1% at 1.0 after crossing at 0.5
    assert linear.exact_reach(errors, steps, 1e-2) == 0.2  # the last step below 1% would say 1.0
    assert linear.exact_reach(np.full(6, 1e-9), steps, 1e-2) == 2.0  # never crosses: the largest step, a lower bound
    assert linear.exact_reach(np.full(6, 1.0), steps, 1e-2) == 0.0  # crosses at once


@pytest.mark.parametrize(
    "errors, steps, words",
    [
        (np.zeros(3), np.arange(4.0), "one non-zero length"),
        (np.zeros(3), np.array([1.0, 0.5, 2.0]), "increase strictly"),
        (np.array([0.0, np.nan, 1.0]), np.arange(1.0, 4.0), "NaN"),
    ],
)
def test_exact_reach_refuses_bad_input(errors, steps, words) -> None:
    with pytest.raises(ValueError, match=words):
        linear.exact_reach(errors, steps, 1e-2)
