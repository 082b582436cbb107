"""The package's contract (helpers/__init__.py), checked for every public attribution function, like Captum's test_targets.

Batch functions take (model, x (N,C,H,W), target) and return (N,H,W) tensors; image-level functions take
(classifier, uint8 image, target) and return (H,W) float32 numpy. For each: target=None is the stated rule, int /
name / per-image targets agree, the output has the stated type, shape, dtype and device, the input is not
modified, the model's parameters get no .grad (they are trainable here, so a stray backward would show),
the result is the same under torch.no_grad(), and bad inputs and targets are clear errors.
"""

from __future__ import annotations

import copy
import dataclasses
import warnings
from collections.abc import Callable

import numpy as np
import pytest
import torch

import helpers
from helpers import attribution as A
from helpers import photos as P
from helpers import saliency as S
from helpers import toyworld
from helpers import views as V
from helpers.methods import METHODS

N = 3
CLASS, NAME = 2, "triangle"  # toyworld.CLASSES[2]


@pytest.fixture(scope="module")
def model(toy) -> helpers.Classifier:
    """The toy CNN with *trainable* parameters: a function that called .backward() would leave .grad on them."""
    return dataclasses.replace(toy, model=copy.deepcopy(toy.model).requires_grad_(True))


@pytest.fixture(scope="module")
def batch(toy) -> torch.Tensor:
    images = toyworld.generate(N, seed=toyworld.HELDOUT_SEED_OFFSET + 7).images
    return torch.cat([toy.preprocess(im) for im in images])


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    """A non-square uint8 image (56 x 72), so (H, W) mix-ups show."""
    big = toyworld.generate(1, seed=toyworld.HELDOUT_SEED_OFFSET + 9, size=72).images[0]
    return np.ascontiguousarray(big[8:64])


BatchFunction = Callable[..., torch.Tensor]
BATCH: dict[str, BatchFunction] = {
    "saliency_map": lambda m, x, t: S.saliency_map(m, x, t),
    "smoothgrad": lambda m, x, t: S.smoothgrad(m, x, t, n_samples=3),
    "backprop gradient": lambda m, x, t: A.backprop_saliency(m, x, t, rule="gradient"),
    "deconvnet": lambda m, x, t: A.backprop_saliency(m, x, t, rule="deconvnet"),
    "guided backprop": lambda m, x, t: A.backprop_saliency(m, x, t, rule="guided"),
    "grad_cam": lambda m, x, t: A.grad_cam(m, x, t),
    "integrated_gradients": lambda m, x, t: A.integrated_gradients(m, x, t, steps=4),
    "noise_tunnel(guided)": lambda m, x, t: helpers.noise_tunnel(A.backprop_saliency, n_samples=2)(
        m, x, t, rule="guided"
    ),
    "noise_tunnel(grad_cam)": lambda m, x, t: helpers.noise_tunnel(A.grad_cam, n_samples=2)(m, x, t),
    "noise_tunnel(integrated_gradients)": lambda m, x, t: helpers.noise_tunnel(A.integrated_gradients, n_samples=2)(
        m, x, t, steps=3
    ),
}

ImageFunction = Callable[..., np.ndarray]
IMAGE: dict[str, ImageFunction] = {
    "image_saliency": lambda m, im, t: S.image_saliency(m, im, t),
    "image_smoothgrad": lambda m, im, t: S.image_smoothgrad(m, im, t, n_samples=2),
    "ten_crop_saliency": lambda m, im, t: S.ten_crop_saliency(m, im, t),
    "ten_crop_saliency (SmoothGrad)": lambda m, im, t: S.ten_crop_saliency(m, im, t, n_samples=2, batch_size=4),
    "ten_crop(grad_cam)": lambda m, im, t: helpers.ten_crop(A.grad_cam)(m, im, t),
    "ten_crop(guided)": lambda m, im, t: helpers.ten_crop(A.backprop_saliency)(m, im, t, rule="guided"),
    "ten_crop(noise_tunnel(integrated_gradients))": lambda m, im, t: helpers.ten_crop(
        helpers.noise_tunnel(A.integrated_gradients, n_samples=2)
    )(m, im, t, steps=2),
    "whole_image(integrated_gradients)": lambda m, im, t: helpers.whole_image(A.integrated_gradients)(
        m, im, t, steps=4
    ),
    "photo_saliency": lambda m, im, t: P.photo_saliency(m, im, t),
    "gradcam_map": lambda m, im, t: P.gradcam_map(m, im, t),
    # every method of the registry (helpers.methods) keeps the image-level contract
    **{f"methods[{name}]": method for name, method in METHODS.items()},
}

