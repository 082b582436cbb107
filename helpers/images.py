"""Bundled photos, COCO photos and image loading: every image leaves here as uint8 HxWx3 RGB.

Two sets of photos load by name: the 7 bundled photos (`data/images/`, one hand-drawn box each) and
the COCO 2017 photos (`data/coco/`, named "coco_<COCO image id>", e.g. "coco_599", with every
instance's box, category and mask). `photo_info(name)` describes either kind the same way.
`data/coco/` holds 21 photos; one (000000000508.jpg, a snowy landscape) has no annotated object and
is not listed (load it by path as a negative example).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image, UnidentifiedImageError

from .geometry import Box, box_mask, check_rgb_uint8
from .paths import DATA_DIR

IMAGES_DIR = DATA_DIR / "images"
BOXES_FILE = IMAGES_DIR / "boxes.json"
COCO_DIR = DATA_DIR / "coco"
COCO_FILE = COCO_DIR / "instances.json"


@dataclass(frozen=True)
class DominantObject:
    """The photo's largest (non-crowd) instance: its category, index, box and share of the frame's area."""

    category: str
    index: int
    box: Box
    area_fraction: float


@dataclass(frozen=True)
class PhotoInfo:
    """What we know about a photo: its main object (name, ImageNet labels, box) and every annotated instance.

    Bundled photos have one hand-drawn box and no mask: their `masks` are the box filled. COCO photos
    have every instance's box, category and mask (rasterised on first use); their `object`/`box`
    are those of the dominant (largest) instance and `imagenet` the classes that category maps to.
    """

    name: str
    path: Path
    object: str
    imagenet: tuple[str, ...]
    box: Box
    boxes: tuple[Box, ...] = ()  # per instance, (x0, y0, x1, y1), x1/y1 exclusive
    categories: tuple[str, ...] = ()  # per instance: COCO category name (bundled: see boxes.json)
    crowd: tuple[bool, ...] = ()  # per instance: COCO crowd region (several objects under one mask)
    areas: tuple[float, ...] = ()  # per instance, in pixels: COCO's polygon area, or the box area (bundled)
    height: int = 0
    width: int = 0
    source: str = "bundled"  # "bundled" or "coco"
    has_masks: bool = False  # False: `masks` are the boxes filled
    segmentations: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    @cached_property
    def masks(self) -> tuple[np.ndarray, ...]:
        """Per-instance bool HxW masks (computed on first use): COCO polygons/RLE, or the boxes filled."""
        from .coco import segmentation_mask

        if self.has_masks:
            return tuple(segmentation_mask(seg, self.height, self.width) for seg in self.segmentations)
        return tuple(box_mask(b, self.height, self.width) for b in self.boxes)

    def present_categories(self) -> list[str]:
        """The categories annotated in this photo, sorted."""
        return sorted(set(self.categories))

    def category_mask(self, category: str) -> np.ndarray:
        """Union of the masks of all instances of `category` (bool HxW)."""
        if category not in self.categories:
            raise KeyError(f"No {category!r} in photo {self.name!r}; it has: {self.present_categories()}.")
        return np.logical_or.reduce([m for m, c in zip(self.masks, self.categories) if c == category])

    def dominant_object(self) -> DominantObject:
        """The instance covering the largest area (crowd regions excluded), with its share of the frame."""
        areas = self.areas
        candidates = [i for i in range(len(self.categories)) if not self.crowd[i]]
        if not candidates:
            raise ValueError(f"Photo {self.name!r} has no single (non-crowd) annotated instance.")
        i = max(candidates, key=lambda k: areas[k])
        return DominantObject(self.categories[i], i, self.boxes[i], areas[i] / float(self.height * self.width))

    def imagenet_indices(self, category: str) -> tuple[int, ...]:
        """ImageNet-1k indices that name `category` here: the COCO table, or a bundled photo's own labels."""
        from .categories import imagenet_categories, imagenet_classes

        if category not in self.categories:
            raise KeyError(f"No {category!r} in photo {self.name!r}; it has: {self.present_categories()}.")
        if self.source == "bundled":
            names = imagenet_categories()
            return tuple(sorted(names.index(n) for n in self.imagenet))
        return imagenet_classes(category)


def _read_bundled() -> dict[str, PhotoInfo]:
    """Parse `data/images/boxes.json` into PhotoInfo records keyed by short name."""
    raw = json.loads(BOXES_FILE.read_text())
    out = {}
    for name, e in raw.items():
        if name.startswith("_"):
            continue
        path = IMAGES_DIR / e["file"]
        with Image.open(path) as img:  # reads the header only
            width, height = img.size
        box = tuple(e["box"])
        out[name] = PhotoInfo(
            name,
            path,
            e["object"],
            tuple(e["imagenet"]),
            box,
            boxes=(box,),
            categories=(e["category"],),
            crowd=(False,),
            areas=(float((box[2] - box[0]) * (box[3] - box[1])),),
            height=height,
            width=width,
        )
    return out


