"""Grad-CAM variants for photos (beyond the paper): a finer layer, several layers, and test-time averaging.

Grad-CAM of the last block of a 224 px EfficientNet-Lite0 is a 7 x 7 grid: upsampled, its blob spreads past small
objects. The variants here attack that, each an image rule of the `helpers.methods` registry (uint8 image -> (H, W)):

- `gradcam_at_stride(classifier, image, target, stride=16)`: Grad-CAM of the last block whose output is 1/stride of
  the input (Lite0: block 10, 14 x 14 at 224 px), found from the model's own shapes (`layer_at_stride`). Its outer
  ring of cells sees the zero padding and often holds the map's maximum (a border artefact), so each border cell
  takes its inner neighbour's value before upsampling (`replicate_border`; an object at the edge keeps its weight);
- `gradcam_layers`: the mean of the last block's and the stride-16 block's Grad-CAM, each scaled to maximum 1;
- `gradcam_tta`: Grad-CAM averaged over the photo and its mirror image at two input sizes (test-time augmentation);
- `gradcam_at_side(classifier, image, target, side=320)`: Grad-CAM of the last block, one pass over the photo at a
  larger shorter side (Lite0: a 10 x 10 grid at 320 px, 14 x 14 at 448, instead of 7 x 7).

They were measured against the plain Grad-CAM box in benchmarks/photo_cv_protocol.py (benchmarks/README.md).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .attribution import grad_cam
from .geometry import check_positive_int, resize_map, resize_shorter_side
from .inputs import as_classifier, fits_any_size
from .models import Classifier
from .targets import TargetSpec, image_target
from .views import image_tensor, input_scores, whole_image_input

FINE_STRIDE = 16  # the finer layer: one stride below the last block's 32
FINE_BORDER = 1  # cells of the stride-16 CAM's outer ring replaced by their inner neighbours (the padding artefact)
TTA_SIDES = (224, 320)  # shorter sides of the test-time averaging (224: the model's own size)
FINE_SIDES = (320, 448)  # gradcam_at_side's registered sides (helpers.methods: "gradcam320", "gradcam448")


def _scaled(m: np.ndarray) -> np.ndarray:
    """A non-negative map scaled to maximum 1 (all zeros stays zeros), so maps of different passes weigh equally."""
    top = float(m.max()) if m.size else 0.0
    return (m / top).astype(np.float32) if top > 0 else np.zeros(m.shape, np.float32)


def _block_containers(module: nn.Module) -> set[int]:
    """ids of the ModuleLists / Sequentials of `module`: their children are the network's blocks."""
    return {id(m) for m in module.modules() if isinstance(m, (nn.ModuleList, nn.Sequential))}


@torch.no_grad()
def layer_at_stride(classifier: Classifier, x: torch.Tensor, stride: int) -> str:
    """The name of the last block (a child of a ModuleList / Sequential) whose output is the input's size / `stride`.

    Found from one forward pass over `x`, so it works for any convolutional classifier; a model with no such
    block is a ValueError that says which strides it has.
    """
    check_positive_int("stride", stride)
    module = classifier.model
    containers = _block_containers(module)
    children = {
        id(c): f"{name}.{cname}" if name else cname
        for name, m in module.named_modules()
        if id(m) in containers
        for cname, c in m.named_children()
    }
    want = (math.ceil(x.shape[-2] / stride), math.ceil(x.shape[-1] / stride))
    seen: list[tuple[str, tuple[int, ...]]] = []
    hooks = [
        m.register_forward_hook(lambda mod, _i, out: seen.append((children[id(mod)], tuple(out.shape))))
        for m in module.modules()
        if id(m) in children
    ]
    try:
        module(x)
    finally:
        for h in hooks:
            h.remove()
    names = [name for name, shape in seen if len(shape) == 4 and shape[-2:] == want]
    if not names:
        strides = sorted({round(x.shape[-2] / s[-2]) for _, s in seen if len(s) == 4})
        raise ValueError(f"No block of {classifier.name} outputs 1/{stride} of the input; its strides are {strides}.")
    return names[-1]


