"""Tests for helpers.rrr: Ross et al.'s penalty, its double backprop, the annotations and the training loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers import rrr
from helpers import shortcut as sc
from helpers.shortcut import generate_decoy


@pytest.fixture(scope="module")
def tiny() -> object:
    """Twelve decoy images: enough for a few training steps."""
    return generate_decoy(12, seed=5)


def _model64(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return rrr.shortcut_cnn().double().eval()


def test_log_prob_sum_gradient_is_the_gradient_of_the_summed_log_probabilities(tiny) -> None:
    model = _model64()
    x = rrr.shortcut_input(tiny.images[:2]).double()
    before = x.clone()
    g = rrr.log_prob_sum_gradient(model, x)
    assert g.shape == x.shape and torch.equal(x, before)
    e = torch.zeros_like(x)
    e[0, 1, 10, 12] = 1e-6
    f = lambda z: torch.log_softmax(model(z), 1).sum()  # noqa: E731
    fd = (f(x + e) - f(x - e)) / 2e-6
    assert torch.isclose(g[0, 1, 10, 12], fd, rtol=1e-5, atol=1e-9)
    assert all(p.grad is None for p in model.parameters())


def test_double_backprop_gives_the_penalty_gradient_in_the_weights(tiny) -> None:
    """The penalty's gradient with respect to a weight matches a central finite difference."""
    model = _model64()
    x = rrr.shortcut_input(tiny.images[:3]).double()
    a = rrr.annotation_tensor(tiny.decoy_masks[:3], x)
    weight = model.features[0].weight
    penalty = lambda: rrr.explanation_penalty(model, x, a).sum()  # noqa: E731
    (grad,) = torch.autograd.grad(penalty(), weight)
    h = 1e-6
    for idx in [(0, 0, 1, 1), (3, 2, 0, 2), (7, 1, 2, 0)]:
        with torch.no_grad():
            weight[idx] += h
        up = penalty().item()
        with torch.no_grad():
            weight[idx] -= 2 * h
        down = penalty().item()
        with torch.no_grad():
            weight[idx] += h
        assert grad[idx].item() == pytest.approx((up - down) / (2 * h), rel=1e-4, abs=1e-10)
    assert abs(grad).sum() > 0


def test_without_create_graph_the_penalty_has_no_gradient_in_the_weights(tiny) -> None:
    """What a student sees without create_graph=True: the input gradient is a constant for the weights."""
    model = _model64()
    x = rrr.shortcut_input(tiny.images[:2]).double()
    g = rrr.log_prob_sum_gradient(model, x, create_graph=False)
    assert not g.requires_grad
    assert rrr.log_prob_sum_gradient(model, x, create_graph=True).requires_grad


def test_annotation_broadcasts_over_the_channels(tiny) -> None:
    x = rrr.shortcut_input(tiny.images[:4])
    a = rrr.annotation_tensor(tiny.decoy_masks[:4], x)
    assert a.shape == (4, 1, 32, 32) and a.dtype == x.dtype
    g = torch.randn_like(x)
    masked = a * g
    mask = torch.from_numpy(tiny.decoy_masks[:4])
    for c in range(3):
        assert torch.equal(masked[:, c][mask], g[:, c][mask]) and (masked[:, c][~mask] == 0).all()


@pytest.mark.parametrize("shape", [(4, 32, 32, 1), (4, 3, 32, 32), (3, 32, 32), (32, 32)])
def test_annotation_of_the_wrong_shape_is_refused(tiny, shape) -> None:
    x = rrr.shortcut_input(tiny.images[:4])
    with pytest.raises(ValueError, match=r"\(N,H,W\)"):
        rrr.annotation_tensor(np.zeros(shape, bool), x)


def test_penalty_is_zero_off_the_annotation_and_positive_on_it(tiny) -> None:
    model = _model64()
    x = rrr.shortcut_input(tiny.images[:3]).double()
    zero = rrr.explanation_penalty(model, x, torch.zeros(3, 1, 32, 32, dtype=x.dtype))
    assert torch.equal(zero, torch.zeros(3, dtype=x.dtype))
    assert (rrr.explanation_penalty(model, x, torch.ones(3, 1, 32, 32, dtype=x.dtype)) > 0).all()


def test_annotations_and_their_budget(tiny) -> None:
    full = rrr.annotation_for(tiny, "decoy")
    np.testing.assert_array_equal(full, tiny.decoy_masks)
    np.testing.assert_array_equal(rrr.annotation_for(tiny, "outside_object"), ~tiny.masks)
    np.testing.assert_array_equal(rrr.annotation_for(tiny, "other_corner", seed=3), sc.other_corner_annotation(tiny, 3))
    margin = rrr.annotation_for(tiny, "outside_margin")
    assert (margin <= ~tiny.masks).all() and margin.sum() < (~tiny.masks).sum(), (
        "a subset of outside, the edge left free"
    )
    ring = sc.dilate_mask(tiny.masks[0], rrr.OUTSIDE_MARGIN) & ~tiny.masks[0]
    assert ring.any() and not (margin[0] & ring).any()
    part = rrr.annotation_for(tiny, "decoy", budget=0.25, seed=1)
    assert part.any(axis=(1, 2)).sum() == 3
    np.testing.assert_array_equal(part[part.any(axis=(1, 2))], full[part.any(axis=(1, 2))])
    assert not rrr.annotation_for(tiny, "decoy", budget=0.0).any()
    assert not tiny.decoy_masks[:0].any() and tiny.decoy_masks.any(), "the dataset itself is left as it was"
    with pytest.raises(ValueError, match="budget"):
        rrr.annotation_for(tiny, budget=1.5)
    with pytest.raises(ValueError, match="kind"):
        rrr.annotation_for(tiny, "inside_object")


