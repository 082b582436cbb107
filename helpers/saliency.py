"""Image-specific class saliency maps (Simonyan et al. 2013, Section 3): one pass, ten crops, SmoothGrad.

From the paper: `saliency_map` (|dS_c/dI| of the class score, max over colour channels, one
backward pass per batch) and `ten_crop_saliency` (the average over 10 crops and their mirrors).
Beyond the paper: `smoothgrad` (Smilkov et al. 2017) and the model-randomization sanity check
(`randomize_top_layers`; Adebayo et al. 2018). Composable wrappers, as Captum's NoiseTunnel:
`noise_tunnel(rule)` (SmoothGrad of any batch rule), `ten_crop(rule)` and `whole_image(rule)` (any batch
rule on a uint8 image); `smoothgrad`, `image_smoothgrad`, `image_saliency` and `ten_crop_saliency` are these
wrappers applied to `saliency_map`. The scores that judge a map against a mask
(`mass_inside_mask`, `pointing_game`, `pointing_hit`, `centre_hit`, `rank_correlation`, ...) are in
`helpers.evaluation.masks`.

Ten-crop geometry (`ten_crop_boxes`): the image is resized so that its shorter side is
L = round(S / crop_fraction), S being the model's input size (Lite0: S = 224, L = 256; toy CNN:
S = 64, L = 73, i.e. 56-px crops of the 64-px image scaled back to 64). Five S x S crops are
taken from that working image: top-left, top-right, bottom-left, bottom-right and centre; the
other five are their horizontal mirrors. All 10 go through the model in one batch. Each crop's
map is un-mirrored, pasted back at its place in the working image, the maps are averaged pixel by
pixel over the crops that cover it (sum / coverage count; a pixel no crop covers, possible only
for very elongated images, gets 0), and the result is resized to the input image's own (H, W).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .inputs import as_classifier, as_module, as_numpy_map, categories_of, fits_any_size, model_input
from .geometry import check_positive_int, check_rgb_uint8, resize_map, resize_shorter_side, working_shape
from .models import DEFAULT_CROP_FRACTION, Classifier
from .targets import TargetSpec, image_target, resolve_targets

Reduce = Literal["max", "sum", "l2"]
REDUCTIONS: tuple[str, ...] = ("max", "sum", "l2")
SMOOTHGRAD_SAMPLES = 25  # SmoothGrad's default number of noisy copies (`smoothgrad`, `noise_tunnel`)
SMOOTHGRAD_NOISE = 0.15  # noise std as a fraction of each image's value range (Smilkov et al. 2017: 10-20%)


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


def class_score_gradient(model: nn.Module | Classifier, x: torch.Tensor, target: TargetSpec = None) -> tuple[torch.Tensor, torch.Tensor]:
    """dS_c/dI for every image of a batch in one backward pass; returns (gradient (N,C,H,W), targets (N,)).

    The class score S_c is the logit (before softmax), as in the paper. Uses torch.autograd.grad,
    so no `.grad` is written to the model or the input, and `x` itself is never modified.
    """
    module = as_module(model)
    x = model_input(model, x)
    if module.training:
        raise ValueError("The model is in training mode (dropout/batch-norm would make the map random); call model.eval() first.")
    xg = x.detach().requires_grad_(True)
    with torch.enable_grad():
        scores = module(xg)
        if scores.ndim != 2 or scores.shape[0] != x.shape[0]:
            raise ValueError(f"The model should return class scores of shape (N, classes); got {tuple(scores.shape)}.")
        idx = resolve_targets(target, scores, categories_of(model))
        selected = scores.gather(1, idx[:, None]).sum()  # images are independent, so one backward gives every dS/dI
        (grad,) = torch.autograd.grad(selected, xg)
    return grad, idx


def saliency_map(model: nn.Module | Classifier, x: torch.Tensor, target: TargetSpec = None, *, reduce: Reduce = "max") -> torch.Tensor:
    """The paper's image-specific class saliency M = max_c |dS_c/dI| for a batch; returns (N,H,W).

    `target`: an int or class name for all images, one per image, or None for each image's predicted
    class. `reduce="sum"` or `"l2"` combine the colour channels differently, for comparison.
    """
    if reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be one of {REDUCTIONS}; got {reduce!r}.")
    grad, _ = class_score_gradient(model, x, target)
    return reduce_channels(grad, reduce)


# ----------------------------------------------------------------------------------------------
# Single pass and ten crops on a uint8 image


def _image_tensor(image: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 HxWx3 -> float (1,3,H,W) in [0, 1] on `device` (the input array is not touched)."""
    return torch.from_numpy(check_rgb_uint8(image).copy()).permute(2, 0, 1)[None].float().div(255.0).to(device)


