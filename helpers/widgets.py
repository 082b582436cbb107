"""Interactive panels for the notebooks (ipywidgets). Importable without a display: figures are
rendered to PNG bytes shown in an `ipywidgets.Image`, so every panel can be driven from code and tested.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .models import Classifier

SALIENCY_MODES: tuple[str, ...] = ("single pass", "10 crops")
COLOUR_MAPS: tuple[str, ...] = ("jet", "inferno", "gray", "viridis")


def render_png(draw: Callable[[Any], None], *, figsize: tuple[float, float] = (6.0, 3.0), dpi: int = 72) -> bytes:
    """Draw on a fresh off-screen matplotlib figure and return it as PNG bytes (no pyplot state touched)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    draw(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


@dataclass
class SaliencyExplorer:
    """The saliency explorer's widgets and state; `update()` recomputes and redraws (called on every change)."""

    classifier: Classifier
    images: Mapping[str, np.ndarray]
    widget: Any  # ipywidgets.VBox, displayed by the notebook
    photo: Any
    target: Any
    mode: Any
    cmap: Any
    image: Any  # ipywidgets.Image holding the rendered figure
    status: Any
    saliency: np.ndarray | None = None
    _quiet: bool = False
    _cache: dict = field(default_factory=dict, repr=False)

    def top5(self, name: str) -> list[tuple[str, float]]:
        """Top-5 (class, probability) of a photo, cached."""
        key = ("top5", name)
        if key not in self._cache:
            self._cache[key] = self.classifier.predict(self.images[name], k=5)
        return self._cache[key]

    def compute(self, name: str, cls: str, mode: str) -> np.ndarray:
        """Saliency map of photo `name` for class `cls`, single pass or 10 crops, cached."""
        from .saliency import image_saliency, ten_crop_saliency

        key = (name, cls, mode)
        if key not in self._cache:
            fn = ten_crop_saliency if mode == "10 crops" else image_saliency
            self._cache[key] = fn(self.classifier, self.images[name], cls)
        return self._cache[key]

    def on_photo_change(self, _change: Any = None) -> None:
        """Refill the class menu with the new photo's top-5, then redraw."""
        options = [f"{c} ({p:.0%})" for c, p in self.top5(self.photo.value)]
        self._quiet = True  # setting options selects the first one; redraw once, below
        try:
            self.target.options = options
            self.target.index = 0
        finally:
            self._quiet = False
        self.update()

    def update(self, _change: Any = None) -> None:
        """Recompute the map for the current choices and redraw the panel."""
        from .plotting import overlay

        if self._quiet:
            return
        name, mode, cmap = self.photo.value, self.mode.value, self.cmap.value
        cls = self.top5(name)[self.target.index or 0][0]
        self.saliency = m = self.compute(name, cls, mode)
        image = self.images[name]

        def draw(fig: Any) -> None:
            axes = fig.subplots(1, 3)
            panels = [(image, name), (m, f"saliency: {cls}"), (overlay(image, m, cmap=cmap), mode)]
            for ax, (picture, title) in zip(axes, panels):
                ax.imshow(picture, cmap=cmap if picture.ndim == 2 else None)
                ax.set_title(title, fontsize=9)
                ax.axis("off")
            fig.tight_layout()

        self.image.value = render_png(draw, figsize=(9.0, 3.0))
        self.status.value = f"{name}: {cls} ({mode}); top-5: " + ", ".join(f"{c} {p:.0%}" for c, p in self.top5(name))


def saliency_explorer(classifier: Classifier | None = None, images: Mapping[str, np.ndarray] | None = None) -> SaliencyExplorer:
    """Explore saliency maps: choose a photo, a class among its top-5, single pass or 10 crops, a colour map.

    Display `explorer.widget` in a notebook; `explorer.update()` redraws from code (as the tests do).
    """
    import ipywidgets as w

    from .images import list_images, load_image
    from .models import load_model

    classifier = classifier or load_model()
    images = dict(images) if images is not None else {n: load_image(n) for n in list_images()}
    if not images:
        raise ValueError("saliency_explorer needs at least one image.")
    names = list(images)
    explorer = SaliencyExplorer(
        classifier=classifier,
        images=images,
        widget=None,
        photo=w.Dropdown(options=names, value=names[0], description="photo"),
        target=w.Dropdown(options=[], description="class"),
        mode=w.ToggleButtons(options=list(SALIENCY_MODES), value=SALIENCY_MODES[0], description="method"),
        cmap=w.Dropdown(options=list(COLOUR_MAPS), value=COLOUR_MAPS[0], description="colours"),
        image=w.Image(format="png"),
        status=w.Label(),
    )
    explorer.widget = w.VBox([w.HBox([explorer.photo, explorer.target]), w.HBox([explorer.mode, explorer.cmap]), explorer.image, explorer.status])
    explorer.on_photo_change()
    explorer.photo.observe(explorer.on_photo_change, names="value")
    for control in (explorer.target, explorer.mode, explorer.cmap):
        control.observe(explorer.update, names="value")
    return explorer
