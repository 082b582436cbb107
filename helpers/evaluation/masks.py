"""Scores of a saliency map against an object mask: mass inside, the pointing games, rank correlation.

Beyond the paper: `mass_inside_mask` (a uniform map scores the mask's area fraction; `mass_relative_to_area`
divides by that area, so a uniform map scores 1 on masks of any size),
`pointing_game` (the maximum inside the mask), the pointing game of Zhang et al. (2016) as the
TorchRay benchmark plays it (`pointing_hit`: the maximum closer than 15 px to the mask, or
`scaled_pointing_tolerance` px on smaller images; `centre_hit`:
the image centre as the point, its baseline), and `rank_correlation` (Spearman), the measure of
the model-randomization check (Adebayo et al. 2018).

One rule for the scores of maps (`mass_inside_mask`, `mass_relative_to_area`, `pointing_game`, `pointing_hit`, `centre_hit`), decided by
the map's number of dimensions, never by its values or length: one (H,W) map (and (H,W) mask) gives a Python
scalar (a float; a bool for the two pointing hits); an (N,H,W) stack with (N,H,W) masks gives an (N,) numpy
array (float64; bool for the pointing hits), even when N is 1. Element i of a stack's array is the score of
map i alone. Maps are numpy arrays or tensors (any device); masks are bool.
"""

from __future__ import annotations

import numpy as np
import torch

# ----------------------------------------------------------------------------------------------
# Localisation scores against a ground-truth mask


# ----------------------------------------------------------------------------------------------
# Rank correlation of two maps


def _average_ranks(v: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (as in Spearman's definition)."""
    order = np.argsort(v, kind="mergesort")
    sorted_v = v[order]
    first = np.r_[True, sorted_v[1:] != sorted_v[:-1]]
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], len(v)]
    ranks = np.empty(len(v), np.float64)
    ranks[order] = ((starts + ends - 1) / 2.0 + 1.0)[np.cumsum(first) - 1]
    return ranks