def image_saliency(classifier: Classifier, image: np.ndarray, target: int | str | None = None, *, reduce: Reduce = "max") -> np.ndarray:
    """One-pass saliency of a uint8 image, returned at the image's own (H, W) as float32 numpy.

    The whole image is used (shorter side resized to the input size, no crop) when the model accepts
    any size; a model with a fixed mean image (toy CNN) gets the image resized to S x S. `whole_image(saliency_map)`.
    """
    return whole_image(saliency_map, "image_saliency")(classifier, image, target, reduce=reduce)


def whole_image_input(classifier: Classifier, image: np.ndarray) -> torch.Tensor:
    """The whole uint8 image as a normalised (1,3,h,w) model input: shorter side S, or S x S for fixed-size models."""
    x = _image_tensor(image, classifier.device)
    s = classifier.input_size
    x = resize_shorter_side(x, s) if fits_any_size(classifier) else F.interpolate(x, size=(s, s), mode="bilinear", align_corners=False, antialias=True)
    return classifier.normalize(x)


@torch.no_grad()
def whole_image_scores(classifier: Classifier, image: np.ndarray) -> torch.Tensor:
    """Class scores (logits, (classes,)) of the whole image, as the image-level functions see it."""
    return classifier.model(whole_image_input(classifier, image))[0]


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


@dataclasses.dataclass(frozen=True)
class Crop:
    """One of the ten crops: its box (x0, y0, x1, y1; x1/y1 exclusive) and whether it is mirrored."""

    box: tuple[float, float, float, float]
    mirrored: bool
    name: str


