"""Issue 33's box candidates: per-photo thresholds of the CAM protocol (Otsu, mass share), the CAM/gradient fusion,
and the Grad-CAM variants (a finer layer, several layers, test-time averaging) registered in `helpers.methods`."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import helpers
from helpers import cam, gradcam_variants, methods
from helpers.attribution import grad_cam
from helpers.geometry import resize_map
from helpers.views import whole_image_input


def two_blobs() -> np.ndarray:
    """A map with a strong 10 x 10 blob (value 1) and a weak 20 x 20 blob (value 0.3) on zeros."""
    m = np.zeros((60, 80), np.float32)
    m[5:15, 5:15] = 1.0
    m[30:50, 40:60] = 0.3
    return m


def test_otsu_splits_the_blobs_from_the_background_and_mass_keeps_the_share() -> None:
    m = two_blobs()
    assert 0.3 < cam.otsu_level(m) < 1.0  # three values: Otsu puts the 4,700 weak and zero pixels in one class
    assert cam.cam_box(m, rule="otsu", threshold=None) == (5, 5, 15, 15)
    m[30:50, 40:60] = 0.6  # now the weak blob is far from zero: Otsu's level falls below it
    assert 0.0 <= cam.otsu_level(m) < 0.6 and cam.cam_box(m, rule="otsu", threshold=None) == (40, 30, 60, 50)
    m[30:50, 40:60] = 0.3
    # the strong blob holds 100 / (100 + 120) = 45% of the mass: 0.4 of it is inside, 0.5 needs the weak one too
    assert cam.mass_level(m, 0.4) == 1.0 and cam.mass_level(m, 0.5) == pytest.approx(0.3)
    assert cam.cam_box(m, 0.4, rule="mass") == (5, 5, 15, 15)
    assert cam.cam_box(m, 0.5) == (5, 5, 15, 15)  # the fraction rule as before: >= 50% of the maximum


def test_bad_rules_and_values_are_clear_errors_and_the_map_is_untouched() -> None:
    m = two_blobs()
    before = m.copy()
    with pytest.raises(ValueError, match="rule must be one of"):
        cam.cam_box(m, 0.2, rule="median")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"mass must lie in \(0, 1\]"):
        cam.cam_box(m, 1.5, rule="mass")
    with pytest.raises(ValueError, match=r"threshold must lie in \(0, 1\]"):
        cam.cam_box(m, 0.0)
    cam.cam_box(m, rule="otsu", threshold=None)
    np.testing.assert_array_equal(m, before)


def test_fusion_weights_the_cam_against_the_blurred_gradient() -> None:
    a, g = two_blobs(), np.zeros((60, 80), np.float32)
    g[40, 10] = 5.0
    np.testing.assert_allclose(cam.fuse_maps(a, g, 1.0), a)  # weight 1: the CAM (maximum 1)
    only_gradient = cam.fuse_maps(a, g, 0.0)
    assert only_gradient.max() == pytest.approx(1.0) and np.unravel_index(only_gradient.argmax(), g.shape) == (40, 10)
    assert (only_gradient > 0).sum() > 1  # blurred
    half = cam.fuse_maps(a, g, 0.5)
    np.testing.assert_allclose(half, 0.5 * a + 0.5 * only_gradient, atol=1e-6)
    with pytest.raises(ValueError, match="one shape"):
        cam.fuse_maps(a, g[:10], 0.5)
    with pytest.raises(ValueError, match=r"weight must lie in \[0, 1\]"):
        cam.fuse_maps(a, g, 2.0)


def test_the_finer_layer_is_found_from_the_models_shapes(lite0) -> None:
    image = helpers.load_image("coffee")
    x = whole_image_input(lite0, image)
    assert gradcam_variants.layer_at_stride(lite0, x, 16) == "_blocks.10"
    assert gradcam_variants.layer_at_stride(lite0, x, 32) == "_blocks.15"
    with pytest.raises(ValueError, match="outputs 1/3 of the input; its strides are"):
        gradcam_variants.layer_at_stride(lite0, x, 3)


def test_the_variants_are_registered_image_sized_and_finer(lite0) -> None:
    image = helpers.load_image("coffee")
    before = image.copy()
    coarse = methods.METHODS["gradcam"](lite0, image, "espresso")
    fine = methods.METHODS["gradcam16"](lite0, image, "espresso")
    both = methods.METHODS["gradcam_layers"](lite0, image, "espresso")
    assert fine.shape == coarse.shape == both.shape == image.shape[:2]
    # a 14 x 14 grid has more distinct row profiles than a 7 x 7 one: count the local maxima along the middle row
    peaks = lambda m: int(((m[1:-1] > m[:-2]) & (m[1:-1] >= m[2:])).sum())  # noqa: E731
    assert peaks(fine[200]) > peaks(coarse[200])
    scaled = lambda m: m / m.max()  # noqa: E731
    np.testing.assert_allclose(both, (scaled(coarse) + scaled(fine)) / 2, atol=1e-5)
    np.testing.assert_array_equal(image, before)


def test_replicate_border_drops_a_peak_on_the_outer_ring_and_keeps_the_inside() -> None:
    """The stride-16 CAM's padding artefact: a maximum on the outer ring gives way to the inner cells' values."""
    cam = torch.zeros(1, 6, 6)
    cam[0, 0, 3] = 9.0  # the artefact: a peak on the top row
    cam[0, 2, 3] = 1.0  # the object, inside
    before = cam.clone()
    out = gradcam_variants.replicate_border(cam, 1)
    torch.testing.assert_close(cam, before)  # the input is not mutated
    assert out.shape == cam.shape and float(out.max()) == 1.0
    torch.testing.assert_close(out[0, 1:5, 1:5], cam[0, 1:5, 1:5])
    assert float(out[0, 0, 3]) == float(cam[0, 1, 3]) and float(out[0, 0, 0]) == float(cam[0, 1, 1])
    torch.testing.assert_close(gradcam_variants.replicate_border(cam, 0), cam)
    with pytest.raises(ValueError, match="no inner cells"):
        gradcam_variants.replicate_border(torch.zeros(1, 2, 2), 1)


def test_the_fine_cam_is_its_grid_with_the_border_replicated_then_upsampled(lite0) -> None:
    image = helpers.load_image("coffee")
    x = whole_image_input(lite0, image)
    raw = grad_cam(lite0, x, "espresso", layer="_blocks.10", upsample=False)
    grid = gradcam_variants.replicate_border(raw, gradcam_variants.FINE_BORDER)
    up = torch.nn.functional.interpolate(grid[:, None], size=x.shape[-2:], mode="bilinear", align_corners=False)
    want = resize_map(up[0, 0].numpy(), *image.shape[:2])
    np.testing.assert_allclose(methods.METHODS["gradcam16"](lite0, image, "espresso"), want / want.max(), atol=1e-5)


def test_test_time_averaging_is_mirror_symmetric_on_a_mirror_symmetric_image(lite0) -> None:
    half = helpers.load_image("coffee")[:, :300]
    symmetric = np.ascontiguousarray(np.concatenate([half, half[:, ::-1]], axis=1))
    m = gradcam_variants.gradcam_tta(lite0, symmetric, "espresso", sides=(224,))
    np.testing.assert_allclose(m, m[:, ::-1], atol=1e-4)
    with pytest.raises(ValueError, match="at least one shorter side"):
        gradcam_variants.gradcam_tta(lite0, symmetric, "espresso", sides=())


def test_gradcam_at_a_larger_side_is_one_pass_on_a_finer_grid(lite0) -> None:
    """Round four's finer grid: one pass at shorter side 448 is a 14 x 14 grid on a square photo, not 7 x 7."""
    image = helpers.load_image("coffee")
    before = image.copy()
    coarse = methods.METHODS["gradcam"](lite0, image, "espresso")
    at_224 = gradcam_variants.gradcam_at_side(lite0, image, "espresso", side=224)
    np.testing.assert_allclose(at_224, coarse / coarse.max(), atol=1e-5)  # at the model's own size: today's map
    fine = methods.METHODS["gradcam448"](lite0, image, "espresso")
    assert fine.shape == image.shape[:2] and fine.max() == pytest.approx(1.0)
    np.testing.assert_array_equal(fine, gradcam_variants.gradcam_at_side(lite0, image, "espresso", side=448))
    peaks = lambda m: int(((m[1:-1] > m[:-2]) & (m[1:-1] >= m[2:])).sum())  # noqa: E731
    assert peaks(fine[200]) > peaks(coarse[200])
    x = whole_image_input(lite0, image)
    raw = helpers.views.image_tensor(image, lite0.device)
    big = lite0.normalize(helpers.geometry.resize_shorter_side(raw, 448))
    assert grad_cam(lite0, big, "espresso", upsample=False).shape[-2:] == (14, round(14 * x.shape[-1] / x.shape[-2]))
    np.testing.assert_array_equal(image, before)
    with pytest.raises(ValueError, match="side"):
        gradcam_variants.gradcam_at_side(lite0, image, "espresso", side=0)
