"""The real-photo localizers compared in issue 18, one call each, and the statistics of the protocol.

The algorithms live in the package; this module only wires them into the benchmark's rows. Each
localizer takes (classifier, image, target) -> box, or works on a precomputed map (`*_from_map`), so the
benchmark can cache the maps and re-run only the cheap box step.

- `gradcam_map` (`helpers.photos`): Grad-CAM of the whole photo at the photo's (H, W), maximum 1.
- `cam_box` (`helpers.localization`): the CAM protocol (Zhou et al. 2016): the box of the largest
  8-connected component >= `threshold` x the map's maximum. `localize_gradcam` = both = `helpers.localize_photo`.
- `paper_cut` / `default_cut`: the paper's GraphCut (95/30 seeds, one cut, seed-fitted colour models) or
  `localize`'s DEFAULT, on any map, at full resolution (max_side=None) or at `max_side` px.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import helpers
from helpers.cam import CAM_THRESHOLD
from helpers.categories import best_imagenet_class, imagenet_classes
from helpers.evaluation.boxes import iou as box_iou  # noqa: F401  (the benchmark's IoU is the package's)
from helpers.evaluation.proportions import sign_test, wilson_interval  # noqa: F401  (sign_test: the package's, used by the protocol)
from helpers.localization import PAPER, LocalizationError, centred_box, localize, threshold_box
from helpers.photos import gradcam_map
from helpers.views import whole_image_scores

Box = tuple[int, int, int, int]
# The paper's cut (Sect. 3.2), the same numbers as helpers.localization.PAPER, with the working size free.
PAPER_CUT = dict(fg_quantile=0.95, bg_quantile=0.30, iterations=1, init="seeds", hard="none", smooth=0.0, min_side=None)


def category_target(classifier: helpers.Classifier, image: np.ndarray, category: str) -> int:
    """The ImageNet class of a COCO category's set with the highest score on the whole image."""
    return best_imagenet_class(whole_image_scores(classifier, image), imagenet_classes(category))


def full_box(image_shape: Sequence[int]) -> Box:
    return (0, 0, int(image_shape[1]), int(image_shape[0]))


def paper_cut(image: np.ndarray, saliency: np.ndarray, max_side: int | None = None) -> Box:
    """The paper's GraphCut on `saliency`: exactly `localize(..., PAPER)` at full size, else at `max_side` px."""
    try:
        if max_side is None:
            return localize(image, saliency, PAPER).box
        return localize(image, saliency, max_side=max_side, **PAPER_CUT).box
    except (LocalizationError, ValueError):  # too few seeds, or a constant map: box the whole image
        return full_box(image.shape)


def default_cut(image: np.ndarray, saliency: np.ndarray, max_side: int | None = 224) -> Box:
    """`localize` with its DEFAULT settings (5 iterations, probable background, blur), at `max_side` px (None: full size)."""
    try:
        return localize(image, saliency, max_side=max_side).box
    except (LocalizationError, ValueError):
        return full_box(image.shape)


def saliency_threshold_box(image: np.ndarray, saliency: np.ndarray) -> Box:
    """Baseline: the box around the map's pixels >= its 95% quantile."""
    try:
        return threshold_box(saliency, image.shape)
    except ValueError:
        return full_box(image.shape)


def centred(image: np.ndarray) -> Box:
    return centred_box(image.shape, 0.5)


# ----------------------------------------------------------------------------------------------
# One call each, from pixels to box (what would move into helpers/photos.py)


def localize_gradcam(
    classifier: helpers.Classifier, image: np.ndarray, target: int, threshold: float = CAM_THRESHOLD
) -> Box:
    """Grad-CAM + the CAM protocol: one forward and one backward pass, no GrabCut (= `helpers.localize_photo`)."""
    return helpers.localize_photo(classifier, image, target, threshold=threshold).box


def localize_gradcam_cut(
    classifier: helpers.Classifier, image: np.ndarray, target: int, *, cut: str = "paper", max_side: int | None = None
) -> Box:
    """Grad-CAM as the saliency of the paper's GraphCut (`cut="paper"`) or of `localize`'s DEFAULT (`cut="default"`)."""
    cam = gradcam_map(classifier, image, target)
    return paper_cut(image, cam, max_side) if cut == "paper" else default_cut(image, cam, max_side)


def localize_paper(classifier: helpers.Classifier, image: np.ndarray, target: int, max_side: int | None = None) -> Box:
    """The paper's pipeline: 10-crop gradient map + the paper's GraphCut (full size unless `max_side`)."""
    return paper_cut(image, helpers.ten_crop_saliency(classifier, image, target), max_side)


# ----------------------------------------------------------------------------------------------
# Scores and statistics


def wilson(k: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a proportion k/n (helpers.evaluation.proportions); NaN for an empty sample."""
    return (float("nan"), float("nan")) if n == 0 else wilson_interval(k, n)


def per_class_mean(hits: Sequence[bool], classes: Sequence[str]) -> float:
    """TorchRay's pointing accuracy: the mean over classes of each class's hit rate."""
    by: dict[str, list[bool]] = {}
    for h, c in zip(hits, classes):
        by.setdefault(c, []).append(bool(h))
    return float(np.mean([np.mean(v) for v in by.values()]))


def bootstrap_per_class(
    hits: Sequence[bool], classes: Sequence[str], n_boot: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """95% percentile bootstrap interval of `per_class_mean`, resampling (photo, category) pairs."""
    rng = np.random.default_rng(seed)
    hits, classes = np.asarray(hits, bool), np.asarray(classes)
    stats = [
        per_class_mean(hits[i], classes[i]) for i in (rng.integers(0, len(hits), len(hits)) for _ in range(n_boot))
    ]
    return (float(np.percentile(stats, 2.5)), float(np.percentile(stats, 97.5)))
