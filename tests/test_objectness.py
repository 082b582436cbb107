"""helpers.objectness: Felzenszwalb-Huttenlocher segments and superpixel straddling of a CAM's boxes (issue 33, round 7).

Synthetic images where the answer is known: flat colour rectangles are exactly the segments; a box equal to a
segment's rectangle is not straddled (SS = 1), one cutting it in half is; a coloured square on a textured background
with a CAM blob larger than the square gets the square's box.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import objectness as ob

ADAPTER = Path(__file__).parent.parent / "benchmarks" / "cv7_objectness.py"
SQUARE = (40, 30, 70, 60)  # (x0, y0, x1, y1) of the coloured square in a 100 x 120 image


def reference_segmentation(image: np.ndarray, k: float, sigma: float, min_size: int) -> np.ndarray:
    """The reference code's algorithm written plainly (every edge visited in both passes, union by rank): labels."""
    a, b, weight = ob.grid_edges(ob.blurred(image, sigma))
    n = image.shape[0] * image.shape[1]
    parent, rank, size, tau = list(range(n)), [0] * n, [1] * n, [float(k)] * n

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    def join(x: int, y: int) -> int:
        if rank[x] > rank[y]:
            x, y = y, x
        parent[x] = y
        size[y] += size[x]
        rank[y] += rank[x] == rank[y]
        return y

    for u, v, w in zip(a.tolist(), b.tolist(), weight.tolist()):
        u, v = find(u), find(v)
        if u != v and w <= tau[u] and w <= tau[v]:
            root = join(u, v)
            tau[root] = w + k / size[root]
    for u, v in zip(a.tolist(), b.tolist()):
        u, v = find(u), find(v)
        if u != v and (size[u] < min_size or size[v] < min_size):
            join(u, v)
    return np.array([find(i) for i in range(n)]).reshape(image.shape[:2])


def same_partition(x: np.ndarray, y: np.ndarray) -> bool:
    """Two label images describe the same segments (up to renumbering)."""
    pairs = np.unique(np.stack([x.ravel(), y.ravel()]), axis=1)
    return pairs.shape[1] == len(np.unique(x)) == len(np.unique(y))


def rectangles() -> tuple[np.ndarray, np.ndarray]:
    """A 60 x 80 image of four flat colour rectangles, and its true labels."""
    image = np.zeros((60, 80, 3), np.uint8)
    truth = np.zeros((60, 80), np.int32)
    for i, (ys, xs, colour) in enumerate(
        [
            (slice(0, 60), slice(0, 30), (200, 40, 40)),
            (slice(0, 25), slice(30, 80), (40, 180, 60)),
            (slice(25, 60), slice(30, 55), (30, 60, 220)),
            (slice(25, 60), slice(55, 80), (240, 230, 40)),
        ]
    ):
        image[ys, xs] = colour
        truth[ys, xs] = i
    return image, truth