batch_functions = pytest.mark.parametrize("fn", list(BATCH.values()), ids=list(BATCH))
image_functions = pytest.mark.parametrize("fn", list(IMAGE.values()), ids=list(IMAGE))


@pytest.fixture(autouse=True)
def _quiet_unlikely_targets():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", P.UnlikelyTargetWarning)
        yield


def _no_param_grad(model: helpers.Classifier) -> bool:
    return all(p.grad is None for p in model.model.parameters())


# ----------------------------------------------------------------------------------------------
# Batch functions


@batch_functions
def test_batch_target_none_is_each_images_top_class(fn, model, batch) -> None:
    with torch.no_grad():
        top = model.model(batch).argmax(dim=1)
    assert len(set(top.tolist())) > 1, "the images should not all have the same top class (the test would be weak)"
    torch.testing.assert_close(fn(model, batch, None), fn(model, batch, top.tolist()), rtol=0, atol=0)


@batch_functions
def test_batch_int_name_and_per_image_targets_agree(fn, model, batch) -> None:
    expected = fn(model, batch, CLASS)
    for target in (
        NAME,
        [CLASS] * N,
        [NAME] * N,
        torch.full((N,), CLASS),
        np.full(N, CLASS),
        np.int64(CLASS),
        torch.tensor(CLASS),
    ):
        torch.testing.assert_close(fn(model, batch, target), expected, rtol=0, atol=0, msg=f"target {target!r}")
    other = fn(model, batch, [CLASS, 0, 5])
    torch.testing.assert_close(other[0], expected[0], rtol=0, atol=0)
    assert not torch.equal(other[1], expected[1]), "another class must give another map"


@batch_functions
def test_batch_output_is_a_detached_n_h_w_float_tensor_on_the_models_device(fn, model, batch) -> None:
    out = fn(model, batch, CLASS)
    assert isinstance(out, torch.Tensor) and out.shape == (N, *batch.shape[-2:])
    assert out.dtype == torch.float32 and out.device == model.device and not out.requires_grad
    assert torch.isfinite(out).all() and out.abs().sum() > 0


@batch_functions
def test_batch_input_untouched_and_no_gradient_left_anywhere(fn, model, batch) -> None:
    x = batch.clone().requires_grad_(True)
    fn(model, x, CLASS)
    assert torch.equal(x.detach(), batch) and x.grad is None
    assert _no_param_grad(model)


@batch_functions
def test_batch_same_result_under_no_grad(fn, model, batch) -> None:
    expected = fn(model, batch, CLASS)
    with torch.no_grad():
        torch.testing.assert_close(fn(model, batch, CLASS), expected, rtol=0, atol=0)


@batch_functions
def test_batch_float64_input_is_converted_to_the_models_dtype(fn, model, batch) -> None:
    out = fn(model, batch.double(), CLASS)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, fn(model, batch, CLASS), rtol=0, atol=0)


@batch_functions
@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        (lambda x: x[0], ValueError, "(N,C,H,W)"),
        (lambda x: (x * 0).to(torch.uint8), ValueError, "floating-point"),
        (lambda x: x.numpy(), TypeError, "tensor"),
        (lambda x: x[:, :1], ValueError, "colour channels"),
        (lambda x: x[..., :32], ValueError, "64x64"),
    ],
    ids=["3-d", "uint8", "numpy", "one channel", "wrong size"],
)
def test_batch_bad_inputs_are_clear_errors(fn, model, batch, bad, error, words) -> None:
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        fn(model, bad(batch), CLASS)


