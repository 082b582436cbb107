"""Superpixel straddling (beyond the paper): rank a CAM's boxes by how tightly they follow the photo's segments.

An object's box should contain its superpixels whole and cut few of the background's. Alexe, Deselaers & Ferrari
("Measuring the objectness of image windows", PAMI 2012) score a box b by

    SS(b) = 1 - sum over segments s of min(|s \\ b|, |s & b|) / |b|

(1: no segment straddles the box). Here the segments are Felzenszwalb & Huttenlocher's graph segmentation (IJCV
2004, `felzenszwalb`, own numpy implementation), the candidates are the CAM's boxes (`helpers.box_search`: the full
image, then the box at each fraction 0.10 ... 0.60 of the maximum), and the box kept maximises

    SS(b) - alpha * log(area share of b)

(ties: the earlier, larger box). The full image has SS = 1, the largest possible, so at alpha <= 0 it is always kept;
alpha > 0 trades straddling against a prior for tight boxes. Protocol: benchmarks/photo_protocol.md, round seven.

Choices the protocol leaves open (fixed before any measurement): the photo is resized with OpenCV's INTER_AREA
(INTER_LINEAR when enlarging) so its longer side is `SEGMENT_SIDE` px (the shorter side rounded to the nearest pixel);
a box is scaled to that label image by rounding each coordinate to the nearest pixel (half up), keeping at least one
pixel per side; the area share in the objective is the box's share of the photo at full size; the blur is OpenCV's
Gaussian with the reference code's kernel (radius ceil(4 sigma)) and a replicated border; edges are sorted stably in
the order right, down, down-right, up-right of each pixel in raster order.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import cv2
import numpy as np
import torch

from .box_search import box_objective, candidate_boxes
from .cam import check_cam_map
from .geometry import Box, check_positive_int, check_rgb_uint8

SEGMENT_SIDE = 200  # the longer side (px) of the image the segments are computed on
SIGMA = 0.8  # Gaussian blur before the edge weights (Felzenszwalb & Huttenlocher's value)
MIN_SIZE = 20  # segments smaller than this (px, on the label image) are merged across their cheapest edge
SCALES: tuple[int, ...] = (100, 300)  # k of tau(C) = k / |C|: larger k, larger segments
ALPHAS: tuple[float, ...] = (0.0, 0.02, 0.05, 0.1, 0.2, -0.05)  # the grid alpha is chosen from (round seven)


def _check_number(name: str, value: object, low: float, what: str, *, inclusive: bool) -> float:
    """`value` as a float if it is a finite number >= `low` (> `low` unless inclusive); else a ValueError."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not ok or not math.isfinite(value) or value < low or (value == low and not inclusive):  # type: ignore[operator]
        raise ValueError(f"{name} must be a finite number {'>=' if inclusive else '>'} {low} ({what}); got {value!r}.")
    return float(value)  # type: ignore[arg-type]


def blurred(image: np.ndarray, sigma: float) -> np.ndarray:
    """The image as float32 0-255, blurred by a Gaussian of `sigma` px (radius ceil(4 sigma), border replicated)."""
    x = np.asarray(image, np.float32)
    if sigma <= 0:
        return x.copy()
    size = 2 * math.ceil(4 * sigma) + 1
    return cv2.GaussianBlur(x, (size, size), sigma, borderType=cv2.BORDER_REPLICATE)


