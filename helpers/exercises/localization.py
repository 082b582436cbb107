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
    for x0, y0 in ((1, 1), (w - 7, 1), (1, h - 7), (w - 7, h - 7)):  # a small patch of the object's colour: a stray component
        if not object_mask[y0 : y0 + 6, x0 : x0 + 6].any():
            image[y0 : y0 + 6, x0 : x0 + 6] = colour
            break
    outline = np.zeros((h, w), np.float32)
    cv2.ellipse(outline, centre, axes, 0, 0, 360, 1.0, 2)
    stray = np.zeros((h, w), np.float32)
    cv2.circle(stray, (int(rng.integers(5, 75)), int(rng.integers(5, 55))), 2, 0.4, -1)
    saliency = cv2.GaussianBlur(outline + stray, (0, 0), 1.0) + 0.05 * rng.random((h, w)).astype(np.float32)
    return image, saliency, loc.mask_box(object_mask.astype(bool))


def seed_colour_models_reference(image: np.ndarray, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GrabCut's (background, foreground) 5-component GMMs fitted on the seed pixels only (the paper)."""
    fg, bg = image[seeds == 1], image[seeds == -1]
    pixels = np.ascontiguousarray(np.concatenate([fg, bg])[None])
    labels = np.concatenate([np.full(len(fg), cv2.GC_FGD, np.uint8), np.full(len(bg), cv2.GC_BGD, np.uint8)])[None]
    bgd_model, fgd_model = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(pixels, labels, None, bgd_model, fgd_model, 0, cv2.GC_INIT_WITH_MASK)
    return bgd_model, fgd_model


def frozen_cut_reference(image: np.ndarray, seeds: np.ndarray, bgd_model: np.ndarray, fgd_model: np.ndarray) -> np.ndarray:
    """One graph cut with the colour models frozen; seeds are soft (GC_PR_*), so the cut may relabel them."""
    mask = np.where(seeds == 1, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    cv2.grabCut(np.ascontiguousarray(image), mask, None, bgd_model.copy(), fgd_model.copy(), 1, cv2.GC_EVAL_FREEZE_MODEL)
    return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)


def cut_and_box_reference(image: np.ndarray, seeds: np.ndarray, bgd_model: np.ndarray, fgd_model: np.ndarray) -> tuple[int, int, int, int]:
    """The box (x0, y0, x1, y1; x1/y1 exclusive) of the largest 8-connected component of the frozen cut."""
    return loc.mask_box(loc.largest_component(frozen_cut_reference(image, seeds, bgd_model, fgd_model)))


# ----------------------------------------------------------------------------------------------
# Exercise 1: seeds


def check_seeds(fn: Callable[[np.ndarray, float, float], np.ndarray]) -> CheckResult:
    """Exercise 1: seeds(saliency, fg_quantile, bg_quantile) -> int map of +1 / -1 / 0, as in the paper."""
    for i, m in enumerate(_random_maps()):
        for fg_q, bg_q in ((0.95, 0.30), (0.8, 0.5)):
            out, verdict = call_student(fn, m.copy(), fg_q, bg_q, name="seeds")
            if verdict is not None:
                return verdict
            got = np.asarray(out)
            if got.shape != m.shape:
                return failed(f"map {i} has shape {m.shape}; your seed map has shape {got.shape}.")
            expected = loc.saliency_seeds(m, fg_q, bg_q)
            if not np.array_equal(got.astype(np.int64), expected.astype(np.int64)):
                wrong = int((got.astype(np.int64) != expected).sum())
                share_fg = float(np.mean(got == 1))
                return failed(
                    f"{wrong} of {m.size} pixels differ for quantiles ({fg_q}, {bg_q}); you mark {100 * share_fg:.1f}% "
                    f"as foreground, expected {100 * (1 - fg_q):.0f}%. Use np.quantile(saliency, q)."
                )
    return passed("+1 at or above the foreground quantile, -1 at or below the background quantile, 0 elsewhere.")


# ----------------------------------------------------------------------------------------------
# Exercise 2: colour models fitted on the seeds


def _is_gmm(model: object) -> bool:
    return isinstance(model, np.ndarray) and model.shape == (1, 65) and model.dtype == np.float64 and np.isfinite(model).all()


def check_seed_colour_models(fn: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]) -> CheckResult:
    """Exercise 2: seed_colour_models(image, seeds) -> (bgd_model, fgd_model), GMMs fitted on the seed pixels only.

    Judged by their effect: one frozen graph cut with the student's models must label the pixels as
    the cut with the reference models does (>= 98% of pixels agree on every scene).
    """
    for seed in range(4):
        image, saliency, _ = synthetic_scene(seed)
        seeds = loc.saliency_seeds(saliency)
        cv2.setRNGSeed(0)
        out, verdict = call_student(fn, image.copy(), seeds.copy(), name="seed_colour_models")
        if verdict is not None:
            return verdict
        if not (isinstance(out, tuple) and len(out) == 2 and all(_is_gmm(m) for m in out)):
            return failed("return the pair (bgd_model, fgd_model): two float64 arrays of shape (1, 65), as cv2.grabCut fills them.")
        expected = frozen_cut_reference(image, seeds, *seed_colour_models_reference(image, seeds))
        got = frozen_cut_reference(image, seeds, *out)
        agree = float(np.mean(got == expected))
        if agree < 0.98:
            swapped = frozen_cut_reference(image, seeds, out[1], out[0])
            if np.mean(swapped == expected) >= 0.98:
                return failed("the two models are swapped: cv2.grabCut's arguments are (..., bgdModel, fgdModel, ...), background first.")
            return failed(
                f"with your models the cut agrees with the reference on only {agree:.0%} of the pixels of scene {seed}. Fit the models on "
                "the seed pixels alone: a 1xK image of the foreground then background seed colours, labelled GC_FGD / GC_BGD, "
                "cv2.grabCut(..., iterCount=0, mode=cv2.GC_INIT_WITH_MASK)."
            )
    return passed("two 5-component colour GMMs estimated from the seeds only, as the paper says; unseeded pixels play no part.")


