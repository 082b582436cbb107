"""helpers.course.widgets: the saliency explorer can be built headless and reacts to its controls."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import helpers


@pytest.mark.slow
def test_widgets_module_imports_without_display() -> None:
    code = "import os; os.environ.pop('DISPLAY', None); import helpers.course.widgets as w; print(w.saliency_explorer.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "saliency_explorer"


@pytest.fixture(scope="module")
def explorer(lite0):
    from helpers.course.widgets import saliency_explorer

    images = {name: helpers.load_image(name)[::3, ::3].copy() for name in ("coffee", "chelsea")}  # small: fast
    return saliency_explorer(lite0, images)


def test_explorer_starts_with_top5_of_first_photo(explorer, lite0) -> None:
    assert len(explorer.target.options) == 5
    assert explorer.target.options[0].startswith(lite0.predict(explorer.images["coffee"], k=1)[0][0])
    assert explorer.saliency.shape == explorer.images["coffee"].shape[:2]
    assert explorer.image.value[:4] == b"\x89PNG"


def test_changing_photo_refills_classes_and_redraws(explorer) -> None:
    explorer.photo.value = "coffee"
    before_png, before_options = explorer.image.value, explorer.target.options
    explorer.photo.value = "chelsea"  # observe() triggers on_photo_change() -> update()
    assert explorer.saliency.shape == explorer.images["chelsea"].shape[:2]
    assert explorer.target.index == 0 and explorer.target.options != before_options
    assert "chelsea" in explorer.status.value
    assert explorer.image.value != before_png


@pytest.mark.slow
def test_explorer_update_callback_redraws_for_class_mode_and_colours(explorer) -> None:
    explorer.photo.value = "coffee"
    explorer.mode.value = "single pass"
    explorer.target.index = 0
    explorer.update()
    first_map, first_png = explorer.saliency.copy(), explorer.image.value
    explorer.target.index = 2
    assert not np.allclose(explorer.saliency, first_map)
    class_png = explorer.image.value
    explorer.mode.value = "10 crops"
    assert not np.allclose(explorer.saliency, explorer.compute("coffee", explorer.top5("coffee")[2][0], "single pass"))
    explorer.cmap.value = "inferno"
    assert len({first_png, class_png, explorer.image.value}) == 3
