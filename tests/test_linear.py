"""helpers.linear: the centred-shape task a linear model solves, and the linear classifier (paper, Eq. 2)."""

from __future__ import annotations

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
def test_linear_model_is_at_chance_on_the_cluttered_toy_world() -> None:
    train, heldout = toyworld.generate(600, seed=1), toyworld.generate(300, seed=toyworld.HELDOUT_SEED_OFFSET + 1)
    lin = linear.train_linear_classifier(train, epochs=10, lr=1e-3, weight_decay=0.0, optimizer="sgd", seed=0)
    assert linear.accuracy(lin, heldout) < 0.3
