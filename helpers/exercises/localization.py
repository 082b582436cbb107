"""Checks and questions for notebook 05: students build the paper's localization step by step.

Seeds from saliency quantiles -> colour models fitted on the seeds -> graph cut -> box of the largest
connected component (Simonyan et al. 2013, Sect. 3.2). Each check runs the student's function on
small synthetic scenes (a coloured object on a textured background, a saliency map that is high on the
object's edge, as raw gradients are) and compares it with a reference built from OpenCV's GrabCut.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from .. import localization as loc
from . import CheckResult, call_student, failed, passed
from .quiz import MultipleChoice, NumericAnswer

# ----------------------------------------------------------------------------------------------
# Synthetic scenes


def _random_maps(seed: int = 0, n: int = 6) -> list[np.ndarray]:
    """Smooth random saliency-like maps of assorted shapes (continuous values, so no ties)."""
    rng = np.random.default_rng(seed)
    maps = []
    for _ in range(n):
        h, w = (int(v) for v in rng.integers(16, 70, size=2))
        m = cv2.GaussianBlur(rng.random((h, w)).astype(np.float64), (0, 0), 2.0) + 1e-6 * rng.random((h, w))
        maps.append(m * float(rng.uniform(0.1, 50)))
    return maps


def synthetic_scene(seed: int) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    """(image uint8 HxWx3, saliency HxW, true box): an ellipse of one colour on a two-tone textured background.

    A small patch of the object's colour in a corner gives the cut a second, smaller component.

    The saliency is high on the ellipse's outline and low in its flat interior, like a raw gradient map,
    with noise and a weaker stray blob in the background.
    """
    rng = np.random.default_rng(seed)
    h, w = 60, 80
    background = np.empty((h, w, 3), np.float64)
    left, right = rng.integers(40, 140, size=3), rng.integers(40, 140, size=3)
    background[:, : w // 2], background[:, w // 2 :] = left, right
    image = np.clip(background + rng.normal(0, 8, (h, w, 3)), 0, 255).astype(np.uint8)
    colour = tuple(int(v) for v in rng.choice([20, 200, 240], size=3))
    centre = (int(rng.integers(25, 55)), int(rng.integers(20, 40)))
    axes = (int(rng.integers(10, 18)), int(rng.integers(8, 14)))
    object_mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(object_mask, centre, axes, 0, 0, 360, 1, -1)
    image[object_mask.astype(bool)] = colour
    for x0, y0 in (
        (1, 1),
        (w - 7, 1),
        (1, h - 7),
        (w - 7, h - 7),
    ):  # a small patch of the object's colour: a stray component
        if not object_mask[y0 : y0 + 6, x0 : x0 + 6].any():
            image[y0 : y0 + 6, x0 : x0 + 6] = colour
            break
    outline = np.zeros((h, w), np.float32)
    cv2.ellipse(outline, centre, axes, 0, 0, 360, 1.0, 2)
    stray = np.zeros((h, w), np.float32)
    cv2.circle(stray, (int(rng.integers(5, 75)), int(rng.integers(5, 55))), 2, 0.4, -1)
    saliency = cv2.GaussianBlur(outline + stray, (0, 0), 1.0) + 0.05 * rng.random((h, w)).astype(np.float32)
    return image, saliency, loc.mask_box(object_mask.astype(bool))


def unseeded_colour_scene(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(image uint8 HxWx3, saliency HxW) whose unseeded pixels carry two colours that no seed has.

    A red object (high saliency: the foreground seeds) on a blue background (low: the background seeds),
    and two stripes of middling saliency, so they stay unseeded: an orange one (nearer the object's
    colour) and a slate one (nearer the background's). Colour models fitted on the seeds alone put the
    orange stripe in the object and the slate one in the background; models fitted on the whole image
    with the unseeded pixels marked probable background (or foreground) absorb a stripe and flip it.
    """
    rng = np.random.default_rng(100 + seed)
    h, w = 60, 80
    colours = {"background": (40, 40, 160), "object": (220, 50, 40), "orange": (210, 130, 60), "slate": (70, 100, 190)}
    image = np.empty((h, w, 3), np.float64)
    level = np.empty((h, w), np.float64)
    image[:], level[:] = colours["background"], 0.0
    for name, rows, value in (("orange", slice(0, 13), 0.5), ("slate", slice(h - 13, h), 0.5)):
        image[rows], level[rows] = colours[name], value
    object_mask = np.zeros((h, w), bool)
    top, left = int(rng.integers(18, 26)), int(rng.integers(10, 50))
    object_mask[top : top + 16, left : left + 22] = True
    image[object_mask], level[object_mask] = colours["object"], 1.0
    image = np.clip(image + rng.normal(0, 6, (h, w, 3)), 0, 255).astype(np.uint8)
    saliency = (level + 0.2 * rng.random((h, w))).astype(np.float32)
    return image, saliency


