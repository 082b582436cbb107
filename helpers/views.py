"""How an image-level function shows a uint8 image to the model: the whole image, or the paper's ten crops.

The whole image (`whole_image_input`, `whole_image_scores`): the shorter side resized to the model's input
size S, no crop (a model with a fixed mean image, the toy CNN, gets the image resized to S x S). Every
image-level function resolves `target=None` on these scores (`helpers.targets`).

The ten crops (`ten_crop_boxes`, `ten_crops`, `ten_crop_average`, `ten_crop_coverage`; Simonyan et al. 2013, Sect. 3.1): the
image is resized so that its shorter side is L = round(S / crop_fraction) (Lite0: S = 224, L = 256; toy
CNN: S = 64, L = 73, i.e. 56-px crops of the 64-px image scaled back to 64). Five S x S crops are taken
from that working image: top-left, top-right, bottom-left, bottom-right and centre; the other five are
their horizontal mirrors. Each crop's map is un-mirrored, pasted back at its place in the working image,
and averaged pixel by pixel over the crops that cover it (`paste_average`: sum / coverage count, the plain
average of exercise 2; a pixel no crop covers, possible only for very elongated images, gets 0).

Coverage varies: on a 4:3 photo the centre is covered by all 10 crops, the corners by 2 (`ten_crop_coverage`).
A mean of k maps spreads sqrt(10/k) times as far around the maps' mean as a mean of 10, so the plain average
has a bright, noisy frame, and the map's maximum (what the pointing game scores) is drawn to it.
`equal_variance_average` removes that: it scales each pixel's deviation from the mean of all ten maps by
sqrt(k/10), which gives every pixel the spread of a 10-map average (for crop maps with equal, independent
noise) and leaves fully covered pixels exactly as the plain average has them. The result is resized to the
input image's own (H, W). `ten_crop_average` is the one implementation of the 10-crop estimate (with the
check that every map is crop-sized), shared by `helpers.wrappers.ten_crop` and
`helpers.saliency.ten_crop_saliency_many`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .geometry import check_rgb_uint8, resize_map, resize_shorter_side, working_shape
from .inputs import as_numpy_map, fits_any_size
from .models import DEFAULT_CROP_FRACTION, Classifier

N_CROPS = 10


# ----------------------------------------------------------------------------------------------
# The whole image


def image_tensor(image: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 HxWx3 -> float (1,3,H,W) in [0, 1] on `device` (the input array is not touched)."""
    return torch.from_numpy(check_rgb_uint8(image).copy()).permute(2, 0, 1)[None].float().div(255.0).to(device)


def whole_image_input(classifier: Classifier, image: np.ndarray) -> torch.Tensor:
    """The whole uint8 image as a normalised (1,3,h,w) model input: shorter side S, or S x S for fixed-size models."""
    x = image_tensor(image, classifier.device)
    s = classifier.input_size
    x = (
        resize_shorter_side(x, s)
        if fits_any_size(classifier)
        else F.interpolate(x, size=(s, s), mode="bilinear", align_corners=False, antialias=True)
    )
    return classifier.normalize(x)


@torch.no_grad()
def input_scores(classifier: Classifier, x: torch.Tensor) -> torch.Tensor:
    """Class scores (logits, (classes,)) of a one-image model input."""
    return classifier.model(x)[0]


def whole_image_scores(classifier: Classifier, image: np.ndarray) -> torch.Tensor:
    """Class scores (logits, (classes,)) of the whole image, as the image-level functions see it."""
    return input_scores(classifier, whole_image_input(classifier, image))


# ----------------------------------------------------------------------------------------------
# The ten crops


@dataclasses.dataclass(frozen=True)
class Crop:
    """One of the ten crops: its box (x0, y0, x1, y1; x1/y1 exclusive) and whether it is mirrored."""

    box: tuple[float, float, float, float]
    mirrored: bool
    name: str


