"""Class-model visualization (paper, section 2): the optimisation works, is deterministic and leaks nothing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.classvis import (
    Blur,
    ClassVisualization,
    Clip,
    History,
    Jitter,
    class_model_visualization,
    gaussian_blur,
    input_gradient,
    levelled_off,
    log_softmax_gradient_identity,
    objective_path,
    objective_scale,
    trend_share,
)


@pytest.fixture(scope="module")
def toy_all_classes(toy) -> list[ClassVisualization]:
    """The paper's plain method, default settings, 200 steps, every toy class in one batch."""
    return class_model_visualization(toy, list(toy.categories), steps=200, progress=False)


@pytest.mark.slow
def test_every_toy_class_becomes_top1_with_p_at_least_0_9(toy, toy_all_classes) -> None:
    for c, result in enumerate(toy_all_classes):
        assert result.target == c and result.class_name == toy.categories[c]
        with torch.no_grad():
            probs = toy.model(result.tensor).softmax(dim=1)[0]
        assert int(probs.argmax()) == c, (result.class_name, probs.tolist())
        assert float(probs[c]) >= 0.9, (result.class_name, float(probs[c]))
        assert result.final_prob == pytest.approx(float(probs[c]), abs=1e-5)


def test_target_logit_rises_and_history_has_one_row_per_step(toy_all_classes) -> None:
    for result in toy_all_classes:
        h = result.history
        assert all(len(v) == 201 for v in h.as_dict().values())
        assert h.norm[0] == 0  # the paper starts from the zero image (the mean)
        assert h.target_logit[-1] > h.target_logit[0] + 1.0
        assert h.target_logit[-1] > h.mean_other_logit[-1]


def test_result_image_is_the_deprocessed_tensor(toy, toy_all_classes) -> None:
    r = toy_all_classes[0]
    assert r.image.dtype == np.uint8 and r.image.shape == (64, 64, 3)
    assert r.tensor.shape == (1, 3, 64, 64) and not r.tensor.requires_grad
    np.testing.assert_array_equal(r.image, toy.deprocess(r.tensor))


@pytest.mark.slow
def test_l2_penalty_keeps_the_norm_bounded(toy) -> None:
    free, penalised = (
        class_model_visualization(toy, "star", steps=300, l2=l2, progress=False).history.norm for l2 in (0.0, 0.05)
    )
    assert penalised[-1] < 0.5 * free[-1]
    # with lambda > 0 the norm levels off (a fixed point of I <- I + lr (g - 2 lambda I)); without, it keeps growing
    assert abs(penalised[-1] - penalised[-101]) < 0.05 * penalised[-1]
    assert free[-1] > 1.05 * free[-101]


def test_no_gradient_reaches_the_weights_and_init_is_not_mutated(random_toy) -> None:
    init = torch.randn(1, 3, 64, 64)
    before = init.clone()
    class_model_visualization(
        random_toy, 2, steps=5, init=init, optimizer="adam", regularizers=("jitter", "blur", "clip"), progress=False
    )
    assert torch.equal(init, before)
    assert all(p.grad is None and not p.requires_grad for p in random_toy.model.parameters())


def test_same_seed_same_image_and_other_seed_other_image(random_toy) -> None:
    kwargs = dict(steps=8, init="random", regularizers=("jitter",), progress=False)
    a = class_model_visualization(random_toy, "ring", seed=7, **kwargs)
    b = class_model_visualization(random_toy, "ring", seed=7, **kwargs)
    c = class_model_visualization(random_toy, "ring", seed=8, **kwargs)
    assert torch.equal(a.tensor, b.tensor) and np.array_equal(a.image, b.image)
    assert not torch.equal(a.tensor, c.tensor)


