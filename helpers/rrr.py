"""Saliency in the loss: "right for the right reasons" training (Ross, Hughes & Doshi-Velez 2017) on the toy world.

Simonyan et al. (2013) end with the wish to "incorporate image-specific saliency maps into learning formulations".
Ross et al. do it: the loss is cross-entropy plus lambda * sum_n || A_n * d(sum_k log p_k(x_n)) / dx_n ||^2, with
A_n = 1 on the pixels an expert marks as irrelevant (broadcast over the colour channels). The penalty is itself a
gradient, so training differentiates through it (double backprop, `create_graph=True`). `train_rrr` trains the
notebook-07 CNN (`shortcut_cnn`) with it, or with plain cross-entropy at `lam=0`; `annotation_for` builds the
annotations (the decoy, a random square, everything outside the object) on all or a share of the images.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .geometry import check_positive_int
from .paths import DATA_DIR
from .shortcut import SHORTCUT_SIZE, DecoyDataset, dilate_mask, other_corner_annotation, random_annotation
from .toyworld import ToyCNN, ToyDataset, normalize

__all__ = [
    "ANNOTATIONS",
    "SHORTCUT_WIDTHS",
    "RRRLoss",
    "RRRResult",
    "annotation_for",
    "annotation_tensor",
    "explanation_penalty",
    "log_prob_sum_gradient",
    "load_shipped_models",
    "rrr_loss",
    "shortcut_cnn",
    "shortcut_input",
    "shortcut_mean_image",
    "train_rrr",
]

AnnotationKind = Literal["decoy", "random", "other_corner", "outside_object", "outside_margin"]
ANNOTATIONS: tuple[str, ...] = ("decoy", "random", "other_corner", "outside_object", "outside_margin")
OUTSIDE_MARGIN = 3  # px left unannotated around the object by "outside_margin" (one try, on the tuning seed 100)
SHORTCUT_WIDTHS: tuple[int, ...] = (8, 16, 32)  # three conv blocks: 32 px -> 4 x 4, the toy CNN's head size
SHORTCUT_HIDDEN = 32
SHIPPED_DIR = DATA_DIR / "shortcut"  # the sweep's trained weights (benchmarks/train_shortcut_models.py makes them)
SHIPPED_WEIGHTS, SHIPPED_MANIFEST = SHIPPED_DIR / "models.pt", SHIPPED_DIR / "models.json"
# The training recipe of every notebook-07 run (tuned on seed 100, never a reported seed): Adam, one-cycle step size.
EPOCHS, BATCH_SIZE, LEARNING_RATE, WARMUP_SHARE = 48, 32, 3e-3, 0.15
_BUDGET_STREAM = 7  # seed offset of the draw of which images are annotated


def shortcut_cnn(size: int = SHORTCUT_SIZE) -> ToyCNN:
    """The toy CNN's architecture, smaller (3 blocks, no dropout), for `size`-px images: trains in seconds a epoch."""
    check_positive_int("size", size, minimum=8)
    model = ToyCNN(widths=SHORTCUT_WIDTHS, hidden=SHORTCUT_HIDDEN, dropout=0.0)
    model.input_size = int(size)  # saliency refuses other sizes, as for the toy CNN
    return model


def shortcut_mean_image(size: int = SHORTCUT_SIZE) -> np.ndarray:
    """A constant mid-grey mean image: every model of notebook 07 sees the same normalisation, whatever its data."""
    check_positive_int("size", size, minimum=8)
    return np.full((int(size), int(size), 3), 0.5, np.float32)


