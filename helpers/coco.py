"""A small reader of COCO instance annotations (boxes, polygon and RLE masks) without pycocotools.

`read_coco(path)` checks the file and groups the annotations by image; `coco_box` turns a COCO bbox
(x, y, width, height, floats) into our (x0, y0, x1, y1) pixel box with x1/y1 exclusive; and
`segmentation_mask` rasterises one instance's segmentation: polygons with OpenCV's `fillPoly` (a
pixel is inside when at least half of it is covered), uncompressed RLE (COCO's crowd regions) by run-length decoding.
Compressed RLE strings are not decoded (none occur in the bundled photos): they raise a clear error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .geometry import Box

POLYGON_SHIFT = 3  # fillPoly works on integers: coordinates are scaled by 2**3 for sub-pixel accuracy.
SUPERSAMPLE = 8  # polygons are filled on an 8x finer grid, then a pixel is in when half of it is covered.


@dataclass(frozen=True)
class CocoInstance:
    """One annotated object: its category name, COCO bbox as a pixel box, area, crowd flag and raw segmentation."""

    category: str
    box: Box
    area: float
    crowd: bool
    segmentation: Any  # list of polygons, or an RLE dict {"counts", "size"}


@dataclass(frozen=True)
class CocoImage:
    """One image of a COCO file: its file, size, licence, Flickr source and instances."""

    id: int
    file_name: str
    height: int
    width: int
    licence: str
    flickr_url: str
    instances: tuple[CocoInstance, ...]


class CocoFormatError(ValueError):
    """Raised when a COCO annotation file is not valid JSON or lacks what the reader needs."""


def _require(record: dict, keys: tuple[str, ...], what: str, path: Path) -> None:
    if not isinstance(record, dict):
        raise CocoFormatError(f"{str(path)!r}: each {what} must be a JSON object; got {type(record).__name__}.")
    missing = [k for k in keys if k not in record]
    if missing:
        raise CocoFormatError(f"{str(path)!r}: {what} {record.get('id', '?')} lacks the field(s) {missing}.")


def coco_box(bbox: list[float], height: int, width: int) -> Box:
    """COCO [x, y, w, h] (floats) -> the smallest integer (x0, y0, x1, y1) pixel box covering it, inside the image."""
    x, y, w, h = (float(v) for v in bbox)
    x0, y0 = max(0, math.floor(x)), max(0, math.floor(y))
    x1, y1 = min(width, math.ceil(x + w)), min(height, math.ceil(y + h))
    return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)


def read_coco(path: str | Path, *, files: Collection[str] | None = None) -> dict[int, CocoImage]:
    """Read a COCO instances file into {image id: CocoImage}; a missing file or a malformed one is a clear error.

    `files`: keep only the images whose `file_name` is in it (and their annotations), so that a folder holding a
    few photos can be read with COCO's whole annotation file; None keeps every image.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No COCO annotation file at {str(path)!r}.")
    try:
        raw = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CocoFormatError(f"{str(path)!r} is not valid JSON ({err}).") from err
    _require(raw, ("images", "annotations", "categories"), "COCO file", path)
    categories = {}
    for c in raw["categories"]:
        _require(c, ("id", "name"), "category", path)
        categories[c["id"]] = c["name"]
    licences = {lic.get("id"): lic.get("name", "") for lic in raw.get("licenses", []) if isinstance(lic, dict)}
    images, known = {}, set()
    keep = None if files is None else set(files)
    for im in raw["images"]:
        _require(im, ("id", "file_name", "height", "width"), "image", path)
        known.add(im["id"])
        if keep is None or im["file_name"] in keep:
            images[im["id"]] = im
    instances: dict[int, list[CocoInstance]] = {i: [] for i in images}
    for a in raw["annotations"]:
        _require(a, ("image_id", "category_id", "bbox", "segmentation"), "annotation", path)
        if a["image_id"] not in known:
            raise CocoFormatError(
                f"{str(path)!r}: annotation {a.get('id', '?')} refers to unknown image {a['image_id']}."
            )
        if a["category_id"] not in categories:
            raise CocoFormatError(
                f"{str(path)!r}: annotation {a.get('id', '?')} has unknown category id {a['category_id']}."
            )
        if a["image_id"] not in images:
            continue  # an image left out by `files`
        im = images[a["image_id"]]
        if not (isinstance(a["bbox"], list) and len(a["bbox"]) == 4):
            raise CocoFormatError(
                f"{str(path)!r}: annotation {a.get('id', '?')} has bbox {a['bbox']!r}; expected [x, y, width, height]."
            )
        box = coco_box(a["bbox"], im["height"], im["width"])
        area = float(a.get("area", (box[2] - box[0]) * (box[3] - box[1])))
        instances[a["image_id"]].append(
            CocoInstance(categories[a["category_id"]], box, area, bool(a.get("iscrowd", 0)), a["segmentation"])
        )
    return {
        i: CocoImage(
            i,
            im["file_name"],
            int(im["height"]),
            int(im["width"]),
            licences.get(im.get("license"), ""),
            im.get("flickr_url", ""),
            tuple(instances[i]),
        )
        for i, im in images.items()
    }


