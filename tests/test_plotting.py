"""The course figure style and the paper-style saliency figure."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers.course import plotting


def test_style_is_projector_sized():
    plotting.use_notebook_style()
    assert plt.rcParams["font.size"] >= 12
    assert plotting.PANEL_INCHES * plotting.FIGURE_DPI >= 200


def test_show_saliency_draws_image_and_grayscale_map():
    image = np.zeros((20, 30, 3), np.uint8)
    sal = np.random.default_rng(0).random((10, 15))
    fig = plotting.show_saliency([image, image], [sal, sal], ["a", "b"], with_overlay=True)
    assert len(fig.axes) == 6
    gray = fig.axes[1].images[0]
    assert gray.get_cmap().name == "gray" and gray.get_array().max() == pytest.approx(1.0)
    plt.close(fig)


def test_show_saliency_runs_pairs_across_a_row_then_wraps():
    image = np.zeros((20, 30, 3), np.uint8)
    maps = [np.full((20, 30), float(k)) + np.eye(20, 30) for k in range(4)]
    fig = plotting.show_saliency([image] * 4, maps, per_row=3)
    assert len(fig.axes) == 12  # 2 rows x (3 pairs of 2 panels); the last two panels are empty
    for k in range(4):
        assert fig.axes[2 * k + 1].images[0].get_cmap().name == "gray"
    assert not fig.axes[10].images and not fig.axes[11].images
    plt.close(fig)


def test_show_saliency_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="as many saliency maps"):
        plotting.show_saliency([np.zeros((4, 4, 3), np.uint8)], [])


def test_show_images_can_show_pixels_unsmoothed():
    image = np.zeros((8, 8, 3), np.uint8)
    fig = plotting.show_images([image, image], interpolation="nearest")
    assert fig.axes[0].images[0].get_interpolation() == "nearest"
    default = plotting.show_images([image])
    assert default.axes[0].images[0].get_interpolation() != "nearest"
    plt.close(fig)
    plt.close(default)