def grid_edges(smooth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 8-connected grid's edges (each pair once): pixel indices a, b and RGB Euclidean weights, sorted stably."""
    h, w = smooth.shape[:2]
    index = np.arange(h * w).reshape(h, w)
    pairs = (
        (index[:, :-1], index[:, 1:], smooth[:, :-1], smooth[:, 1:]),  # right
        (index[:-1, :], index[1:, :], smooth[:-1, :], smooth[1:, :]),  # down
        (index[:-1, :-1], index[1:, 1:], smooth[:-1, :-1], smooth[1:, 1:]),  # down-right
        (index[1:, :-1], index[:-1, 1:], smooth[1:, :-1], smooth[:-1, 1:]),  # up-right
    )
    a = np.concatenate([p[0].ravel() for p in pairs])
    b = np.concatenate([p[1].ravel() for p in pairs])
    weight = np.concatenate([np.sqrt(((p[2] - p[3]) ** 2).sum(axis=-1)).ravel() for p in pairs])
    order = np.argsort(weight, kind="stable")
    return a[order], b[order], weight[order]


def _find(parent: list[int], x: int) -> int:
    """The root of x's component, halving the path on the way (union-find)."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _link(u: int, v: int, parent: list[int], size: list[int]) -> int:
    """Join two roots, the smaller component under the larger (union by size); the new root."""
    if size[u] < size[v]:
        u, v = v, u
    parent[v] = u
    size[u] += size[v]
    return u


def _merge(a: list[int], b: list[int], weight: list[float], k: float, parent: list[int], size: list[int]) -> None:
    """Felzenszwalb & Huttenlocher's pass over the sorted edges: join two components when the edge is no heavier
    than either one's internal difference + k / |C|."""
    tau = [k] * len(parent)
    for u, v, wt in zip(a, b, weight):
        u, v = _find(parent, u), _find(parent, v)
        if u != v and wt <= tau[u] and wt <= tau[v]:
            root = _link(u, v, parent, size)
            tau[root] = wt + k / size[root]


def _roots(parent: list[int]) -> np.ndarray:
    """Every element's root in the union-find forest, vectorised (pointer jumping)."""
    roots = np.asarray(parent, np.int64)
    while True:
        nxt = roots[roots]
        if np.array_equal(nxt, roots):
            return roots
        roots = nxt


def _merge_small(a: np.ndarray, b: np.ndarray, min_size: int, parent: list[int], size: list[int]) -> None:
    """The reference code's second pass: in edge order, join two components if either is smaller than `min_size`.
    Edges inside a component, or between two components already >= min_size, can never join and are skipped."""
    roots = _roots(parent)
    counts = np.bincount(roots, minlength=len(parent))
    ra, rb = roots[a], roots[b]
    live = (ra != rb) & ((counts[ra] < min_size) | (counts[rb] < min_size))
    for u, v in zip(a[live].tolist(), b[live].tolist()):
        u, v = _find(parent, u), _find(parent, v)
        if u != v and (size[u] < min_size or size[v] < min_size):
            _link(u, v, parent, size)


def felzenszwalb(image: np.ndarray, scale: float, *, sigma: float = SIGMA, min_size: int = MIN_SIZE) -> np.ndarray:
    """Felzenszwalb & Huttenlocher's graph segmentation of a uint8 HxWx3 image: (H, W) int32 labels 0 ... n-1.

    8-connected grid, RGB Euclidean edge weights on the image blurred by `sigma` (0-255 values), threshold
    tau(C) = scale / |C|, then segments under `min_size` px merged across their cheapest edges. Deterministic; the
    image is not modified. Labels are numbered in the raster order of each segment's union-find root.
    """
    image = check_rgb_uint8(image)
    k = _check_number("scale", scale, 0.0, "k of tau(C) = k / |C|, e.g. 100", inclusive=False)
    sigma = _check_number("sigma", sigma, 0.0, "the blur in pixels, e.g. 0.8; 0: no blur", inclusive=True)
    check_positive_int("min_size", min_size)
    h, w = image.shape[:2]
    a, b, weight = grid_edges(blurred(image, sigma))
    parent, size = list(range(h * w)), [1] * (h * w)
    _merge(a.tolist(), b.tolist(), weight.tolist(), k, parent, size)
    _merge_small(a, b, int(min_size), parent, size)
    _, labels = np.unique(_roots(parent), return_inverse=True)
    return labels.reshape(h, w).astype(np.int32)


def _check_boxes(boxes: object, height: int, width: int) -> np.ndarray:
    """Boxes as an (m, 4) int64 array of (x0, y0, x1, y1) inside a height x width image; else a ValueError."""
    arr = np.asarray(boxes)
    if arr.ndim != 2 or arr.shape[1] != 4 or arr.shape[0] == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"boxes must be a non-empty (m, 4) sequence of integer (x0, y0, x1, y1); got shape {arr.shape}."
        )
    arr = arr.astype(np.int64)
    x0, y0, x1, y1 = arr.T
    if not np.all((x0 >= 0) & (y0 >= 0) & (x0 < x1) & (y0 < y1) & (x1 <= width) & (y1 <= height)):
        raise ValueError(
            f"every box must satisfy 0 <= x0 < x1 <= {width} and 0 <= y0 < y1 <= {height}; got {arr.tolist()}."
        )
    return arr


