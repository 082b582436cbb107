"""COCO photos with masks, the COCO -> ImageNet table, and the photo records of `helpers.images`."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

import helpers
from helpers import categories as C
from helpers.coco import CocoFormatError, coco_box, read_coco, rle_mask, segmentation_mask
from helpers.images import COCO_DIR, COCO_FILE, load_image, photo_info
from helpers.models import imagenet_categories


def test_coco_photos_are_listed_loaded_and_licensed() -> None:
    names = helpers.list_images("coco")
    assert len(names) == 20 and names[0] == "coco_71" and all(n.startswith("coco_") for n in names)
    assert "coco_508" not in names and (COCO_DIR / "000000000508.jpg").is_file()  # 21st photo: no annotated object
    licences = (COCO_DIR / "LICENSES.md").read_text()
    assert "000000000508.jpg" in licences
    assert "COCO 2017, cocodataset.org (annotations CC BY 4.0, COCO Consortium)" in licences
    for name in names:
        info = photo_info(name)
        assert info.path.name in licences and f"| {name} |" in licences and info.source == "coco"
        assert len(info.boxes) == len(info.categories) == len(info.crowd) == len(info.areas) >= 1
    image = helpers.load_image("coco_599")
    assert image.dtype == np.uint8 and image.shape == (photo_info("coco_599").height, photo_info("coco_599").width, 3)


def test_every_coco_mask_lies_within_2_px_of_its_box() -> None:
    for name in helpers.list_images("coco"):
        info = photo_info(name)
        for mask, box in zip(info.masks, info.boxes):
            assert mask.dtype == bool and mask.shape == (info.height, info.width)
            ys, xs = np.nonzero(mask)
            tight = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
            assert max(abs(a - b) for a, b in zip(tight, box)) <= 2, (name, box, tight)


def test_category_mask_is_the_union_and_the_dominant_object_is_the_largest() -> None:
    info = photo_info("coco_599")  # a cat on a couch with two remotes
    remotes = [m for m, c in zip(info.masks, info.categories) if c == "remote"]
    assert len(remotes) == 2
    np.testing.assert_array_equal(info.category_mask("remote"), remotes[0] | remotes[1])
    dominant = info.dominant_object()
    assert dominant.category == "couch" and info.object == "couch" and 0.4 < dominant.area_fraction < 0.6
    assert dominant.box == info.box == info.boxes[dominant.index]
    with pytest.raises(KeyError, match="No 'dog' in photo 'coco_599'.*cat"):
        info.category_mask("dog")


def test_dominant_object_skips_crowd_regions() -> None:
    info = photo_info("coco_544")  # a crowd region of spectators is the largest mask
    crowd_area = max(a for a, c in zip(info.areas, info.crowd) if c)
    assert info.areas[info.dominant_object().index] < crowd_area
    assert not info.crowd[info.dominant_object().index]


def test_bundled_photos_have_compatible_instance_fields() -> None:
    info = photo_info("chelsea")
    assert info.boxes == (info.box,) and info.categories == ("cat",) and not info.has_masks
    (mask,) = info.masks
    assert mask.shape == (info.height, info.width) and mask.sum() == (info.box[2] - info.box[0]) * (
        info.box[3] - info.box[1]
    )
    names = imagenet_categories()
    assert {names[i] for i in info.imagenet_indices("cat")} == set(info.imagenet)


def test_coco_to_imagenet_table_names_real_classes_and_covers_the_photos() -> None:
    names = set(imagenet_categories())
    for category, entries in C.COCO_TO_IMAGENET.items():
        for e in entries:
            assert (0 <= e < 1000) if isinstance(e, int) else e in names, (category, e)
    coco_names = {c["name"] for c in json.loads(COCO_FILE.read_text())["categories"]}
    assert set(C.COCO_TO_IMAGENET) == coco_names
    cats = [imagenet_categories()[i] for i in C.imagenet_classes("cat")]
    assert cats == ["tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"]
    assert len(C.imagenet_classes("dog")) == 118 and "moped" in [
        imagenet_categories()[i] for i in C.imagenet_classes("motorcycle")
    ]


def test_category_without_imagenet_counterpart_is_a_clear_error() -> None:
    with pytest.raises(C.NoImageNetCounterpart, match="'person' has no ImageNet-1k counterpart"):
        C.imagenet_classes("person")
    with pytest.raises(C.NoImageNetCounterpart, match="giraffe"):
        photo_info("coco_72").imagenet_indices("giraffe")
    with pytest.raises(KeyError, match="not a COCO category"):
        C.imagenet_classes("unicorn")


def test_best_imagenet_class_takes_the_highest_score_of_the_set() -> None:
    scores = np.zeros(1000)
    scores[[281, 285, 500]] = [1.0, 2.0, 9.0]
    assert C.best_imagenet_class(scores, C.imagenet_classes("cat")) == 285


def test_missing_and_malformed_coco_files_are_clear_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.json"):
        read_coco(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"images": [')
    with pytest.raises(CocoFormatError, match="bad.json.*not valid JSON"):
        read_coco(bad)
    bad.write_text('{"images": [], "annotations": []}')
    with pytest.raises(CocoFormatError, match="lacks the field.*categories"):
        read_coco(bad)
    doc = {
        "images": [{"id": 1, "file_name": "a.jpg", "height": 4, "width": 4}],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [{"image_id": 1, "category_id": 7, "bbox": [0, 0, 1, 1], "segmentation": []}],
    }
    bad.write_text(json.dumps(doc))
    with pytest.raises(CocoFormatError, match="unknown category id 7"):
        read_coco(bad)


def test_read_coco_keeps_only_the_files_asked_for_and_still_checks_the_rest(tmp_path) -> None:
    doc = {
        "images": [{"id": i, "file_name": f"{i}.jpg", "height": 4, "width": 4} for i in (1, 2, 3)],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [
            {"id": k, "image_id": i, "category_id": 1, "bbox": [0, 0, 2, 2], "segmentation": []}
            for k, i in enumerate((1, 2, 2, 3))
        ],
    }
    path = tmp_path / "all.json"
    path.write_text(json.dumps(doc))
    assert sorted(read_coco(path)) == [1, 2, 3]
    kept = read_coco(path, files=["2.jpg", "9.jpg"])
    assert list(kept) == [2] and len(kept[2].instances) == 2 and kept[2].file_name == "2.jpg"
    assert read_coco(path, files=[]) == {}
    doc["annotations"].append({"id": 9, "image_id": 7, "category_id": 1, "bbox": [0, 0, 1, 1], "segmentation": []})
    path.write_text(json.dumps(doc))
    with pytest.raises(CocoFormatError, match="unknown image 7"):
        read_coco(path, files=["2.jpg"])


def test_polygon_and_rle_masks_rasterise_as_expected() -> None:
    square = segmentation_mask([[1.0, 1.0, 4.0, 1.0, 4.0, 3.0, 1.0, 3.0]], 5, 6)  # covers pixels x 1..3, y 1..2
    expected = np.zeros((5, 6), bool)
    expected[1:3, 1:4] = True
    np.testing.assert_array_equal(square, expected)
    assert coco_box([1.0, 1.0, 3.0, 2.0], 5, 6) == (1, 1, 4, 3)
    rle = {"counts": [1, 2, 3, 6], "size": [3, 4]}  # column-major runs: column 0 is 0,1,1; column 1 off; columns 2-3 on
    np.testing.assert_array_equal(rle_mask(rle, 3, 4), np.array([[0, 0, 1, 1], [1, 0, 1, 1], [1, 0, 1, 1]], bool))
    with pytest.raises(CocoFormatError, match="Compressed RLE"):
        rle_mask({"counts": "abc", "size": [3, 4]}, 3, 4)
    with pytest.raises(CocoFormatError, match="sum to 5"):
        rle_mask({"counts": [2, 3], "size": [3, 4]}, 3, 4)


def test_polygon_masks_have_cocos_area() -> None:
    info = photo_info("coco_599")
    for mask, area, _crowd in zip(info.masks, info.areas, info.crowd):
        assert abs(int(mask.sum()) - area) <= 0.05 * area + 10, (mask.sum(), area)


# ----------------------------------------------------------------------------------------------
# Stage 2: pointing game, photo saliency, the photo model

from helpers import photos  # noqa: E402
from helpers import saliency as S  # noqa: E402
from helpers import views as V  # noqa: E402
from helpers.evaluation import masks as mask_eval  # noqa: E402
from helpers.evaluation import pointing  # noqa: E402


def test_pointing_hit_uses_a_tolerance_in_pixels_and_centre_baseline() -> None:
    mask = np.zeros((60, 80), bool)
    mask[10:20, 10:20] = True
    saliency = np.zeros((60, 80))
    saliency[19 + 10, 15] = 1.0  # 10 px below the mask
    assert mask_eval.pointing_hit(saliency, mask, tolerance=15) and not mask_eval.pointing_hit(
        saliency, mask, tolerance=5
    )
    assert mask_eval.pointing_game(saliency, mask) == 0.0  # the strict variant: the maximum is not inside
    assert not mask_eval.centre_hit(mask) and mask_eval.centre_hit(
        mask, tolerance=30
    )  # centre (29.5, 39.5) is ~22.4 px away
    tied = np.zeros((60, 80))
    tied[5, 5] = tied[5, 7] = tied[5, 9] = 1.0
    assert mask_eval.saliency_peak(tied) == (5, 7)
    with pytest.raises(ValueError, match="empty"):
        mask_eval.pointing_hit(saliency, np.zeros((60, 80), bool))
    with pytest.raises(ValueError, match="same"):
        mask_eval.pointing_hit(saliency, mask[:30])


def test_image_smoothgrad_without_noise_is_the_single_pass(toy) -> None:
    image = helpers.toyworld.generate(1, seed=5).images[0]
    plain = S.image_saliency(toy, image, 1)
    smooth = S.image_smoothgrad(toy, image, 1, n_samples=2, noise_level=0.0)
    assert smooth.shape == image.shape[:2]
    np.testing.assert_allclose(smooth, plain, rtol=1e-4, atol=1e-7)
    noisy = S.image_smoothgrad(toy, image, 1, n_samples=2)
    np.testing.assert_array_equal(noisy, S.image_smoothgrad(toy, image, 1, n_samples=2))
    assert not np.allclose(noisy, plain)


def test_photo_target_accepts_index_name_and_coco_category(lite0) -> None:
    image = helpers.load_image("chelsea")
    scores = V.whole_image_scores(lite0, image)
    assert photos.photo_target(lite0, image) == int(scores.argmax())
    assert photos.photo_target(lite0, image, 285) == 285
    assert photos.photo_target(lite0, image, "tabby") == 281
    cat = photos.photo_target(lite0, image, "cat")  # COCO category: the best of the 5 domestic cats
    assert cat in range(281, 286) and scores[cat] == scores[281:286].max()
    with pytest.raises(helpers.NoImageNetCounterpart, match="person"):
        photos.photo_target(lite0, image, "person")


def test_photo_saliency_is_image_sized_normalised_quantised_and_deterministic(lite0) -> None:
    image = helpers.load_image("coffee")
    before = image.copy()
    a = helpers.photo_saliency(lite0, image, "cup", method="single")
    assert a.shape == image.shape[:2] and a.dtype == np.float32 and a.max() == 1.0 and a.min() >= 0
    np.testing.assert_array_equal(a * photos.QUANTISATION_LEVELS, np.round(a * photos.QUANTISATION_LEVELS))
    np.testing.assert_array_equal(a, helpers.photo_saliency(lite0, image, "cup", method="single"))
    np.testing.assert_array_equal(image, before)
    with pytest.raises(ValueError, match="method must be one of"):
        helpers.photo_saliency(lite0, image, method="magic")  # type: ignore[arg-type]


def test_ten_crop_smoothgrad_runs_per_crop_and_is_deterministic(toy) -> None:
    clf = toy
    image = helpers.toyworld.generate(1, seed=3).images[0]
    a = S.ten_crop_saliency(clf, image, 0, n_samples=3)
    np.testing.assert_array_equal(a, S.ten_crop_saliency(clf, image, 0, n_samples=3))
    assert a.shape == image.shape[:2] and not np.allclose(a, S.ten_crop_saliency(clf, image, 0))


@pytest.mark.slow
def test_evaluate_pointing_on_one_photo(lite0) -> None:
    assert [c for _, c, _ in pointing.pointing_pairs(["coco_599"])] == ["cat", "couch", "potted plant", "remote"]
    result = helpers.evaluate_pointing(lite0, "single", names=["coco_599", "chelsea"])
    assert result.n == 5 and result.model == "efficientnet_lite0"
    # Measured on Lite0 (quantised maps, so thread counts agree): the peaks lie 9.8, 60, 113, 42 and 0 px from the masks.
    assert [p.hit for p in result.pairs] == [True, False, False, False, True] and result.hits == 2
    info = photo_info("coco_599")
    for pair in result.pairs:
        mask = photo_info(pair.photo).category_mask(pair.category)
        saliency = photos.quantise_map(
            photos.method_saliency(lite0, load_image(pair.photo), lite0.class_index(pair.target), "single")
        )
        distance = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[
            mask_eval.saliency_peak(saliency)
        ]
        assert pair.hit == (distance < mask_eval.POINTING_TOLERANCE), (pair, distance)
        assert pair.centre_hit == mask_eval.centre_hit(mask)
        assert pair.mass_in_mask == pytest.approx(saliency[mask].sum() / saliency.sum(), rel=1e-5)
        assert pair.mask_fraction == pytest.approx(mask.mean())
        assert lite0.class_index(pair.target) in photo_info(pair.photo).imagenet_indices(pair.category)
    cat = next(p for p in result.pairs if p.category == "cat")
    assert cat.target in {"tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"}
    assert result.centre_hits == sum(
        mask_eval.centre_hit(info.category_mask(c)) for c in ("cat", "couch", "potted plant", "remote")
    ) + int(mask_eval.centre_hit(photo_info("chelsea").category_mask("cat")))


@pytest.fixture()
def offline(tmp_path, monkeypatch):
    """An empty TORCH_HOME and no network."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setattr(photos, "_url_reachable", lambda url, timeout: False)
    return tmp_path


