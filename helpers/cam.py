"""The CAM protocol (Zhou et al. 2016; beyond the paper): a box from a class-activation map, no colour models, no cut.

Keep the pixels >= 20% of the map's maximum and box the largest 8-connected component (the protocol of
Grad-CAM's ILSVRC-15 numbers). With Grad-CAM it is the photo recipe of `helpers.photos.localize_photo`
(chosen on real photos, benchmarks/README.md). The result is the same `Localization` as the paper's
GraphCut (`helpers.localization`), with no seeds.
"""

from __future__ import annotations

import numpy as np
import torch

from .geometry import Box, mask_box
from .localization import Localization, as_saliency, largest_component

# Zhou et al. 2016 keep >= 20% of the CAM's maximum (Grad-CAM's ILSVRC-15 run used 15%); chosen on the tune split of
# benchmarks/photo_protocol.md (numbers in benchmarks/README.md); localize_photo's threshold.
CAM_THRESHOLD = 0.20


def cam_localization(cam: np.ndarray | torch.Tensor, threshold: float = CAM_THRESHOLD) -> Localization:
    """The CAM protocol: the largest 8-connected component of {cam >= threshold x max(cam)} and its box.

    `cam` is a non-negative (H, W) map at the image's resolution (e.g. Grad-CAM upsampled bilinearly).
    The result is a `Localization` whose fields mean: `mask` the kept component, `box` its box,
    `segmentation` every pixel at or above the threshold, `seeds` all 0 (`UNSEEDED`: no seeds, no graph
    cut). A map whose maximum is <= 0 points nowhere: the whole image is returned (mask and box), as the
    benchmark scored it.
    """
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must lie in (0, 1] (a fraction of the map's maximum); got {threshold!r}.")
    m = as_saliency(cam)
    seeds = np.zeros(m.shape, np.int8)
    top = float(m.max())
    if top <= 0:
        whole = np.ones(m.shape, bool)
        return Localization(mask=whole, box=(0, 0, m.shape[1], m.shape[0]), seeds=seeds, segmentation=whole)
    kept = m >= threshold * top
    mask = largest_component(kept)
    return Localization(mask=mask, box=mask_box(mask), seeds=seeds, segmentation=kept)


def cam_box(cam: np.ndarray | torch.Tensor, threshold: float = CAM_THRESHOLD) -> Box:
    """The box of `cam_localization`: the largest component of {cam >= threshold x max(cam)}."""
    return cam_localization(cam, threshold).box
