"""The atlas command's options and pre-flight checks: defaults shown, a CPU run's time estimate, named errors.

`python -m helpers.atlas` (helpers.atlas.main) parses its options here and, before any work, checks them: the
device exists here, the models load (an error names `--model` or `--judge` and the valid choices), and on a CPU
a run of every class (no `--classes`) is refused with its estimated duration and a smaller command, unless
`--yes` says to go ahead.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import torch

from .models import Classifier, WeightsUnavailableError, load_model

METHODS: tuple[str, ...] = ("paper", "regularized", "jitter_blur")
CPU_BATCH, MAX_CUDA_BATCH = 25, 500  # a CPU gains little from larger batches (benchmarks/README.md)
# Lite0, the paper's method at 160 px on one CPU thread: 21.7 image-steps/s (benchmarks/README.md, "Class atlas").
CPU_IMAGE_STEPS_PER_S_160 = 21.7
SUGGESTED_CLASSES = 12  # what a CPU run is told to try first (notebook 03's atlas size)
MODEL_CHOICES = "efficientnet_lite0, efficientnet_lite1, efficientnet_lite2, toy, or a torchvision classifier (vgg16, resnet18, ...)"


class CommandError(ValueError):
    """A bad option of the atlas command, with a message that names the option and what it accepts."""


def build_parser() -> argparse.ArgumentParser:
    """The command's options, each explained, with their defaults shown by --help."""
    p = argparse.ArgumentParser(
        prog="python -m helpers.atlas",
        description="The class atlas: a class image for many "
        "classes at once, each scored by a network that did not make it.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--classes",
        default=None,
        help="'all', a count N (evenly spaced classes), or names/indices separated "
        "by commas; not given: all, which a CPU refuses without --yes (it takes hours)",
    )
    p.add_argument("--model", default="efficientnet_lite0", help="the network that generates the class images")
    p.add_argument(
        "--judge", default="efficientnet_lite2", help="an independent network that scores them ('none' to skip)"
    )
    p.add_argument(
        "--method",
        default="paper",
        choices=METHODS,
        help="'paper': the paper's plain gradient ascent; "
        "'regularized': feature visualization (best measured); 'jitter_blur': Adam + jitter + blur + clip",
    )
    p.add_argument("--steps", type=int, default=150, help="optimisation steps per class image (a positive integer)")
    p.add_argument("--size", type=int, default=160, help="side of the class images in pixels")
    p.add_argument(
        "--batch",
        type=int,
        default=None,
        help=f"classes optimised together in one forward/backward "
        f"(None: {CPU_BATCH} on a CPU, up to {MAX_CUDA_BATCH} on CUDA as memory allows)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="random seed of the starting images and transforms (same seed, same atlas)"
    )
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N or mps (None: the best available)")
    p.add_argument(
        "--out", default=None, help="output folder, resumable (None: out/atlas/<model>_<method>_<size>px_<steps>steps)"
    )
    p.add_argument("--yes", action="store_true", help="on a CPU, run every class even though it takes hours")
    return p


def default_out(model: str, method: str, size: int, steps: int) -> Path:
    """The command's output folder when --out is not given: one per setting, so runs never mix (out/ is git-ignored)."""
    return Path("out") / "atlas" / f"{model}_{method}_{size}px_{steps}steps"


def _available_devices() -> list[str]:
    found = ["cpu"]
    if torch.cuda.is_available():
        found += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found


def check_device(device: str | None) -> torch.device | None:
    """The --device as a torch.device (None: the best available), or a CommandError naming what this machine has."""
    if device is None:
        return None
    available = _available_devices()
    try:
        parsed = torch.device(device)
    except RuntimeError:
        raise CommandError(
            f"--device {device!r} is not a device; valid choices on this machine: {', '.join(available)}."
        ) from None
    if str(parsed) not in available and parsed.type != "cpu":
        raise CommandError(
            f"--device {device!r} is not available on this machine; valid choices here: {', '.join(available)}."
        )
    return parsed


def load_named(option: str, name: str, device: torch.device | None) -> Classifier:
    """load_model for the --model or --judge option; an unknown name is a CommandError naming the option."""
    try:
        return load_model(name, device=device)
    except WeightsUnavailableError:
        raise
    except ValueError as err:
        extra = " or 'none' to skip judging" if option == "--judge" else ""
        raise CommandError(
            f"{option} {name!r} is not a model this course loads: use {MODEL_CHOICES}{extra}. "
            f"({str(err).split('. ')[0]}.)"
        ) from None


def estimated_seconds(n_classes: int, steps: int, size: int, method: str, model: Classifier) -> float:
    """A CPU run's duration from the benchmark's rate, scaled by pixels ('regularized' shows the model its input size)."""
    side = max(size, model.input_size) if method == "regularized" else size
    return n_classes * steps * (side / 160) ** 2 / CPU_IMAGE_STEPS_PER_S_160


def _duration(seconds: float) -> str:
    return (
        f"{seconds / 3600:.1f} h"
        if seconds >= 5400
        else f"{seconds / 60:.0f} min"
        if seconds >= 90
        else f"{seconds:.0f} s"
    )


def cpu_preflight(args: argparse.Namespace, model: Classifier) -> None:
    """On a CPU, a CommandError (with the estimate and a smaller command) when every class would run unasked."""
    if model.device.type == "cpu" and args.classes is None and not args.yes:
        every = estimated_seconds(len(model.categories), args.steps, args.size, args.method, model)
        few = estimated_seconds(SUGGESTED_CLASSES, args.steps, args.size, args.method, model)
        raise CommandError(
            f"Without --classes the atlas makes all {len(model.categories)} classes: on this CPU about {_duration(every)} "
            f"(from a one-thread benchmark, {CPU_IMAGE_STEPS_PER_S_160} image-steps/s at 160 px). Try "
            f"--classes {SUGGESTED_CLASSES} first (about {_duration(few)}), or add --yes to run every class."
        )


def estimate_line(n_classes: int, args: argparse.Namespace, model: Classifier) -> str | None:
    """'about X on this CPU' for a run about to start on a CPU (None elsewhere)."""
    if model.device.type != "cpu":
        return None
    seconds = estimated_seconds(n_classes, args.steps, args.size, args.method, model)
    return (
        f"{n_classes} classes on the CPU: about {_duration(seconds)} (one-thread benchmark; more threads are faster)."
    )


def check_steps(steps: int) -> None:
    """--steps must be positive: 0 steps would write the unoptimised starting images."""
    if isinstance(steps, bool) or steps < 1:
        raise CommandError(f"--steps must be a positive integer (optimisation steps per class image); got {steps}.")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """The parsed options, --out filled in."""
    args = build_parser().parse_args(argv)
    args.out = args.out or default_out(args.model, args.method, args.size, args.steps)
    return args