def polygons_mask(polygons: list[list[float]], height: int, width: int) -> np.ndarray:
    """Rasterise COCO polygons [[x0, y0, x1, y1, ...], ...] to a bool HxW mask: pixels at least half covered.

    OpenCV's `fillPoly` also fills the pixels its edges touch (about 10% too much area on COCO
    objects), so we fill an 8x finer grid over the polygons' extent and keep the pixels whose
    sub-pixels are at least half inside, plus the pixels of the left-, right-, top- and bottom-most
    vertices (a thin spike covers less than half a pixel; its tip still counts, so the mask spans
    COCO's bbox). The mask area then matches COCO's polygon `area` to about 1%.
    """
    mask = np.zeros((height, width), bool)
    shapes = [np.asarray(poly, np.float64).reshape(-1, 2) for poly in polygons if len(poly) >= 6]
    if not shapes:
        return mask
    corners = np.concatenate(shapes)
    x0, y0 = max(0, math.floor(corners[:, 0].min())), max(0, math.floor(corners[:, 1].min()))
    x1, y1 = min(width, math.ceil(corners[:, 0].max())), min(height, math.ceil(corners[:, 1].max()))
    if x1 <= x0 or y1 <= y0:
        return mask
    k, shift = SUPERSAMPLE, POLYGON_SHIFT
    fine = np.zeros(((y1 - y0) * k, (x1 - x0) * k), np.uint8)
    # COCO puts pixel (i, j) on the square [j, j+1) x [i, i+1); fillPoly samples fine pixels at their centres (-0.5).
    points = [np.round(((xy - (x0, y0)) * k - 0.5) * (1 << shift)).astype(np.int32) for xy in shapes]
    cv2.fillPoly(fine, points, 255, lineType=cv2.LINE_8, shift=shift)
    mask[y0:y1, x0:x1] = cv2.resize(fine, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA) >= 128
    # A thin spike covers under half a pixel: keep the pixels of the four extreme vertices, so the mask spans the bbox.
    for i in {
        int(corners[:, 0].argmin()),
        int(corners[:, 0].argmax()),
        int(corners[:, 1].argmin()),
        int(corners[:, 1].argmax()),
    }:
        x, y = corners[i]
        col = (
            math.floor(x) if x <= corners[:, 0].mean() else math.ceil(x) - 1
        )  # a vertex on a pixel edge: the pixel inside
        row = math.floor(y) if y <= corners[:, 1].mean() else math.ceil(y) - 1
        mask[min(max(row, 0), height - 1), min(max(col, 0), width - 1)] = True
    return mask


def rle_mask(rle: dict, height: int, width: int) -> np.ndarray:
    """Decode an uncompressed COCO RLE {"counts": [...], "size": [h, w]} (column-major runs, zeros first)."""
    counts, size = rle.get("counts"), rle.get("size")
    if isinstance(counts, (str, bytes)):
        raise CocoFormatError(
            "Compressed RLE masks (a 'counts' string) are not supported; decode them with pycocotools first."
        )
    if not isinstance(counts, list) or list(size or []) != [height, width]:
        raise CocoFormatError(f"An RLE mask needs a list of counts and size [{height}, {width}]; got size {size!r}.")
    runs = np.asarray(counts, np.int64)
    if runs.sum() != height * width or np.any(runs < 0):
        raise CocoFormatError(f"RLE counts sum to {int(runs.sum())}; expected {height * width} (= {height} x {width}).")
    values = np.arange(len(runs)) % 2 == 1
    return np.repeat(values, runs).reshape(width, height).T.copy()


def segmentation_mask(segmentation: Any, height: int, width: int) -> np.ndarray:
    """One instance's bool HxW mask from COCO polygons or RLE."""
    if isinstance(segmentation, list):
        return polygons_mask(segmentation, height, width)
    if isinstance(segmentation, dict):
        return rle_mask(segmentation, height, width)
    raise CocoFormatError(f"A segmentation is a list of polygons or an RLE dict; got {type(segmentation).__name__}.")