def whole_image_colour_models(
    image: np.ndarray, seeds: np.ndarray, unseeded: int = cv2.GC_PR_BGD
) -> tuple[np.ndarray, np.ndarray]:
    """The mistake the paper avoids: GMMs fitted on the whole image, unseeded pixels labelled `unseeded` (GC_PR_BGD or GC_PR_FGD)."""
    mask = np.full(seeds.shape, unseeded, np.uint8)
    mask[seeds == 1], mask[seeds == -1] = cv2.GC_FGD, cv2.GC_BGD
    bgd_model, fgd_model = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(np.ascontiguousarray(image), mask, None, bgd_model, fgd_model, 0, cv2.GC_INIT_WITH_MASK)
    return bgd_model, fgd_model


def seed_colour_models_reference(image: np.ndarray, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GrabCut's (background, foreground) 5-component GMMs fitted on the seed pixels only (the paper)."""
    fg, bg = image[seeds == 1], image[seeds == -1]
    pixels = np.ascontiguousarray(np.concatenate([fg, bg])[None])
    labels = np.concatenate([np.full(len(fg), cv2.GC_FGD, np.uint8), np.full(len(bg), cv2.GC_BGD, np.uint8)])[None]
    bgd_model, fgd_model = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(pixels, labels, None, bgd_model, fgd_model, 0, cv2.GC_INIT_WITH_MASK)
    return bgd_model, fgd_model


def frozen_cut_reference(
    image: np.ndarray, seeds: np.ndarray, bgd_model: np.ndarray, fgd_model: np.ndarray
) -> np.ndarray:
    """One graph cut with the colour models frozen; seeds are soft (GC_PR_*), so the cut may relabel them."""
    mask = np.where(seeds == 1, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    cv2.grabCut(
        np.ascontiguousarray(image), mask, None, bgd_model.copy(), fgd_model.copy(), 1, cv2.GC_EVAL_FREEZE_MODEL
    )
    return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)


def cut_and_box_reference(
    image: np.ndarray, seeds: np.ndarray, bgd_model: np.ndarray, fgd_model: np.ndarray
) -> tuple[int, int, int, int]:
    """The box (x0, y0, x1, y1; x1/y1 exclusive) of the largest 8-connected component of the frozen cut."""
    return loc.mask_box(loc.largest_component(frozen_cut_reference(image, seeds, bgd_model, fgd_model)))


# ----------------------------------------------------------------------------------------------
# Exercise 1: seeds


def _quantised_maps(seed: int = 1, n: int = 3) -> list[np.ndarray]:
    """Maps with few distinct values (like a uint8 map): many pixels sit exactly at a quantile."""
    return [np.round(m / m.max() * 20) / 20 for m in _random_maps(seed, n)]


def _seed_map(
    saliency: np.ndarray, fg_q: float, bg_q: float, *, strict_fg: bool = False, strict_bg: bool = False
) -> np.ndarray:
    """A seed map by thresholds at the two quantiles, with `>`/`<` instead of `>=`/`<=` where asked (the usual slip)."""
    q_fg, q_bg = np.quantile(saliency, [fg_q, bg_q])
    out = np.zeros(saliency.shape, np.int64)
    out[(saliency > q_fg) if strict_fg else (saliency >= q_fg)] = 1
    out[(saliency < q_bg) if strict_bg else (saliency <= q_bg)] = -1
    return out


AT_OR_ABOVE = (
    "pixels exactly at a quantile are seeds too: 'at or above' the foreground quantile means >=, "
    "'at or below' the background quantile means <= (this map has ties at the quantiles)."
)

# The usual mistakes of exercise 1: the seed map each produces, and what to say (one-sided slips first: on a map
# tied at one quantile only, both-sided gives the same map).
SEED_MISTAKES: dict[str, tuple[Callable[[np.ndarray, float, float], np.ndarray], str]] = {
    "strict foreground": (
        lambda s, f, b: _seed_map(s, f, b, strict_fg=True),
        "you use > for the foreground: " + AT_OR_ABOVE,
    ),
    "strict background": (
        lambda s, f, b: _seed_map(s, f, b, strict_bg=True),
        "you use < for the background: " + AT_OR_ABOVE,
    ),
    "strict": (lambda s, f, b: _seed_map(s, f, b, strict_fg=True, strict_bg=True), "you use > and <: " + AT_OR_ABOVE),
    "swapped": (
        lambda s, f, b: -_seed_map(s, f, b),
        "+1 and -1 are swapped: +1 marks the most salient pixels (foreground), -1 the least salient.",
    ),
    "percentile": (
        lambda s, f, b: _seed_map(s, f / 100, b / 100),
        "np.percentile takes percents (95), np.quantile fractions (0.95): use np.quantile(saliency, fg_quantile).",
    ),
    "top fraction": (
        lambda s, f, b: _seed_map(s, 1 - f, 1 - b),
        "the quantiles are counted from the bottom: fg_quantile = 0.95 means the top 5% (at or above np.quantile(saliency, 0.95)), "
        "bg_quantile = 0.30 the bottom 30%.",
    ),
}


def check_seeds(fn: Callable[[np.ndarray, float, float], np.ndarray]) -> CheckResult:
    """Exercise 1: `seeds(saliency, fg_quantile, bg_quantile)` -> int (H, W) map of +1 / -1 / 0, as in the paper.

    `saliency` is a float (H, W) array, the quantiles floats in [0, 1]; +1 at or above (>=) the foreground
    quantile, -1 at or below (<=) the background quantile. Maps with ties at the quantiles tell >= from >.
    """
    for i, m in enumerate(_random_maps() + _quantised_maps()):
        for fg_q, bg_q in ((0.95, 0.30), (0.8, 0.5)):
            out, verdict = call_student(fn, m.copy(), fg_q, bg_q, name="seeds")
            if verdict is not None:
                return verdict
            got = np.asarray(out)
            if got.shape != m.shape:
                return failed(f"map {i} has shape {m.shape}; your seed map has shape {got.shape}.")
            expected = loc.saliency_seeds(m, fg_q, bg_q).astype(np.int64)
            if np.array_equal(got.astype(np.int64), expected):
                continue
            for mistake, message in SEED_MISTAKES.values():
                if np.array_equal(got.astype(np.int64), mistake(m, fg_q, bg_q)):
                    return failed(message)
            wrong = int((got.astype(np.int64) != expected).sum())
            return failed(
                f"{wrong} of {m.size} pixels differ for quantiles ({fg_q}, {bg_q}); you mark {100 * float(np.mean(got == 1)):.1f}% as "
                f"foreground, expected {100 * float(np.mean(expected == 1)):.1f}%. +1 where saliency >= np.quantile(saliency, fg_quantile), "
                "-1 where <= np.quantile(saliency, bg_quantile), 0 elsewhere."
            )
    return passed("+1 at or above the foreground quantile, -1 at or below the background quantile, 0 elsewhere.")


# ----------------------------------------------------------------------------------------------
# Exercise 2: colour models fitted on the seeds


def _is_gmm(model: object) -> bool:
    return (
        isinstance(model, np.ndarray)
        and model.shape == (1, 65)
        and model.dtype == np.float64
        and np.isfinite(model).all()
    )


def _cut_agreement(
    image: np.ndarray, seeds: np.ndarray, models: tuple[np.ndarray, np.ndarray], expected: np.ndarray
) -> float:
    """The share of pixels that one frozen cut with `models` labels as `expected` does."""
    return float(np.mean(frozen_cut_reference(image, seeds, *models) == expected))


def _colour_model_scenes() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, image, seeds): the scenes with unseeded colours first (they tell seeds-only from whole-image models), then 4 ellipses."""
    scenes = []
    for seed in range(2):
        image, saliency = unseeded_colour_scene(seed)
        scenes.append((f"stripes {seed}", image, loc.saliency_seeds(saliency)))
    for seed in range(4):
        image, saliency, _ = synthetic_scene(seed)
        scenes.append((f"ellipse {seed}", image, loc.saliency_seeds(saliency)))
    return scenes


def _diagnose_colour_models(
    image: np.ndarray, seeds: np.ndarray, out: tuple[np.ndarray, np.ndarray], expected: np.ndarray
) -> str | None:
    """Name the mistake whose models give the student's cut: swapped models, or models fitted on the whole image."""
    got = frozen_cut_reference(image, seeds, *out)
    if _cut_agreement(image, seeds, (out[1], out[0]), expected) >= 0.98:
        return (
            "the two models are swapped: cv2.grabCut's arguments are (..., bgdModel, fgdModel, ...), background first."
        )
    for label, name in ((cv2.GC_PR_BGD, "probable background"), (cv2.GC_PR_FGD, "probable foreground")):
        if (
            float(np.mean(got == frozen_cut_reference(image, seeds, *whole_image_colour_models(image, seeds, label))))
            >= 0.98
        ):
            return (
                f"your models were fitted on the whole image, with the unseeded pixels counted as {name}: their colours, which "
                "no seed has, entered a model and flipped a region. Fit on the seed pixels alone: a 1xK image of the foreground "
                "then background seed colours, labelled GC_FGD / GC_BGD."
            )
    return None


