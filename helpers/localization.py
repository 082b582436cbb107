"""Weakly supervised object localization from a class saliency map (Simonyan et al. 2013, Sect. 3.2).

The paper's pipeline: pixels whose saliency is above the 95% quantile seed the foreground colour
model, those below the 30% quantile the background one; Gaussian-mixture colour models and a graph
cut (Boykov & Jolly 2001) label every pixel; the object is the largest connected foreground
component and its bounding box is the localization. `localize` runs it with OpenCV's GrabCut
(GMM colour models + graph cut): `localize(..., paper=True)` exactly as the paper, by default with
the beyond-the-paper settings that measured best (`DEFAULT`). `localize_photo` goes from a photo to
a box in one call; `evaluate_photos` measures every variant and baseline on the annotated photos;
`iou`, `evaluate_boxes` and the baselines score boxes; the command `python -m helpers.localization
evaluate` computes the ILSVRC top-5 localization error of a model over a folder of images with
PASCAL-VOC XML boxes, with the same photo pipeline.
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from .geometry import Box, check_positive_int, check_rgb_uint8, mask_box, resize_map
from .images import load_image, to_rgb_uint8

if TYPE_CHECKING:
    from .models import Classifier

FOREGROUND_SEED, BACKGROUND_SEED, UNSEEDED = 1, -1, 0
GMM_COMPONENTS = 5  # OpenCV's GrabCut fits 5-component GMMs, so each side needs at least 5 seed pixels.
MIN_SEEDS = GMM_COMPONENTS
Init = Literal["seeds", "probable_background", "probable_foreground"]
INITS: tuple[str, ...] = ("seeds", "probable_background", "probable_foreground")
Hard = Literal["both", "foreground", "background", "none"]
HARDS: tuple[str, ...] = ("both", "foreground", "background", "none")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


class LocalizationError(ValueError):
    """Raised when a saliency map cannot seed both colour models (e.g. one side has too few seeds)."""


@dataclass(frozen=True)
class Localization:
    """Result of `localize`: the object mask, its box, the seeds and the raw graph-cut labelling."""

    mask: np.ndarray  # (H, W) bool: largest connected foreground component = the object
    box: Box  # (x0, y0, x1, y1) of `mask`, x1/y1 exclusive
    seeds: np.ndarray  # (H, W) int8: +1 foreground seed, -1 background seed, 0 unseeded
    segmentation: np.ndarray  # (H, W) bool: every pixel the graph cut labelled foreground


# ----------------------------------------------------------------------------------------------
# Input checks


def _as_image(image: np.ndarray) -> np.ndarray:
    """uint8 HxWx3 RGB (a 2-D uint8 grayscale image is replicated to 3 channels); at least 8x8."""
    if isinstance(image, np.ndarray) and image.dtype == np.uint8 and (
        image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1)
    ):
        image = to_rgb_uint8(image)
    return check_rgb_uint8(image)


def _as_saliency(saliency: np.ndarray | torch.Tensor) -> np.ndarray:
    """A finite 2-D float32 map (a tensor or array, leading singleton axes dropped)."""
    if isinstance(saliency, torch.Tensor):
        saliency = saliency.detach().cpu().numpy()
    if not isinstance(saliency, np.ndarray):
        raise TypeError(f"saliency must be a numpy array or torch tensor (H, W); got {type(saliency).__name__}.")
    s = saliency
    while s.ndim > 2 and s.shape[0] == 1:
        s = s[0]
    if s.ndim != 2:
        raise ValueError(f"saliency must be a 2-D map (H, W); got shape {saliency.shape}.")
    if not (np.issubdtype(s.dtype, np.number) or s.dtype == bool):
        raise TypeError(f"saliency must hold numbers; got dtype {s.dtype}.")
    s = s.astype(np.float32)
    if not np.isfinite(s).all():
        raise ValueError(f"saliency contains {int((~np.isfinite(s)).sum())} NaN or infinite values; fix the map first.")
    if min(s.shape) < 2:
        raise ValueError(f"saliency map of shape {s.shape} is too small; need at least 2x2.")
    return s


def _check_quantiles(fg_quantile: float, bg_quantile: float) -> None:
    """Require 0 <= bg_quantile < fg_quantile <= 1."""
    for name, q in (("fg_quantile", fg_quantile), ("bg_quantile", bg_quantile)):
        if not isinstance(q, (int, float, np.floating, np.integer)) or isinstance(q, bool) or not np.isfinite(q):
            raise ValueError(f"{name} must be a number in [0, 1]; got {q!r}.")
        if not 0.0 <= float(q) <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1] (a quantile, not a percentage); got {q}.")
    if not bg_quantile < fg_quantile:
        raise ValueError(f"Need bg_quantile < fg_quantile; got bg_quantile={bg_quantile}, fg_quantile={fg_quantile}.")


# ----------------------------------------------------------------------------------------------
# The pipeline


def saliency_seeds(saliency: np.ndarray, fg_quantile: float = 0.95, bg_quantile: float = 0.30) -> np.ndarray:
    """Seed map (int8): +1 where saliency >= its fg quantile, -1 where <= its bg quantile, else 0.

    Ties: a pixel at both quantiles (a map with few distinct values) is a background seed, so the
    two seed sets never overlap. A constant map ranks no pixel above another: ValueError.
    """
    _check_quantiles(fg_quantile, bg_quantile)
    s = _as_saliency(saliency)
    lo, hi = float(s.min()), float(s.max())
    if hi == lo:
        raise ValueError(
            f"saliency is constant (every value is {lo:g}), so no pixel is more salient than another and "
            "there is nothing to seed the colour models with. Check the map (an all-zero map usually means "
            "the gradient did not reach the input)."
        )
    q_fg, q_bg = np.quantile(s, [fg_quantile, bg_quantile])
    seeds = np.zeros(s.shape, np.int8)
    seeds[(s >= q_fg) & (s > q_bg)] = FOREGROUND_SEED
    seeds[s <= q_bg] = BACKGROUND_SEED
    return seeds


def _working_scale(h: int, w: int, min_side: int | None, max_side: int | None) -> float:
    """Factor that brings the shorter side up to min_side or the longer side down to max_side."""
    if min_side is not None and min(h, w) < min_side:
        return min_side / min(h, w)
    if max_side is not None and max(h, w) > max_side:
        return max_side / max(h, w)
    return 1.0


def _fit_seed_gmms(bgr: np.ndarray, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GrabCut's two colour GMMs fitted on the seed pixels only (the paper's colour models).

    Trick: GrabCut with 0 iterations only initialises its GMMs, so we hand it a 1xK "image" of the
    seed pixels labelled hard foreground/background and read the fitted models back.
    """
    fg, bg = bgr[seeds == FOREGROUND_SEED], bgr[seeds == BACKGROUND_SEED]
    pixels = np.ascontiguousarray(np.concatenate([fg, bg])[None])
    labels = np.concatenate([np.full(len(fg), cv2.GC_FGD, np.uint8), np.full(len(bg), cv2.GC_BGD, np.uint8)])[None]
    bgd_model, fgd_model = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(pixels, labels, None, bgd_model, fgd_model, 0, cv2.GC_INIT_WITH_MASK)
    return bgd_model, fgd_model


