"""Round seven, family B (`objectness`): superpixel straddling ranks the CAM's boxes (benchmarks/photo_protocol.md).

`boxes(classifier, image, cam, target)` gives every setting's box and seconds for `photo_cv7.py`. The candidate boxes
(`helpers.box_search.candidate_boxes`) are shared by all twelve settings and the segmentation at one k by its six
alphas: each setting's seconds are the candidates' + its k's segmentation and scores + its own choice, at one thread.
The classifier and the target are not used (the CAM already explains the target).
"""

from __future__ import annotations

import time

import numpy as np

from helpers.box_search import candidate_boxes
from helpers.geometry import Box
from helpers.objectness import ALPHAS, SCALES, photo_straddling

SETTINGS: tuple[str, ...] = tuple(f"k={k} alpha={a:g}" for k in SCALES for a in ALPHAS)  # k outer, the protocol's order


def boxes(_classifier, image: np.ndarray, cam: np.ndarray, _target: int) -> dict[str, tuple[Box, float]]:
    """{setting: (box, seconds)} on one photo, in SETTINGS' order."""
    t0 = time.perf_counter()
    candidates = candidate_boxes(cam)[0]
    shared = time.perf_counter() - t0
    out = {}
    for k in SCALES:
        t0 = time.perf_counter()
        found = photo_straddling(image, cam, k, candidates)
        segment = time.perf_counter() - t0
        for a in ALPHAS:
            t0 = time.perf_counter()
            index = found.choose(a)
            out[f"k={k} alpha={a:g}"] = (found.boxes[index], shared + segment + time.perf_counter() - t0)
    return out
