"""Speed of `localize_photo` on one CPU core against the pipeline it replaced, measured in the same run (issue 33).

Seconds per photo from pixels to box (map + box), median of 3 calls after a warm-up, 1 torch / OpenCV thread,
EfficientNet-Lite0, on the bundled photos at their own size (helpers.list_images()). Issue 33's cross-validation
kept `localize_photo`'s recipe (Grad-CAM of the last block, the CAM protocol at 20% of the maximum), so the reference
measured in the same run is that recipe's bare steps, `cam_localization(gradcam_map(...), 0.20)`: `localize_photo`
adds one whole-photo forward pass, the probability check behind its `UnlikelyTargetWarning`. Target: <= 1 s per photo.

Run: python benchmarks/bench_photo_speed.py [--photos N]
"""

from __future__ import annotations

import argparse
import os

import cv2
import numpy as np
import torch
from timing import median_time

import helpers
from helpers import photos
from helpers.cam import cam_localization

TARGET_S = 1.0


def old_localize_photo(classifier: helpers.Classifier, image: np.ndarray, target: int) -> helpers.Localization:
    """The recipe's bare steps: Grad-CAM of the last block, the largest component >= 20% of its maximum (no check)."""
    return cam_localization(photos.gradcam_map(classifier, image, target), 0.20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=4, help="the first N bundled photos")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    lite0 = helpers.load_model("efficientnet_lite0", device="cpu")
    load0 = os.getloadavg()[0]
    print("seconds per photo, 1 thread, EfficientNet-Lite0, photos at their own size (map + box)")
    print(f"  {'photo':<14}{'size':>10}{'localize_photo':>16}{'bare':>10}{'ratio':>8}")
    new_times, old_times = [], []
    for name in helpers.list_images()[: args.photos]:
        image = helpers.load_image(name)
        target = photos.photo_target(lite0, image)
        new = median_time(lambda: photos.localize_photo(lite0, image, target), repeats=3)
        old = median_time(lambda: old_localize_photo(lite0, image, target), repeats=3)
        new_times.append(new)
        old_times.append(old)
        size = f"{image.shape[1]}x{image.shape[0]}"
        print(f"  {name:<14}{size:>10}{new:>16.2f}{old:>10.2f}{new / old:>8.1f}")
    new_med, old_med = float(np.median(new_times)), float(np.median(old_times))
    verdict = "within" if new_med <= TARGET_S else "OVER"
    print(
        f"median over {len(new_times)} photos: localize_photo {new_med:.2f} s, bare steps {old_med:.2f} s, "
        f"ratio {new_med / old_med:.1f}; {verdict} the {TARGET_S:.0f} s target "
        f"(load average {load0:.1f} -> {os.getloadavg()[0]:.1f} on a shared CPU)"
    )


if __name__ == "__main__":
    main()
