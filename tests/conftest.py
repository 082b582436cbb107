"""Shared fixtures: the models are loaded once per test session (they are frozen, so sharing is safe)."""

from __future__ import annotations

import pytest
import torch

import helpers


@pytest.fixture(scope="session")
def lite0() -> "helpers.Classifier":
    return helpers.load_model("efficientnet_lite0", device="cpu")


@pytest.fixture(scope="session")
def toy() -> "helpers.Classifier":
    return helpers.load_model("toy", device="cpu")


@pytest.fixture(autouse=True)
def _deterministic() -> None:
    torch.manual_seed(0)
