"""Model loading: the offline ImageNet default, torchvision models from local files, the toy CNN."""

from __future__ import annotations

import urllib.error

import numpy as np
import pytest
import torch
import torchvision

import helpers
from helpers import toyworld
from helpers.images import photo_info
from helpers.models import WeightsUnavailableError, torch_home_checkpoint
from helpers.targets import class_index


def _assert_frozen(classifier: helpers.Classifier) -> None:
    assert not classifier.model.training
    assert not any(p.requires_grad for p in classifier.model.parameters())


def test_lite0_classifies_every_bundled_photo_as_its_object(lite0) -> None:
    for name in helpers.list_images("bundled"):
        top1, _ = lite0.predict(helpers.load_image(name), k=1)[0]
        assert top1 in photo_info(name).imagenet, (name, top1)
    assert lite0.predict(helpers.load_image("coffee"), k=1)[0][0] == "espresso"
    assert "cat" in lite0.predict(helpers.load_image("chelsea"), k=1)[0][0]


def test_lite0_is_frozen_and_has_imagenet_metadata(lite0) -> None:
    _assert_frozen(lite0)
    assert len(lite0.categories) == 1000 and lite0.input_size == 224
    assert lite0.device == torch.device("cpu")


def test_lite0_accepts_any_input_size(lite0) -> None:
    with torch.no_grad():
        assert lite0.model(torch.zeros(2, 3, 225, 161)).shape == (2, 1000)


def test_preprocess_shapes_and_does_not_mutate(lite0) -> None:
    image = helpers.load_image("chelsea")
    before = image.copy()
    assert lite0.preprocess(image).shape == (1, 3, 224, 224)
    assert lite0.preprocess(image, center_crop=False).shape == (1, 3, 224, 337)
    np.testing.assert_array_equal(image, before)


def test_deprocess_inverts_preprocess(lite0) -> None:
    image = helpers.load_image("coffee")[:224, :224]
    restored = lite0.deprocess(lite0.preprocess(image, center_crop=False))
    assert np.abs(restored.astype(int) - image.astype(int)).max() <= 1


def test_preprocess_is_the_standard_evaluation_crop(lite0) -> None:
    """Shorter side 256 (= 224 / 0.875), then the central 224 x 224: a 256 x 320 image is only cropped."""
    image = helpers.load_image("coffee")[:256, :320]
    assert lite0.crop_fraction == 0.875
    restored = lite0.deprocess(lite0.preprocess(image))
    assert np.abs(restored.astype(int) - image[16:240, 48:272].astype(int)).max() <= 1


def test_preprocess_rejects_grayscale_and_rgba_with_a_hint(lite0) -> None:
    with pytest.raises(ValueError, match="grayscale.*to_rgb_uint8"):
        lite0.preprocess(np.zeros((64, 64), np.uint8))
    with pytest.raises(ValueError, match="RGBA"):
        lite0.preprocess(np.zeros((64, 64, 4), np.uint8))


def test_class_index_by_name_substring_and_index(lite0) -> None:
    assert lite0.categories[lite0.class_index("espresso")] == "espresso"
    assert lite0.categories[lite0.class_index("Limousine")] == "limousine"
    assert lite0.categories[lite0.class_index("dalmat")] == "dalmatian"
    assert lite0.class_index(3) == 3


def test_class_index_errors_are_helpful() -> None:
    cats = ["tiger cat", "Egyptian cat", "espresso"]
    with pytest.raises(ValueError, match="Did you mean: 'espresso'"):
        class_index(cats, "expresso")
    with pytest.raises(ValueError, match="ambiguous.*tiger cat"):
        class_index(cats, "cat")
    with pytest.raises(IndexError, match=r"0\.\.2"):
        class_index(cats, 3)
    with pytest.raises(TypeError):
        class_index(cats, 1.5)  # type: ignore[arg-type]


def test_unknown_model_name_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="Unknown model 'resnet_9000'"):
        helpers.load_model("resnet_9000", device="cpu")


