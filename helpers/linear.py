"""A linear (softmax) classifier on toy images, S_c(I) = w_c^T I + b_c (paper, Eq. 2): saliency is exactly the weights.

Notebook 01 trains it in seconds; as a `Classifier` it works with every saliency helper. On the cluttered toy
world (any position, size, rotation and colour) no template fits a class and the model is near chance; on the
centred-shape world of `generate_centred` (one colour, upright, near the centre) it is almost always right and
its templates w_c are readable pictures of what separates the classes.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import toyworld
from .geometry import check_positive_int
from .models import Classifier, freeze

CENTRED_SHAPE_COLOUR = (240, 200, 40)  # RGB of every shape in `generate_centred` (yellow)
CENTRED_BACKGROUND = (40, 60, 110)  # RGB of its plain background (dark blue)
CENTRED_RADIUS = (0.26, 0.34)  # circumradius range, as a fraction of the image side
CENTRED_NOISE = 20  # uniform integer pixel noise in [-A, A]


def generate_centred(
    n: int, seed: int = 0, size: int = toyworld.IMAGE_SIZE, jitter: float = 5.0
) -> toyworld.ToyDataset:
    """n images of one upright shape near the centre, in one colour on a plain noisy background (a task a linear model solves).

    The six toy-world classes, in their upright pose (no rotation), with a circumradius drawn from
    `CENTRED_RADIUS` x size and a centre within `jitter` pixels of the image centre, in `CENTRED_SHAPE_COLOUR` on
    `CENTRED_BACKGROUND`, plus uniform pixel noise. No strokes, no colour gradient. The same seed gives the
    same images; labels are balanced.
    """
    check_positive_int("n", n)
    check_positive_int("size", size, minimum=toyworld.MIN_IMAGE_SIZE)
    if not 0 <= jitter <= 0.1 * size:
        raise ValueError(
            f"jitter must lie in [0, {0.1 * size:g}] pixels (the shape must stay inside the image); got {jitter!r}"
        )
    n, size = int(n), int(size)
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    labels = rng.permutation(np.arange(n, dtype=np.int64) % len(toyworld.CLASSES))
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)
    images = np.empty((n, size, size, 3), np.uint8)
    masks = np.empty((n, size, size), bool)
    boxes = np.empty((n, 4), np.int64)
    for i, label in enumerate(labels):
        r = float(rng.uniform(CENTRED_RADIUS[0] * size, CENTRED_RADIUS[1] * size))
        cx, cy = (size - 1) / 2.0 + rng.uniform(-jitter, jitter, size=2)
        name = toyworld.CLASSES[int(label)]
        if name in ("circle", "ring"):
            d2 = (xs - cx) ** 2 + (ys - cy) ** 2
            mask = d2 <= (0.95 * r) ** 2
            if name == "ring":
                mask &= d2 > (0.55 * r) ** 2
        else:
            tpl = toyworld.POLYGONS[name]  # circumradius 1, upright
            pts = np.rint(np.stack([cx + r * tpl[:, 0], cy + r * tpl[:, 1]], axis=1) * 16).astype(np.int32)
            m = np.zeros((size, size), np.uint8)
            cv2.fillPoly(m, [pts], 1, lineType=cv2.LINE_8, shift=4)
            mask = m.astype(bool)
        img = np.empty((size, size, 3), np.int16)
        img[:] = CENTRED_BACKGROUND
        img[mask] = CENTRED_SHAPE_COLOUR
        img += rng.integers(-CENTRED_NOISE, CENTRED_NOISE + 1, size=img.shape, dtype=np.int16)
        images[i] = np.clip(img, 0, 255).astype(np.uint8)
        masks[i] = mask
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        boxes[i] = (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)
    return toyworld.ToyDataset(images, labels, masks, boxes)


class LinearClassifier(nn.Module):
    """S_c(I) = w_c^T I + b_c (paper, Eq. 2) on flattened (N,3,H,W) inputs."""

    def __init__(self, image_size: int = toyworld.IMAGE_SIZE, num_classes: int = len(toyworld.CLASSES)) -> None:
        super().__init__()
        self.image_size = image_size
        self.linear = nn.Linear(3 * image_size * image_size, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores (N, classes) of normalised (N,3,S,S) images."""
        if x.ndim != 4 or tuple(x.shape[1:]) != (3, self.image_size, self.image_size):
            raise ValueError(
                f"Expected input of shape (N,3,{self.image_size},{self.image_size}); got {tuple(x.shape)}."
            )
        return self.linear(x.flatten(1))

    def templates(self) -> torch.Tensor:
        """The weights w_c as images, shape (classes, 3, S, S)."""
        return self.linear.weight.detach().view(-1, 3, self.image_size, self.image_size)