@pytest.mark.slow  # trains twice
def test_lam_zero_is_plain_training_and_the_model_comes_back_frozen_in_eval_mode(tiny) -> None:
    plain = rrr.train_rrr(tiny, epochs=1, seed=2, batch_size=4)
    zero = rrr.train_rrr(tiny, lam=0.0, annotation=rrr.annotation_for(tiny), epochs=1, seed=2, batch_size=4)
    for p, q in zip(plain.model.parameters(), zero.model.parameters()):
        assert torch.equal(p, q)
        assert not p.requires_grad and p.grad is None
    assert not plain.model.training
    assert plain.penalty == [0.0] and len(plain.epoch_seconds) == 1


@pytest.mark.slow  # trains twice
def test_the_penalty_shrinks_the_annotated_gradient() -> None:
    """Same seed, batches and start: with a large lambda the annotated input gradient ends far below plain training's."""
    data = generate_decoy(24, seed=5)
    ann = rrr.annotation_for(data)
    plain = rrr.train_rrr(data, lam=0.0, annotation=ann, epochs=8, seed=2, batch_size=8)
    fixed = rrr.train_rrr(data, lam=1e4, annotation=ann, epochs=8, seed=2, batch_size=8)
    x = rrr.shortcut_input(data.images)
    a = rrr.annotation_tensor(ann, x)
    p_plain = rrr.explanation_penalty(plain.model, x, a).mean().item()
    p_fixed = rrr.explanation_penalty(fixed.model, x, a).mean().item()
    assert p_fixed < 0.1 * p_plain, (p_fixed, p_plain)  # measured: about 450 times smaller
    assert fixed.penalty[-1] > 0 and plain.penalty == [0.0] * 8


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"lam": -1.0}, ValueError, "lam"),
        ({"lam": float("nan")}, ValueError, "lam"),
        ({"lam": 1.0}, ValueError, "needs an annotation"),
        ({"lam": 1.0, "annotation": np.zeros((3, 32, 32), bool)}, ValueError, "one \\(H,W\\) mask per training image"),
        ({"epochs": 0}, ValueError, "epochs"),
    ],
)
def test_bad_training_arguments_say_what_was_expected(tiny, kwargs, error, words) -> None:
    with pytest.raises(error, match=words):
        rrr.train_rrr(tiny, **kwargs)


def test_train_refuses_what_is_not_a_dataset() -> None:
    with pytest.raises(TypeError, match="ToyDataset"):
        rrr.train_rrr(np.zeros((2, 32, 32, 3), np.uint8))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_training_follows_the_device(tiny) -> None:
    result = rrr.train_rrr(tiny, lam=1.0, annotation=rrr.annotation_for(tiny), epochs=1, device="cuda")
    assert next(result.model.parameters()).device.type == "cuda"


def test_the_loss_skips_unannotated_images_without_changing_the_penalty(tiny) -> None:
    """Double backprop only through annotated images: the same loss and weight gradient as the full batch mean."""
    model = _model64()
    x = rrr.shortcut_input(tiny.images[:6]).double()
    y = torch.from_numpy(tiny.labels[:6])
    masks = tiny.decoy_masks[:6].copy()
    masks[[1, 4]] = False  # two unannotated images in the batch
    a = rrr.annotation_tensor(masks, x)
    parts = rrr.rrr_loss(model, x, y, a, 10.0)
    full = rrr.explanation_penalty(model, x, a).mean()
    assert torch.isclose(parts.penalty, full, rtol=1e-12)
    weight = model.features[0].weight
    (g_loss,) = torch.autograd.grad(parts.total, weight)
    (g_full,) = torch.autograd.grad(torch.nn.functional.cross_entropy(model(x), y) + 10.0 * full, weight)
    assert torch.allclose(g_loss, g_full, rtol=1e-10, atol=1e-14)
    none = rrr.rrr_loss(model, x, y, torch.zeros_like(a), 10.0)
    assert none.penalty.item() == 0.0 and torch.equal(none.total, none.cross_entropy)
    with pytest.raises(ValueError, match="one mask per image"):
        rrr.rrr_loss(model, x, y, a[:3], 10.0)


@pytest.mark.slow  # trains once
def test_training_keeps_each_epochs_answers_on_the_monitor_images_and_ends_with_a_small_step(tiny) -> None:
    monitor = generate_decoy(10, seed=6, decoy="swapped")
    result = rrr.train_rrr(tiny, epochs=3, seed=2, batch_size=4, monitor=monitor)
    assert len(result.monitor_correct) == 3 and all(
        c.shape == (10,) and c.dtype == bool for c in result.monitor_correct
    )
    again = [rrr.shortcut_input(monitor.images)]
    assert np.array_equal(result.model(again[0]).argmax(1).numpy() == monitor.labels, result.monitor_correct[-1])
    assert rrr.train_rrr(tiny, epochs=1, seed=2, batch_size=4).monitor_correct == []
    with pytest.raises(TypeError, match="monitor"):
        rrr.train_rrr(tiny, epochs=1, monitor=monitor.images)


def test_the_step_size_rises_then_falls_to_almost_zero() -> None:
    """The one-cycle schedule of train_rrr: what makes the last epochs settle rather than jump around."""
    opt = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=rrr.LEARNING_RATE)
    total = 100
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=rrr.LEARNING_RATE, total_steps=total, pct_start=rrr.WARMUP_SHARE
    )
    lrs = []
    for _ in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        schedule.step()
    assert max(lrs) == pytest.approx(rrr.LEARNING_RATE) and lrs[-1] < 1e-3 * rrr.LEARNING_RATE
