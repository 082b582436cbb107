"""The paper's weakly supervised localization (Simonyan et al. 2013, Sect. 3.2): saliency -> GraphCut -> box.

The paper's pipeline: pixels whose saliency is above the 95% quantile seed the foreground colour
model, those below the 30% quantile the background one; Gaussian-mixture colour models and a graph
cut (Boykov & Jolly 2001) label every pixel; the object is the largest connected foreground
component and its bounding box is the localization. `localize` runs it with OpenCV's GrabCut
(GMM colour models + graph cut): `localize(image, saliency, PAPER)` exactly as the paper, by default with
beyond-the-paper settings tuned on the toy world (`DEFAULT`). `threshold_box` and `centred_box`
are the baselines it is compared with, `grabcut_box` and `colour_box` the two that use no network at all (given a map, they box the
component with the highest mean saliency instead of the largest: `most_salient_component`); `localize_boxes` localizes a stack of images.

Beyond the paper, elsewhere: the CAM protocol (`helpers.cam`: no colour models and no cut), which with
Grad-CAM is the photo recipe of `helpers.photos.localize_photo`.

Elsewhere: the photo pipeline `localize_photo` (`helpers.photos`); IoU and box scores
(`helpers.evaluation.boxes`), the photo evaluation (`helpers.evaluation.photo_localization`), VOC XML
(`helpers.evaluation.voc`) and the ILSVRC evaluator (`python -m helpers.evaluation.ilsvrc evaluate`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import torch

from .geometry import Box, check_positive_int, mask_box, resize_map
from .images import as_rgb_image
from .runtime import parallel_map

FOREGROUND_SEED, BACKGROUND_SEED, UNSEEDED = 1, -1, 0
GMM_COMPONENTS = 5  # OpenCV's GrabCut fits 5-component GMMs, so each side needs at least 5 seed pixels.
MIN_SEEDS = GMM_COMPONENTS
Init = Literal["seeds", "probable_background", "probable_foreground"]
GRABCUT_INITS: tuple[str, ...] = ("seeds", "probable_background", "probable_foreground")  # `init` of LocalizeSettings
Hard = Literal["both", "foreground", "background", "none"]
HARDS: tuple[str, ...] = ("both", "foreground", "background", "none")


class LocalizationError(ValueError):
    """Raised when a saliency map cannot seed both colour models (e.g. one side has too few seeds)."""


@dataclass(frozen=True)
class Localization:
    """Result of `localize`: the object mask, its box, the seeds and the raw graph-cut labelling."""

    mask: np.ndarray  # (H, W) bool: largest connected foreground component = the object
    box: Box  # (x0, y0, x1, y1) of `mask`, x1/y1 exclusive
    seeds: np.ndarray  # (H, W) int8: +1 foreground seed, -1 background seed, 0 unseeded
    segmentation: np.ndarray  # (H, W) bool: every pixel the graph cut labelled foreground


MIN_CHOICE_AREA = 20  # px: below this a component is speckle (a few hot pixels), not a region that could hold a shape


# ----------------------------------------------------------------------------------------------
# Input checks


def as_saliency(saliency: np.ndarray | torch.Tensor) -> np.ndarray:
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
    s = as_saliency(saliency)
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


def most_salient_component(
    mask: np.ndarray, saliency: np.ndarray | torch.Tensor, *, min_area: int = MIN_CHOICE_AREA
) -> np.ndarray:
    """The 8-connected component of a bool mask with the highest mean saliency per pixel; all False if the mask is empty.

    The alternative to `largest_component` when a region as large as the object shares its colour. The mean, not the
    sum: a summed map favours the larger region, so size would choose again; the mean asks where the map points.
    Components under `min_area` px (speckle a few hot pixels could win) compete only when no component is that large.
    """
    sal = as_saliency(saliency)
    if sal.shape != mask.shape:
        raise ValueError(f"saliency {sal.shape} and mask {mask.shape} must have the same (H, W); resize the map first.")
    check_positive_int("min_area", min_area)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros(mask.shape, bool)
    area = stats[1:, cv2.CC_STAT_AREA]
    mass = np.bincount(labels.ravel(), weights=(sal - sal.min()).ravel().astype(np.float64), minlength=n)[1:]
    mean = np.where(area >= min_area, mass / area, -1.0) if (area >= min_area).any() else mass / area
    return labels == 1 + int(np.argmax(mean))


def second_largest_component(mask: np.ndarray) -> np.ndarray:
    """The second-largest 8-connected component (the largest if it is alone): a size cue beyond "not the largest"."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros(mask.shape, bool)
    order = np.argsort(-stats[1:, cv2.CC_STAT_AREA], kind="stable")
    return labels == 1 + int(order[min(1, n - 2)])