def _crop_offsets(work_hw: tuple[int, int], size: int) -> list[tuple[str, int, int]]:
    """(name, top, left) of the four corner crops and the centre crop in the working image."""
    h, w = work_hw
    return [
        ("top-left", 0, 0),
        ("top-right", 0, w - size),
        ("bottom-left", h - size, 0),
        ("bottom-right", h - size, w - size),
        ("centre", (h - size) // 2, (w - size) // 2),
    ]


def ten_crop_boxes(classifier: Classifier | int, image_shape: Sequence[int], *, crop_fraction: float = DEFAULT_CROP_FRACTION) -> list[Crop]:
    """The 10 crops of `ten_crop_saliency` as boxes in the input image's own pixel coordinates (for drawing)."""
    size = classifier.input_size if isinstance(classifier, Classifier) else int(classifier)
    hw = (int(image_shape[0]), int(image_shape[1]))
    work = working_shape(hw, size, crop_fraction)
    sy, sx = hw[0] / work[0], hw[1] / work[1]
    crops = []
    for mirrored in (False, True):
        for name, top, left in _crop_offsets(work, size):
            box = (left * sx, top * sy, (left + size) * sx, (top + size) * sy)
            crops.append(Crop(box, mirrored, name + (" mirrored" if mirrored else "")))
    return crops


def ten_crop_batch(classifier: Classifier, image: np.ndarray, *, crop_fraction: float = DEFAULT_CROP_FRACTION) -> tuple[torch.Tensor, list[tuple[int, int]], tuple[int, int]]:
    """The 10 normalised crops (10,3,S,S), their (top, left) in the working image, and its size."""
    s = classifier.input_size
    x = _image_tensor(image, classifier.device)
    work = working_shape(image.shape[:2], s, crop_fraction)
    x = F.interpolate(x, size=work, mode="bilinear", align_corners=False, antialias=True)
    offsets = _crop_offsets(work, s)
    crops = torch.cat([x[..., t : t + s, l : l + s] for _, t, l in offsets])
    batch = torch.cat([crops, crops.flip(-1)])
    return classifier.normalize(batch), [(t, l) for _, t, l in offsets] * 2, work


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
    See the module docstring for the geometry and `ten_crop_boxes` for the boxes. With `n_samples > 1` each
    crop's map is a SmoothGrad average over that many noisy copies (beyond the paper; `noise_level`, `seed` as
    in `smoothgrad`). `ten_crop(saliency_map)`, or `ten_crop(noise_tunnel(saliency_map, ...))`.
    """
    check_positive_int("n_samples", n_samples)
    rule = saliency_map if n_samples == 1 else noise_tunnel(saliency_map, n_samples=n_samples, noise_level=noise_level, seed=seed)
    return ten_crop(rule, "ten_crop_saliency")(classifier, image, target, crop_fraction=crop_fraction, batch_size=batch_size,
                                               reduce=reduce)


def ten_crop_saliency_many(
    classifier: Classifier,
    images: np.ndarray,
    targets: Sequence[int | str],
    *,
    crop_fraction: float = DEFAULT_CROP_FRACTION,
    reduce: Reduce = "max",
    batch_size: int = 64,
) -> np.ndarray:
    """`ten_crop_saliency` for a stack of same-sized images (N,H,W,3), `batch_size` images x 10 crops per pass; (N,H,W)."""
    check_positive_int("batch_size", batch_size)
    images = np.asarray(images)
    if images.ndim != 4 or len(targets) != len(images):
        raise ValueError(f"Expected images (N,H,W,3) and N targets; got {images.shape} and {len(targets)} targets.")
    out = np.empty(images.shape[:3], np.float32)
    for start in range(0, len(images), batch_size):
        chunk = range(start, min(start + batch_size, len(images)))
        parts = [ten_crop_batch(classifier, images[i], crop_fraction=crop_fraction) for i in chunk]
        batch = torch.cat([p[0] for p in parts])
        maps = saliency_map(classifier, batch, [t for i in chunk for t in [targets[i]] * 10], reduce=reduce).view(len(chunk), 10, *batch.shape[-2:])
        maps[:, 5:] = maps[:, 5:].flip(-1)  # un-mirror
        for k, (i, (_, offsets, work)) in enumerate(zip(chunk, parts)):
            out[i] = resize_map(paste_average(maps[k].cpu().numpy(), offsets, work), *images.shape[1:3])
    return out


def paste_average(maps: np.ndarray, offsets: Sequence[tuple[int, int]], work_hw: tuple[int, int]) -> np.ndarray:
    """Paste (K,S,S) crop maps at their (top, left) in a work_hw canvas; average where they overlap."""
    total = np.zeros(work_hw, np.float64)
    count = np.zeros(work_hw, np.float64)
    s_h, s_w = maps.shape[-2:]
    for m, (t, l) in zip(maps, offsets):
        total[t : t + s_h, l : l + s_w] += m
        count[t : t + s_h, l : l + s_w] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0).astype(np.float32)


# ----------------------------------------------------------------------------------------------
# Beyond the paper: SmoothGrad and the model-randomization sanity check


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
        model, x, target, reduce=reduce)


# ----------------------------------------------------------------------------------------------
# Composable wrappers (as Captum's NoiseTunnel): SmoothGrad and the image adapters for every rule
#
# A *batch rule* is rule(model, x, target, **options) -> maps (N,H,W) (saliency_map, backprop_saliency,
# grad_cam, integrated_gradients, or a rule wrapped by noise_tunnel); an *image rule* is
# rule(classifier, image, target, **options) -> (H,W) float32 numpy at the image's own size.

BatchRule = Callable[..., torch.Tensor]
ImageRule = Callable[..., np.ndarray]


def _rule_name(rule: Callable) -> str:
    return getattr(rule, "__name__", None) or getattr(getattr(rule, "func", None), "__name__", "rule")


def noise_tunnel(rule: BatchRule, *, n_samples: int = SMOOTHGRAD_SAMPLES, noise_level: float = SMOOTHGRAD_NOISE,
                 seed: int = 0, batch_size: int = 64) -> BatchRule:
    """SmoothGrad of any batch rule: the rule averaged over `n_samples` noisy copies of each image (beyond the paper).

    Noise: Gaussian, std = noise_level * (max - min) of each image, drawn from a CPU generator seeded with
    `seed` (the same noise on every device); about `batch_size` noisy rows per pass. The target is resolved
    once on the clean input (None = each image's top class) so every copy explains the same class. The
    returned function takes (model, x, target=None, **options), the options going to `rule`
    (`noise_tunnel(backprop_saliency)(clf, x, "tabby", rule="guided")`).
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1 or not noise_level >= 0:
        raise ValueError(f"Need n_samples >= 1 (an int) and noise_level >= 0; got {n_samples!r}, {noise_level!r}.")
    check_positive_int("batch_size", batch_size)

    def tunnel(model: nn.Module | Classifier, x: torch.Tensor, target: TargetSpec = None, **options: object) -> torch.Tensor:
        x = model_input(model, x)
        module = as_module(model)
        with torch.no_grad():
            idx = resolve_targets(target, module(x), categories_of(model))
        gen = torch.Generator().manual_seed(seed)  # CPU generator: the same noise on every device
        span = (x.amax(dim=(1, 2, 3)) - x.amin(dim=(1, 2, 3))).view(-1, 1, 1, 1)
        total: torch.Tensor | None = None
        reps = max(1, batch_size // x.shape[0])
        for start in range(0, n_samples, reps):
            k = min(reps, n_samples - start)
            noise = torch.randn((k, *x.shape), generator=gen, dtype=x.dtype).to(x.device)
            noisy = (x[None] + noise * noise_level * span[None]).reshape(-1, *x.shape[1:])
            maps = rule(model, noisy, idx.repeat(k), **options)
            maps = maps.view(k, x.shape[0], *maps.shape[1:])
            if total is None:
                total = torch.zeros(maps.shape[1:], dtype=maps.dtype, device=maps.device)
            total += maps.sum(dim=0)
        return total / n_samples  # type: ignore[operator]

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

    def adapted(classifier: Classifier, image: np.ndarray, target: int | str | None = None, **options: object) -> np.ndarray:
        classifier, image = _image_rule_inputs(classifier, image, function)
        x = whole_image_input(classifier, image)
        cls = image_target(classifier.categories, target, lambda: _scores(classifier, x))
        m = rule(classifier, x, cls, **options)[0]
        return resize_map(as_numpy_map(m), *image.shape[:2])

    adapted.__name__ = function
    return adapted


def ten_crop(rule: BatchRule, name: str | None = None) -> ImageRule:
    """An image rule from a batch rule: the paper's 10-crop average of the rule's maps (module docstring), (H, W).

    The returned function takes (classifier, image, target=None, *, crop_fraction, batch_size, **options):
    `batch_size` crops per pass (None: all 10 at once); `target` None is the top class of the whole image.
    """
    function = name or f"ten_crop({_rule_name(rule)})"

    def adapted(classifier: Classifier, image: np.ndarray, target: int | str | None = None, *,
                crop_fraction: float = DEFAULT_CROP_FRACTION, batch_size: int | None = None, **options: object) -> np.ndarray:
        classifier, image = _image_rule_inputs(classifier, image, function)
        check_positive_int("batch_size", batch_size, allow_none=True)
        batch, offsets, work = ten_crop_batch(classifier, image, crop_fraction=crop_fraction)
        cls = image_target(classifier.categories, target, lambda: whole_image_scores(classifier, image))
        step = len(batch) if batch_size is None else int(batch_size)
        maps = torch.cat([rule(classifier, batch[i : i + step], cls, **options) for i in range(0, len(batch), step)])
        maps[5:] = maps[5:].flip(-1)  # un-mirror
        return resize_map(paste_average(as_numpy_map(maps), offsets, work), *image.shape[:2])

    adapted.__name__ = function
    return adapted


@torch.no_grad()
def _scores(classifier: Classifier, x: torch.Tensor) -> torch.Tensor:
    return classifier.model(x)[0]


_NORM_TYPES = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)


def parameterized_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Layers with their own weights and a `reset_parameters` (conv, linear), in definition order; norms excluded."""
    return [
        (name, m)
        for name, m in model.named_modules()
        if hasattr(m, "reset_parameters") and not isinstance(m, _NORM_TYPES) and any(True for _ in m.parameters(recurse=False))
    ]


def randomize_top_layers(model: nn.Module | Classifier, n: int, *, seed: int = 0) -> nn.Module | Classifier:
    """A frozen copy of the model with its last `n` weight layers re-initialised (the original is untouched).

    Adebayo et al. (2018)'s cascading model-randomization test, beyond the paper: a saliency method
    that explains the model should give different maps once the learned top layers are gone.
    """
    module = as_module(model)
    layers = parameterized_layers(module)
    if not 0 <= n <= len(layers):
        raise ValueError(f"n must be between 0 and {len(layers)} (the model's weight layers); got {n}.")
    device = next(module.parameters()).device
    clone = copy.deepcopy(module).to("cpu")  # re-initialised on the CPU: the same weights on every device
    names = {name for name, _ in layers[len(layers) - n :]}
    with torch.random.fork_rng(devices=[]), torch.no_grad():  # seeded, and the caller's CPU generator untouched
        torch.manual_seed(seed)
        for name, m in clone.named_modules():
            if name in names:
                m.reset_parameters()
    clone = clone.to(device).eval().requires_grad_(False)
    if isinstance(model, Classifier):
        return dataclasses.replace(model, model=clone, name=f"{model.name} (top {n} layers random)")
    return clone
