"""Beyond the paper: the class model searched the "feature visualization" way (Olah et al. 2017; Lucid/Lucent).

The objective is the paper's (Simonyan et al. 2013, Sect. 2): the class score S_c, maximised over the
input with the weights fixed. What changes is *how* the image is searched:

1. Parameterisation. The image is not optimised pixel by pixel but through
       pixels = sigmoid( C . irfft2( spectrum * 1/f ) )
   - Fourier basis, scaled by 1/f: every frequency starts with the same step size *relative to natural
     images*, whose spectrum falls as 1/f; in the pixel basis the gradient is dominated by high frequencies
     (the paper's speckle).
   - colour decorrelation: C is the square root of ImageNet's colour covariance (Lucid's
     `color_correlation_svd_sqrt`), so the three optimised channels are uncorrelated like natural colours.
   - sigmoid: every value of the parameters is a valid image in [0, 1].
2. Transformation robustness: before each forward pass the batch is padded, jittered, scaled and rotated
   by a random amount (Lucid's `standard_transforms`), so the image must score well under all of them.
3. Scale: the transformed image is resized to the model's input size before the forward pass (Lucent
   upsamples to 224), so a 128 px class image is drawn at the scale the network was trained at. Without
   it the image is drawn at 128 px scale, and a network that looks at it at its own input size sees its
   parts about twice too large; the ablation in benchmarks/README.md finds this the largest single gain.
4. Adam (lr 0.05) instead of plain SGD.

`feature_visualization` returns the same `ClassVisualization` results as `class_model_visualization`.
`contrast_stretch` is the per-image percentile stretch used to *display* class images, as in the paper's figures.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .ascent import ascend, check_ascent_numbers, class_objective, target_classes
from .classvis import ClassVisualization, class_visualizations
from .models import Classifier

# The square root of ImageNet's RGB colour covariance (Lucid / Lucent `color_correlation_svd_sqrt`):
# column 0 is luminance, columns 1-2 the two colour-opponent directions.
COLOR_CORRELATION_SVD_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
MAX_NORM_SVD_SQRT = float(COLOR_CORRELATION_SVD_SQRT.norm(dim=0).max())
PARAMETERISATIONS: tuple[str, ...] = ("fourier", "pixel")
TRANSFORMS: tuple[str, ...] = ("pad", "jitter", "scale", "rotate")
REFERENCE_SIZE = 128  # Lucid's transforms are in pixels of a 128 px image; other sizes scale them
PAD, JITTER, JITTER_AFTER = 12, 8, 4
SCALES: tuple[float, ...] = tuple(1 + (i - 5) / 50 for i in range(11))  # 0.90 ... 1.10
ANGLES: tuple[int, ...] = tuple(range(-10, 11)) + (0,) * 5  # degrees; 0 more often
FOURIER_GAIN = 4.0  # Lucent divides the inverse FFT by 4 so that init_std 0.01 gives a faint image
DEFAULT_LR = 0.05
DEFAULT_INIT_STD = 0.01


# ----------------------------------------------------------------------------------------------
# 1. Parameterisation.


def fourier_scale(height: int, width: int, decay_power: float = 1.0) -> torch.Tensor:
    """(H, W//2+1) weights 1/f^decay of the real FFT's frequencies (cycles per pixel, clipped at 1/max(H,W)).

    With the orthonormal inverse FFT this is Lucent's `fft_image` (and Lucid's, whose sqrt(H*W) factor
    undoes its unnormalised inverse FFT)."""
    fy = torch.fft.fftfreq(height)[:, None]
    fx = torch.fft.rfftfreq(width)[None, :]
    freqs = torch.sqrt(fx**2 + fy**2)
    return 1.0 / freqs.clamp(min=1.0 / max(height, width)) ** decay_power


def spectrum_to_image(spectrum: torch.Tensor, height: int, width: int, decay_power: float = 1.0) -> torch.Tensor:
    """Complex spectrum (N,3,H,W//2+1) -> real image (N,3,H,W) through the 1/f scaling (Lucent's fft_image)."""
    scaled = spectrum * fourier_scale(height, width, decay_power).to(spectrum.device)
    return torch.fft.irfft2(scaled, s=(height, width), norm="ortho") / FOURIER_GAIN


def image_to_spectrum(image: torch.Tensor, decay_power: float = 1.0) -> torch.Tensor:
    """The inverse of `spectrum_to_image`: real (N,3,H,W) -> complex (N,3,H,W//2+1)."""
    h, w = image.shape[-2:]
    spectrum = torch.fft.rfft2(image * FOURIER_GAIN, norm="ortho")
    return spectrum / fourier_scale(h, w, decay_power).to(image.device)


def decorrelated_to_rgb(t: torch.Tensor) -> torch.Tensor:
    """(N,3,H,W) in the decorrelated colour basis -> RGB (before the sigmoid): C t / max column norm."""
    c = (COLOR_CORRELATION_SVD_SQRT / MAX_NORM_SVD_SQRT).to(t.device, t.dtype)
    return torch.einsum("ij,njhw->nihw", c, t)


def rgb_to_decorrelated(rgb: torch.Tensor) -> torch.Tensor:
    """The inverse of `decorrelated_to_rgb`."""
    c_inv = torch.linalg.inv(COLOR_CORRELATION_SVD_SQRT / MAX_NORM_SVD_SQRT).to(rgb.device, rgb.dtype)
    return torch.einsum("ij,njhw->nihw", c_inv, rgb)


class ImageParam:
    """A batch of images as optimisable parameters: `.params` (the leaf tensors) and `.pixels()` (N,3,H,W) in [0, 1].

    `param`: "fourier" (1/f-scaled spectrum) or "pixel"; `decorrelate`: colour decorrelation on/off. The
    initial parameters are N(0, init_std) drawn from one generator per image, seeded by (seed, key), so an
    image does not depend on which batch it is in.
    """

    def __init__(
        self,
        n: int,
        size: int,
        *,
        param: str = "fourier",
        decorrelate: bool = True,
        init_std: float = DEFAULT_INIT_STD,
        seed: int = 0,
        keys: Sequence[int] | None = None,
        device: torch.device | str = "cpu",
    ) -> None:
        if param not in PARAMETERISATIONS:
            raise ValueError(f"param must be one of {PARAMETERISATIONS}; got {param!r}.")
        if not (isinstance(size, (int, np.integer)) and size >= 8):
            raise ValueError(f"size must be an int >= 8 pixels; got {size!r}.")
        if not (np.isfinite(init_std) and init_std >= 0):
            raise ValueError(f"init_std must be a non-negative number; got {init_std!r}.")
        keys = list(range(n)) if keys is None else list(keys)
        if len(keys) != n:
            raise ValueError(f"Need one key per image; got {len(keys)} for {n}.")
        self.param, self.decorrelate, self.size = param, bool(decorrelate), int(size)
        shape = (3, size, size // 2 + 1, 2) if param == "fourier" else (3, size, size)
        draws = [torch.randn(shape, generator=torch.Generator().manual_seed(_image_seed(seed, k))) for k in keys]
        self.raw = (init_std * torch.stack(draws)).to(device).requires_grad_(True)

    @property
    def params(self) -> list[torch.Tensor]:
        return [self.raw]

    def pixels(self) -> torch.Tensor:
        """The images (N,3,H,W), values in (0, 1), differentiable with respect to `params`."""
        t = (
            spectrum_to_image(torch.view_as_complex(self.raw), self.size, self.size)
            if self.param == "fourier"
            else self.raw
        )
        if self.decorrelate:
            t = decorrelated_to_rgb(t)
        return torch.sigmoid(t)


def _image_seed(seed: int, key: int) -> int:
    return (int(seed) * 1_000_003 + int(key) * 7919 + 1) % (2**63 - 1)


# ----------------------------------------------------------------------------------------------
# 2. Transformation robustness (one random draw per step for the whole batch).


def random_transform(
    x: torch.Tensor, transforms: Sequence[str], gen: torch.Generator, *, reference_size: int | None = None
) -> torch.Tensor:
    """Lucid's standard transforms in order: pad 12 (grey), jitter 8, scale 0.9-1.1, rotate +-10 deg, jitter 4.

    Pixel amounts are for a 128 px image and scale with `reference_size` (default: x's side). Each is
    skipped unless named in `transforms`. Differentiable; one draw from `gen` per transform per call.
    """
    unknown = set(transforms) - set(TRANSFORMS)
    if unknown:
        raise ValueError(f"Unknown transform(s) {sorted(unknown)}; use {TRANSFORMS}.")
    k = (reference_size or x.shape[-1]) / REFERENCE_SIZE
    if "pad" in transforms:
        p = max(1, round(PAD * k))
        x = F.pad(x, (p, p, p, p), mode="constant", value=0.5)
    if "jitter" in transforms:
        x = _jitter(x, max(1, round(JITTER * k)), gen)
    if "scale" in transforms:
        s = SCALES[int(torch.randint(len(SCALES), (1,), generator=gen))]
        if s != 1:
            x = F.interpolate(x, size=max(8, round(x.shape[-1] * s)), mode="bilinear", align_corners=False)
    if "rotate" in transforms:
        a = ANGLES[int(torch.randint(len(ANGLES), (1,), generator=gen))]
        if a != 0:
            x = _rotate(x, float(a))
    if "jitter" in transforms:
        x = _jitter(x, max(1, round(JITTER_AFTER * k)), gen)
    return x


def _jitter(x: torch.Tensor, d: int, gen: torch.Generator) -> torch.Tensor:
    """A random crop that drops d pixels in total per axis (Lucid's jitter)."""
    oy, ox = (int(v) for v in torch.randint(0, d + 1, (2,), generator=gen))
    h, w = x.shape[-2:]
    return x[..., oy : h - d + oy, ox : w - d + ox]


def _rotate(x: torch.Tensor, degrees: float) -> torch.Tensor:
    """Rotate about the centre (bilinear, borders filled by the nearest edge)."""
    r = np.deg2rad(degrees)
    theta = torch.tensor([[np.cos(r), -np.sin(r), 0.0], [np.sin(r), np.cos(r), 0.0]], dtype=x.dtype, device=x.device)
    grid = F.affine_grid(theta.expand(x.shape[0], 2, 3), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


# ----------------------------------------------------------------------------------------------
# 3. The optimisation.


def feature_visualization(
    classifier: Classifier,
    target: int | str | Sequence[int | str],
    *,
    steps: int = 100,
    size: int | None = None,
    lr: float = DEFAULT_LR,
    param: str = "fourier",
    decorrelate: bool = True,
    transforms: Sequence[str] = TRANSFORMS,
    l2: float = 0.0,
    model_size: int | str | None = "input",
    init_std: float = DEFAULT_INIT_STD,
    seed: int = 0,
    progress: bool = True,
) -> ClassVisualization | list[ClassVisualization]:
    """Maximise the class score S_c (the paper's objective) over a Fourier, colour-decorrelated image with Adam,
    under random pad / jitter / scale / rotation. A list of targets is one batch and gives a list of results.

    `l2` (default 0) subtracts l2 * mean((pixel - 0.5)^2) per image. `model_size`: resize the transformed
    images to this side before the model; "input" (default): the model's input size, as Lucent upsamples to
    224 (a 128 px image is then drawn at the scale the model was trained at, which is what makes it
    recognisable to another network: benchmarks/README.md); None keeps their size, except for a model that
    subtracts a mean *image* (the toy CNN), which gets that image's size. History rows 0..steps-1 are measured on the
    transformed images the step saw; the last row on the returned image itself. The model is never put in
    training mode and its weights receive no gradient.
    """
    classes, single = target_classes(classifier, target)
    check_ascent_numbers(steps, lr, l2)
    if isinstance(transforms, str):
        transforms = (transforms,)
    transforms = tuple(transforms)
    random_transform(torch.zeros(1, 3, 8, 8), transforms, torch.Generator())  # validate the names
    size = classifier.input_size if size is None else size
    model_size = _model_size(classifier, model_size)
    image = ImageParam(
        len(classes),
        size,
        param=param,
        decorrelate=decorrelate,
        init_std=init_std,
        seed=seed,
        keys=classes,
        device=classifier.device,
    )
    targets = torch.tensor(classes, dtype=torch.long, device=classifier.device)
    history, x = _ascend(
        classifier,
        image,
        targets,
        steps=steps,
        lr=float(lr),
        l2=float(l2),
        transforms=transforms,
        size=size,
        model_size=model_size,
        gen=torch.Generator().manual_seed(int(seed)),
        progress=progress,
    )
    settings = {
        "method": "feature_visualization",
        "steps": int(steps),
        "size": int(size),
        "lr": float(lr),
        "param": param,
        "decorrelate": bool(decorrelate),
        "transforms": transforms,
        "l2": float(l2),
        "model_size": model_size,
        "init_std": float(init_std),
        "seed": int(seed),
        "objective": "logit",
        "optimizer": "adam",
    }
    results = class_visualizations(classifier, x, history, classes, settings)
    return results[0] if single else results


def _model_size(classifier: Classifier, model_size: int | str | None) -> int | None:
    """The side the model sees: the input size for "input", the mean image's for None on a toy-like model, else as given."""
    if model_size == "input":
        model_size = int(classifier.input_size)
    elif model_size is None and tuple(classifier.mean.shape[-2:]) != (1, 1):
        model_size = int(classifier.mean.shape[-1])
    if model_size is not None and not (isinstance(model_size, (int, np.integer)) and model_size >= 8):
        raise ValueError(f"model_size must be None or an int >= 8; got {model_size!r}.")
    return model_size  # type: ignore[return-value]


def _as_model_sees(pixels: torch.Tensor, model_size: int | None) -> torch.Tensor:
    """Images (N,3,h,w) resized to model_size x model_size (antialiased) unless they are that size or it is None."""
    if model_size is not None and pixels.shape[-2:] != (model_size, model_size):
        return F.interpolate(
            pixels, size=(model_size, model_size), mode="bilinear", align_corners=False, antialias=True
        )
    return pixels


def _ascend(
    classifier: Classifier,
    image: ImageParam,
    targets: torch.Tensor,
    *,
    steps: int,
    lr: float,
    l2: float,
    transforms: tuple[str, ...],
    size: int,
    model_size: int | None,
    gen: torch.Generator,
    progress: bool,
) -> tuple[np.ndarray, torch.Tensor]:
    """Adam on the image's parameters under random transforms (`helpers.ascent.ascend`); (history, returned images)."""
    opt = torch.optim.Adam(image.params, lr=lr, maximize=True)
    returned: dict[str, torch.Tensor] = {}

    def forward(step: int) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        pixels = image.pixels()
        seen = _as_model_sees(random_transform(pixels, transforms, gen, reference_size=size), model_size)
        penalty = l2 * (pixels - 0.5).pow(2).flatten(1).mean(dim=1) if l2 > 0 else None
        return classifier.model(classifier.normalize(seen)), penalty, classifier.normalize(pixels.detach())

    def update(step: int, grads: Sequence[torch.Tensor]) -> None:
        opt.zero_grad(set_to_none=True)
        for p, g in zip(image.params, grads):
            p.grad = g
        opt.step()

    def final() -> tuple[torch.Tensor, torch.Tensor]:
        pixels = image.pixels()
        returned["x"] = classifier.normalize(pixels)  # scored as the model sees it
        return classifier.model(classifier.normalize(_as_model_sees(pixels, model_size))), returned["x"]

    history = ascend(
        image.params,
        class_objective("logit", targets),
        targets,
        steps=steps,
        forward=forward,
        update=update,
        final=final,
        progress=progress,
        desc="feature visualization",
    )
    return history, returned["x"]


# ----------------------------------------------------------------------------------------------
# Display.


def contrast_stretch(image: np.ndarray, low: float = 1.0, high: float = 99.0) -> np.ndarray:
    """Display only: map the image's `low`-th..`high`-th percentile (over all pixels and channels together,
    so hues are kept) linearly onto 0..255, clipping beyond; a flat image is returned unchanged. uint8 HxWx3 in/out.
    """
    a = np.asarray(image)
    if a.dtype != np.uint8 or a.ndim != 3 or a.shape[-1] != 3:
        raise ValueError(f"contrast_stretch takes a uint8 HxWx3 image; got {a.dtype} {a.shape}.")
    if not 0 <= low < high <= 100:
        raise ValueError(f"Need 0 <= low < high <= 100 (percentiles); got low={low}, high={high}.")
    lo, hi = np.percentile(a, [low, high])
    if hi - lo < 1:
        return a.copy()
    return np.clip(np.round((a.astype(np.float32) - lo) * (255.0 / (hi - lo))), 0, 255).astype(np.uint8)
