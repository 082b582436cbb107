"""Conclusions a notebook draws from its own numbers, checked on the reader's run.

A sentence like "the paper's pipeline beats thresholding" is true of the run it was written on. On another
device, thread count or model the numbers move, so the notebook states the conclusion in code: `claim`
prints whether it holds *on this run*, with the numbers when asked, instead of the text contradicting the
output. Equality of two computations is claimed to float precision (`close`), never bit for bit: GPU
kernels and thread counts reorder floating-point sums.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

RTOL = 1e-4  # relative tolerance of "equal to float precision" (float32 sums reordered by other kernels)
ATOL = 1e-6  # absolute tolerance, for entries near zero


@dataclass(frozen=True)
class Claim:
    """One conclusion and whether the reader's run supports it."""

    statement: str
    holds: bool
    evidence: str = ""

    def __str__(self) -> str:
        tail = f" ({self.evidence})" if self.evidence else ""
        if self.holds:
            return f"holds on this run: {self.statement}{tail}"
        return f"on this run this does NOT hold: {self.statement}{tail}"

    def __bool__(self) -> bool:
        return self.holds

    def _ipython_display_(self) -> None:
        """Nothing: `claim` has printed the verdict already, so a claim that ends a cell is not shown twice."""


def claim(statement: str, holds: bool | np.bool_ | torch.Tensor, evidence: str = "", *, show: bool = True) -> Claim:
    """Print (unless `show=False`) and return whether `statement` holds on this run.

    `holds` is the check itself (a bool or a one-element tensor); `evidence` the numbers behind it, printed
    in brackets. Leave run-dependent numbers out of `evidence` in cells whose output nbval checks.
    """
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError("claim needs the statement as a non-empty string, e.g. claim('A beats B', a > b).")
    if isinstance(holds, torch.Tensor):
        if holds.numel() != 1:
            raise ValueError(f"claim's `holds` must be one truth value; got a tensor of shape {tuple(holds.shape)}.")
        holds = bool(holds.item())
    if not isinstance(holds, (bool, np.bool_)):
        raise TypeError(f"claim's `holds` must be a bool (the check, e.g. a > b); got {type(holds).__name__}.")
    result = Claim(statement.strip(), bool(holds), evidence)
    if show:
        print(result)
    return result


def close(
    a: torch.Tensor | np.ndarray, b: torch.Tensor | np.ndarray, *, rtol: float = RTOL, atol: float = ATOL
) -> bool:
    """True when `a` and `b` have one shape and agree to float precision (|a - b| <= atol + rtol |b|)."""
    ta, tb = torch.as_tensor(a).detach().cpu(), torch.as_tensor(b).detach().cpu()
    if ta.shape != tb.shape:
        return False
    return bool(torch.allclose(ta.double(), tb.double(), rtol=rtol, atol=atol))


def equal_to_float_precision(
    statement: str,
    a: torch.Tensor | np.ndarray,
    b: torch.Tensor | np.ndarray,
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
    show: bool = True,
) -> Claim:
    """Claim that two computations give the same array to float precision, stating the tolerance."""
    return claim(
        statement, close(a, b, rtol=rtol, atol=atol), f"to float precision: rtol {rtol:g}, atol {atol:g}", show=show
    )
