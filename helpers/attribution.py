"""The paper's Section 4 (gradient = DeconvNet up to the ReLU rule), its successors, and fooling images.

From the paper (Simonyan et al. 2013, Sect. 4): DeconvNet reconstruction (Zeiler & Fergus 2013) is the
gradient layer by layer, except at a rectifier. With y = ReLU(x) and a backward signal g = dS/dy:

- gradient:        g * [x > 0]               (masked by the forward input)
- DeconvNet:       max(g, 0)                 (a ReLU of the backward signal; the forward input is ignored)
- guided backprop: max(g, 0) * [x > 0]       (both masks; Springenberg et al. 2014, after the paper)

`backprop_saliency` is one implementation: the class-score gradient of `helpers.saliency`, computed while
`relu_backward_rule` swaps only the rectifier's backward. The swap uses a `torch.overrides.TorchFunctionMode`,
so it catches `nn.ReLU`, `nn.ReLU6` and functional calls (`F.relu`, `F.relu6`, `torch.relu`, `Tensor.relu`:
EfficientNet-Lite calls `F.relu6` inside `forward`, where no module hook or module swap can reach). Nothing is
attached to the model; leaving the `with` block (also through an exception) restores autograd's own rule.

ReLU6 (y = min(max(x, 0), 6)) has a second flat side at x >= 6. Its gradient is zero there too, so:
gradient = g * [0 < x < 6]; guided = max(g, 0) * [0 < x < 6] (guided = a ReLU of the gradient rule, on
both flat sides); DeconvNet = max(g, 0), since DeconvNet never looks at the forward input. In-place
variants (`x.relu_()`, `inplace=True`) are computed with the rule and written back into their input, so a
network that ignores the returned value (`h.relu_()`) computes the same forward pass as without the rule.

Beyond the paper, labelled as such: `grad_cam` (Selvaraju et al. 2017), `integrated_gradients`
(Sundararajan et al. 2017), and `fooling_image` (steepest ascent of S_c from a real photo; Szegedy et al.
2014, Nguyen et al. 2015 for the phenomenon).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Callable, Iterator
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from .geometry import check_positive_int, check_rgb_uint8
from .inputs import as_module, categories_of, model_input
from .models import Classifier
from .saliency import REDUCTIONS, Reduce, class_score_gradient, reduce_channels
from .targets import TargetSpec, class_indices, resolve_targets

Rule = Literal["gradient", "deconvnet", "guided"]
RULES: tuple[str, ...] = ("gradient", "deconvnet", "guided")
DEFAULT_PIXELS_PER_PASS = 8 * 224 * 224  # integrated gradients' default batch: ~8 ImageNet-sized images
# A backward rule: (backward signal g = dS/dy, forward activation, upper clip: inf for ReLU, 6 for ReLU6) -> dS/dx.
# Inside a network the activation passed is the rectifier's output y, which is in (0, upper) exactly where its
# input x is, so "x > 0" masks are the same whichever of the two a rule is given.
RuleFunction = Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]


# ----------------------------------------------------------------------------------------------
# The three backward rules at a rectifier y = clamp(x, 0, upper)


def gradient_rule(grad_out: torch.Tensor, x: torch.Tensor, upper: float = math.inf) -> torch.Tensor:
    """The chain rule: pass g where the forward input was in the rectifier's linear part, else 0."""
    if math.isinf(upper):  # autograd's own fused kernels: as fast as the ReLU backward they replace
        return torch.ops.aten.threshold_backward(grad_out, x, 0)
    return torch.ops.aten.hardtanh_backward(grad_out, x, 0.0, upper)


def deconvnet_rule(grad_out: torch.Tensor, x: torch.Tensor, upper: float = math.inf) -> torch.Tensor:
    """DeconvNet (Zeiler & Fergus 2013): a ReLU of the backward signal itself; the forward input is ignored."""
    return grad_out.clamp(min=0)


def guided_rule(grad_out: torch.Tensor, x: torch.Tensor, upper: float = math.inf) -> torch.Tensor:
    """Guided backprop (Springenberg et al. 2014): both masks, the forward input's and the signal's sign."""
    return gradient_rule(grad_out, x, upper).clamp_(min=0)


