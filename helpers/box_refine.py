"""GrabCut inside the CAM's box (beyond the paper): the photo's colours shrink a CAM box that spreads past the object.

A CAM thresholded at a fraction `frac` of its maximum gives a blob, and on a small object its box is often too large.
Here the blob's box only fences the search: on the photo and the map resized so the longer side is `max_side` px
(INTER_AREA; never enlarged),

- box0 = the CAM's box at `frac` (`helpers.cam.cam_box` of the resized map),
- outside box0 widened by 5% of its width / height on each side: definite background,
- inside: probable foreground where the resized map is >= `fg` x its maximum, probable background elsewhere,

then OpenCV's GrabCut (Rother et al. 2004: colour Gaussian mixtures and a graph cut) runs `iterations` times from that
mask (`GC_INIT_WITH_MASK`, `cv2.setRNGSeed(seed)` right before the call, so the result does not depend on call order).
The box is that of the largest 8-connected component of (probable) foreground, scaled back to the photo. Protocol:
benchmarks/photo_protocol.md, round seven, family A.

Choices where the protocol is silent (fixed before any measurement):
- GrabCut gets the photo's RGB bytes as they are (its colour models do not depend on the channel order).
- The widened box is rounded outwards (floor of the low edges, ceil of the high ones) and clipped to the image.
- "Empty" seeds: GrabCut's 5-component colour mixtures need at least `MIN_SEED_PIXELS` pixels on each side
  (foreground: probable foreground; background: definite or probable background), so fewer counts as empty.
- The fallback box0 is the CAM's box at `frac` on the photo's own map (`cam_box(cam, frac)`: the box a caller of the
  CAM protocol would get), not the resized one scaled back.
- A box found on the resized photo is scaled back outwards (floor of x0, y0; ceil of x1, y1), clipped to the photo.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch

from .cam import cam_box, check_cam_map
from .geometry import Box, check_positive_int, check_rgb_uint8, mask_box, widen_box
from .localization import largest_component

WIDEN = 0.05  # share of box0's width / height added on each side before the definite background begins (protocol)
MAX_SIDE = 320  # the longer side GrabCut works at (protocol): cost, not accuracy, sets it
MIN_SEED_PIXELS = 5  # OpenCV's GrabCut fits 5-component colour mixtures: fewer pixels on a side cannot seed one
MIN_SIDE = 8  # the smallest working side (as check_rgb_uint8's smallest image)


def _check_share(name: str, value: object) -> float:
    """A share of the map's maximum in (0, 1]; bools and non-numbers refused."""
    if not isinstance(value, (int, float, np.floating)) or isinstance(value, bool) or not 0.0 < value <= 1.0:
        raise ValueError(f"{name} must lie in (0, 1] (a fraction of the map's maximum); got {value!r}.")
    return float(value)


def working_size(hw: tuple[int, int], max_side: int) -> tuple[int, int]:
    """(h, w) with the longer side at `max_side` (aspect kept, each side >= 1); the size itself when already smaller."""
    h, w = hw
    scale = min(1.0, max_side / max(h, w))
    return max(1, round(h * scale)), max(1, round(w * scale))


def seed_mask(cam: np.ndarray, box0: Box, fg: float) -> np.ndarray:
    """GrabCut's start mask (uint8): definite background outside box0 widened, inside probable fg where cam >= fg x max."""
    h, w = cam.shape
    x0, y0, x1, y1 = widen_box(box0, WIDEN, h, w)
    mask = np.full((h, w), cv2.GC_BGD, np.uint8)
    inside = cam[y0:y1, x0:x1] >= fg * float(cam.max())
    mask[y0:y1, x0:x1] = np.where(inside, cv2.GC_PR_FGD, cv2.GC_PR_BGD)
    return mask


def seeds_suffice(mask: np.ndarray) -> bool:
    """True when both colour models get at least `MIN_SEED_PIXELS` pixels to start from."""
    fore = int(np.count_nonzero((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)))
    return fore >= MIN_SEED_PIXELS and mask.size - fore >= MIN_SEED_PIXELS


def run_grabcut(image: np.ndarray, mask: np.ndarray, iterations: int, seed: int = 0) -> np.ndarray:
    """The (probable) foreground of GrabCut started from `mask` (a copy is cut, the argument is left as it is);
    `seed` seeds OpenCV's random start of the colour models (k-means), so one seed gives one answer."""
    labels = mask.copy()
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(int(seed))
    cv2.grabCut(np.ascontiguousarray(image), labels, None, bgd, fgd, int(iterations), cv2.GC_INIT_WITH_MASK)
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)


def scale_box(box: Box, small_hw: tuple[int, int], hw: tuple[int, int]) -> Box:
    """A box on an image of size `small_hw` mapped outwards onto the (h, w) photo and clipped to it."""
    (sh, sw), (h, w) = small_hw, hw
    x0, y0, x1, y1 = box
    return (
        max(0, math.floor(x0 * w / sw)),
        max(0, math.floor(y0 * h / sh)),
        min(w, math.ceil(x1 * w / sw)),
        min(h, math.ceil(y1 * h / sh)),
    )


def grabcut_box(
    image: np.ndarray,
    cam: np.ndarray | torch.Tensor,
    frac: float = 0.2,
    fg: float = 0.5,
    *,
    max_side: int = MAX_SIDE,
    iterations: int = 5,
    seed: int = 0,
) -> Box:
    """The CAM's box at `frac` refined by GrabCut seeded with the map (>= `fg` x max: probable foreground), in pixels.

    `image` is the uint8 HxWx3 RGB photo, `cam` a non-negative (H, W) map of its size (e.g. `photo_saliency`).
    Falls back to `cam_box(cam, frac)` when a seed or the foreground is empty; a map whose maximum is <= 0 points
    nowhere and gives the whole photo (as `cam_box`). Inputs are never modified. GrabCut starts its colour models
    from a random k-means: `seed` fixes it, and on real photos another seed can give another box.
    """
    img = check_rgb_uint8(image)
    m = check_cam_map(cam, img.shape[:2])
    frac, fg = _check_share("frac", frac), _check_share("fg", fg)
    check_positive_int("max_side", max_side, minimum=MIN_SIDE)
    check_positive_int("iterations", iterations)
    check_positive_int("seed", seed, minimum=0)
    fallback = cam_box(m, frac)
    if float(m.max()) <= 0:
        return fallback
    small_hw = working_size(img.shape[:2], max_side)
    small_img = cv2.resize(img, small_hw[::-1], interpolation=cv2.INTER_AREA) if small_hw != img.shape[:2] else img
    small_cam = cv2.resize(m, small_hw[::-1], interpolation=cv2.INTER_AREA) if small_hw != m.shape else m
    if float(small_cam.max()) <= 0:
        return fallback
    mask = seed_mask(small_cam, cam_box(small_cam, frac), fg)
    if not seeds_suffice(mask):
        return fallback
    kept = largest_component(run_grabcut(small_img, mask, iterations, seed))
    if not kept.any():
        return fallback
    return scale_box(mask_box(kept), small_hw, img.shape[:2])