def train_linear_classifier(
    data: toyworld.ToyDataset,
    *,
    epochs: int = 30,
    lr: float = 1e-3,
    weight_decay: float = 1e-2,
    batch_size: int = 256,
    seed: int = 0,
    device: str | torch.device = "cpu",
    optimizer: str = "adamw",
) -> Classifier:
    """Train a softmax linear classifier on toy images (cross-entropy) and wrap it as a frozen Classifier.

    Inputs are normalised like the toy CNN's ((pixels - mean image) / TOY_STD) with the training set's own mean image.
    The weights start at zero. `optimizer="adamw"` (AdamW) or `"sgd"` (SGD with momentum 0.9): with SGD a weight
    moves only as far as its pixel carries evidence, so pixels that never matter keep weights near zero and |w_c|
    reads as pixel importance; Adam scales every weight's step to the same size, noise pixels included.
    """
    if len(data) < 2:
        raise ValueError(f"Need at least 2 training images; got {len(data)}.")
    if optimizer not in ("adamw", "sgd"):
        raise ValueError(f"optimizer must be 'adamw' or 'sgd'; got {optimizer!r}.")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    size = data.images.shape[1]
    mean_image = (data.images.mean(axis=0, dtype=np.float64) / 255.0).astype(np.float32)
    x = toyworld.normalize(data.images, mean_image)
    y = torch.from_numpy(data.labels)
    model = LinearClassifier(size)
    nn.init.zeros_(model.linear.weight)
    nn.init.zeros_(model.linear.bias)
    if optimizer == "adamw":
        opt: torch.optim.Optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    for _ in range(epochs):
        perm = torch.randperm(len(y), generator=gen)
        for s in range(0, len(y), batch_size):
            idx = perm[s : s + batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    opt.zero_grad(set_to_none=True)  # the returned model carries no training gradients
    dev = torch.device(device)
    return Classifier(
        name="linear",
        model=freeze(model, dev),
        device=dev,
        categories=list(toyworld.CLASSES),
        mean=torch.from_numpy(mean_image).permute(2, 0, 1).contiguous(),
        std=torch.tensor(toyworld.TOY_STD, dtype=torch.float32).view(3, 1, 1),
        input_size=size,
        crop_fraction=1.0,  # toy images are made at S x S: no crop
    )


def toy_inputs(classifier: Classifier, images: np.ndarray) -> torch.Tensor:
    """uint8 (N,S,S,3) toy images -> the classifier's normalised (N,3,S,S) input on its device."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div(255.0)
    return classifier.normalize(x.to(classifier.device))


def accuracy(classifier: Classifier, data: toyworld.ToyDataset, batch_size: int = 500) -> float:
    """Top-1 accuracy of a toy-world classifier on a dataset (`helpers.toyworld.top1_accuracy` on its inputs)."""
    return toyworld.top1_accuracy(classifier.model, data, lambda images: toy_inputs(classifier, images), batch_size)


def predict(classifier: Classifier, data: toyworld.ToyDataset, batch_size: int = 500) -> np.ndarray:
    """The top-scoring class of every image, (N,) int64: per-image answers, for paired comparisons of two models."""
    check_positive_int("batch_size", batch_size)
    with torch.no_grad():
        parts = [
            classifier.model(toy_inputs(classifier, data.images[s : s + batch_size])).argmax(1).cpu().numpy()
            for s in range(0, len(data), batch_size)
        ]
    return np.concatenate(parts).astype(np.int64)


def per_image_loss(classifier: Classifier, data: toyworld.ToyDataset, batch_size: int = 500) -> np.ndarray:
    """The cross-entropy of every image, (N,) float64: the training objective image by image, for paired tests."""
    check_positive_int("batch_size", batch_size)
    labels = torch.from_numpy(data.labels).to(classifier.device)
    with torch.no_grad():
        parts = [
            F.cross_entropy(
                classifier.model(toy_inputs(classifier, data.images[s : s + batch_size])).double(),
                labels[s : s + batch_size],
                reduction="none",
            )
            .cpu()
            .numpy()
            for s in range(0, len(data), batch_size)
        ]
    return np.concatenate(parts)


def importance_by_coverage(classifier: Classifier, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per class, the mean importance max_colour |w_c| on pixels some mask covers and on pixels none covers.

    Any trained model puts more weight on covered pixels (never-covered ones carry no class information), and the
    ratio's size depends on training length, so read it only against a control trained identically on
    `shuffled_labels`. `masks` is a bool (N,S,S) stack, e.g. a training set's object masks.
    Returns two (classes,) float64 arrays: (covered, never covered).
    """
    model = classifier.model
    if not isinstance(model, LinearClassifier):
        raise TypeError(
            f"importance_by_coverage needs a linear model (from train_linear_classifier); got {type(model).__name__}."
        )
    masks = np.asarray(masks)
    size = model.image_size
    if masks.dtype != bool or masks.ndim != 3 or masks.shape[1:] != (size, size):
        raise ValueError(f"masks must be a bool (N,{size},{size}) array; got {masks.dtype} {masks.shape}.")
    covered = torch.from_numpy(masks.any(axis=0))
    if bool(covered.all()) or not bool(covered.any()):
        raise ValueError(
            "masks must cover some pixels and leave some uncovered (the comparison needs both); "
            f"they cover {int(covered.sum())} of {size * size}."
        )
    importance = model.templates().abs().amax(dim=1).cpu().double()  # (classes, S, S)
    return importance[:, covered].mean(1).numpy(), importance[:, ~covered].mean(1).numpy()


def shuffled_labels(data: toyworld.ToyDataset, seed: int = 0) -> toyworld.ToyDataset:
    """The same images with their labels permuted: a control that any label-free effect of training also passes."""
    if len(data) < 2:
        raise ValueError(f"Need at least 2 images to shuffle labels; got {len(data)}.")
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    return toyworld.ToyDataset(data.images, rng.permutation(data.labels), data.masks, data.boxes)


def exact_reach(errors: np.ndarray, steps: np.ndarray, level: float) -> float:
    """The largest step before the error first reaches `level`: where the first-order expansion stops being exact.

    The error of Eq. 3 is not monotone in the step (it can dip back under `level` after a ReLU switch), so the
    first crossing, not the last step below, marks the end of the exact piece. Returns 0.0 if the smallest step
    already reaches `level`, and the largest step (a lower bound) if no step does.
    """
    errors, steps = np.asarray(errors, dtype=np.float64), np.asarray(steps, dtype=np.float64)
    if errors.ndim != 1 or errors.shape != steps.shape or len(steps) == 0:
        raise ValueError(
            f"errors and steps must be 1-D arrays of one non-zero length; got {errors.shape} and {steps.shape}."
        )
    if not np.all(np.diff(steps) > 0):
        raise ValueError("steps must increase strictly (the error is read from the smallest step up).")
    if np.isnan(errors).any():
        raise ValueError("errors must not contain NaN.")
    crossed = np.flatnonzero(errors >= level)
    if len(crossed) == 0:
        return float(steps[-1])
    return 0.0 if crossed[0] == 0 else float(steps[crossed[0] - 1])
