"""The one target resolver: what a `target` argument may be, and what `target=None` means, everywhere.

Every public function that explains or optimises a class takes `target` with this meaning:

- an int (or numpy integer, or a 0-d tensor): a class index, range-checked;
- a str: a class name of the model (exact and case-insensitive first, then a unique substring; an unknown or
  ambiguous name lists close matches). The image-level photo functions also accept a COCO category ("dog",
  case-insensitive like class names):
  the best-scoring ImageNet class of its set on the whole image (`helpers.categories`);
- a sequence, a 1-d tensor or array: one class per image of a batch (batch functions only);
- None: the model's top class (largest logit) *on the input the function is given*: per image for the batch
  functions (an (N,C,H,W) tensor: the argmax of each image's scores), and for the image-level functions (a
  uint8 image: `image_saliency`, `image_smoothgrad`, `ten_crop_saliency`, the photo functions) the top class of
  the whole image, as `helpers.views.whole_image_input` feeds it to the model (so the 10-crop average and
  the single pass of one image explain the same class).

A bool, a float, a 2-d array or anything else is refused with a TypeError / ValueError that says what fits.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

import numpy as np
import torch

from .categories import COCO_TO_IMAGENET, best_imagenet_class, imagenet_classes

TargetSpec = int | str | Sequence[int | str] | torch.Tensor | np.ndarray | None


def class_index(
    categories: Sequence[str] | None, target: object, *, n_classes: int | None = None, exact: bool = False
) -> int:
    """One class, given as an index or (with `categories`) a name; range-checked.

    `exact=True` accepts only a full (case-insensitive) name, for names read from annotation files.
    """
    n = len(categories) if n_classes is None and categories is not None else n_classes
    if isinstance(target, (torch.Tensor, np.ndarray)) and np.ndim(target) == 0:
        if isinstance(target, torch.Tensor) and (target.is_floating_point() or target.dtype == torch.bool):
            raise TypeError(f"A target class is an integer; got a {target.dtype} tensor.")
        target = target.item()
    if isinstance(target, (int, np.integer)) and not isinstance(target, (bool, np.bool_)):
        if n is not None and not 0 <= int(target) < n:
            raise IndexError(f"Target class {int(target)} is out of range; the model has {n} classes (0..{n - 1}).")
        return int(target)
    if isinstance(target, str):
        if categories is None:
            raise TypeError(
                f"Class name {target!r} needs a helpers.Classifier (which knows the names); pass an index instead."
            )
        return _name_index(list(categories), target, exact=exact)
    raise TypeError(f"A target is an int class index or a class name; got {type(target).__name__} {target!r}.")


def _name_index(categories: list[str], name: str, *, exact: bool) -> int:
    query = name.strip().lower()
    lowered = [c.lower() for c in categories]
    if query in lowered:
        return lowered.index(query)
    if exact:
        raise ValueError(f"Class {name!r} is not one of the model's {len(categories)} class names.")
    hits = [i for i, c in enumerate(lowered) if query and query in c]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        names = ", ".join(repr(categories[i]) for i in hits[:10])
        raise ValueError(f"Class name {name!r} is ambiguous; it matches {names}. Use a full name or an index.")
    close = similar_class_names(categories, query)
    hint = f" Did you mean: {', '.join(repr(c) for c in close)}?" if close else " No class name is close to it."
    raise ValueError(f"Unknown class name {name!r} ({len(categories)} classes).{hint}")


def similar_class_names(categories: list[str], query: str, *, limit: int = 5) -> list[str]:
    """Class names worth suggesting for a misspelt `query`: close whole names, then names with a close word.

    A query word matches a class-name word equal to it (3+ letters), or (4+ letters) one that
    contains it or that difflib rates >= 0.85 alike, so "retriver" finds the retrievers and "dog"
    the dogs; shorter words ("a") and loose whole-name matches (below 0.8) are ignored, so
    "not a class" suggests nothing unrelated.
    """
    query = query.strip().lower()
    lowered = [c.lower() for c in categories]
    found = [lowered.index(c) for c in difflib.get_close_matches(query, lowered, n=limit, cutoff=0.8)]
    words = [w for w in query.replace("-", " ").split() if len(w) >= 3]
    for i, name in enumerate(lowered):
        if i not in found and any(_words_alike(w, v) for w in words for v in name.replace("-", " ").split()):
            found.append(i)
    return [categories[i] for i in found[:limit]]


def _words_alike(a: str, b: str) -> bool:
    """Query word `a` equals class-name word `b`, or (both 4+ letters) is part of it or spelt >= 85% alike."""
    if a == b:
        return True
    return min(len(a), len(b)) >= 4 and (a in b or difflib.SequenceMatcher(None, a, b).ratio() >= 0.85)


def is_per_image(target: object) -> bool:
    """True for a target that gives one class per image (a list, tuple, 1-d tensor or array)."""
    if isinstance(target, (torch.Tensor, np.ndarray)):
        return np.ndim(target) > 0
    return isinstance(target, Sequence) and not isinstance(target, str)


def class_indices(
    target: TargetSpec, n_images: int, categories: Sequence[str] | None, n_classes: int | None
) -> list[int]:
    """One class index per image from a single class or a per-image sequence (not None: see `resolve_targets`)."""
    if is_per_image(target):
        if isinstance(target, (torch.Tensor, np.ndarray)):
            arr = target.detach().cpu().numpy() if isinstance(target, torch.Tensor) else np.asarray(target)
            if arr.ndim != 1:
                raise ValueError(f"Per-image targets must be 1-d (one class per image); got shape {arr.shape}.")
            if not np.issubdtype(arr.dtype, np.integer):
                raise TypeError(f"Per-image targets must be integers; got dtype {arr.dtype}.")
            target = [int(v) for v in arr]
        if len(target) != n_images:  # type: ignore[arg-type]
            raise ValueError(
                f"Got {len(target)} targets for a batch of {n_images} images; "  # type: ignore[arg-type]
                "give one per image or a single class."
            )
        return [class_index(categories, t, n_classes=n_classes) for t in target]  # type: ignore[union-attr]
    return [class_index(categories, target, n_classes=n_classes)] * n_images


def resolve_targets(target: TargetSpec, scores: torch.Tensor, categories: Sequence[str] | None = None) -> torch.Tensor:
    """Class index per image (N,) on `scores`' device: None = each image's top class (argmax of its scores)."""
    if scores.ndim != 2:
        raise ValueError(f"Class scores must have shape (N, classes); got {tuple(scores.shape)}.")
    n, n_classes = scores.shape
    if target is None:
        return scores.detach().argmax(dim=1)
    idx = class_indices(target, n, categories, n_classes)
    return torch.tensor(idx, dtype=torch.long, device=scores.device)


def image_target(categories: Sequence[str], target: object, whole_image_scores: Callable[[], torch.Tensor]) -> int:
    """The one class an image-level function explains.

    None: the top class of `whole_image_scores()` (the (classes,) logits of the whole image). A name that
    is exactly a class name means that class; otherwise a COCO category ("dog") means the best-scoring
    ImageNet class of its set on the whole image; otherwise the usual lookup (`class_index`).
    """
    if target is None:
        return int(whole_image_scores().argmax())
    if is_per_image(target):
        raise TypeError(f"An image-level function explains one class; got {type(target).__name__} {target!r}.")
    if isinstance(target, str):
        query = target.strip().lower()
        lowered = [c.lower() for c in categories]
        if query in lowered:
            return lowered.index(query)
        coco = {c.lower(): c for c in COCO_TO_IMAGENET}  # COCO names, looked up case-insensitively like class names
        if query in coco:
            if len(categories) != 1000:
                raise ValueError(
                    f"COCO category {target!r} maps to ImageNet-1k classes; the model has {len(categories)} classes."
                )
            return best_imagenet_class(whole_image_scores(), imagenet_classes(coco[query]))
    return class_index(categories, target)
