"""Helpers for the course on 'Deep Inside Convolutional Networks' (Simonyan, Vedaldi, Zisserman, 2013).

One module per idea, on seven layers; a module imports only from the layers below it
(pyproject.toml, `[tool.importlinter]`; tests/test_layers.py runs the check):

1. `geometry` (input checks, boxes, resizing), `paths` (where the data lives), `moved` (old homes of moved names),
   `claims` (conclusions checked on the reader's run), `runtime` (torch's thread count)
2. `categories`: ImageNet class names and the COCO -> ImageNet table
3. models and data: `models`, `efficientnet_lite`, `images`, `coco`, `toyworld`, `linear`
4. the algorithms: `saliency`, `attribution`, `classvis`, `spectrum`, `localization` (the paper's GraphCut), and
   `feature_vis` (class images the feature-visualization way, beyond the paper), and `inputs`, the one input
   contract they share (Classifier or nn.Module; tensors moved to the model's device)
5. the real-photo pipeline: `photos` (model choice, target class, `photo_saliency`, `localize_photo`)
6. `evaluation`: box and mask scores, the pointing game, photo and ILSVRC evaluation (never imported by 4)
7. what the course is built from: `atlas`, `plotting`, `widgets`, `exercises`, `course`, `site`, `run_notebooks`,
   `compare` (a fresh run's checked outputs and claims against the committed ones)

The names below are imported lazily, so `import helpers` stays fast and a notebook only pays for what it uses.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # models
    "load_model": "models",
    "Classifier": "models",
    "default_device": "models",
    "WeightsUnavailableError": "models",
    # images
    "load_image": "images",
    "list_images": "images",
    "photo_info": "images",
    "to_rgb_uint8": "images",
    # COCO categories -> ImageNet classes
    "imagenet_classes": "categories",
    "NoImageNetCounterpart": "categories",
    # saliency
    "saliency_map": "saliency",
    "ten_crop_saliency": "saliency",
    "image_saliency": "saliency",
    "ten_crop_boxes": "saliency",
    "smoothgrad": "saliency",
    "randomize_top_layers": "saliency",
    "rank_correlation": "evaluation.masks",
    "mass_inside_mask": "evaluation.masks",
    "pointing_game": "evaluation.masks",
    "pointing_hit": "evaluation.masks",
    "image_smoothgrad": "saliency",
    "noise_tunnel": "saliency",
    "ten_crop": "saliency",
    "whole_image": "saliency",
    # real photos
    "photo_saliency": "photos",
    "evaluate_pointing": "evaluation.pointing",
    "best_photo_model": "photos",
    "saliency_explorer": "widgets",
    # the paper's Section 4 and its successors
    "backprop_saliency": "attribution",
    "relu_backward_rule": "attribution",
    "grad_cam": "attribution",
    "integrated_gradients": "attribution",
    "fooling_image": "attribution",
    # class-model visualization
    "class_model_visualization": "classvis",
    # conclusions checked on the reader's run
    "claim": "claims",
    # localization
    "localize": "localization",
    "Localization": "localization",
    "evaluate_boxes": "evaluation.boxes",
    "localize_photo": "photos",
    "localize_photo_paper": "photos",
    "evaluate_photos": "evaluation.photo_localization",
}

__all__ = sorted(_EXPORTS) + ["toyworld"]


_SUBMODULES = {
    "models", "images", "categories", "coco", "photos", "saliency", "attribution", "classvis", "atlas", "spectrum",
    "localization", "toyworld", "plotting", "widgets", "exercises", "geometry", "evaluation", "claims", "runtime",
    "compare", "inputs", "feature_vis", "targets", "atlas_pages",
}


def __getattr__(name: str) -> Any:
    """Import the module that defines `name` on first use."""
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return getattr(module, name)
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
