"""The one gradient-ascent loop of the class images: maximise an objective of the model's outputs over the input.

Both `helpers.classvis.class_model_visualization` (the paper's Eq. 1: pixels, SGD or Adam) and
`helpers.feature_vis.feature_visualization` (a Fourier image under random transforms, Adam) run `ascend`.
They differ only in what they hand it: the parameters, how the model sees them (`forward`), how a step
updates them (`update`) and the returned image (`final`). The objective is a callable from the model's
outputs (N, K) to one value per image (N,): a logit (the paper), a posterior or its log (`class_objective`),
or any other, e.g. a channel of a layer's output. The settings they share are checked here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import torch

from .geometry import check_positive_int
from .models import Classifier

ObjectiveName = Literal["logit", "softmax", "log_softmax"]
OBJECTIVES: tuple[str, ...] = ("logit", "softmax", "log_softmax")
Objective = Callable[[torch.Tensor], torch.Tensor]  # model outputs (N, K) -> the value to maximise per image (N,)
# forward(step) -> (model outputs (N, K), penalty (N,) or None, the image the history measures ||I|| on)
Forward = Callable[[int], tuple[torch.Tensor, "torch.Tensor | None", torch.Tensor]]
Update = Callable[[int, Sequence[torch.Tensor]], None]  # update(step, gradients of the parameters)
Final = Callable[[], tuple[torch.Tensor, torch.Tensor]]  # () -> (outputs, image) of the returned image, no gradient
Check = Callable[[int, torch.Tensor, torch.Tensor], None]  # check(step, image, outputs): raise when the run is lost


def class_objective(kind: str, targets: torch.Tensor) -> Objective:
    """The objective of class images: per image, its target's logit S_c (the paper), P_c ("softmax") or log P_c."""
    if kind not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}; got {kind!r}.")

    def objective(logits: torch.Tensor) -> torch.Tensor:
        chosen = (
            logits if kind == "logit" else logits.softmax(dim=1) if kind == "softmax" else logits.log_softmax(dim=1)
        )
        return chosen.gather(1, targets.view(-1, 1)).squeeze(1)

    return objective


def history_row(logits: torch.Tensor, targets: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """(4, N): target logit, target probability, mean of the other logits, ||I||_2 of the image x."""
    target_logit = logits.gather(1, targets.view(-1, 1)).squeeze(1)
    target_prob = logits.softmax(dim=1).gather(1, targets.view(-1, 1)).squeeze(1)
    mean_other = (logits.sum(dim=1) - target_logit) / (logits.shape[1] - 1)
    return torch.stack([target_logit, target_prob, mean_other, x.flatten(1).norm(dim=1)]).float()


def ascend(
    params: Sequence[torch.Tensor],
    objective: Objective,
    targets: torch.Tensor,
    *,
    steps: int,
    forward: Forward,
    update: Update,
    final: Final,
    check: Check | None = None,
    progress: bool = False,
    desc: str = "gradient ascent",
) -> np.ndarray:
    """`steps` updates of `params` along d(objective - penalty)/d params; returns the history (steps + 1, 4, N).

    Row t < steps is measured on what the model saw at step t (before its update); the last row on `final()`.
    `check`, if given, sees every row's image and outputs (e.g. to stop a diverging run with advice).
    """
    from tqdm.auto import tqdm

    rows: list[torch.Tensor] = []
    for step in tqdm(range(steps), desc=desc, disable=not progress, leave=False):
        with torch.enable_grad():  # works under the caller's torch.no_grad() too
            outputs, penalty, shown = forward(step)
            rows.append(history_row(outputs.detach(), targets, shown.detach()))
            if check is not None:
                check(step, shown.detach(), outputs.detach())
            value = objective(outputs) if penalty is None else objective(outputs) - penalty
            grads = torch.autograd.grad(value.sum(), list(params))
        with torch.no_grad():
            update(step, grads)
    with torch.no_grad():
        outputs, shown = final()
    outputs, shown = outputs.detach(), shown.detach()
    rows.append(history_row(outputs, targets, shown))
    if check is not None:
        check(steps, shown, outputs)
    return torch.stack(rows).cpu().numpy()


def target_classes(classifier: Classifier, target: int | str | Sequence[int | str]) -> tuple[list[int], bool]:
    """(class indices, whether one class was given): the target of a class image, or a non-empty list of them."""
    single = isinstance(target, (int, np.integer, str))
    names = [target] if single else list(target)  # type: ignore[arg-type]
    if not names:
        raise ValueError("target must be a class (index or name) or a non-empty list of classes.")
    return [classifier.class_index(t) for t in names], single


def check_ascent_numbers(steps: int, lr: float | None, l2: float | None) -> None:
    """The settings every ascent shares: steps >= 0 (an int), lr > 0 (None: a default), l2 >= 0."""
    check_positive_int("steps", steps, minimum=0)
    if lr is not None and not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number (or None for the default); got {lr!r}.")
    if l2 is not None and not (np.isfinite(l2) and l2 >= 0):
        raise ValueError(f"l2 (lambda) must be a non-negative number; got {l2!r}.")
