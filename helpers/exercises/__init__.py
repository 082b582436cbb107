"""Automatic checks for the students' exercises: each says right or wrong, and why.

One module per notebook (`linear`, `saliency`, `classvis`, `logits`, `localization`); each check
returns a `CheckResult`, which prints as a short verdict in a notebook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one exercise check; truthy when passed."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return ("✅ Correct: " if self.passed else "❌ Not yet: ") + self.message

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.passed else "#cf222e"
        return f'<span style="color:{colour};font-weight:bold">{self}</span>'


def passed(message: str) -> CheckResult:
    return CheckResult(True, message)


def failed(message: str) -> CheckResult:
    return CheckResult(False, message)


def call_student(
    fn: Any, *args: Any, name: str = "your function", explain: Callable[[Exception], str] | None = None
) -> tuple[Any, CheckResult | None]:
    """Run a student's function; turn 'not a function', None and exceptions into a verdict, not a traceback.

    `explain(err)` may add the likely cause of an exception (e.g. a bare nn.Module used as a Classifier).
    """
    if not callable(fn):
        return None, failed(f"{name} should be a function (pass the function itself); got {type(fn).__name__}.")
    try:
        out = fn(*args)
    except Exception as err:  # the student's code may fail in any way; report it, don't crash the notebook
        return None, failed(f"{name} raised {type(err).__name__}: {err}" + (explain(err) if explain else ""))
    if out is None:
        return None, failed(f"{name} returned None: fill in the exercise cell.")
    return out, None


def compare_arrays(
    name: str, got: object, expected: np.ndarray | torch.Tensor, *, rtol: float = 1e-4, atol: float = 1e-5
) -> CheckResult:
    """Compare a student's array with the reference: type, shape, then values, saying what differs."""
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().cpu().numpy()
    if isinstance(got, torch.Tensor):
        got = got.detach().cpu().numpy()
    if not isinstance(got, np.ndarray):
        return failed(f"{name} should be an array or tensor; got {type(got).__name__}.")
    if got.shape != expected.shape:
        return failed(f"{name} has shape {got.shape}; expected {expected.shape}.")
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        worst = float(np.max(np.abs(got.astype(np.float64) - expected)))
        return failed(f"{name} differs from the reference by up to {worst:.3g}.")
    return passed(f"{name} matches the reference.")


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of a bare nn.Module (its first parameter's): every tensor a check feeds it is created there."""
    return next(model.parameters()).device


BARE_MODULE_HINT = (
    " Here `model` is the bare torch nn.Module (e.g. `toy.model`), not the course's Classifier (`toy`): "
    "call model(x); its device is next(model.parameters()).device."
)


def explain_bare_module_error(err: Exception) -> str:
    """The hint for an AttributeError that treats a bare nn.Module as a Classifier (model.model, model.device, ...)."""
    classifier_only = (
        "model",
        "device",
        "input_size",
        "preprocess",
        "deprocess",
        "normalize",
        "categories",
        "mean",
        "std",
    )
    if isinstance(err, AttributeError) and any(f"'{name}'" in str(err) for name in classifier_only):
        return BARE_MODULE_HINT
    return ""
