"""Class-model visualization (Simonyan et al. 2013, section 2): the input image that a class scores highest.

The paper's method: keep the weights fixed and find, by gradient ascent on the input I,

    I* = argmax_I  S_c(I) - lambda * ||I||_2^2,

starting from the zero image in the model's normalised input space (the training-set mean in pixel
space); the result is shown with the mean added back. Beyond the paper (off by default, and named
as such): jitter, periodic Gaussian blur, clipping to the valid pixel range, and Adam instead of SGD.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from .ascent import OBJECTIVES, ObjectiveName, ascend, check_ascent_numbers, class_objective, target_classes
from .inputs import model_input
from .models import Classifier

Objective = ObjectiveName
OPTIMIZERS: tuple[str, ...] = ("sgd", "adam")
START_IMAGES: tuple[str, ...] = ("zeros", "random")  # `init` names of class_model_visualization

# (lr, lambda) for the paper's plain SGD, per model: the input gradients of the toy CNN and of
# EfficientNet-Lite0 differ in scale by orders of magnitude, so one setting cannot suit both.
# Lite0: lr 0.5, lambda 1e-2. With lr 2 the objective S_c - lambda||I||^2 ends *below* its start (the
# steps overshoot: S_c rises, the penalty rises more) and P_c flips for dozens of steps; with lr 0.5 the
# objective climbs (tests/test_classvis.py). lr 5 / lambda 1e-3 saturates the image into colour noise.
# Keyed by the architecture (`Classifier.arch`), not the display name, so a modified copy (fold_batchnorm) keeps them.
SGD_DEFAULTS: dict[str, tuple[float, float]] = {"toy": (0.5, 0.03), "efficientnet_lite0": (0.5, 1e-2)}
GENERIC_SGD_DEFAULT: tuple[float, float] = (5.0, 1e-3)  # ImageNet classifiers with unit-scale inputs
ADAM_LR = 0.05  # Adam's step is (roughly) lr per pixel whatever the gradient's scale
# An image 10^5 pixel ranges away from the valid range is no image any more: the ascent diverged.
# SGD with lr * lambda > 1 grows exponentially and gets there in a few steps (lr 1e6: 1e7-1e8 ranges
# after 1-2 steps); the defaults stay within ~4 ranges, and even the widget's extreme (toy, lr 100,
# lambda 1e-5, 500 steps), which grows only linearly, stays below 1e4.
DIVERGED_RANGES = 1e5


# ----------------------------------------------------------------------------------------------
# Beyond the paper: regularizers (all off by default).


@dataclass(frozen=True)
class Regularizer:
    """Beyond the paper: a change to the ascent, applied to the image before each forward pass and after each step."""

    def check(self) -> None:
        """Raise a ValueError for settings out of range."""

    def before_forward(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """The image the model sees at this step (differentiable in x); the identity by default."""
        return x

    def after_step(self, x: torch.Tensor, step: int, lo: torch.Tensor, hi: torch.Tensor) -> None:
        """Change the optimisation variable x in place after update `step` (0-based); nothing by default."""


@dataclass(frozen=True)
class Jitter(Regularizer):
    """Beyond the paper: shift the image by a random (dy, dx) of up to `pixels` before each forward pass."""

    pixels: int | None = None  # None: 1/28 of the image side (8 px at 224, 2 px at 64)

    def amount(self, size: int) -> int:
        """The maximum shift in pixels for an image of side `size`."""
        return max(1, size // 28) if self.pixels is None else int(self.pixels)

    def check(self) -> None:
        if self.pixels is not None and self.pixels < 0:
            raise ValueError(f"Jitter needs pixels >= 0; got {self}.")

    def before_forward(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        k = self.amount(x.shape[-1])
        dy, dx = (int(v) for v in torch.randint(-k, k + 1, (2,), generator=gen))
        return torch.roll(x, shifts=(dy, dx), dims=(2, 3))


@dataclass(frozen=True)
class Blur(Regularizer):
    """Beyond the paper: every `every` steps, smooth the image with a Gaussian of std `sigma` pixels."""

    sigma: float = 0.5
    every: int = 4

    def check(self) -> None:
        if self.sigma <= 0 or self.every < 1:
            raise ValueError(f"Blur needs sigma > 0 and every >= 1; got {self}.")

    def after_step(self, x: torch.Tensor, step: int, lo: torch.Tensor, hi: torch.Tensor) -> None:
        if (step + 1) % self.every == 0:
            x.copy_(gaussian_blur(x, self.sigma))


@dataclass(frozen=True)
class Clip(Regularizer):
    """Beyond the paper: after each step, clamp the image to the valid pixel range [0, 1]."""

    def after_step(self, x: torch.Tensor, step: int, lo: torch.Tensor, hi: torch.Tensor) -> None:
        x.copy_(torch.maximum(torch.minimum(x, hi), lo))


REGULARIZERS: dict[str, Regularizer] = {"jitter": Jitter(), "blur": Blur(), "clip": Clip()}


# ----------------------------------------------------------------------------------------------
# Results.


@dataclass(frozen=True)
class History:
    """Per step (index 0 = start, index t = after t updates): target logit, P_c, mean other logit, ||I||."""

    target_logit: np.ndarray
    target_prob: np.ndarray
    mean_other_logit: np.ndarray
    norm: np.ndarray

    def as_dict(self) -> dict[str, np.ndarray]:
        """The four curves by name (handy for plotting)."""
        return {
            "target logit": self.target_logit,
            "target probability": self.target_prob,
            "mean other logit": self.mean_other_logit,
            "||I||": self.norm,
        }


@dataclass(frozen=True)
class ClassVisualization:
    """One class image: `.image` (uint8 HxWx3), `.tensor` (1x3xHxW, normalised), `.history`, target and settings."""

    image: np.ndarray
    tensor: torch.Tensor
    history: History
    target: int
    class_name: str
    settings: dict = field(default_factory=dict)

    @property
    def final_prob(self) -> float:
        """P_c of the returned image."""
        return float(self.history.target_prob[-1])

    @property
    def final_logit(self) -> float:
        """S_c of the returned image."""
        return float(self.history.target_logit[-1])


# ----------------------------------------------------------------------------------------------
# Objectives and gradients.


def objective_scores(logits: torch.Tensor, targets: torch.Tensor, objective: str) -> torch.Tensor:
    """Per-image objective (N,) from logits (N,K): S_c (paper), P_c, or log P_c (`helpers.ascent.class_objective`)."""
    return class_objective(objective, targets)(logits)


def input_gradient(
    classifier: Classifier, x: torch.Tensor, target: int | str, objective: str = "logit"
) -> torch.Tensor:
    """d objective / d input for one class at input x (N,3,H,W); x is not modified, weights get no grad."""
    c = classifier.class_index(target)
    x = model_input(classifier, x).detach().requires_grad_(True)
    targets = torch.full((x.shape[0],), c, dtype=torch.long, device=x.device)
    with torch.enable_grad():  # works under the caller's torch.no_grad() too
        score = objective_scores(classifier.model(x), targets, objective).sum()
        (grad,) = torch.autograd.grad(score, x)
    return grad


def objective_scale(
    classifier: Classifier, targets: Sequence[int | str], objective: str, size: int | None = None
) -> float:
    """k = mean ||dS_c/dI|| / mean ||d objective/dI|| at the mean image (zero input), over `targets`.

    Beyond the paper, for comparing objectives fairly: ascending k * objective moves the first step as far as
    the paper's S_c does (k is about 1 for log P_c, large for P_c, whose gradient is scaled by P_c).
    """
    if not targets:
        raise ValueError("targets must be a non-empty list of classes.")
    s = classifier.input_size if size is None else int(size)
    x = torch.zeros(1, 3, s, s, device=classifier.device)
    norms = {
        obj: np.mean([float(input_gradient(classifier, x, t, obj).norm()) for t in targets])
        for obj in ("logit", objective)
    }
    if not norms[objective] > 0:
        raise ValueError(f"The {objective!r} gradient is zero at the mean image; it cannot be rescaled.")
    return float(norms["logit"] / norms[objective])


@dataclass(frozen=True)
class GradientIdentity:
    """d log P_c/dI by autograd, and by the identity dS_c/dI - sum_k P_k dS_k/dI, and the max gap."""

    autograd: torch.Tensor
    identity: torch.Tensor
    logit_term: torch.Tensor
    others_term: torch.Tensor

    @property
    def max_abs_difference(self) -> float:
        """Largest |autograd - identity| over all input values."""
        return float((self.autograd - self.identity).abs().max())


def log_softmax_gradient_identity(classifier: Classifier, x: torch.Tensor, target: int | str) -> GradientIdentity:
    """Check d log P_c/dI = dS_c/dI - sum_k P_k dS_k/dI on one input (1,3,H,W), each dS_k/dI by its own backward pass.

    With many classes (ImageNet) the sum is one backward pass of sum_k stop_grad(P_k) S_k, which is
    the same vector-Jacobian product.
    """
    c = classifier.class_index(target)
    x = model_input(classifier, x)
    if x.shape[0] != 1:
        raise ValueError(f"log_softmax_gradient_identity takes one image (1,3,H,W); got a batch of {x.shape[0]}.")
    xg = x.detach().requires_grad_(True)
    with torch.enable_grad():  # works under the caller's torch.no_grad() too
        logits = classifier.model(xg)[0]
        probs = logits.softmax(dim=0).detach()
        (autograd,) = torch.autograd.grad(logits.log_softmax(dim=0)[c], xg, retain_graph=True)
        (logit_term,) = torch.autograd.grad(logits[c], xg, retain_graph=True)
        k = logits.numel()
        if k <= 32:
            others = torch.zeros_like(xg)
            for j in range(k):
                (g,) = torch.autograd.grad(logits[j], xg, retain_graph=j < k - 1)
                others = others + probs[j] * g
        else:
            (others,) = torch.autograd.grad((probs * logits).sum(), xg)
    return GradientIdentity(autograd.detach(), (logit_term - others).detach(), logit_term.detach(), others.detach())


# ----------------------------------------------------------------------------------------------
# The optimisation.


def class_model_visualization(
    classifier: Classifier,
    target: int | str | Sequence[int | str],
    *,
    steps: int = 200,
    lr: float | None = None,
    l2: float | None = None,
    objective: Objective = "logit",
    init: str | torch.Tensor = "zeros",
    optimizer: str = "sgd",
    regularizers: Sequence[str | Regularizer] = (),
    seed: int = 0,
    progress: bool = True,
) -> ClassVisualization | list[ClassVisualization]:
    """Maximise S_c(I) - l2*||I||^2 over the input by gradient ascent (the paper's class model).

    `target` is a class index or name; a list of them is optimised as one batch and gives a list of
    results (one class gives one result: the stated exception to the package's output rule). `lr=None` /
    `l2=None` pick the model's defaults (`default_settings`). `init` is "zeros"
    (the paper: the mean image), "random" (small noise) or a normalised (1,3,H,W) tensor (not modified).
    `objective` "softmax" / "log_softmax" and everything in `regularizers` ("jitter", "blur", "clip",
    or `Jitter`/`Blur`/`Clip` objects), as well as `optimizer="adam"`, go beyond the paper.
    """
    classes, single = target_classes(classifier, target)
    settings = _check_ascent_settings(steps, lr, l2, objective, optimizer, seed)
    regs = _parse_regularizers(regularizers)
    default_lr, default_l2 = default_settings(classifier, optimizer)
    lr_value = default_lr if lr is None else float(lr)
    l2 = default_l2 if l2 is None else float(l2)
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    x = _initial_input(classifier, init, len(classes), gen).to(classifier.device)
    targets = torch.tensor(classes, dtype=torch.long, device=classifier.device)
    history = _ascend(
        classifier,
        x,
        targets,
        steps=steps,
        lr=lr_value,
        l2=l2,
        objective=objective,
        optimizer=optimizer,
        regs=regs,
        gen=gen,
        progress=progress,
    )
    settings.update(
        lr=lr_value,
        l2=l2,
        init=init if isinstance(init, str) else "tensor",
        regularizers=tuple(type(r).__name__.lower() for r in regs),
    )
    results = class_visualizations(classifier, x, history, classes, settings)
    return results[0] if single else results


def _ascend(
    classifier: Classifier,
    x: torch.Tensor,
    targets: torch.Tensor,
    *,
    steps: int,
    lr: float,
    l2: float,
    objective: str,
    optimizer: str,
    regs: list[Regularizer],
    gen: torch.Generator,
    progress: bool,
) -> np.ndarray:
    """The paper's ascent on the pixels x, in place (`helpers.ascent.ascend`); returns the history (steps+1, 4, N)."""
    lo, hi = _pixel_bounds(classifier, x.shape[-1])
    opt = torch.optim.Adam([x], lr=lr, maximize=True) if optimizer == "adam" else None

    def forward(step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return classifier.model(_forward_input(x, regs, gen)), l2 * x.pow(2).flatten(1).sum(dim=1), x

    def update(step: int, grads: Sequence[torch.Tensor]) -> None:
        if opt is None:
            x.add_(grads[0], alpha=lr)  # SGD ascent: I <- I + lr * d(S_c - l2 ||I||^2)/dI
        else:
            x.grad = grads[0]
            opt.step()
            x.grad = None
        for r in regs:
            r.after_step(x, step, lo, hi)

    def check(step: int, image: torch.Tensor, logits: torch.Tensor) -> None:
        _check_not_diverged(image, logits, step, lr, lo, hi)

    return ascend(
        [x],
        class_objective(objective, targets),
        targets,
        steps=steps,
        forward=forward,
        update=update,
        final=lambda: (classifier.model(x), x.detach()),
        check=check,
        progress=progress,
        desc="class visualization",
    )


def class_visualizations(
    classifier: Classifier, x: torch.Tensor, history: np.ndarray, classes: list[int], settings: dict
) -> list[ClassVisualization]:
    """One `ClassVisualization` per image of the normalised batch x, with its column of the history (steps+1, 4, N)."""
    return [
        ClassVisualization(
            image=classifier.deprocess(x[i : i + 1]),
            tensor=x[i : i + 1].detach().clone(),
            history=History(*(history[:, j, i].copy() for j in range(4))),
            target=c,
            class_name=classifier.categories[c],
            settings=dict(settings),
        )
        for i, c in enumerate(classes)
    ]


# When a run has levelled off (two-sided): over the last LEVEL_WINDOW of the steps the objective's least-squares trend
# moves (up *or* down) by less than LEVEL_TOLERANCE of the run's whole gain. A run still climbing at its average rate
# would move 20% over that window, so under 5% means its trend slowed at least fourfold. A trend, not the last value,
# because on Lite0 the objective zig-zags from step to step; and a falling trend is a run still moving, not a stopped
# one (a one-sided rule called a falling Lite0 run "levelled off" that later climbed by a third).
LEVEL_WINDOW, LEVEL_TOLERANCE = 0.20, 0.05


def objective_path(result: ClassVisualization, l2: float) -> np.ndarray:
    """Eq. (1) along a run, S_c - l2 ||I||^2 per step, from its history (what plain SGD ascends)."""
    return result.history.target_logit - float(l2) * result.history.norm.astype(np.float64) ** 2


def trend_share(path: Sequence[float] | np.ndarray, window: float = LEVEL_WINDOW) -> float:
    """The least-squares trend over the last `window` of a path, as a signed share of the path's whole gain."""
    values = np.asarray(path, dtype=np.float64)
    if values.ndim != 1 or len(values) < 3 or not np.isfinite(values).all():
        raise ValueError(f"trend_share needs a finite 1-D path of at least 3 values; got shape {values.shape}.")
    if not 0 < window <= 1:
        raise ValueError(f"window must be a share of the steps in (0, 1]; got {window!r}.")
    tail = values[-max(2, round(window * len(values))) :]
    rise = np.polyfit(np.arange(len(tail)), tail, 1)[0] * (len(tail) - 1)
    return float(rise / max(abs(float(np.mean(tail)) - float(values[0])), 1e-12))


def levelled_off(
    path: Sequence[float] | np.ndarray, window: float = LEVEL_WINDOW, tolerance: float = LEVEL_TOLERANCE
) -> tuple[bool, float]:
    """(whether the path's trend over its last `window` neither rose nor fell by `tolerance` of its gain, that share)."""
    if not 0 < tolerance < 1:
        raise ValueError(f"tolerance must be a share in (0, 1); got {tolerance!r}.")
    share = trend_share(path, window)
    return abs(share) < tolerance, share


def default_settings(classifier: Classifier, optimizer: str = "sgd") -> tuple[float, float]:
    """(lr, lambda) that make the paper's plain method work for this model (Adam: lr 0.05, same lambda)."""
    lr, l2 = SGD_DEFAULTS.get(
        classifier.arch, GENERIC_SGD_DEFAULT
    )  # by architecture: a renamed copy keeps its defaults
    return (ADAM_LR if optimizer == "adam" else lr), l2


def _check_ascent_settings(
    steps: int, lr: float | None, l2: float | None, objective: str, optimizer: str, seed: int
) -> dict:
    """Validate the scalar settings with messages that say what was expected."""
    check_ascent_numbers(steps, lr, l2)
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}; got {objective!r}.")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}; got {optimizer!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int; got {seed!r}.")
    return {"steps": int(steps), "objective": objective, "optimizer": optimizer, "seed": int(seed)}


def _check_not_diverged(
    x: torch.Tensor, logits: torch.Tensor, step: int, lr: float, lo: torch.Tensor, hi: torch.Tensor
) -> None:
    """Stop with advice when the image or the scores blow up (non-finite, or DIVERGED_RANGES beyond the pixel range)."""
    if not (torch.isfinite(x).all() and torch.isfinite(logits).all()):
        problem = "the image or the class scores became inf/NaN"
    else:
        span = float((hi - lo).abs().max())
        overshoot = float(torch.maximum(x - hi, lo - x).amax()) / span
        if overshoot <= DIVERGED_RANGES:
            return
        problem = f"the image lies {overshoot:.2g} pixel ranges outside the valid range"
    raise ValueError(
        f"Gradient ascent diverged after {step} step(s) with lr={lr:g}: {problem}. "
        "Lower lr (e.g. by a factor of 10-100; lr=None picks the model's default) or use optimizer='adam'."
    )


def _parse_regularizers(regularizers: Sequence[str | Regularizer]) -> list[Regularizer]:
    """Names or objects -> regularizer objects (at most one of each kind), each checked."""
    if isinstance(regularizers, (str, Regularizer)):
        regularizers = (regularizers,)
    out: list[Regularizer] = []
    for r in regularizers:
        if isinstance(r, str):
            if r.lower() not in REGULARIZERS:
                raise ValueError(f"Unknown regularizer {r!r}; use {tuple(REGULARIZERS)} or Jitter/Blur/Clip objects.")
            r = REGULARIZERS[r.lower()]
        if not isinstance(r, Regularizer):
            raise TypeError(f"A regularizer is a name or a Jitter/Blur/Clip object; got {type(r).__name__}.")
        if any(type(o) is type(r) for o in out):
            raise ValueError(f"Regularizer {type(r).__name__} given twice.")
        r.check()
        out.append(r)
    return out


def _initial_input(classifier: Classifier, init: str | torch.Tensor, n: int, gen: torch.Generator) -> torch.Tensor:
    """The starting batch (n,3,S,S) in normalised space: zeros (the paper), small noise, or a given tensor."""
    s = classifier.input_size
    if not isinstance(init, str):
        t = model_input(classifier, init).detach()  # the package's one input check (helpers.inputs)
        if t.shape[0] != 1:
            raise ValueError(f"init tensor must be one image (1,3,H,W); got a batch of {t.shape[0]}.")
        return t.expand(n, -1, -1, -1).clone().cpu()
    if init == "zeros":
        return torch.zeros(n, 3, s, s)
    if init == "random":
        return 0.1 * torch.randn(n, 3, s, s, generator=gen)
    raise ValueError(f"init must be one of {START_IMAGES} or a (1,3,H,W) tensor; got {init!r}.")


def _pixel_bounds(classifier: Classifier, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The normalised images of all-black and all-white pixels: the valid range for clipping."""
    ones = torch.ones(1, 3, size, size, device=classifier.device)
    return classifier.normalize(0 * ones), classifier.normalize(ones)


def _forward_input(x: torch.Tensor, regs: list[Regularizer], gen: torch.Generator) -> torch.Tensor:
    """The image the model sees this step: x through each regularizer's `before_forward` (jitter rolls it)."""
    x.requires_grad_(True)
    seen = x
    for r in regs:
        seen = r.before_forward(seen, gen)
    return seen


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (N,C,H,W) with reflect padding (radius 3 sigma)."""
    radius = max(1, int(np.ceil(3 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    c = x.shape[1]
    y = F.pad(x, (radius, radius, 0, 0), mode="reflect")
    y = F.conv2d(y, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    y = F.pad(y, (0, 0, radius, radius), mode="reflect")
    return F.conv2d(y, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
