"""The stored COCO128 measurement of notebook 06's methods: pointing, mass / area and AUC, with intervals.

Written by `benchmarks/bench_method_pointing.py` (run by hand over photos the package does not ship) into
data/benchmarks/method_pointing.json; this module only reads it, so a notebook can set its few live photos
beside the larger measurement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..paths import DATA_DIR
from .proportions import sign_test

RESULT_FILE = DATA_DIR / "benchmarks" / "method_pointing.json"


@dataclass(frozen=True)
class MethodRow:
    """One row of the stored table: pointing hits / n (None for the uniform map's expected rate) and the means.

    Intervals are (low, high) at 95%: Wilson for the pointing rate, bootstrap over photos for the means; `wins`
    and `losses` are the photos where only this row or only the gradient hits (None for the gradient itself).
    """

    name: str
    n: int
    pointing: float
    pointing_ci: tuple[float, float]
    hits: int | None
    mass_over_area: float | None
    mass_ci: tuple[float, float] | None
    auc: float | None
    auc_ci: tuple[float, float] | None
    wins: int | None
    losses: int | None
    sign_test_p: float | None


def _mean(row: dict, metric: str) -> tuple[float | None, tuple[float, float] | None]:
    """(mean, (low, high)) of a metric of a stored row, or (None, None) where the row has none."""
    if metric not in row:
        return None, None
    low, high = row[metric]["ci95"]
    return float(row[metric]["mean"]), (float(low), float(high))


def _row(name: str, row: dict) -> MethodRow:
    """A MethodRow from one entry of the file's "rows"."""
    point = row["pointing"]
    if "hits" in point:
        rate, ci, hits = point["rate"], tuple(point["wilson95"]), int(point["hits"])
    else:
        rate, ci, hits = point["expected_rate"]["mean"], tuple(point["expected_rate"]["ci95"]), None
    vs = row.get("vs_gradient", {})
    mass, mass_ci = _mean(row, "mass_over_area")
    auc, auc_ci = _mean(row, "auc")
    return MethodRow(
        name, int(row["n"]), float(rate), (float(ci[0]), float(ci[1])), hits, mass, mass_ci, auc, auc_ci,
        vs.get("wins"), vs.get("losses"), vs.get("sign_test_p"),
    )  # fmt: skip


@lru_cache(maxsize=4)
def method_pointing(path: str | Path = RESULT_FILE) -> dict[str, MethodRow]:
    """The stored rows by name (every method of notebook 06's table and the no-network baselines)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No stored method measurement at {str(path)!r}; run `python benchmarks/bench_method_pointing.py "
            "../shared/photos/coco_val128` from a checkout to make it."
        )
    raw = json.loads(path.read_text())
    if not isinstance(raw, dict) or not isinstance(raw.get("rows"), dict) or not raw["rows"]:
        raise ValueError(f"{str(path)!r} is not a method-pointing result: expected a JSON object with a 'rows' table.")
    try:
        return {name: _row(name, row) for name, row in raw["rows"].items()}
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{str(path)!r}: a row lacks a field the reader needs ({err!r}).") from err


def method_pointing_table(path: str | Path = RESULT_FILE) -> str:
    """The stored rows as text: pointing hits / n [Wilson 95%], paired counts against the gradient, mass, AUC."""
    rows = method_pointing(path)
    n = next(iter(rows.values())).n
    lines = [
        f"stored: {n} COCO128 photos, EfficientNet-Lite0; [95% interval: Wilson for pointing, bootstrap for means]",
        f"{'':<22}{'pointing':>22}{'vs gradient':>18}{'mass / area':>20}{'AUC':>20}",
    ]
    for r in rows.values():
        point = f"{r.hits}/{r.n}" if r.hits is not None else f"{r.pointing:.0%} exp."
        point += f" [{r.pointing_ci[0]:.0%}-{r.pointing_ci[1]:.0%}]"
        vs = f"{r.wins}:{r.losses} p={r.sign_test_p:.2g}" if r.wins is not None else ""
        mass = f"{r.mass_over_area:.2f} [{r.mass_ci[0]:.2f}-{r.mass_ci[1]:.2f}]" if r.mass_ci else ""
        auc = f"{r.auc:.2f} [{r.auc_ci[0]:.2f}-{r.auc_ci[1]:.2f}]" if r.auc_ci else ""
        lines.append(f"{r.name:<22}{point:>22}{vs:>18}{mass:>20}{auc:>20}")
    return "\n".join(lines)


@lru_cache(maxsize=4)
def _photos(path: str | Path) -> tuple[dict, ...]:
    """The stored per-photo records (each row's hit, mass / area and AUC)."""
    raw = json.loads(Path(path).read_text())
    if not isinstance(raw.get("photos"), list) or not raw["photos"]:
        raise ValueError(f"{str(path)!r} holds no per-photo records ('photos'); re-run the benchmark that writes it.")
    return tuple(raw["photos"])


def pointing_sign_test(a: str, b: str, path: str | Path = RESULT_FILE) -> tuple[int, int, float]:
    """(wins, losses, p): photos where only row `a` or only row `b` hits, and the two-sided exact sign test's p."""
    photos = _photos(str(path))
    known = set(photos[0]["rows"])
    for name in (a, b):
        if name not in known or not isinstance(photos[0]["rows"][name]["hit"], bool):
            raise KeyError(
                f"{name!r} is not a stored row with pointing hits; rows with hits: {sorted(known - {'uniform map'})}."
            )
    pairs = [(p["rows"][a]["hit"], p["rows"][b]["hit"]) for p in photos]
    wins, losses = sum(x and not y for x, y in pairs), sum(y and not x for x, y in pairs)
    return wins, losses, sign_test(wins, losses)