def crop_offsets(work_hw: tuple[int, int], size: int) -> list[tuple[str, int, int]]:
    """(name, top, left) of the four corner crops and the centre crop in the working image."""
    h, w = work_hw
    return [
        ("top-left", 0, 0),
        ("top-right", 0, w - size),
        ("bottom-left", h - size, 0),
        ("bottom-right", h - size, w - size),
        ("centre", (h - size) // 2, (w - size) // 2),
    ]


def ten_crop_boxes(
    classifier: Classifier | int, image_shape: Sequence[int], *, crop_fraction: float = DEFAULT_CROP_FRACTION
) -> list[Crop]:
    """The 10 crops of `ten_crop_saliency` as boxes in the input image's own pixel coordinates (for drawing)."""
    size = classifier.input_size if isinstance(classifier, Classifier) else int(classifier)
    hw = (int(image_shape[0]), int(image_shape[1]))
    work = working_shape(hw, size, crop_fraction)
    sy, sx = hw[0] / work[0], hw[1] / work[1]
    crops = []
    for mirrored in (False, True):
        for name, top, left in crop_offsets(work, size):
            box = (left * sx, top * sy, (left + size) * sx, (top + size) * sy)
            crops.append(Crop(box, mirrored, name + (" mirrored" if mirrored else "")))
    return crops


@dataclasses.dataclass(frozen=True)
class TenCrops:
    """The ten normalised crops of one image (10,3,S,S), their (top, left) in the working image, and the sizes."""

    batch: torch.Tensor
    offsets: list[tuple[int, int]]
    work_hw: tuple[int, int]
    image_hw: tuple[int, int]


def ten_crops(classifier: Classifier, image: np.ndarray, *, crop_fraction: float = DEFAULT_CROP_FRACTION) -> TenCrops:
    """The 10 crops of a uint8 image as one batch for the model: 4 corners and the centre, then their mirrors."""
    s = classifier.input_size
    x = image_tensor(image, classifier.device)
    work = working_shape(image.shape[:2], s, crop_fraction)
    x = F.interpolate(x, size=work, mode="bilinear", align_corners=False, antialias=True)
    offsets = crop_offsets(work, s)
    crops = torch.cat([x[..., t : t + s, l : l + s] for _, t, l in offsets])
    batch = torch.cat([crops, crops.flip(-1)])
    return TenCrops(
        classifier.normalize(batch),
        [(t, l) for _, t, l in offsets] * 2,
        work,
        (int(image.shape[0]), int(image.shape[1])),
    )


def crop_coverage(offsets: Sequence[tuple[int, int]], crop_hw: tuple[int, int], work_hw: tuple[int, int]) -> np.ndarray:
    """How many crops of size crop_hw at these (top, left) cover each pixel of a work_hw canvas (float64)."""
    count = np.zeros(work_hw, np.float64)
    for t, l in offsets:
        count[t : t + crop_hw[0], l : l + crop_hw[1]] += 1
    return count


def paste_average(maps: np.ndarray, offsets: Sequence[tuple[int, int]], work_hw: tuple[int, int]) -> np.ndarray:
    """Paste (K,S,S) crop maps at their (top, left) in a work_hw canvas; average where they overlap."""
    total = np.zeros(work_hw, np.float64)
    s_h, s_w = maps.shape[-2:]
    for m, (t, l) in zip(maps, offsets):
        total[t : t + s_h, l : l + s_w] += m
    count = crop_coverage(offsets, (s_h, s_w), work_hw)
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0).astype(np.float32)


def equal_variance_average(
    maps: np.ndarray, offsets: Sequence[tuple[int, int]], work_hw: tuple[int, int]
) -> np.ndarray:
    """`paste_average` with each pixel's deviation from the maps' mean scaled by sqrt(coverage / K): no noisy frame.

    A pixel covered by k of the K crops is a mean of k maps; scaling its deviation from the grand mean by
    sqrt(k/K) gives it the spread of a K-map mean, so partly covered pixels are no noisier (or brighter) than
    fully covered ones, and fully covered pixels keep the plain average. Non-negative maps stay non-negative.
    """
    maps = np.asarray(maps, np.float64)
    count = crop_coverage(offsets, maps.shape[-2:], work_hw)
    plain = paste_average(maps, offsets, work_hw).astype(np.float64)
    grand_mean = float(maps.mean())
    shrunk = grand_mean + np.sqrt(count / len(maps)) * (plain - grand_mean)
    return np.where(count > 0, shrunk, 0.0).astype(np.float32)


def ten_crop_coverage(
    classifier: Classifier | int, image_shape: Sequence[int], *, crop_fraction: float = DEFAULT_CROP_FRACTION
) -> np.ndarray:
    """How many of the 10 crops cover each pixel of an image of this shape, at the image's own (H, W) (ints 0-10)."""
    size = classifier.input_size if isinstance(classifier, Classifier) else int(classifier)
    hw = (int(image_shape[0]), int(image_shape[1]))
    work = working_shape(hw, size, crop_fraction)
    count = crop_coverage([(t, l) for _, t, l in crop_offsets(work, size)] * 2, (size, size), work)
    rows = np.minimum((np.arange(hw[0]) + 0.5) * work[0] / hw[0], work[0] - 1).astype(int)
    cols = np.minimum((np.arange(hw[1]) + 0.5) * work[1] / hw[1], work[1] - 1).astype(int)
    return count[np.ix_(rows, cols)].astype(np.int64)


AVERAGES = {"equal_variance": equal_variance_average, "plain": paste_average}  # ours (the default), the paper's


def check_average(average: str) -> None:
    """Refuse an unknown 10-crop estimator by name, before any pass is paid for."""
    if average not in AVERAGES:
        raise ValueError(
            f"average must be one of {sorted(AVERAGES)} (equal_variance: ours; plain: the paper's); got {average!r}."
        )


def ten_crop_average(
    maps: torch.Tensor, crops: TenCrops, function: str = "ten_crop", *, average: str = "equal_variance"
) -> np.ndarray:
    """The crops' (10,S,S) maps -> the image's (H, W) map: check the size, un-mirror, paste, average, resize.

    `average` "equal_variance" (the default, `equal_variance_average`) or "plain" (the paper's plain average,
    `paste_average`), so the two estimators can be compared on the same crop maps.
    """
    check_average(average)
    size = tuple(crops.batch.shape[-2:])
    if maps.ndim != 3 or maps.shape[0] != N_CROPS or tuple(maps.shape[-2:]) != size:
        raise ValueError(
            f"{function} pastes one crop-sized map per crop, ({N_CROPS}, {size[0]}, {size[1]}), but the rule returned "
            f"{tuple(maps.shape)}. Make the rule return maps at its input's size (grad_cam: upsample=True)."
        )
    maps = torch.cat([maps[: N_CROPS // 2], maps[N_CROPS // 2 :].flip(-1)])  # un-mirror
    return resize_map(AVERAGES[average](as_numpy_map(maps), crops.offsets, crops.work_hw), *crops.image_hw)
