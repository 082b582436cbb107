"""helpers.spectrum: the high-frequency share, the per-layer gradient profile, and the two model switches."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import helpers
from helpers.classvis import input_gradient
from helpers.saliency import class_score_gradient
from helpers.spectrum import fold_batchnorm, gradient_frequency_profile, high_frequency_share, relu6_as_relu


def test_high_frequency_share_separates_noise_from_smooth_images() -> None:
    gen = torch.Generator().manual_seed(0)
    noise = torch.randn(2, 3, 64, 64, generator=gen)
    assert high_frequency_share(noise).tolist() == pytest.approx([0.80, 0.80], abs=0.03)  # area outside radius 0.25
    yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    smooth = torch.sin(2 * torch.pi * xx / 32).expand(1, 3, 64, 64)  # 1/32 cycles per pixel
    checker = ((-1.0) ** (yy + xx)).expand(1, 3, 64, 64)  # the Nyquist frequency
    assert float(high_frequency_share(smooth)) < 1e-6
    assert float(high_frequency_share(checker)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="N,C,H,W"):
        high_frequency_share(torch.zeros(3, 8, 8))


def test_photo_is_low_frequency_and_lite0_gradient_is_not(lite0) -> None:
    photo = lite0.preprocess(helpers.load_image("coffee"))
    assert float(high_frequency_share(photo)) < 0.05
    assert float(high_frequency_share(input_gradient(lite0, torch.zeros(1, 3, 96, 96), "goose"))) > 0.6


def test_folding_batchnorm_keeps_the_function(lite0) -> None:
    folded = fold_batchnorm(lite0)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.model.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in lite0.model.modules())  # the original is untouched
    x = 0.3 * torch.randn(1, 3, 64, 64)
    g, g_folded = input_gradient(lite0, x, "goose"), input_gradient(folded, x, "goose")
    assert float((g - g_folded).abs().max()) <= 1e-4 * float(g.abs().max())


def test_relu6_as_relu_changes_lite0_only_inside_the_block(lite0) -> None:
    x = 3 * torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        before = lite0.model(x)
        with relu6_as_relu():
            unclipped = lite0.model(x)
            assert float(F.relu6(torch.tensor([7.0]))) == 7.0
        after = lite0.model(x)
    assert torch.equal(before, after) and not torch.allclose(before, unclipped)
    assert float(F.relu6(torch.tensor([7.0]))) == 6.0


def test_gradient_profile_lists_every_convolution(lite0, toy) -> None:
    profile = gradient_frequency_profile(toy, torch.zeros(1, 3, 64, 64), ["circle", "ring"])
    assert [p.kind for p in profile] == ["full"] * 4 and profile[0].resolution == 64
    # next to the image the profiled gradient is the input gradient itself: its share, computed another way
    grad, _ = class_score_gradient(toy, torch.zeros(2, 3, 64, 64), ["circle", "ring"])
    assert profile[0].high_frequency_share == pytest.approx(float(high_frequency_share(grad).mean()), rel=1e-5)
    assert len({round(p.high_frequency_share, 6) for p in profile}) == len(profile)  # one value per layer, not a copy
    lite = gradient_frequency_profile(lite0, torch.zeros(1, 3, 64, 64), ["goose"])
    assert lite[0].name == "_conv_stem" and lite[0].stride == 2
    assert {p.kind for p in lite} == {"full", "depthwise", "pointwise"}
    assert not any(p.grad is not None for p in lite0.model.parameters())
