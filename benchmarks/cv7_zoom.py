"""Round seven, family C (`zoom`): a second Grad-CAM pass on the zoomed-in region, for benchmarks/photo_cv7.py.

Settings (benchmarks/photo_protocol.md, "Round seven"): margin m in {0.1, 0.25, 0.5} (outer) x round three's box
rules (`frac` 0.10 ... 0.60, `otsu`, `mass` 0.5 ... 0.9), named `m=0.25 frac 0.3`. The second pass of one margin is
computed once and shared by its 17 rules: its seconds are added to each rule's own seconds. Before any zoom, the
gradcam method on the whole photo must reproduce the cached first map (quantised) the harness gives, so the two
passes are comparable; that check is not timed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import photo_cv_protocol as p3  # noqa: E402
from timing import timed  # noqa: E402

from helpers.cam import CAM_THRESHOLD, cam_box  # noqa: E402
from helpers.cam_zoom import ZOOM_METHOD, zoom_cam  # noqa: E402
from helpers.geometry import Box  # noqa: E402
from helpers.methods import attribution_method  # noqa: E402
from helpers.photos import quantise_map  # noqa: E402

MARGINS = (0.1, 0.25, 0.5)
RULES = [(name, s["rule"], s["value"]) for name, s in p3.box_settings()["gradcam"]]  # round three's, in its order
SETTINGS = tuple(f"m={m} {name}" for m in MARGINS for name, _, _ in RULES)
REPRODUCE_SHARE = 0.001  # the recomputed first map may differ from the cache at this share of pixels (rounding edges)


def check_first_pass(classifier, image: np.ndarray, cam: np.ndarray, target: int) -> None:
    """Stop unless the gradcam method on the whole photo reproduces the cached first map (quantised) and its box."""
    again = quantise_map(attribution_method(ZOOM_METHOD)(classifier, image, target))
    differ = float(np.mean(np.abs(again - cam) > 1e-6))
    if differ > REPRODUCE_SHARE or cam_box(again, CAM_THRESHOLD) != cam_box(cam, CAM_THRESHOLD):
        raise SystemExit(f"gradcam on the whole photo does not reproduce the cached map: {differ:.4%} of pixels differ")


def boxes(classifier, image: np.ndarray, cam: np.ndarray, target: int) -> dict[str, tuple[Box, float]]:
    """Every setting's box on one photo and its seconds beyond the first map (its margin's second pass + its rule)."""
    check_first_pass(classifier, image, cam, target)
    found: dict[str, tuple[Box, float]] = {}
    for m in MARGINS:
        zoomed, zoom_s = timed(lambda: zoom_cam(classifier, image, target, cam, margin=m))
        for name, rule, v in RULES:
            box, rule_s = timed(lambda: cam_box(zoomed, v, rule=rule))
            found[f"m={m} {name}"] = (box, zoom_s + rule_s)
    return found
