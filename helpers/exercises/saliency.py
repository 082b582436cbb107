"""Checks and questions for notebook 02 (saliency maps).

Students implement the paper's algorithms: the saliency map of a model (autograd on the class score,
then the maximum of |w| over colour channels), the 10-crop average with the mirror un-done, and the
pointing game with the 15-px tolerance of the TorchRay benchmark. Each check compares the student's
function with a reference on inputs it builds itself and says what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np
import torch
from torch import nn

from ..evaluation.masks import pointing_hit as library_pointing_hit
from ..saliency import saliency_map
from ..views import paste_average
from . import CheckResult, call_student, compare_arrays, explain_bare_module_error, failed, model_device, passed
from .quiz import MultipleChoice, NumericAnswer

# ----------------------------------------------------------------------------------------------
# Exercise 1: saliency from a model


def _tiny_model(seed: int = 0) -> nn.Module:
    """A small conv net (3 -> 5 classes) in eval mode with *trainable* parameters (requires_grad True).

    Trainable like a model a student builds or fine-tunes: a stray `.backward()` then leaves `.grad` on the
    weights, which the check can see (a frozen model would hide that mistake).
    """
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(6, 6, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(24, 5),
    )
    return model.eval()


def saliency_from_model_reference(model: nn.Module, x: torch.Tensor, targets: Sequence[int]) -> torch.Tensor:
    """The paper's map for a batch: M = max_c |dS_c/dI| of each image's target score; (N, H, W)."""
    return saliency_map(model, x, list(targets))


def _wrong_maps(model: nn.Module, x: torch.Tensor, targets: list[int]) -> dict[str, torch.Tensor]:
    """The usual wrong variants of the paper's map, by the mistake that produces each."""
    idx = torch.tensor(targets, device=x.device)[:, None]
    xg = x.detach().clone().requires_grad_(True)
    scores = model(xg)
    g_score, g_prob = (
        torch.autograd.grad(s.gather(1, idx).sum(), xg, retain_graph=True)[0] for s in (scores, scores.softmax(dim=1))
    )
    return {
        "the sum over colour channels": g_score.abs().sum(dim=1),
        "the maximum of the signed gradient (abs() missing)": g_score.amax(dim=1),
        "the gradient of the softmax probability": g_prob.abs().amax(dim=1),
        "the gradient of every image's first target": saliency_map(model, x, targets[0]),
    }


def _hint_for_map(model: nn.Module, x: torch.Tensor, targets: list[int], got: np.ndarray) -> str:
    """Name the usual mistake when a student's map matches a wrong variant of the paper's."""
    for name, m in _wrong_maps(model, x, targets).items():
        if got.shape == tuple(m.shape) and np.allclose(got, m.detach().cpu().numpy(), rtol=1e-4, atol=1e-6):
            return f" Your map equals {name}; the paper takes max over c of |dS_c/dI| of the score (logit) of each image's own class."
    return " Hint: scores = model(x); pick scores[i, targets[i]]; torch.autograd.grad of their sum; abs(); amax(dim=1)."


def _side_effect(model: nn.Module, x: torch.Tensor, x_before: torch.Tensor) -> CheckResult | None:
    """What a student's function changed that it must not: x's values, requires_grad or .grad; the model's .grad."""
    if x.requires_grad:
        return failed(
            "your function switched on requires_grad of the caller's x; work on a copy: x.detach().clone().requires_grad_(True)."
        )
    if x.grad is not None:
        return failed(
            "your function left a .grad on the caller's x; work on a copy: x.detach().clone().requires_grad_(True)."
        )
    if not torch.equal(x, x_before):
        return failed(
            "your function changed the input x in place; work on x.detach().clone() (or x.detach().requires_grad_())."
        )
    if any(p.grad is not None for p in model.parameters()):
        return failed(
            "gradients were written to the model's parameters (.backward() fills .grad of every trainable weight); "
            "use torch.autograd.grad(score, x) so only dS/dI is computed."
        )
    return None


