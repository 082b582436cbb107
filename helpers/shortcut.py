"""A toy world with a shortcut: a small square in a class colour at a corner, which predicts the class in training.

Notebook 07 (saliency in the loss, Ross et al. 2017) needs a cue that a network can learn instead of the shape:
`generate_decoy` draws the toy world's images (`helpers.toyworld.generate`, same seed, same images) and paints a
solid square in a colour that names the class (`decoy="class"`, the training world), in a random other class's
colour (`decoy="swapped"`, the test of the shortcut: a model that reads the square is always wrong there) or no
square at all (`decoy="none"`). The square is placed at a random corner that does not touch the object, and its
exact mask is returned with the object's, so saliency on each can be measured. The three versions of one seed
hold the same shapes on the same backgrounds: comparisons between them are paired. Bit-identical per seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import cv2
import numpy as np

from .geometry import check_positive_int
from .toyworld import CLASSES, MIN_IMAGE_SIZE, ToyDataset, generate

__all__ = [
    "DECOY_COLOURS",
    "DECOY_KINDS",
    "SHORTCUT_SIZE",
    "TRAINING_DECOYS",
    "DecoyDataset",
    "decoy_side",
    "dilate_mask",
    "generate_decoy",
    "other_corner_annotation",
    "random_annotation",
]

DecoyKind = Literal["class", "swapped", "none", "random_colour"]
DECOY_KINDS: tuple[str, ...] = ("class", "swapped", "none")  # the three test versions of one seed
# Also for training: "random_colour", a square in a uniformly random class's colour (a square that says nothing).
TRAINING_DECOYS: tuple[str, ...] = (*DECOY_KINDS, "random_colour")
SHORTCUT_SIZE = 32  # the side notebook 07 works at: a model trains in well under a minute on a 2-core CPU
# One saturated colour per class, in CLASSES order (circle, square, triangle, star, cross, ring).
DECOY_COLOURS: tuple[tuple[int, int, int], ...] = (
    (255, 0, 0),
    (0, 255, 0),
    (0, 0, 255),
    (255, 255, 0),
    (255, 0, 255),
    (0, 255, 255),
)
_CORNER_GAP = 1  # pixels between the square and the image border
_OBJECT_GAP = 1  # pixels kept free between the square and the object
_DECOY_STREAM = 34  # second word of the decoy's random stream, so its draws never reuse the image's


@dataclass
class DecoyDataset(ToyDataset):
    """Toy images with a decoy: the object's labels, masks and boxes plus the decoy's mask and its class (-1: none)."""

    decoy_masks: np.ndarray  # (N, H, W) bool, exact decoy pixels (all False without a decoy)
    decoy_labels: np.ndarray  # (N,) int64, the class the decoy's colour names; -1 where there is none

    def subset(self, idx: Any) -> DecoyDataset:
        """Return a new dataset holding only the selected items (index, slice or mask)."""
        if isinstance(idx, (int, np.integer)):
            idx = [int(idx)]
        base = ToyDataset.subset(self, idx)
        return DecoyDataset(
            base.images, base.labels, base.masks, base.boxes, self.decoy_masks[idx], self.decoy_labels[idx]
        )


def decoy_side(size: int) -> int:
    """Side of the decoy square in pixels for images of `size` px: an eighth of the side, at least 3 px."""
    check_positive_int("size", size, minimum=MIN_IMAGE_SIZE)
    return max(3, int(size) // 8)


def _corner_squares(size: int, side: int) -> list[np.ndarray]:
    """The four corner squares (top-left, top-right, bottom-left, bottom-right) as (H, W) bool masks."""
    lo, hi = _CORNER_GAP, size - _CORNER_GAP - side
    squares = []
    for y0, x0 in ((lo, lo), (lo, hi), (hi, lo), (hi, hi)):
        m = np.zeros((size, size), bool)
        m[y0 : y0 + side, x0 : x0 + side] = True
        squares.append(m)
    return squares


def dilate_mask(mask: np.ndarray, pixels: int) -> np.ndarray:
    """(H, W) bool mask grown by `pixels` in every direction (a square neighbourhood), as bool."""
    check_positive_int("pixels", pixels, minimum=0)
    return cv2.dilate(np.asarray(mask, np.uint8), np.ones((2 * int(pixels) + 1,) * 2, np.uint8)).astype(bool)


def _free_corners(mask: np.ndarray, squares: list[np.ndarray]) -> list[int]:
    """Indices of the corner squares that keep _OBJECT_GAP pixels away from the object's mask."""
    near = dilate_mask(mask, _OBJECT_GAP)
    return [k for k, sq in enumerate(squares) if not (sq & near).any()]