def check_seed_colour_models(fn: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]) -> CheckResult:
    """Exercise 2: `seed_colour_models(image, seeds)` -> (bgd_model, fgd_model), GMMs fitted on the seed pixels only.

    `image` is uint8 (H, W, 3), `seeds` an int (H, W) map of +1 / -1 / 0; the models are float64 (1, 65) arrays.
    Judged by their effect: one frozen graph cut with the student's models must label the pixels as the cut
    with the reference models does (>= 98% agree on every scene). Two scenes have unseeded regions whose
    colours no seed has, so models fitted on the whole image (unseeded pixels as probable background or
    foreground) fail: that is what "unseeded pixels play no part" means.
    """
    for name, image, seeds in _colour_model_scenes():
        cv2.setRNGSeed(0)
        out, verdict = call_student(fn, image.copy(), seeds.copy(), name="seed_colour_models")
        if verdict is not None:
            return verdict
        if not (isinstance(out, tuple) and len(out) == 2 and all(_is_gmm(m) for m in out)):
            return failed(
                "return the pair (bgd_model, fgd_model): two float64 arrays of shape (1, 65), as cv2.grabCut fills them."
            )
        expected = frozen_cut_reference(image, seeds, *seed_colour_models_reference(image, seeds))
        agree = _cut_agreement(image, seeds, out, expected)
        if agree < 0.98:
            diagnosis = _diagnose_colour_models(image, seeds, out, expected)
            if diagnosis is not None:
                return failed(diagnosis)
            return failed(
                f"with your models the cut agrees with the reference on only {agree:.0%} of the pixels of scene '{name}'. Fit the models on "
                "the seed pixels alone: a 1xK image of the foreground then background seed colours, labelled GC_FGD / GC_BGD, "
                "cv2.grabCut(..., iterCount=0, mode=cv2.GC_INIT_WITH_MASK)."
            )
    return passed(
        "two 5-component colour GMMs estimated from the seeds only, as the paper says; unseeded pixels play no part."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 3: the cut and the box of its largest component


def check_cut_and_box(fn: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], tuple]) -> CheckResult:
    """Exercise 3: `cut_and_box(image, seeds, bgd_model, fgd_model)` -> the box of the largest component of one frozen cut.

    `image` is uint8 (H, W, 3), `seeds` an int (H, W) map of +1 / -1 / 0, the models float64 (1, 65) arrays;
    the box is (x0, y0, x1, y1) ints, x1 / y1 exclusive.
    """
    for seed in range(6):
        image, saliency, _ = synthetic_scene(seed)
        seeds = loc.saliency_seeds(saliency)
        models = seed_colour_models_reference(image, seeds)
        out, verdict = call_student(
            fn, image.copy(), seeds.copy(), models[0].copy(), models[1].copy(), name="cut_and_box"
        )
        if verdict is not None:
            return verdict
        try:
            got = tuple(int(v) for v in out)  # type: ignore[union-attr]
        except (TypeError, ValueError):
            return failed(f"return a box (x0, y0, x1, y1); got {type(out).__name__}.")
        expected = cut_and_box_reference(image, seeds, *models)
        if got != expected:
            segmentation = frozen_cut_reference(image, seeds, *models)
            if segmentation.any() and got == loc.mask_box(segmentation):
                return failed(f"{got} boxes every foreground pixel; keep only the largest 8-connected component.")
            return failed(
                f"on scene {seed} you return {got}; expected {expected} (x1/y1 exclusive). Soft seeds (GC_PR_FGD / GC_PR_BGD), "
                "one iteration with mode=cv2.GC_EVAL_FREEZE_MODEL, foreground = GC_FGD or GC_PR_FGD, then the largest component."
            )
    return passed("one graph cut with the seed-fitted colour models, then the box of its largest connected component.")


