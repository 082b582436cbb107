"""benchmarks/photo_unseen.py: the one command that scores the leads fixed for unseen photos on a COCO-format folder.

A tiny folder is built in tmp_path from bundled COCO photos (data/coco, copied at test time only) with made-up
instances, so that two photos qualify and the others fail the protocol's rule for known reasons. The classifier is a
synthetic "red detector" (its Grad-CAM is each pixel's redness), so no real model loads.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import photo_cv_stats as cvs  # noqa: E402
import photo_unseen as pu  # noqa: E402

from helpers.box_refine import grabcut_box  # noqa: E402
from helpers.cam_zoom import zoom_box  # noqa: E402
from helpers.models import Classifier  # noqa: E402
from helpers.photos import gradcam_map  # noqa: E402

COCO = ROOT / "data" / "coco"
CATEGORIES = {1: "person", 17: "cat", 18: "dog", 25: "giraffe"}
# photo file -> made-up instances (category id, box share of each side, centred), and why it fails (None: qualifies)
PHOTOS = {
    "000000000071.jpg": ([(18, 0.6)], None),  # a dog on 36% of the frame: qualifies, small
    "000000000072.jpg": ([(17, 0.9)], None),  # a cat on 81%: qualifies, large
    "000000000086.jpg": ([(18, 0.2)], "largest object < 8% of the frame"),
    "000000000092.jpg": ([(1, 0.7)], "person"),
    "000000000165.jpg": ([(25, 0.7)], "no ImageNet counterpart"),
    "000000000257.jpg": ([(18, 0.5), (17, 0.4)], "largest object < 2x another category's"),
    "000000000294.jpg": ([], "no annotated object"),
}


def centred(share: float, height: int, width: int) -> list[float]:
    """A COCO bbox [x, y, w, h] centred in the photo, `share` of each side."""
    w, h = share * width, share * height
    return [(width - w) / 2, (height - h) / 2, w, h]


def make_folder(path: Path, photos: dict = PHOTOS) -> Path:
    """A COCO-format folder: the bundled photos copied in, with the made-up instances above."""
    bundled = {im["file_name"]: im for im in json.loads((COCO / "instances.json").read_text())["images"]}
    images, annotations = [], []
    for name, (instances, _) in photos.items():
        im = bundled[name]
        shutil.copy(COCO / name, path / name)
        images.append({k: im[k] for k in ("id", "file_name", "height", "width")})
        for category, share in instances:
            x, y, w, h = centred(share, im["height"], im["width"])
            polygon = [x, y, x + w, y, x + w, y + h, x, y + h]
            annotations.append(
                {"id": len(annotations) + 1, "image_id": im["id"], "category_id": category, "bbox": [x, y, w, h]}
                | {"area": w * h, "iscrowd": 0, "segmentation": [polygon]}
            )
    categories = [{"id": i, "name": name} for i, name in CATEGORIES.items()]
    coco = {"images": images, "annotations": annotations, "categories": categories}
    (path / "instances.json").write_text(json.dumps(coco))
    return path


class MeanAndZero(nn.Module):
    """Logits (red, other): the mean of the redness map and 0."""

    def forward(self, red: torch.Tensor) -> torch.Tensor:
        score = red.mean(dim=(1, 2, 3))
        return torch.stack([score, torch.zeros_like(score)], dim=1)


@pytest.fixture()
def detector(red_classifier) -> Classifier:
    """A red detector whose last rectified activation is each pixel's redness R - (G + B) / 2: its Grad-CAM."""
    redness = nn.Conv2d(3, 1, 1, bias=False)
    redness.weight.data[:] = torch.tensor([1.0, -0.5, -0.5]).view(1, 3, 1, 1)
    return red_classifier(nn.Sequential(redness, nn.ReLU(), MeanAndZero()))


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    return make_folder(tmp_path)


def test_selection_counts_the_qualifying_photos_and_every_reason(folder: Path) -> None:
    coco = pu.read_folder(folder)
    rows, selection = pu.select_photos(coco)
    assert [r["file"] for r in rows] == ["000000000071.jpg", "000000000072.jpg"]
    assert [r["small"] for r in rows] == [True, False] and [r["category"] for r in rows] == ["dog", "cat"]
    reasons = [why for _, why in PHOTOS.values() if why]
    assert selection == {
        "n_images": len(PHOTOS),
        "n_qualifying": 2,
        "excluded": {why: reasons.count(why) for why in sorted(reasons)},
        "n_scored": 2,
    }
    by_file = {im.file_name: im for im in coco.values()}
    for name, (_, why) in PHOTOS.items():
        assert pu.exclusion_reason(by_file[name]) == why
    assert pu.select_photos(coco, limit=1)[1]["n_scored"] == 1