def _decoy_classes(rng: np.random.Generator, labels: np.ndarray, decoy: str) -> np.ndarray:
    """The class each image's decoy names: its own, a random other class, any class at random, or -1 (none)."""
    if decoy == "class":
        return labels.copy()
    if decoy == "none":
        return np.full_like(labels, -1)
    if decoy == "random_colour":
        return rng.integers(0, len(CLASSES), size=labels.shape[0]).astype(labels.dtype)
    shift = rng.integers(1, len(CLASSES), size=labels.shape[0])  # 1..5: never the image's own class
    return (labels + shift) % len(CLASSES)


def _check_decoy_args(decoy: object) -> None:
    """A clear error for a decoy kind that is not one of TRAINING_DECOYS."""
    if decoy not in TRAINING_DECOYS:
        raise ValueError(
            f"decoy must be one of {TRAINING_DECOYS} (the square's colour names the class, another class, "
            f"no square, or a random class); got {decoy!r}."
        )


def generate_decoy(
    n: int, seed: int = 0, size: int = SHORTCUT_SIZE, *, decoy: DecoyKind = "class", distractors: bool = False
) -> DecoyDataset:
    """n toy images with a class-coloured square at a free corner (`decoy`: "class", "swapped", "none", "random_colour").

    The images are `helpers.toyworld.generate(n, seed, size)` with the square painted on top (no noise on it);
    its corner and, for "swapped", its class come from a random stream of their own, so "class", "swapped" and
    "none" of one seed share every shape, background and corner.
    """
    _check_decoy_args(decoy)
    base = generate(n, seed=seed, size=size, distractors=distractors)
    rng = np.random.Generator(np.random.PCG64([int(seed), _DECOY_STREAM]))
    side = decoy_side(size)
    squares = _corner_squares(int(size), side)
    corner_draws = rng.random((len(base), 4))  # drawn for every kind, so the corners agree between kinds
    classes = _decoy_classes(rng, base.labels, decoy)
    images = base.images.copy()
    decoy_masks = np.zeros_like(base.masks)
    for i in range(len(base)):
        free = _free_corners(base.masks[i], squares)
        if not free:  # cannot happen for the toy world's sizes (an object never reaches all four corners)
            raise RuntimeError(f"image {i} of seed {seed}: the object touches every corner; no room for a decoy")
        corner = free[int(np.argmax(corner_draws[i, free]))]
        if classes[i] >= 0:
            decoy_masks[i] = squares[corner]
            images[i][squares[corner]] = DECOY_COLOURS[int(classes[i])]
    return DecoyDataset(images, base.labels, base.masks, base.boxes, decoy_masks, classes.astype(np.int64))


def random_annotation(dataset: ToyDataset, seed: int = 0) -> np.ndarray:
    """A baseline annotation: per image, a square of the decoy's size at a uniformly random place ((N, H, W) bool).

    The same area as the true annotation, placed without looking at the image: what a penalty buys when the
    annotation carries no information about the shortcut.
    """
    if not isinstance(dataset, ToyDataset):
        raise TypeError(
            f"random_annotation needs a ToyDataset (e.g. from generate_decoy); got {type(dataset).__name__}."
        )
    check_positive_int("seed", seed, minimum=0)
    n, size = len(dataset), int(dataset.images.shape[1])
    side = decoy_side(size)
    rng = np.random.Generator(np.random.PCG64([int(seed), _DECOY_STREAM + 1]))
    corners = rng.integers(0, size - side + 1, size=(n, 2))
    out = np.zeros((n, size, size), bool)
    for i, (y0, x0) in enumerate(corners):
        out[i, y0 : y0 + side, x0 : x0 + side] = True
    return out


def other_corner_annotation(dataset: DecoyDataset, seed: int = 0) -> np.ndarray:
    """A baseline annotation: per image, a decoy-sized square at another free corner than the decoy's ((N, H, W) bool).

    The same shape, size and kind of place as the decoy's mask, never on the object, never on the decoy: what a
    penalty buys when the annotation looks like the right one but marks the wrong pixels. An image with no other
    free corner keeps an empty annotation.
    """
    if not isinstance(dataset, DecoyDataset):
        raise TypeError(
            f"other_corner_annotation needs a DecoyDataset (from generate_decoy); got {type(dataset).__name__}."
        )
    check_positive_int("seed", seed, minimum=0)
    n, size = len(dataset), int(dataset.images.shape[1])
    squares = _corner_squares(size, decoy_side(size))
    rng = np.random.Generator(np.random.PCG64([int(seed), _DECOY_STREAM + 2]))
    draws = rng.random((n, 4))
    out = np.zeros((n, size, size), bool)
    for i in range(n):
        others = [
            k for k in _free_corners(dataset.masks[i], squares) if not (squares[k] & dataset.decoy_masks[i]).any()
        ]
        if others:
            out[i] = squares[others[int(np.argmax(draws[i, others]))]]
    return out
