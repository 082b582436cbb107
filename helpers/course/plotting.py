"""Figures shared by the notebooks, in one style readable on a projector: image grids, saliency, boxes.

Panels are at least ~200 px wide and titles ~12 pt at a modest dpi, so committed notebooks stay light
and a back row can still read them. Saliency is drawn as in the paper (the image beside its
grayscale map); a coloured overlay is an optional second view.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..geometry import check_positive_int

FIGURE_DPI = 80
PANEL_INCHES = 2.8  # 224 px per panel at FIGURE_DPI: the smallest size that reads on a projector
FONT_SIZE = 12


def use_notebook_style() -> None:
    """The course's one figure style: projector-readable fonts at a modest dpi (notebooks stay light)."""
    plt.rcParams.update(
        {
            "figure.dpi": FIGURE_DPI,
            "savefig.dpi": FIGURE_DPI,
            "font.size": FONT_SIZE,
            "axes.titlesize": FONT_SIZE,
            "axes.labelsize": FONT_SIZE,
            "xtick.labelsize": FONT_SIZE - 1,
            "ytick.labelsize": FONT_SIZE - 1,
            "legend.fontsize": FONT_SIZE - 1,
            "figure.titlesize": FONT_SIZE + 2,
            "lines.linewidth": 2.0,
        }
    )


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
    size: float = PANEL_INCHES,
    suptitle: str | None = None,
    interpolation: str | None = None,
) -> Figure:
    """Show images (HxWx3 uint8 or HxW maps) in a grid with optional titles.

    `interpolation="nearest"` shows enlarged images pixel by pixel (class images, whose pixel-level texture is
    the subject); the default smooths, which suits photos shrunk to a panel.
    """
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
            ax.imshow(image if np.ndim(image) == 3 else to_numpy_map(image), cmap=cmap, interpolation=interpolation)
            if titles is not None:
                ax.set_title(titles[i])
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def overlay(
    image: np.ndarray, saliency: np.ndarray | torch.Tensor, *, alpha: float = 0.5, cmap: str = "jet"
) -> np.ndarray:
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
        ax.text(x0, y0 - 2, label, color=color, fontsize=FONT_SIZE - 2, va="bottom", fontweight="bold")


def show_saliency(
    images: Sequence[np.ndarray],
    saliencies: Sequence[np.ndarray | torch.Tensor],
    titles: Sequence[str] | None = None,
    *,
    with_overlay: bool = False,
    per_row: int = 3,
    size: float = PANEL_INCHES,
    suptitle: str | None = None,
) -> Figure:
    """Each photo beside its saliency as a grayscale map (white = salient), as in the paper; `per_row` pairs a row.

    Pairs run across first, so a slide's width is used; `fig.axes[k * n + 1]` is the map of image k, with
    n = 2 panels per image (3 with `with_overlay=True`, which adds the map blended over the photo: a second
    view, never the only one). Each map is rescaled to [0, 1] on its own, so maps are not comparable in magnitude.
    """
    if len(images) == 0 or len(images) != len(saliencies):
        raise ValueError(
            f"Need as many saliency maps as images (at least one); got {len(images)} and {len(saliencies)}."
        )
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"Need one title per image; got {len(titles)} for {len(images)} images.")
    check_positive_int("per_row", per_row)
    panels_each = 3 if with_overlay else 2
    across = min(per_row, len(images))
    rows = -(-len(images) // across)
    fig, grid = plt.subplots(
        rows, across * panels_each, figsize=(size * across * panels_each, size * rows), squeeze=False
    )
    for ax in grid.flat:
        ax.axis("off")
    for k, (image, saliency) in enumerate(zip(images, saliencies)):
        axes = grid[k // across, (k % across) * panels_each : (k % across + 1) * panels_each]
        axes[0].imshow(image)
        axes[0].set_title(f"{titles[k]}: image" if titles is not None else "image")
        axes[1].imshow(normalize_map(saliency), cmap="gray", vmin=0, vmax=1)
        axes[1].set_title("saliency |dS_c/dI|")
        if with_overlay:
            axes[2].imshow(overlay(image, saliency))
            axes[2].set_title("overlay")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig
