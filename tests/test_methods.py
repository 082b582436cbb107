"""helpers.methods: the one registry of attribution methods, and the three places that choose from it by name.

The registry's methods keep the image-level contract (tests/test_contract.py runs them all); here, each name is
the function it says, and the photo pipeline, the photo localization benchmark and the saliency explorer read
the registry (and compute exactly what they computed before it existed).
"""

from __future__ import annotations

import typing
import warnings

import numpy as np
import pytest

from helpers import gradcam_variants, methods, photos, toyworld
from helpers import saliency as S
from helpers import views as V
from helpers.attribution import grad_cam
from helpers.evaluation import photo_localization as photo_eval
from helpers.geometry import resize_map

CLASS = 2


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    """A non-square toy image (56 x 72)."""
    return np.ascontiguousarray(toyworld.generate(1, seed=toyworld.HELDOUT_SEED_OFFSET + 3, size=72).images[0][8:64])


def test_the_registry_names_its_methods_and_refuses_others() -> None:
    assert " ".join(methods.METHOD_NAMES) == (
        "single ten_crop smoothgrad ten_crop_smoothgrad gradcam gradcam16 gradcam_layers gradcam_tta "
        "gradcam320 gradcam448"
    )
    assert typing.get_args(methods.MethodName) == methods.METHOD_NAMES  # the type names exactly the registry
    assert [m.name for m in methods.METHODS.values()] == list(methods.METHODS)
    assert [n for n, m in methods.METHODS.items() if m.paper] == ["single", "ten_crop"]
    assert all(methods.attribution_method(n) is methods.METHODS[n] for n in methods.METHOD_NAMES)
    for bad in ("magic", "Single", "", None, 1):
        with pytest.raises(ValueError, match=r"method must be one of \('single', 'ten_crop'"):
            methods.attribution_method(bad)  # type: ignore[arg-type]


def test_each_name_is_the_function_it_says(toy, image) -> None:
    expected = {
        "single": S.image_saliency(toy, image, CLASS),
        "ten_crop": S.ten_crop_saliency(toy, image, CLASS),
        "smoothgrad": S.image_smoothgrad(toy, image, CLASS, n_samples=8),
        "ten_crop_smoothgrad": S.ten_crop_saliency(toy, image, CLASS, n_samples=2),
        "gradcam": resize_map(grad_cam(toy, V.whole_image_input(toy, image), CLASS)[0].numpy(), *image.shape[:2]),
        "gradcam16": gradcam_variants.gradcam_at_stride(toy, image, CLASS, stride=16),
        "gradcam_layers": gradcam_variants.gradcam_layers(toy, image, CLASS),
        "gradcam_tta": gradcam_variants.gradcam_tta(toy, image, CLASS, sides=gradcam_variants.TTA_SIDES),
        "gradcam320": gradcam_variants.gradcam_at_side(toy, image, CLASS, side=320),
        "gradcam448": gradcam_variants.gradcam_at_side(toy, image, CLASS, side=448),
    }
    assert set(expected) == set(methods.METHODS)
    for name, want in expected.items():
        np.testing.assert_array_equal(methods.METHODS[name](toy, image, CLASS), want, err_msg=name)
    assert (methods.SMOOTHGRAD_SAMPLES, methods.TEN_CROP_SMOOTHGRAD_SAMPLES) == (8, 2)


def test_the_photo_pipeline_reads_the_registry(toy, image) -> None:
    assert set(photos.PHOTO_METHODS) < set(methods.METHODS)
    for name, method in methods.METHODS.items():
        np.testing.assert_array_equal(
            photos.method_saliency(toy, image, CLASS, name), method(toy, image, CLASS), err_msg=name
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", photos.UnlikelyTargetWarning)
        np.testing.assert_array_equal(
            photos.photo_saliency(toy, image, CLASS),
            photos.quantise_map(methods.METHODS[photos.PHOTO_METHOD](toy, image, CLASS)),
        )
    np.testing.assert_array_equal(
        photos.gradcam_map(toy, image, CLASS), photos.quantise_map(methods.METHODS["gradcam"](toy, image, CLASS))
    )
    with pytest.raises(ValueError, match="method must be one of"):
        photos.method_saliency(toy, image, CLASS, "magic")  # type: ignore[arg-type]


def test_the_photo_benchmark_kinds_are_the_registry_and_the_photo_map(toy, image) -> None:
    kinds = photo_eval.saliency_functions()
    assert set(kinds) == set(methods.METHODS) | {"photo"}
    assert set(kinds) >= {loc.saliency for loc in photo_eval.PHOTO_LOCALIZERS} - {None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", photos.UnlikelyTargetWarning)
        for name, method in methods.METHODS.items():
            raw = method(toy, image, CLASS)
            want = raw if name in photo_eval.RAW_KINDS else photos.quantise_map(raw)  # the paper's maps stay raw
            np.testing.assert_array_equal(kinds[name](toy, image, CLASS), want, err_msg=name)
        np.testing.assert_array_equal(
            kinds["smoothgrad"](toy, image, CLASS),
            photos.quantise_map(photos.method_saliency(toy, image, CLASS, "smoothgrad")),
        )
        np.testing.assert_array_equal(kinds["gradcam"](toy, image, CLASS), photos.gradcam_map(toy, image, CLASS))
        np.testing.assert_array_equal(kinds["photo"](toy, image, CLASS), photos.photo_saliency(toy, image, CLASS))


def test_the_saliency_explorer_reads_the_registry(toy, image) -> None:
    from helpers.course import widgets

    assert set(widgets.MODE_METHODS) == set(widgets.SALIENCY_MODES)
    assert set(widgets.MODE_METHODS.values()) <= set(methods.METHODS)
    explorer = widgets.saliency_explorer(toy, {"toy": image})
    for mode, name in widgets.MODE_METHODS.items():
        np.testing.assert_array_equal(
            explorer.compute("toy", "triangle", mode), methods.METHODS[name](toy, image, "triangle")
        )
