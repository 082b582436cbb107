"""Round seven, family A (benchmarks/photo_protocol.md): GrabCut seeded by today's Grad-CAM, nine settings f x t.

`SETTINGS` are the protocol's names in its order (f outer); `boxes` runs `helpers.box_refine.grabcut_box` once per
setting on the photo and today's map and times each call alone: its resizing, its GrabCut and its box. Nothing is
shared between settings (each call resizes the photo itself), so each setting's seconds are what it costs on its own.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from timing import timed  # noqa: E402

from helpers.box_refine import grabcut_box  # noqa: E402
from helpers.geometry import Box  # noqa: E402

FRACS = (0.1, 0.2, 0.3)  # f: the CAM's box that fences GrabCut (protocol)
FG_SHARES = (0.3, 0.5, 0.7)  # t: the map's share of its maximum that seeds probable foreground (protocol)
SETTINGS: tuple[str, ...] = tuple(f"f={f} t={t}" for f in FRACS for t in FG_SHARES)


def boxes(classifier: object, image: np.ndarray, cam: np.ndarray, target: int) -> dict[str, tuple[Box, float]]:
    """Every setting's box on one photo and the seconds its own call took (classifier and target unused: no network)."""
    pairs = ((f, t) for f in FRACS for t in FG_SHARES)
    return {name: timed(lambda f=f, t=t: grabcut_box(image, cam, f, t)) for name, (f, t) in zip(SETTINGS, pairs)}