@pytest.fixture()
def offline_torch_home(tmp_path, monkeypatch):
    """An empty TORCH_HOME where every download fails, as on a machine without internet."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))

    def no_network(url, dst, *args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    return tmp_path


@pytest.mark.slow
def test_torchvision_model_from_a_local_state_dict(offline_torch_home) -> None:
    path = offline_torch_home / "my_resnet18.pth"
    reference = torchvision.models.resnet18(weights=None).eval()
    torch.save(reference.state_dict(), path)
    classifier = helpers.load_model("resnet18", device="cpu", weights=path)
    _assert_frozen(classifier)
    assert len(classifier.categories) == 1000 and classifier.input_size == 224
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(classifier.model(x), reference(x))


@pytest.mark.slow
def test_torchvision_model_from_the_torch_home_cache(offline_torch_home) -> None:
    url = torchvision.models.get_model_weights("resnet18").DEFAULT.url
    cached = torch_home_checkpoint(url.rsplit("/", 1)[-1])
    assert str(offline_torch_home) in str(cached)
    cached.parent.mkdir(parents=True)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), cached)
    assert helpers.load_model("resnet18", device="cpu").name == "resnet18"


def test_offline_download_says_which_file_to_place_where(offline_torch_home) -> None:
    with pytest.raises(WeightsUnavailableError) as info:
        helpers.load_model("alexnet", device="cpu")
    message = str(info.value)
    assert "alexnet-owt" in message and str(offline_torch_home / "torch_home") in message


def test_corrupt_weights_file_is_a_clear_error(offline_torch_home) -> None:
    bad = offline_torch_home / "corrupt.pth"
    bad.write_bytes(b"\x00garbage")
    with pytest.raises(WeightsUnavailableError, match="corrupt"):
        helpers.load_model("resnet18", device="cpu", weights=bad)


@pytest.mark.slow
def test_wrong_architecture_weights_are_a_clear_error(offline_torch_home) -> None:
    path = offline_torch_home / "resnet18.pth"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), path)
    with pytest.raises(WeightsUnavailableError, match="does not hold alexnet weights"):
        helpers.load_model("alexnet", device="cpu", weights=path)


def test_toy_model_loads_frozen_with_its_mean_image(toy) -> None:
    _assert_frozen(toy)
    assert toy.categories == list(toyworld.CLASSES)
    assert tuple(toy.mean.shape) == (3, toyworld.IMAGE_SIZE, toyworld.IMAGE_SIZE)


def test_toy_model_scores_at_least_97_percent_through_the_classifier(toy) -> None:
    data = toyworld.generate(600, seed=31337)
    x = toy.normalize(torch.from_numpy(data.images).permute(0, 3, 1, 2).float() / 255.0)
    with torch.no_grad():
        accuracy = (toy.model(x).argmax(1).numpy() == data.labels).mean()
    assert accuracy >= 0.97


@pytest.mark.slow
@pytest.mark.parametrize("name, size", [("efficientnet_lite1", 240), ("efficientnet_lite2", 260)])
def test_lite1_and_lite2_load_frozen_at_their_resolution_and_see_the_espresso(name: str, size: int) -> None:
    classifier = helpers.load_model(name, device="cpu")
    _assert_frozen(classifier)
    assert classifier.name == name and classifier.input_size == size and len(classifier.categories) == 1000
    top1, _ = classifier.predict(helpers.load_image("coffee"), k=1)[0]
    assert top1 in {"espresso", "cup", "coffee mug"}, top1
    assert classifier.preprocess(helpers.load_image("coffee")).shape == (1, 3, size, size)


def test_lite_weights_of_another_size_are_a_clear_error() -> None:
    from helpers.models import lite_weights_path

    with pytest.raises(WeightsUnavailableError, match="does not hold EfficientNet-Lite1 weights"):
        helpers.load_model("efficientnet_lite1", device="cpu", weights=lite_weights_path("lite2"))


def test_lite_multipliers_reproduce_the_published_channel_counts() -> None:
    from helpers.efficientnet_lite import scaled_stages

    lite2 = scaled_stages(width=1.1, depth=1.2)
    assert [s[5] for s in lite2] == [16, 24, 48, 88, 120, 208, 352]
    assert sum(s[0] for s in lite2) == sum(s[0] for s in scaled_stages(1.0, 1.1)) == 21


def test_unknown_class_suggests_only_related_names(lite0) -> None:
    with pytest.raises(ValueError, match="No class name is close") as err:
        lite0.class_index("not a class")
    assert "binoculars" not in str(err.value)
    with pytest.raises(ValueError, match="'golden retriever'"):
        lite0.class_index("golden retreiver")  # close whole name (difflib)
    with pytest.raises(ValueError, match="'Labrador retriever'"):
        lite0.class_index("retriver")  # close word inside longer names
    with pytest.raises(ValueError, match="'container ship'"):
        lite0.class_index("rocket ship")  # a word of the query inside a name (substring hit)


def test_imagenet_categories_file_is_torchvisions_list():
    """The class names ship as a file so offline notebooks skip the torchvision import; they must stay torchvision's."""
    import torchvision

    from helpers.categories import imagenet_categories

    assert imagenet_categories() == list(torchvision.models.ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


@pytest.mark.slow
def test_offline_models_do_not_import_torchvision():
    import subprocess
    import sys

    code = (
        "import sys, helpers; helpers.load_model('efficientnet_lite0'); helpers.load_model('toy'); "
        "helpers.photos.VGG16_WEIGHTS_URL; print('torchvision' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "False"
