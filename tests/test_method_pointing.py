"""Notebook 06's review (issue 30): AUC, no-network maps, period-specific power, the stored COCO128 table and its reader."""

from __future__ import annotations

import importlib.util
import json
from itertools import product
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch

import helpers
from helpers import linear, spectrum, toyworld
from helpers.evaluation import masks as mask_eval
from helpers.evaluation import method_pointing as mp


def _benchmark(name: str) -> ModuleType:
    """A script of benchmarks/ as a module, whatever the working directory (benchmarks/ is not a package)."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _benchmark("bench_method_pointing")
ig_completeness = _benchmark("ig_completeness")

NOTEBOOK_06_ROWS = ("gradient (paper)", "DeconvNet", "guided backprop", "Grad-CAM", "SmoothGrad")
BASELINE_ROWS = ("centre point", "centred Gaussian", "colour contrast", "uniform map")


# ----------------------------------------------------------------------------------------------
# AUC and the no-network maps


def _pairwise_auc(m: np.ndarray, mask: np.ndarray) -> float:
    """The AUC by its definition: over all (object, background) pixel pairs, wins plus half the ties."""
    inside, outside = m[mask], m[~mask]
    return float(np.mean([(a > b) + 0.5 * (a == b) for a, b in product(inside, outside)]))


def test_mask_auc_is_the_chance_an_object_pixel_outranks_a_background_pixel() -> None:
    rng = np.random.default_rng(0)
    m = rng.integers(0, 4, (6, 7)).astype(float)  # many ties
    mask = rng.random((6, 7)) < 0.3
    assert mask_eval.mask_auc(m, mask) == pytest.approx(_pairwise_auc(m, mask))
    assert mask_eval.mask_auc(mask.astype(float), mask) == 1.0
    assert mask_eval.mask_auc((~mask).astype(float), mask) == 0.0
    assert mask_eval.mask_auc(np.ones((6, 7)), mask) == 0.5
    stack = mask_eval.mask_auc(np.stack([m, mask.astype(float)]), np.stack([mask, mask]))
    assert isinstance(stack, np.ndarray) and stack.shape == (2,)
    with pytest.raises(ValueError, match="needs both"):
        mask_eval.mask_auc(m, np.zeros((6, 7), bool))


def test_auc_does_not_reward_a_few_large_values_as_mass_does() -> None:
    """One huge pixel on the object lifts the mass but not the AUC: the two metrics can rank maps differently."""
    mask = np.zeros((10, 10), bool)
    mask[:5] = True
    spiky = np.ones((10, 10))
    spiky[0, 0] = 1000.0
    spiky[:5, 1:] = 0.5  # the rest of the object below the background
    broad = mask * 2.0 + 1.0
    assert mask_eval.mass_relative_to_area(spiky, mask) > mask_eval.mass_relative_to_area(broad, mask)
    assert mask_eval.mask_auc(spiky, mask) < mask_eval.mask_auc(broad, mask)


def test_colour_contrast_map_finds_an_object_of_another_colour() -> None:
    image = np.full((20, 30, 3), 40, np.uint8)
    image[5:10, 10:15] = (200, 30, 30)
    m = mask_eval.colour_contrast_map(image)
    assert m.shape == (20, 30) and m.dtype == np.float64
    assert np.all(m[image[..., 0] == 40] == 0) and np.all(m[5:10, 10:15] > 100)
    stack = mask_eval.colour_contrast_map(np.stack([image, image]))
    np.testing.assert_array_equal(stack[1], m)
    with pytest.raises(ValueError, match="RGB"):
        mask_eval.colour_contrast_map(np.zeros((20, 30)))


def test_centred_gaussian_map_peaks_at_the_centre() -> None:
    g = mask_eval.centred_gaussian_map(9, 15)
    assert g.shape == (9, 15) and np.unravel_index(g.argmax(), g.shape) == (4, 7)
    np.testing.assert_allclose(g, g[::-1, ::-1])
    with pytest.raises(ValueError, match="positive"):
        mask_eval.centred_gaussian_map(0, 5)
    with pytest.raises(ValueError, match="sigma"):
        mask_eval.centred_gaussian_map(5, 5, sigma=0)


# ----------------------------------------------------------------------------------------------
# Period-specific power (the old "share at the 32-px period" counted every shorter period too)


def test_a_two_pixel_checkerboard_fills_the_32_px_frequencies_but_is_specific_to_2_px() -> None:
    rows, cols = np.indices((64, 64))
    checker = ((rows + cols) % 2).astype(float)
    assert spectrum.periodic_power_share(checker, 32) == pytest.approx(1.0)  # what notebook 06 used to call "32 px"
    shares = spectrum.period_specific_shares(checker, (32, 16, 8, 4, 2))
    assert shares[32][0] == pytest.approx(0.0, abs=1e-12) and shares[2][0] == pytest.approx(1.0)
    assert sum(s for s, _ in shares.values()) == pytest.approx(1.0)


def test_a_32_px_pattern_is_specific_to_32_px_and_noise_sits_at_chance() -> None:
    cols = np.indices((64, 64))[1]
    wave = np.cos(2 * np.pi * cols / 32)
    assert spectrum.period_specific_shares(wave, (32, 16))[32][0] == pytest.approx(1.0)
    noise = np.random.default_rng(0).normal(size=(128, 128))
    share, chance = spectrum.period_specific_shares(noise, (32,))[32]
    assert chance == pytest.approx((32**2 - 16**2) / 128**2)
    assert 0.5 * chance < share < 2 * chance
    with pytest.raises(ValueError, match="divides"):
        spectrum.periodic_power_share(np.ones((50, 64)) + cols[:50], 32)
    with pytest.raises(ValueError, match="even"):
        spectrum.period_specific_shares(wave, (3,))


# ----------------------------------------------------------------------------------------------
# SmoothGrad's common random numbers: the same call shape gives the same noise whatever the target or model


def test_smoothgrad_draws_the_same_noise_for_every_target_and_model_of_the_same_batch() -> None:
    seen: list[torch.Tensor] = []

    def record(model: torch.nn.Module, x: torch.Tensor, target: object) -> torch.Tensor:
        seen.append(x.clone())
        return x[:, 0]

    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 4)).eval()
    x = torch.rand(5, 3, 8, 8)
    tunnel = helpers.noise_tunnel(record, n_samples=3, seed=0, batch_size=16)
    tunnel(net, x, [0, 1, 2, 3, 0])
    tunnel(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 4)).eval(), x, [3, 2, 1, 0, 1])
    torch.testing.assert_close(seen[0], seen[1], rtol=0, atol=0)
    tunnel(net, x[:2], [0, 1])  # another batch: other draws, hence notebook 06 compares maps of one batch
    assert not torch.equal(seen[2], seen[0][: len(seen[2])])


# ----------------------------------------------------------------------------------------------
# The benchmark's summary and the package's reader


def _synthetic_photos(n: int = 12) -> list[dict]:
    rng = np.random.default_rng(1)
    photos = []
    for i in range(n):
        rows = {k: {"hit": bool(rng.random() < 0.5), "mass_over_area": float(rng.random() + 0.5), "auc": 0.6}
                for k in NOTEBOOK_06_ROWS + ("centred Gaussian", "colour contrast")}  # fmt: skip
        rows["Grad-CAM"]["hit"] = True
        rows["gradient (paper)"]["hit"] = i < 2
        rows["centre point"] = {"hit": i % 2 == 0}
        rows["uniform map"] = {"hit": 0.2, "mass_over_area": 1.0, "auc": 0.5}
        photos.append({"id": i, "category": "cat", "target": "tabby", "area": 0.2, "rows": rows})
    return photos


def test_summary_and_reader_agree_on_counts_intervals_and_sign_tests(tmp_path) -> None:
    photos = _synthetic_photos()
    path = tmp_path / "method_pointing.json"
    path.write_text(json.dumps({"rows": bench.summarise(photos), "photos": photos}))
    rows = mp.method_pointing(path)
    assert set(rows) == set(NOTEBOOK_06_ROWS + BASELINE_ROWS)
    cam = rows["Grad-CAM"]
    assert (cam.hits, cam.n, cam.wins, cam.losses) == (12, 12, 10, 0)
    assert cam.sign_test_p == pytest.approx(2 * 0.5**10)
    assert cam.pointing_ci[0] < 1.0 == cam.pointing_ci[1]
    assert rows["gradient (paper)"].wins is None and rows["centre point"].mass_over_area is None
    assert rows["uniform map"].hits is None and rows["uniform map"].pointing == pytest.approx(0.2)
    assert mp.pointing_sign_test("Grad-CAM", "centre point", path) == (6, 0, pytest.approx(2 * 0.5**6))
    with pytest.raises(KeyError, match="uniform map"):
        mp.pointing_sign_test("uniform map", "Grad-CAM", path)
    assert "12/12" in mp.method_pointing_table(path)


def test_reader_errors_say_what_is_missing(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="bench_method_pointing"):
        mp.method_pointing(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"rows": {}}))
    with pytest.raises(ValueError, match="rows"):
        mp.method_pointing(bad)


def test_the_stored_measurement_has_every_row_of_notebook_06() -> None:
    rows = mp.method_pointing()
    assert set(NOTEBOOK_06_ROWS + BASELINE_ROWS) <= set(rows)
    n = rows["gradient (paper)"].n
    assert n >= 50 and all(r.n == n for r in rows.values())
    for r in rows.values():
        assert r.pointing_ci[0] <= r.pointing <= r.pointing_ci[1]
        if r.hits is not None:
            assert r.pointing == pytest.approx(r.hits / n)


# ----------------------------------------------------------------------------------------------
# Integrated gradients' completeness benchmark


def test_ig_completeness_gap_shrinks_with_the_steps_on_the_toy_cnn() -> None:
    toy = helpers.load_model("toy")
    data = toyworld.generate(8, seed=toyworld.HELDOUT_SEED_OFFSET + 7)
    x = linear.toy_inputs(toy, data.images)
    coarse_abs, coarse = ig_completeness.completeness_gaps(toy, x, data.labels.tolist(), 2)
    _, fine = ig_completeness.completeness_gaps(toy, x, data.labels.tolist(), 64)
    assert np.all(coarse_abs >= 0) and np.median(fine) < np.median(coarse)
    np.testing.assert_allclose(ig_completeness.relative_gaps(toy, x, data.labels.tolist(), 2), coarse, rtol=1e-5)
