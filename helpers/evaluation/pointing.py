"""The pointing game over the COCO photos (Zhang et al. 2016, TorchRay's protocol, Fong et al. 2019).

`evaluate_pointing(classifier, method)` plays it over every (photo, category) pair whose category
maps to ImageNet: a hit when the map's maximum lies closer than 15 px to an instance of the category;
the centre baseline (the image centre as the point); and the share of saliency mass inside the masks.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..categories import best_imagenet_class, has_imagenet_counterpart
from ..images import list_images, load_image, photo_info
from ..methods import attribution_method
from ..models import Classifier
from ..photos import PhotoMethod, method_saliency, quantise_map
from ..views import whole_image_scores
from .masks import POINTING_TOLERANCE, centre_hit, mass_inside_mask, pointing_hit


@dataclass(frozen=True)
class PointingPair:
    """One (photo, category) trial of the pointing game."""

    photo: str
    category: str
    target: str  # the ImageNet class explained
    hit: bool
    centre_hit: bool
    mass_in_mask: float
    mask_fraction: float  # share of the frame the category's mask covers
    seconds: float  # time to compute the map


@dataclass(frozen=True)
class PointingResult:
    """Pointing game results of one classifier and method over a set of (photo, category) pairs."""

    model: str
    method: str
    pairs: tuple[PointingPair, ...]

    @property
    def n(self) -> int:
        return len(self.pairs)

    @property
    def hits(self) -> int:
        return sum(p.hit for p in self.pairs)

    @property
    def centre_hits(self) -> int:
        return sum(p.centre_hit for p in self.pairs)

    @property
    def accuracy(self) -> float:
        return self.hits / self.n

    @property
    def centre_accuracy(self) -> float:
        return self.centre_hits / self.n

    @property
    def mean_mass_in_mask(self) -> float:
        return float(np.mean([p.mass_in_mask for p in self.pairs]))

    @property
    def mean_mask_fraction(self) -> float:
        """What a uniform map would put inside the masks, on average: the baseline of `mean_mass_in_mask`."""
        return float(np.mean([p.mask_fraction for p in self.pairs]))


def pointing_pairs(names: Sequence[str] | None = None) -> list[tuple[str, str, tuple[int, ...]]]:
    """(photo, category, candidate ImageNet classes) for every category present in a photo that maps to ImageNet.

    COCO photos use the COCO -> ImageNet table; bundled photos their own labels (their mask is the box).
    Default: the COCO photos.
    """
    pairs = []
    for name in list_images("coco") if names is None else names:
        info = photo_info(name)
        for category in info.present_categories():
            if info.source == "bundled" or has_imagenet_counterpart(category):
                pairs.append((name, category, info.imagenet_indices(category)))
    return pairs


def evaluate_pointing(
    classifier: Classifier,
    method: PhotoMethod = "single",
    *,
    names: Sequence[str] | None = None,
    tolerance: float = POINTING_TOLERANCE,
) -> PointingResult:
    """Play the pointing game on every (photo, category) pair of `names` (default: the COCO photos).

    For each pair the explained class is the category's ImageNet class with the highest score on the
    whole image; a hit is the map's maximum within `tolerance` px of the category's union mask; the
    centre baseline points at the image centre; mass in mask is the share of saliency inside it.
    """
    attribution_method(method)  # a registered method (helpers.methods), or a ValueError that lists them
    results = []
    images: dict[str, np.ndarray] = {}
    for name, category, classes in pointing_pairs(names):
        image = images.setdefault(name, load_image(name))
        mask = photo_info(name).category_mask(category)
        target = best_imagenet_class(whole_image_scores(classifier, image), classes)
        start = time.perf_counter()
        saliency = quantise_map(method_saliency(classifier, image, target, method))
        seconds = time.perf_counter() - start
        results.append(
            PointingPair(
                name,
                category,
                classifier.categories[target],
                pointing_hit(saliency, mask, tolerance),
                centre_hit(mask, tolerance),
                float(mass_inside_mask(saliency, mask)),
                float(mask.mean()),
                seconds,
            )
        )
    return PointingResult(classifier.name, method, tuple(results))
