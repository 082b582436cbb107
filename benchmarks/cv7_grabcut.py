"""Round seven, family A (benchmarks/photo_protocol.md): GrabCut seeded by today's Grad-CAM, nine settings f x t.

`SETTINGS` are the protocol's names in its order (f outer); `boxes` runs `helpers.box_refine.grabcut_box` once per
setting on the photo and today's map and times each call alone: its resizing, its GrabCut and its box. Nothing is
shared between settings (each call resizes the photo itself), so each setting's seconds are what it costs on its own.
"""

from __future__ import annotations

import time

import numpy as np

from helpers.box_refine import grabcut_box
from helpers.geometry import Box

FRACS = (0.1, 0.2, 0.3)  # f: the CAM's box that fences GrabCut (protocol)
FG_SHARES = (0.3, 0.5, 0.7)  # t: the map's share of its maximum that seeds probable foreground (protocol)
SETTINGS: tuple[str, ...] = tuple(f"f={f} t={t}" for f in FRACS for t in FG_SHARES)


def boxes(classifier: object, image: np.ndarray, cam: np.ndarray, target: int) -> dict[str, tuple[Box, float]]:
    """Every setting's box on one photo and the seconds its own call took (classifier and target unused: no network)."""
    out: dict[str, tuple[Box, float]] = {}
    for name, (f, t) in zip(SETTINGS, ((f, t) for f in FRACS for t in FG_SHARES)):
        start = time.perf_counter()
        box = grabcut_box(image, cam, f, t)
        out[name] = (box, time.perf_counter() - start)
    return out
