"""Interactive panels for the notebooks (ipywidgets). Importable without a display: figures are
rendered to PNG bytes shown in an `ipywidgets.Image`, so every panel can be driven from code and tested.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..models import Classifier

SALIENCY_MODES: tuple[str, ...] = ("single pass", "10 crops")
MODE_METHODS: dict[str, str] = {
    "single pass": "single",
    "10 crops": "ten_crop",
}  # the buttons' methods in helpers.methods
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
        """Saliency map of photo `name` for class `cls`, single pass or 10 crops (`MODE_METHODS`), cached."""
        from ..methods import attribution_method

        key = (name, cls, mode)
        if key not in self._cache:
            self._cache[key] = attribution_method(MODE_METHODS[mode])(self.classifier, self.images[name], cls)
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


def saliency_explorer(
    classifier: Classifier | None = None, images: Mapping[str, np.ndarray] | None = None
) -> SaliencyExplorer:
    """Explore saliency maps: choose a photo, a class among its top-5, single pass or 10 crops, a colour map.

    Display `explorer.widget` in a notebook; `explorer.update()` redraws from code (as the tests do).
    """
    import ipywidgets as w

    from ..images import list_images, load_image
    from ..models import load_model

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
    explorer.widget = w.VBox(
        [
            w.HBox([explorer.photo, explorer.target]),
            w.HBox([explorer.mode, explorer.cmap]),
            explorer.image,
            explorer.status,
        ]
    )
    explorer.on_photo_change()
    explorer.photo.observe(explorer.on_photo_change, names="value")
    for control in (explorer.target, explorer.mode, explorer.cmap):
        control.observe(explorer.update, names="value")
    return explorer


# ----------------------------------------------------------------------------------------------
# Class-model visualization panel (notebook 03).

CLASSVIS_REGULARIZERS: tuple[str, ...] = ("jitter", "blur", "clip")


@dataclass
class ClassVisualizationPanel:
    """The class-visualization panel's widgets and last result; `run()` optimises and redraws (the Run button)."""

    classifier: Classifier
    widget: Any  # ipywidgets.VBox, displayed by the notebook
    target: Any
    l2: Any
    steps: Any
    lr: Any
    regularizers: Any
    optimizer: Any
    run_button: Any
    image: Any  # ipywidgets.Image holding the rendered figure
    status: Any
    seed: int = 0
    result: Any = None  # the last helpers.classvis.ClassVisualization

    def run(self, _button: Any = None) -> None:
        """Optimise the chosen class with the chosen settings, then draw the image and its score curves."""
        from ..classvis import class_model_visualization

        self.status.value = "running..."
        try:
            r = self.result = class_model_visualization(
                self.classifier,
                self.target.value,
                steps=int(self.steps.value),
                lr=float(self.lr.value),
                l2=float(self.l2.value),
                optimizer=self.optimizer.value,
                regularizers=tuple(self.regularizers.value),
                seed=self.seed,
                progress=False,
            )
        except ValueError as err:  # e.g. a diverging lr: a button callback's exception would go unseen
            self.status.value = f"stopped: {err}"
            return

        def draw(fig: Any) -> None:
            ax_img, ax_curve = fig.subplots(1, 2)
            ax_img.imshow(r.image)
            ax_img.set_title(f"{r.class_name}: P = {r.final_prob:.2f}", fontsize=9)
            ax_img.axis("off")
            ax_curve.plot(r.history.target_logit, label="target logit S_c")
            ax_curve.plot(r.history.mean_other_logit, label="mean other logit")
            ax_curve.set_xlabel("step")
            ax_curve.legend(fontsize=8)
            fig.tight_layout()

        self.image.value = render_png(draw, figsize=(7.0, 3.0))
        regs = ", ".join(self.regularizers.value) or "none (the paper)"
        self.status.value = (
            f"{r.class_name}: S_c = {r.final_logit:.2f}, P_c = {r.final_prob:.3f} after {r.settings['steps']} "
            f"{r.settings['optimizer']} steps (lr {r.settings['lr']:g}, lambda {r.settings['l2']:g}; beyond the paper: {regs})"
        )


def class_visualization_panel(
    classifier: Classifier | None = None, classes: list[str] | None = None, *, steps: int = 100, seed: int = 0
) -> ClassVisualizationPanel:
    """Generate class images interactively: class, lambda, steps, learning rate, regularizers, optimizer, Run.

    Display `panel.widget` in a notebook; `panel.run()` (or `panel.run_button.click()`) runs from code.
    The sliders start at the model's defaults for the paper's plain method.
    """
    import ipywidgets as w

    from ..classvis import default_settings
    from ..models import load_model

    classifier = classifier or load_model()
    options = list(classes) if classes is not None else list(classifier.categories)
    if not options:
        raise ValueError("class_visualization_panel needs at least one class.")
    names = [classifier.categories[classifier.class_index(c)] for c in options]
    lr, l2 = default_settings(classifier, "sgd")
    panel = ClassVisualizationPanel(
        classifier=classifier,
        widget=None,
        target=w.Dropdown(options=names, value=names[0], description="class"),
        l2=w.FloatLogSlider(value=max(l2, 1e-5), base=10, min=-5, max=0, step=0.25, description="lambda"),
        steps=w.IntSlider(value=int(steps), min=1, max=500, step=1, description="steps"),
        lr=w.FloatLogSlider(value=lr, base=10, min=-3, max=2, step=0.25, description="lr"),
        regularizers=w.SelectMultiple(options=list(CLASSVIS_REGULARIZERS), value=(), description="beyond paper"),
        optimizer=w.ToggleButtons(options=["sgd", "adam"], value="sgd", description="optimizer"),
        run_button=w.Button(description="Run", button_style="primary"),
        image=w.Image(format="png"),
        status=w.Label(value="choose settings and press Run"),
        seed=seed,
    )
    panel.widget = w.VBox(
        [
            w.HBox([panel.target, panel.steps]),
            w.HBox([panel.l2, panel.lr]),
            w.HBox([panel.regularizers, panel.optimizer]),
            panel.run_button,
            panel.image,
            panel.status,
        ]
    )
    panel.run_button.on_click(panel.run)

    def on_optimizer(change: Any) -> None:
        """Switching optimizer resets lr to that optimizer's default (Adam's steps are scale-free)."""
        panel.lr.value = default_settings(classifier, change["new"])[0]

    panel.optimizer.observe(on_optimizer, names="value")
    return panel
