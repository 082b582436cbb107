"""The CAM protocol (Zhou et al. 2016; beyond the paper): a box from a class-activation map, no colour models, no cut.

Keep the pixels >= 20% of the map's maximum and box the largest 8-connected component (the protocol of
Grad-CAM's ILSVRC-15 numbers). With Grad-CAM it is the photo recipe of `helpers.photos.localize_photo`
(chosen on real photos, benchmarks/README.md). The result is the same `Localization` as the paper's
GraphCut (`helpers.localization`), with no seeds.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
import torch

from .geometry import Box, mask_box
from .localization import Localization, as_saliency, largest_component

# Zhou et al. 2016 keep >= 20% of the CAM's maximum (Grad-CAM's ILSVRC-15 run used 15%); chosen on the tune split of
# benchmarks/photo_protocol.md (22 photos, which are among the 44 of its 4-fold cross-validation, so that row is not
# held out) and kept there: the candidates tie with it (issue 33; numbers in benchmarks/README.md); localize_photo's
# threshold.
CAM_THRESHOLD = 0.20
ThresholdRule = Literal["frac", "otsu", "mass"]
THRESHOLD_RULES: tuple[str, ...] = ("frac", "otsu", "mass")
FUSION_BLUR = 0.02  # sigma of the SmoothGrad map's blur before fusion, a share of the image's longer side


def check_cam_map(cam: np.ndarray | torch.Tensor, hw: tuple[int, int]) -> np.ndarray:
    """The map as float32 (H, W) if it is a finite, non-negative map of the image's (H, W) size; else a ValueError that
    says so (the boxes of a map at another size or with negative values would be silently wrong)."""
    m = as_saliency(cam)
    if m.shape != tuple(hw):
        raise ValueError(
            f"cam must be an (H, W) map at the image's size {tuple(hw)}; got {m.shape}. "
            "Upsample it with helpers.geometry.resize_map."
        )
    if float(m.min()) < 0:
        raise ValueError("cam must be non-negative (a CAM after its ReLU, e.g. helpers.photos.gradcam_map).")
    return m


def otsu_level(cam: np.ndarray) -> float:
    """Otsu's threshold (1979) of the map's values (256 bins): the pixels above it are its foreground, per photo."""
    m = np.asarray(cam, np.float64)
    top = float(m.max())
    if top <= 0:
        return 0.0
    level, _ = cv2.threshold(np.round(m / top * 255).astype(np.uint8), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(level) / 255 * top


def mass_level(cam: np.ndarray, mass: float) -> float:
    """The level above which the highest pixels hold a share `mass` of the map's total (per photo)."""
    if not isinstance(mass, (int, float)) or isinstance(mass, bool) or not 0.0 < mass <= 1.0:
        raise ValueError(f"mass must lie in (0, 1] (a share of the map's total); got {mass!r}.")
    values = np.sort(np.asarray(cam, np.float64).ravel())[::-1]
    total = float(values.sum())
    if total <= 0:
        return 0.0
    k = int(np.searchsorted(np.cumsum(values), mass * total))
    return float(values[min(k, values.size - 1)])


def cam_level(cam: np.ndarray, value: float | None, rule: ThresholdRule = "frac") -> float:
    """The absolute threshold of a rule: "frac" value x the maximum, "otsu" (value unused), "mass" (`mass_level`)."""
    if rule == "frac":
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 < value <= 1.0:
            raise ValueError(f"threshold must lie in (0, 1] (a fraction of the map's maximum); got {value!r}.")
        return float(value) * float(np.max(cam))
    if rule == "otsu":
        return otsu_level(cam)
    if rule == "mass":
        return mass_level(cam, value)  # type: ignore[arg-type]
    raise ValueError(f"rule must be one of {THRESHOLD_RULES}; got {rule!r}.")


def fuse_maps(cam: np.ndarray, gradient: np.ndarray, weight: float) -> np.ndarray:
    """w x CAM + (1 - w) x the gradient map blurred (sigma `FUSION_BLUR` of the longer side), each scaled to maximum 1.

    The CAM gives the extent, the blurred gradient sharper edges; `weight` in [0, 1] is the CAM's share.
    """
    if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must lie in [0, 1] (the CAM's share); got {weight!r}.")
    a, g = np.asarray(cam, np.float32), np.asarray(gradient, np.float32)
    if a.shape != g.shape or a.ndim != 2:
        raise ValueError(f"cam and gradient must be (H, W) maps of one shape; got {a.shape} and {g.shape}.")
    g = cv2.GaussianBlur(g, (0, 0), FUSION_BLUR * max(g.shape))

    def unit(m: np.ndarray) -> np.ndarray:
        top = float(m.max())
        return m / top if top > 0 else np.zeros_like(m)

    return (weight * unit(a) + (1 - weight) * unit(g)).astype(np.float32)


def cam_localization(
    cam: np.ndarray | torch.Tensor, threshold: float | None = CAM_THRESHOLD, *, rule: ThresholdRule = "frac"
) -> Localization:
    """The CAM protocol: the largest 8-connected component of {cam >= threshold x max(cam)} and its box.

    `rule` sets the threshold per photo instead: "otsu" (Otsu's level; `threshold` unused) or "mass" (the level
    above which the pixels hold a share `threshold` of the map's total), see `cam_level`.

    `cam` is a non-negative (H, W) map at the image's resolution (e.g. Grad-CAM upsampled bilinearly).
    The result is a `Localization` whose fields mean: `mask` the kept component, `box` its box,
    `segmentation` every pixel at or above the threshold, `seeds` all 0 (`UNSEEDED`: no seeds, no graph
    cut). A map whose maximum is <= 0 points nowhere: the whole image is returned (mask and box), as the
    benchmark scored it.
    """
    cam_level(np.ones((1, 1), np.float32), threshold, rule)  # a bad threshold or rule fails before any work
    m = as_saliency(cam)
    seeds = np.zeros(m.shape, np.int8)
    top = float(m.max())
    if top <= 0:
        whole = np.ones(m.shape, bool)
        return Localization(mask=whole, box=(0, 0, m.shape[1], m.shape[0]), seeds=seeds, segmentation=whole)
    if rule == "otsu":
        kept = m > otsu_level(m)  # Otsu's foreground: above the level (as OpenCV's THRESH_OTSU)
    else:
        kept = m >= (threshold * top if rule == "frac" else max(mass_level(m, threshold), np.nextafter(0, 1)))
    mask = largest_component(kept)
    return Localization(mask=mask, box=mask_box(mask), seeds=seeds, segmentation=kept)


def cam_box(
    cam: np.ndarray | torch.Tensor, threshold: float | None = CAM_THRESHOLD, *, rule: ThresholdRule = "frac"
) -> Box:
    """The box of `cam_localization`: the largest component of {cam >= threshold x max(cam)} (or the rule's level)."""
    return cam_localization(cam, threshold, rule=rule).box