RULE_FUNCTIONS: dict[str, RuleFunction] = {
    "gradient": gradient_rule,
    "deconvnet": deconvnet_rule,
    "guided": guided_rule,
}


class _RectifierWithRule(torch.autograd.Function):
    """y = clamp(x, 0, upper) forward (the same values as F.relu / F.relu6), a chosen rule backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, upper: float, rule: RuleFunction) -> torch.Tensor:  # type: ignore[override]
        y = F.relu(x) if math.isinf(upper) else F.hardtanh(x, 0.0, upper)
        # Keep the output, as PyTorch's own ReLU does (the input can then be freed): 0 < y < upper exactly
        # where 0 < x < upper, so every rule's mask is the same computed from y.
        ctx.save_for_backward(y)
        ctx.upper, ctx.rule = upper, rule
        return y

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, None, None]:  # type: ignore[override]
        (y,) = ctx.saved_tensors
        return ctx.rule(grad_out, y, ctx.upper), None, None


_RELU_FUNCTIONS = {F.relu, F.relu_, torch.relu, torch.relu_, torch.Tensor.relu, torch.Tensor.relu_}
_HARDTANH_FUNCTIONS = {F.hardtanh, F.hardtanh_}
# Activations with no DeconvNet/guided rule: met under a non-gradient rule, they raise instead of silently
# keeping their gradient (which would mix two methods in one map).
_OTHER_ACTIVATIONS = {
    F.silu,
    F.gelu,
    F.elu,
    F.selu,
    F.celu,
    F.leaky_relu,
    F.prelu,
    F.rrelu,
    F.hardswish,
    F.hardsigmoid,
    F.mish,
    F.softplus,
    F.softsign,
    F.tanhshrink,
    F.logsigmoid,
    F.glu,
    F.sigmoid,
    F.tanh,
    torch.sigmoid,
    torch.tanh,
    torch.Tensor.sigmoid,
    torch.Tensor.tanh,
    torch.selu,
    torch.celu,
    torch.prelu,
}


_INPLACE_FUNCTIONS = {F.relu_, torch.relu_, torch.Tensor.relu_, F.hardtanh_}
_INPLACE_POSITION = {F.relu: 1, F.relu6: 1, F.hardtanh: 3}  # where `inplace` sits among the positional arguments


def _is_inplace(func: Callable, args: tuple, kwargs: dict) -> bool:
    """True for a rectifier call that overwrites its input (`x.relu_()`, `F.relu(x, inplace=True)`, nn.ReLU(inplace=True))."""
    if func in _INPLACE_FUNCTIONS:
        return True
    position = _INPLACE_POSITION.get(func)
    return bool(kwargs.get("inplace", args[position] if position is not None and len(args) > position else False))


def _rectifier_upper(func: Callable, args: tuple, kwargs: dict) -> float | None:
    """inf for a ReLU call, the upper clip for ReLU6 / hardtanh(0, t); None for any other function."""
    if func in _RELU_FUNCTIONS:
        return math.inf
    if func is F.relu6:
        return 6.0
    if func in _HARDTANH_FUNCTIONS:
        low = kwargs.get("min_val", args[1] if len(args) > 1 else -1.0)
        high = kwargs.get("max_val", args[2] if len(args) > 2 else 1.0)
        return float(high) if low == 0 and high > 0 else None
    return None


@dataclasses.dataclass
class RectifierLog:
    """What a `relu_backward_rule` block met in the forward pass (for checks and for Grad-CAM's default layer)."""

    rectifiers: int = 0
    other_activations: list[str] = dataclasses.field(default_factory=list)
    # The last activation's (N,C,h,w) output larger than 1 x 1: Grad-CAM's default layer (never an SE gate's 1 x 1).
    last_feature_map: torch.Tensor | None = None

    def record(self, out: object) -> None:
        """Keep `out` as the last feature map if it is an (N,C,h,w) tensor with more than one spatial position."""
        if isinstance(out, torch.Tensor) and out.ndim == 4 and out.shape[-2] * out.shape[-1] > 1:
            self.last_feature_map = out


class _RuleMode(TorchFunctionMode):
    """Routes every rectifier call through `_RectifierWithRule` (or only records it when rule is None)."""

    def __init__(self, rule: RuleFunction | None, log: RectifierLog, strict: bool) -> None:
        super().__init__()
        self.rule, self.log, self.strict = rule, log, strict

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001 - torch's protocol
        kwargs = kwargs or {}
        upper = _rectifier_upper(func, args, kwargs)
        if upper is None:
            if func in _OTHER_ACTIVATIONS:
                name = getattr(func, "__name__", str(func))
                self.log.other_activations.append(name)
                if self.strict:
                    raise ValueError(
                        f"The model applies {name}, which has no DeconvNet / guided-backprop rule (they are defined at "
                        "ReLU and ReLU6 only); use rule='gradient' for this model."
                    )
                out = func(*args, **kwargs)
                self.log.record(out)
                return out
            return func(*args, **kwargs)
        self.log.rectifiers += 1
        out = func(*args, **kwargs) if self.rule is None else self._with_rule(func, args, kwargs, upper)
        self.log.record(out)
        return out

    def _with_rule(self, func: Callable, args: tuple, kwargs: dict, upper: float) -> torch.Tensor:
        """The rectifier through `_RectifierWithRule`; an in-place call writes the result back into its input."""
        x = args[0]
        out = _RectifierWithRule.apply(x, upper, self.rule)
        return x.copy_(out) if _is_inplace(func, args, kwargs) else out


def _rule_function(rule: str | RuleFunction) -> RuleFunction:
    if callable(rule):
        return rule
    if rule not in RULE_FUNCTIONS:
        raise ValueError(f"rule must be one of {RULES} (or a function (grad_out, x, upper) -> grad_in); got {rule!r}.")
    return RULE_FUNCTIONS[rule]


@contextlib.contextmanager
def relu_backward_rule(rule: str | RuleFunction) -> Iterator[RectifierLog]:
    """Inside the block, every ReLU / ReLU6 backward follows `rule`; the forward values are unchanged.

    `rule`: "gradient" (autograd's own rule: nothing is swapped, so results equal plain autograd bit for
    bit), "deconvnet", "guided", or a function (grad_out, x, upper) -> grad_in. Yields a `RectifierLog` of
    the rectifiers met (left empty for "gradient", where nothing is intercepted). Under a non-gradient rule, another activation (sigmoid, GELU, SiLU, ...) raises a
    ValueError. The backward must run inside the block (the rule is read when the graph is built, and the
    graph keeps it). Leaving the block, normally or by an exception, removes the mode.
    """
    if isinstance(rule, str) and rule == "gradient":
        yield RectifierLog()
        return
    fn = _rule_function(rule)
    log = RectifierLog()
    with _RuleMode(fn, log, strict=True):
        yield log


# ----------------------------------------------------------------------------------------------
# One implementation of the three maps (paper, Sect. 4)


def backprop_saliency(
    model: nn.Module | Classifier,
    x: torch.Tensor,
    target: TargetSpec = None,
    *,
    rule: str | RuleFunction = "gradient",
    reduce: Reduce | None = "max",
) -> torch.Tensor:
    """Saliency by backpropagation with a chosen ReLU rule: the paper's gradient, DeconvNet or guided backprop.

    One forward and one backward pass per batch (the `saliency_map` code path, with `relu_backward_rule`
    active). `reduce` as in `saliency_map` ("max": max_c |signal|, the paper's map, (N,H,W)); `reduce=None`
    returns the signed (N,C,H,W) signal. `rule="gradient"` equals `helpers.saliency_map` exactly.
    A model with no rectifier at all gives the gradient under every rule (there is nothing to swap).
    """
    _check_reduce(reduce)
    _rule_function(rule)  # a bad rule name fails before any work
    with relu_backward_rule(rule):
        grad, _ = class_score_gradient(model, x, target)
    return grad if reduce is None else reduce_channels(grad, reduce)


# ----------------------------------------------------------------------------------------------
# Beyond the paper: Grad-CAM and integrated gradients


def _resolve_layer(module: nn.Module, layer: nn.Module | str) -> nn.Module:
    """A submodule given itself or by its dotted name (as in `model.named_modules()`)."""
    if isinstance(layer, str):
        named = dict(module.named_modules())
        if layer not in named:
            raise ValueError(f"No layer named {layer!r} in the model; names look like {list(named)[1:6]}.")
        return named[layer]
    if not isinstance(layer, nn.Module) or not any(m is layer for m in module.modules()):
        raise ValueError("layer must be a submodule of the model (or its name in model.named_modules()).")
    return layer


def grad_cam(
    model: nn.Module | Classifier,
    x: torch.Tensor,
    target: TargetSpec = None,
    *,
    layer: nn.Module | str | None = None,
    upsample: bool = True,
) -> torch.Tensor:
    """Grad-CAM (Selvaraju et al. 2017; beyond the paper): ReLU(sum_k alpha_k A_k), alpha_k = mean of dS_c/dA_k.

    A = the feature maps of `layer` (a submodule or its name). Default: the output of the last activation
    whose output is an (N,C,h,w) map larger than 1 x 1, i.e. the activated maps of the last convolutional block
    (toy CNN: the last ReLU of `features`, 96 x 8 x 8 at 64 px; Lite0: ReLU6 after the head convolution,
    1280 x 7 x 7 at 224 px; MobileNetV3: the Hardswish of the last block, not a squeeze-excitation gate's
    1 x 1 output), found in the forward pass, so it works for functional activations too; a model with no
    such activation is a ValueError that asks for `layer=`. Returns (N,H,W) upsampled bilinearly to the
    input size (or (N,h,w) with `upsample=False`).
    """
    module = as_module(model)
    x = model_input(model, x)
    if module.training:
        raise ValueError("The model is in training mode; call model.eval() first.")
    scores, feature_map = _forward_with_features(module, x, layer)
    idx = resolve_targets(target, scores, categories_of(model))
    with torch.enable_grad():  # the caller may be under torch.no_grad()
        selected = scores.gather(1, idx[:, None]).sum()
        (grad,) = torch.autograd.grad(selected, feature_map)
    weights = grad.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * feature_map.detach()).sum(dim=1, keepdim=True))
    if upsample:
        cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)
    return cam[:, 0]


