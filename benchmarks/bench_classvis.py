"""Class-model visualization speed: optimisation steps per second against raw forward+backward on the same input.

Run: python benchmarks/bench_classvis.py. The ratio (helper steps/s divided by raw forward+backward/s) shows the
overhead of `class_model_visualization` (objective, L2 penalty, history, update) over the bare gradient.
"""

from __future__ import annotations

import time

import torch

import helpers
from helpers.classvis import class_model_visualization


def raw_steps_per_second(classifier: helpers.Classifier, x: torch.Tensor, target: int, steps: int) -> float:
    """Bare loop: forward, d S_c / d x by autograd, nothing else."""
    x = x.clone().requires_grad_(True)
    torch.autograd.grad(classifier.model(x)[:, target].sum(), x)  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        (grad,) = torch.autograd.grad(classifier.model(x)[:, target].sum(), x)
    return steps / (time.perf_counter() - start)


def helper_steps_per_second(classifier: helpers.Classifier, x: torch.Tensor, target: int, steps: int) -> float:
    """The course helper, the paper's plain method, progress bar off."""
    class_model_visualization(classifier, target, steps=1, init=x, progress=False)  # warm-up
    start = time.perf_counter()
    class_model_visualization(classifier, target, steps=steps, init=x, progress=False)
    return steps / (time.perf_counter() - start)


def main() -> None:
    """Time both models, one image, and print steps/s and the ratio."""
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, device {helpers.default_device()}")
    for name, size, steps in [("toy", 64, 100), ("efficientnet_lite0", 224, 10)]:
        classifier = helpers.load_model(name)
        x = torch.zeros(1, 3, size, size, device=classifier.device)
        raw = raw_steps_per_second(classifier, x, 1, steps)
        ours = helper_steps_per_second(classifier, x, 1, steps)
        print(
            f"{name:20s} {size}px  raw fwd+bwd {raw:7.2f} steps/s   class_model_visualization {ours:7.2f} steps/s   ratio {ours / raw:.2f}"
        )


if __name__ == "__main__":
    main()