def test_best_photo_model_offline_is_the_offline_winner(offline) -> None:
    model = helpers.best_photo_model(device="cpu")
    assert model.name == photos.OFFLINE_PHOTO_MODEL and photos.photo_model_name() == photos.OFFLINE_PHOTO_MODEL


def test_photo_model_is_vgg16_when_cached_or_reachable(offline, monkeypatch) -> None:
    from helpers.models import torch_home_checkpoint

    cached = torch_home_checkpoint(photos.VGG16_WEIGHTS_URL.rsplit("/", 1)[-1])
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"")
    assert photos.photo_model_name() == "vgg16"
    cached.unlink()
    monkeypatch.setattr(photos, "_url_reachable", lambda url, timeout: True)
    assert photos.photo_model_name() == "vgg16"


def test_vgg16_weights_url_is_torchvisions():
    """The URL is written out to spare offline notebooks the torchvision import; it must stay torchvision's."""
    import torchvision

    from helpers.photos import VGG16_WEIGHTS_URL

    assert VGG16_WEIGHTS_URL == torchvision.models.get_model_weights("vgg16").DEFAULT.url


def test_photo_functions_compute_the_whole_photo_scores_once(toy, monkeypatch) -> None:
    """photo_saliency resolves target=None and checks the target's probability on one whole-image pass, not two."""
    import warnings

    from helpers import views

    calls: list[int] = []
    real = views.whole_image_scores

    def counting(classifier, image):
        calls.append(1)
        return real(classifier, image)

    monkeypatch.setattr(photos, "whole_image_scores", counting)
    image = np.random.default_rng(0).integers(0, 256, (64, 80, 3), dtype=np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", photos.UnlikelyTargetWarning)
        for function in (photos.photo_saliency, photos.localize_photo):
            calls.clear()
            function(toy, image)
            assert len(calls) == 1, function.__name__
        calls.clear()
        photos.photo_saliency(toy, image, 2)  # an index needs no scores to resolve, only the probability check
        assert len(calls) == 1
