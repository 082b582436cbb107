"""A learned choice among a CAM's boxes (beyond the paper): score each candidate box from the map alone, keep the best.

A CAM thresholded at one fraction of its maximum gives one box; on small objects that box is often too large, yet a
box at another fraction is often right. Here every candidate (`helpers.box_search.candidate_boxes`: the full image,
then the largest-component box at 10%, 15%, ..., 60% of the maximum) is described by a few features of the map that
never use the truth (`FEATURES`), a logistic regression scores each candidate (the chance that it hits, IoU >= 0.5),
and the highest-scoring box is kept (ties: the earlier, larger box). The regression was fitted on COCO photos other
than those it is reported on (`benchmarks/photo_cv5.py`, benchmarks/photo_protocol.md "Round five"); its
coefficients are `data/box_select.json`. No forward or backward pass beyond the map's.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import torch

from .box_search import BOX_FRACTIONS, candidate_boxes, fraction_localization
from .cam import cam_localization
from .geometry import Box
from .localization import Localization, as_saliency
from .paths import DATA_DIR

SELECTOR_FILE = DATA_DIR / "box_select.json"
FEATURES: tuple[str, ...] = (
    "threshold",  # the candidate's fraction of the map's maximum (0 for the full image)
    "log_area",  # log of the box's share of the image
    "mass_in_box",  # share of the map's total inside the box
    "mass_in_component",  # share of the map's total inside the kept component (1 for the full image)
    "log_contrast",  # log(mean map inside the box / mean map outside it) (0 for the full image)
    "log_components",  # log(1 + number of 8-connected components above the threshold) (0 for the full image)
    "border",  # share of the box's four sides on the image's border
    "log_aspect",  # |log(width / height)| of the box
)
CORE_FEATURES: tuple[str, ...] = ("threshold", "log_area", "mass_in_box")
_EPS = 1e-6  # keeps the contrast finite where the map is 0 inside or outside a box


@dataclasses.dataclass(frozen=True)
class BoxSelector:
    """A fitted logistic regression over candidate-box features: standardise, weigh, add the intercept."""

    features: tuple[str, ...]  # the names used, a subset of FEATURES in its order
    mean: np.ndarray  # per feature, the training mean
    scale: np.ndarray  # per feature, the training standard deviation (1 where it was 0)
    weights: np.ndarray  # per feature
    intercept: float
    C: float = 1.0  # the inverse L2 strength it was fitted with (a record; unused when scoring)

    def __post_init__(self) -> None:
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown or not self.features:
            raise ValueError(f"features must be a non-empty subset of {FEATURES}; got {self.features!r}.")
        for name in ("mean", "scale", "weights"):
            v = np.asarray(getattr(self, name), np.float64)
            if v.shape != (len(self.features),) or not np.all(np.isfinite(v)):
                raise ValueError(f"{name} must hold {len(self.features)} finite numbers; got {getattr(self, name)!r}.")
            object.__setattr__(self, name, v)
        if np.any(self.scale <= 0):
            raise ValueError("scale must be positive (a training standard deviation).")

    def scores(self, table: np.ndarray) -> np.ndarray:
        """The logit of a hit for each row of a (n, len(FEATURES)) feature table."""
        x = _columns(table, self.features)
        return (x - self.mean) / self.scale @ self.weights + self.intercept

    def to_json(self) -> dict:
        """The selector as JSON-ready numbers."""
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "intercept": float(self.intercept),
            "C": float(self.C),
        }


@dataclasses.dataclass(frozen=True)
class BoxChoice:
    """The candidates of one map, their features and scores, and the box kept."""

    boxes: tuple[Box, ...]  # the full image first, then the CAM's boxes by rising fraction, duplicates dropped
    fractions: tuple[float | None, ...]  # the CAM fraction of each box (None: the full image)
    features: np.ndarray  # (n, len(FEATURES))
    scores: np.ndarray  # (n,) the selector's logit per candidate
    index: int  # the box kept

    @property
    def box(self) -> Box:
        """The box kept."""
        return self.boxes[self.index]


def _columns(table: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The named columns of a (n, len(FEATURES)) feature table."""
    t = np.asarray(table, np.float64)
    if t.ndim != 2 or t.shape[1] != len(FEATURES):
        raise ValueError(f"a feature table must be (n, {len(FEATURES)}) (columns {FEATURES}); got {t.shape}.")
    return t[:, [FEATURES.index(n) for n in names]]


def box_features(m: np.ndarray, box: Box, fraction: float | None) -> list[float]:
    """The `FEATURES` of one candidate box of a non-negative map `m` with a positive total (None: the full image)."""
    h, w = m.shape
    x0, y0, x1, y1 = box
    total = float(m.sum())
    inside = float(m[y0:y1, x0:x1].sum())
    area = (x1 - x0) * (y1 - y0)
    border = ((x0 == 0) + (y0 == 0) + (x1 == w) + (y1 == h)) / 4
    aspect = abs(math.log((x1 - x0) / (y1 - y0)))
    if fraction is None:
        return [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, border, aspect]
    loc = cam_localization(m, fraction)
    n_components = cv2.connectedComponents(loc.segmentation.astype(np.uint8), connectivity=8)[0] - 1
    outside = (total - inside) / max(h * w - area, 1)
    contrast = math.log((inside / area + _EPS) / (outside + _EPS)) if area < h * w else 0.0
    return [
        float(fraction),
        math.log(area / (h * w)),
        inside / total,
        float(m[loc.mask].sum()) / total,
        contrast,
        math.log1p(n_components),
        border,
        aspect,
    ]