def test_a_batch_of_targets_equals_separate_runs(random_toy) -> None:
    # a random start: from the constant zero image, max-pool ties make the gradient's routing arbitrary
    start = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    batch = class_model_visualization(random_toy, ["circle", 4], steps=10, lr=5.0, init=start, progress=False)
    assert [r.target for r in batch] == [0, 4]
    for r in batch:
        alone = class_model_visualization(random_toy, r.target, steps=10, lr=5.0, init=start, progress=False)
        scale = float(alone.tensor.abs().max())
        assert scale > 0
        # equal up to float round-off (batched convolutions sum in another order)
        torch.testing.assert_close(r.tensor, alone.tensor, rtol=0, atol=1e-3 * scale)
        np.testing.assert_allclose(r.history.target_logit, alone.history.target_logit, rtol=1e-3, atol=1e-4)


def test_clip_keeps_pixels_in_range_and_blur_smooths(random_toy) -> None:
    clipped = class_model_visualization(random_toy, 1, steps=10, lr=50.0, regularizers=(Clip(),), progress=False)
    pixels = clipped.tensor * random_toy.std + random_toy.mean
    assert float(pixels.min()) >= -1e-6 and float(pixels.max()) <= 1 + 1e-6
    noise = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    smooth = gaussian_blur(noise, 1.0)
    assert smooth.shape == noise.shape and float(smooth.std()) < 0.5 * float(noise.std())
    torch.testing.assert_close(gaussian_blur(torch.ones(1, 3, 8, 8), 0.7), torch.ones(1, 3, 8, 8))


def test_objectives_and_optimizers_all_raise_their_objective(toy) -> None:
    for objective in ("logit", "softmax", "log_softmax"):
        r = class_model_visualization(toy, "cross", steps=30, objective=objective, progress=False)
        assert r.history.target_prob[-1] > r.history.target_prob[0], objective
        assert r.settings["objective"] == objective
    adam = class_model_visualization(
        toy, "cross", steps=30, optimizer="adam", regularizers=(Jitter(1), Blur(0.5, 5)), progress=False
    )
    assert adam.history.target_logit[-1] > adam.history.target_logit[0]
    assert adam.settings["regularizers"] == ("jitter", "blur")


def test_objective_scale_matches_first_step_sizes(toy) -> None:
    classes = list(toy.categories)
    assert objective_scale(toy, classes, "logit") == pytest.approx(1.0)
    k = objective_scale(toy, classes, "softmax")
    assert k > 2  # dP_c/dI is scaled by P_c (about 1/6 at the mean image)
    x = torch.zeros(1, 3, 64, 64)
    g_logit = np.mean([float(input_gradient(toy, x, c).norm()) for c in classes])
    g_soft = np.mean([float(input_gradient(toy, x, c, "softmax").norm()) for c in classes])
    assert k * g_soft == pytest.approx(g_logit, rel=1e-5)
    with pytest.raises(ValueError, match="non-empty"):
        objective_scale(toy, [], "softmax")


def test_lite0_limousine_rises_from_the_grey_mean(lite0) -> None:
    r = class_model_visualization(lite0, "limousine", steps=4, init=torch.zeros(1, 3, 96, 96), progress=False)
    assert r.target == lite0.class_index("limousine")
    assert r.image.shape == (96, 96, 3)
    assert r.history.target_logit[-1] > r.history.target_logit[0]
    assert np.all(lite0.deprocess(torch.zeros(1, 3, 4, 4)) == 127)  # the Lite0 "mean" is 127/255 grey


@pytest.mark.slow
def test_lite0_default_step_ascends_the_objective_where_lr_2_overshoots(lite0) -> None:
    """Eq. (1) along the path, S_c - lambda ||I||^2: it must rise with the default lr; lr 2 (the old default) ends below 0."""
    start = torch.zeros(1, 3, 64, 64)
    for lr, should_rise in [(None, True), (2.0, False)]:
        results = class_model_visualization(lite0, ["limousine", "goose"], steps=40, lr=lr, init=start, progress=False)
        for r in results:
            lam = r.settings["l2"]
            objective = r.history.target_logit - lam * r.history.norm**2
            assert (objective[-1] > objective[0] + 10) == should_rise, (lr, r.class_name, objective[[0, -1]])


