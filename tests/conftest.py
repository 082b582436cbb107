"""Shared fixtures: the models are loaded once per test session (they are frozen, so sharing is safe)."""

from __future__ import annotations

import os

import pytest
import torch

import helpers


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (`-n N`), each worker gets its share of the cores: N workers x all cores would oversubscribe."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


@pytest.fixture(scope="session")
def lite0() -> helpers.Classifier:
    return helpers.load_model("efficientnet_lite0", device="cpu")


@pytest.fixture(scope="session")
def toy() -> helpers.Classifier:
    return helpers.load_model("toy", device="cpu")


@pytest.fixture(scope="session")
def random_toy() -> helpers.Classifier:
    """An untrained ToyCNN with a constant grey mean (accepts any input size): fast, and needs no weights file."""
    from helpers import toyworld
    from helpers.models import Classifier, freeze

    torch.manual_seed(1)
    return Classifier(
        name="random_toy",
        model=freeze(toyworld.ToyCNN(), torch.device("cpu")),
        device=torch.device("cpu"),
        categories=list(toyworld.CLASSES),
        mean=torch.full((3, 1, 1), 0.5),
        std=torch.tensor(toyworld.TOY_STD).view(3, 1, 1),
        input_size=toyworld.IMAGE_SIZE,
    )


@pytest.fixture()
def red_classifier():
    """Wrap a synthetic (red, other) detector as a frozen Classifier: no normalisation, 32 px input, on the CPU."""
    from helpers.models import Classifier, freeze

    def wrap(model: torch.nn.Module) -> helpers.Classifier:
        return Classifier(
            name="red",
            model=freeze(model, torch.device("cpu")),
            device=torch.device("cpu"),
            categories=["red", "other"],
            mean=torch.zeros(3, 1, 1),
            std=torch.ones(3, 1, 1),
            input_size=32,
        )

    return wrap


@pytest.fixture(autouse=True)
def _deterministic() -> None:
    torch.manual_seed(0)


# ----------------------------------------------------------------------------------------------
# Browser tests (tests marked `browser`): the system's Chromium driven by Playwright, and a
# throw-away JupyterLab server. See tests/browser_support.py.


def _skip_without_browser() -> None:
    """Skip where Chromium or Playwright is missing; fail instead under REQUIRE_BROWSER=1 (CI)."""
    import browser_support as bs

    reason = bs.browser_missing_reason()
    if reason is not None:
        if bs.browser_required():
            pytest.fail(f"browser tests required (REQUIRE_BROWSER=1) but cannot run: {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium for one test module (closed after it, so no event loop outlives the module)."""
    import browser_support as bs

    _skip_without_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=bs.find_chromium(), args=bs.CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def jupyter_lab(tmp_path_factory):
    """JupyterLab on copies of notebooks/, on a free port with a random token; stopped at the end, pass or fail."""
    import browser_support as bs

    _skip_without_browser()
    with bs.jupyter_lab(bs.ROOT / "notebooks", tmp_path_factory.mktemp("jupyterlab")) as lab:
        yield lab
