"""The one registry of attribution methods by name: each maps (classifier, uint8 image, target) to an (H, W) map.

Every place that picks a saliency method by name reads this table, with these names:

- the photo pipeline: `helpers.photos.method_saliency`, `photo_saliency(..., method=...)` and the pointing game
  over the COCO photos (`helpers.evaluation.pointing.evaluate_pointing(..., method)`);
- the photo localization benchmark: a `Localizer`'s saliency kind
  (`helpers.evaluation.photo_localization.saliency_functions`);
- the saliency explorer (`helpers.widgets.SaliencyExplorer.compute`): its buttons "single pass" and "10 crops"
  are the methods "single" and "ten_crop".

Every method is an image-level function of the package contract (helpers/__init__.py):
`method(classifier, image, target=None)` takes a `helpers.Classifier`, a uint8 HxWx3 image and one target
(None: the top class of the whole image; an index; a class name; a COCO category, as `helpers.targets.image_target`),
and returns the raw (H, W) float32 numpy map at the image's own size: not scaled and not quantised
(`helpers.photos.quantise_map` does that for photos). The functions are the package's own, composed with the
`whole_image`, `ten_crop` and `noise_tunnel` wrappers of `helpers.wrappers`; to add a method, add an entry here.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Literal

import numpy as np

from .attribution import grad_cam
from .gradcam_variants import FINE_SIDES, TTA_SIDES, gradcam_at_side, gradcam_at_stride, gradcam_layers, gradcam_tta
from .models import Classifier
from .saliency import image_saliency, image_smoothgrad, ten_crop_saliency
from .targets import TargetSpec
from .wrappers import ImageRule, whole_image

MethodName = Literal[
    "single",
    "ten_crop",
    "smoothgrad",
    "ten_crop_smoothgrad",
    "gradcam",
    "gradcam16",
    "gradcam_layers",
    "gradcam_tta",
    "gradcam320",
    "gradcam448",
]
# The registry's SmoothGrad settings, chosen for photos by benchmarks/photo_models.py (pointing game, mass in mask and
# time per photo, benchmarks/README.md): fewer noisy copies than `helpers.saliency.smoothgrad`'s default of 25.
SMOOTHGRAD_SAMPLES = 8  # noisy copies of the whole image ("smoothgrad": photo_saliency, localization_saliency)
TEN_CROP_SMOOTHGRAD_SAMPLES = 2  # noisy copies per crop ("ten_crop_smoothgrad"): 20 noisy maps in all


@dataclasses.dataclass(frozen=True)
class AttributionMethod:
    """One registered method: its name, what it computes, whether it is the paper's, and the function."""

    name: str
    summary: str
    paper: bool  # Simonyan et al. (2013)'s own method, or beyond the paper
    function: ImageRule

    def __call__(self, classifier: Classifier, image: np.ndarray, target: TargetSpec = None) -> np.ndarray:
        """The method's raw (H, W) float32 map of `target` on `image`."""
        return self.function(classifier, image, target)


METHODS: dict[str, AttributionMethod] = {
    m.name: m
    for m in (
        AttributionMethod(
            "single",
            "the paper's gradient map max_c |dS_c/dI|, one pass on the whole image (`image_saliency`)",
            True,
            image_saliency,
        ),
        AttributionMethod(
            "ten_crop", "the paper's 10-crop average of the gradient map (`ten_crop_saliency`)", True, ten_crop_saliency
        ),
        AttributionMethod(
            "smoothgrad",
            f"SmoothGrad of the gradient map on the whole image, {SMOOTHGRAD_SAMPLES} noisy copies "
            "(`image_smoothgrad`)",
            False,
            functools.partial(image_smoothgrad, n_samples=SMOOTHGRAD_SAMPLES),
        ),
        AttributionMethod(
            "ten_crop_smoothgrad",
            f"the 10-crop average of SmoothGrad, {TEN_CROP_SMOOTHGRAD_SAMPLES} noisy copies "
            f"per crop (`ten_crop_saliency(..., n_samples={TEN_CROP_SMOOTHGRAD_SAMPLES})`)",
            False,
            functools.partial(ten_crop_saliency, n_samples=TEN_CROP_SMOOTHGRAD_SAMPLES),
        ),
        AttributionMethod(
            "gradcam",
            "Grad-CAM of the last rectified block on the whole image, upsampled to it (`whole_image(grad_cam)`)",
            False,
            whole_image(grad_cam, "gradcam"),
        ),
        AttributionMethod(
            "gradcam16",
            "Grad-CAM of the last block at stride 16 (a finer layer), whole image (`gradcam_at_stride`)",
            False,
            gradcam_at_stride,
        ),
        AttributionMethod(
            "gradcam_layers",
            "the mean of the last block's and the stride-16 block's Grad-CAM, each maximum 1 (`gradcam_layers`)",
            False,
            gradcam_layers,
        ),
        AttributionMethod(
            "gradcam_tta",
            f"Grad-CAM averaged over the image and its mirror at shorter sides {TTA_SIDES} (`gradcam_tta`)",
            False,
            gradcam_tta,
        ),
        *(
            AttributionMethod(
                f"gradcam{side}",
                f"Grad-CAM of the last block, one pass over the whole image at shorter side {side} px (a finer grid; "
                "`gradcam_at_side`)",
                False,
                functools.partial(gradcam_at_side, side=side),
            )
            for side in FINE_SIDES
        ),
    )
}
METHOD_NAMES: tuple[str, ...] = tuple(METHODS)


def attribution_method(name: str) -> AttributionMethod:
    """The registered method called `name`; an unknown name is a ValueError that lists the registered ones."""
    if not isinstance(name, str) or name not in METHODS:
        raise ValueError(f"method must be one of {METHOD_NAMES}; got {name!r}.")
    return METHODS[name]