def test_gradient_identity_holds_numerically(random_toy, lite0) -> None:
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    gi = log_softmax_gradient_identity(random_toy, x, "triangle")
    assert gi.max_abs_difference < 1e-5 * max(1.0, float(gi.autograd.abs().max()))
    assert float(gi.others_term.abs().max()) > 0  # the second term is really there
    torch.testing.assert_close(gi.logit_term, input_gradient(random_toy, x, "triangle"))
    big = log_softmax_gradient_identity(lite0, torch.zeros(1, 3, 64, 64), 817)  # the ImageNet path (one VJP)
    assert big.max_abs_difference < 1e-4 * max(1.0, float(big.autograd.abs().max()))


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"target": "no such class"}, ValueError, "Unknown class"),
        ({"target": 6}, IndexError, "out of range"),
        ({"target": []}, ValueError, "non-empty"),
        ({"steps": -1}, ValueError, "steps"),
        ({"lr": 0.0}, ValueError, "lr"),
        ({"l2": -1.0}, ValueError, "lambda"),
        ({"objective": "prob"}, ValueError, "objective"),
        ({"optimizer": "lbfgs"}, ValueError, "optimizer"),
        ({"init": "ones"}, ValueError, "init"),
        ({"init": torch.zeros(3, 64, 64)}, ValueError, "(N,C,H,W)"),
        ({"init": torch.zeros(1, 3, 64, 64, dtype=torch.uint8)}, ValueError, "floating"),
        ({"init": torch.zeros(1, 1, 64, 64)}, ValueError, "3 colour channels"),
        ({"init": np.zeros((1, 3, 64, 64), np.float32)}, TypeError, "tensor"),
        ({"regularizers": ("dropout",)}, ValueError, "regularizer"),
        ({"regularizers": ("blur", Blur(1.0))}, ValueError, "twice"),
    ],
)
def test_bad_arguments_give_clear_errors(random_toy, kwargs, error, words) -> None:
    args = {"target": 0, "steps": 1, "progress": False} | kwargs
    target = args.pop("target")
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        class_model_visualization(random_toy, target, **args)


@pytest.mark.parametrize("model", ["toy", "lite0"])
def test_divergent_learning_rate_is_stopped_with_advice(model: str, request) -> None:
    classifier = request.getfixturevalue(model)
    target = 0 if model == "toy" else "espresso"
    with pytest.raises(ValueError, match=r"diverged after \d+ step\(s\) with lr=1e\+06.*Lower lr"):
        class_model_visualization(classifier, target, steps=5, lr=1e6, progress=False)


def test_non_finite_image_is_stopped_with_advice(random_toy) -> None:
    start = torch.zeros(1, 3, 64, 64)
    start[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="inf/NaN.*Lower lr"):
        class_model_visualization(random_toy, 0, steps=2, init=start, progress=False)


@pytest.mark.slow
def test_widget_extreme_settings_are_not_called_divergent(toy) -> None:
    """The class-image widget's largest lr and smallest lambda, for its most steps: big, but still ascending."""
    result = class_model_visualization(toy, "star", steps=500, lr=100.0, l2=1e-5, progress=False)
    assert np.isfinite(result.final_logit) and result.final_logit > result.history.target_logit[0]


def test_inputs_go_through_the_shared_input_contract(toy) -> None:
    """`helpers.inputs.model_input` checks classvis's inputs: a float64 start is the float32 start on the model's
    dtype (the same image), and the toy CNN, trained at 64 px, refuses another size with the fix."""
    start = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(4))
    a = class_model_visualization(toy, 2, steps=3, init=start, progress=False)
    b = class_model_visualization(toy, 2, steps=3, init=start.double(), progress=False)
    assert torch.equal(a.tensor, b.tensor) and np.array_equal(a.image, b.image)
    torch.testing.assert_close(input_gradient(toy, start.double(), 2), input_gradient(toy, start, 2), rtol=0, atol=0)
    with pytest.raises(ValueError, match="64x64 inputs.*preprocess"):
        class_model_visualization(toy, 2, steps=1, init=torch.zeros(1, 3, 80, 80), progress=False)
    with pytest.raises(ValueError, match=r"x\[None\]"):
        input_gradient(toy, start[0], 2)