def candidate_features(
    cam: np.ndarray | torch.Tensor, fractions: Sequence[float] = BOX_FRACTIONS
) -> tuple[tuple[Box, ...], tuple[float | None, ...], np.ndarray]:
    """The candidate boxes of a map (`candidate_boxes`), their fractions and their (n, len(FEATURES)) features."""
    m = np.asarray(as_saliency(cam), np.float64)
    if float(m.sum()) <= 0:
        raise ValueError("cam has no positive value: it points nowhere, so there is no box to choose.")
    boxes, kept = candidate_boxes(m, fractions)
    return boxes, kept, np.array([box_features(m, b, f) for b, f in zip(boxes, kept)])


def load_selector(path: str | Path = SELECTOR_FILE) -> BoxSelector:
    """The fitted selector stored as JSON (default: data/box_select.json, written by benchmarks/photo_cv5.py)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No box selector at {path}; fit one with `python benchmarks/photo_cv5.py fit ...`.")
    raw = json.loads(path.read_text())
    missing = {"features", "mean", "scale", "weights", "intercept"} - set(raw)
    if missing:
        raise ValueError(f"{path} is not a box selector: it lacks {sorted(missing)}.")
    return BoxSelector(
        tuple(raw["features"]), raw["mean"], raw["scale"], raw["weights"], float(raw["intercept"]), raw.get("C", 1.0)
    )


def choose_box(
    cam: np.ndarray | torch.Tensor,
    image_shape: Sequence[int],
    selector: BoxSelector | None = None,
    fractions: Sequence[float] = BOX_FRACTIONS,
) -> BoxChoice:
    """Every candidate of the map with its features and score, and the one kept (`select_box` returns its box)."""
    m = as_saliency(cam)
    shape = tuple(int(v) for v in tuple(image_shape)[:2])
    if m.shape != shape:
        raise ValueError(f"cam must be an (H, W) map at the image's size {shape}; got {m.shape}.")
    selector = load_selector() if selector is None else selector
    if not isinstance(selector, BoxSelector):
        raise TypeError(f"selector must be a BoxSelector (e.g. load_selector()); got {type(selector).__name__}.")
    boxes, kept, table = candidate_features(m, fractions)
    scores = selector.scores(table)
    return BoxChoice(boxes, kept, table, scores, int(np.argmax(scores)))  # argmax: ties go to the earlier box


def select_box(
    cam: np.ndarray | torch.Tensor,
    image_shape: Sequence[int],
    selector: BoxSelector | None = None,
    fractions: Sequence[float] = BOX_FRACTIONS,
) -> Box:
    """The candidate box of a CAM that the fitted selector scores highest.

    `cam`: a non-negative (H, W) map at the image's size (e.g. `helpers.photos.gradcam_map`); `image_shape`: the
    image's shape (H, W[, 3]), checked against the map; `selector`: default the stored one (`load_selector`).
    """
    return choose_box(cam, image_shape, selector, fractions).box


def choice_localization(choice: BoxChoice, cam: np.ndarray | torch.Tensor) -> Localization:
    """The `Localization` of a chosen box: the CAM protocol at the kept fraction (the full image: all of it)."""
    return fraction_localization(cam, choice.fractions[choice.index], choice.box)


def fit_selector(table: np.ndarray, hits: np.ndarray, features: Sequence[str], C: float) -> BoxSelector:
    """Logistic regression of `hits` on the named columns of `table`, standardised, L2 penalty |w|^2 / (2C) (not on
    the intercept), fitted by Newton's method; the training code of `benchmarks/photo_cv5.py`."""
    if not isinstance(C, (int, float)) or isinstance(C, bool) or not C > 0:
        raise ValueError(f"C must be a positive number (the inverse L2 strength, e.g. 1.0); got {C!r}.")
    x = _columns(table, features)
    y = np.asarray(hits, np.float64)
    if y.shape != (x.shape[0],) or not np.all((y == 0) | (y == 1)) or x.shape[0] == 0:
        raise ValueError(f"hits must be {x.shape[0]} values of 0 / 1, one per row of the table; got shape {y.shape}.")
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    z = np.hstack([(x - mean) / scale, np.ones((x.shape[0], 1))])
    penalty = np.diag([1.0 / C] * x.shape[1] + [0.0])
    beta = np.zeros(z.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-z @ beta))
        grad = z.T @ (p - y) + penalty @ beta
        hess = z.T @ (z * (p * (1 - p))[:, None]) + penalty + 1e-9 * np.eye(z.shape[1])
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return BoxSelector(tuple(features), mean, scale, beta[:-1], float(beta[-1]), float(C))
