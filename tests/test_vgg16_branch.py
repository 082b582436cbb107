"""The VGG16 branch of the real-photo cells (what Colab runs when it can download VGG16), executed offline.

`helpers.best_photo_model()` returns VGG16 when its weights are in torchvision's cache. A VGG16-architecture
checkpoint with random weights, saved where that cache expects the real one (TORCH_HOME in a temporary folder),
switches the branch on without the network. The code cells tagged `photo` (the real-photo cells and the set-up
cells they need) of every notebook that asks for the photo model then run in one kernel, in notebook order.

Random weights cannot test what the maps show, only that every real-photo cell runs with VGG16 (no
EfficientNet-Lite0-only code path) and that VGG16 is the model used. To keep the run short on a CPU (VGG16 costs
about ten times Lite0 per map), a first injected cell limits the two photo benchmarks (`evaluate_pointing`,
`evaluate_photos`) to their first few photos and shows VGG16 its photos at 112 px instead of 224 (a quarter of the
work; VGG16's adaptive pooling takes any size, and every code path is the one of 224 px); the notebooks themselves
are not changed.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import nbformat
import pytest
import torch
import torchvision

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
TAG = "photo"
MAX_PHOTOS = 3
VGG16_TEST_SIZE = 112  # px: the photo cells' code paths at a quarter of the 224 px work
USES_PHOTO_MODEL = re.compile(r"best_photo_model|PHOTO_MODEL|photo_model\b")

# Injected before the tagged cells: the photo benchmarks run on their first MAX_PHOTOS photos only. Patched in the
# functions' own module globals, so it holds wherever the helpers reorganisation puts them.
LIMIT_PHOTOS = f"""
import inspect

import helpers
from helpers.evaluation.photo_localization import evaluate_photos
from helpers.evaluation.pointing import evaluate_pointing

_MAX = {MAX_PHOTOS}
# the functions' own modules (unwrapped: a decorator's globals are its own module's)
_pointing_globals, _photo_globals = inspect.unwrap(evaluate_pointing).__globals__, inspect.unwrap(evaluate_photos).__globals__
_all_pairs, _all_cases = _pointing_globals["pointing_pairs"], _photo_globals["photo_cases"]


def _few_pairs(names=None):
    return _all_pairs(list(helpers.list_images("coco") if names is None else names)[:_MAX])


def _few_cases(classifier, names=None):
    cases = []
    for name in helpers.list_images() if names is None else names:
        cases += _all_cases(classifier, [name])
        if len(cases) == _MAX:
            break
    return cases


_pointing_globals["pointing_pairs"], _photo_globals["photo_cases"] = _few_pairs, _few_cases

# VGG16 sees its photos at {VGG16_TEST_SIZE} px: the notebooks ask `helpers.best_photo_model()`, looked up in its module
import dataclasses

import helpers.photos as _photos

_best_photo_model = _photos.best_photo_model


def _small_vgg16(*args, **kwargs):
    model = _best_photo_model(*args, **kwargs)
    return dataclasses.replace(model, input_size={VGG16_TEST_SIZE}) if model.name == "vgg16" else model


_photos.best_photo_model = _small_vgg16
"""

# Appended after the tagged cells: which model the photo cells used.
REPORT_MODEL = """
_photo_model = globals().get("PHOTO_MODEL") or globals().get("photo_model")
print("photo cells ran with:", _photo_model.name, "at", _photo_model.input_size, "px")
"""


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def _photo_notebooks() -> list[Path]:
    """The notebooks with a code cell that asks for the photo model."""
    return [
        p
        for p in _notebooks()
        if any(
            c.cell_type == "code" and USES_PHOTO_MODEL.search(c.source) for c in nbformat.read(p, as_version=4).cells
        )
    ]


def _tagged(cell) -> bool:
    return TAG in cell.metadata.get("tags", [])


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.name[:2])
def test_cells_using_the_photo_model_are_tagged(path: Path) -> None:
    """Every code cell that uses the photo model is tagged, so the branch test below runs it."""
    nb = nbformat.read(path, as_version=4)
    untagged = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and USES_PHOTO_MODEL.search(c.source) and not _tagged(c)
    ]
    assert not untagged, f"{path.name}: code cells {untagged} use the photo model but are not tagged {TAG!r}"


@pytest.fixture(scope="module")
def vgg16_torch_home(tmp_path_factory) -> Path:
    """A TORCH_HOME whose checkpoint cache holds a random-weight VGG16 under the real weights' file name."""
    home = tmp_path_factory.mktemp("torch_home")
    url = torchvision.models.VGG16_Weights.IMAGENET1K_V1.url
    target = home / "hub" / "checkpoints" / url.rsplit("/", 1)[-1]
    target.parent.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(torchvision.models.vgg16(weights=None).state_dict(), target)
    return home


@pytest.mark.slow
def test_cached_vgg16_is_chosen_without_the_network(vgg16_torch_home: Path, monkeypatch) -> None:
    import urllib.request

    import helpers

    def no_network(*args, **kwargs):
        raise AssertionError("best_photo_model went to the network although VGG16's weights are cached")

    monkeypatch.setenv("TORCH_HOME", str(vgg16_torch_home))
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    model = helpers.best_photo_model(device="cpu")
    assert model.name == "vgg16"
    assert isinstance(model.model, torchvision.models.VGG)


@pytest.mark.slow
@pytest.mark.parametrize("path", _photo_notebooks(), ids=lambda p: p.name[:2])
def test_photo_cells_run_with_vgg16(path: Path, vgg16_torch_home: Path, monkeypatch) -> None:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if c.cell_type == "code" and _tagged(c)]
    assert tagged, f"{path.name} uses the photo model but tags no cell {TAG!r}"
    nb.cells = [nbformat.v4.new_code_cell(LIMIT_PHOTOS)] + tagged + [nbformat.v4.new_code_cell(REPORT_MODEL)]

    # The kernel inherits this environment: the cached VGG16, and the course package from this checkout.
    monkeypatch.setenv("TORCH_HOME", str(vgg16_torch_home))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    client = NotebookClient(
        nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK_DIR)}}
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if a cell fails
    seconds = time.perf_counter() - start

    last = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert f"photo cells ran with: vgg16 at {VGG16_TEST_SIZE} px" in last, f"{path.name}: {last!r}"
    print(
        f"{path.name}: {len(tagged)} tagged cells with VGG16 (random weights, {MAX_PHOTOS} benchmark photos) in {seconds:.0f} s"
    )
