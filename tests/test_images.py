"""Bundled photos and image loading: formats are converted, bad input gets a clear error."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import helpers
from helpers.images import IMAGES_DIR, check_rgb_uint8, photo_info


def test_bundled_photos_load_as_rgb_uint8() -> None:
    names = helpers.list_images("bundled")
    assert 6 <= len(names) <= 10 and helpers.list_images() == names + helpers.list_images("coco")
    for name in names:
        image = helpers.load_image(name)
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3


def test_every_photo_has_a_licence_line_and_a_box_inside_it() -> None:
    licences = (IMAGES_DIR / "LICENSES.md").read_text()
    for name in helpers.list_images("bundled"):
        info = photo_info(name)
        assert info.path.name in licences
        h, w = helpers.load_image(name).shape[:2]
        x0, y0, x1, y1 = info.box
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h, name


@pytest.mark.parametrize(
    "mode, make",
    [
        ("L", lambda: np.full((20, 30), 200, np.uint8)),
        ("RGBA", lambda: np.dstack([np.full((20, 30, 3), 100, np.uint8), np.full((20, 30), 0, np.uint8)])),
        ("I;16", lambda: np.full((20, 30), 65535, np.uint16)),
    ],
)
def test_other_formats_are_converted(tmp_path, mode: str, make) -> None:
    path = tmp_path / "img.png"
    Image.fromarray(make()).save(path)
    image = helpers.load_image(path)
    assert image.shape == (20, 30, 3) and image.dtype == np.uint8
    if mode == "L":
        assert (image == 200).all()
    if mode == "RGBA":  # fully transparent -> composited over white
        assert (image == 255).all()
    if mode == "I;16":
        assert (image == 255).all()


def test_palette_image_is_converted(tmp_path) -> None:
    img = Image.new("P", (10, 10))
    img.putpalette([255, 0, 0] * 256)
    img.save(tmp_path / "p.png")
    image = helpers.load_image(tmp_path / "p.png")
    assert image.shape == (10, 10, 3) and (image[..., 0] == 255).all() and (image[..., 1] == 0).all()


def test_missing_file_names_the_path(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.png"):
        helpers.load_image(tmp_path / "nope.png")


def test_unreadable_file_is_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(ValueError, match="bad.jpg"):
        helpers.load_image(bad)


def test_unknown_photo_name_lists_the_bundled_ones() -> None:
    with pytest.raises(KeyError, match="chelsea.*coco_599"):
        photo_info("zebra")


@pytest.mark.parametrize(
    "array, message",
    [
        (np.zeros((32, 32), np.uint8), "grayscale"),
        (np.zeros((32, 32, 4), np.uint8), "RGBA"),
        (np.zeros((32, 32, 3), np.float64), "uint8"),
        (np.zeros((4, 4, 3), np.uint8), "too small"),
    ],
)
def test_check_rgb_uint8_explains_what_was_expected(array: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_rgb_uint8(array)


def test_to_rgb_uint8_rejects_out_of_range_floats() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        helpers.to_rgb_uint8(np.full((4, 4, 3), 2.0))


def test_resize_map_averages_when_shrinking_and_keeps_shape_when_equal() -> None:
    from helpers.geometry import resize_map

    checker = np.indices((8, 8)).sum(axis=0) % 2  # mean 0.5
    small = resize_map(checker, 2, 2)
    assert small.dtype == np.float32 and np.allclose(small, 0.5)
    assert resize_map(checker, 16, 12).shape == (16, 12)
    assert resize_map(checker, 8, 8).shape == (8, 8)


@pytest.mark.parametrize("bad", [None, 3, np.zeros((8, 8, 3), np.uint8)], ids=["None", "int", "array"])
def test_load_image_says_what_it_accepts(bad: object) -> None:
    with pytest.raises(TypeError, match=r"bundled photo's name \(one of \[.*'chelsea'.*path of an image file") as err:
        helpers.load_image(bad)  # type: ignore[arg-type]
    assert ("to_rgb_uint8" in str(err.value)) == isinstance(bad, np.ndarray)
