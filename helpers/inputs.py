"""One input contract for every algorithm: what a model argument and a model input may be.

A model argument is a `helpers.Classifier` or a bare `nn.Module`; a model input is a normalised (N,C,H,W)
floating tensor with the model's number of colour channels (and, for a model trained at one size, that size),
which the algorithms move to the model's device and dtype (so a CPU tensor works with a
CUDA model, and a float64 tensor with a float32 model). A wrong argument gets an error that names the
fix, not a stack trace from deep inside torch.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .models import Classifier


def _kind(obj: object) -> str:
    """A short description of an unexpected argument, naming PIL images and strings for what they are."""
    if type(obj).__module__.startswith("PIL."):
        return "a PIL image"
    if isinstance(obj, str):
        return f"the string {obj!r}"
    return type(obj).__name__


def as_module(model: object) -> nn.Module:
    """The nn.Module inside a Classifier, or the module itself; anything else is refused with the fix."""
    if isinstance(model, Classifier):
        return model.model
    if isinstance(model, nn.Module):
        return model
    fix = f" Load it first: model = helpers.load_model({model!r})." if isinstance(model, str) else ""
    raise TypeError(f"Expected a helpers.Classifier or an nn.Module as the model; got {_kind(model)}.{fix}")


def as_classifier(model: object, function: str) -> Classifier:
    """`model` if it is a Classifier (which knows its classes and preprocessing); else an error naming the fix."""
    if isinstance(model, Classifier):
        return model
    if isinstance(model, str):
        fix = f"load it first: clf = helpers.load_model({model!r}), then {function}(clf, ...)."
    elif isinstance(model, nn.Module):
        fix = "pass the Classifier that helpers.load_model returns (clf), not its bare module (clf.model)."
    else:
        fix = "load one with helpers.load_model()."
    raise TypeError(f"{function} needs a helpers.Classifier as its first argument; got {_kind(model)}: {fix}")


def categories_of(model: object) -> list[str] | None:
    """Class names when the model is a Classifier, else None (targets must then be indices)."""
    return model.categories if isinstance(model, Classifier) else None


def model_device_dtype(model: nn.Module | Classifier) -> tuple[torch.device, torch.dtype]:
    """Where the model's parameters (or buffers) live and their floating dtype; CPU/float32 for a parameter-free module."""
    module = as_module(model)
    for tensor in (*module.parameters(), *module.buffers()):
        if tensor.is_floating_point():
            return tensor.device, tensor.dtype
    return torch.device("cpu"), torch.float32


def model_input(model: nn.Module | Classifier, x: object) -> torch.Tensor:
    """A non-empty floating (N,C,H,W) tensor on the model's device and dtype, or a clear error saying what was expected."""
    if not isinstance(x, torch.Tensor):
        image_hint = " (a PIL image: np.asarray(img.convert('RGB')) first)" if _kind(x) == "a PIL image" else ""
        raise TypeError(
            f"Expected a model input tensor of shape (N,C,H,W); got {_kind(x)}. "
            f"Turn a uint8 HxWx3 image into one with classifier.preprocess(image){image_hint}."
        )
    if x.ndim != 4:
        raise ValueError(f"Expected a batch of shape (N,C,H,W); got shape {tuple(x.shape)}. Use x[None] for one image.")
    if not x.is_floating_point():
        raise ValueError(f"Expected a floating-point input; got {x.dtype}. Use classifier.preprocess(image).")
    if x.shape[0] == 0:
        raise ValueError("Got an empty batch (N = 0).")
    check_fits_model(model, x)
    device, dtype = model_device_dtype(model)
    return x.to(device=device, dtype=dtype)


def fits_any_size(classifier: Classifier) -> bool:
    """True unless the classifier subtracts a fixed-size mean image (the toy CNN)."""
    return tuple(classifier.mean.shape[-2:]) == (1, 1)


def _expected_channels(model: nn.Module | Classifier) -> int | None:
    """Colour channels the model takes: a Classifier's mean has one per channel, else the first conv's in_channels."""
    if isinstance(model, Classifier):
        return int(model.mean.shape[0])
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    return None if conv is None else int(conv.in_channels)


def _fixed_input_size(model: nn.Module | Classifier) -> int | None:
    """The side a model only works at: a Classifier with a mean image (toy), or a module's `input_size` attribute."""
    if isinstance(model, Classifier):
        if not fits_any_size(model):
            return model.input_size
        model = model.model
    size = getattr(model, "input_size", None)
    return size if isinstance(size, int) and not isinstance(size, bool) else None


MIN_INPUT_SIDE = 32  # px: a Classifier's input smaller than this is not an image it was made for (a mistake)


def check_min_size(model: nn.Module | Classifier, x: torch.Tensor) -> None:
    """Refuse a Classifier's input below MIN_INPUT_SIDE px a side (a 10x10 or 1x1 tensor gives a meaningless map).

    Bare modules are exempt: tests and exercises use tiny networks on tiny inputs on purpose.
    """
    if isinstance(model, Classifier) and min(x.shape[-2:]) < MIN_INPUT_SIDE:
        raise ValueError(
            f"The input is {x.shape[-2]}x{x.shape[-1]} px, smaller than {MIN_INPUT_SIDE} px a side: too small for "
            f"{model.name} (made for {model.input_size} px). Make the input with clf.preprocess(image), which resizes "
            f"the image to {model.input_size} px."
        )


def check_fits_model(model: nn.Module | Classifier, x: torch.Tensor) -> None:
    """Refuse inputs with the wrong number of channels, too small, or (for fixed-size models) the wrong size."""
    channels = _expected_channels(model)
    if channels is not None and x.shape[1] != channels:
        raise ValueError(
            f"The model expects {channels} colour channels, an input of shape (N,{channels},H,W); got {tuple(x.shape)}. "
            "Make the input with classifier.preprocess(image) (a grayscale image: helpers.to_rgb_uint8(image) first)."
        )
    size = _fixed_input_size(model)
    if size is None:
        check_min_size(model, x)
    if size is not None and tuple(x.shape[-2:]) != (size, size):
        raise ValueError(
            f"This model takes {size}x{size} inputs (it was trained at that size); got {x.shape[-2]}x{x.shape[-1]}. "
            f"Make the input with classifier.preprocess(image), which resizes the image to {size} px."
        )


def as_numpy_map(saliency: torch.Tensor | np.ndarray) -> np.ndarray:
    """A map as float32 numpy on the CPU, detached (the image-level functions' output contract)."""
    if isinstance(saliency, torch.Tensor):
        return saliency.detach().to("cpu", torch.float32).numpy()
    return np.asarray(saliency, dtype=np.float32)