# ----------------------------------------------------------------------------------------------
# Check your understanding

Q1 = MultipleChoice(
    "Raw-gradient saliency is high on an object's edges and low in its flat interior. The paper uses the seeds to "
    "estimate the colour models and gives no reason for not also fixing them as labels of the cut. What is a good "
    "reason to use them only for the colour models?",
    [
        "fixed labels would be faster to compute",
        "the 30% background seeds include object-interior pixels and the 95% seeds straddle the edge: fixed, they would "
        "punch holes in the object and pull background in; as colour statistics they only need to include the object's colour",
        "GraphCut cannot take fixed labels",
    ],
    "b",
    "The seeds are noisy labels: in section 2 fewer than half of the foreground seeds lie on the object, in the "
    "successes as in the failures. Fitted as colour models they only need to include the object's colour; the cut "
    "then labels every pixel by colour and smoothness. The optional section 'Which mapping onto GrabCut? Measured' "
    "measures what fixing them costs on the toy world: fixed foreground seeds alone ruin the cut. The paper itself "
    "does not discuss it.",
    why_wrong={
        "a": "Speed is not the reason: a cut with fixed labels costs the same as one without; the question is what the seeds are worth as labels.",
        "c": "GraphCut takes fixed labels (Boykov & Jolly's hard constraints; GC_FGD / GC_BGD in OpenCV); the paper simply does not use them.",
    },
)