def test_one_ascent_loop_serves_both_methods_and_any_objective(random_toy, monkeypatch) -> None:
    """`helpers.ascent.ascend` is the loop of classvis and feature_vis, and it maximises a channel as well as a logit."""
    from torch import nn

    from helpers import ascent, classvis, feature_vis

    calls: list[str] = []
    real = ascent.ascend

    def spy(*args, **kwargs):
        calls.append(kwargs["desc"])
        return real(*args, **kwargs)

    monkeypatch.setattr(classvis, "ascend", spy)
    monkeypatch.setattr(feature_vis, "ascend", spy)
    class_model_visualization(random_toy, 0, steps=2, progress=False)
    feature_vis.feature_visualization(random_toy, 0, steps=2, progress=False, model_size=None)
    assert calls == ["class visualization", "feature visualization"]

    channels = nn.Sequential(random_toy.model.features, nn.AdaptiveAvgPool2d(1), nn.Flatten())  # (N, C): channel means
    x = (0.5 * torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))).requires_grad_(True)
    with torch.no_grad():
        c = int(channels(x).argmax())  # a channel that is active at the start, so its gradient is not zero
    channel = torch.tensor([c])
    history = ascent.ascend(
        [x],
        lambda out: out[:, c],
        channel,
        steps=5,
        forward=lambda step: (channels(x), None, x),
        update=lambda step, grads: x.add_(grads[0], alpha=1.0),
        final=lambda: (channels(x), x),
    )
    assert history.shape == (6, 4, 1)
    assert history[-1, 0, 0] > history[0, 0, 0]  # row 0: the channel's mean activation, which the ascent raised
    assert not any(p.grad is not None for p in random_toy.model.parameters())


def _rise_then(tail_slope: float, steps: int = 150) -> np.ndarray:
    """A path that climbs 100 over its first 80% of the steps, then moves by `tail_slope` per step."""
    head = np.linspace(0.0, 100.0, int(0.8 * steps))
    return np.concatenate([head, head[-1] + tail_slope * np.arange(1, steps - len(head) + 1)])


def test_levelled_off_is_two_sided() -> None:
    """A falling trend is a run still moving: the old one-sided rule (share < 5%) called it levelled off."""
    falling, climbing, flat = _rise_then(-1.0), _rise_then(+1.0), _rise_then(0.01)
    assert trend_share(falling) < -0.05  # the old rule's verdict on it would be "levelled off"
    assert levelled_off(falling) == (False, trend_share(falling))
    assert levelled_off(climbing)[0] is False
    assert levelled_off(flat)[0] is True
    zigzag = flat + np.where(np.arange(len(flat)) % 2 == 0, 3.0, -3.0)  # step-to-step zig-zag around a flat trend
    assert levelled_off(zigzag)[0] is True


def test_levelled_off_refuses_bad_paths_with_clear_errors() -> None:
    with pytest.raises(ValueError, match="at least 3 values"):
        levelled_off([1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        levelled_off([0.0, np.nan, 1.0, 2.0])
    with pytest.raises(ValueError, match="window"):
        trend_share(np.arange(10.0), window=0.0)
    with pytest.raises(ValueError, match="tolerance"):
        levelled_off(np.arange(10.0), tolerance=1.5)


def test_objective_path_is_eq1_along_the_history() -> None:
    history = History(np.array([0.0, 5.0]), np.array([0.1, 0.9]), np.array([0.0, -1.0]), np.array([0.0, 10.0]))
    result = ClassVisualization(np.zeros((2, 2, 3), np.uint8), torch.zeros(1, 3, 2, 2), history, 0, "c")
    np.testing.assert_allclose(objective_path(result, 0.01), [0.0, 5.0 - 0.01 * 100.0])