def _grabcut(bgr: np.ndarray, seeds: np.ndarray, iterations: int, init: str, hard: str) -> np.ndarray:
    """Run GrabCut from seeds; returns the (H, W) bool foreground labelling.

    `hard` says which seeds are fixed (GC_FGD / GC_BGD); the others only shape the colour models and
    the cut may relabel them (GC_PR_*). With init="seeds" the first cut uses colour models
    fitted on the seeds alone (the paper; the unseeded pixels' start label then plays no role) and
    each further iteration re-fits them on the current labelling (GrabCut). The other inits let
    OpenCV fit the first models with every unseeded pixel counted as probable background or foreground.
    """
    cv2.setRNGSeed(0)  # GrabCut's k-means initialisation draws from OpenCV's RNG: make it reproducible.
    unseeded = cv2.GC_PR_FGD if init == "probable_foreground" else cv2.GC_PR_BGD
    mask = np.full(seeds.shape, unseeded, np.uint8)
    mask[seeds == FOREGROUND_SEED] = cv2.GC_FGD if hard in ("both", "foreground") else cv2.GC_PR_FGD
    mask[seeds == BACKGROUND_SEED] = cv2.GC_BGD if hard in ("both", "background") else cv2.GC_PR_BGD
    if init == "seeds":
        bgd_model, fgd_model = _fit_seed_gmms(bgr, seeds)
        cv2.grabCut(bgr, mask, None, bgd_model, fgd_model, 1, cv2.GC_EVAL_FREEZE_MODEL)
        if iterations > 1:
            cv2.grabCut(bgr, mask, None, bgd_model, fgd_model, iterations - 1, cv2.GC_EVAL)
    else:
        bgd_model, fgd_model = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        cv2.grabCut(bgr, mask, None, bgd_model, fgd_model, iterations, cv2.GC_INIT_WITH_MASK)
    return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)


def largest_component(mask: np.ndarray) -> np.ndarray:
    """The largest 8-connected component of a bool mask (all False if the mask is empty)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros(mask.shape, bool)
    return labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))


def check_map_fits_image(map_hw: tuple[int, ...], image_hw: tuple[int, ...]) -> None:
    """Accept a map of the image's shape or a rescaled copy (same aspect ratio, 1 px rounding); refuse the rest.

    A map of another aspect ratio (e.g. of a centre crop) or transposed (W, H) would be stretched
    over the wrong pixels without a word, so it is an error.
    """
    (mh, mw), (h, w) = map_hw[:2], image_hw[:2]
    if (mh, mw) == (h, w) or abs(mh * w - mw * h) <= h + w:  # |mh/h - mw/w| within one pixel of rounding
        return
    hint = " It looks transposed: pass saliency.T." if (mh, mw) == (w, h) else ""
    raise ValueError(
        f"The saliency map is {mh}x{mw} (HxW) but the image is {h}x{w}: their aspect ratios differ, so the map "
        f"cannot be laid over the image.{hint} Compute the map on the whole image (helpers.ten_crop_saliency or "
        "helpers.image_saliency return it at the image's size), not on a crop."
    )


@dataclass(frozen=True)
class LocalizeSettings:
    """The knobs of `localize`. `PAPER` is the paper's pipeline; `DEFAULT` won on real photos and the toy world."""

    fg_quantile: float
    bg_quantile: float
    iterations: int
    init: Init
    hard: Hard
    smooth: float
    min_side: int | None
    max_side: int | None