def replicate_border(cam: torch.Tensor, cells: int) -> torch.Tensor:
    """A (N, h, w) grid whose outer `cells` rings copy the nearest inner cell: drops a padding artefact, keeps edges."""
    check_positive_int("cells", cells, minimum=0)
    if cells == 0:
        return cam
    h, w = cam.shape[-2:]
    if h <= 2 * cells or w <= 2 * cells:
        raise ValueError(f"A {h} x {w} CAM has no inner cells once {cells} border ring(s) are dropped.")
    inner = cam[..., cells : h - cells, cells : w - cells]
    return F.pad(inner[:, None], (cells, cells, cells, cells), mode="replicate")[:, 0]


def _cam_on(
    classifier: Classifier, x: torch.Tensor, cls: int, layer: str | None, hw: tuple[int, int], border: int = 0
) -> np.ndarray:
    """Grad-CAM of class `cls` on the model input `x` (layer None: the last block), border rings replicated from the
    inside (`replicate_border`), upsampled to the input and resized to (H, W), maximum 1."""
    cam = replicate_border(grad_cam(classifier, x, cls, layer=layer, upsample=False), border)
    cam = F.interpolate(cam[:, None], size=x.shape[-2:], mode="bilinear", align_corners=False)
    return _scaled(resize_map(cam[0, 0].detach().cpu().numpy(), *hw))


def _prepare(classifier: object, image: np.ndarray, target: TargetSpec, function: str):
    classifier = as_classifier(classifier, function)
    x = whole_image_input(classifier, image)
    cls = image_target(classifier.categories, target, lambda: input_scores(classifier, x))
    return classifier, x, cls


def gradcam_at_stride(
    classifier: Classifier, image: np.ndarray, target: TargetSpec = None, *, stride: int = FINE_STRIDE
) -> np.ndarray:
    """Grad-CAM of the last block at 1/`stride` of the input (finer than the last block), its outer ring replicated
    from the inside (`FINE_BORDER`: the padding artefact), whole image, (H, W), max 1."""
    classifier, x, cls = _prepare(classifier, image, target, "gradcam_at_stride")
    return _cam_on(classifier, x, cls, layer_at_stride(classifier, x, stride), image.shape[:2], FINE_BORDER)


def gradcam_layers(classifier: Classifier, image: np.ndarray, target: TargetSpec = None) -> np.ndarray:
    """The mean of the last block's and the stride-16 block's Grad-CAM (each maximum 1): coarse extent, finer edges."""
    classifier, x, cls = _prepare(classifier, image, target, "gradcam_layers")
    hw = image.shape[:2]
    fine = layer_at_stride(classifier, x, FINE_STRIDE)
    return (_cam_on(classifier, x, cls, None, hw) + _cam_on(classifier, x, cls, fine, hw, FINE_BORDER)) / 2


def gradcam_tta(
    classifier: Classifier, image: np.ndarray, target: TargetSpec = None, *, sides: tuple[int, ...] = TTA_SIDES
) -> np.ndarray:
    """Grad-CAM averaged over the image and its mirror at each shorter side in `sides` (each pass maximum 1), (H, W).

    A fixed-size model (the toy CNN) is seen at its own size only, with and without the mirror.
    """
    classifier, x0, cls = _prepare(classifier, image, target, "gradcam_tta")
    if not sides:
        raise ValueError("sides must name at least one shorter side, e.g. (224, 320).")
    for s in sides:
        check_positive_int("each side", s)
    hw = image.shape[:2]
    raw = image_tensor(image, classifier.device)
    inputs = [classifier.normalize(resize_shorter_side(raw, s)) for s in sides] if fits_any_size(classifier) else [x0]
    maps = []
    for x in inputs:
        maps.append(_cam_on(classifier, x, cls, None, hw))
        maps.append(_cam_on(classifier, x.flip(-1), cls, None, hw)[:, ::-1])
    return np.mean(maps, axis=0).astype(np.float32)


def gradcam_at_side(classifier: Classifier, image: np.ndarray, target: TargetSpec = None, *, side: int) -> np.ndarray:
    """Grad-CAM of the last block, one pass over the whole image at shorter side `side` (a finer grid than at the
    model's own size, so the blob can shrink around a small object), (H, W), max 1.

    A fixed-size model (the toy CNN) is seen at its own size. The class is resolved at the model's own size.
    """
    classifier, x0, cls = _prepare(classifier, image, target, "gradcam_at_side")
    check_positive_int("side", side)
    raw = image_tensor(image, classifier.device)
    x = classifier.normalize(resize_shorter_side(raw, side)) if fits_any_size(classifier) else x0
    return _cam_on(classifier, x, cls, None, image.shape[:2])
