"""A zoomed second Grad-CAM pass (beyond the paper): look again, closer, where the first CAM's box is.

On a small object Grad-CAM's blob spreads past the object, because the last block's 7 x 7 cells are coarse next to
it. Here the first map's box (the CAM protocol at 20% of its maximum, `localize_photo`'s box) is widened by a margin
m of its width and height on each side, clipped to the photo, and the same method (`helpers.methods` "gradcam": the
crop's shorter side resized to the model's input size) explains the same class on that crop alone. The crop's map,
at the crop's size, is placed into a zero map of the photo's size and quantised as `photo_saliency`; a box rule
(`helpers.cam.cam_box`: a fraction of the maximum, Otsu or a mass share) then boxes the object on that finer map.
If the widened box covers at least `FULL_COVER` of the photo, a second look would see nearly the same image: the
first map is kept as it is (benchmarks/photo_protocol.md, round seven, family C).

Choices the protocol leaves open, fixed before any measurement: the widened box rounds outwards (floor of the left
and top edges, ceiling of the right and bottom ones) so it always holds the first box; "covers >= 80%" compares the
widened box's pixel area with 0.8 x H x W; `target` is resolved once on the whole photo (`helpers.photos.photo_target`)
so both passes explain one class, even when the crop's own top class differs.
"""

from __future__ import annotations

import numpy as np

from .cam import CAM_THRESHOLD, ThresholdRule, cam_box, cam_level
from .geometry import Box, widen_box
from .images import as_rgb_image
from .inputs import as_classifier
from .methods import attribution_method
from .models import Classifier
from .photos import Target, photo_target, quantise_map

FULL_COVER = 0.8  # a widened box covering at least this share of the photo's area keeps the first map (the protocol)
ZOOM_METHOD = "gradcam"  # the second pass is the first pass's method: the two maps differ only by what they see


def check_first_map(cam: object, shape: tuple[int, int]) -> np.ndarray:
    """The first pass's map as a float array, or an error: a finite, non-negative (H, W) map at the photo's size."""
    if not isinstance(cam, np.ndarray):
        raise TypeError(f"cam must be a numpy (H, W) map (e.g. helpers.photos.gradcam_map); got {type(cam).__name__}.")
    if not np.issubdtype(cam.dtype, np.floating):
        raise TypeError(f"cam must be a floating map (e.g. float32); got dtype {cam.dtype}.")
    if cam.shape != tuple(shape):
        raise ValueError(f"cam must have the photo's size {tuple(shape)} (H, W); got shape {cam.shape}.")
    if not np.all(np.isfinite(cam)) or float(cam.min()) < 0:
        raise ValueError("cam must be finite and non-negative (a CAM upsampled to the photo, e.g. gradcam_map).")
    return cam


def zoom_region(cam: np.ndarray, margin: float) -> Box | None:
    """The crop the second pass sees: the first map's box at 20% widened by `margin`; None if it covers >= 80%."""
    height, width = cam.shape
    x0, y0, x1, y1 = widen_box(cam_box(cam, CAM_THRESHOLD), margin, height, width)
    if (x1 - x0) * (y1 - y0) >= FULL_COVER * height * width:
        return None
    return (x0, y0, x1, y1)


def crop_map(classifier: Classifier, image: np.ndarray, target: int, region: Box) -> np.ndarray:
    """The method's map of class `target` on the crop `region` of the photo (a view), placed in a zero map, quantised."""
    x0, y0, x1, y1 = region
    crop_cam = attribution_method(ZOOM_METHOD)(classifier, image[y0:y1, x0:x1], target)  # at the crop's size
    placed = np.zeros(image.shape[:2], np.float32)
    placed[y0:y1, x0:x1] = crop_cam
    return quantise_map(placed)


def zoom_cam(
    classifier: Classifier, image: np.ndarray, target: Target, cam: np.ndarray, *, margin: float = 0.25
) -> np.ndarray:
    """The second Grad-CAM pass on the zoomed-in region of the first map `cam`, on the photo's (H, W) grid, max 1.

    `cam` is the first pass (`helpers.photos.gradcam_map` of the same class: quantised, the photo's size); `target`
    as in `photo_target`, resolved on the whole photo. Returns a copy of `cam` when the widened box covers >= 80% of
    the photo (or the first map is all zeros); otherwise the crop's Grad-CAM, zero outside the crop, quantised.
    """
    classifier, image = as_classifier(classifier, "zoom_cam"), as_rgb_image(image)
    first = check_first_map(cam, image.shape[:2])
    cls = photo_target(classifier, image, target)
    region = zoom_region(first, margin)
    if region is None:
        return first.astype(np.float32, copy=True)
    return crop_map(classifier, image, cls, region)


def zoom_box(
    classifier: Classifier,
    image: np.ndarray,
    target: Target,
    cam: np.ndarray,
    *,
    margin: float = 0.25,
    rule: ThresholdRule = "frac",
    value: float | None = CAM_THRESHOLD,
) -> Box:
    """The box of `zoom_cam`'s map by a CAM rule: "frac" (value x its maximum), "otsu" (value unused) or "mass"."""
    cam_level(np.ones((1, 1), np.float32), value, rule)  # a bad rule or value fails before the second pass
    return cam_box(zoom_cam(classifier, image, target, cam, margin=margin), value, rule=rule)