@batch_functions
@pytest.mark.parametrize(
    ("target", "error", "words"),
    [
        (2.5, TypeError, "int class index or a class name"),
        (True, TypeError, "int class index or a class name"),
        (6, IndexError, "out of range"),
        ("hexagon", ValueError, "Unknown class name"),
        ([0, 1], ValueError, "one per image"),
        (np.zeros((N, 1), int), ValueError, "1-d"),
    ],
    ids=["float", "bool", "out of range", "unknown name", "wrong count", "2-d"],
)
def test_batch_bad_targets_are_clear_errors(fn, model, batch, target, error, words) -> None:
    with pytest.raises(error, match=words):
        fn(model, batch, target)


# ----------------------------------------------------------------------------------------------
# Image-level functions


def _whole_image_top_class(model: helpers.Classifier, image: np.ndarray) -> int:
    return int(V.whole_image_scores(model, image).argmax())


@image_functions
def test_image_target_none_is_the_whole_images_top_class(fn, model, image) -> None:
    top = _whole_image_top_class(model, image)
    np.testing.assert_array_equal(fn(model, image, None), fn(model, image, top))
    assert not np.array_equal(fn(model, image, None), fn(model, image, (top + 1) % 6))


@image_functions
def test_image_int_and_name_agree_and_per_image_lists_are_refused(fn, model, image) -> None:
    expected = fn(model, image, CLASS)
    for target in (NAME, "Triangle", np.int64(CLASS), torch.tensor(CLASS)):
        np.testing.assert_array_equal(fn(model, image, target), expected, err_msg=f"target {target!r}")
    with pytest.raises(TypeError, match="one class"):
        fn(model, image, [CLASS])


@image_functions
def test_image_output_is_float32_numpy_at_the_images_size(fn, model, image) -> None:
    out = fn(model, image, CLASS)
    assert isinstance(out, np.ndarray) and out.shape == image.shape[:2] and out.dtype == np.float32
    assert np.isfinite(out).all() and out.max() > 0


@image_functions
def test_image_untouched_no_gradient_and_same_under_no_grad(fn, model, image) -> None:
    before = image.copy()
    expected = fn(model, image, CLASS)
    assert np.array_equal(image, before) and _no_param_grad(model)
    with torch.no_grad():
        np.testing.assert_array_equal(fn(model, image, CLASS), expected)


@image_functions
@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        (lambda im: im.astype(np.float64), ValueError, "uint8"),
        (lambda im: np.dstack([im, im[..., :1]]), ValueError, "RGBA"),
        (lambda im: torch.from_numpy(im), TypeError, "numpy array"),
        (lambda im: im[:4, :4], ValueError, "too small"),
    ],
    ids=["float64", "RGBA", "tensor", "tiny"],
)
def test_image_bad_inputs_are_clear_errors(fn, model, image, bad, error, words) -> None:
    with pytest.raises(error, match=words):
        fn(model, bad(image), CLASS)


@image_functions
def test_image_functions_need_a_classifier(fn, model, image) -> None:
    with pytest.raises(TypeError, match="Classifier"):
        fn(model.model, image, CLASS)


# ----------------------------------------------------------------------------------------------
# The wrappers are the functions they replace


def test_smoothgrad_is_noise_tunnel_of_the_gradient_and_a_hand_written_average(model, batch) -> None:
    sg = S.smoothgrad(model, batch, CLASS, n_samples=4, noise_level=0.2, seed=3)
    tunnel = helpers.noise_tunnel(S.saliency_map, n_samples=4, noise_level=0.2, seed=3)(model, batch, CLASS)
    torch.testing.assert_close(tunnel, sg, rtol=0, atol=0)
    gen = torch.Generator().manual_seed(3)  # by hand: the documented noise, one saliency map per noisy copy
    noise = torch.randn((4, *batch.shape), generator=gen)
    span = (batch.amax(dim=(1, 2, 3)) - batch.amin(dim=(1, 2, 3))).view(-1, 1, 1, 1)
    by_hand = torch.stack([S.saliency_map(model, batch + 0.2 * span * e, CLASS) for e in noise]).mean(dim=0)
    torch.testing.assert_close(sg, by_hand, rtol=1e-5, atol=1e-7)
    assert not torch.allclose(sg, S.saliency_map(model, batch, CLASS), rtol=1e-3)  # the noise does something


