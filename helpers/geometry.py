"""Input checks and image geometry: the lowest layer, with no imports from the rest of `helpers`.

What every other module needs to agree on: an image is uint8 HxWx3 RGB (`check_rgb_uint8`); a box
is (x0, y0, x1, y1) in pixels with x1/y1 exclusive (`Box`, `mask_box`, `box_mask`, `widen_box`); a model's
working image has its shorter side at round(S / crop_fraction) (`working_shape`,
`resize_shorter_side`, `center_crop_tensor`); a map is resized to an image with `resize_map`.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch
import torch.nn.functional as F

Box = tuple[int, int, int, int]  # (x0, y0, x1, y1) in pixels, x1 and y1 exclusive.


def box_mask(box: Box, height: int, width: int) -> np.ndarray:
    """A bool HxW mask that is True inside the (x0, y0, x1, y1) box (x1/y1 exclusive)."""
    mask = np.zeros((height, width), bool)
    x0, y0, x1, y1 = box
    mask[max(0, y0) : min(height, y1), max(0, x0) : min(width, x1)] = True
    return mask


def widen_box(box: Box, share: float, height: int, width: int) -> Box:
    """`box` grown by `share` x its width / height on each side, rounded outwards (so it always holds `box`) and
    clipped to a height x width image; `share` a finite number >= 0."""
    if not isinstance(share, (int, float)) or isinstance(share, bool) or not math.isfinite(share) or share < 0:
        raise ValueError(
            f"the margin must be a finite number >= 0 (a share of the box's width and height); got {share!r}."
        )
    x0, y0, x1, y1 = box
    dx, dy = share * (x1 - x0), share * (y1 - y0)
    return (
        max(0, math.floor(x0 - dx)),
        max(0, math.floor(y0 - dy)),
        min(width, math.ceil(x1 + dx)),
        min(height, math.ceil(y1 + dy)),
    )


def check_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """Return `image` if it is uint8 HxWx3; otherwise raise an error that says how to convert it."""
    if not isinstance(image, np.ndarray):
        if type(image).__module__.startswith("PIL."):
            raise TypeError(
                "Expected a numpy array (HxWx3 uint8 RGB); got a PIL image. "
                "Convert it with np.asarray(img.convert('RGB')), or load photos with helpers.load_image(path)."
            )
        if isinstance(image, torch.Tensor):
            raise TypeError(
                "Expected a numpy array (HxWx3 uint8 RGB); got a torch tensor. Image functions take the "
                "uint8 photo (helpers.load_image); tensor functions take classifier.preprocess(image)."
            )
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


def check_positive_int(name: str, value: object, *, allow_none: bool = False, minimum: int = 1) -> None:
    """Raise unless `value` is an int >= `minimum` (1: a positive int), or None when allowed; 2.5 and True are refused.

    The one integer check of the package: counts, sizes, steps and batch sizes all go through it.
    """
    if value is None and allow_none:
        return
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {what}{' or None' if allow_none else ''}; got {value!r}.")


def mask_box(mask: np.ndarray) -> Box:
    """Tight (x0, y0, x1, y1) box of a non-empty bool mask, x1/y1 exclusive."""
    ys, xs = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if len(xs) == 0:
        raise ValueError("mask_box needs a mask with at least one True pixel.")
    return (int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1)


def working_shape(hw: tuple[int, int], input_size: int, crop_fraction: float = 1.0) -> tuple[int, int]:
    """(H, W) after resizing an image of size `hw` so that its shorter side is round(input_size / crop_fraction)."""
    if not 0.0 < crop_fraction <= 1.0:
        raise ValueError(f"crop_fraction must be in (0, 1]; got {crop_fraction}.")
    side = round(input_size / crop_fraction)
    h, w = hw
    scale = side / min(h, w)
    return max(side, round(h * scale)), max(side, round(w * scale))


def resize_shorter_side(x: torch.Tensor, size: int, *, crop_fraction: float = 1.0) -> torch.Tensor:
    """Resize (N,C,H,W) so the shorter side is round(size / crop_fraction), bilinear with antialiasing."""
    new_hw = working_shape((int(x.shape[-2]), int(x.shape[-1])), size, crop_fraction)
    if new_hw == tuple(x.shape[-2:]):
        return x
    return F.interpolate(x, size=new_hw, mode="bilinear", align_corners=False, antialias=True)


def center_crop_tensor(x: torch.Tensor, size: int) -> torch.Tensor:
    """Central size x size crop of (N,C,H,W)."""
    h, w = x.shape[-2:]
    top, left = (h - size) // 2, (w - size) // 2
    return x[..., top : top + size, left : left + size]