# ----------------------------------------------------------------------------------------------
# Exercise 3: the cut and the box of its largest component


def check_cut_and_box(fn: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], tuple]) -> CheckResult:
    """Exercise 3: cut_and_box(image, seeds, bgd_model, fgd_model) -> the box of the largest component of one frozen cut."""
    for seed in range(6):
        image, saliency, _ = synthetic_scene(seed)
        seeds = loc.saliency_seeds(saliency)
        models = seed_colour_models_reference(image, seeds)
        out, verdict = call_student(fn, image.copy(), seeds.copy(), models[0].copy(), models[1].copy(), name="cut_and_box")
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
    "Raw-gradient saliency is high on an object's edges and low in its flat interior. Why does the paper use the "
    "seeds only to estimate colour models, and not as fixed labels of the cut?",
    [
        "fixed labels would be faster to compute",
        "the 30% background seeds include object-interior pixels and the 95% seeds straddle the edge: fixed, they would "
        "punch holes in the object and pull background in; as colour statistics the object's colour still dominates",
        "GraphCut cannot take fixed labels",
    ],
    "b",
    "The seeds are noisy labels. Fitted as colour models they only need the object's colour to dominate the "
    "foreground seeds; the cut then labels every pixel by colour and smoothness. Measured on the toy world, fixing "
    "them (hard seeds) costs about 25 points of accuracy.",
)

Q2 = NumericAnswer(
    "A predicted box is (10, 10, 50, 50) and the true box (30, 10, 70, 50) (x1, y1 exclusive). What is their IoU? "
    "Does it count as a correct localization under the ILSVRC rule?",
    1 / 3,
    0.01,
    "Intersection 20 x 40 = 800, union 1600 + 1600 - 800 = 2400, IoU = 1/3 < 0.5: wrong, although the box covers "
    "half of the object. The 0.5 threshold asks for a box that is both in the right place and about the right size.",
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
)

QUIZ = (Q1, Q2, Q3)
