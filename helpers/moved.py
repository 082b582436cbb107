"""Old homes of moved names: a module-level `__getattr__` that finds a name in the module it moved to.

The layers (pyproject.toml, `[tool.importlinter]`) put evaluation above the algorithms and the photo
pipeline above the GraphCut pipeline, so `helpers.saliency` cannot import the metrics that used to
live in it. Notebooks still write `helpers.saliency.mass_inside_mask`: the old module forwards such a
name when it is first asked for (at call time, never at import time, so no module imports upward
and there is no cycle). Code inside `helpers/` imports every name from its new home
(tests/test_layers.py checks).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def forward_moved(module: str, moved: Mapping[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """A module `__getattr__` for `module`: a name listed under `moved[new_home]` is looked up in `new_home`."""
    homes = {name: home for home, names in moved.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name in homes:
            return getattr(importlib.import_module(homes[name]), name)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__


def moved_names(moved: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Every forwarded name, for a module's `__dir__`."""
    return sorted(name for names in moved.values() for name in names)