def rank_correlation(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> float:
    """Spearman rank correlation of two maps of the same shape (ties get average ranks)."""
    a, b = (np.asarray(v.detach().cpu() if isinstance(v, torch.Tensor) else v, np.float64).ravel() for v in (a, b))
    if a.shape != b.shape:
        raise ValueError(f"Maps must have the same number of pixels; got {a.size} and {b.size}.")
    ra, rb = _average_ranks(a) - (a.size + 1) / 2.0, _average_ranks(b) - (b.size + 1) / 2.0
    denom = np.sqrt((ra @ ra) * (rb @ rb))
    if denom == 0:
        raise ValueError("Rank correlation is undefined for a constant map.")
    return float(ra @ rb / denom)


def _numpy(value: np.ndarray | torch.Tensor) -> np.ndarray:
    """A map or mask as a numpy array on the CPU (a tensor detached from any device)."""
    return np.asarray(value.detach().cpu() if isinstance(value, torch.Tensor) else value)


def _map_and_mask(
    saliency: np.ndarray | torch.Tensor, mask: np.ndarray | torch.Tensor
) -> tuple[np.ndarray, np.ndarray]:
    """Float (N,H,W) maps and bool (N,H,W) masks of matching shapes, checked."""
    s, m = np.asarray(_numpy(saliency), np.float64), _numpy(mask)
    if s.shape != m.shape or s.ndim not in (2, 3):
        raise ValueError(
            f"Saliency and mask must both be (H,W) or (N,H,W) of the same shape; got {s.shape} and {m.shape}."
        )
    if m.dtype != bool:
        raise ValueError(f"The mask must be boolean; got {m.dtype}.")
    if np.any(s < 0) or not np.all(np.isfinite(s)):
        raise ValueError("Saliency must be finite and non-negative (take abs() of a signed gradient first).")
    return (s[None], m[None]) if s.ndim == 2 else (s, m)


def mass_inside_mask(saliency: np.ndarray | torch.Tensor, mask: np.ndarray | torch.Tensor) -> float | np.ndarray:
    """Fraction of the saliency mass that falls inside the mask (a uniform map scores the mask's area fraction).

    A float for one (H,W) map, an (N,) float64 array for an (N,H,W) stack (the module's rule).
    """
    s, m = _map_and_mask(saliency, mask)
    total = s.sum(axis=(1, 2))
    if np.any(total == 0):
        raise ValueError("A saliency map is all zeros; its mass fraction is undefined.")
    out = (s * m).sum(axis=(1, 2)) / total
    return float(out[0]) if np.ndim(saliency) == 2 else out


def mass_relative_to_area(saliency: np.ndarray | torch.Tensor, mask: np.ndarray | torch.Tensor) -> float | np.ndarray:
    """Mass inside the mask divided by the mask's area fraction: 1 is a uniform map, so masks of any size compare.

    Same shapes and return rule as `mass_inside_mask`; an empty mask has no area to compare with (ValueError).
    """
    s, m = _map_and_mask(saliency, mask)
    area = m.mean(axis=(1, 2))
    if np.any(area == 0):
        raise ValueError("A mask is empty (no True pixel); mass relative to its area is undefined.")
    out = np.asarray(mass_inside_mask(s, m)) / area
    return float(out[0]) if np.ndim(saliency) == 2 else out


def pointing_game(saliency: np.ndarray | torch.Tensor, mask: np.ndarray | torch.Tensor) -> float | np.ndarray:
    """1.0 if the map's maximum lies inside the mask, else 0.0; tied maxima score the fraction inside.

    With ties, a constant (uniform) map scores the mask's area fraction: the hit rate of a random guess.
    A float for one (H,W) map, an (N,) float64 array for an (N,H,W) stack (the module's rule).
    """
    s, m = _map_and_mask(saliency, mask)
    top = s == s.max(axis=(1, 2), keepdims=True)
    out = (top & m).sum(axis=(1, 2)) / top.sum(axis=(1, 2))
    return float(out[0]) if np.ndim(saliency) == 2 else out


# ----------------------------------------------------------------------------------------------
# The pointing game of Zhang et al. (2016), as in the TorchRay benchmark (Fong et al. 2019)

POINTING_TOLERANCE = 15  # pixels of the original image, as in TorchRay


POINTING_REFERENCE_SIZE = 224  # px: the input side TorchRay's 15-px tolerance was set for


def scaled_pointing_tolerance(image_side: float, reference_side: float = POINTING_REFERENCE_SIZE) -> float:
    """TorchRay's 15-px tolerance scaled to an image of side `image_side` px, so small images get a fair tolerance.

    15 px at 224 px is about 4.3 px at 64 px: the same fraction of the image, fixed before any map is scored.
    """
    for name, side in (("image_side", image_side), ("reference_side", reference_side)):
        if not side > 0:
            raise ValueError(f"{name} must be a positive number of pixels; got {side!r}.")
    return POINTING_TOLERANCE * float(image_side) / float(reference_side)


def saliency_peak(saliency: np.ndarray | torch.Tensor) -> tuple[int, int]:
    """(row, col) of the map's maximum; with ties (e.g. a quantised map), the tied pixel nearest their centroid.

    Taking the first tied pixel in reading order would favour the top of the image.
    """
    s = np.asarray(_numpy(saliency), np.float64)
    if s.ndim != 2 or s.size == 0:
        raise ValueError(f"Expected one (H, W) saliency map; got shape {s.shape}.")
    if not np.all(np.isfinite(s)):
        raise ValueError("Saliency must be finite.")
    rows, cols = np.nonzero(s == s.max())
    k = int(np.argmin((rows - rows.mean()) ** 2 + (cols - cols.mean()) ** 2))
    return int(rows[k]), int(cols[k])


def point_hits_mask(point: tuple[float, float], mask: np.ndarray, tolerance: float = POINTING_TOLERANCE) -> bool:
    """True if `point` (row, col) is closer than `tolerance` pixels (Euclidean) to a pixel of the bool mask.

    Strictly closer, as TorchRay's pointing game (a hit when d^2 < tolerance^2), so at tolerance 0 nothing is a hit.
    """
    m = np.asarray(mask)
    if m.dtype != bool or m.ndim != 2:
        raise ValueError(f"The mask must be a bool (H, W) array; got {m.dtype} of shape {m.shape}.")
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0 pixels; got {tolerance}.")
    rows, cols = np.nonzero(m)
    if rows.size == 0:
        raise ValueError("The mask is empty: no object to point at.")
    d2 = (rows - float(point[0])) ** 2 + (cols - float(point[1])) ** 2
    return bool(d2.min() < tolerance**2)  # TorchRay: strictly less


def pointing_hit(
    saliency: np.ndarray | torch.Tensor, mask: np.ndarray | torch.Tensor, tolerance: float = POINTING_TOLERANCE
) -> bool | np.ndarray:
    """Zhang et al.'s pointing game: a hit when the map's maximum is closer than `tolerance` px to the object's mask.

    `saliency` and `mask` are (H, W) at the image's own size, so the tolerance is in image pixels
    (15 in TorchRay's benchmark); a bool. An (N,H,W) stack of maps with (N,H,W) masks gives an (N,) bool
    array, map i scored against mask i (the module's rule). `pointing_game` is the stricter variant: the
    maximum inside the mask.
    """
    s, m = _numpy(saliency), _numpy(mask)
    if s.shape != m.shape or s.ndim not in (2, 3):
        raise ValueError(
            f"Saliency and mask must have the same (H, W), or the same (N, H, W) for a stack; got {s.shape} and {m.shape}."
        )
    if s.ndim == 2:
        return point_hits_mask(saliency_peak(s), m, tolerance)
    return np.array([point_hits_mask(saliency_peak(one), one_mask, tolerance) for one, one_mask in zip(s, m)], bool)


def centre_hit(mask: np.ndarray | torch.Tensor, tolerance: float = POINTING_TOLERANCE) -> bool | np.ndarray:
    """The centre baseline of the pointing game: is the image centre closer than `tolerance` px to the mask?

    A bool for one (H,W) mask, an (N,) bool array for an (N,H,W) stack (the module's rule).
    """
    m = _numpy(mask)
    if m.ndim not in (2, 3):
        raise ValueError(f"Expected one (H, W) mask or an (N, H, W) stack; got shape {m.shape}.")
    h, w = m.shape[-2:]
    centre = ((h - 1) / 2.0, (w - 1) / 2.0)
    if m.ndim == 2:
        return point_hits_mask(centre, m, tolerance)
    return np.array([point_hits_mask(centre, one, tolerance) for one in m], bool)


# ----------------------------------------------------------------------------------------------
# A threshold-free score, and the no-network maps every method must beat


def mask_auc(saliency: np.ndarray | torch.Tensor, mask: np.ndarray | torch.Tensor) -> float | np.ndarray:
    """Area under the ROC curve of the map's values as a detector of the mask's pixels (0.5 = chance, 1 = perfect).

    The chance that a random object pixel outranks a random background pixel (ties count half), so unlike the
    mass inside the mask it does not reward a few very large values: a second view of "how much is on the object".
    Same shapes and return rule as `mass_inside_mask`; a mask that is empty or covers everything is a ValueError.
    """
    s, m = _map_and_mask(saliency, mask)
    out = np.empty(len(s))
    for i, (one, inside) in enumerate(zip(s, m)):
        n_in = int(inside.sum())
        n_out = inside.size - n_in
        if n_in == 0 or n_out == 0:
            raise ValueError(f"Mask {i} has {n_in} object and {n_out} background pixels; the AUC needs both.")
        ranks = _average_ranks(one.ravel())
        out[i] = (ranks[inside.ravel()].sum() - n_in * (n_in + 1) / 2.0) / (n_in * n_out)
    return float(out[0]) if np.ndim(saliency) == 2 else out


def colour_contrast_map(image: np.ndarray) -> np.ndarray:
    """No-network baseline map: each pixel's RGB distance from the image's median colour (float64, (H,W) or (N,H,W)).

    The median colour stands for the background, so a map that beats this one uses more than "colour unlike
    the rest of the image". `image` is an (H,W,3) or (N,H,W,3) array of any numeric type (uint8 or floats).
    """
    a = np.asarray(image, np.float64)
    if a.ndim not in (3, 4) or a.shape[-1] != 3:
        raise ValueError(f"Expected an (H, W, 3) image or an (N, H, W, 3) stack of RGB images; got shape {a.shape}.")
    stack = a[None] if a.ndim == 3 else a
    median = np.median(stack.reshape(len(stack), -1, 3), axis=1)[:, None, None, :]
    out = np.sqrt(((stack - median) ** 2).sum(axis=-1))
    return out[0] if a.ndim == 3 else out


def centred_gaussian_map(height: int, width: int, sigma: float = 0.25) -> np.ndarray:
    """No-network baseline map: a Gaussian centred on the image, std `sigma` times each side ((H,W) float64).

    The "objects are near the middle of a photo" prior as a map, so a method is compared with it on mass too,
    not only on the pointing game (where the centre point is the baseline).
    """
    if int(height) != height or int(width) != width or height < 1 or width < 1:
        raise ValueError(f"height and width must be positive whole numbers of pixels; got {height!r}, {width!r}.")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0 (a fraction of each side); got {sigma!r}.")
    rows = (np.arange(height) - (height - 1) / 2.0) / (sigma * height)
    cols = (np.arange(width) - (width - 1) / 2.0) / (sigma * width)
    return np.exp(-0.5 * (rows[:, None] ** 2 + cols[None, :] ** 2))
