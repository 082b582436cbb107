"""Ablation of the feature-visualization class images (helpers.feature_vis): recognisability per ingredient.

Run: python benchmarks/ablation_feature_vis.py [--classes 20] [--size 128] [--steps 100] [--only NAME,...] [--out FILE]

Each configuration makes class images with EfficientNet-Lite0 for N evenly spaced ImageNet classes (one batch,
seed 0) and scores them with EfficientNet-Lite2 (helpers.atlas.judge, raw images, no display stretch):
recognisability = share of classes whose target is in Lite2's top-5. Also Lite0's own top-1 on the saved uint8
images, and the wall time. Results are appended to --out (JSON lines) as they come.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

import helpers
from helpers.atlas import judge, parse_classes, self_score
from helpers.classvis import Blur, Clip, Jitter, class_model_visualization
from helpers.feature_vis import feature_visualization

# key -> (label, function, kwargs); "fv" rows add one ingredient at a time, then full minus one.
CONFIGS: dict[str, tuple[str, str, dict]] = {
    "full": ("Fourier + decorrelation + pad/jitter/scale/rotate, model sees 128 px", "fv", {"model_size": None}),
    "jitter_blur": (
        "today's recipe: Adam + jitter + blur + clip",
        "cmv",
        {"optimizer": "adam", "regularizers": (Jitter(), Blur(1.0, 4), Clip())},
    ),
    "pixel": (
        "pixels, sigmoid, Adam, no transforms",
        "fv",
        {"param": "pixel", "decorrelate": False, "transforms": (), "model_size": None},
    ),
    "fourier": (
        "+ Fourier 1/f",
        "fv",
        {"param": "fourier", "decorrelate": False, "transforms": (), "model_size": None},
    ),
    "decorrelate": (
        "+ colour decorrelation",
        "fv",
        {"param": "fourier", "decorrelate": True, "transforms": (), "model_size": None},
    ),
    "pad_jitter": ("+ pad, jitter", "fv", {"transforms": ("pad", "jitter"), "model_size": None}),
    "scale": ("+ scale", "fv", {"transforms": ("pad", "jitter", "scale"), "model_size": None}),
    "full_224": ("full + the model sees the image upsampled to 224 px (as Lucent): regularized", "fv", {}),
    "no_fourier": ("full - Fourier (pixels)", "fv", {"param": "pixel", "model_size": None}),
    "no_decorrelation": ("full - decorrelation", "fv", {"decorrelate": False, "model_size": None}),
    "paper": ("the paper's plain SGD", "cmv", {"optimizer": "sgd", "regularizers": ()}),
}


def run(
    name: str,
    gen: helpers.Classifier,
    judge_model: helpers.Classifier,
    classes: list[int],
    size: int,
    steps: int,
    save_dir: str | None = None,
) -> dict:
    label, kind, kwargs = CONFIGS[name]
    begin = time.perf_counter()
    if kind == "cmv":
        results = class_model_visualization(
            gen, classes, steps=steps, init=torch.zeros(1, 3, size, size), seed=0, progress=False, **kwargs
        )
    else:
        results = feature_visualization(gen, classes, steps=steps, size=size, seed=0, progress=False, **kwargs)
    seconds = time.perf_counter() - begin
    images = [r.image for r in results]
    judged = judge(judge_model, images, classes)
    own = self_score(gen, images, classes)
    if save_dir:
        import numpy as np
        from PIL import Image

        Image.fromarray(np.concatenate(images, axis=1)).save(f"{save_dir}/{name}.png")
    return {
        "config": name,
        "label": label,
        "n": len(classes),
        "size": size,
        "steps": steps,
        "judge_top5": sum(s.rank <= 5 for s in judged),
        "judge_top1": sum(s.rank == 1 for s in judged),
        "own_top1": sum(s.rank == 1 for s in own),
        "seconds": round(seconds, 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--classes", type=int, default=20)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--only", default=None, help=f"comma-separated keys of {tuple(CONFIGS)} (default: all)")
    p.add_argument("--out", default=None)
    p.add_argument("--images", default=None, help="folder for one strip of the raw images per configuration")
    args = p.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    gen = helpers.load_model("efficientnet_lite0", device="cpu")
    judge_model = helpers.load_model("efficientnet_lite2", device="cpu")
    classes = parse_classes(args.classes, gen.categories)
    names = list(CONFIGS) if args.only is None else [n.strip() for n in args.only.split(",")]
    for name in names:
        row = run(name, gen, judge_model, classes, args.size, args.steps, args.images)
        print(json.dumps(row), flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