def test_ten_crop_and_whole_image_wrappers_are_the_image_functions(model, image) -> None:
    np.testing.assert_array_equal(
        helpers.ten_crop(S.saliency_map)(model, image, CLASS), S.ten_crop_saliency(model, image, CLASS)
    )
    tunnel = helpers.noise_tunnel(S.saliency_map, n_samples=2, seed=4)
    np.testing.assert_array_equal(
        helpers.ten_crop(tunnel)(model, image, CLASS), S.ten_crop_saliency(model, image, CLASS, n_samples=2, seed=4)
    )
    np.testing.assert_array_equal(
        helpers.whole_image(S.saliency_map)(model, image, CLASS), S.image_saliency(model, image, CLASS)
    )
    np.testing.assert_array_equal(
        helpers.whole_image(tunnel)(model, image, CLASS), S.image_smoothgrad(model, image, CLASS, n_samples=2, seed=4)
    )


def test_noise_tunnel_refuses_bad_settings() -> None:
    for kwargs in ({"n_samples": 0}, {"n_samples": 2.5}, {"n_samples": True}, {"noise_level": -0.1}, {"batch_size": 0}):
        with pytest.raises(ValueError):
            helpers.noise_tunnel(S.saliency_map, **kwargs)


# ----------------------------------------------------------------------------------------------
# Scores of maps: a scalar for one (H,W) map, an (N,) array for an (N,H,W) stack (helpers.evaluation.masks)


def _maps_and_masks() -> tuple[np.ndarray, np.ndarray]:
    """Three 30x40 maps and masks: a peak inside its mask, a peak 10 px from its mask, a peak far from it."""
    maps, masks = np.full((3, 30, 40), 0.1), np.zeros((3, 30, 40), bool)
    masks[:, 5:15, 5:15] = True
    maps[0, 10, 10] = maps[1, 24, 10] = maps[2, 25, 38] = 1.0
    return maps, masks


SCORES = {
    "mass_inside_mask": (lambda s, m: helpers.mass_inside_mask(s, m), float, np.float64),
    "pointing_game": (lambda s, m: helpers.pointing_game(s, m), float, np.float64),
    "pointing_hit": (lambda s, m: helpers.pointing_hit(s, m), bool, np.bool_),
    "centre_hit": (lambda s, m: helpers.centre_hit(m), bool, np.bool_),
}


@pytest.mark.parametrize("name", sorted(SCORES))
def test_scores_give_a_scalar_for_one_map_and_an_array_for_a_stack(name) -> None:
    score, scalar, dtype = SCORES[name]
    maps, masks = _maps_and_masks()
    one = [score(s, m) for s, m in zip(maps, masks)]
    assert all(type(v) is scalar for v in one)  # a Python float or bool, not a numpy scalar or a 0-d array
    stacked = score(maps, masks)
    assert isinstance(stacked, np.ndarray) and stacked.shape == (3,) and stacked.dtype == dtype
    assert stacked.tolist() == one  # element i is map i's own score
    first = score(maps[:1], masks[:1])  # the rule is the number of dimensions, not N: a stack of one is an array
    assert isinstance(first, np.ndarray) and first.shape == (1,) and first.tolist() == one[:1]
    from_tensors = score(torch.from_numpy(maps), torch.from_numpy(masks))
    assert isinstance(from_tensors, np.ndarray) and from_tensors.tolist() == one


def test_pointing_scores_of_the_stack_are_the_known_values() -> None:
    maps, masks = _maps_and_masks()
    assert helpers.pointing_hit(maps, masks).tolist() == [True, True, False]  # 10 px < 15 px; the corner is far
    assert helpers.pointing_hit(maps, masks, tolerance=10).tolist() == [True, False, False]  # strictly closer
    assert helpers.pointing_game(maps, masks).tolist() == [1.0, 0.0, 0.0]
    assert (
        helpers.centre_hit(masks).tolist() == [True] * 3
    )  # centre (14.5, 19.5) is 5.5 px from the mask pixel (14, 14)
    for bad in (masks[:2], masks[0], masks[..., :20]):
        with pytest.raises(ValueError, match="same"):
            helpers.pointing_hit(maps, bad)
    with pytest.raises(ValueError, match="mask"):
        helpers.centre_hit(masks[0, 0])
