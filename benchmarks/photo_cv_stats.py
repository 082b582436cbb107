"""The statistics of issue 33's protocol (benchmarks/photo_protocol.md, "Round three"): folds, choices on the training
folds, pooled held-out scores, and the pointing game on all pairs. Pure functions of the raw results in out/i33/."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from helpers.evaluation.boxes import iou as box_iou
from helpers.evaluation.proportions import sign_test, wilson_interval

K = 4
SEED = 33
FRACTIONS = tuple(round(0.10 + 0.05 * i, 2) for i in range(11))  # 0.10 ... 0.60
MASSES = (0.5, 0.6, 0.7, 0.8, 0.9)
FUSION_WEIGHTS = (0.25, 0.5, 0.75)
SIDES = tuple(round(0.3 + 0.1 * i, 1) for i in range(8))  # centred box: 0.3 ... 1.0 of each side
SMALL_MASK = 0.10  # pointing: "small" = the category's mask covers < 10% of the frame
SIZE_BANDS = (0.02, 0.10)  # pointing: mask share bands < 2%, 2-10%, >= 10% (where a lead over the centre sits)
TOP_K = 5  # pointing: "recognised" = the explained class is in the model's whole-image top 5
TOO_BIG, TOO_SMALL = 2.0, 0.5  # box area / true box area
IOU_LEVELS = (0.3, 0.5, 0.7)  # MaxBoxAccV2 (Choe et al. 2020): box accuracy averaged over these IoU thresholds
# cv_select's candidates (the protocol's amendment): the given classifier, at most 4 passes; the others are rows only
SELECTABLE = ("gradcam", "gradcam16", "gradcam_layers", "gradcam_tta", "camcut448")
OLD = ("gradcam", "frac 0.2")  # localize_photo before issue 33
CAMCUT_CUTS = ("default", "paper")  # camcut448's settings: localize's DEFAULT GraphCut, the paper's cut (448 px)
FIXED = {"localize_photo_before": OLD, "paper_full": ("paper_full", ""), "full": ("full", "")}
# the cached maps a family's cost adds up (default: the map of its own name); its cut / search time is in cut_s
FAMILY_MAPS = {
    "fusion": ["gradcam", "smoothgrad"],
    "camcut448": ["gradcam"],
    "centred": [],
    "full": [],
    "paper_full": ["ten_crop"],
    "box_search": ["gradcam"],
    "box_search_oracle": ["gradcam"],
    "box_search320": ["gradcam320"],
    "box_search320_oracle": ["gradcam320"],
    "box_delete": ["gradcam"],
}


def folds(ids: Sequence[int], small: Sequence[bool], k: int = K, seed: int = SEED) -> dict[int, int]:
    """photo id -> fold: small then large stratum, each sorted by id and shuffled with Random(seed), dealt in turn."""
    rng, out, turn = random.Random(seed), {}, 0
    for stratum in (True, False):
        members = sorted(i for i, s in zip(ids, small) if s == stratum)
        rng.shuffle(members)
        for i in members:
            out[i], turn = turn % k, turn + 1
    return out


def wilson(k: int, n: int) -> list[float]:
    return [round(v, 4) for v in wilson_interval(k, n)] if n else [float("nan"), float("nan")]


def proportion(hits: Sequence[bool]) -> dict:
    k, n = int(sum(hits)), len(hits)
    return {"hits": k, "n": n, "rate": round(k / n, 4) if n else None, "wilson95": wilson(k, n)}


def paired(a: Sequence[bool], b: Sequence[bool]) -> dict:
    """Wins of a (a hits, b misses), losses, and the two-sided exact sign test."""
    wins = sum(x and not y for x, y in zip(a, b))
    losses = sum(y and not x for x, y in zip(a, b))
    return {"wins": int(wins), "losses": int(losses), "sign_test_p": round(sign_test(wins, losses), 4)}


# ----------------------------------------------------------------------------------------------
# Localization


def scores(photos: list[dict], family: str, setting: str) -> tuple[np.ndarray, np.ndarray]:
    """(IoU, box area / true box area) of one (family, setting) on every photo."""
    ious, ratios = [], []
    for p in photos:
        box, truth = p["boxes"][family][setting], p["box"]
        ious.append(box_iou(tuple(box), tuple(truth)))
        ratios.append((box[2] - box[0]) * (box[3] - box[1]) / ((truth[2] - truth[0]) * (truth[3] - truth[1])))
    return np.array(ious), np.array(ratios)


def levels_passed(ious: np.ndarray) -> np.ndarray:
    """Per photo, how many of the MaxBoxAccV2 IoU thresholds (0.3, 0.5, 0.7) its box reaches (0 to 3)."""
    return sum((np.asarray(ious) >= t).astype(int) for t in IOU_LEVELS)


def credit(ious: np.ndarray, criterion: str) -> np.ndarray:
    """Per-photo credit under a selection criterion: 'iou50' = hit at IoU 0.5, 'v2' = MaxBoxAccV2 levels passed."""
    if criterion == "iou50":
        return (np.asarray(ious) >= 0.5).astype(int)
    if criterion == "v2":
        return levels_passed(ious)
    raise ValueError(f"criterion must be 'iou50' or 'v2'; got {criterion!r}.")


def best_setting(
    table: dict[str, tuple[np.ndarray, np.ndarray]], names: Sequence[str], rows: np.ndarray, criterion: str = "iou50"
) -> str:
    """The setting with the most credit on `rows`; ties: higher mean IoU, then the earlier in `names`."""

    def key(s: str) -> tuple:
        return (-int(credit(table[s][0], criterion)[rows].sum()), -float(table[s][0][rows].mean()), names.index(s))

    return min(names, key=key)


def family_cost(photos: list[dict], family: str, setting: str = "") -> float:
    """Median seconds per photo of a family's maps (+ its cut: `cut_s[family_setting]` if timed, else
    `cut_s[family]`), from the caching run (1 thread)."""
    maps = FAMILY_MAPS.get(family, [family])
    cut = lambda p: p["cut_s"].get(f"{family}_{setting}", p["cut_s"].get(family, 0.0))  # noqa: E731
    return float(np.median([sum(p["map_s"][m] for m in maps) + cut(p) for p in photos]))


def maxboxacc_v2(ious: np.ndarray, small: np.ndarray, refs: dict[str, np.ndarray]) -> dict:
    """MaxBoxAccV2 over all, small and large photos (levels passed / 3n), and photo-level paired tests on levels."""
    levels = levels_passed(ious)

    def part(sel: np.ndarray) -> dict:
        n = int(sel.sum())
        return {
            "levels": int(levels[sel].sum()),
            "of": 3 * n,
            "n": n,
            "score": round(float(levels[sel].sum()) / max(3 * n, 1), 4),
            "bootstrap95": bootstrap_mean(levels[sel] / 3),
        }

    return {
        "thresholds": list(IOU_LEVELS),
        "all": part(np.ones(len(levels), bool)),
        "small": part(small),
        "large": part(~small),
        "paired": {name: paired_levels(levels, levels_passed(ref)) for name, ref in refs.items()},
    }


def bootstrap_mean(values: np.ndarray, draws: int = 2000, seed: int = SEED) -> list[float]:
    """95% percentile bootstrap interval of a mean over photos (photos resampled; a fixed seed, so it reproduces)."""
    values = np.asarray(values, float)
    if values.size == 0:
        return [float("nan"), float("nan")]
    means = np.random.default_rng(seed).choice(values, (draws, values.size)).mean(axis=1)
    return [round(float(q), 4) for q in np.quantile(means, [0.025, 0.975])]


def paired_levels(a: np.ndarray, b: np.ndarray) -> dict:
    """Photos where `a` passes more / fewer IoU levels than `b`, with the two-sided sign test."""
    wins, losses = int((a > b).sum()), int((a < b).sum())
    return {"wins": wins, "losses": losses, "sign_test_p": round(sign_test(wins, losses), 4)}


def row_stats(photos: list[dict], ious: np.ndarray, ratios: np.ndarray, refs: dict[str, np.ndarray]) -> dict:
    small = np.array([p["small"] for p in photos])
    hit = ious >= 0.5
    return {
        "all": proportion(hit.tolist()),
        "small": proportion(hit[small].tolist()),
        "large": proportion(hit[~small].tolist()),
        "mean_iou": round(float(ious.mean()), 4),
        "area_ratio": {
            "median": round(float(np.median(ratios)), 3),
            "too_big": round(float(np.mean(ratios > TOO_BIG)), 4),
            "too_small": round(float(np.mean(ratios < TOO_SMALL)), 4),
        },
        "paired": {name: paired(hit.tolist(), (ref >= 0.5).tolist()) for name, ref in refs.items()},
        "paired_by_size": {
            part: {name: paired(hit[sel].tolist(), (ref[sel] >= 0.5).tolist()) for name, ref in refs.items()}
            for part, sel in (("small", small), ("large", ~small))
        },
        "maxboxacc_v2": maxboxacc_v2(ious, small, refs),
    }


def cross_validate(
    raw: dict,
    families: dict[str, list[tuple[str, dict]]],
    selectable: Sequence[str] = SELECTABLE,
    protocol: str = "benchmarks/photo_protocol.md (Round three)",
) -> dict:
    """The protocol's k-fold run: per family and for cv_select (among `selectable`), settings chosen on k - 1 folds,
    held-out fold scored."""
    photos = raw["photos"]
    ids = [p["id"] for p in photos]
    fold_of = folds(ids, [p["small"] for p in photos])
    fold = np.array([fold_of[i] for i in ids])
    names = {f: [s for s, _ in settings] for f, settings in families.items()}
    names["camcut448"] = list(CAMCUT_CUTS)
    names["centred"] = [f"s={s}" for s in SIDES]
    table = {f: {s: scores(photos, f, s) for s in ns} for f, ns in names.items()}
    fixed = {key: scores(photos, f, s) for key, (f, s) in FIXED.items()}
    refs = {"localize_photo_before": fixed["localize_photo_before"][0], "paper_full": fixed["paper_full"][0]}
    everything = np.ones(len(photos), bool)
    cost = {f: family_cost(photos, f, best_setting(table[f], names[f], everything)) for f in names}
    cost["paper_full"] = family_cost(photos, "paper_full")
    candidates = [f for f in names if f in selectable]

    def choose(rows: np.ndarray, criterion: str = "iou50") -> tuple[dict[str, str], str]:
        per_family = {f: best_setting(table[f], names[f], rows, criterion) for f in names}

        def rank(f: str) -> tuple:
            i, _ = table[f][per_family[f]]
            return (-int(credit(i, criterion)[rows].sum()), -float(i[rows].mean()), cost[f])

        return per_family, min(candidates, key=rank)

    selectors = {"cv_select": "iou50", "cv_select_v2": "v2"}
    held = {f: (np.zeros(len(photos)), np.zeros(len(photos))) for f in [*names, *selectors]}
    chosen: dict[str, list] = {f: [] for f in held}
    for k in range(K):
        train, test = fold != k, fold == k
        per_family, _ = choose(train)
        for f in names:
            held[f][0][test], held[f][1][test] = (v[test] for v in table[f][per_family[f]])
            chosen[f].append(per_family[f])
        for selector, criterion in selectors.items():
            per_family, best = choose(train, criterion)
            held[selector][0][test], held[selector][1][test] = (v[test] for v in table[best][per_family[best]])
            chosen[selector].append(f"{best} {per_family[best]}".strip())
    on_all = {sel: choose(np.ones(len(photos), bool), c) for sel, c in selectors.items()}
    final_family, _ = on_all["cv_select"]
    rows = {key: {**row_stats(photos, *fixed[key], refs), "cost_s": cost.get(FIXED[key][0], 0.0)} for key in FIXED}
    for f in held:
        rows[f"cv:{f}"] = {
            **row_stats(photos, *held[f], refs),
            "chosen_per_fold": chosen[f],
            "on_all_44": _on_all(on_all[f]) if f in selectors else final_family[f],
            "cost_s": round(cost.get(f, cost.get(on_all[f][1] if f in selectors else f, 0.0)), 3),
        }
    return {
        "protocol": protocol,
        "selectable": candidates,
        "k": K,
        "seed": SEED,
        "n": len(photos),
        "n_small": int(sum(p["small"] for p in photos)),
        "date": raw["date"],
        "threads": raw["threads"],
        "load_average": raw["load_average"],
        "folds": {str(i): fold_of[i] for i in ids},
        "rows": rows,
        "adopt": rows["cv:cv_select"]["paired"]["localize_photo_before"]["wins"]
        > rows["cv:cv_select"]["paired"]["localize_photo_before"]["losses"],
        "chosen_on_all_44": rows["cv:cv_select"]["on_all_44"],
        "selection_criteria": {
            "cv:cv_select": "hits at IoU 0.5",
            "cv:cv_select_v2": "MaxBoxAccV2: IoU levels 0.3, 0.5 and 0.7 passed",
        },
    }


def _on_all(choice: tuple[dict[str, str], str]) -> str:
    """'family setting' of a choice made on all photos."""
    per_family, best = choice
    return f"{best} {per_family[best]}".strip()


def cv_table(cv: dict) -> str:
    lines = [
        f"{cv['k']}-fold, {cv['n']} photos ({cv['n_small']} small); held-out hits [95% Wilson]; V2 = MaxBoxAccV2",
        "| row | small | all | large | V2 all / small | mIoU | area ratio med / >2 / <0.5 | vs before W/L p | V2 vs before W/L p | vs paper W/L p | s | chosen per fold |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, r in cv["rows"].items():
        cells = [
            f"{r[s]['hits']}/{r[s]['n']} [{r[s]['wilson95'][0]:.0%}-{r[s]['wilson95'][1]:.0%}]"
            for s in ("small", "all", "large")
        ]
        a, v2 = r["area_ratio"], r["maxboxacc_v2"]
        pb, pp, vb = (
            r["paired"]["localize_photo_before"],
            r["paired"]["paper_full"],
            v2["paired"]["localize_photo_before"],
        )
        lines.append(
            f"| {key} | {' | '.join(cells)} | {v2['all']['levels']}/{v2['all']['of']} / {v2['small']['levels']}/{v2['small']['of']} | "
            f"{r['mean_iou']:.2f} | {a['median']:.2f} / {a['too_big']:.0%} / {a['too_small']:.0%} | "
            f"{pb['wins']}/{pb['losses']} {pb['sign_test_p']:.2g} | {vb['wins']}/{vb['losses']} {vb['sign_test_p']:.2g} | "
            f"{pp['wins']}/{pp['losses']} {pp['sign_test_p']:.2g} | "
            f"{r['cost_s']:.2f} | {', '.join(r.get('chosen_per_fold', []))} |"
        )
    lines.append(f"cv_select on all 44: {cv['chosen_on_all_44']}; adopt: {cv['adopt']}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Pointing game on all pairs


def pointing_summary(
    raw: dict, maps: dict[str, str], gradient_maps: Sequence[str], chosen_ids: Sequence[int] = ()
) -> dict:
    """Hit rates at 15 and 0 px by size, paired tests, and the cross-validated choice of the recommended map."""
    pairs = raw["pairs"]
    small = np.array([p["mask_fraction"] < SMALL_MASK for p in pairs])
    keys = [*maps, "centre"]
    rows = {}
    for key in keys:
        rows[key] = {"label": maps.get(key, "centre point (baseline)")}
        for tol, suffix in (("15px", ""), ("0px", "_0px")):
            hit = np.array([p[f"{key}{suffix}"] for p in pairs])
            rows[key][tol] = {
                "all": proportion(hit.tolist()),
                "small": proportion(hit[small].tolist()),
                "large": proportion(hit[~small].tolist()),
            }
        if key != "centre":
            rows[key]["median_s_per_map"] = round(float(np.median([p[f"{key}_s"] for p in pairs])), 3)

    def col(key: str, suffix: str = "", sel: np.ndarray | None = None) -> list[bool]:
        return [p[f"{key}{suffix}"] for p, s in zip(pairs, np.ones(len(pairs), bool) if sel is None else sel) if s]

    share = np.array([p["mask_fraction"] for p in pairs])
    lo, hi = SIZE_BANDS
    bands = {f"< {lo:.0%}": share < lo, f"{lo:.0%}-{hi:.0%}": (share >= lo) & (share < hi), f">= {hi:.0%}": share >= hi}
    tests = {}
    comparisons = [("ten_crop", "centre"), ("ten_crop", "single"), *((m, "centre") for m in maps if m != "ten_crop")]
    if {"gradcam_tta", "smoothgrad"} <= set(maps):
        comparisons.append(("gradcam_tta", "smoothgrad"))  # the 4-pass CAM against the 8-pass recommended map
    for a, b in comparisons:
        tests[f"{a} vs {b}"] = {
            tol: {
                part: paired(col(a, suffix, sel), col(b, suffix, sel))
                for part, sel in (("all", None), ("small", small), ("large", ~small), *bands.items())
            }
            for tol, suffix in (("15px", ""), ("0px", "_0px"))
        }
    in_chosen = np.array([p["id"] in set(chosen_ids) for p in pairs])
    if chosen_ids:
        tests["ten_crop vs centre, pairs of the 44 chosen photos / the others"] = {
            "chosen": paired(col("ten_crop", "", in_chosen), col("centre", "", in_chosen)),
            "others": paired(col("ten_crop", "", ~in_chosen), col("centre", "", ~in_chosen)),
        }
    return {
        "date": raw["date"],
        "model": raw["model"],
        "by_recognition": by_recognition(pairs, keys),
        "n_pairs": len(pairs),
        "n_photos": len({p["id"] for p in pairs}),
        "n_small": int(small.sum()),
        "small": f"the category's mask < {SMALL_MASK:.0%} of the frame",
        "zero_px": "the map's maximum inside the category's mask",
        "maps": rows,
        "paired": tests,
        "recommended_map": recommend_map(pairs, maps, gradient_maps, rows),
    }


def by_recognition(pairs: list[dict], keys: Sequence[str]) -> dict | None:
    """Hits (15 / 0 px) and paired tests against the centre, split by whether the explained class is in the model's
    whole-image top 5 (`target_rank` < TOP_K): a map cannot point at an object the model does not see. None when the
    pairs carry no rank."""
    if not all("target_rank" in p for p in pairs):
        return None
    seen = np.array([p["target_rank"] < TOP_K for p in pairs])
    out: dict = {"rule": f"the explained class in the model's whole-image top {TOP_K}"}
    for part, sel in (("in_top5", seen), ("not_in_top5", ~seen)):
        out[part] = {"n": int(sel.sum())}
        for tol, suffix in (("15px", ""), ("0px", "_0px")):
            centre = [p[f"centre{suffix}"] for p, s in zip(pairs, sel) if s]
            out[part][tol] = {}
            for key in keys:
                hit = [p[f"{key}{suffix}"] for p, s in zip(pairs, sel) if s]
                out[part][tol][key] = {
                    **proportion(hit),
                    **({} if key == "centre" else {"vs_centre": paired(hit, centre)}),
                }
    return out


def recommend_map(pairs: list[dict], maps: dict[str, str], gradient_maps: Sequence[str], rows: dict) -> dict:
    """The protocol's choice of `photo_saliency`: k folds over photos, gradient maps first, then every map."""
    ids = sorted({p["id"] for p in pairs})
    rng = random.Random(SEED)
    shuffled = ids[:]
    rng.shuffle(shuffled)
    fold_of = {i: n % K for n, i in enumerate(shuffled)}
    fold = np.array([fold_of[p["id"]] for p in pairs])
    hit = {m: np.array([p[m] for p in pairs]) for m in maps}
    hit0 = {m: np.array([p[f"{m}_0px"] for p in pairs]) for m in maps}
    cost = {m: rows[m]["median_s_per_map"] for m in maps}

    def procedure(candidates: Sequence[str]) -> dict:
        held15, held0, chosen = np.zeros(len(pairs), bool), np.zeros(len(pairs), bool), []

        def pick(sel: np.ndarray) -> str:
            return min(candidates, key=lambda m: (-int(hit[m][sel].sum()), -int(hit0[m][sel].sum()), cost[m]))

        for k in range(K):
            m = pick(fold != k)
            held15[fold == k], held0[fold == k] = hit[m][fold == k], hit0[m][fold == k]
            chosen.append(m)
        centre15 = [p["centre"] for p in pairs]
        centre0 = [p["centre_0px"] for p in pairs]
        out = {
            "candidates": list(candidates),
            "chosen_per_fold": chosen,
            "on_all_folds": pick(np.ones(len(pairs), bool)),
            "held_out_15px": proportion(held15.tolist()),
            "held_out_0px": proportion(held0.tolist()),
            "vs_centre_15px": paired(held15.tolist(), centre15),
            "vs_centre_0px": paired(held0.tolist(), centre0),
        }
        out["beats_centre"] = all(
            out[f"vs_centre_{t}"]["wins"] > out[f"vs_centre_{t}"]["losses"] for t in ("15px", "0px")
        )
        return out

    gradient = procedure(gradient_maps)
    result = {"folds_over": "photos", "k": K, "seed": SEED, "gradient_maps": gradient}
    if gradient["beats_centre"]:
        result["recommended"] = gradient["on_all_folds"]
    else:
        every = procedure(list(maps))
        result["all_maps"] = every
        result["recommended"] = every["on_all_folds"] if every["beats_centre"] else None
    return result


def pointing_table(s: dict) -> str:
    lines = [f"pointing game: {s['n_pairs']} pairs of {s['n_photos']} photos ({s['n_small']} small), {s['model']}"]
    for r in s["maps"].values():
        cells = []
        for tol in ("15px", "0px"):
            for part in ("all", "small", "large"):
                v = r[tol][part]
                cells.append(f"{tol} {part} {v['hits']}/{v['n']} [{v['wilson95'][0]:.0%}-{v['wilson95'][1]:.0%}]")
        lines.append(f"  {r['label']:<36} " + "; ".join(cells))
    for name, t in s["paired"].items():
        lines.append(f"  {name}: {t}")
    lines.append(f"  recommended map: {s['recommended_map']}")
    return "\n".join(lines)
