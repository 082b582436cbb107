"""Figures shared by the notebooks: image grids, saliency overlays, boxes. Modest dpi keeps notebooks small."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

FIGURE_DPI = 72


def use_notebook_style() -> None:
    """Small, readable figures at low dpi so committed notebooks stay light."""
    plt.rcParams.update({"figure.dpi": FIGURE_DPI, "savefig.dpi": FIGURE_DPI, "font.size": 9, "axes.titlesize": 9})


def to_numpy_map(values: np.ndarray | torch.Tensor) -> np.ndarray:
    """A 2-D map (tensor or array, possibly with a leading 1) as a float numpy array."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    values = np.asarray(values, dtype=np.float32)
    while values.ndim > 2 and values.shape[0] == 1:
        values = values[0]
    if values.ndim != 2:
        raise ValueError(f"Expected a 2-D map (H, W); got shape {values.shape}.")
    return values


def normalize_map(values: np.ndarray | torch.Tensor) -> np.ndarray:
    """Rescale a map to [0, 1] for display (a constant map becomes all zeros)."""
    m = to_numpy_map(values)
    span = float(m.max() - m.min())
    return (m - m.min()) / span if span > 0 else np.zeros_like(m)


def show_images(
    images: Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    *,
    ncols: int | None = None,
    cmap: str | None = None,
    size: float = 2.2,
    suptitle: str | None = None,
) -> Figure:
    """Show images (HxWx3 uint8 or HxW maps) in a grid with optional titles."""
    n = len(images)
    if n == 0:
        raise ValueError("show_images needs at least one image.")
    ncols = ncols or min(n, 6)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            image = images[i]
            ax.imshow(image if np.ndim(image) == 3 else to_numpy_map(image), cmap=cmap)
            if titles is not None:
                ax.set_title(titles[i])
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def overlay(image: np.ndarray, saliency: np.ndarray | torch.Tensor, *, alpha: float = 0.5, cmap: str = "jet") -> np.ndarray:
    """Blend a saliency map (any resolution) over an RGB image; returns uint8 HxWx3."""
    import cv2

    m = normalize_map(saliency)
    h, w = image.shape[:2]
    if m.shape != (h, w):
        m = cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR)
    colours = plt.get_cmap(cmap)(m)[..., :3]
    blended = (1 - alpha) * image.astype(np.float32) / 255.0 + alpha * colours
    return np.clip(blended * 255, 0, 255).astype(np.uint8)


def draw_box(ax: Axes, box: Sequence[int], *, color: str = "lime", label: str | None = None, lw: float = 2.0) -> None:
    """Draw an (x0, y0, x1, y1) box (x1, y1 exclusive) on image axes."""
    x0, y0, x1, y1 = (float(v) for v in box)
    ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, edgecolor=color, linewidth=lw))
    if label:
        ax.text(x0, y0 - 2, label, color=color, fontsize=8, va="bottom", fontweight="bold")