# The paper (Sect. 3.2): 95% / 30% quantiles, colour models fitted on the seeds, one graph cut, the image as it is.
PAPER = LocalizeSettings(0.95, 0.30, iterations=1, init="seeds", hard="none", smooth=0.0, min_side=None, max_side=None)
# Beyond the paper, chosen by `evaluate_photos` and the toy-world evaluation (see benchmarks/bench_photo_localization.py):
# unseeded pixels start as probable background, 5 GrabCut iterations, the map blurred (seeds from regions, and
# stable: 0.2% noise on the map changes no box), GrabCut at 224 px on the longer side (20x faster than 640 px).
DEFAULT = LocalizeSettings(0.95, 0.30, iterations=5, init="probable_background", hard="none", smooth=0.02, min_side=None, max_side=224)


def localize(
    image: np.ndarray,
    saliency: np.ndarray | torch.Tensor,
    *,
    fg_quantile: float = DEFAULT.fg_quantile,
    bg_quantile: float = DEFAULT.bg_quantile,
    iterations: int = DEFAULT.iterations,
    init: Init = DEFAULT.init,
    min_side: int | None = DEFAULT.min_side,
    max_side: int | None = DEFAULT.max_side,
    smooth: float = DEFAULT.smooth,
    hard: Hard = DEFAULT.hard,
    paper: bool = False,
) -> Localization:
    """Segment and box the object that a saliency map points at (the paper's GraphCut localization).

    `paper=True` runs the paper's pipeline exactly (`PAPER`: 95%/30% quantiles, colour models fitted
    on the seeds, one graph cut, at the image's own resolution) and then accepts no other setting.
    The defaults (`DEFAULT`) go beyond the paper where it measurably helps on real photos and on the
    toy world: GrabCut starts with the unseeded pixels as probable background (`init`) and re-fits
    its colour models for 5 `iterations`; the seeds stay relabelable (`hard="none"`); the map is
    blurred by a Gaussian of sigma = `smooth` x the working image's longer side, so seeds come from
    salient regions rather than isolated pixels and a map that differs by a fraction of a percent
    (another machine, another thread count) gives the same seeds; GrabCut runs on the image
    rescaled so its shorter side is >= `min_side` and its longer side <= `max_side` (None: no
    limit) and the mask comes back at the image's resolution.

    `saliency` (any real values) is resized to the image; it must have the image's aspect ratio
    (a map at another resolution is fine, a transposed or cropped one is an error). Raises
    ValueError for a constant map and LocalizationError when a seed set has fewer than 5 pixels. If
    the cut labels no pixel foreground, the foreground seeds stand in for its labelling.
    """
    settings = LocalizeSettings(fg_quantile, bg_quantile, iterations, init, hard, smooth, min_side, max_side)
    if paper:
        changed = [f for f in settings.__dataclass_fields__ if getattr(settings, f) != getattr(DEFAULT, f)]
        if changed:
            raise ValueError(f"paper=True runs the paper's settings exactly; do not also pass {', '.join(changed)}.")
        settings = PAPER
    img = _as_image(image)
    sal = _as_saliency(saliency)
    check_map_fits_image(sal.shape, img.shape[:2])
    _check_settings(settings)
    return _localize(img, sal, settings)


def _check_settings(s: LocalizeSettings) -> None:
    """Clear errors for out-of-range settings."""
    _check_quantiles(s.fg_quantile, s.bg_quantile)
    check_positive_int("iterations", s.iterations)
    check_positive_int("min_side", s.min_side, allow_none=True)
    check_positive_int("max_side", s.max_side, allow_none=True)
    if s.init not in INITS:
        raise ValueError(f"init must be one of {INITS}; got {s.init!r}.")
    if s.hard not in HARDS:
        raise ValueError(f"hard must be one of {HARDS}; got {s.hard!r}.")
    if not isinstance(s.smooth, (int, float)) or isinstance(s.smooth, bool) or not 0.0 <= s.smooth < 1.0:
        raise ValueError(f"smooth must be a number in [0, 1) (a fraction of the image side); got {s.smooth!r}.")


