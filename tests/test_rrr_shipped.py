"""The shipped models of notebook 07 load with weights_only=True and reproduce their stored accuracy."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from helpers import rrr
from helpers.shortcut import generate_decoy
from helpers.toyworld import evaluate

MAX_BYTES = 3_000_000  # the sweep's 42 float16 models (about 2 MB) stay small: a few MB at most in the repository


def test_shipped_files_are_small_and_load_without_pickled_code() -> None:
    assert rrr.SHIPPED_WEIGHTS.stat().st_size < MAX_BYTES
    states = torch.load(rrr.SHIPPED_WEIGHTS, weights_only=True, map_location="cpu")
    manifest = json.loads(rrr.SHIPPED_MANIFEST.read_text())
    assert set(states) == set(manifest)
    assert {e["seed"] for e in manifest.values()} >= {0, 1, 2}, "three seeds or more"
    for entry in manifest.values():
        assert len(entry["cross_entropy"]) == entry["epochs"] == len(entry["epoch_seconds"])
        # the notebook's convergence check reads each epoch's accuracy on the held-out monitor images
        assert len(entry["monitor_accuracy"]) == entry["epochs"] >= 3
        assert entry["monitor"]["seed"] != entry["check"]["seed"] and entry["monitor"]["decoy"] == "swapped"
        last = entry["monitor_last_epoch"]
        moved = (last["gained"] - last["lost"]) / entry["monitor"]["n"]
        assert abs(moved - (entry["monitor_accuracy"][-1] - entry["monitor_accuracy"][-2])) < 1e-9


def test_shipped_models_come_back_frozen_in_eval_mode() -> None:
    models, _ = rrr.load_shipped_models()
    for model in models.values():
        assert not model.training and not any(p.requires_grad for p in model.parameters())


@pytest.mark.parametrize("name", ["nodecoy_s0", "plain_s1", "lam1000_s2", "random_s0", "outside_s1", "budget0.01_s1"])
def test_shipped_model_reproduces_its_stored_accuracy(name: str) -> None:
    models, manifest = rrr.load_shipped_models()
    entry = manifest[name]
    check = generate_decoy(entry["check"]["n"], seed=entry["check"]["seed"], decoy=entry["check"]["decoy"])
    accuracy = evaluate(models[name], check, rrr.shortcut_mean_image(entry["size"]))
    # the same float16 weights and images; float32 sums in another order may flip a near-tied image or two
    assert abs(accuracy - entry["check_accuracy"]) <= 2 / entry["check"]["n"] + 1e-12, (
        accuracy,
        entry["check_accuracy"],
    )


def test_plain_model_relies_on_the_decoy_and_the_no_decoy_model_does_not() -> None:
    _, manifest = rrr.load_shipped_models()
    plain = np.mean([e["check_accuracy"] for n, e in manifest.items() if n.startswith("plain")])
    nodecoy = np.mean([e["check_accuracy"] for n, e in manifest.items() if n.startswith("nodecoy")])
    assert plain < 1 / 6 < nodecoy  # swapped images: below chance for the shortcut, above it for the shape
