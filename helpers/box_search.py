"""Classifier-scored box choice (beyond the paper): among a CAM's boxes, keep the one the classifier recognises best.

A CAM thresholded at one fraction of its maximum gives one box, and on a small object that box is often too large:
the blob spreads past the object. Here the CAM proposes several boxes (the full image and the box at each fraction
0.10 ... 0.60), each box is cropped with a little context, the same classifier scores every crop in one batch (no
gradients), and the box kept maximises

    log p(class | crop) - alpha * log(area share of the box)

The first term asks that the crop still shows the class; the second, with alpha > 0, is a prior for tight boxes:
alpha nats of evidence are worth shrinking the box by a factor e (alpha = 0: the classifier alone; alpha < 0 favours
larger boxes). `alpha` is the one free parameter, chosen on held-out folds (benchmarks/photo_protocol.md, round four).

`score="delete"` scores the other way round (the deletion game of Fong & Vedaldi 2017): each box is filled with the
model's mean colour in the whole photo and the box kept maximises -log p(class | photo without the box) - alpha *
log(area share): a box that holds the whole object removes the class, a part does not, and alpha > 0 keeps the
smallest box that removes it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from .cam import cam_localization
from .geometry import Box
from .inputs import as_classifier
from .localization import Localization, as_saliency
from .models import Classifier
from .targets import TargetSpec, image_target
from .views import image_tensor, whole_image_input, whole_image_scores

BOX_FRACTIONS: tuple[float, ...] = tuple(round(0.10 + 0.05 * i, 2) for i in range(11))  # 0.10 ... 0.60 of the max
CROP_MARGIN = 0.10  # context added on each side of a box before it is cropped, a share of its width / height
ALPHAS: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, -0.25, -0.5)  # the grid alpha is chosen from
BoxScore = Literal["crop", "delete"]
BOX_SCORES: tuple[str, ...] = ("crop", "delete")


@dataclasses.dataclass(frozen=True)
class BoxSearch:
    """The candidate boxes of one search, their crops' log-probabilities and area shares, and the box kept."""

    boxes: tuple[Box, ...]  # the full image first, then the CAM's boxes by rising fraction, duplicates dropped
    fractions: tuple[float | None, ...]  # the CAM fraction of each box (None: the full image)
    log_probs: np.ndarray  # log p(class) of each box's crop (with context), or of the photo without the box, (n,)
    area_shares: np.ndarray  # each box's area / the image's area, (n,)
    alpha: float
    index: int  # the box kept at `alpha`
    score: BoxScore = "crop"  # what `log_probs` scored: the crop ("crop") or the photo without the box ("delete")

    @property
    def evidence(self) -> np.ndarray:
        """The objective's first term: log p(class | crop), or -log p(class | photo without the box)."""
        return self.log_probs if self.score == "crop" else -self.log_probs

    @property
    def box(self) -> Box:
        """The box kept."""
        return self.boxes[self.index]

    def choose(self, alpha: float) -> int:
        """The index of the box kept at another `alpha` (no new forward pass): the crops' scores are reused."""
        return int(np.argmax(box_objective(self.evidence, self.area_shares, alpha)))


def _check_alpha(alpha: object) -> float:
    """alpha as a float; a non-number or a non-finite number is a ValueError."""
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not math.isfinite(alpha):
        raise ValueError(f"alpha must be a finite number (nats per factor e of box area, e.g. 0.5); got {alpha!r}.")
    return float(alpha)


def box_objective(evidence: np.ndarray, area_shares: np.ndarray, alpha: float) -> np.ndarray:
    """evidence - alpha * log(area share) per box: the evidence (e.g. log p(class | crop)) must hold, and with
    alpha > 0 the tighter box wins (alpha nats are worth shrinking a box by a factor e)."""
    alpha = _check_alpha(alpha)
    ev, share = np.asarray(evidence, np.float64), np.asarray(area_shares, np.float64)
    if ev.shape != share.shape or ev.ndim != 1 or ev.size == 0:
        raise ValueError(
            f"evidence and area_shares must be non-empty 1-D arrays of one length; got {ev.shape}, {share.shape}."
        )
    if not np.all((share > 0) & (share <= 1)):
        raise ValueError("area_shares must lie in (0, 1] (a box's share of the image).")
    return ev - alpha * np.log(share)


def candidate_boxes(
    cam: np.ndarray | torch.Tensor, fractions: Sequence[float] = BOX_FRACTIONS
) -> tuple[tuple[Box, ...], tuple[float | None, ...]]:
    """The full image, then the CAM protocol's box at each fraction (largest component), duplicates dropped."""
    m = as_saliency(cam)
    if not len(fractions):
        raise ValueError("fractions must name at least one fraction of the CAM's maximum, e.g. (0.2, 0.4).")
    h, w = m.shape
    boxes: list[Box] = [(0, 0, w, h)]
    kept: list[float | None] = [None]
    for f in fractions:
        box = cam_localization(m, f).box
        if box not in boxes:
            boxes.append(box)
            kept.append(float(f))
    return tuple(boxes), tuple(kept)


def context_box(box: Box, height: int, width: int, margin: float = CROP_MARGIN) -> Box:
    """`box` widened by `margin` x its width / height on each side, clipped to the image."""
    if not isinstance(margin, (int, float)) or isinstance(margin, bool) or not 0.0 <= margin <= 1.0:
        raise ValueError(f"margin must lie in [0, 1] (a share of the box's side added on each side); got {margin!r}.")
    x0, y0, x1, y1 = box
    if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
        raise ValueError(
            f"box must be (x0, y0, x1, y1) inside a {height} x {width} image with x0 < x1, y0 < y1; got {box}."
        )
    dx, dy = round(margin * (x1 - x0)), round(margin * (y1 - y0))
    return (max(0, x0 - dx), max(0, y0 - dy), min(width, x1 + dx), min(height, y1 + dy))