def test_clear_errors_for_a_folder_without_instances_no_qualifying_photo_and_an_unknown_model(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="COCO-format folder: instances.json and the images"):
        pu.main([str(tmp_path)])
    none = {k: v for k, v in PHOTOS.items() if v[1]}
    (tmp_path / "none").mkdir()
    with pytest.raises(SystemExit, match=r"No photo qualifies .*'person': 1"):
        pu.select_photos(pu.read_folder(make_folder(tmp_path / "none", none)))
    with pytest.raises(SystemExit, match="--model 'no_such_net' cannot be loaded .*Unknown model"):
        pu.load_classifier("no_such_net")
    with pytest.raises(SystemExit, match="--limit must be at least 1"):
        pu.main([str(tmp_path), "--limit", "0"])


def test_a_folder_of_images_is_read_with_cocos_whole_annotation_file(tmp_path: Path) -> None:
    """--annotations: the photos of FILE found in FOLDER, the same selection as the folder's own instances.json."""
    (tmp_path / "full").mkdir()
    full = make_folder(tmp_path / "full")
    doc = json.loads((full / "instances.json").read_text())
    doc["images"].append({"id": 99, "file_name": "not_here.jpg", "height": 100, "width": 100})
    annotations = tmp_path / "instances_val2017.json"
    annotations.write_text(json.dumps(doc))
    (full / "instances.json").unlink()  # the folder holds only the images now
    coco = pu.read_folder(full, annotations)
    assert 99 not in coco and len(coco) == len(PHOTOS)
    rows, selection = pu.select_photos(coco)
    assert [r["file"] for r in rows] == ["000000000071.jpg", "000000000072.jpg"] and selection["n_images"] == len(
        PHOTOS
    )
    (full / "000000000071.jpg").unlink()
    assert [r["file"] for r in pu.select_photos(pu.read_folder(full, annotations))[0]] == ["000000000072.jpg"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="none of the images in .*empty.* is listed in"):
        pu.read_folder(tmp_path / "empty", annotations)
    with pytest.raises(SystemExit, match="--annotations must be a COCO instances file"):
        pu.main([str(full), "--annotations", str(tmp_path / "nope.json")])
    with pytest.raises(SystemExit, match="must be a folder of images"):
        pu.read_folder(tmp_path / "nope", annotations)


def red_scene() -> tuple[np.ndarray, dict, np.ndarray]:
    """A grey 160 x 200 photo with a red 40 x 50 square, its record and its mask."""
    image = np.full((160, 200, 3), 128, np.uint8)
    image[90:130, 80:130] = (230, 20, 20)
    mask = np.zeros((160, 200), bool)
    mask[90:130, 80:130] = True
    record = {"id": 1, "file": "red.png", "category": "dog", "box": [80, 90, 130, 130], "box_fraction": 0.0625}
    return image, {**record, "small": True}, mask


def test_photo_row_scores_every_row_and_keeps_the_photo(detector: Classifier) -> None:
    image, record, mask = red_scene()
    before = image.copy()
    row = pu.photo_row(detector, image, record, mask, 0, paper=True)
    assert np.array_equal(image, before)
    assert list(row["boxes"]) == list(pu.BOX_ROWS)
    assert row["boxes"]["full"]["box"] == [0, 0, 200, 160] and row["boxes"]["full"]["iou"] == pytest.approx(0.0625)
    assert row["boxes"]["centred_0.8"]["box"] == [20, 16, 180, 144]
    assert row["boxes"]["localize_photo"]["iou"] >= 0.5  # the redness CAM finds the square
    today = row["boxes"]["localize_photo"]["box"]
    assert row["boxes"]["grabcut_gated"] == row["boxes"]["L1_grabcut"]  # today's box < 50%: GrabCut's box and cost
    assert (today[2] - today[0]) * (today[3] - today[1]) < 0.5 * 160 * 200
    assert row["pointing"]["gradcam"] == {"15px": True, "0px": True, "s": row["pointing"]["gradcam"]["s"]}
    assert row["pointing"]["centre"] == {"15px": True, "0px": False}  # the centre (100, 80) lies 10 px above the square
    cam = gradcam_map(detector, image, 0)  # the leads' settings are the protocol's, on today's map
    assert row["boxes"]["L1_grabcut"]["box"] == list(grabcut_box(image, cam, 0.1, 0.3))
    assert row["boxes"]["L3_zoom"]["box"] == list(zoom_box(detector, image, 0, cam, margin=0.1, value=0.2))
    assert row["boxes"]["L3_zoom"]["box"] != today  # the zoomed pass sees the square at a finer grid
    for seed in pu.OTHER_SEEDS:  # GrabCut's other seeds: reported rows, each its own draw
        assert row["boxes"][f"grabcut_seed{seed}"]["box"] == list(grabcut_box(image, cam, 0.1, 0.3, seed=seed))
    assert row["target"] == "red" and row["mask_fraction"] == pytest.approx(0.0625)