def _localize(img: np.ndarray, sal: np.ndarray, s: LocalizeSettings) -> Localization:
    """`localize` on checked inputs."""
    h, w = img.shape[:2]
    scale = _working_scale(h, w, s.min_side, s.max_side)
    wh, ww = max(8, round(h * scale)), max(8, round(w * scale))
    work = img if (wh, ww) == (h, w) else cv2.resize(img, (ww, wh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    work_sal = resize_map(sal, wh, ww)
    if s.smooth > 0:
        work_sal = cv2.GaussianBlur(work_sal, (0, 0), s.smooth * max(wh, ww))
    work_seeds = saliency_seeds(work_sal, s.fg_quantile, s.bg_quantile)
    _check_seed_counts(work_seeds)
    bgr = np.ascontiguousarray(work[:, :, ::-1])
    segmentation = _grabcut(bgr, work_seeds, int(s.iterations), s.init, s.hard)
    seeds = work_seeds
    if (wh, ww) != (h, w):
        segmentation = cv2.resize(segmentation.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)
        seeds = cv2.resize(work_seeds, (w, h), interpolation=cv2.INTER_NEAREST)
    if not segmentation.any():  # documented fallback: the cut kept nothing, so trust the foreground seeds
        segmentation = seeds == FOREGROUND_SEED
    mask = largest_component(segmentation)
    if not mask.any():
        raise LocalizationError("No foreground pixel is left at the image's resolution; try a larger image.")
    return Localization(mask=mask, box=mask_box(mask), seeds=seeds, segmentation=segmentation)


def _check_seed_counts(seeds: np.ndarray) -> None:
    """Each colour model needs at least MIN_SEEDS seed pixels."""
    n_fg, n_bg = int((seeds == FOREGROUND_SEED).sum()), int((seeds == BACKGROUND_SEED).sum())
    if n_fg < MIN_SEEDS or n_bg < MIN_SEEDS:
        raise LocalizationError(
            f"The saliency quantiles left {n_fg} foreground and {n_bg} background seed pixels; each "
            f"{GMM_COMPONENTS}-component colour model needs at least {MIN_SEEDS}. Use a larger image, or "
            "quantiles further apart, or a saliency map with more distinct values."
        )


# ----------------------------------------------------------------------------------------------
# Boxes, baselines and scores


def as_box(box: Sequence[float] | np.ndarray, name: str = "box") -> tuple[float, float, float, float]:
    """Validate an (x0, y0, x1, y1) box: four finite numbers with x0 <= x1 and y0 <= y1."""
    b = np.asarray(box, dtype=np.float64).reshape(-1) if not isinstance(box, str) else np.array([])
    if b.shape != (4,) or not np.isfinite(b).all():
        raise ValueError(f"{name} must be four finite numbers (x0, y0, x1, y1); got {box!r}.")
    if b[2] < b[0] or b[3] < b[1]:
        raise ValueError(f"{name} {tuple(b.tolist())} has x1 < x0 or y1 < y0; expected (x0, y0, x1, y1), x1/y1 exclusive.")
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def box_ious(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Row-wise IoU of two (N, 4) box arrays (x1/y1 exclusive); 0 where both boxes are empty."""
    a, b = _as_box_array(boxes_a, "boxes_a"), _as_box_array(boxes_b, "boxes_b")
    if a.shape != b.shape:
        raise ValueError(f"Need as many predicted as true boxes; got {len(a)} and {len(b)}.")
    iw = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    ih = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    inter = iw * ih
    union = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _as_box_array(boxes: np.ndarray, name: str) -> np.ndarray:
    """(N, 4) float64 array of valid boxes."""
    b = np.asarray(boxes, dtype=np.float64)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4); got {b.shape}.")
    if not np.isfinite(b).all():
        raise ValueError(f"{name} contains NaN or infinite coordinates.")
    bad = np.flatnonzero((b[:, 2] < b[:, 0]) | (b[:, 3] < b[:, 1]))
    if len(bad):
        raise ValueError(f"{name}[{bad[0]}] = {b[bad[0]].tolist()} has x1 < x0 or y1 < y0.")
    return b


def iou(box_a: Sequence[float], box_b: Sequence[float]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes (x1/y1 exclusive); 0 for two empty boxes."""
    return float(box_ious(np.array([as_box(box_a, "box_a")]), np.array([as_box(box_b, "box_b")]))[0])


def evaluate_boxes(pred_boxes: np.ndarray, true_boxes: np.ndarray, *, threshold: float = 0.5) -> dict[str, float]:
    """Localization accuracy (share of IoU >= threshold, the ILSVRC criterion), mean IoU and count."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must lie in (0, 1]; got {threshold}.")
    ious = box_ious(pred_boxes, true_boxes)
    if len(ious) == 0:
        raise ValueError("evaluate_boxes needs at least one box pair.")
    return {"accuracy": float(np.mean(ious >= threshold)), "mean_iou": float(ious.mean()), "n": int(len(ious))}


def threshold_box(
    saliency: np.ndarray | torch.Tensor, image_shape: tuple[int, ...] | None = None, *, quantile: float = 0.95
) -> Box:
    """Baseline (b): the box around all pixels whose saliency is >= its `quantile` (in image pixels).

    Pixels at the map's minimum never count, so a map with many tied zeros still gives a tight box.
    """
    s = _as_saliency(saliency)
    if image_shape is not None:
        s = resize_map(s, int(image_shape[0]), int(image_shape[1]))
    if not 0.0 <= quantile <= 1.0:
        raise ValueError(f"quantile must lie in [0, 1]; got {quantile}.")
    if s.max() == s.min():
        raise ValueError("saliency is constant, so no pixel is above another: no box can be drawn.")
    return mask_box((s >= np.quantile(s, quantile)) & (s > s.min()))  # the map's minimum is never "salient"


def centered_box(image_shape: tuple[int, ...], fraction: float = 0.5) -> Box:
    """Baseline (c): a centred box whose sides are `fraction` of the image's sides."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must lie in (0, 1]; got {fraction}.")
    h, w = int(image_shape[0]), int(image_shape[1])
    bw, bh = max(1, round(w * fraction)), max(1, round(h * fraction))
    x0, y0 = (w - bw) // 2, (h - bh) // 2
    return (x0, y0, x0 + bw, y0 + bh)


def localize_boxes(
    images: Sequence[np.ndarray] | np.ndarray,
    saliencies: Sequence[np.ndarray] | np.ndarray,
    *,
    on_error: Literal["raise", "full_image"] = "raise",
    progress: bool = False,
    **kwargs: object,
) -> np.ndarray:
    """`localize` each image with its map; (N, 4) int boxes. on_error="full_image" boxes failures whole."""
    if len(images) != len(saliencies):
        raise ValueError(f"Got {len(images)} images but {len(saliencies)} saliency maps.")
    if on_error not in ("raise", "full_image"):
        raise ValueError(f"on_error must be 'raise' or 'full_image'; got {on_error!r}.")
    from tqdm.auto import tqdm

    boxes = np.zeros((len(images), 4), np.int64)
    for i in tqdm(range(len(images)), disable=not progress, desc="localize", unit="img"):
        try:
            boxes[i] = localize(images[i], saliencies[i], **kwargs).box  # type: ignore[arg-type]
        except LocalizationError:
            if on_error == "raise":
                raise
            boxes[i] = (0, 0, images[i].shape[1], images[i].shape[0])
    return boxes


# ----------------------------------------------------------------------------------------------
# Photos: one call from image to box, and its evaluation on the annotated photos


# Measured with `evaluate_photos` (benchmarks/bench_photo_localization.py): GrabCut seeded from SmoothGrad
# boxes about 3x as many photos as from the 10-crop gradient, whose speckle makes poor colour seeds.
LOCALIZATION_SMOOTHGRAD_SAMPLES = 8


def localization_saliency(classifier: "Classifier", image: np.ndarray, target: int | str | None = None) -> np.ndarray:
    """The map `localize_photo` seeds GrabCut with: image-level SmoothGrad (beyond the paper), max 1, quantised, (H, W).

    `target` as in `helpers.photos.photo_target`: None (top class), an index, an ImageNet class or a COCO category.
    """
    from .photos import photo_target, quantise_map
    from .saliency import image_smoothgrad

    img = _as_image(image)
    cls = photo_target(classifier, img, target)
    return quantise_map(image_smoothgrad(classifier, img, cls, n_samples=LOCALIZATION_SMOOTHGRAD_SAMPLES))


def localize_photo(classifier: "Classifier", image: np.ndarray, target: int | str | None = None) -> Localization:
    """Box the object of class `target` (None: the predicted class; or a class name or COCO category) in a photo.

    `localization_saliency` (SmoothGrad) and `localize`'s defaults (GrabCut at 224 px on the longer
    side, blurred map, see `DEFAULT`): the pipeline that notebook 05, the ILSVRC command and the
    benchmark all use.
    """
    img = _as_image(image)
    return localize(img, localization_saliency(classifier, img, target))


@dataclass(frozen=True)
class PhotoCase:
    """One evaluation photo: its dominant object's category, the class we explain, and the true boxes."""

    name: str
    image: np.ndarray
    category: str
    target: int  # the classifier's class index whose saliency is localized
    boxes: tuple[Box, ...]  # every (non-crowd) instance of the category: a box of the class counts (ILSVRC)
    area_fraction: float  # share of the frame covered by the dominant instance (its mask; its box for bundled photos)


def photo_cases(classifier: "Classifier", names: Sequence[str] | None = None) -> list[PhotoCase]:
    """The photos (default: all of `helpers.list_images()`) whose dominant object an ImageNet class names.

    The dominant object is the largest non-crowd instance (`PhotoInfo.dominant_object`). Photos whose
    dominant category has no ImageNet counterpart (person, giraffe, cake, ...) are skipped: a
    classifier cannot be asked about them. The class explained is the best-scoring one of the
    category's ImageNet classes on the standard centre crop.
    """
    from .categories import NoImageNetCounterpart, best_imagenet_class
    from .images import list_images, photo_info

    cases = []
    for name in list_images() if names is None else names:
        info = photo_info(name)
        dominant = info.dominant_object()
        try:
            classes = info.imagenet_indices(dominant.category)
        except NoImageNetCounterpart:
            continue
        image = load_image(name)
        with torch.no_grad():
            scores = classifier.model(classifier.preprocess(image))[0]
        boxes = tuple(b for b, c, crowd in zip(info.boxes, info.categories, info.crowd) if c == dominant.category and not crowd)
        cases.append(PhotoCase(name, image, dominant.category, best_imagenet_class(scores, classes), boxes, dominant.area_fraction))
    return cases


Method = Literal["graphcut", "threshold", "centred", "full_image"]
SaliencyKind = Literal["smoothgrad", "photo", "ten_crop", "single"]


@dataclass(frozen=True)
class Localizer:
    """One row of the photo evaluation: a saliency kind and a way to turn it into a box."""

    label: str
    method: Method
    saliency: SaliencyKind | None = None  # None for the baselines that ignore the image's content
    settings: tuple[tuple[str, object], ...] = ()  # keyword arguments of localize / threshold_box / centered_box
    beyond_paper: bool = True

    def box(self, image: np.ndarray, saliency: np.ndarray | None) -> Box:
        """This localizer's box for one image (a failed localization boxes the whole image)."""
        kwargs = dict(self.settings)
        h, w = image.shape[:2]
        if self.method == "full_image":
            return (0, 0, w, h)
        if self.method == "centred":
            return centered_box(image.shape, **kwargs)  # type: ignore[arg-type]
        if saliency is None:
            raise ValueError(f"Localizer {self.label!r} needs a saliency kind.")
        if self.method == "threshold":
            return threshold_box(saliency, image.shape, **kwargs)  # type: ignore[arg-type]
        try:
            return localize(image, saliency, **kwargs).box  # type: ignore[arg-type]
        except LocalizationError:
            return (0, 0, w, h)


def _graphcut(label: str, saliency: SaliencyKind, beyond: bool = True, **settings: object) -> Localizer:
    return Localizer(label, "graphcut", saliency, tuple(settings.items()), beyond)


# The rows of notebook 05's real-photo table and of the benchmark. "paper" = the paper's method exactly.
PHOTO_LOCALIZERS: tuple[Localizer, ...] = (
    _graphcut("paper: 10-crop saliency, GraphCut 95/30, one cut, full size", "ten_crop", beyond=False, paper=True),
    _graphcut("paper's GraphCut at 224 px", "ten_crop", max_side=224, **{k: getattr(PAPER, k) for k in ("iterations", "init", "smooth")}),
    _graphcut("10-crop saliency, default GraphCut", "ten_crop"),
    _graphcut("SmoothGrad saliency, paper's GraphCut at 224 px", "smoothgrad", max_side=224, **{k: getattr(PAPER, k) for k in ("iterations", "init", "smooth")}),
    _graphcut("SmoothGrad, seeds-only colour models (paper's init)", "smoothgrad", init="seeds"),
    _graphcut("SmoothGrad, no blur of the map", "smoothgrad", smooth=0.0),
    _graphcut("SmoothGrad, foreground quantile 99%", "smoothgrad", fg_quantile=0.99),
    _graphcut("SmoothGrad, GrabCut at full size", "smoothgrad", max_side=None),
    _graphcut("SmoothGrad, default GraphCut = localize_photo", "smoothgrad"),
    Localizer("baseline: box around SmoothGrad >= q95", "threshold", "smoothgrad"),
    Localizer("baseline: box around 10-crop saliency >= q95", "threshold", "ten_crop"),
    Localizer("baseline: centred box, 50% of the sides", "centred", settings=(("fraction", 0.5),)),
    Localizer("baseline: full image", "full_image"),
)


@dataclass(frozen=True)
class PhotoEvaluation:
    """IoU of every localizer on every photo (the best IoU over the boxes of the dominant category)."""

    cases: tuple[PhotoCase, ...]
    localizers: tuple[Localizer, ...]
    ious: np.ndarray  # (n_localizers, n_photos)

    def summary(self, max_area: float = 0.5, threshold: float = 0.5) -> list[dict[str, object]]:
        """Per localizer: accuracy (IoU >= threshold) and mean IoU on all photos and on those whose object covers < max_area."""
        small = np.array([c.area_fraction < max_area for c in self.cases])
        rows = []
        for loc_, ious in zip(self.localizers, self.ious):
            row: dict[str, object] = {"label": loc_.label, "beyond_paper": loc_.beyond_paper}
            for key, sel in (("small", small), ("all", np.ones_like(small))):
                row[f"n_{key}"] = int(sel.sum())
                row[f"hits_{key}"] = int((ious[sel] >= threshold).sum())
                row[f"accuracy_{key}"] = float(np.mean(ious[sel] >= threshold)) if sel.any() else float("nan")
                row[f"mean_iou_{key}"] = float(ious[sel].mean()) if sel.any() else float("nan")
            rows.append(row)
        return rows

    def table(self, max_area: float = 0.5) -> str:
        """The summary as aligned text: hits / photos and mean IoU, small objects first, then all."""
        rows = self.summary(max_area)
        width = max(len(str(r["label"])) for r in rows) + 2
        n_small, n_all = rows[0]["n_small"], rows[0]["n_all"]
        lines = [f"{'localizer':<{width}}{f'object < {max_area:.0%} ({n_small})':>22}{'mIoU':>6}{f'all ({n_all})':>12}{'mIoU':>6}"]
        for r in rows:
            lines.append(f"{str(r['label']):<{width}}{r['hits_small']:>17} hits{r['mean_iou_small']:>6.2f}"
                         f"{r['hits_all']:>7} hits{r['mean_iou_all']:>6.2f}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def saliency_functions() -> dict[str, Callable[["Classifier", np.ndarray, int], np.ndarray]]:
    """The saliency kinds a Localizer can name: localize_photo's SmoothGrad, helpers.photo_saliency, the paper's 10 crops, one pass."""
    from .photos import photo_saliency
    from .saliency import image_saliency, ten_crop_saliency

    return {"smoothgrad": localization_saliency, "photo": photo_saliency, "ten_crop": ten_crop_saliency, "single": image_saliency}


def evaluate_photos(
    classifier: "Classifier",
    cases: Sequence[PhotoCase] | None = None,
    localizers: Sequence[Localizer] = PHOTO_LOCALIZERS,
    *,
    progress: bool = False,
) -> PhotoEvaluation:
    """Localize the dominant object of every photo with every localizer; each saliency kind is computed once per photo.

    A box is right when its IoU with a box of the dominant category reaches 0.5 (ILSVRC: any box of
    the class counts). `cases` default: `photo_cases(classifier)`.
    """
    from tqdm.auto import tqdm

    cases = tuple(photo_cases(classifier) if cases is None else cases)
    if not cases:
        raise ValueError("evaluate_photos needs at least one photo case.")
    fns = saliency_functions()
    unknown = {l.saliency for l in localizers} - set(fns) - {None}
    if unknown:
        raise ValueError(f"Unknown saliency kind(s) {sorted(unknown)}; choose from {sorted(fns)}.")
    ious = np.zeros((len(localizers), len(cases)))
    for j, case in enumerate(tqdm(cases, disable=not progress, desc="photos", unit="photo")):
        maps = {kind: fns[kind](classifier, case.image, case.target) for kind in {l.saliency for l in localizers} - {None}}
        for i, localizer in enumerate(localizers):
            box = localizer.box(case.image, maps.get(localizer.saliency) if localizer.saliency else None)
            ious[i, j] = max(iou(box, b) for b in case.boxes)
    return PhotoEvaluation(cases, tuple(localizers), ious)


# ----------------------------------------------------------------------------------------------
# PASCAL-VOC XML boxes (ImageNet's CLS-LOC annotations use the same format)


@dataclass(frozen=True)
class VocObject:
    """One annotated object: class name (or WordNet id) and box (x0, y0, x1, y1), x1/y1 exclusive."""

    name: str
    box: Box


@dataclass(frozen=True)
class VocAnnotation:
    """The content of one VOC XML file: image file name, size and objects."""

    filename: str
    width: int
    height: int
    objects: tuple[VocObject, ...]


def write_voc(path: str | Path, annotation: VocAnnotation) -> None:
    """Write a VOC XML file; boxes are stored 1-based inclusive (xmin = x0 + 1, xmax = x1) as in VOC."""
    root = ET.Element("annotation")
    ET.SubElement(root, "filename").text = annotation.filename
    size = ET.SubElement(root, "size")
    for tag, value in (("width", annotation.width), ("height", annotation.height), ("depth", 3)):
        ET.SubElement(size, tag).text = str(int(value))
    for obj in annotation.objects:
        x0, y0, x1, y1 = (int(round(v)) for v in as_box(obj.box))
        node = ET.SubElement(root, "object")
        ET.SubElement(node, "name").text = obj.name
        bnd = ET.SubElement(node, "bndbox")
        for tag, value in (("xmin", x0 + 1), ("ymin", y0 + 1), ("xmax", x1), ("ymax", y1)):
            ET.SubElement(bnd, tag).text = str(value)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def read_voc(path: str | Path) -> VocAnnotation:
    """Read a VOC XML file into 0-based boxes with exclusive x1/y1, clipped to the image."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as err:
        raise ValueError(f"Could not read {str(path)!r} as VOC XML ({err}).") from err
    try:
        width, height = int(root.findtext("size/width", "")), int(root.findtext("size/height", ""))
        objects = []
        for node in root.iter("object"):
            x0, y0, x1, y1 = (float(node.findtext(f"bndbox/{t}", "")) for t in ("xmin", "ymin", "xmax", "ymax"))
            box = (max(0, int(x0) - 1), max(0, int(y0) - 1), min(width, int(x1)), min(height, int(y1)))
            objects.append(VocObject(str(node.findtext("name", "")).strip(), box))
    except ValueError as err:
        raise ValueError(f"{str(path)!r} lacks a number in size/width, size/height or an object's bndbox ({err}).") from err
    if not objects:
        raise ValueError(f"{str(path)!r} holds no <object> with a box.")
    return VocAnnotation(root.findtext("filename", path.stem) or path.stem, width, height, tuple(objects))


# ----------------------------------------------------------------------------------------------
# ILSVRC top-5 localization error over a folder


@dataclass(frozen=True)
class IlsvrcResult:
    """ILSVRC-style scores over a folder: top-k localization and classification errors."""

    n_images: int
    top_k: int
    localization_error: float  # share of images where no top-k guess has the right class AND IoU >= 0.5
    classification_error: float  # share of images where no top-k guess has the right class
    n_failed: int  # localizations that raised LocalizationError (counted as wrong)

    def __str__(self) -> str:
        return (
            f"{self.n_images} images | top-{self.top_k} localization error {100 * self.localization_error:.1f}% | "
            f"top-{self.top_k} classification error {100 * self.classification_error:.1f}% | "
            f"failed localizations {self.n_failed}"
        )


def pair_images_and_boxes(images_dir: str | Path, boxes_dir: str | Path) -> list[tuple[Path, Path]]:
    """(image, XML) pairs matched by file stem; errors list what is missing."""
    images_dir, boxes_dir = Path(images_dir), Path(boxes_dir)
    for d in (images_dir, boxes_dir):
        if not d.is_dir():
            raise FileNotFoundError(f"No folder at {str(d)!r}.")
    images = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise FileNotFoundError(f"No images ({', '.join(IMAGE_SUFFIXES)}) in {str(images_dir)!r}.")
    missing = [p.name for p in images if not (boxes_dir / f"{p.stem}.xml").is_file()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} images have no XML box file in {str(boxes_dir)!r} (e.g. {missing[:3]}); "
            "expected <image stem>.xml for each."
        )
    return [(p, boxes_dir / f"{p.stem}.xml") for p in images]


def read_synsets(path: str | Path) -> dict[str, int]:
    """WordNet id -> class index from a file with one 'n01440764 tench, ...' line per class, in index order."""
    ids = [line.split()[0] for line in Path(path).read_text().splitlines() if line.strip()]
    return {wnid: i for i, wnid in enumerate(ids)}


def _class_resolver(classifier: "Classifier", synsets: dict[str, int] | None):
    """A function mapping an XML object name to a class index of the classifier (or raising)."""
    exact = {c.lower(): i for i, c in enumerate(classifier.categories)}

    def resolve(name: str) -> int:
        if re.fullmatch(r"n\d{8}", name):
            if synsets is None:
                raise ValueError(
                    f"The boxes name classes by WordNet id ({name!r}); pass --synsets FILE with one "
                    "'<wnid> <name>' line per class in the model's index order (e.g. LOC_synset_mapping.txt)."
                )
            if name not in synsets:
                raise ValueError(f"WordNet id {name!r} is not in the synsets file.")
            return synsets[name]
        if name.lower() not in exact:
            raise ValueError(f"Class {name!r} in the boxes is not one of {classifier.name}'s categories.")
        return exact[name.lower()]

    return resolve


def _batch_input(classifier: "Classifier", images: list[np.ndarray]) -> torch.Tensor:
    """The classifier's standard evaluation input for each image (`classifier.preprocess`), as one batch."""
    return torch.cat([classifier.preprocess(img) for img in images])


def ilsvrc_localization_error(
    classifier: "Classifier",
    pairs: Sequence[tuple[Path, Path]],
    *,
    batch_size: int = 32,
    top_k: int = 5,
    synsets: dict[str, int] | None = None,
    progress: bool = True,
) -> IlsvrcResult:
    """ILSVRC top-k localization error: an image is right if a top-k guess has a true class and a box
    with IoU >= 0.5 to a true box of that class. The guesses come from the standard evaluation crop,
    in batches on the model's device; only guesses of a true class are localized (the others are
    wrong whatever their box), each with `localize_photo`, the same photo pipeline as everywhere.
    """
    check_positive_int("batch_size", batch_size)
    check_positive_int("top_k", top_k)
    from tqdm.auto import tqdm

    resolve = _class_resolver(classifier, synsets)
    k = min(top_k, len(classifier.categories))
    loc_ok = cls_ok = failed = 0
    bar = tqdm(total=len(pairs), disable=not progress, desc="ILSVRC localization", unit="img")
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start : start + batch_size]
        images = [load_image(p) for p, _ in chunk]
        truths = [[(resolve(o.name), o.box) for o in read_voc(x).objects] for _, x in chunk]
        x = _batch_input(classifier, images)
        with torch.no_grad():
            guesses = classifier.model(x).topk(k, dim=1).indices.cpu().numpy()
        hits = [[int(g) for g in guesses[i] if any(g == c for c, _ in truths[i])] for i in range(len(chunk))]
        cls_ok += sum(bool(h) for h in hits)
        correct = [False] * len(chunk)
        for i, classes in enumerate(hits):
            for cls in classes:
                try:
                    box = localize_photo(classifier, images[i], cls).box
                except LocalizationError:
                    failed += 1
                    continue
                correct[i] |= any(iou(box, b) >= 0.5 for c, b in truths[i] if c == cls)
        loc_ok += sum(correct)
        bar.update(len(chunk))
    bar.close()
    n = len(pairs)
    return IlsvrcResult(n, k, 1.0 - loc_ok / n, 1.0 - cls_ok / n, failed)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: `python -m helpers.localization evaluate --images DIR --boxes DIR --model NAME`."""
    parser = argparse.ArgumentParser(prog="python -m helpers.localization", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="ILSVRC top-5 localization error over a folder of images and VOC XML boxes")
    ev.add_argument("--images", type=Path, required=True, help="folder of images")
    ev.add_argument("--boxes", type=Path, required=True, help="folder of VOC XML files, one <image stem>.xml per image")
    ev.add_argument("--model", default="efficientnet_lite0", help="efficientnet_lite0, toy, or a torchvision name (e.g. vgg16)")
    ev.add_argument("--weights", type=Path, default=None, help="local weights file for the model")
    ev.add_argument("--synsets", type=Path, default=None, help="WordNet id -> index file, when the XML names classes by wnid")
    ev.add_argument("--batch-size", type=int, default=32)
    ev.add_argument("--top-k", type=int, default=5)
    ev.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    ev.add_argument("--limit", type=int, default=None, help="evaluate only the first N images")
    ev.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    from .models import load_model

    try:
        pairs = pair_images_and_boxes(args.images, args.boxes)[: args.limit]
        classifier = load_model(args.model, args.device, weights=args.weights)
        synsets = read_synsets(args.synsets) if args.synsets else None
        result = ilsvrc_localization_error(
            classifier, pairs, batch_size=args.batch_size, top_k=args.top_k, synsets=synsets,
            progress=not args.no_progress,
        )
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