@torch.no_grad()
def crop_log_probs(
    classifier: Classifier, image: np.ndarray, boxes: Sequence[Box], target: int, *, margin: float = CROP_MARGIN
) -> np.ndarray:
    """log p(target | crop) of each box's crop (widened by `margin`), each resized to the model's input size squared
    (R-CNN's warp) and scored in one batch without gradients, (n,)."""
    classifier = as_classifier(classifier, "crop_log_probs")
    if classifier.model.training:
        raise ValueError("The model is in training mode; call model.eval() first.")
    if not boxes:
        raise ValueError("boxes must hold at least one (x0, y0, x1, y1) box.")
    x = image_tensor(image, classifier.device)
    h, w = x.shape[-2:]
    s = classifier.input_size
    crops = []
    for box in boxes:
        x0, y0, x1, y1 = context_box(tuple(int(v) for v in box), h, w, margin)  # type: ignore[arg-type]
        crop = x[..., y0:y1, x0:x1]
        crops.append(F.interpolate(crop, size=(s, s), mode="bilinear", align_corners=False, antialias=True))
    scores = classifier.model(classifier.normalize(torch.cat(crops)))
    return scores.log_softmax(dim=1)[:, target].float().cpu().numpy()


@torch.no_grad()
def deletion_log_probs(classifier: Classifier, image: np.ndarray, boxes: Sequence[Box], target: int) -> np.ndarray:
    """log p(target | the whole photo with the box filled with the model's mean colour) for each box, one batch
    without gradients, (n,): the photo as `whole_image_input` shows it, the box scaled to that size."""
    classifier = as_classifier(classifier, "deletion_log_probs")
    if classifier.model.training:
        raise ValueError("The model is in training mode; call model.eval() first.")
    if not boxes:
        raise ValueError("boxes must hold at least one (x0, y0, x1, y1) box.")
    h, w = np.shape(image)[:2]
    x = whole_image_input(classifier, image)
    sy, sx = x.shape[-2] / h, x.shape[-1] / w
    batch = x.repeat(len(boxes), 1, 1, 1)
    for i, box in enumerate(boxes):
        x0, y0, x1, y1 = context_box(tuple(int(v) for v in box), h, w, 0.0)  # type: ignore[arg-type]
        batch[i, :, math.floor(y0 * sy) : math.ceil(y1 * sy), math.floor(x0 * sx) : math.ceil(x1 * sx)] = 0.0
    return classifier.model(batch).log_softmax(dim=1)[:, target].float().cpu().numpy()


def search_box(
    classifier: Classifier,
    image: np.ndarray,
    cam: np.ndarray | torch.Tensor,
    target: TargetSpec = None,
    *,
    alpha: float,
    fractions: Sequence[float] = BOX_FRACTIONS,
    margin: float = CROP_MARGIN,
    score: BoxScore = "crop",
) -> BoxSearch:
    """The classifier-scored box choice on a photo: the CAM's boxes (`candidate_boxes`), their crops scored
    (`crop_log_probs`), the box kept by `box_objective` at `alpha` (ties: the earlier, larger box).

    `cam` is a non-negative (H, W) map at the image's size (e.g. `helpers.photos.gradcam_map`); `target` as in
    `helpers.targets.image_target` (None: the top class on the whole image). `score="delete"` scores the photo
    without each box instead (`deletion_log_probs`; `margin` unused). The image and the map are not modified.
    """
    classifier = as_classifier(classifier, "search_box")
    alpha = _check_alpha(alpha)
    if score not in BOX_SCORES:
        raise ValueError(f"score must be one of {BOX_SCORES}; got {score!r}.")
    m = as_saliency(cam)
    if m.shape != tuple(np.shape(image)[:2]):
        raise ValueError(f"cam must be an (H, W) map at the image's size {np.shape(image)[:2]}; got {m.shape}.")
    cls = image_target(classifier.categories, target, lambda: whole_image_scores(classifier, image))
    boxes, kept = candidate_boxes(m, fractions)
    if score == "crop":
        log_probs = crop_log_probs(classifier, image, boxes, cls, margin=margin)
    else:
        context_box(boxes[0], *m.shape, margin)  # a bad margin fails the same way for both scores
        log_probs = deletion_log_probs(classifier, image, boxes, cls)
    shares = np.array([(b[2] - b[0]) * (b[3] - b[1]) / (m.shape[0] * m.shape[1]) for b in boxes])
    found = BoxSearch(boxes, kept, log_probs, shares, alpha, 0, score)
    return dataclasses.replace(found, index=found.choose(alpha))


def search_localization(search: BoxSearch, cam: np.ndarray | torch.Tensor) -> Localization:
    """The `Localization` of a search's box: the CAM protocol at the kept fraction (the full image: all of it)."""
    return fraction_localization(cam, search.fractions[search.index], search.box)


def fraction_localization(cam: np.ndarray | torch.Tensor, fraction: float | None, box: Box) -> Localization:
    """The `Localization` of one candidate: the CAM protocol at `fraction`, or the whole image (`box`) for None."""
    m = as_saliency(cam)
    if fraction is None:
        whole = np.ones(m.shape, bool)
        return Localization(mask=whole, box=box, seeds=np.zeros(m.shape, np.int8), segmentation=whole)
    return cam_localization(m, fraction)