def straddling(labels: np.ndarray, boxes: Sequence[Box] | np.ndarray) -> np.ndarray:
    """SS(b) = 1 - sum_s min(|s \\ b|, |s & b|) / |b| for every box on a label image (boxes in its pixels), (m,).

    The per-segment counts inside all boxes come from one bincount; 1 means no segment straddles the box.
    """
    lab = np.asarray(labels)
    if lab.ndim != 2 or lab.size == 0 or not np.issubdtype(lab.dtype, np.integer) or lab.min() < 0:
        raise ValueError(
            f"labels must be a non-empty (H, W) array of non-negative integers; got {lab.dtype} {lab.shape}."
        )
    arr = _check_boxes(boxes, *lab.shape)
    n = int(lab.max()) + 1
    total = np.bincount(lab.ravel(), minlength=n)
    keys = [i * n + lab[y0:y1, x0:x1].ravel() for i, (x0, y0, x1, y1) in enumerate(arr.tolist())]
    inside = np.bincount(np.concatenate(keys), minlength=len(arr) * n).reshape(len(arr), n)
    area = (arr[:, 2] - arr[:, 0]) * (arr[:, 3] - arr[:, 1])
    return 1.0 - np.minimum(inside, total - inside).sum(axis=1) / area


def segment_photo(image: np.ndarray, scale: float, *, side: int = SEGMENT_SIDE) -> np.ndarray:
    """`felzenszwalb` labels of the photo resized so its longer side is `side` px (INTER_AREA when shrinking)."""
    image = check_rgb_uint8(image)
    check_positive_int("side", side, minimum=8)
    h, w = image.shape[:2]
    f = side / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    return felzenszwalb(small, scale)


def scale_boxes(boxes: Sequence[Box] | np.ndarray, shape: tuple[int, int], to: tuple[int, int]) -> np.ndarray:
    """Boxes in an image of `shape` (H, W) scaled to one of shape `to`: each coordinate rounded to the nearest pixel
    (half up), at least one pixel per side, inside the target, (m, 4) int64."""
    arr = _check_boxes(boxes, *shape).astype(np.float64)
    sy, sx = to[0] / shape[0], to[1] / shape[1]
    out = np.floor(arr * np.array([sx, sy, sx, sy]) + 0.5).astype(np.int64)
    out[:, 0] = np.minimum(out[:, 0], to[1] - 1)
    out[:, 1] = np.minimum(out[:, 1], to[0] - 1)
    out[:, 2] = np.clip(out[:, 2], out[:, 0] + 1, to[1])
    out[:, 3] = np.clip(out[:, 3], out[:, 1] + 1, to[0])
    return out


@dataclasses.dataclass(frozen=True)
class Straddling:
    """The CAM's candidate boxes on one photo, their straddling scores at one scale and their area shares."""

    boxes: tuple[Box, ...]  # the full image first, then the CAM's boxes by rising fraction, duplicates dropped
    scores: np.ndarray  # SS of each box on the segments at `scale`, (n,)
    area_shares: np.ndarray  # each box's area / the photo's area, (n,)
    scale: float

    def choose(self, alpha: float) -> int:
        """The index of the box kept at `alpha`: argmax SS - alpha log(area share), ties to the earlier box."""
        return int(np.argmax(box_objective(self.scores, self.area_shares, alpha)))


def photo_straddling(
    image: np.ndarray, cam: np.ndarray | torch.Tensor, scale: float, boxes: Sequence[Box] | None = None
) -> Straddling:
    """The straddling score of each candidate box (default: `candidate_boxes(cam)`) on the photo's segments."""
    image = check_rgb_uint8(image)
    m = check_cam_map(cam, image.shape[:2])
    found = candidate_boxes(m)[0] if boxes is None else tuple(tuple(int(v) for v in b) for b in boxes)
    labels = segment_photo(image, scale)
    small = scale_boxes(found, m.shape, labels.shape)
    area = np.array([(b[2] - b[0]) * (b[3] - b[1]) for b in found], np.float64) / (m.shape[0] * m.shape[1])
    return Straddling(found, straddling(labels, small), area, float(scale))  # type: ignore[arg-type]


def objectness_box(image: np.ndarray, cam: np.ndarray | torch.Tensor, *, scale: float = 100, alpha: float = 0.0) -> Box:
    """The CAM's box that best follows the photo's segments: argmax SS(b) - alpha log(area share of b) among the
    full image and the CAM's boxes at 0.10 ... 0.60 of its maximum (ties: the larger). At alpha <= 0 that is the
    full image (its SS is 1); alpha > 0 rewards tighter boxes. The image and the map are not modified."""
    box_objective(np.zeros(1), np.ones(1), alpha)  # a bad alpha fails before any work
    found = photo_straddling(image, cam, scale)
    return found.boxes[found.choose(alpha)]
