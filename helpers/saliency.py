"""Image-specific class saliency maps (Simonyan et al. 2013, Section 3): the gradient map, on a batch and on an image.

From the paper: `saliency_map` (|dS_c/dI| of the class score, max over colour channels, one backward pass
per batch), `image_saliency` (one pass on the whole image) and `ten_crop_saliency` (the average over 10
crops and their mirrors; the geometry is in `helpers.views`). Beyond the paper: `smoothgrad` and
`image_smoothgrad` (Smilkov et al. 2017). Each image-level form is a wrapper of `helpers.wrappers` applied
to `saliency_map`: `whole_image(saliency_map)`, `ten_crop(saliency_map)`, `noise_tunnel(saliency_map)`.
The scores that judge a map against a mask are in `helpers.evaluation.masks`, the model-randomization
check in `helpers.evaluation.randomization`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
from torch import nn

from .geometry import check_positive_int
from .inputs import as_module, categories_of, model_input
from .models import DEFAULT_CROP_FRACTION, Classifier
from .targets import TargetSpec, resolve_targets
from .views import N_CROPS, check_average, ten_crop_average, ten_crops
from .wrappers import SMOOTHGRAD_NOISE, SMOOTHGRAD_SAMPLES, noise_tunnel, ten_crop, whole_image

Reduce = Literal["max", "sum", "l2"]
REDUCTIONS: tuple[str, ...] = ("max", "sum", "l2")


# ----------------------------------------------------------------------------------------------
# The paper's saliency map


def reduce_channels(grad: torch.Tensor, reduce: Reduce = "max") -> torch.Tensor:
    """(N,C,H,W) gradient -> (N,H,W) map: max_c |g| (the paper), sum_c |g|, or sqrt(sum_c g^2)."""
    if reduce == "max":
        return grad.abs().amax(dim=1)
    if reduce == "sum":
        return grad.abs().sum(dim=1)
    if reduce == "l2":
        return grad.pow(2).sum(dim=1).sqrt()
    raise ValueError(f"reduce must be one of {REDUCTIONS}; got {reduce!r}.")


def class_score_gradient(
    model: nn.Module | Classifier, x: torch.Tensor, target: TargetSpec = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """dS_c/dI for every image of a batch in one backward pass; returns (gradient (N,C,H,W), targets (N,)).

    The class score S_c is the logit (before softmax), as in the paper. Uses torch.autograd.grad,
    so no `.grad` is written to the model or the input, and `x` itself is never modified.
    """
    module = as_module(model)
    x = model_input(model, x)
    if module.training:
        raise ValueError(
            "The model is in training mode (dropout/batch-norm would make the map random); call model.eval() first."
        )
    xg = x.detach().requires_grad_(True)
    with torch.enable_grad():
        scores = module(xg)
        if scores.ndim != 2 or scores.shape[0] != x.shape[0]:
            raise ValueError(f"The model should return class scores of shape (N, classes); got {tuple(scores.shape)}.")
        idx = resolve_targets(target, scores, categories_of(model))
        selected = scores.gather(1, idx[:, None]).sum()  # images are independent, so one backward gives every dS/dI
        (grad,) = torch.autograd.grad(selected, xg)
    return grad, idx


def saliency_map(
    model: nn.Module | Classifier, x: torch.Tensor, target: TargetSpec = None, *, reduce: Reduce = "max"
) -> torch.Tensor:
    """The paper's image-specific class saliency M = max_c |dS_c/dI| for a batch; returns (N,H,W).

    `target`: an int or class name for all images, one per image, or None for each image's predicted
    class. `reduce="sum"` or `"l2"` combine the colour channels differently, for comparison.
    """
    if reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be one of {REDUCTIONS}; got {reduce!r}.")
    grad, _ = class_score_gradient(model, x, target)
    return reduce_channels(grad, reduce)


# ----------------------------------------------------------------------------------------------
# On a uint8 image: one pass, ten crops


def image_saliency(
    classifier: Classifier, image: np.ndarray, target: int | str | None = None, *, reduce: Reduce = "max"
) -> np.ndarray:
    """One-pass saliency of a uint8 image, returned at the image's own (H, W) as float32 numpy.

    The whole image is used (shorter side resized to the input size, no crop) when the model accepts
    any size; a model with a fixed mean image (toy CNN) gets the image resized to S x S. `whole_image(saliency_map)`.
    """
    return whole_image(saliency_map, "image_saliency")(classifier, image, target, reduce=reduce)


def ten_crop_saliency(
    classifier: Classifier,
    image: np.ndarray,
    target: int | str | None = None,
    *,
    crop_fraction: float = DEFAULT_CROP_FRACTION,
    reduce: Reduce = "max",
    batch_size: int | None = None,
    n_samples: int = 1,
    noise_level: float = SMOOTHGRAD_NOISE,
    seed: int = 0,
) -> np.ndarray:
    """The paper's saliency averaged over 10 crops (4 corners + centre, and mirrors), at the image's (H, W).

    One batched pass by default (`batch_size=1` runs the crops one by one, for comparison). `target`
    None means the top class of the whole image (`helpers.targets`), the class `image_saliency` explains.
    See `helpers.views` for the geometry and `ten_crop_boxes` for the boxes. With `n_samples > 1` each
    crop's map is a SmoothGrad average over that many noisy copies (beyond the paper; `noise_level`, `seed` as
    in `smoothgrad`). `ten_crop(saliency_map)`, or `ten_crop(noise_tunnel(saliency_map, ...))`.
    """
    check_positive_int("n_samples", n_samples)  # before n_samples == 1 is tested: True and 1.0 are refused
    rule = (
        saliency_map
        if n_samples == 1
        else noise_tunnel(saliency_map, n_samples=n_samples, noise_level=noise_level, seed=seed)
    )
    return ten_crop(rule, "ten_crop_saliency")(
        classifier, image, target, crop_fraction=crop_fraction, batch_size=batch_size, reduce=reduce
    )


def ten_crop_saliency_many(
    classifier: Classifier,
    images: np.ndarray,
    targets: Sequence[int | str],
    *,
    crop_fraction: float = DEFAULT_CROP_FRACTION,
    reduce: Reduce = "max",
    batch_size: int = 64,
    average: str = "equal_variance",
) -> np.ndarray:
    """`ten_crop_saliency` for a stack of same-sized images (N,H,W,3), `batch_size` images x 10 crops per pass; (N,H,W).

    `average="plain"` averages the crop maps as the paper does, instead of the equal-variance average
    (`helpers.views.ten_crop_average`), so the two estimators can be compared on the same images and crops.
    """
    check_positive_int("batch_size", batch_size)
    check_average(average)
    images = np.asarray(images)
    if images.ndim != 4 or len(targets) != len(images):
        raise ValueError(f"Expected images (N,H,W,3) and N targets; got {images.shape} and {len(targets)} targets.")
    out = np.empty(images.shape[:3], np.float32)
    for start in range(0, len(images), batch_size):
        chunk = range(start, min(start + batch_size, len(images)))
        crops = [ten_crops(classifier, images[i], crop_fraction=crop_fraction) for i in chunk]
        batch = torch.cat([c.batch for c in crops])
        maps = saliency_map(classifier, batch, [t for i in chunk for t in [targets[i]] * N_CROPS], reduce=reduce)
        for k, (i, c) in enumerate(zip(chunk, crops)):
            out[i] = ten_crop_average(
                maps[k * N_CROPS : (k + 1) * N_CROPS], c, "ten_crop_saliency_many", average=average
            )
    return out


# ----------------------------------------------------------------------------------------------
# Beyond the paper: SmoothGrad


def smoothgrad(
    model: nn.Module | Classifier,
    x: torch.Tensor,
    target: TargetSpec = None,
    *,
    n_samples: int = SMOOTHGRAD_SAMPLES,
    noise_level: float = SMOOTHGRAD_NOISE,
    reduce: Reduce = "max",
    seed: int = 0,
    batch_size: int = 64,
) -> torch.Tensor:
    """SmoothGrad (Smilkov et al. 2017, beyond the paper): average saliency over noisy copies of x; (N,H,W).

    Noise is Gaussian with std = noise_level * (max - min) of each image; the target is fixed on the
    clean image (None = its predicted class) so every noisy copy explains the same class.
    `noise_tunnel(saliency_map, ...)`: the same wrapper gives SmoothGrad of every other rule.
    """
    return noise_tunnel(saliency_map, n_samples=n_samples, noise_level=noise_level, seed=seed, batch_size=batch_size)(
        model, x, target, reduce=reduce
    )


def image_smoothgrad(
    classifier: Classifier,
    image: np.ndarray,
    target: int | str | None = None,
    *,
    n_samples: int = SMOOTHGRAD_SAMPLES,
    noise_level: float = SMOOTHGRAD_NOISE,
    reduce: Reduce = "max",
    seed: int = 0,
) -> np.ndarray:
    """SmoothGrad (beyond the paper) of a uint8 image, on the same whole-image input as `image_saliency`; (H, W).

    `target` None means the class predicted on the clean whole image. See `smoothgrad` for the noise;
    `whole_image(noise_tunnel(saliency_map, ...))`.
    """
    rule = noise_tunnel(saliency_map, n_samples=n_samples, noise_level=noise_level, seed=seed)
    return whole_image(rule, "image_smoothgrad")(classifier, image, target, reduce=reduce)
