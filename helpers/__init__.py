"""Helpers for the course on 'Deep Inside Convolutional Networks' (Simonyan, Vedaldi, Zisserman, 2013).

One module per idea: `models`, `images` (+ `coco`, `categories` for the COCO photos), `saliency`, `attribution`, `classvis`,
`localization`, `toyworld`,
`plotting`, `widgets`. The names below are imported lazily, so `import helpers` stays fast and a
notebook only pays for what it uses.
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
    "rank_correlation": "saliency",
    "mass_inside_mask": "saliency",
    "pointing_game": "saliency",
    "pointing_hit": "saliency",
    "image_smoothgrad": "saliency",
    # real photos
    "photo_saliency": "photos",
    "evaluate_pointing": "photos",
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
    "evaluate_boxes": "localization",
    "localize_photo": "localization",
    "evaluate_photos": "localization",
}

__all__ = sorted(_EXPORTS) + ["toyworld"]


_SUBMODULES = {
    "models", "images", "categories", "coco", "photos", "saliency", "attribution", "classvis", "atlas", "spectrum",
    "localization", "toyworld", "plotting", "widgets", "exercises", "claims", "runtime", "compare",
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
