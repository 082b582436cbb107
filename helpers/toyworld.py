"""Toy shape world: a procedural 6-class image dataset and a small VGG-style CNN.

The course uses this tiny, fully controlled world to run the methods of Simonyan,
Vedaldi & Zisserman (2013) on CPU in seconds: every image holds exactly one shape
whose class, pixel mask and bounding box are known, so saliency maps and
GraphCut/GrabCut localisation can be scored against ground truth.

Generation is bit-reproducible: all randomness comes from one
``numpy.random.Generator(PCG64(seed))`` using integer/uniform draws only, geometry
uses only +, -, *, /, sqrt (no libm trig), and masks are rasterised with
integer cv2 routines or exact numpy comparisons.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .geometry import check_positive_int
from .paths import DATA_DIR as _COURSE_DATA_DIR

__all__ = [
    "CLASSES",
    "IMAGE_SIZE",
    "TOY_STD",
    "TOY_DIR",
    "POLYGONS",
    "WEIGHTS_PATH",
    "MEAN_IMAGE_PATH",
    "LOG_PATH",
    "ToyDataset",
    "ToyCNN",
    "TrainResult",
    "generate",
    "normalize",
    "train",
    "evaluate",
    "top1_accuracy",
    "load_toy_cnn",
    "main",
]

CLASSES: tuple[str, ...] = ("circle", "square", "triangle", "star", "cross", "ring")
IMAGE_SIZE = 64
MIN_IMAGE_SIZE = 32
# Per-channel pixel std (in [0,1] units) of generated images, rounded; fixed so that
# the normalisation never depends on the data a model happens to be trained on.
TOY_STD: tuple[float, float, float] = (0.26, 0.26, 0.26)

TOY_DIR = _COURSE_DATA_DIR / "toy"  # the toy CNN's files, inside the course data folder `helpers.paths.DATA_DIR`
WEIGHTS_PATH = TOY_DIR / "toy_cnn.pt"
MEAN_IMAGE_PATH = TOY_DIR / "mean_image.npy"
LOG_PATH = TOY_DIR / "training_log.json"

HELDOUT_SEED_OFFSET = 10_000
REGENERATE_CMD = "python -m helpers.toyworld train"  # --out defaults to the data/toy folder in use

# ----------------------------------------------------------------------------------
# Generation parameters (fractions refer to the image side).
_RADIUS_RANGE = (0.20, 0.30)  # circumradius -> object extent ~34-60% of the side
_BORDER_MARGIN = 2  # pixels kept free between the object and the image border
_MIN_COLOUR_DIST = 90.0  # min RGB distance between object colour and background colours
_NOISE_AMPLITUDE = 10  # uniform integer pixel noise in [-A, A]
_N_STROKES = (3, 7)  # distractor strokes per image, [lo, hi)
_STROKE_ALPHA = (0.25, 0.5)  # strokes are blended, i.e. lower contrast than objects
_CHUNK = 256  # images per vectorised chunk (part of the data definition: changing it changes the data)
_SUBPIX_SHIFT = 4  # cv2.fillPoly fixed-point bits (1/16 px vertex precision)
# distractors=True: an ellipse in the object's colour, area 0.67-1.5x the object's in pixels, log-uniform (as often smaller
# as larger, so size is no cue), aspect 1.6-2.4, >= 3 px away; where none fits, the object is drawn again (_OBJECT_TRIES)
_DISTRACTOR_AREA, _DISTRACTOR_ASPECT, _DISTRACTOR_GAP, _DISTRACTOR_TRIES = (0.67, 1.5), (1.6, 2.4), 3, 256
_OBJECT_TRIES = 64

# Shape templates with circumradius 1, built from sqrt only (bit-stable everywhere).
_S5 = math.sqrt(5.0)
_C36, _S36 = (1.0 + _S5) / 4.0, math.sqrt(10.0 - 2.0 * _S5) / 4.0
_C72, _S72 = (_S5 - 1.0) / 4.0, math.sqrt(10.0 + 2.0 * _S5) / 4.0
_COS36K = (1.0, _C36, _C72, -_C72, -_C36, -1.0, -_C36, -_C72, _C72, _C36)
_SIN36K = (0.0, _S36, _S72, _S72, _S36, 0.0, -_S36, -_S72, -_S72, -_S36)
_STAR_INNER = 0.45
_CROSS_W = 0.3
_CROSS_L = math.sqrt(1.0 - _CROSS_W**2)
_HALF = math.sqrt(0.5)
# The polygon classes at circumradius 1, upright; public because helpers.linear draws the same shapes.
POLYGONS: dict[str, np.ndarray] = {
    "square": np.array([[_HALF, _HALF], [-_HALF, _HALF], [-_HALF, -_HALF], [_HALF, -_HALF]]),
    "triangle": np.array([[1.0, 0.0], [-0.5, math.sqrt(3.0) / 2.0], [-0.5, -math.sqrt(3.0) / 2.0]]),
    "star": np.array(
        [
            [c * (1.0 if k % 2 == 0 else _STAR_INNER), s * (1.0 if k % 2 == 0 else _STAR_INNER)]
            for k, (c, s) in enumerate(zip(_COS36K, _SIN36K))
        ]
    ),
    "cross": np.array(
        [
            [_CROSS_L, _CROSS_W],
            [_CROSS_W, _CROSS_W],
            [_CROSS_W, _CROSS_L],
            [-_CROSS_W, _CROSS_L],
            [-_CROSS_W, _CROSS_W],
            [-_CROSS_L, _CROSS_W],
            [-_CROSS_L, -_CROSS_W],
            [-_CROSS_W, -_CROSS_W],
            [-_CROSS_W, -_CROSS_L],
            [_CROSS_W, -_CROSS_L],
            [_CROSS_W, -_CROSS_W],
            [_CROSS_L, -_CROSS_W],
        ]
    ),
}
_DISC_RADIUS = 0.95
_RING_INNER = 0.55


@dataclass
class ToyDataset:
    """A batch of toy images with labels, exact object masks and tight boxes."""

    images: np.ndarray  # (N, H, W, 3) uint8 RGB
    labels: np.ndarray  # (N,) int64
    masks: np.ndarray  # (N, H, W) bool, exact object pixels
    boxes: np.ndarray  # (N, 4) int64 (x0, y0, x1, y1), x1/y1 exclusive
    CLASSES: ClassVar[tuple[str, ...]] = CLASSES

    def __len__(self) -> int:
        """Number of images."""
        return int(self.labels.shape[0])

    def subset(self, idx: Any) -> ToyDataset:
        """Return a new dataset holding only the selected items (index, slice or mask)."""
        if isinstance(idx, (int, np.integer)):
            idx = [int(idx)]
        return ToyDataset(self.images[idx], self.labels[idx], self.masks[idx], self.boxes[idx])

    def class_names(self) -> list[str]:
        """Class name of every item, handy for plot titles."""
        return [self.CLASSES[int(k)] for k in self.labels]


# ----------------------------------------------------------------------------------
# Generation


def _unit_vector(rng: np.random.Generator) -> tuple[float, float]:
    """Uniformly random 2-D direction via rejection sampling (no trig, bit-stable)."""
    while True:
        u, v = rng.uniform(-1.0, 1.0, size=2)
        n2 = u * u + v * v
        if 0.01 < n2 <= 1.0:
            n = math.sqrt(n2)
            return float(u / n), float(v / n)


def _backgrounds(rng: np.random.Generator, m: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """m linear colour gradients (float32 (m,H,W,3)) between two random colours each; also returns the colour pairs."""
    cols = rng.integers(0, 256, size=(m, 2, 3)).astype(np.float32)
    dirs = np.array([_unit_vector(rng) for _ in range(m)], np.float32)
    coord = (np.arange(size, dtype=np.float32) - np.float32((size - 1) / 2.0)) / np.float32(size * 0.75)
    t = coord[None, None, :] * dirs[:, 0, None, None] + coord[None, :, None] * dirs[:, 1, None, None] + np.float32(0.5)
    t = np.clip(t, np.float32(0.0), np.float32(1.0))[..., None]
    c0, c1 = cols[:, 0, None, None, :], cols[:, 1, None, None, :]
    return c0 + t * (c1 - c0), cols


_BEZIER_T = np.linspace(0.0, 1.0, 9)[:, None]
_BEZIER_W = np.concatenate([(1 - _BEZIER_T) ** 2, 2 * (1 - _BEZIER_T) * _BEZIER_T, _BEZIER_T**2], axis=1)  # (9, 3)


def _add_strokes(rng: np.random.Generator, img: np.ndarray) -> None:
    """Blend a few thin, semi-transparent straight or curved distractor strokes into img (in place)."""
    size = img.shape[0]
    k = int(rng.integers(*_N_STROKES))
    ctrl = rng.integers(-size // 4, size + size // 4, size=(k, 3, 2)).astype(np.float64)  # start, control, end
    curved = rng.integers(0, 2, size=k)
    colours = np.zeros((k + 1, 3), np.float32)
    colours[1:] = rng.integers(0, 256, size=(k, 3))
    alphas = np.zeros((k + 1, 1), np.float32)
    alphas[1:, 0] = rng.uniform(*_STROKE_ALPHA, size=k)
    index = np.zeros((size, size), np.uint8)  # which stroke covers each pixel (0 = none, later wins)
    for j in range(k):
        pts = _BEZIER_W @ ctrl[j] if curved[j] else ctrl[j, [0, 2]]
        cv2.polylines(index, [np.rint(pts).astype(np.int32)], False, j + 1, thickness=1, lineType=cv2.LINE_8)
    ys, xs = np.nonzero(index)
    j = index[ys, xs]
    a = alphas[j]
    img[ys, xs] = img[ys, xs] * (np.float32(1.0) - a) + colours[j] * a


def _seg_dist2(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Squared distance of colour p to the colour segment [a, b] (the gradient's range)."""
    ab = b - a
    denom = float(ab @ ab)
    t = 0.0 if denom == 0.0 else min(1.0, max(0.0, float((p - a) @ ab) / denom))
    d = p - (a + t * ab)
    return float(d @ d)