class FixedScores(nn.Module):
    """An ImageNet "classifier" whose logits ignore the photo: coffee mug (504) first, then cup (968)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = torch.zeros(x.shape[0], 1000)
        logits[:, 504], logits[:, 968] = 5.0, 3.0
        return logits


def test_the_class_explained_is_the_best_of_the_categorys_set_even_when_its_name_is_a_class(red_classifier) -> None:
    from helpers.categories import imagenet_categories
    from helpers.photos import photo_target

    model = dataclasses.replace(red_classifier(FixedScores()), categories=imagenet_categories())
    image = np.full((40, 40, 3), 128, np.uint8)
    assert pu.explained_class(model, image, "cup") == 504  # coffee mug: the best of the set (504, 967, 968)
    assert photo_target(model, image, "cup") == 968  # photo_target takes the name literally: not the protocol's rule


def test_the_gated_row_gates_grabcut_by_the_share_of_the_photo_todays_box_covers() -> None:
    assert pu.gate((0, 0, 10, 10), (20, 20, 3))  # 25%
    assert pu.gate((0, 0, 14, 14), (20, 20))  # 49%
    assert not pu.gate((0, 0, 10, 20), (20, 20))  # exactly 50%: not small
    assert not pu.gate((0, 0, 20, 20), (20, 20))


def test_holm_adjusts_step_down_and_keeps_the_order() -> None:
    assert pu.holm({"a": 0.01, "b": 0.04}) == {"a": 0.02, "b": 0.04}
    assert pu.holm({"a": 0.03, "b": 0.02}) == {"b": 0.04, "a": 0.04}  # never below the step before
    assert pu.holm({"a": 0.6, "b": 0.7}) == {"a": 1.0, "b": 1.0}


def paired_boxes(l1: tuple[int, int], l3: tuple[int, int], seeds: tuple[int, int]) -> dict:
    """Box summaries holding only the paired tests the lead verdicts read."""

    def row(wins: int, losses: int) -> dict:
        return {"paired": {pu.TODAY: cvs.paired([True] * wins + [False] * losses, [False] * wins + [True] * losses)}}

    return {"L1_grabcut": row(*l1), "L3_zoom": row(*l3), **{f"grabcut_seed{s}": row(*seeds) for s in pu.OTHER_SEEDS}}


def test_a_lead_is_adopted_only_past_holm_and_for_grabcut_at_every_seed() -> None:
    verdicts = pu.lead_verdicts(paired_boxes((12, 1), (6, 4), (10, 2)))
    assert verdicts["L1_grabcut"]["beats"] and verdicts["L1_grabcut"]["holm_p"] < 0.05
    assert not verdicts["L3_zoom"]["beats"] and verdicts["L3_zoom"]["every_seed_wins"] is None  # more wins, p too big
    assert pu.candidates(paired_boxes((12, 1), (6, 4), (10, 2))) == ["L1_grabcut"]
    assert not pu.lead_verdicts(paired_boxes((12, 1), (0, 0), (3, 4)))["L1_grabcut"]["beats"]  # one seed loses
    assert pu.candidates(paired_boxes((5, 4), (5, 4), (5, 4))) == []  # more wins than losses is not enough


def fake_photo(i: int, small: bool, ious: dict[str, float], point: dict[str, bool]) -> dict:
    """A photo row with a 10 x 10 truth and boxes of the given IoU (nested boxes: IoU = area share)."""
    boxes = {}
    for row, v in ious.items():
        side = round(10 * v**0.5)
        boxes[row] = {"box": [0, 0, side, side], "iou": v, "s": 0.1}
    pointing = {m: {"15px": point[m], "0px": False, "s": 0.2} for m in ("photo_saliency", "gradcam")}
    return {
        "id": i,
        "small": small,
        "box": [0, 0, 10, 10],
        "boxes": boxes,
        "pointing": pointing | {"centre": {"15px": point["centre"], "0px": False}},
    }


def test_statistics_pair_every_row_against_localize_photo_and_the_centre() -> None:
    rows = [r for r in pu.BOX_ROWS if r != "paper"]
    photos = [
        fake_photo(
            1,
            True,
            dict.fromkeys(rows, 0.64) | {"localize_photo": 0.36},
            {"photo_saliency": True, "gradcam": True, "centre": False},
        ),
        fake_photo(2, True, dict.fromkeys(rows, 0.64), {"photo_saliency": True, "gradcam": False, "centre": True}),
        fake_photo(
            3,
            False,
            dict.fromkeys(rows, 0.36) | {"localize_photo": 0.81},
            {"photo_saliency": False, "gradcam": True, "centre": True},
        ),
    ]
    result = pu.summarise(
        photos,
        {"n_images": 3, "n_qualifying": 3, "excluded": {}, "n_scored": 3},
        {"folder": "f", "model": "m", "threads": 1},
    )
    assert list(result["boxes"]) == rows  # no paper row when a photo lacks it
    l1 = result["boxes"]["L1_grabcut"]
    assert (l1["all"]["hits"], l1["small"]["hits"], l1["large"]["hits"]) == (2, 2, 0)
    assert l1["paired"]["localize_photo"] == {"wins": 1, "losses": 1, "sign_test_p": 1.0}
    assert l1["paired_by_size"]["large"]["localize_photo"]["losses"] == 1
    assert l1["area_ratio"]["median"] == pytest.approx(0.64) and 0 < l1["all"]["wilson95"][0] < 2 / 3
    assert result["boxes"]["localize_photo"]["all"]["hits"] == 2 and result["candidates_to_adopt"] == []
    sal = result["pointing"]["photo_saliency"]["15px"]
    assert sal["all"]["hits"] == 2 and sal["vs_centre"]["all"] == {"wins": 1, "losses": 1, "sign_test_p": 1.0}
    assert "vs_centre" not in result["pointing"]["centre"]["15px"]
    assert result["n"] == 3 and result["n_small"] == 2 and result["photos"] == photos
    assert "L1_grabcut | 2/3" in pu.table(result)
    with pytest.raises(ValueError, match="at least one scored photo"):
        pu.summarise([], {}, {})


def test_the_command_selects_scores_and_writes_the_json(
    folder: Path, detector: Classifier, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(pu, "load_classifier", lambda name: detector)
    monkeypatch.setattr(pu, "explained_class", lambda classifier, image, category: 0)  # the detector knows no category
    out = folder / "results.json"
    pu.main([str(folder), "--no-paper", "--out", str(out)])
    result = json.loads(out.read_text())
    assert result["selection"]["n_qualifying"] == 2 and result["n"] == 2 and result["n_small"] == 1
    assert result["paper"] is False and "paper" not in result["boxes"] and result["threads"] == 1
    assert [p["file"] for p in result["photos"]] == ["000000000071.jpg", "000000000072.jpg"]
    for name, r in result["boxes"].items():
        assert r["all"]["n"] == 2 and r["all"]["hits"] == sum(p["boxes"][name]["iou"] >= 0.5 for p in result["photos"])
        assert set(r) >= {"small", "large", "mean_iou", "maxboxacc_v2", "area_ratio", "paired", "median_s"}
    assert result["boxes"]["full"]["all"]["hits"] == 1  # the cat covers 81% of its photo, the dog 36%
    assert set(result["pointing"]) == set(pu.POINTING_MAPS)
    printed = capsys.readouterr().out
    assert "2 qualify, 2 scored (1 small)" in printed and f"wrote {out}" in printed
    assert result["annotations"] == "instances.json"
    annotations = folder.parent / "instances_val2017.json"
    (folder / "instances.json").rename(annotations)
    again = pu.main([str(folder), "--annotations", str(annotations), "--no-paper"])
    assert again["annotations"] == "instances_val2017.json" and set(again["boxes"]) == set(result["boxes"])
    for name, r in result["boxes"].items():  # the same photos, the same boxes (seconds aside)
        assert (again["boxes"][name]["all"], again["boxes"][name]["mean_iou"]) == (r["all"], r["mean_iou"])


def test_the_stored_run_on_the_44_development_photos_reproduces_round_seven() -> None:
    """data/benchmarks/photo_unseen_dev44.json (the command on coco_val128) selects the 44 and matches `cv7`'s rows."""
    run = json.loads((ROOT / "data" / "benchmarks" / "photo_unseen_dev44.json").read_text())
    splits = json.loads((ROOT / "benchmarks" / "photo_splits.json").read_text())["splits"]
    assert [p["id"] for p in run["photos"]] == sorted(r["id"] for r in splits["tune"] + splits["report"])
    assert run["selection"]["n_qualifying"] == 44 and run["selection"]["n_images"] == 128 and run["paper"]
    stored = json.loads((ROOT / "data" / "benchmarks" / "photo_benchmark.json").read_text())["cv7"]["rows"]
    for mine, theirs in (("localize_photo", "localize_photo_before"), ("paper", "paper_full"), ("full", "full")):
        a, b = run["boxes"][mine], stored[theirs]
        assert [a[s]["hits"] for s in ("all", "small", "large")] == [b[s]["hits"] for s in ("all", "small", "large")]
        assert (
            a["mean_iou"] == b["mean_iou"] and a["maxboxacc_v2"]["all"]["levels"] == b["maxboxacc_v2"]["all"]["levels"]
        )
        assert a["paired"]["localize_photo"] == b["paired"]["localize_photo_before"]
