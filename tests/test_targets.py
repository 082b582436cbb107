"""The one target resolver (helpers.targets) and the old spellings that forward to the new API."""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pytest
import torch

import helpers
from helpers import atlas, toyworld
from helpers import localization as loc
from helpers.classvis import GENERIC_SGD_DEFAULT, SGD_DEFAULTS, default_settings
from helpers.geometry import check_positive_int
from helpers.paths import DATA_DIR
from helpers.targets import class_index, image_target, resolve_targets

CATS = ["circle", "square", "triangle", "star", "cross", "ring"]


def test_class_index_takes_ints_names_and_0d_tensors_and_refuses_the_rest() -> None:
    assert (
        class_index(CATS, 3)
        == class_index(CATS, "Star")
        == class_index(CATS, " star ")
        == class_index(CATS, np.int64(3))
        == 3
    )
    assert class_index(CATS, torch.tensor(3)) == class_index(CATS, np.array(3)) == 3
    assert class_index(CATS, "tri") == 2  # a unique substring
    assert class_index(None, 7) == 7  # no categories: no names and no range to check
    with pytest.raises(IndexError, match="out of range"):
        class_index(CATS, 6)
    with pytest.raises(IndexError, match="out of range"):
        class_index(CATS, -1)
    for bad in (True, 2.5, None, torch.tensor(2.0), [1]):
        with pytest.raises(TypeError):
            class_index(CATS, bad)
    with pytest.raises(ValueError, match="ambiguous"):
        class_index(CATS, "r")
    with pytest.raises(ValueError, match="Did you mean: 'square'"):
        class_index(CATS, "squar e")
    with pytest.raises(TypeError, match="Classifier"):
        class_index(None, "star")
    with pytest.raises(ValueError, match="not one of"):
        class_index(CATS, "tri", exact=True)  # annotation files name classes in full


def test_resolve_targets_none_is_the_argmax_per_row_and_lists_are_per_image() -> None:
    scores = torch.tensor([[0.0, 2.0, 1.0], [3.0, 0.0, 1.0]])
    assert resolve_targets(None, scores).tolist() == [1, 0]
    assert resolve_targets(2, scores).tolist() == [2, 2]
    assert resolve_targets([2, 0], scores).tolist() == resolve_targets(torch.tensor([2, 0]), scores).tolist() == [2, 0]
    assert resolve_targets(["c", "a"], scores, ["a", "b", "c"]).tolist() == [2, 0]
    with pytest.raises(ValueError, match="2 images"):
        resolve_targets([1], scores)
    with pytest.raises(TypeError, match="integers"):
        resolve_targets(np.array([0.5, 1.0]), scores)


def test_image_target_maps_coco_categories_and_keeps_exact_names() -> None:
    cats = helpers.models.imagenet_categories()
    scores = torch.zeros(1000)
    scores[207] = 5.0  # golden retriever: the best-scoring dog
    assert image_target(cats, None, lambda: scores) == 207
    assert image_target(cats, "dog", lambda: scores) == 207
    assert image_target(cats, "cup", lambda: scores) == cats.index("cup")  # an exact ImageNet name stays itself
    # B5: a COCO category is looked up case-insensitively, like a class name ("Dog" is not "ambiguous")
    for spelling in ("Dog", "DOG", " dog ", "Potted Plant"):
        expected = 207 if spelling.strip().lower() == "dog" else image_target(cats, "potted plant", lambda: scores)
        assert image_target(cats, spelling, lambda: scores) == expected
    with pytest.raises(ValueError, match="ImageNet-1k"):
        image_target(CATS, "dog", lambda: torch.zeros(6))


def test_check_positive_int_refuses_floats_and_bools() -> None:
    for bad in (2.5, True, 0, -1, "3", None):
        with pytest.raises(ValueError, match="positive integer"):
            check_positive_int("n", bad)
    check_positive_int("n", np.int32(3))
    check_positive_int("n", None, allow_none=True)
    check_positive_int("steps", 0, minimum=0)
    for kwargs in ({"epochs": 2.5}, {"n_train": True}, {"batch_size": 0}, {"seed": -1}):
        with pytest.raises(ValueError):  # refused before any training starts
            toyworld.train(**kwargs, progress=False)


def test_sgd_defaults_follow_the_architecture_not_the_display_name(lite0, random_toy) -> None:
    folded = dataclasses.replace(lite0, name="efficientnet_lite0_bn_folded")
    assert default_settings(folded) == default_settings(lite0) == SGD_DEFAULTS["efficientnet_lite0"]
    assert lite0.arch == "efficientnet_lite0" and folded.arch == "efficientnet_lite0"
    assert default_settings(random_toy) == GENERIC_SGD_DEFAULT  # a hand-made Classifier: its name is its architecture


def test_localize_takes_settings_objects_and_keyword_overrides() -> None:
    data = toyworld.generate(1, seed=toyworld.HELDOUT_SEED_OFFSET + 3)
    image, mask = data.images[0], data.masks[0]
    saliency = mask.astype(np.float32) + np.linspace(0, 0.1, mask.size).reshape(mask.shape)
    paper = loc.localize(image, saliency, loc.PAPER)
    assert np.array_equal(paper.mask, loc.localize(image, saliency, **dataclasses.asdict(loc.PAPER)).mask)
    assert np.array_equal(loc.localize(image, saliency).mask, loc.localize(image, saliency, settings=loc.DEFAULT).mask)
    three = dataclasses.replace(loc.PAPER, iterations=3)
    assert np.array_equal(
        loc.localize(image, saliency, three).mask, loc.localize(image, saliency, loc.PAPER, iterations=3).mask
    )
    with pytest.raises(TypeError, match="unknown setting"):
        loc.localize(image, saliency, iteration=3)
    with pytest.raises(TypeError, match="LocalizeSettings"):
        loc.localize(image, saliency, {"iterations": 3})
    with pytest.raises(ValueError, match="iterations"):
        loc.localize(image, saliency, loc.PAPER, iterations=0)


def test_judge_and_evaluate_take_the_model_first_and_name_the_order(toy) -> None:
    """The model comes first; the old orders are errors that show the call, not a warning or a deep trace."""
    images = [np.zeros((64, 64, 3), np.uint8)] * 2
    assert len(atlas.judge(toy, images, [0, 1])) == 2
    with pytest.raises(TypeError, match=r"judge needs a helpers.Classifier as its first argument"):
        atlas.judge(images, [0, 1], toy)
    data = toyworld.generate(12, seed=toyworld.HELDOUT_SEED_OFFSET + 5)
    mean_image = toy.mean.permute(1, 2, 0).numpy()
    assert 0.0 <= toyworld.evaluate(toy.model, data, mean_image) <= 1.0
    with pytest.raises(TypeError, match=r"evaluate\(model, dataset, mean_image\) needs a ToyDataset"):
        toyworld.evaluate(toy.model, mean_image, data)


def test_removed_old_names_are_gone() -> None:
    """toyworld.TOY_DIR is the toy model's folder; the old name DATA_DIR and the atlas's `batch=` are gone."""
    assert toyworld.TOY_DIR == DATA_DIR / "toy"
    assert not hasattr(toyworld, "DATA_DIR")
    for function in (atlas.run_atlas, atlas.generate_class_images):
        assert (
            "batch" not in inspect.signature(function).parameters
            and "batch_size" in inspect.signature(function).parameters
        )