def shortcut_input(images: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 (N,H,W,3) images -> the normalised (N,3,H,W) float32 input of a `shortcut_cnn`, on `device`."""
    return normalize(images, shortcut_mean_image(int(np.shape(images)[-2]))).to(device)


def annotation_tensor(masks: np.ndarray | torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(N,H,W) bool annotations as an (N,1,H,W) float tensor on `like`'s device: it broadcasts over the channels."""
    a = torch.as_tensor(masks)
    if a.ndim != 3 or like.ndim != 4 or a.shape[0] != like.shape[0] or tuple(a.shape[1:]) != tuple(like.shape[2:]):
        raise ValueError(
            f"the annotation must be (N,H,W) for an (N,C,H,W) input, one mask per image; got {tuple(a.shape)} "
            f"for an input of shape {tuple(like.shape)}."
        )
    return a.to(device=like.device, dtype=like.dtype)[:, None]


def log_prob_sum_gradient(model: nn.Module, x: torch.Tensor, *, create_graph: bool = False) -> torch.Tensor:
    """d(sum_k log p_k)/dx for each image of a batch, (N,C,H,W): Ross et al.'s explanation, not the class score's.

    With `create_graph=True` the result stays differentiable in the model's weights (for the penalty's gradient).
    `x` is not modified; no `.grad` is written.
    """
    xg = x.detach().requires_grad_(True)
    with torch.enable_grad():
        log_p = F.log_softmax(model(xg), dim=1)
        (grad,) = torch.autograd.grad(log_p.sum(), xg, create_graph=create_graph)
    return grad


def explanation_penalty(model: nn.Module, x: torch.Tensor, annotation: torch.Tensor) -> torch.Tensor:
    """Per image, || A * d(sum_k log p_k)/dx ||^2 summed over channels and pixels, (N,); differentiable (double backprop)."""
    if annotation.ndim != 4 or annotation.shape[1] != 1:
        raise ValueError(
            f"annotation must be (N,1,H,W) (use annotation_tensor(masks, x)); got {tuple(annotation.shape)}."
        )
    grad = log_prob_sum_gradient(model, x, create_graph=True)
    return (annotation * grad).pow(2).sum(dim=(1, 2, 3))


@dataclass(frozen=True)
class RRRLoss:
    """One batch's loss: the total that is minimised, and its two parts (batch means)."""

    total: torch.Tensor
    cross_entropy: torch.Tensor
    penalty: torch.Tensor


def rrr_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor, annotation: torch.Tensor, lam: float) -> RRRLoss:
    """Cross-entropy + lam * mean over the batch of the explanation penalty; lam = 0 skips the double backprop."""
    if annotation.ndim != 4 or annotation.shape[0] != x.shape[0]:
        raise ValueError(
            f"annotation must be (N,1,H,W) with one mask per image of x {tuple(x.shape)}; got {tuple(annotation.shape)}."
        )
    if not lam >= 0:
        raise ValueError(f"lam (the penalty's weight) must be >= 0; got {lam}.")
    ce = F.cross_entropy(model(x), y)
    rows = annotation.flatten(1).any(dim=1) if lam > 0 else torch.zeros(0, dtype=torch.bool)
    if not rows.any():  # lam = 0, or no annotated image in the batch: the penalty is exactly zero
        return RRRLoss(ce, ce, torch.zeros((), device=x.device))
    # an unannotated image's penalty is zero: double backprop only through the annotated ones (same value, cheaper)
    penalty = explanation_penalty(model, x[rows], annotation[rows]).sum() / x.shape[0]
    return RRRLoss(ce + lam * penalty, ce, penalty)


def annotation_for(
    dataset: ToyDataset, kind: AnnotationKind = "decoy", *, budget: float = 1.0, seed: int = 0
) -> np.ndarray:
    """(N,H,W) bool annotation of irrelevant pixels on a `budget` share of the images (the others all False).

    `kind`: "decoy" (the decoy's exact mask), "random" (a square of the decoy's size at a random place: the
    baseline that carries no information), "other_corner" (a decoy-sized square at another free corner: the right
    kind of place, the wrong pixels), "outside_object" (every pixel outside the object's mask) or "outside_margin"
    (the same, leaving OUTSIDE_MARGIN px around the object free: a test of whether the shape's outer edge matters).
    """
    if kind not in ANNOTATIONS:
        raise ValueError(f"kind must be one of {ANNOTATIONS}; got {kind!r}.")
    if not 0.0 <= budget <= 1.0:
        raise ValueError(f"budget is the share of annotated images, between 0 and 1; got {budget}.")
    check_positive_int("seed", seed, minimum=0)
    if kind in ("decoy", "other_corner") and not isinstance(dataset, DecoyDataset):
        raise TypeError(f"kind={kind!r} needs a DecoyDataset (from generate_decoy); got {type(dataset).__name__}.")
    if kind == "decoy":
        masks = dataset.decoy_masks.copy()
    elif kind == "other_corner":
        masks = other_corner_annotation(dataset, seed)
    elif kind == "random":
        masks = random_annotation(dataset, seed)
    elif kind == "outside_object":
        masks = ~dataset.masks
    else:
        masks = ~np.stack([dilate_mask(m, OUTSIDE_MARGIN) for m in dataset.masks])
    n = len(dataset)
    chosen = np.random.Generator(np.random.PCG64([int(seed), _BUDGET_STREAM])).permutation(n)[: round(budget * n)]
    keep = np.zeros(n, bool)
    keep[chosen] = True
    masks[~keep] = False
    return masks


@dataclass
class RRRResult:
    """A trained model (eval mode, frozen) and its history: per-epoch losses, penalty, seconds, monitor answers."""

    model: ToyCNN
    losses: list[float]
    cross_entropy: list[float]
    penalty: list[float]
    epoch_seconds: list[float]
    config: dict[str, float | int | str] = field(default_factory=dict)
    monitor_correct: list[np.ndarray] = field(default_factory=list)  # per epoch, (M,) bool on the monitor images


