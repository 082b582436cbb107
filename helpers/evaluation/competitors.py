"""Where a class's margin over its competitors came from: raising S_c, or lowering the other scores (notebook 04).

The paper (Section 2) prefers S_c to the posterior P_c because "the maximisation of the class posterior can be
achieved by minimising the scores of other classes". Whether an optimisation did that depends on how the
competitors are summarised, so all three summaries are measured, from the logits before and after:

- `"mean"`: the mean of the other K - 1 logits (every competitor counts the same);
- `"logsumexp"`: log sum_{k != c} exp S_k, what P_c depends on: S_c minus it is log(P_c / (1 - P_c)) exactly;
- `"runner_up"`: the largest other logit (the margin of the top-1 decision).

For each, the margin gained is d(S_c) - d(competitors), and the share gained from the others is
-d(competitors) / (margin gained): 0 when only S_c rose, 1 when only the others fell, negative when the others rose.
The share is a ratio, so it is defined only where the margin grew by at least MIN_MARGIN_FRACTION of the total
movement |d(S_c)| + |d(competitors)|; elsewhere (the margin shrank, or two large changes nearly cancel) it is NaN,
and `share_defined` says where. Then |share| <= 1 / MIN_MARGIN_FRACTION = 100.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

SUMMARIES: tuple[str, ...] = ("mean", "logsumexp", "runner_up")
MIN_MARGIN_FRACTION = 0.01  # a margin gain below 1% of |d(S_c)| + |d(competitors)| leaves the share undefined


def _as_logits(name: str, logits: torch.Tensor | np.ndarray) -> np.ndarray:
    """(N, K) float64 logits with K >= 2, finite, as numpy (gradients and devices dropped)."""
    a = (
        torch.as_tensor(logits).detach().cpu().double().numpy()
        if isinstance(logits, torch.Tensor)
        else np.asarray(logits, float)
    )
    if a.ndim != 2 or a.shape[1] < 2:
        raise ValueError(f"{name} must be an (N, K) array of logits with K >= 2 classes; got shape {a.shape}.")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} holds inf or NaN; pass the logits of images that the model scored finitely.")
    return a


def _as_targets(targets: torch.Tensor | np.ndarray | list[int], n: int, k: int) -> np.ndarray:
    """(N,) int class indices in [0, K)."""
    t = np.asarray(torch.as_tensor(targets).cpu() if isinstance(targets, torch.Tensor) else targets)
    if t.shape != (n,) or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(
            f"targets must be {n} integer class indices, one per row of the logits; got {t.dtype} of shape {t.shape}."
        )
    if t.min() < 0 or t.max() >= k:
        raise ValueError(f"targets must lie in [0, {k}); got values from {t.min()} to {t.max()}.")
    return t.astype(np.int64)


def competitor_score(
    logits: torch.Tensor | np.ndarray, targets: torch.Tensor | np.ndarray | list[int], summary: str
) -> np.ndarray:
    """(N,) one number per row for the classes other than its target: their mean, log-sum-exp or maximum."""
    if summary not in SUMMARIES:
        raise ValueError(f"summary must be one of {SUMMARIES}; got {summary!r}.")
    s = _as_logits("logits", logits)
    t = _as_targets(targets, *s.shape)
    is_target = np.eye(s.shape[1], dtype=bool)[t]
    if summary == "mean":
        return (s.sum(axis=1) - s[is_target]) / (s.shape[1] - 1)
    others = np.where(is_target, -np.inf, s)
    top = others.max(axis=1)
    if summary == "runner_up":
        return top
    return top + np.log(np.exp(others - top[:, None]).sum(axis=1))  # log-sum-exp, stable: exp(-inf) = 0


@dataclass(frozen=True)
class MarginChange:
    """Per row: the change of S_c and of the competitors' summary between two sets of logits."""

    summary: str
    target_change: np.ndarray
    competitor_change: np.ndarray

    @property
    def margin_change(self) -> np.ndarray:
        """d(S_c - competitors): how much the margin grew."""
        return self.target_change - self.competitor_change

    @property
    def share_defined(self) -> np.ndarray:
        """Where the margin grew by at least MIN_MARGIN_FRACTION of |d(S_c)| + |d(competitors)| (a ratio worth reading)."""
        movement = np.abs(self.target_change) + np.abs(self.competitor_change)
        return (movement > 0) & (self.margin_change >= MIN_MARGIN_FRACTION * movement)

    @property
    def share_from_others(self) -> np.ndarray:
        """-d(competitors) / d(margin): the part of the margin gained by lowering the others (negative: they rose).

        NaN where `share_defined` is False: a margin that shrank or barely grew has no meaningful share.
        """
        defined = self.share_defined
        margin = np.where(defined, self.margin_change, 1.0)
        return np.where(defined, -self.competitor_change / margin, np.nan)


def margin_change(
    start: torch.Tensor | np.ndarray,
    end: torch.Tensor | np.ndarray,
    targets: torch.Tensor | np.ndarray | list[int],
    summary: str,
) -> MarginChange:
    """How S_c and the competitors (`summary`) moved from the `start` logits to the `end` logits, row by row."""
    s0, s1 = _as_logits("start", start), _as_logits("end", end)
    if s0.shape != s1.shape:
        raise ValueError(f"start and end must have the same shape (one row per image); got {s0.shape} and {s1.shape}.")
    t = _as_targets(targets, *s0.shape)
    rows = np.arange(len(t))
    return MarginChange(
        summary, s1[rows, t] - s0[rows, t], competitor_score(s1, t, summary) - competitor_score(s0, t, summary)
    )


def margin_decomposition(
    start: torch.Tensor | np.ndarray, end: torch.Tensor | np.ndarray, targets: torch.Tensor | np.ndarray | list[int]
) -> dict[str, MarginChange]:
    """`margin_change` for every summary in SUMMARIES (mean, log-sum-exp, runner-up)."""
    return {summary: margin_change(start, end, targets, summary) for summary in SUMMARIES}


def median_interval(values: np.ndarray | list[float], level: float = 0.95) -> tuple[float, float, float]:
    """(low, high, coverage): the order-statistic interval that covers the median with probability >= `level`.

    Distribution-free (only independent draws assumed): (x_(j), x_(n+1-j)) covers the median with probability
    1 - 2 P(Binomial(n, 1/2) < j). With n = 6 the widest, min to max, covers it with probability 62/64 = 97%.
    """
    x = np.sort(np.asarray(values, dtype=float).ravel())
    n = len(x)
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1; got {level!r}.")
    coverage = [1 - 2 * sum(math.comb(n, i) for i in range(j)) / 2**n for j in range(1, n // 2 + 1)]
    if not coverage or not np.isfinite(x).all() or coverage[0] < level:
        raise ValueError(
            f"An interval for the median at level {level:g} needs at least "
            f"{math.ceil(math.log2(2 / (1 - level)))} finite values; got {n}."
        )
    j = max(j for j, c in enumerate(coverage, start=1) if c >= level)
    return float(x[j - 1]), float(x[n - j]), float(coverage[j - 1])
