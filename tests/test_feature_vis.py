"""Feature visualization (helpers.feature_vis): the Fourier / colour parameterisation round-trips, the transforms,
the optimisation (deterministic, batch-independent, leaves the model untouched), and the display stretch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.feature_vis import (
    TRANSFORMS,
    ImageParam,
    contrast_stretch,
    decorrelated_to_rgb,
    feature_visualization,
    fourier_scale,
    image_to_spectrum,
    random_transform,
    rgb_to_decorrelated,
    spectrum_to_image,
)


@pytest.mark.parametrize("size", [(16, 16), (15, 20)])
def test_fourier_parameterisation_round_trips(size) -> None:
    h, w = size
    image = torch.rand(2, 3, h, w)
    spectrum = image_to_spectrum(image)
    assert spectrum.shape == (2, 3, h, w // 2 + 1) and spectrum.is_complex()
    assert torch.allclose(spectrum_to_image(spectrum, h, w), image, atol=1e-5)
    assert torch.allclose(image_to_spectrum(spectrum_to_image(spectrum, h, w)), spectrum, atol=1e-4)


def test_fourier_scale_falls_as_one_over_f() -> None:
    s = fourier_scale(32, 32)
    assert s.shape == (32, 17)
    assert s[0, 1] == pytest.approx(2 * s[0, 2]) and s[0, 1] == pytest.approx(s[1, 0])
    assert s[0, 0] == s[0, 1]  # the DC term is clipped at the lowest frequency, not infinite


def test_colour_decorrelation_round_trips_and_mixes_channels() -> None:
    t = torch.randn(2, 3, 5, 5)
    assert torch.allclose(rgb_to_decorrelated(decorrelated_to_rgb(t)), t, atol=1e-5)
    luminance = torch.zeros(1, 3, 1, 1)
    luminance[0, 0] = 1.0
    rgb = decorrelated_to_rgb(luminance).flatten()
    assert (rgb > 0).all() and float(rgb.max() - rgb.min()) < 0.05  # the first channel is (nearly) grey


@pytest.mark.parametrize("param", ["fourier", "pixel"])
def test_image_param_shapes_range_and_batch_independent_init(param) -> None:
    both = ImageParam(2, 24, param=param, seed=3, keys=[7, 9])
    alone = ImageParam(1, 24, param=param, seed=3, keys=[9])
    pixels = both.pixels()
    assert pixels.shape == (2, 3, 24, 24) and pixels.requires_grad
    assert ((pixels > 0) & (pixels < 1)).all()
    assert torch.equal(pixels[1], alone.pixels()[0])  # an image depends on (seed, class), not on its batch
    assert not torch.equal(pixels[0], pixels[1])
    assert not torch.equal(ImageParam(1, 24, param=param, seed=4, keys=[9]).pixels(), alone.pixels())
    with pytest.raises(ValueError, match="param must be one of"):
        ImageParam(1, 24, param="wavelet")


def test_random_transform_is_seeded_differentiable_and_checks_names() -> None:
    x = torch.rand(2, 3, 32, 32, requires_grad=True)
    a = random_transform(x, TRANSFORMS, torch.Generator().manual_seed(0))
    b = random_transform(x, TRANSFORMS, torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and a.shape[:2] == (2, 3)
    (grad,) = torch.autograd.grad(a.sum(), x)
    assert grad.abs().sum() > 0
    assert random_transform(x, (), torch.Generator()) is x
    padded = random_transform(x, ("pad",), torch.Generator())
    assert (
        padded.shape[-1] == 32 + 2 * 3 and float(padded[0, 0, 0, 0].detach()) == 0.5
    )  # 12 px at 128 -> 3 px at 32, grey
    with pytest.raises(ValueError, match="Unknown transform"):
        random_transform(x, ("shear",), torch.Generator())


@pytest.mark.slow
def test_feature_visualization_raises_the_target_and_leaves_the_model_untouched(random_toy) -> None:
    seen_training: list[bool] = []
    hook = random_toy.model.register_forward_hook(lambda m, i, o: seen_training.append(m.training))
    try:
        results = feature_visualization(random_toy, ["circle", "star"], steps=15, size=48, seed=0, progress=False)
    finally:
        hook.remove()
    assert seen_training and not any(seen_training) and not random_toy.model.training
    assert all(p.grad is None and not p.requires_grad for p in random_toy.model.parameters())
    for r, name in zip(results, ["circle", "star"]):
        assert r.class_name == name and r.image.dtype == np.uint8 and r.image.shape == (48, 48, 3)
        assert r.tensor.shape == (1, 3, 48, 48) and not r.tensor.requires_grad
        np.testing.assert_array_equal(r.image, random_toy.deprocess(r.tensor))
        assert all(len(v) == 16 for v in r.history.as_dict().values())
        assert r.history.target_logit[-1] > r.history.target_logit[0]
        assert r.settings["param"] == "fourier" and r.settings["transforms"] == TRANSFORMS
        assert r.settings["model_size"] == random_toy.input_size  # shown to the model at its input size, as Lucent


def test_feature_visualization_is_deterministic_and_batch_independent(random_toy) -> None:
    kwargs = dict(steps=6, size=40, progress=False)
    a = feature_visualization(random_toy, ["circle", "star", "ring"], seed=1, **kwargs)
    b = feature_visualization(random_toy, "star", seed=1, **kwargs)
    c = feature_visualization(random_toy, "star", seed=2, **kwargs)
    assert np.abs(a[1].image.astype(int) - b.image.astype(int)).max() <= 1
    assert not np.array_equal(b.image, c.image)
    for options in (
        {"param": "pixel"},
        {"decorrelate": False},
        {"transforms": ()},
        {"l2": 1.0},
        {"model_size": 32},
        {"model_size": None},
    ):
        r = feature_visualization(random_toy, "ring", steps=2, size=32, progress=False, **options)
        assert r.image.shape == (32, 32, 3)


def test_feature_visualization_rejects_bad_settings(random_toy) -> None:
    with pytest.raises(ValueError, match="steps"):
        feature_visualization(random_toy, "ring", steps=-1, progress=False)
    with pytest.raises(ValueError, match="Unknown transform"):
        feature_visualization(random_toy, "ring", steps=1, transforms=("shear",), progress=False)
    with pytest.raises(ValueError, match="non-empty"):
        feature_visualization(random_toy, [], progress=False)


@pytest.mark.slow
def test_feature_visualization_on_the_trained_toy_and_lite0(toy, lite0) -> None:
    r = feature_visualization(toy, "square", steps=2, progress=False)  # a mean *image*: resized to its size
    assert r.image.shape == (64, 64, 3) and r.settings["model_size"] == 64
    r = feature_visualization(lite0, "goldfish", steps=2, size=40, progress=False)
    assert r.image.shape == (40, 40, 3) and r.target == lite0.class_index("goldfish")


def test_contrast_stretch_maps_percentiles_to_the_full_range() -> None:
    rng = np.random.default_rng(0)
    image = (100 + 20 * rng.random((50, 50, 3))).astype(np.uint8)
    out = contrast_stretch(image)
    assert out.dtype == np.uint8 and out.shape == image.shape
    assert np.percentile(out, 1) <= 3 and np.percentile(out, 99) >= 252
    assert (np.diff(out.reshape(-1)[np.argsort(image.reshape(-1), kind="stable")].astype(int)) >= 0).all()  # monotone
    assert np.abs(contrast_stretch(out).astype(int) - out.astype(int)).max() <= 3  # about idempotent
    flat = np.full((4, 4, 3), 77, np.uint8)
    np.testing.assert_array_equal(contrast_stretch(flat), flat)
    reddish = np.zeros((4, 4, 3), np.uint8)
    reddish[..., 0] = np.arange(16).reshape(4, 4) + 100
    reddish[..., 1:] = 100
    stretched = contrast_stretch(reddish)
    assert (stretched[..., 0] >= stretched[..., 1]).all()  # one stretch for all channels keeps the hue
    with pytest.raises(ValueError, match="uint8 HxWx3"):
        contrast_stretch(np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="low < high"):
        contrast_stretch(image, 50, 40)