@lru_cache(maxsize=4)
def _read_coco_catalogue(annotations: Path = COCO_FILE) -> dict[str, PhotoInfo]:
    """The COCO photos of `data/coco/` as PhotoInfo records named "coco_<image id>" (read once)."""
    from .categories import has_imagenet_counterpart, imagenet_categories, imagenet_classes
    from .coco import read_coco

    out = {}
    names = imagenet_categories()
    for image_id, im in sorted(read_coco(annotations).items()):
        inst = im.instances
        if not inst:
            continue
        single = [i for i in range(len(inst)) if not inst[i].crowd] or list(range(len(inst)))
        main = inst[max(single, key=lambda i: inst[i].area)]
        imagenet = (
            tuple(names[i] for i in imagenet_classes(main.category)) if has_imagenet_counterpart(main.category) else ()
        )
        name = f"coco_{image_id}"
        out[name] = PhotoInfo(
            name,
            annotations.parent / im.file_name,
            main.category,
            imagenet,
            main.box,
            boxes=tuple(i.box for i in inst),
            categories=tuple(i.category for i in inst),
            crowd=tuple(i.crowd for i in inst),
            areas=tuple(i.area for i in inst),
            height=im.height,
            width=im.width,
            source="coco",
            has_masks=True,
            segmentations=tuple(i.segmentation for i in inst),
        )
    return out


def _read_catalogue() -> dict[str, PhotoInfo]:
    """Every photo that `load_image` knows by name: the bundled ones, then the COCO ones."""
    return {**_read_bundled(), **_read_coco_catalogue()}


def list_images(source: Literal["all", "bundled", "coco"] = "all") -> list[str]:
    """Names usable with `load_image` and `photo_info`: bundled photos (sorted), then COCO photos "coco_<id>" by id.

    `source="bundled"` gives the 7 hand-boxed photos only, `"coco"` the 20 annotated COCO photos with masks.
    """
    if source not in ("all", "bundled", "coco"):
        raise ValueError(f"source must be 'all', 'bundled' or 'coco'; got {source!r}.")
    bundled = sorted(_read_bundled()) if source in ("all", "bundled") else []
    coco = list(_read_coco_catalogue()) if source in ("all", "coco") else []
    return bundled + coco


def photo_info(name: str) -> PhotoInfo:
    """Metadata of a bundled or COCO photo: main object, boxes, categories and (lazily) masks per instance."""
    catalogue = _read_catalogue()
    if name not in catalogue:
        raise KeyError(f"No photo named {name!r}; choose one of {list(catalogue)}.")
    return catalogue[name]


def to_rgb_uint8(array: np.ndarray) -> np.ndarray:
    """Convert a grayscale, RGBA, 16-bit or float [0, 1] array to uint8 HxWx3 RGB (alpha over white)."""
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ValueError(f"Expected an image of shape HxW, HxWx1, HxWx3 or HxWx4; got shape {a.shape}.")
    a = _to_unit_float(a)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    elif a.shape[2] == 4:
        alpha = a[:, :, 3:4]
        a = a[:, :, :3] * alpha + (1.0 - alpha)
    return np.clip(np.round(a * 255.0), 0, 255).astype(np.uint8)


def as_rgb_image(image: np.ndarray) -> np.ndarray:
    """uint8 HxWx3 RGB (a 2-D uint8 grayscale image is replicated to 3 channels); at least 8x8."""
    if (
        isinstance(image, np.ndarray)
        and image.dtype == np.uint8
        and (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1))
    ):
        image = to_rgb_uint8(image)
    return check_rgb_uint8(image)


def _to_unit_float(a: np.ndarray) -> np.ndarray:
    """Scale integer images by their dtype's range and check float images lie in [0, 1]."""
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0
    if a.dtype == np.uint16:
        return a.astype(np.float32) / 65535.0
    if a.dtype == bool:
        return a.astype(np.float32)
    if np.issubdtype(a.dtype, np.floating):
        if a.size and (np.nanmin(a) < 0.0 or np.nanmax(a) > 1.0):
            raise ValueError("A float image must have values in [0, 1]; rescale it or pass uint8.")
        return a.astype(np.float32)
    raise ValueError(f"Unsupported image dtype {a.dtype}; expected uint8, uint16, bool or float in [0, 1].")


def _pil_to_rgb_uint8(img: Image.Image) -> np.ndarray:
    """Decode any PIL mode (L, LA, P, RGBA, I;16, I, F, CMYK) to uint8 RGB."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        return to_rgb_uint8(np.asarray(img).astype(np.uint16))
    if img.mode == "F":
        a = np.asarray(img, dtype=np.float32)
        span = float(a.max() - a.min()) or 1.0
        return to_rgb_uint8((a - a.min()) / span)
    if img.mode in ("P", "LA", "PA"):
        img = img.convert("RGBA")
    if img.mode not in ("RGB", "RGBA", "L"):
        img = img.convert("RGB")
    return to_rgb_uint8(np.asarray(img))


def load_image(name_or_path: str | Path) -> np.ndarray:
    """Load a bundled photo by name, or any image file by path, as uint8 HxWx3 RGB."""
    catalogue = _read_catalogue()
    if not isinstance(name_or_path, (str, os.PathLike)):
        hint = (
            " It is already an array: use helpers.to_rgb_uint8(image) to convert it."
            if isinstance(name_or_path, np.ndarray)
            else ""
        )
        raise TypeError(
            f"load_image takes a bundled photo's name (one of {sorted(catalogue)}) or the path of an image file "
            f"(str or pathlib.Path); got {type(name_or_path).__name__}.{hint}"
        )
    name = str(name_or_path)
    path = catalogue[name].path if name in catalogue else Path(name_or_path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"No image at {str(path)!r}. Pass a file path or one of the bundled photos: {sorted(catalogue)}."
        )
    try:
        with Image.open(path) as img:
            img.load()
            return _pil_to_rgb_uint8(img)
    except (UnidentifiedImageError, OSError) as err:
        raise ValueError(f"Could not read {str(path)!r} as an image ({err}).") from err
