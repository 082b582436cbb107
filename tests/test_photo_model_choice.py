"""best_photo_model(prefer=...) and COURSE_PHOTO_MODEL keep Lite0 online, without looking at the network."""

from __future__ import annotations

import pytest

import helpers
from helpers import photos


@pytest.fixture()
def vgg16_available(monkeypatch):
    """VGG16 counts as downloadable (the automatic choice would take it); the environment variable is unset."""
    monkeypatch.delenv("COURSE_PHOTO_MODEL", raising=False)
    monkeypatch.setattr(photos, "photo_model_name", lambda timeout=3.0: photos.ONLINE_PHOTO_MODEL)
    loaded = []
    real = photos.load_model
    monkeypatch.setattr(
        photos,
        "load_model",
        lambda name, device=None, **kw: (
            loaded.append(name)
            or (pytest.fail("VGG16 must not be loaded") if name == "vgg16" else real(name, device, **kw))
        ),
    )
    return loaded


def test_prefer_keeps_lite0_although_vgg16_is_available(vgg16_available) -> None:
    model = helpers.best_photo_model(device="cpu", prefer="efficientnet_lite0")
    assert model.name == "efficientnet_lite0" and vgg16_available == ["efficientnet_lite0"]


def test_the_environment_variable_keeps_lite0(vgg16_available, monkeypatch) -> None:
    monkeypatch.setenv("COURSE_PHOTO_MODEL", "efficientnet_lite0")
    assert helpers.best_photo_model(device="cpu").name == "efficientnet_lite0"


def test_prefer_auto_is_the_automatic_choice(vgg16_available) -> None:
    with pytest.raises(pytest.fail.Exception, match="VGG16 must not be loaded"):
        helpers.best_photo_model(device="cpu", prefer="auto")  # auto takes VGG16 here, as without prefer


def test_a_bad_preference_names_where_it_came_from(monkeypatch) -> None:
    monkeypatch.setenv("COURSE_PHOTO_MODEL", "no_such_net")
    with pytest.raises(ValueError, match=r"COURSE_PHOTO_MODEL='no_such_net': Unknown model"):
        helpers.best_photo_model(device="cpu")
    with pytest.raises(ValueError, match=r"prefer='no_such_net'"):
        helpers.best_photo_model(device="cpu", prefer="no_such_net")
    with pytest.raises(TypeError, match="prefer must be a model name"):
        helpers.best_photo_model(device="cpu", prefer=3)