Q2 = NumericAnswer(
    "A predicted box is (10, 10, 50, 50) and the true box (30, 10, 70, 50) (x1, y1 exclusive). What is their IoU "
    '(a fraction between 0 and 1, e.g. 0.25 or "1/4")? Does it count as a correct localization under the ILSVRC rule?',
    1 / 3,
    0.01,
    "Intersection 20 x 40 = 800, union 1600 + 1600 - 800 = 2400, IoU = 1/3 < 0.5: wrong, although the box covers "
    "half of the object. The 0.5 threshold asks for a box that is both in the right place and about the right size.",
    mistakes=[
        (
            0.5,
            "that is the share of the true box that the prediction covers (800 / 1600); IoU divides by the union, 2400.",
        ),
        (800.0, "that is the intersection's area in pixels; IoU divides it by the area of the union."),
        (2400.0, "that is the union's area in pixels; IoU is the intersection divided by it."),
    ],
)

Q3 = MultipleChoice(
    "The paper's 46.4% top-5 localization error is on the ILSVRC-2013 test set. What does 'top-5' mean here?",
    [
        "the image counts as right when one of the model's 5 guessed classes is a true class AND its box has IoU >= 0.5 with a true box",
        "the 5 best boxes of one class are scored and the best one counts",
        "the error is averaged over the 5 highest-scoring images of each class",
    ],
    "a",
    "Each of the 5 guessed classes gets its own saliency map and box; one correct (class, box) pair suffices. A box "
    "for a wrong class is wrong whatever its position, so the error mixes classification and localization.",
    why_wrong={
        "b": "The 5 are the model's 5 guessed classes, one box each; boxes of one class are not ranked.",
        "c": "Top-5 is decided per image (is one of its 5 guesses right, with a good box?), not averaged over chosen images.",
    },
)

QUIZ = (Q1, Q2, Q3)
