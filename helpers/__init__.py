"""Helpers for the course on 'Deep Inside Convolutional Networks' (Simonyan, Vedaldi, Zisserman, 2013).

The contract every public function keeps (tested for all attribution functions in tests/test_contract.py):

- **Model first.** The first argument is the model: a `helpers.Classifier` (from `load_model`), or a bare
  `nn.Module` where the function needs no pre-processing. Then the data, then the target, then keywords.
- **Inputs.** Batch functions (`saliency_map`, `smoothgrad`, `backprop_saliency`, `grad_cam`,
  `integrated_gradients`, `noise_tunnel(...)`) take a normalised floating (N,C,H,W) tensor, e.g.
  `classifier.preprocess(image)` (for a Classifier at least 32 px a side, `helpers.inputs.MIN_INPUT_SIDE`); it is moved to the model's device and dtype and never modified. Image-level
  functions (`image_saliency`, `image_smoothgrad`, `ten_crop_saliency`, `ten_crop(...)`, `whole_image(...)`,
  `photo_saliency`, `localize_photo`, every method of the `helpers.methods` registry) take a uint8 HxWx3 RGB image
  and a Classifier. Anything else (a PIL image, a uint8 or 3-d tensor, an empty batch, the wrong number of
  channels) is a TypeError or ValueError that says how to make the right input. Gradients are computed with
  `torch.autograd.grad` under `torch.enable_grad()`, so they work under the caller's `torch.no_grad()` and leave
  no `.grad` on the model or the input.
- **Targets** (`helpers.targets`, the one resolver): an int class index, a class name, one class per image (a
  list, a 1-d tensor or array) for batch functions, or None. None is the model's top class on the input the
  function is given: per image for batch functions; for image-level functions the top class of the whole
  image (so the 10-crop average explains the class the single pass explains). Image-level photo functions also
  take a COCO category ("dog": its best-scoring ImageNet class). A bad target is an IndexError (out of range),
  a ValueError (unknown or ambiguous name, wrong count) or a TypeError (bool, float, ...).
- **Outputs.** Batch functions return (N,H,W) floating tensors on the model's device, detached; image-level
  functions return (H,W) float32 numpy arrays at the image's own size. Stated exceptions: `reduce=None`
  returns the signed (N,C,H,W) signal; `grad_cam(..., upsample=False)` returns the (N,h,w) map of the layer;
  `class_model_visualization` returns one result for one class and a list for a list of classes. Scores of
  maps (`mass_inside_mask`, `pointing_game`, `pointing_hit`, `centre_hit`) follow the map's dimensions, never its
  values: one (H,W) map gives a Python float (a bool for the pointing hits), an (N,H,W) stack with (N,H,W) masks
  gives an (N,) array (float64; bool for the hits), even for N = 1.

One module per idea, on seven layers; a module imports only from the layers below it
(pyproject.toml, `[tool.importlinter]`; tests/test_layers.py runs the check):

1. `geometry` (input checks, boxes, resizing, the one positive-integer check), `paths` (where the data lives),
   `claims` (conclusions checked on the reader's run), `runtime` (torch's thread count; `parallel_map`, CPU work
   such as GrabCut over one process per core)
2. `categories`: ImageNet class names and the COCO -> ImageNet table
3. models and data: `models`, `efficientnet_lite`, `images` (photos, and image conversion: `to_rgb_uint8`,
   `as_rgb_image`), `coco`, `toyworld`, `linear`, and `targets` (the one target resolver)
4. the algorithms: `saliency` (the paper's gradient map, on a batch, one image and ten crops), `wrappers` (the
   composable `noise_tunnel`, `ten_crop` and `whole_image`, as Captum's NoiseTunnel), `views` (how an image is
   shown to the model: the whole image, the ten crops and their one average), `attribution`, `ascent` (the one
   gradient-ascent loop of class images), `classvis`, `feature_vis` (class images the feature-visualization way,
   beyond the paper), `spectrum`, `localization` (the paper's GraphCut only), `cam` (the CAM protocol, beyond
   the paper), `inputs`, the one input contract they share (Classifier or nn.Module; tensors moved to the
   model's device), and `methods`, the one registry of attribution methods by name (what the photo pipeline,
   the photo benchmark and the saliency explorer choose from)
5. the real-photo pipeline: `photos` (model choice, target class, `photo_saliency`, `localize_photo`)
   and `cam_zoom` (a second Grad-CAM pass on the zoomed-in region of the first map's box; it uses `photos`)
6. `evaluation`: box and mask scores, the pointing game, the model-randomization check, photo and ILSVRC
   evaluation, where a class's margin came from (never imported by 4)
7. what the course is built from: `atlas` (the class-image atlas; `atlas_command`, its options and pre-flight
   checks), `exercises` (the exercises' checks and quizzes) and the `course` sub-package, the tooling apart from
   the library: `course.colab` (badge, set-up cell, slides), `course.run_notebooks` (the headless runner),
   `course.site`, `course.compare` (a fresh run's checked outputs and claims against the committed ones),
   `course.plotting`, `course.widgets` (reachable as `helpers.plotting` and `helpers.widgets`, as the notebooks
   use them) and `course.atlas_pages`

Notebook 07 (saliency in the loss, beyond the paper) adds `shortcut`, the toy world with a class-coloured decoy
(between layers 3 and 4: it builds on `toyworld`), and `rrr` in layer 4, Ross et al.'s penalty on the input
gradient and its training.

The names below are imported lazily, so `import helpers` stays fast and a notebook only pays for what it uses.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"  # the package version (pyproject.toml reads it); CHANGELOG.md says what changed

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
    "ten_crop_boxes": "views",
    "smoothgrad": "saliency",
    "randomize_top_layers": "evaluation.randomization",
    "rank_correlation": "evaluation.masks",
    "mass_inside_mask": "evaluation.masks",
    "pointing_game": "evaluation.masks",
    "pointing_hit": "evaluation.masks",
    "centre_hit": "evaluation.masks",
    "image_smoothgrad": "saliency",
    "noise_tunnel": "wrappers",
    "ten_crop": "wrappers",
    "whole_image": "wrappers",
    # real photos
    "photo_saliency": "photos",
    "evaluate_pointing": "evaluation.pointing",
    "best_photo_model": "photos",
    "saliency_explorer": "course.widgets",
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
    "models",
    "images",
    "categories",
    "coco",
    "photos",
    "saliency",
    "attribution",
    "classvis",
    "atlas",
    "spectrum",
    "localization",
    "toyworld",
    "exercises",
    "geometry",
    "evaluation",
    "claims",
    "runtime",
    "inputs",
    "feature_vis",
    "targets",
    "methods",
    "course",
    "views",
    "wrappers",
    "cam",
    "ascent",
}
# The notebooks' figures and explorers live with the course tooling; `helpers.plotting.X` reads as before.
_COURSE_MODULES = {"plotting": "course.plotting", "widgets": "course.widgets"}


def __getattr__(name: str) -> Any:
    """Import the module that defines `name` on first use."""
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return getattr(module, name)
    if name in _SUBMODULES or name in _COURSE_MODULES:
        return importlib.import_module(f".{_COURSE_MODULES.get(name, name)}", __name__)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
