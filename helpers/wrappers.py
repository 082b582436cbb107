"""Composable wrappers, as Captum's NoiseTunnel: SmoothGrad of any batch rule, and any batch rule on a uint8 image.

A *batch rule* is rule(model, x, target, **options) -> maps (N,H,W) (`saliency_map`, `backprop_saliency`,
`grad_cam`, `integrated_gradients`, or a rule wrapped by `noise_tunnel`); an *image rule* is
rule(classifier, image, target, **options) -> (H,W) float32 numpy at the image's own size.

- `noise_tunnel(rule, ...)`: the rule over noisy copies of each input (SmoothGrad, Smilkov et al. 2017; its
  squared and variance forms), beyond the paper.
- `whole_image(rule)`: the rule on the whole image (`helpers.views.whole_image_input`).
- `ten_crop(rule)`: the paper's 10-crop average of the rule's maps (`helpers.views`).

`target=None` of an image rule is the top class of the whole image (`helpers.targets`), so the 10-crop
average explains the class the single pass explains.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import torch
from torch import nn

from .geometry import check_positive_int, check_rgb_uint8, resize_map
from .inputs import as_classifier, as_module, as_numpy_map, categories_of, model_input
from .models import DEFAULT_CROP_FRACTION, Classifier
from .targets import TargetSpec, image_target, resolve_targets
from .views import input_scores, ten_crop_average, ten_crops, whole_image_input, whole_image_scores

SMOOTHGRAD_SAMPLES = 25  # SmoothGrad's default number of noisy copies (`smoothgrad`, `noise_tunnel`)
SMOOTHGRAD_NOISE = 0.15  # noise std as a fraction of each image's value range (Smilkov et al. 2017: 10-20%)
NoiseTunnelKind = Literal["smoothgrad", "smoothgrad_sq", "vargrad"]
NOISE_TUNNEL_KINDS: tuple[str, ...] = (
    "smoothgrad",
    "smoothgrad_sq",
    "vargrad",
)  # `kind` of noise_tunnel (Captum's nt_type)

BatchRule = Callable[..., torch.Tensor]
ImageRule = Callable[..., np.ndarray]


def _rule_name(rule: Callable) -> str:
    return getattr(rule, "__name__", None) or getattr(getattr(rule, "func", None), "__name__", "rule")


def noise_tunnel(
    rule: BatchRule,
    *,
    n_samples: int = SMOOTHGRAD_SAMPLES,
    noise_level: float = SMOOTHGRAD_NOISE,
    seed: int = 0,
    batch_size: int = 64,
    kind: NoiseTunnelKind = "smoothgrad",
) -> BatchRule:
    """SmoothGrad of any batch rule: the rule averaged over `n_samples` noisy copies of each image (beyond the paper).

    `kind`, as Captum's NoiseTunnel `nt_type`: "smoothgrad" the mean of the maps m over the copies, "smoothgrad_sq"
    the mean of m^2, "vargrad" their variance mean(m^2) - mean(m)^2 (Adebayo et al. 2018).

    Noise: Gaussian, std = noise_level * (max - min) of each image, drawn from a CPU generator seeded with
    `seed` (the same noise on every device); about `batch_size` noisy rows per pass. The target is resolved
    once on the clean input (None = each image's top class) so every copy explains the same class. The
    returned function takes (model, x, target=None, **options), the options going to `rule`
    (`noise_tunnel(backprop_saliency)(clf, x, "tabby", rule="guided")`).
    """
    check_positive_int("n_samples", n_samples)
    check_positive_int("batch_size", batch_size)
    if not noise_level >= 0:
        raise ValueError(
            f"noise_level must be a number >= 0 (a fraction of each image's value range); got {noise_level!r}."
        )
    if kind not in NOISE_TUNNEL_KINDS:
        raise ValueError(f"kind must be one of {NOISE_TUNNEL_KINDS}; got {kind!r}.")

    def tunnel(
        model: nn.Module | Classifier, x: torch.Tensor, target: TargetSpec = None, **options: object
    ) -> torch.Tensor:
        x = model_input(model, x)
        module = as_module(model)
        with torch.no_grad():
            idx = resolve_targets(target, module(x), categories_of(model))
        gen = torch.Generator().manual_seed(seed)  # CPU generator: the same noise on every device
        span = (x.amax(dim=(1, 2, 3)) - x.amin(dim=(1, 2, 3))).view(-1, 1, 1, 1)
        total: torch.Tensor | None = None
        squares: torch.Tensor | None = None
        reps = max(1, batch_size // x.shape[0])
        for start in range(0, n_samples, reps):
            k = min(reps, n_samples - start)
            noise = torch.randn((k, *x.shape), generator=gen, dtype=x.dtype).to(x.device)
            noisy = (x[None] + noise * noise_level * span[None]).reshape(-1, *x.shape[1:])
            maps = rule(model, noisy, idx.repeat(k), **options)
            maps = maps.view(k, x.shape[0], *maps.shape[1:])
            if total is None:
                total = torch.zeros(maps.shape[1:], dtype=maps.dtype, device=maps.device)
                squares = torch.zeros_like(total)
            total += maps.sum(dim=0)
            if kind != "smoothgrad":
                squares += maps.pow(2).sum(dim=0)  # type: ignore[operator]
        mean = total / n_samples  # type: ignore[operator]
        if kind == "smoothgrad":
            return mean
        mean_sq = squares / n_samples  # type: ignore[operator]
        return mean_sq if kind == "smoothgrad_sq" else mean_sq - mean.pow(2)

    tunnel.__name__ = f"noise_tunnel({_rule_name(rule)})"
    return tunnel


def _image_rule_inputs(classifier: object, image: object, function: str) -> tuple[Classifier, np.ndarray]:
    """The input check of the image rules: a Classifier (it knows the pre-processing) and a uint8 HxWx3 image."""
    return as_classifier(classifier, function), check_rgb_uint8(image)


def whole_image(rule: BatchRule, name: str | None = None) -> ImageRule:
    """An image rule from a batch rule: the rule on `whole_image_input` (no crop), resized to the image's (H, W).

    `target` None is the top class of the whole image (`helpers.targets`).
    """
    function = name or f"whole_image({_rule_name(rule)})"

    def adapted(
        classifier: Classifier, image: np.ndarray, target: int | str | None = None, **options: object
    ) -> np.ndarray:
        classifier, image = _image_rule_inputs(classifier, image, function)
        x = whole_image_input(classifier, image)
        cls = image_target(classifier.categories, target, lambda: input_scores(classifier, x))
        m = rule(classifier, x, cls, **options)[0]
        return resize_map(as_numpy_map(m), *image.shape[:2])

    adapted.__name__ = function
    return adapted


def ten_crop(rule: BatchRule, name: str | None = None) -> ImageRule:
    """An image rule from a batch rule: the paper's 10-crop average of the rule's maps (`helpers.views`), (H, W).

    The returned function takes (classifier, image, target=None, *, crop_fraction, batch_size, **options):
    `batch_size` crops per pass (None: all 10 at once); `target` None is the top class of the whole image,
    resolved once, so every crop explains that class. The rule must return crop-sized maps (a ValueError
    otherwise, e.g. for `grad_cam(..., upsample=False)`).
    """
    function = name or f"ten_crop({_rule_name(rule)})"

    def adapted(
        classifier: Classifier,
        image: np.ndarray,
        target: int | str | None = None,
        *,
        crop_fraction: float = DEFAULT_CROP_FRACTION,
        batch_size: int | None = None,
        **options: object,
    ) -> np.ndarray:
        classifier, image = _image_rule_inputs(classifier, image, function)
        check_positive_int("batch_size", batch_size, allow_none=True)
        crops = ten_crops(classifier, image, crop_fraction=crop_fraction)
        cls = image_target(classifier.categories, target, lambda: whole_image_scores(classifier, image))
        batch = crops.batch
        step = len(batch) if batch_size is None else int(batch_size)
        maps = torch.cat([rule(classifier, batch[i : i + step], cls, **options) for i in range(0, len(batch), step)])
        return ten_crop_average(maps, crops, function)

    adapted.__name__ = function
    return adapted
