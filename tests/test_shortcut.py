"""Tests for helpers.shortcut: the decoy toy world of notebook 07 (reproducible, exact masks, paired kinds)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import shortcut as sc
from helpers import toyworld as tw


@pytest.fixture(scope="module")
def kinds() -> dict[str, sc.DecoyDataset]:
    """The three versions of one small seed."""
    return {k: sc.generate_decoy(60, seed=3, decoy=k) for k in sc.DECOY_KINDS}


def test_same_seed_is_bit_identical(kinds: dict[str, sc.DecoyDataset]) -> None:
    again = sc.generate_decoy(60, seed=3, decoy="class")
    for name in ("images", "labels", "masks", "boxes", "decoy_masks", "decoy_labels"):
        np.testing.assert_array_equal(getattr(kinds["class"], name), getattr(again, name))
    assert not np.array_equal(sc.generate_decoy(60, seed=4).images, kinds["class"].images)


def test_the_decoy_names_the_class_and_is_painted_exactly_on_its_mask(kinds: dict[str, sc.DecoyDataset]) -> None:
    d = kinds["class"]
    np.testing.assert_array_equal(d.decoy_labels, d.labels)
    side = sc.decoy_side(d.images.shape[1])
    for i in range(len(d)):
        m = d.decoy_masks[i]
        assert m.sum() == side * side
        assert not (m & d.masks[i]).any(), "the decoy never covers the object"
        np.testing.assert_array_equal(d.images[i][m], np.tile(sc.DECOY_COLOURS[d.labels[i]], (side * side, 1)))
        ys, xs = np.nonzero(m)
        assert ys.min() in (1, d.images.shape[1] - 1 - side) and xs.min() in (1, d.images.shape[1] - 1 - side)


def test_the_three_kinds_share_images_outside_the_decoy(kinds: dict[str, sc.DecoyDataset]) -> None:
    base = tw.generate(60, seed=3, size=sc.SHORTCUT_SIZE)
    none, swapped, cls = kinds["none"], kinds["swapped"], kinds["class"]
    np.testing.assert_array_equal(none.images, base.images)
    assert not none.decoy_masks.any() and (none.decoy_labels == -1).all()
    np.testing.assert_array_equal(swapped.decoy_masks, cls.decoy_masks)  # same corners
    outside = ~cls.decoy_masks
    np.testing.assert_array_equal(swapped.images[outside], base.images[outside])
    np.testing.assert_array_equal(cls.masks, base.masks)


def test_swapped_decoys_always_name_another_class_and_cover_them_all(kinds: dict[str, sc.DecoyDataset]) -> None:
    s = kinds["swapped"]
    assert (s.decoy_labels != s.labels).all()
    assert set(s.decoy_labels.tolist()) == set(range(len(tw.CLASSES)))


def test_corners_are_spread(kinds: dict[str, sc.DecoyDataset]) -> None:
    m = kinds["class"].decoy_masks
    size = m.shape[1]
    corners = {(bool(m[i, : size // 2].any()), bool(m[i, :, : size // 2].any())) for i in range(len(m))}
    assert len(corners) == 4


def test_subset_keeps_the_decoy(kinds: dict[str, sc.DecoyDataset]) -> None:
    sub = kinds["class"].subset(slice(0, 5))
    assert isinstance(sub, sc.DecoyDataset) and len(sub) == 5
    np.testing.assert_array_equal(sub.decoy_masks, kinds["class"].decoy_masks[:5])
    assert len(kinds["class"].subset(2).decoy_labels) == 1


def test_random_annotation_has_the_decoys_area_and_is_reproducible(kinds: dict[str, sc.DecoyDataset]) -> None:
    a = sc.random_annotation(kinds["class"], seed=1)
    side = sc.decoy_side(sc.SHORTCUT_SIZE)
    assert a.shape == kinds["class"].masks.shape and (a.sum(axis=(1, 2)) == side * side).all()
    np.testing.assert_array_equal(a, sc.random_annotation(kinds["class"], seed=1))
    assert (a & kinds["class"].decoy_masks).any(axis=(1, 2)).mean() < 0.5, "placed without looking at the decoy"


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"decoy": "shuffled"}, ValueError, "decoy must be one of"),
        ({"decoy": True}, ValueError, "decoy must be one of"),
        ({"n": 0}, ValueError, "n"),
        ({"size": 16}, ValueError, "size"),
        ({"seed": -1}, ValueError, "seed"),
    ],
)
def test_bad_input_says_what_was_expected(kwargs: dict, error: type, words: str) -> None:
    args = {"n": 4, "seed": 0, **kwargs}
    with pytest.raises(error, match=words):
        sc.generate_decoy(**args)


def test_other_corner_annotation_is_a_free_corner_off_the_decoy(kinds: dict[str, sc.DecoyDataset]) -> None:
    data = kinds["class"]
    a = sc.other_corner_annotation(data, seed=1)
    side = sc.decoy_side(sc.SHORTCUT_SIZE)
    assert a.shape == data.masks.shape and set(np.unique(a.sum(axis=(1, 2)))) <= {0, side * side}
    assert a.any(axis=(1, 2)).mean() > 0.9, "almost every image has another free corner"
    assert not (a & data.decoy_masks).any() and not (a & data.masks).any(), "never on the decoy, never on the object"
    corners = sum(a[:, y, x] for y in (1, 32 - 1 - side) for x in (1, 32 - 1 - side))
    np.testing.assert_array_equal(corners, a.any(axis=(1, 2)))  # its top-left pixel is a corner square's
    np.testing.assert_array_equal(a, sc.other_corner_annotation(data, seed=1))
    assert not np.array_equal(a, sc.other_corner_annotation(data, seed=2))
    with pytest.raises(TypeError, match="DecoyDataset"):
        sc.other_corner_annotation(sc.generate(4, seed=0))


def test_random_colour_squares_say_nothing_about_the_class(kinds: dict[str, sc.DecoyDataset]) -> None:
    data = sc.generate_decoy(600, seed=3, decoy="random_colour")
    np.testing.assert_array_equal(data.decoy_masks, sc.generate_decoy(600, seed=3).decoy_masks)  # the same corners
    agree = (data.decoy_labels == data.labels).mean()
    assert 0.10 < agree < 0.25, agree  # about 1 in 6: the colour is independent of the class


def test_random_annotation_refuses_what_is_not_a_dataset() -> None:
    with pytest.raises(TypeError, match="ToyDataset"):
        sc.random_annotation(np.zeros((2, 32, 32, 3), np.uint8))