@contextlib.contextmanager
def _feature_capture(module: nn.Module, layer: nn.Module | str | None) -> Iterator[Callable[[], torch.Tensor | None]]:
    """Inside the block the forward pass records Grad-CAM's feature maps; yields a function that returns them.

    `layer` None: the last activation's (N,C,h,w) output larger than 1 x 1 (found by `_RuleMode`, so functional
    activations count); else the output of that submodule (a forward hook, removed on leaving the block).
    """
    if layer is None:
        log = RectifierLog()
        with _RuleMode(None, log, strict=False):
            yield lambda: log.last_feature_map
        return
    captured: dict[str, torch.Tensor] = {}

    def keep_output(_m: nn.Module, _inputs: object, output: torch.Tensor) -> None:
        captured["A"] = output

    handle = _resolve_layer(module, layer).register_forward_hook(keep_output)
    try:
        yield lambda: captured.get("A")
    finally:
        handle.remove()


def _forward_with_features(
    module: nn.Module, x: torch.Tensor, layer: nn.Module | str | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Class scores and the chosen feature maps (N,C,h,w) of one forward pass with gradients on, or a clear error."""
    with _feature_capture(module, layer) as features, torch.enable_grad():
        scores = module(x.detach().requires_grad_(True))  # frozen weights: the graph hangs on the input
    feature_map = features()
    if not isinstance(feature_map, torch.Tensor) or feature_map.ndim != 4:
        where = (
            "the chosen layer did not output one"
            if layer is not None
            else "no activation in the model outputs one larger than 1 x 1"
        )
        raise ValueError(
            f"Grad-CAM needs (N,C,h,w) feature maps, but {where}; pass layer=<the last conv block>, "
            "e.g. its name in model.named_modules()."
        )
    if not feature_map.requires_grad:
        raise ValueError("The chosen layer's output does not depend on the input; choose a layer inside the network.")
    return scores, feature_map


def integrated_gradients(
    model: nn.Module | Classifier,
    x: torch.Tensor,
    target: TargetSpec = None,
    *,
    baseline: torch.Tensor | None = None,
    steps: int = 32,
    batch_size: int | None = None,
    reduce: Reduce | None = "max",
    return_delta: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Integrated gradients (Sundararajan et al. 2017; beyond the paper), batched along the path.

    (x - x') * mean_k dS_c/dI at x' + a_k (x - x'), a_k = (k + 1/2) / steps (midpoint rule), so the
    attributions sum to about S_c(x) - S_c(x') (completeness). Baseline x' default: zeros in the model's
    input space, i.e. the normalisation's mean colour (mean image for the toy CNN). The steps of all images
    go through the model `batch_size` rows at a time (default: about 8 images of 224 x 224 px per pass,
    i.e. 8 rows for Lite0 and 98 for the 64 px toy CNN). `reduce=None` returns the signed (N,C,H,W)
    attributions; otherwise a map like `saliency_map`. The target is fixed on x (None = predicted class).
    `return_delta=True` returns (map, delta), delta (N,) = sum of the signed attributions - (S_c(x) - S_c(x'))
    per image: the completeness gap, Captum's convergence delta (it shrinks as `steps` grows).
    """
    x = model_input(model, x)
    check_positive_int("steps", steps)
    check_positive_int("batch_size", batch_size, allow_none=True)
    batch_size = batch_size or max(1, DEFAULT_PIXELS_PER_PASS // (x.shape[-2] * x.shape[-1]))
    _check_reduce(reduce)
    base = _ig_baseline(x, baseline)
    targets = _ig_targets(model, x, target)
    alphas = (torch.arange(steps, dtype=x.dtype, device=x.device) + 0.5) / steps
    parts = [
        _path_integral(
            model, x[i : i + batch_size], base[i : i + batch_size], targets[i : i + batch_size], alphas, batch_size
        )
        for i in range(0, x.shape[0], batch_size)
    ]  # images in chunks, then path points in chunks
    attributions = torch.cat(parts)
    result = attributions if reduce is None else reduce_channels(attributions, reduce)
    if not return_delta:
        return result
    return result, completeness_delta(model, attributions, x, base, targets)


def completeness_delta(
    model: nn.Module | Classifier,
    attributions: torch.Tensor,
    x: torch.Tensor,
    baseline: torch.Tensor,
    targets: list[int],
) -> torch.Tensor:
    """(N,) sum of the signed attributions - (S_c(x) - S_c(x')) per image: how far from completeness they are."""
    idx = torch.tensor(targets, device=x.device)[:, None]
    with torch.no_grad():
        module = as_module(model)
        gap = module(x).gather(1, idx)[:, 0] - module(baseline).gather(1, idx)[:, 0]
    return attributions.flatten(1).sum(dim=1) - gap


def _check_reduce(reduce: str | None) -> None:
    if reduce is not None and reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be one of {REDUCTIONS} or None (the signed signal); got {reduce!r}.")


def _ig_baseline(x: torch.Tensor, baseline: torch.Tensor | None) -> torch.Tensor:
    """The baseline x' broadcast to x's shape (zeros: the normalisation's mean), or a clear error."""
    base = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=x.dtype, device=x.device)
    try:
        return base.expand_as(x)
    except RuntimeError as err:
        raise ValueError(
            f"The baseline must broadcast to the input's shape {tuple(x.shape)}; got {tuple(base.shape)}."
        ) from err


def _ig_targets(model: nn.Module | Classifier, x: torch.Tensor, target: TargetSpec) -> list[int]:
    """One class per image, fixed on x itself (None: the top class of x, not of the path points)."""
    if target is None:
        with torch.no_grad():
            return resolve_targets(None, as_module(model)(x)).tolist()
    return class_indices(target, x.shape[0], categories_of(model), None)  # range-checked by class_score_gradient


def _path_integral(
    model: nn.Module | Classifier,
    x: torch.Tensor,
    base: torch.Tensor,
    targets: list[int],
    alphas: torch.Tensor,
    batch_size: int,
) -> torch.Tensor:
    """(x - x') * the mean over `alphas` of dS_c/dI at x' + a (x - x'), len(x) * k <= batch_size rows per pass."""
    delta = x - base
    total = torch.zeros_like(x)
    per_pass = max(1, batch_size // x.shape[0])
    for start in range(0, len(alphas), per_pass):
        a = alphas[start : start + per_pass].view(-1, 1, 1, 1, 1)
        points = (base[None] + a * delta[None]).reshape(-1, *x.shape[1:])
        grad, _ = class_score_gradient(model, points, list(targets) * len(a))
        total += grad.view(len(a), *x.shape).sum(dim=0)
    return delta * total / len(alphas)


# ----------------------------------------------------------------------------------------------
# Beyond the paper: fooling images


@dataclasses.dataclass(frozen=True)
class FoolingResult:
    """A photo pushed to a target class: the images (uint8 SxSx3), steps taken, and the change's size."""

    image: np.ndarray
    original: np.ndarray
    target: int
    target_name: str
    reached: bool  # the target is the top-1 class of `image`
    steps: int
    linf: float  # max |image - original| in pixel values 0-255
    l2: float  # ||image - original||_2 over all pixels and channels, in pixel values 0-255
    probability: float  # softmax probability of the target on `image`

    def __str__(self) -> str:
        verdict = "top-1" if self.reached else "NOT top-1"
        return (
            f"{self.target_name!r} is {verdict} (P = {self.probability:.2f}) after {self.steps} steps; "
            f"change: L-inf {self.linf:.0f}, L2 {self.l2:.0f} (pixel values 0-255)"
        )


def model_input_crop(classifier: Classifier, image: np.ndarray) -> np.ndarray:
    """The S x S uint8 image that `classifier.preprocess` feeds the model (its resize and centre crop)."""
    return classifier.deprocess(classifier.preprocess(check_rgb_uint8(image)))


def classify_crop(classifier: Classifier, crop: np.ndarray) -> torch.Tensor:
    """Class scores (1, classes) of an S x S uint8 model-input crop, fed as is (no further resize or crop)."""
    pixels = torch.from_numpy(check_rgb_uint8(crop).copy()).permute(2, 0, 1)[None].float().to(classifier.device)
    with torch.no_grad():
        return classifier.model(classifier.normalize(pixels / 255.0))


def fooling_image(
    classifier: Classifier,
    image: np.ndarray,
    target: int | str,
    *,
    step_size: int = 1,
    max_steps: int = 50,
    epsilon: int | None = None,
) -> FoolingResult:
    """Gradient ascent on S_c from a real photo until c is the top-1 class (beyond the paper).

    Each step moves every pixel of the model-input crop by `step_size` gray levels along sign(dS_c/dI):
    the steepest ascent for a bounded per-pixel change, which keeps the image on the uint8 grid, so the
    returned uint8 image is exactly the one that was classified. Stops when c is top-1 or after
    `max_steps`; `epsilon` (gray levels) optionally caps the change per pixel. The photo is not modified.
    Work happens on the model-input crop (`model_input_crop`); `classify_crop(classifier, result.image)`
    scores the returned image as it was scored here.
    """
    if not isinstance(classifier, Classifier):
        raise TypeError(f"fooling_image needs a helpers.Classifier; got {type(classifier).__name__}.")
    check_positive_int("step_size", step_size)
    check_positive_int("max_steps", max_steps)
    check_positive_int("epsilon", epsilon, allow_none=True)
    c = classifier.class_index(target)
    original = model_input_crop(classifier, image)
    start = torch.from_numpy(original).permute(2, 0, 1)[None].float().to(classifier.device)
    pixels = start.clone()
    steps = 0
    while True:
        xg = classifier.normalize(pixels / 255.0).requires_grad_(True)
        with torch.enable_grad():
            scores = classifier.model(xg)
            if int(scores.argmax()) == c or steps >= max_steps:
                break
            (grad,) = torch.autograd.grad(scores[0, c], xg)
        pixels = (pixels + step_size * grad.sign()).clamp(0, 255)  # sign(dS/dx) = sign(dS/dI): std > 0
        if epsilon is not None:
            pixels = torch.minimum(torch.maximum(pixels, start - epsilon), start + epsilon)
        steps += 1
    scores = scores.detach()
    fooled = pixels[0].permute(1, 2, 0).round().to(torch.uint8).cpu().numpy()
    diff = fooled.astype(np.float64) - original.astype(np.float64)
    return FoolingResult(
        image=fooled,
        original=original,
        target=c,
        target_name=classifier.categories[c],
        reached=int(scores.argmax()) == c,
        steps=steps,
        linf=float(np.abs(diff).max()),
        l2=float(np.sqrt((diff**2).sum())),
        probability=float(scores.softmax(dim=1)[0, c]),
    )