def edge_map(image: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude of the grey image (H, W): a no-network map to choose a component with, as saliency does."""
    grey = cv2.cvtColor(as_rgb_image(image), cv2.COLOR_RGB2GRAY).astype(np.float32)
    return np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))


def _pick_component(mask: np.ndarray, saliency: np.ndarray | torch.Tensor | None) -> np.ndarray:
    """The largest component, or the most salient one when a map is given."""
    return largest_component(mask) if saliency is None else most_salient_component(mask, saliency)


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
    """The knobs of `localize`. `PAPER` is the paper's pipeline; `DEFAULT` goes beyond it, tuned on the toy world."""

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
# Beyond the paper, tuned on the toy world (notebook 05, 1000 held-out toy images): unseeded pixels start as
# probable background, 5 GrabCut iterations, the map blurred (seeds from regions, stable to tiny changes of the
# map), GrabCut at 224 px on the longer side. It does not carry over to photos (the measurements are in
# benchmarks/README.md); for photos use `localize_photo` (helpers.photos), not these settings.
DEFAULT = LocalizeSettings(
    0.95, 0.30, iterations=5, init="probable_background", hard="none", smooth=0.02, min_side=None, max_side=224
)


def localize(
    image: np.ndarray,
    saliency: np.ndarray | torch.Tensor,
    settings: LocalizeSettings | None = None,
    **overrides: object,
) -> Localization:
    """Segment and box the object that a saliency map points at (the paper's GraphCut localization).

    `settings`: `PAPER` runs the paper's pipeline exactly (95%/30% quantiles, colour models fitted on the
    seeds, one graph cut, at the image's own resolution); `DEFAULT` (used when `settings` is None) goes
    beyond the paper, tuned on the toy world, where it beats the paper's settings (on real photos it does
    not: see `DEFAULT`; use `helpers.photos.localize_photo` there): GrabCut starts with the unseeded pixels
    as probable background (`init`) and re-fits its colour models for 5 `iterations`; the seeds stay
    relabelable (`hard="none"`); the map is blurred by a Gaussian of sigma = `smooth` x the working image's
    longer side, so seeds come from salient regions rather than isolated pixels and a map that differs by a
    fraction of a percent (another machine, another thread count) gives the same seeds; GrabCut runs on the
    image rescaled so its shorter side is >= `min_side` and its longer side <= `max_side` (None: no limit)
    and the mask comes back at the image's resolution.

    Single fields of `settings` can be overridden by keyword (`localize(image, sal, PAPER, iterations=3)`;
    the keywords are the fields of `LocalizeSettings`, so `localize(image, sal, **dataclasses.asdict(PAPER))`
    is `PAPER`).

    `saliency` (any real values) is resized to the image; it must have the image's aspect ratio
    (a map at another resolution is fine, a transposed or cropped one is an error). Raises
    ValueError for a constant map and LocalizationError when a seed set has fewer than 5 pixels. If
    the cut labels no pixel foreground, the foreground seeds stand in for its labelling.
    """
    settings = localize_settings(settings, **overrides)
    img = as_rgb_image(image)
    sal = as_saliency(saliency)
    check_map_fits_image(sal.shape, img.shape[:2])
    return _localize(img, sal, settings)


def localize_settings(settings: LocalizeSettings | None = None, **overrides: object) -> LocalizeSettings:
    """The checked `LocalizeSettings` that `localize` runs with (see there): `settings` or DEFAULT, fields overridden."""
    if settings is not None and not isinstance(settings, LocalizeSettings):
        raise TypeError(
            f"settings must be a LocalizeSettings (PAPER, DEFAULT, or dataclasses.replace(...) of one); "
            f"got {type(settings).__name__}."
        )
    fields = list(LocalizeSettings.__dataclass_fields__)
    unknown = sorted(set(overrides) - set(fields))
    if unknown:
        hint = (
            " For the paper's settings pass the settings object: localize(image, saliency, PAPER)."
            if "paper" in unknown
            else ""
        )
        raise TypeError(f"localize got unknown setting(s) {unknown}; the settings are {fields}.{hint}")
    chosen = dataclasses.replace(settings or DEFAULT, **overrides)  # type: ignore[arg-type]
    _check_localize_settings(chosen)
    return chosen


def _check_localize_settings(s: LocalizeSettings) -> None:
    """Clear errors for out-of-range settings."""
    _check_quantiles(s.fg_quantile, s.bg_quantile)
    check_positive_int("iterations", s.iterations)
    check_positive_int("min_side", s.min_side, allow_none=True)
    check_positive_int("max_side", s.max_side, allow_none=True)
    if s.init not in GRABCUT_INITS:
        raise ValueError(f"init must be one of {GRABCUT_INITS}; got {s.init!r}.")
    if s.hard not in HARDS:
        raise ValueError(f"hard must be one of {HARDS}; got {s.hard!r}.")
    if not isinstance(s.smooth, (int, float)) or isinstance(s.smooth, bool) or not 0.0 <= s.smooth < 1.0:
        raise ValueError(f"smooth must be a number in [0, 1) (a fraction of the image side); got {s.smooth!r}.")


def _localize(img: np.ndarray, sal: np.ndarray, s: LocalizeSettings) -> Localization:
    """`localize` on checked inputs."""
    h, w = img.shape[:2]
    scale = _working_scale(h, w, s.min_side, s.max_side)
    wh, ww = max(8, round(h * scale)), max(8, round(w * scale))
    work = (
        img
        if (wh, ww) == (h, w)
        else cv2.resize(img, (ww, wh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    )
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
# The baselines, and many images at once


def threshold_box(
    saliency: np.ndarray | torch.Tensor, image_shape: tuple[int, ...] | None = None, *, quantile: float = 0.95
) -> Box:
    """Baseline (b): the box around all pixels whose saliency is >= its `quantile` (in image pixels).

    Pixels at the map's minimum never count, so a map with many tied zeros still gives a tight box.
    """
    s = as_saliency(saliency)
    if image_shape is not None:
        s = resize_map(s, int(image_shape[0]), int(image_shape[1]))
    if not 0.0 <= quantile <= 1.0:
        raise ValueError(f"quantile must lie in [0, 1]; got {quantile}.")
    if s.max() == s.min():
        raise ValueError("saliency is constant, so no pixel is above another: no box can be drawn.")
    return mask_box((s >= np.quantile(s, quantile)) & (s > s.min()))  # the map's minimum is never "salient"


def centred_box(image_shape: tuple[int, ...], fraction: float = 0.5) -> Box:
    """Baseline (c): a centred box whose sides are `fraction` of the image's sides."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must lie in (0, 1]; got {fraction}.")
    h, w = int(image_shape[0]), int(image_shape[1])
    bw, bh = max(1, round(w * fraction)), max(1, round(h * fraction))
    x0, y0 = (w - bw) // 2, (h - bh) // 2
    return (x0, y0, x0 + bw, y0 + bh)


# The no-network baselines' settings, chosen on 200 toy images of seed 30 000 (not the notebook's report images).
GRABCUT_MARGIN = 4  # pixels between the image border and GrabCut's start rectangle
COLOUR_DISTANCE = 40.0  # RGB distance from every border colour above which a pixel counts as "not background"


def grabcut_box(
    image: np.ndarray,
    *,
    margin: int = GRABCUT_MARGIN,
    iterations: int = 5,
    saliency: np.ndarray | torch.Tensor | None = None,
) -> Box:
    """No-network baseline: GrabCut started from the rectangle `margin` px inside the border; the largest component's box.

    No saliency and no class: what colour and smoothness alone find when the object is somewhere inside the frame.
    With `saliency` (a map of the image's size) the box is that of the component with the highest mean saliency instead:
    the network then only chooses among the regions colour found.
    """
    img = as_rgb_image(image)
    _check_choice_map(saliency, img.shape[:2])
    check_positive_int("margin", margin)
    check_positive_int("iterations", iterations)
    h, w = img.shape[:2]
    if min(h, w) <= 2 * margin + 1:
        raise ValueError(f"margin {margin} leaves no rectangle inside a {w}x{h} image; use a smaller margin.")
    mask = np.zeros((h, w), np.uint8)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(
        np.ascontiguousarray(img[:, :, ::-1]),
        mask,
        (margin, margin, w - 2 * margin, h - 2 * margin),
        bgd,
        fgd,
        int(iterations),
        cv2.GC_INIT_WITH_RECT,
    )
    kept = _pick_component((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD), saliency)
    return mask_box(kept) if kept.any() else (0, 0, w, h)


def colour_box(
    image: np.ndarray, *, distance: float = COLOUR_DISTANCE, saliency: np.ndarray | torch.Tensor | None = None
) -> Box:
    """No-network baseline: the box of the largest component of pixels whose colour is `distance` from every border colour.

    The rule a colour-only observer would use when objects differ in colour from the background (the full image if none does).
    With `saliency` (a map of the image's size) the component with the highest mean saliency is boxed instead.
    """
    _check_choice_map(saliency, as_rgb_image(image).shape[:2])
    h, w = as_rgb_image(image).shape[:2]
    kept = _pick_component(colour_mask(image, distance=distance), saliency)
    return mask_box(kept) if kept.any() else (0, 0, w, h)


def colour_mask(image: np.ndarray, *, distance: float = COLOUR_DISTANCE) -> np.ndarray:
    """Bool (H, W): pixels whose colour is at least `distance` (RGB) from every border colour; `colour_box`'s regions."""
    img = as_rgb_image(image).astype(np.float32)
    if not isinstance(distance, (int, float)) or isinstance(distance, bool) or distance <= 0:
        raise ValueError(f"distance must be a positive number (an RGB distance, 0-442); got {distance!r}.")
    h, w = img.shape[:2]
    border = np.unique(np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]]).astype(np.int16), axis=0).astype(
        np.float32
    )
    d2 = ((img.reshape(-1, 1, 3) - border[None]) ** 2).sum(-1).min(1).reshape(h, w)
    return d2 >= float(distance) ** 2


def _check_choice_map(saliency: np.ndarray | torch.Tensor | None, image_hw: tuple[int, ...]) -> None:
    """A map that chooses a component must be None or a finite map of exactly the image's (H, W)."""
    if saliency is not None and as_saliency(saliency).shape != tuple(image_hw):
        raise ValueError(
            f"saliency must have the image's (H, W) {tuple(image_hw)} to choose among its regions; "
            f"got {as_saliency(saliency).shape}. Resize it with helpers.geometry.resize_map."
        )


def localize_boxes(
    images: Sequence[np.ndarray] | np.ndarray,
    saliencies: Sequence[np.ndarray] | np.ndarray,
    *,
    on_error: Literal["raise", "full_image"] = "raise",
    progress: bool = False,
    workers: int | None = None,
    **kwargs: object,
) -> np.ndarray:
    """`localize` each image with its map; (N, 4) int boxes. on_error="full_image" boxes failures whole.

    GrabCut runs on the CPU whatever the device, one image at a time, so the images are spread over one
    process per core (`helpers.runtime.parallel_map`; `workers=1` for this process only). Each call
    seeds OpenCV's RNG, so the boxes do not depend on the number of workers.
    """
    if len(images) != len(saliencies):
        raise ValueError(f"Got {len(images)} images but {len(saliencies)} saliency maps.")
    if on_error not in ("raise", "full_image"):
        raise ValueError(f"on_error must be 'raise' or 'full_image'; got {on_error!r}.")

    def one(i: int) -> tuple[int, int, int, int] | None:
        try:
            return tuple(localize(images[i], saliencies[i], **kwargs).box)  # type: ignore[arg-type]
        except LocalizationError:
            if on_error == "raise":
                raise
            return None

    found = parallel_map(one, range(len(images)), workers=workers, progress=progress, desc="localize")
    boxes = np.zeros((len(images), 4), np.int64)
    for i, box in enumerate(found):
        boxes[i] = (0, 0, images[i].shape[1], images[i].shape[0]) if box is None else box
    return boxes