def _object_colour(rng: np.random.Generator, c0: np.ndarray, c1: np.ndarray) -> np.ndarray:
    """Random colour at least _MIN_COLOUR_DIST away from every background gradient colour."""
    a, b = c0.astype(np.float64), c1.astype(np.float64)
    for _ in range(64):
        c = rng.integers(0, 256, size=3).astype(np.float64)
        if _seg_dist2(c, a, b) >= _MIN_COLOUR_DIST**2:
            return c.astype(np.float32)
    corners = np.array([[r, g, bl] for r in (0, 255) for g in (0, 255) for bl in (0, 255)], np.float64)
    best = max(range(8), key=lambda i: _seg_dist2(corners[i], a, b))
    return corners[best].astype(np.float32)


def _shape_mask(rng: np.random.Generator, label: int, size: int, grid: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Exact boolean mask of one randomly scaled, rotated and placed shape."""
    lo, hi = _RADIUS_RANGE
    r = float(rng.uniform(lo * size, hi * size))
    margin = r + _BORDER_MARGIN
    cx = float(rng.uniform(margin, size - 1 - margin))
    cy = float(rng.uniform(margin, size - 1 - margin))
    c, s = _unit_vector(rng)
    name = CLASSES[label]
    if name in ("circle", "ring"):
        xs, ys = grid
        d2 = (xs.astype(np.float64) - cx) ** 2 + (ys.astype(np.float64) - cy) ** 2
        mask = d2 <= (_DISC_RADIUS * r) ** 2
        if name == "ring":
            mask &= d2 > (_RING_INNER * r) ** 2
        return mask
    tpl = POLYGONS[name]
    px = cx + r * (c * tpl[:, 0] - s * tpl[:, 1])
    py = cy + r * (s * tpl[:, 0] + c * tpl[:, 1])
    pts = np.rint(np.stack([px, py], axis=1) * (1 << _SUBPIX_SHIFT)).astype(np.int32)
    m = np.zeros((size, size), np.uint8)
    cv2.fillPoly(m, [pts], 1, lineType=cv2.LINE_8, shift=_SUBPIX_SHIFT)
    return m.astype(bool)


def _box_from_mask(mask: np.ndarray) -> np.ndarray:
    """Tight (x0, y0, x1, y1) box with exclusive x1/y1."""
    ys = np.flatnonzero(mask.any(axis=1))
    xs = np.flatnonzero(mask.any(axis=0))
    return np.array([xs[0], ys[0], xs[-1] + 1, ys[-1] + 1], np.int64)


def _distractor_mask(rng: np.random.Generator, obj: np.ndarray, grid: tuple[np.ndarray, ...]) -> np.ndarray | None:
    """An elongated ellipse inside the image, 0.67-1.5x the object's pixel area, >= _DISTRACTOR_GAP px from it (None if none fits)."""
    size, n_obj = obj.shape[0], float(obj.sum())
    radius = math.sqrt(n_obj / math.pi)  # radius of a disc of the object's area
    xs, ys = (g.astype(np.float64) for g in grid)
    keep_out = cv2.dilate(obj.astype(np.uint8), np.ones((2 * _DISTRACTOR_GAP + 1,) * 2, np.uint8)).astype(bool)
    side = math.log(_DISTRACTOR_AREA[int(rng.random() < 0.5)])  # smaller or larger, even odds kept over the tries
    for _ in range(_DISTRACTOR_TRIES):
        area, aspect = math.exp(side * rng.random()), float(rng.uniform(*_DISTRACTOR_ASPECT))
        a, b = radius * math.sqrt(area * aspect), radius * math.sqrt(area / aspect)
        c, s = _unit_vector(rng)
        hx, hy = math.sqrt((a * c) ** 2 + (b * s) ** 2), math.sqrt((a * s) ** 2 + (b * c) ** 2)  # half extents
        lo_x, hi_x, lo_y, hi_y = (
            hx + _BORDER_MARGIN,
            size - 1 - hx - _BORDER_MARGIN,
            hy + _BORDER_MARGIN,
            size - 1 - hy - _BORDER_MARGIN,
        )
        if lo_x < hi_x and lo_y < hi_y:
            cx, cy = float(rng.uniform(lo_x, hi_x)), float(rng.uniform(lo_y, hi_y))
            u, v = (xs - cx) * c + (ys - cy) * s, -(xs - cx) * s + (ys - cy) * c
            mask = (u / a) ** 2 + (v / b) ** 2 <= 1.0
            if _DISTRACTOR_AREA[0] <= mask.sum() / n_obj <= _DISTRACTOR_AREA[1] and not (mask & keep_out).any():
                return mask
    return None


def _object_and_distractor(rng: np.random.Generator, label: int, size: int, grid: tuple[np.ndarray, ...]) -> tuple:
    """The shape's mask and a distractor's; the shape is drawn again where no distractor fits beside it."""
    for _ in range(_OBJECT_TRIES):
        mask = _shape_mask(rng, label, size, grid)
        if (blob := _distractor_mask(rng, mask, grid)) is not None:
            return mask, blob
    msg = f"No distractor of {_DISTRACTOR_AREA}x the object's area fits beside a {CLASSES[label]}"
    raise ValueError(f"{msg} in a {size}x{size} image ({_OBJECT_TRIES} tries); use a larger size or distractors=False.")


def _draw_object(
    rng: np.random.Generator,
    img: np.ndarray,
    cols: np.ndarray,
    label: int,
    grid: tuple[np.ndarray, np.ndarray],
    distractors: bool = False,
) -> np.ndarray:
    """Add strokes and one contrasting shape (and, if asked, a distractor in its colour) to a background (in place); returns the shape's mask."""
    _add_strokes(rng, img)
    n = img.shape[0]
    mask, d = _object_and_distractor(rng, label, n, grid) if distractors else (_shape_mask(rng, label, n, grid), False)
    img[mask | d] = _object_colour(rng, cols[0], cols[1])  # d: the distractor, or no pixel
    return mask


def generate(n: int, seed: int = 0, size: int = IMAGE_SIZE, *, distractors: bool = False) -> ToyDataset:
    """n cluttered one-shape images, bit-identical per seed; `distractors=True` adds a blob in the object's colour, 0.67-1.5x its area."""
    if not isinstance(distractors, bool):
        raise TypeError(f"distractors must be True or False; got {distractors!r}.")
    check_positive_int("n", n)
    check_positive_int("size", size, minimum=MIN_IMAGE_SIZE)
    check_positive_int("seed", seed, minimum=0)
    n, size = int(n), int(size)
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    labels = rng.permutation(np.arange(n, dtype=np.int64) % len(CLASSES))
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    grid = (xs, ys)
    images = np.empty((n, size, size, 3), np.uint8)
    masks = np.empty((n, size, size), bool)
    boxes = np.empty((n, 4), np.int64)
    for start in range(0, n, _CHUNK):  # fixed chunking: vectorised backgrounds/noise, same draws for any machine
        stop = min(n, start + _CHUNK)
        imgs, cols = _backgrounds(rng, stop - start, size)
        for j, i in enumerate(range(start, stop)):
            masks[i] = _draw_object(rng, imgs[j], cols[j], int(labels[i]), grid, distractors)
            boxes[i] = _box_from_mask(masks[i])
        noise = rng.integers(-_NOISE_AMPLITUDE, _NOISE_AMPLITUDE + 1, size=imgs.shape, dtype=np.int16)
        images[start:stop] = np.clip(np.rint(imgs).astype(np.int16) + noise, 0, 255).astype(np.uint8)
    return ToyDataset(images, labels, masks, boxes)


# ----------------------------------------------------------------------------------
# Model and normalisation


class ToyCNN(nn.Module):
    """Small VGG-style CNN (3x3 conv + ReLU + max-pool blocks, MLP head), no BatchNorm."""

    # The side it is trained at (with a mean image of that size); saliency refuses other sizes,
    # which the adaptive pooling would otherwise accept without a word.
    input_size: int = IMAGE_SIZE

    def __init__(
        self,
        num_classes: int = len(CLASSES),
        widths: Sequence[int] = (8, 24, 48, 96),
        hidden: int = 128,
        dropout: float = 0.3,
    ) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {num_classes}")
        layers: list[nn.Module] = []
        cin = 3
        for w in widths:
            layers += [nn.Conv2d(cin, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            cin = w
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(4)  # 4x4 for 64 px input; lets other sizes work too
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(cin * 16, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, num_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map normalised (N,3,H,W) images to class logits (N, num_classes)."""
        return self.classifier(self.pool(self.features(x)))


def normalize(images_uint8: np.ndarray | torch.Tensor, mean_image: np.ndarray) -> torch.Tensor:
    """(images/255 - mean_image) / TOY_STD as float32 (N,3,H,W); the model's input contract.

    Accepts (N,H,W,3) or a single (H,W,3) image with values in 0..255. If the spatial
    size differs from mean_image, the mean image is bilinearly resized to match.
    """
    x = torch.as_tensor(images_uint8)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"images must have shape (N,H,W,3) or (H,W,3), got {tuple(x.shape)}")
    mean = np.asarray(mean_image, dtype=np.float32)
    if mean.ndim != 3 or mean.shape[-1] != 3:
        raise ValueError(f"mean_image must have shape (H,W,3), got {mean.shape}")
    h, w = int(x.shape[1]), int(x.shape[2])
    if mean.shape[:2] != (h, w):
        mean = cv2.resize(mean, (w, h), interpolation=cv2.INTER_LINEAR)
    mean_t = torch.from_numpy(np.ascontiguousarray(mean)).permute(2, 0, 1).to(x.device)
    std_t = torch.tensor(TOY_STD, dtype=torch.float32, device=x.device).view(3, 1, 1)
    x = x.permute(0, 3, 1, 2).to(torch.float32) / 255.0
    return ((x - mean_t) / std_t).contiguous()


# ----------------------------------------------------------------------------------
# Training / evaluation


@dataclass
class TrainResult:
    """Outcome of train(): model (eval mode), mean image, per-epoch losses and held-out accuracy."""

    model: ToyCNN
    mean_image: np.ndarray
    losses: list[float]
    accuracy: float
    wall_time_s: float
    log: dict[str, Any] = field(default_factory=dict)


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random per-sample horizontal/vertical flips (class-preserving for every shape)."""
    n = x.shape[0]
    fh = torch.rand(n, generator=gen) < 0.5
    fv = torch.rand(n, generator=gen) < 0.5
    x = torch.where(fh.view(n, 1, 1, 1), x.flip(3), x)
    return torch.where(fv.view(n, 1, 1, 1), x.flip(2), x)


@torch.no_grad()
def evaluate(model: nn.Module, dataset: ToyDataset, mean_image: np.ndarray, batch_size: int = 256) -> float:
    """Top-1 accuracy of model on dataset, its images normalised with `mean_image` (puts the model in eval mode)."""
    if not isinstance(dataset, ToyDataset):
        raise TypeError(
            f"evaluate(model, dataset, mean_image) needs a ToyDataset (from generate(...)) as dataset; "
            f"got {type(dataset).__name__}."
        )
    model.eval()
    device = next(model.parameters()).device
    return top1_accuracy(model, dataset, lambda images: normalize(images, mean_image).to(device), batch_size)


@torch.no_grad()
def top1_accuracy(
    model: Callable[[torch.Tensor], torch.Tensor],
    dataset: ToyDataset,
    to_input: Callable[[np.ndarray], torch.Tensor],
    batch_size: int = 256,
) -> float:
    """Share of `dataset` whose top-scoring class is its label; `to_input` turns uint8 (n,H,W,3) images into model inputs.

    The one accuracy loop: `evaluate` (a module and its mean image) and `helpers.linear.accuracy` (a Classifier) use it.
    """
    check_positive_int("batch_size", batch_size)
    correct = 0
    for s in range(0, len(dataset), batch_size):
        pred = model(to_input(dataset.images[s : s + batch_size])).argmax(1).cpu().numpy()
        correct += int((pred == dataset.labels[s : s + batch_size]).sum())
    return correct / len(dataset)


def _save(out_dir: Path, model: nn.Module, mean_image: np.ndarray, log: dict[str, Any]) -> None:
    """Write weights, mean image and training log into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out_dir / WEIGHTS_PATH.name)
    np.save(out_dir / MEAN_IMAGE_PATH.name, mean_image.astype(np.float32))
    (out_dir / LOG_PATH.name).write_text(json.dumps(log, indent=2) + "\n")


def train(
    n_train: int = 12_000,
    epochs: int = 6,
    seed: int = 0,
    batch_size: int = 64,
    lr: float = 3e-3,
    weight_decay: float = 1e-4,
    n_heldout: int = 2000,
    progress: bool = True,
    out_dir: str | Path | None = None,
) -> TrainResult:
    """Train ToyCNN from scratch on generated data (deterministic given seed)."""
    for name, v in (("n_train", n_train), ("epochs", epochs), ("batch_size", batch_size), ("n_heldout", n_heldout)):
        check_positive_int(name, v)
    check_positive_int("seed", seed, minimum=0)
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    data = generate(n_train, seed=seed)
    heldout = generate(n_heldout, seed=seed + HELDOUT_SEED_OFFSET)
    mean_image = (data.images.mean(axis=0, dtype=np.float64) / 255.0).astype(np.float32)
    images = torch.from_numpy(data.images)
    labels = torch.from_numpy(data.labels)

    model = ToyCNN()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps_per_epoch = math.ceil(n_train / batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch, pct_start=0.2)
    losses: list[float] = []
    bar = tqdm(total=epochs * steps_per_epoch, disable=not progress, desc="train ToyCNN", unit="batch")
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n_train, generator=gen)
        total, count = 0.0, 0
        for s in range(0, n_train, batch_size):
            idx = perm[s : s + batch_size]
            x = _augment(normalize(images[idx], mean_image), gen)
            loss = F.cross_entropy(model(x), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
            count += len(idx)
            bar.update(1)
        losses.append(total / count)
        bar.set_postfix(epoch=epoch + 1, loss=f"{losses[-1]:.4f}")
    bar.close()
    accuracy = evaluate(model, heldout, mean_image)
    model.requires_grad_(False)
    wall = time.perf_counter() - t0
    log = {
        "seed": seed,
        "epochs": epochs,
        "n_train": n_train,
        "batch_size": batch_size,
        "lr": lr,
        "weight_decay": weight_decay,
        "epoch_losses": losses,
        "final_train_loss": losses[-1],
        "heldout_seed": seed + HELDOUT_SEED_OFFSET,
        "heldout_n": n_heldout,
        "heldout_accuracy": accuracy,
        "wall_time_s": round(wall, 1),
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "cv2_version": cv2.__version__,
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "classes": list(CLASSES),
        "toy_std": list(TOY_STD),
    }
    if out_dir is not None:
        _save(Path(out_dir), model, mean_image, log)
    return TrainResult(model, mean_image, losses, accuracy, wall, log)


def load_toy_cnn(device: str | torch.device = "cpu") -> tuple[ToyCNN, np.ndarray]:
    """Load the shipped ToyCNN (eval mode, frozen) and its training mean image."""
    for path in (WEIGHTS_PATH, MEAN_IMAGE_PATH):
        if not Path(path).is_file():
            raise FileNotFoundError(f"Toy model file not found: {path}. Regenerate it with: {REGENERATE_CMD}")
    model = ToyCNN()
    model.load_state_dict(torch.load(WEIGHTS_PATH, weights_only=True, map_location=device))
    model.to(device).eval().requires_grad_(False)
    mean_image = np.load(MEAN_IMAGE_PATH).astype(np.float32)
    return model, mean_image


# ----------------------------------------------------------------------------------
# CLI


def _build_parser() -> argparse.ArgumentParser:
    """Argument parser for `python -m helpers.toyworld`."""
    p = argparse.ArgumentParser(
        prog="python -m helpers.toyworld", description="Toy shape world: train or evaluate the ToyCNN."
    )
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train ToyCNN on generated data and save weights, mean image and log")
    t.add_argument("--seed", type=int, default=0, help="seed for data generation, init and shuffling (default 0)")
    t.add_argument("--epochs", type=int, default=6, help="training epochs (default 6)")
    t.add_argument("--n-train", type=int, default=12_000, help="number of training images (default 12000)")
    t.add_argument("--batch-size", type=int, default=64, help="mini-batch size (default 64)")
    t.add_argument("--lr", type=float, default=3e-3, help="peak learning rate of the one-cycle schedule (default 3e-3)")
    t.add_argument("--out", type=Path, default=TOY_DIR, help=f"output folder (default {TOY_DIR})")
    t.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    e = sub.add_parser("evaluate", help="accuracy of the shipped weights on freshly generated images")
    e.add_argument("--n", type=int, default=2000, help="number of test images (default 2000)")
    e.add_argument("--seed", type=int, default=12345, help="seed of the test images (default 12345)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point."""
    args = _build_parser().parse_args(argv)
    if args.command == "train":
        res = train(
            n_train=args.n_train,
            epochs=args.epochs,
            seed=args.seed,
            batch_size=args.batch_size,
            lr=args.lr,
            progress=not args.no_progress,
            out_dir=args.out,
        )
        print(
            f"held-out accuracy {res.accuracy:.4f}, final loss {res.losses[-1]:.4f}, "
            f"wall time {res.wall_time_s:.0f} s, saved to {args.out}"
        )
    else:
        model, mean_image = load_toy_cnn()
        acc = evaluate(model, generate(args.n, seed=args.seed), mean_image)
        print(f"accuracy {acc:.4f} on {args.n} images (seed {args.seed})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