def check_saliency_from_model(fn: Callable[[nn.Module, torch.Tensor, list[int]], torch.Tensor]) -> CheckResult:
    """Exercise 1: `fn(model, x, targets) -> (N, H, W)` tensor, the paper's map of each image's target score.

    `model` is a bare `nn.Module` (like `toy.model`) with trainable parameters, `x` a float tensor (N, 3, H, W)
    on the model's device, `targets` a list of N ints. Also checks that x keeps its values, its
    `requires_grad` (False) and `.grad` (None), and that no `.grad` is left on the model's parameters.
    """
    model = _tiny_model()
    device = model_device(model)
    gen = torch.Generator().manual_seed(21)
    x = torch.randn(3, 3, 11, 9, generator=gen).to(device)
    targets = [1, 4, 2]
    x_before = x.clone()
    out, problem = call_student(
        fn, model, x, list(targets), name="saliency_from_model", explain=explain_bare_module_error
    )
    if problem is not None:
        return problem
    side_effect = _side_effect(model, x, x_before)
    if side_effect is not None:
        return side_effect
    got = out.detach().cpu().numpy() if isinstance(out, torch.Tensor) else np.asarray(out)
    verdict = compare_arrays(
        "saliency_from_model(model, x, targets)", got, saliency_from_model_reference(model, x, targets)
    )
    if not verdict:
        return failed(verdict.message + _hint_for_map(model, x, targets, got))
    return passed(
        "w = dS_c/dI at I0 (Eq. 4) by one backward pass, then M_ij = max_c |w_h(i,j,c)| (Sect. 3.1); x and the model untouched."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 2: the 10-crop average with the mirror un-done


def ten_crop_average_reference(
    maps: np.ndarray, offsets: Sequence[tuple[int, int]], work_hw: tuple[int, int]
) -> np.ndarray:
    """Average of 10 crop maps (the last 5 of mirrored crops) pasted at their (top, left) in a work_hw canvas."""
    unmirrored = np.concatenate([maps[:5], maps[5:, :, ::-1]])
    return paste_average(unmirrored, offsets, work_hw)


def _ten_crop_case(seed: int) -> tuple[np.ndarray, list[tuple[int, int]], tuple[int, int]]:
    """Random crop maps of size S in a working image larger than S, with the 5 crop positions used twice."""
    rng = np.random.default_rng(seed)
    s = int(rng.integers(6, 10))
    h, w = s + int(rng.integers(1, 5)), s + int(rng.integers(1, 7))
    offsets = [(0, 0), (0, w - s), (h - s, 0), (h - s, w - s), ((h - s) // 2, (w - s) // 2)] * 2
    return rng.random((10, s, s)).astype(np.float32), offsets, (h, w)


def check_ten_crop_average(
    fn: Callable[[np.ndarray, list[tuple[int, int]], tuple[int, int]], np.ndarray],
) -> CheckResult:
    """Exercise 2: `fn(maps, offsets, work_hw) -> (H, W)` float array: un-mirror maps 5..9, paste, average over coverage.

    `maps` is a float (10, S, S) array, `offsets` a list of 10 (top, left) int pairs, `work_hw` an (H, W) pair.
    """
    for seed in range(5):
        maps, offsets, work = _ten_crop_case(seed)
        out, problem = call_student(fn, maps.copy(), list(offsets), work, name="ten_crop_average")
        if problem is not None:
            return problem
        expected = ten_crop_average_reference(maps, offsets, work)
        got = out.detach().cpu().numpy() if isinstance(out, torch.Tensor) else np.asarray(out)
        verdict = compare_arrays("ten_crop_average(maps, offsets, work_hw)", got, expected)
        if verdict:
            continue
        if got.shape == expected.shape:
            if np.allclose(got, paste_average(maps, offsets, work), atol=1e-5):
                return failed(
                    "the maps of the mirrored crops (5..9) are pasted as they are: flip them back first (m[:, ::-1])."
                )
            total = np.zeros(work, np.float64)
            for m, (t, l) in zip(np.concatenate([maps[:5], maps[5:, :, ::-1]]), offsets):
                total[t : t + m.shape[0], l : l + m.shape[1]] += m
            if np.allclose(got, total / 10, atol=1e-5):
                return failed(
                    "you divide by 10 everywhere; divide each pixel by the number of crops that cover it (corners are covered less)."
                )
            if np.allclose(got, total, atol=1e-5):
                return failed("you return the sum; divide each pixel by the number of crops that cover it.")
        return failed(
            verdict.message
            + " Hint: flip maps[5:] left-right, add each map into a canvas at (top, left), count coverage, divide."
        )
    return passed(
        "mirrored maps flipped back, each pixel averaged over the crops that cover it, as in the paper's 10-crop test."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 3: the pointing game with a tolerance (TorchRay)

PointingCase = tuple[np.ndarray, np.ndarray, float]


def pointing_hit_reference(saliency: np.ndarray, mask: np.ndarray, tolerance: float) -> bool:
    """The course's rule, `helpers.saliency.pointing_hit`: a hit when the maximum is closer than (<) `tolerance` px to the mask."""
    return library_pointing_hit(saliency, mask, tolerance)


def _distance_to_object(
    mask: np.ndarray, metric: int = cv2.DIST_L2, mask_size: int = cv2.DIST_MASK_PRECISE
) -> np.ndarray:
    """Every pixel's distance to the nearest object pixel (0 on the object)."""
    return cv2.distanceTransform((~mask).astype(np.uint8), metric, mask_size)


def _peak(saliency: np.ndarray) -> tuple[int, int]:
    return tuple(int(v) for v in np.unravel_index(int(np.argmax(saliency)), saliency.shape))  # type: ignore[return-value]


# The usual mistakes, each as code, with what to tell a student whose answers all agree with it.
POINTING_MISTAKES: dict[str, tuple[Callable[[np.ndarray, np.ndarray, float], bool], str]] = {
    "boundary included": (
        lambda s, m, t: bool(_distance_to_object(m)[_peak(s)] <= t),
        "you also count a maximum exactly `tolerance` px away. TorchRay's pointing game counts a hit only when the "
        "distance is strictly below the tolerance (distance < tolerance), so at tolerance 0 nothing is a hit.",
    ),
    "inside only": (
        lambda s, m, t: bool(m[_peak(s)]),
        "you ignore the tolerance (a hit only when the maximum is on the object): also accept a maximum up to `tolerance` px away.",
    ),
    "minimum": (
        lambda s, m, t: bool(_distance_to_object(m)[np.unravel_index(int(np.argmin(s)), s.shape)] < t),
        "you take the map's minimum: the pointing game looks at its maximum (np.argmax).",
    ),
    "transform of the mask": (
        lambda s, m, t: bool(
            cv2.distanceTransform(m.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[_peak(s)] < t
        ),
        "you apply cv2.distanceTransform to the mask itself, which gives each object pixel its distance to the background; "
        "give it the complement, (~mask).astype(np.uint8), so every pixel gets its distance to the object.",
    ),
    "city-block distance": (
        lambda s, m, t: bool(_distance_to_object(m, cv2.DIST_L1, 3)[_peak(s)] < t),
        "you measure the city-block (L1) distance; the tolerance is Euclidean: cv2.DIST_L2 with cv2.DIST_MASK_PRECISE.",
    ),
    "chessboard distance": (
        lambda s, m, t: bool(_distance_to_object(m, cv2.DIST_C, 3)[_peak(s)] < t),
        "you measure the chessboard (max) distance; the tolerance is Euclidean: cv2.DIST_L2 with cv2.DIST_MASK_PRECISE.",
    ),
    "approximate Euclidean": (
        lambda s, m, t: bool(_distance_to_object(m, cv2.DIST_L2, 3)[_peak(s)] < t),
        "cv2.DIST_L2 with a 3x3 mask only approximates the Euclidean distance (a step costs 0.955 px): use cv2.DIST_MASK_PRECISE.",
    ),
}


def _one_pixel_case(
    shape: tuple[int, int], obj: tuple[int, int], peak: tuple[int, int], tolerance: float
) -> PointingCase:
    """A one-pixel object and a single maximum: the distance is known exactly."""
    saliency = (
        np.linspace(0.0, 0.5, shape[0] * shape[1]).reshape(shape)[::-1, ::-1].copy()
    )  # smooth background, no ties
    saliency[peak] = 2.0
    mask = np.zeros(shape, bool)
    mask[obj] = True
    return saliency, mask, tolerance


def pointing_cases() -> list[PointingCase]:
    """The check's cases: the edge cases first (maximum on the object at tolerance 0, distance exactly the tolerance), then random ones."""
    block = np.zeros((30, 40), bool)
    block[10:16, 12:20] = True
    inside = np.random.default_rng(5).random((30, 40))
    inside[12, 15] = 2.0  # the maximum on the object
    cases: list[PointingCase] = [
        (inside, block, 0.0),
        _one_pixel_case((30, 30), (10, 10), (10, 13), 3.0),  # 3 px straight: exactly the tolerance
        _one_pixel_case((30, 30), (10, 10), (13, 14), 5.0),  # 3-4-5: exactly the tolerance, diagonally
        _one_pixel_case((30, 30), (10, 10), (13, 14), 4.9),  # just beyond
        _one_pixel_case((30, 30), (20, 5), (20, 5), 0.0),  # one-pixel object, maximum on it, tolerance 0
    ]
    rng = np.random.default_rng(22)
    for trial in range(40):
        saliency = rng.random((40, 50))
        mask = np.zeros((40, 50), bool)
        y, x = int(rng.integers(5, 30)), int(rng.integers(5, 40))
        mask[y : y + 6, x : x + 8] = True
        py, px = y + int(rng.integers(-12, 18)), x + int(rng.integers(-12, 20))
        saliency[np.clip(py, 0, 39), np.clip(px, 0, 49)] = 2.0  # a maximum near the object: hit or miss by distance
        cases.append((saliency, mask, float([0, 3, 5, 8][trial % 4])))
    return cases


def _explain_index_error(err: Exception) -> str:
    if isinstance(err, IndexError):
        return " np.unravel_index returns (row, column), i.e. (y, x): index the distance map as distance[row, column]."
    return ""


def check_pointing_hit(fn: Callable[[np.ndarray, np.ndarray, float], bool]) -> CheckResult:
    """Exercise 3: `fn(saliency, mask, tolerance) -> bool`: is the map's maximum closer than tolerance px to the mask?

    `saliency` is a float (H, W) array, `mask` a bool (H, W) array, `tolerance` a float in pixels; "closer than"
    means Euclidean distance < tolerance (TorchRay), as `helpers.saliency.pointing_hit`. Cases include the maximum
    on the object at tolerance 0 (a miss) and a distance exactly equal to the tolerance (a miss).
    """
    cases = pointing_cases()
    answers = []
    for saliency, mask, tolerance in cases:
        out, problem = call_student(
            fn, saliency.copy(), mask.copy(), tolerance, name="pointing_hit", explain=_explain_index_error
        )
        if problem is not None:
            return problem
        answers.append(bool(out))
    expected = [pointing_hit_reference(*case) for case in cases]
    if answers == expected:
        return passed(
            "a hit when the maximum is closer than the tolerance to the object (distance < tolerance; TorchRay uses 15 px)."
        )
    for mistake, message in POINTING_MISTAKES.values():
        if answers == [mistake(*case) for case in cases]:
            return failed(message)
    k = next(i for i, (a, e) in enumerate(zip(answers, expected)) if a != e)
    saliency, mask, tolerance = cases[k]
    distance = float(_distance_to_object(mask)[_peak(saliency)])
    return failed(
        f"with tolerance {tolerance:g} px and the maximum at (row, column) {_peak(saliency)}, {distance:.3g} px from the object, "
        f"you answered {answers[k]}; expected {expected[k]}. A hit when the Euclidean distance from the maximum to the nearest "
        "mask pixel is < tolerance (strictly closer, as TorchRay)."
    )


# ----------------------------------------------------------------------------------------------
# Check your understanding

Q1 = MultipleChoice(
    "The saliency map is M_ij = max_c |w_h(i,j,c)| with w = dS_c/dI at the image I0 (Eq. 4). What does a bright pixel of M mean?",
    [
        "the pixel contributes much of the class score S_c (its share of S_c)",
        "a small change of that pixel changes S_c strongly, to first order (Eq. 3)",
        "the pixel has a high probability of belonging to the object",
    ],
    "b",
    "w is a derivative: by Eq. 3, S_c(I) ~ w^T I + b near I0, so |w| says how sensitive the score is to each pixel. "
    "It is not a share of the score (that would need w * I and a baseline) and not a probability; a pixel can be "
    "sensitive without being on the object, which is why we measure the maps against masks.",
    why_wrong={
        "a": "That reads the map as an attribution (how much of S_c the pixel makes); a derivative says how S_c would "
        "change, and a pixel can have a large gradient and contribute nothing at its current value.",
        "c": "That reads the map as a segmentation; the map is not normalised to a probability and is often bright "
        "on edges and background that the score happens to be sensitive to.",
    },
)

Q2 = NumericAnswer(
    "A saliency map that is the same everywhere is scored on an image whose object covers 12.8% of the pixels. "
    'What share of its mass lies inside the mask? Give a fraction between 0 and 1 (e.g. 0.5 or "1/2").',
    0.128,
    0.005,
    "A uniform map puts mass in proportion to area, so it scores the mask's area fraction, 0.128: the baseline "
    "every map must beat before it tells us anything about the object.",
    mistakes=[
        (
            0.5,
            "a uniform map does not split its mass half inside, half outside: each pixel holds the same mass, so the "
            "share follows the area.",
        ),
        (0.872, "that is the share outside the mask."),
        (
            1.0,
            "only a map that is zero outside the object puts all its mass inside; a uniform one also fills the background.",
        ),
    ],
)

Q3 = MultipleChoice(
    "After all six weight layers of the toy CNN are re-initialised, its maps still have a clearly positive rank "
    "correlation with the trained model's maps of the same images. What does that remaining correlation say?",
    [
        "the maps mostly show the image (its edges), not the model: Adebayo et al.'s warning applies to the gradient",
        "the random network still knows part of what the trained one learned: a correlation of about a quarter means "
        "about a quarter of the knowledge",
        "not much about learning: over the whole picture some of it is a band along the edge of the frame that any two "
        "maps of this architecture share; away from that band the rest is the picture itself, whose edges even random "
        "filters respond to; compare it with the correlation of unrelated maps, not with zero",
    ],
    "c",
    "The correlation falls steadily as layers are randomized, so the maps do depend on the learned weights, the "
    "property Adebayo et al. ask of a method that explains the model. What is left has two parts. Over the whole "
    "frame, a border band that padded convolutions give every map: two trained maps of different images share it, "
    "and the all-random level ends below theirs. Inside an 8-px border the all-random map still agrees more with the "
    "same image's trained map than with another image's, because even random filters respond to the image's edges. "
    "That part is the image, not the model.",
    why_wrong={
        "a": "If the maps mostly showed the image, randomizing layers would hardly change them; the correlation falls "
        "from the top layer to all six by more than what is left, so the weights matter. The image's edges are "
        "what remains, not most of the map.",
        "b": "A random network has learned nothing, and a rank correlation is not a share of knowledge: it also counts "
        "agreement that comes from the architecture (a band along the padded border) and from the image's edges.",
    },
)

QUIZ = (Q1, Q2, Q3)