def _check_training_args(train_set: ToyDataset, annotation: np.ndarray | None, lam: float) -> None:
    """Clear errors for a training set, annotation or lambda that do not fit together."""
    if not isinstance(train_set, ToyDataset):
        raise TypeError(f"train_rrr needs a ToyDataset (from generate_decoy); got {type(train_set).__name__}.")
    if not (isinstance(lam, (int, float)) and math.isfinite(lam) and lam >= 0):
        raise ValueError(f"lam (the penalty's weight) must be a finite number >= 0; got {lam!r}.")
    if lam > 0 and annotation is None:
        raise ValueError("lam > 0 needs an annotation (annotation_for(train_set, ...)); lam = 0 is plain training.")
    if annotation is not None and np.shape(annotation) != train_set.masks.shape:
        raise ValueError(
            f"annotation must have one (H,W) mask per training image, shape {train_set.masks.shape}; "
            f"got {np.shape(annotation)}."
        )


def _monitor_correct(model: nn.Module, monitor: ToyDataset | None) -> list[np.ndarray]:
    """Per image of `monitor`, whether the model (put in eval mode for it) gets the object's class; [] without one."""
    if monitor is None:
        return []
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        out = [
            model(shortcut_input(monitor.images[s : s + 500], device)).argmax(1).cpu().numpy()
            == monitor.labels[s : s + 500]
            for s in range(0, len(monitor), 500)
        ]
    model.train(was_training)
    return [np.concatenate(out)]


def train_rrr(
    train_set: ToyDataset,
    *,
    lam: float = 0.0,
    annotation: np.ndarray | None = None,
    epochs: int = EPOCHS,
    seed: int = 0,
    batch_size: int = BATCH_SIZE,
    lr: float = LEARNING_RATE,
    monitor: ToyDataset | None = None,
    device: torch.device | str = "cpu",
) -> RRRResult:
    """Train a fresh `shortcut_cnn` with cross-entropy + lam * penalty; deterministic per seed.

    Adam with a one-cycle step size (warm-up to `lr`, then down to almost 0 by the last step), so a run ends at a
    settled model. `lam = 0` is plain cross-entropy training (no double backprop), the same batches and initial
    weights as any other lam of the same seed: a lambda sweep changes one thing. With `monitor` (held-out images)
    each epoch's per-image answers on it are kept, to show whether training had settled. Returns the model in
    eval mode, frozen.
    """
    _check_training_args(train_set, annotation, lam)
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        check_positive_int(name, value)
    check_positive_int("seed", seed, minimum=0)
    if monitor is not None and not isinstance(monitor, ToyDataset):
        raise TypeError(f"monitor must be a ToyDataset of held-out images or None; got {type(monitor).__name__}.")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = shortcut_cnn(int(train_set.images.shape[1])).to(device)
    n = len(train_set)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=lr, total_steps=epochs * math.ceil(n / batch_size), pct_start=WARMUP_SHARE
    )
    x_all = shortcut_input(train_set.images, device)
    y_all = torch.from_numpy(train_set.labels).to(device)
    a_all = annotation_tensor(np.zeros(train_set.masks.shape, bool) if annotation is None else annotation, x_all)
    history: dict[str, list[float]] = {"loss": [], "ce": [], "penalty": [], "seconds": []}
    monitored: list[np.ndarray] = []
    for _ in range(epochs):
        model.train()
        t0 = time.perf_counter()
        sums = np.zeros(3)
        for idx in torch.randperm(n, generator=gen).to(device).split(batch_size):
            parts = rrr_loss(model, x_all[idx], y_all[idx], a_all[idx], lam)
            opt.zero_grad(set_to_none=True)
            parts.total.backward()
            opt.step()
            schedule.step()
            sums += len(idx) * np.array([float(p.detach()) for p in (parts.total, parts.cross_entropy, parts.penalty)])
        history["seconds"].append(time.perf_counter() - t0)
        for key, value in zip(("loss", "ce", "penalty"), sums / n):
            history[key].append(float(value))
        monitored += _monitor_correct(model, monitor)
    opt.zero_grad(set_to_none=True)  # no gradient left on the returned model's weights
    model.eval().requires_grad_(False)
    config = {"lam": float(lam), "epochs": epochs, "seed": seed, "batch_size": batch_size, "lr": lr, "n_train": n}
    return RRRResult(model, history["loss"], history["ce"], history["penalty"], history["seconds"], config, monitored)


def load_shipped_models(device: torch.device | str = "cpu") -> tuple[dict[str, ToyCNN], dict[str, dict]]:
    """The shipped models of notebook 07's sweeps by name (eval mode, frozen, float32) and their manifest entries."""
    for path in (SHIPPED_WEIGHTS, SHIPPED_MANIFEST):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing; make it with: python benchmarks/train_shortcut_models.py")
    states = torch.load(SHIPPED_WEIGHTS, weights_only=True, map_location="cpu")
    manifest = json.loads(SHIPPED_MANIFEST.read_text())
    models = {}
    for name, state in states.items():
        model = shortcut_cnn(int(manifest[name]["size"]))
        model.load_state_dict({k: v.float() for k, v in state.items()})
        models[name] = model.to(device).eval().requires_grad_(False)
    return models, manifest
