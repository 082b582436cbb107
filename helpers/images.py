"""Bundled photos and image loading: every image leaves here as uint8 HxWx3 RGB."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from .paths import DATA_DIR

IMAGES_DIR = DATA_DIR / "images"
BOXES_FILE = IMAGES_DIR / "boxes.json"

Box = tuple[int, int, int, int]  # (x0, y0, x1, y1) in pixels, x1 and y1 exclusive.


@dataclass(frozen=True)
class PhotoInfo:
    """What we know about a bundled photo: file, object, plausible ImageNet labels, hand-drawn box."""

    name: str
    path: Path
    object: str
    imagenet: tuple[str, ...]
    box: Box


def _read_catalogue() -> dict[str, PhotoInfo]:
    """Parse `data/images/boxes.json` into PhotoInfo records keyed by short name."""
    raw = json.loads(BOXES_FILE.read_text())
    return {
        name: PhotoInfo(name, IMAGES_DIR / e["file"], e["object"], tuple(e["imagenet"]), tuple(e["box"]))
        for name, e in raw.items()
        if not name.startswith("_")
    }


def list_images() -> list[str]:
    """Names of the bundled photos, usable with `load_image` and `photo_info`."""
    return sorted(_read_catalogue())


def photo_info(name: str) -> PhotoInfo:
    """Metadata (object, ImageNet labels, hand-drawn box) of a bundled photo."""
    catalogue = _read_catalogue()
    if name not in catalogue:
        raise KeyError(f"No bundled photo named {name!r}; choose one of {sorted(catalogue)}.")
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
        hint = " It is already an array: use helpers.to_rgb_uint8(image) to convert it." if isinstance(name_or_path, np.ndarray) else ""
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


def check_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """Return `image` if it is uint8 HxWx3; otherwise raise an error that says how to convert it."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"Expected a numpy array (HxWx3 uint8 RGB); got {type(image).__name__}.")
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        raise ValueError(
            f"Got a grayscale image of shape {image.shape}; expected HxWx3 RGB. "
            "Convert it with helpers.to_rgb_uint8(image)."
        )
    if image.ndim == 3 and image.shape[2] == 4:
        raise ValueError(
            f"Got an RGBA image of shape {image.shape}; expected HxWx3 RGB. "
            "Convert it with helpers.to_rgb_uint8(image) (alpha is composited over white)."
        )
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"Expected an image of shape HxWx3 (RGB); got shape {image.shape}.")
    if image.dtype != np.uint8:
        raise ValueError(f"Expected dtype uint8 (0-255); got {image.dtype}. Convert with helpers.to_rgb_uint8.")
    if min(image.shape[:2]) < 8:
        raise ValueError(f"Image of size {image.shape[1]}x{image.shape[0]} is too small; need at least 8x8 pixels.")
    return image


def resize_map(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a 2-D float map (saliency, mask scores) to height x width: area averaging when shrinking, bilinear when enlarging."""
    m = np.asarray(values, dtype=np.float32)
    if m.shape == (height, width):
        return m
    shrink = height * width < m.shape[0] * m.shape[1]
    return cv2.resize(m, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
