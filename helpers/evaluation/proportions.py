"""A count out of n with its uncertainty: the Wilson interval of a proportion, the exact sign test of paired wins."""

from __future__ import annotations

import math
from fractions import Fraction
from statistics import NormalDist


def wilson_interval(hits: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """(low, high): the Wilson score interval of hits / n, which stays inside [0, 1] and works at 0 and n hits.

    Wilson (1927): the proportions p whose normal test against hits / n does not reject at `level`. Unlike
    p +- z sqrt(p(1-p)/n) it never has zero width at 0 or n hits, and it covers near its level for small n.
    """
    if isinstance(hits, bool) or isinstance(n, bool) or int(hits) != hits or int(n) != n:
        raise TypeError(f"wilson_interval needs whole counts (hits, n); got hits={hits!r}, n={n!r}.")
    if n < 1 or not 0 <= hits <= n:
        raise ValueError(f"wilson_interval needs n >= 1 and 0 <= hits <= n; got hits={hits}, n={n}.")
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1; got {level!r}.")
    z2 = NormalDist().inv_cdf(0.5 + level / 2) ** 2
    p = hits / n
    centre = p + z2 / (2 * n)
    spread = math.sqrt(z2 * (p * (1 - p) + z2 / (4 * n)) / n)
    scale = 1 + z2 / n
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test: the chance of a split of the discordant pairs at least this uneven under a fair coin."""
    if (
        isinstance(wins, bool)
        or isinstance(losses, bool)
        or int(wins) != wins
        or int(losses) != losses
        or min(wins, losses) < 0
    ):
        raise ValueError(f"sign_test needs whole, non-negative counts; got wins={wins!r}, losses={losses!r}.")
    n = int(wins) + int(losses)
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(int(min(wins, losses)) + 1))
    return min(1.0, float(Fraction(2 * tail, 2**n)))  # exact integers: 2.0**n overflows a float beyond n = 1023