def textured_scene(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A red square on a noisy grey background (100 x 120), and a CAM whose blob is larger than the square: 0.12 and
    0.3 on boxes around it, 0.55 on the square, 1 on its left half (so the CAM also proposes a box cutting it)."""
    rng = np.random.default_rng(seed)
    image = rng.integers(60, 200, size=(100, 120, 1), dtype=np.uint8).repeat(3, axis=2)
    x0, y0, x1, y1 = SQUARE
    image[y0:y1, x0:x1] = (220, 30, 30)
    cam = np.zeros((100, 120), np.float32)
    for level, (bx0, by0, bx1, by1) in [(0.12, (10, 5, 110, 95)), (0.3, (25, 18, 90, 75)), (0.55, SQUARE)]:
        cam[by0:by1, bx0:bx1] = level
    cam[y0:y1, x0 : (x0 + x1) // 2] = 1.0
    return image, cam


def test_flat_colour_rectangles_are_exactly_the_segments() -> None:
    image, truth = rectangles()
    for k in (100, 300):
        labels = ob.felzenszwalb(image, k, sigma=0.0)
        assert labels.dtype == np.int32 and labels.shape == truth.shape
        assert labels.max() == 3 and same_partition(labels, truth), k


def test_with_the_blur_each_flat_region_is_one_segment_and_the_rest_are_strips_along_its_edges() -> None:
    """The blur makes a 1-3 px colour ramp at every edge, the reference algorithm keeps ramps of >= 20 px as thin
    segments; away from the edges the segments are exactly the regions."""
    image, truth = rectangles()
    labels = ob.felzenszwalb(image, 100)
    inner = np.zeros(truth.shape, bool)
    for i in range(4):
        ys, xs = np.nonzero(truth == i)
        region = (slice(ys.min() + 3, ys.max() - 2), slice(xs.min() + 3, xs.max() - 2))
        inner[region] = True
        assert len(np.unique(labels[region])) == 1 and (labels == labels[region][0, 0]).sum() >= (truth == i).sum() // 2
    assert same_partition(labels[inner], truth[inner])
    assert len(np.unique(labels[inner])) == 4


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("k", "min_size"), [(100, 20), (300, 20), (50, 1)])
def test_felzenszwalb_matches_the_reference_algorithm(seed: int, k: float, min_size: int) -> None:
    """The fast version (path halving, union by size, second pass skipping edges that cannot join) gives the same
    segments as the reference algorithm written plainly, on noisy blocky images."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(6, 8, 3)).repeat(7, axis=0).repeat(6, axis=1)
    image = np.clip(blocks + rng.normal(0, 25, blocks.shape), 0, 255).astype(np.uint8)
    labels = ob.felzenszwalb(image, k, min_size=min_size)
    assert same_partition(labels, reference_segmentation(image, k, ob.SIGMA, min_size))
    assert min_size == 1 or np.bincount(labels.ravel()).min() >= min_size


def test_the_grid_has_every_8_neighbour_pair_once_with_rgb_euclidean_weights() -> None:
    image = np.zeros((5, 7, 3), np.uint8)
    image[2, 3] = (3, 4, 0)
    a, b, w = ob.grid_edges(ob.blurred(image, 0.0))
    assert len(a) == 4 * 5 * 7 - 3 * 5 - 3 * 7 + 2  # right, down, down-right, up-right
    pairs = {frozenset(p) for p in zip(a.tolist(), b.tolist())}
    assert len(pairs) == len(a)
    centre = 2 * 7 + 3
    touching = [i for i in range(len(a)) if centre in (a[i], b[i])]
    assert len(touching) == 8 and np.allclose(w[touching], 5.0)
    assert np.all(np.diff(w) >= 0)


def test_larger_scale_gives_fewer_segments_and_the_result_is_deterministic() -> None:
    image, _ = textured_scene()
    fine, coarse = ob.felzenszwalb(image, 100), ob.felzenszwalb(image, 300)
    assert coarse.max() < fine.max()
    assert np.array_equal(fine, ob.felzenszwalb(image, 100))


def test_straddling_is_one_on_a_segments_rectangle_and_lower_when_the_box_cuts_it() -> None:
    _, truth = rectangles()
    ss = ob.straddling(truth, [(0, 0, 30, 60), (30, 25, 55, 60), (0, 0, 15, 60), (0, 0, 80, 60), (0, 0, 45, 60)])
    assert ss[0] == 1.0 and ss[1] == 1.0 and ss[3] == 1.0  # a segment's rectangle, another, the whole image
    assert ss[2] == 0.0  # half of segment 0: 900 px in, 900 px out, |b| = 900
    # (0, 0, 45, 60): segment 0 whole, 15 of 50 columns of segment 1 (375 px) and 15 of 25 of segment 2 (525 of 875)
    assert ss[4] == pytest.approx(1 - (375 + 350) / 2700)


def test_boxes_are_scaled_to_the_label_image_by_rounding_to_the_nearest_pixel() -> None:
    out = ob.scale_boxes([(0, 0, 640, 480), (101, 50, 103, 52), (638, 478, 640, 480)], (480, 640), (150, 200))
    assert out.tolist() == [[0, 0, 200, 150], [32, 16, 33, 17], [199, 149, 200, 150]]
    stretched = ob.scale_boxes([(30, 10, 90, 50)], (100, 120), (50, 40))  # x by 1/3, y by 1/2
    assert stretched.tolist() == [[10, 5, 30, 25]]


def test_the_refined_box_is_the_square_not_the_cams_larger_blob() -> None:
    image, cam = textured_scene()
    before = (image.copy(), cam.copy())
    for k in ob.SCALES:
        found = ob.photo_straddling(image, cam, k)
        assert SQUARE in found.boxes and found.boxes[0] == (0, 0, 120, 100)
        square = found.boxes.index(SQUARE)
        assert found.scores[square] == max(found.scores[1:])  # the square beats the larger boxes and the half
        assert ob.objectness_box(image, cam, scale=k, alpha=0.05) == SQUARE
    assert np.array_equal(image, before[0]) and np.array_equal(cam, before[1])


def test_alpha_trades_straddling_against_tightness() -> None:
    """alpha <= 0 keeps the full image (SS = 1, the largest); a large alpha keeps the smallest box, the half square."""
    image, cam = textured_scene()
    assert ob.objectness_box(image, cam, alpha=0.0) == (0, 0, 120, 100)
    assert ob.objectness_box(image, cam, alpha=-0.05) == (0, 0, 120, 100)
    x0, y0, x1, y1 = SQUARE
    assert ob.objectness_box(image, cam, alpha=5.0) == (x0, y0, (x0 + x1) // 2, y1)
    assert ob.objectness_box(image, torch.from_numpy(cam), alpha=0.05) == SQUARE


def test_bad_input_gets_a_clear_error() -> None:
    image, cam = textured_scene()
    with pytest.raises(ValueError, match="scale must be"):
        ob.felzenszwalb(image, 0)
    with pytest.raises(ValueError, match="sigma must be"):
        ob.felzenszwalb(image, 100, sigma=-1)
    with pytest.raises(ValueError, match="min_size must be"):
        ob.felzenszwalb(image, 100, min_size=0)
    with pytest.raises(ValueError, match="dtype uint8"):
        ob.felzenszwalb(image.astype(np.float32), 100)
    with pytest.raises(ValueError, match="at the image's size"):
        ob.objectness_box(image, cam[:50])
    with pytest.raises(ValueError, match="non-negative"):
        ob.objectness_box(image, cam - 0.5)
    with pytest.raises(ValueError, match="alpha must be"):
        ob.objectness_box(image, cam, alpha=float("nan"))
    labels = ob.felzenszwalb(image, 100)
    with pytest.raises(ValueError, match="0 <= x0 < x1"):
        ob.straddling(labels, [(10, 10, 10, 20)])
    with pytest.raises(ValueError, match="0 <= x0 < x1"):
        ob.straddling(labels, [(0, 0, 121, 100)])
    with pytest.raises(ValueError, match=r"\(m, 4\)"):
        ob.straddling(labels, [(0.0, 0.0, 5.5, 5.0)])
    with pytest.raises(ValueError, match="non-negative integers"):
        ob.straddling(labels.astype(np.float32), [(0, 0, 5, 5)])


@pytest.mark.skipif(not ADAPTER.is_file(), reason="the benchmarks folder is not part of an installed package")
def test_the_round_seven_adapter_gives_every_setting_in_the_protocols_order() -> None:
    """benchmarks/cv7_objectness.py: k outer, alpha inner, named as the protocol; each box is objectness_box's."""
    spec = importlib.util.spec_from_file_location("cv7_objectness", ADAPTER)
    adapter = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(adapter)  # type: ignore[union-attr]
    assert adapter.SETTINGS[:3] == ("k=100 alpha=0", "k=100 alpha=0.02", "k=100 alpha=0.05")
    assert adapter.SETTINGS[5:7] == ("k=100 alpha=-0.05", "k=300 alpha=0") and len(adapter.SETTINGS) == 12
    image, cam = textured_scene()
    found = adapter.boxes(None, image, cam, 0)
    assert list(found) == list(adapter.SETTINGS)
    for (k, alpha), (box, seconds) in zip([(k, a) for k in ob.SCALES for a in ob.ALPHAS], found.values()):
        assert box == ob.objectness_box(image, cam, scale=k, alpha=alpha) and 0 < seconds < 5
