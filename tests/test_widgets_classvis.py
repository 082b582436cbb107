"""The class-visualization panel of notebook 03: builds, runs from code, draws an image."""

from __future__ import annotations

import pytest

from helpers.classvis import default_settings
from helpers.course.widgets import class_visualization_panel


def test_panel_runs_from_the_button_and_draws_an_image(toy) -> None:
    panel = class_visualization_panel(toy, classes=["star", "ring"])
    assert list(panel.target.options) == ["star", "ring"]
    assert panel.lr.value == pytest.approx(default_settings(toy)[0])
    assert panel.image.value == b""  # nothing is computed until Run
    panel.target.value, panel.steps.value = "ring", 3
    panel.regularizers.value = ("jitter", "clip")
    panel.run_button.click()
    r = panel.result
    assert r is not None and r.class_name == "ring" and r.settings["steps"] == 3
    assert r.settings["regularizers"] == ("jitter", "clip")
    assert r.image.shape == (64, 64, 3)
    assert panel.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "ring" in panel.status.value


def test_switching_to_adam_resets_the_learning_rate(toy) -> None:
    panel = class_visualization_panel(toy)
    panel.optimizer.value = "adam"
    assert panel.lr.value == pytest.approx(default_settings(toy, "adam")[0], rel=0.01)


def test_panel_rejects_unknown_classes(toy) -> None:
    with pytest.raises(ValueError, match="Unknown class"):
        class_visualization_panel(toy, classes=["zebra"])
    with pytest.raises(ValueError, match="at least one"):
        class_visualization_panel(toy, classes=[])


def test_panel_shows_a_diverging_run_in_its_status(toy) -> None:
    panel = class_visualization_panel(toy, classes=["star"])
    panel.lr.value, panel.l2.value, panel.steps.value = 100.0, 1.0, 20  # lr * lambda > 1: SGD blows up
    panel.run_button.click()
    assert panel.status.value.startswith("stopped: Gradient ascent diverged") and "Lower lr" in panel.status.value
    assert panel.image.value == b""
