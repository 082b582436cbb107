"""helpers.inputs: one input contract (model argument, model input), and the bad inputs of a new user's trial."""

import numpy as np
import pytest
import torch
from PIL import Image

import helpers
from helpers import inputs
from helpers.attribution import grad_cam
from helpers.classvis import input_gradient, log_softmax_gradient_identity
from helpers.evaluation.randomization import randomize_top_layers
from helpers.saliency import saliency_map


@pytest.fixture(scope="module")
def x(toy):
    return toy.preprocess(np.full((64, 64, 3), 90, np.uint8))


def test_model_input_moves_to_the_models_device_and_dtype(toy, x):
    double = x.double()
    out = inputs.model_input(toy, double)
    assert out.dtype == torch.float32 and out.device == toy.device
    assert double.dtype == torch.float64  # the caller's tensor is not changed
    assert torch.allclose(saliency_map(toy, double, 0), saliency_map(toy, x, 0))


@pytest.mark.parametrize(
    "bad, message",
    [
        ("efficientnet_lite0", r"Load it first: model = helpers.load_model\('efficientnet_lite0'\)"),
        (42, "Expected a helpers.Classifier or an nn.Module"),
    ],
)
def test_a_model_that_is_not_a_model_names_the_fix(x, bad, message):
    with pytest.raises(TypeError, match=message):
        saliency_map(bad, x, 0)


def test_as_classifier_names_the_fix_for_strings_and_bare_modules(toy):
    with pytest.raises(TypeError, match=r"clf = helpers.load_model\('toy'\), then photo_saliency"):
        inputs.as_classifier("toy", "photo_saliency")
    with pytest.raises(TypeError, match=r"not its bare module \(clf.model\)"):
        inputs.as_classifier(toy.model, "photo_saliency")
    assert inputs.as_classifier(toy, "f") is toy


def test_pil_images_get_a_conversion_hint(toy):
    pil = Image.fromarray(np.full((64, 64, 3), 90, np.uint8))
    with pytest.raises(TypeError, match=r"np.asarray\(img.convert\('RGB'\)\)"):
        toy.predict(pil)
    with pytest.raises(TypeError, match="PIL image"):
        saliency_map(toy, pil, 0)


def test_predict_takes_a_float64_tensor_and_refuses_a_batch(toy, x):
    assert toy.predict(x.double(), k=1)[0][0] == toy.predict(x, k=1)[0][0]
    with pytest.raises(ValueError, match="predict takes one image"):
        toy.predict(torch.cat([x, x]))


def test_gradients_work_under_the_callers_no_grad(toy, x):
    with torch.no_grad():
        g = input_gradient(toy, x, 0)
        identity = log_softmax_gradient_identity(toy, x, 0)
        cam = grad_cam(toy, x, 0)
        m = saliency_map(toy, x, 0)
    assert g.abs().sum() > 0 and identity.autograd.abs().sum() > 0 and cam.shape == m.shape == (1, 64, 64)


def test_randomize_top_layers_is_seeded_on_the_cpu_and_leaves_the_global_generator_alone(toy):
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = randomize_top_layers(toy, 2, seed=5)
    assert torch.equal(torch.rand(1), expected_next)  # the caller's stream is untouched
    b = randomize_top_layers(toy, 2, seed=5)
    c = randomize_top_layers(toy, 2, seed=6)
    wa, wb, wc = (next(iter(m.model.classifier[-1].parameters())) for m in (a, b, c))
    assert torch.equal(wa, wb) and not torch.equal(wa, wc)
    assert wa.device == toy.device


# --- the photo functions: one input check, grayscale alike everywhere, unlikely targets named ---------------

import warnings

from helpers import photos


@pytest.fixture(scope="module")
def coffee_224():
    import cv2

    return cv2.resize(helpers.load_image("coffee"), (224, 224), interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize(
    "function", [photos.photo_saliency, photos.localize_photo, photos.localize_photo_paper, photos.gradcam_map]
)
def test_photo_functions_name_the_fix_for_a_model_name_or_a_bare_module(lite0, coffee_224, function):
    with pytest.raises(
        TypeError, match=rf"{function.__name__} needs a helpers.Classifier.*helpers.load_model\('efficientnet_lite0'\)"
    ):
        function("efficientnet_lite0", coffee_224)
    with pytest.raises(TypeError, match=r"not its bare module \(clf.model\)"):
        function(lite0.model, coffee_224)


@pytest.mark.slow
def test_grayscale_photos_behave_alike_in_every_photo_function(lite0, coffee_224):
    gray = coffee_224.mean(axis=2).astype(np.uint8)
    rgb = np.repeat(gray[..., None], 3, axis=2)
    assert np.array_equal(photos.photo_saliency(lite0, gray, "espresso"), photos.photo_saliency(lite0, rgb, "espresso"))
    assert photos.localize_photo(lite0, gray, "espresso").box == photos.localize_photo(lite0, rgb, "espresso").box


@pytest.mark.slow
def test_an_unlikely_target_warns_and_says_what_the_map_means(lite0, coffee_224):
    with pytest.warns(photos.UnlikelyTargetWarning, match=r"'kite' probability .* top class 'espresso'.*not evidence"):
        photos.localize_photo(lite0, coffee_224, "kite")
    with pytest.warns(photos.UnlikelyTargetWarning, match="'kite'"):
        photos.photo_saliency(lite0, coffee_224, "kite")
    with warnings.catch_warnings():
        warnings.simplefilter("error", photos.UnlikelyTargetWarning)
        photos.localize_photo(lite0, coffee_224, "espresso")  # the top class: no warning
        photos.localize_photo(lite0, coffee_224)  # None = the top class
        photos.without_unlikely_warnings(photos.localize_photo)(lite0, coffee_224, "kite")  # evaluations stay quiet


@pytest.mark.parametrize("shape", [(1, 3, 10, 10), (1, 3, 1, 1), (2, 3, 224, 20)])
def test_a_classifiers_input_below_the_minimum_side_is_refused_with_the_fix(lite0, shape):
    """saliency_map(clf, torch.zeros(1,3,10,10), 0) used to return an all-zero map; now it says to preprocess."""
    with pytest.raises(ValueError, match=r"smaller than 32 px a side.*clf\.preprocess\(image\)"):
        saliency_map(lite0, torch.zeros(shape), 0)
    with pytest.raises(ValueError, match=r"clf\.preprocess\(image\)"):
        grad_cam(lite0, torch.rand(shape), 0)


def test_the_minimum_side_itself_and_bare_modules_on_tiny_inputs_still_work(lite0):
    side = inputs.MIN_INPUT_SIDE
    assert saliency_map(lite0, torch.zeros(1, 3, side, side), 0).shape == (1, side, side)
    tiny = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(), torch.nn.LazyLinear(2)).eval()
    tiny(torch.zeros(1, 3, 8, 8))
    assert saliency_map(tiny, torch.zeros(1, 3, 8, 8), 0).shape == (1, 8, 8)
