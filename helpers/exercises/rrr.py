"""Checks and questions for notebook 07 (saliency in the loss, Ross et al. 2017).

Exercise 1 writes the explanation Ross et al. penalise, d(sum_k log p_k)/dx, kept differentiable in the weights
(`create_graph=True`); exercise 2 the penalty sum_n || A_n * grad_n ||^2 with the (N,H,W) annotation broadcast over
the colour channels. Each check compares with the reference on a small float64 network and names the usual mistakes:
no create_graph, the gradient of another quantity, penalising the object instead of the annotated pixels, the
annotation applied to one channel, summed over channels, or broadcast across images, the norm left unsquared, the
mean taken over every entry, and a result in another dtype than the input's.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .. import rrr
from . import CheckResult, failed, passed
from .quiz import MultipleChoice, NumericAnswer
from .rules import (
    changed_inputs,
    close,
    default_device_problem,
    exercise_dtype,
    first_problem,
    not_a_tensor,
    run_student,
)

GradientFn = Callable[[nn.Module, torch.Tensor], torch.Tensor]
PenaltyFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]
_N, _SIZE = 3, 32  # three images: an annotation broadcast as (1,N,H,W) against (N,C,H,W) would run, and be wrong


def _case(device: str | torch.device = "cpu") -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A fixed small network (eval mode), three random inputs and an (N,H,W) bool annotation, on `device`."""
    dtype = exercise_dtype(device)
    torch.manual_seed(0)
    model = rrr.shortcut_cnn(_SIZE).to(device=device, dtype=dtype).eval()
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(_N, 3, _SIZE, _SIZE, generator=gen, dtype=torch.float64).to(device, dtype)
    annotation = torch.zeros(_N, _SIZE, _SIZE, dtype=torch.bool)
    for i, (y0, x0) in enumerate([(1, 1), (1, 27), (27, 14)]):
        annotation[i, y0 : y0 + 4, x0 : x0 + 4] = True
    return model, x, annotation.to(device)


def reference_input_gradient(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """d(sum_k log p_k)/dx, (N,C,H,W), differentiable in the weights."""
    return rrr.log_prob_sum_gradient(model, x, create_graph=True)


def reference_rrr_penalty(model: nn.Module, x: torch.Tensor, annotation: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of || A * d(sum_k log p_k)/dx ||^2: a differentiable 0-d tensor."""
    return rrr.explanation_penalty(model, x, rrr.annotation_tensor(annotation, x)).mean()


def _gradient_of(quantity: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[nn.Module, torch.Tensor], torch.Tensor]:
    """The input gradient of quantity(logits) summed over the batch: what a mistaken exercise 1 returns."""

    def grad(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        xg = x.detach().requires_grad_(True)
        with torch.enable_grad():
            return torch.autograd.grad(quantity(model(xg)).sum(), xg)[0]

    return grad


# The usual wrong answers of exercise 1: (words, what they compute).
GRADIENT_MISTAKES: tuple[tuple[str, GradientFn], ...] = (
    (
        "that is the gradient of the summed logits sum_k S_k; Ross et al. differentiate the summed log-probabilities "
        "sum_k log p_k (take F.log_softmax first)",
        _gradient_of(lambda s: s),
    ),
    (
        "that is the gradient of the top class's log-probability alone; the penalty uses sum_k log p_k, every class",
        _gradient_of(lambda s: F.log_softmax(s, 1).max(1).values),
    ),
    (
        "that is the gradient of the top logit S_c (the paper's saliency); Ross et al. penalise sum_k log p_k",
        _gradient_of(lambda s: s.max(1).values),
    ),
    (
        "that is the gradient of sum_k p_k, which is 1 for every input: its gradient is zero. Use log-probabilities",
        _gradient_of(lambda s: F.softmax(s, 1)),
    ),
)


def _diagnose_gradient(model: nn.Module, x: torch.Tensor, got: torch.Tensor) -> str:
    """Name the quantity whose gradient the student returned, if it is a known mistake."""
    for words, mistake in GRADIENT_MISTAKES:
        if close(got, mistake(model, x).detach()):
            return words
    return "it differs from d(sum_k log p_k)/dx (compare with torch.autograd.grad on a small batch)"


def _not_differentiable(out: torch.Tensor, model: nn.Module, name: str) -> CheckResult | None:
    """A verdict when the result carries no gradient to the weights (create_graph=True forgotten)."""
    if out.requires_grad and out.grad_fn is not None:
        weights = [p for p in model.parameters() if p.requires_grad]
        grads = torch.autograd.grad(out.sum(), weights, allow_unused=True)
        if any(g is not None and bool(g.abs().sum() > 0) for g in grads):
            return None
    return failed(
        f"{name} is not differentiable in the weights: the gradient was taken without create_graph=True, so the "
        "optimiser would see the penalty as a constant and training would ignore it (double backprop needs the graph)."
    )


def _wrong_dtype(out: torch.Tensor, x: torch.Tensor, name: str) -> CheckResult | None:
    """A verdict when the result's dtype is not the input's (e.g. .float() on a float64 input), else None."""
    if out.dtype == x.dtype:
        return None
    return failed(
        f"{name} returned {out.dtype} for a {x.dtype} input: keep the input's dtype (no .float() or "
        "dtype=torch.float32); the check runs in float64 so that a small difference is a real one."
    )


def _explain_dtype_error(err: Exception) -> str:
    """The hint for a float32 / float64 mismatch: the check's network and input are float64."""
    words = str(err).lower()
    if isinstance(err, RuntimeError) and "double" in words and "float" in words:
        return (
            " (the check's network and input are float64: keep x's dtype; a .float() or dtype=torch.float32 inside "
            "your function makes a float32 tensor that a float64 network cannot take)"
        )
    return ""


def check_input_gradient(fn: GradientFn, device: str | torch.device = "cpu") -> CheckResult:
    """Exercise 1: `fn(model, x) -> (N,C,H,W)` = d(sum_k log p_k)/dx, differentiable in the weights, x unchanged."""
    model, x, _ = _case(device)
    given = x.clone()
    out, problem = run_student(fn, model, given, name="input_gradient", explain=_explain_dtype_error)
    problem = first_problem(
        problem,
        changed_inputs((given,), (x,), "input_gradient", " (work on x.detach().requires_grad_(True))"),
        not_a_tensor(out, "input_gradient", tuple(x.shape)),
    )
    if problem is not None:
        return problem
    problem = _wrong_dtype(out, x, "input_gradient")
    if problem is not None:
        return problem
    if not close(out.detach(), reference_input_gradient(model, x).detach()):
        return failed(f"input_gradient is not d(sum_k log p_k)/dx: {_diagnose_gradient(model, x, out.detach())}.")
    problem = first_problem(
        _not_differentiable(out, model, "input_gradient"),
        default_device_problem(fn, lambda: _case("cpu")[:2], "input_gradient"),
    )
    if problem is not None:
        return problem
    if any(p.grad is not None for p in model.parameters()):
        return failed("input_gradient left .grad on the model's weights: use torch.autograd.grad, not .backward().")
    return passed("d(sum_k log p_k)/dx with its graph kept: the penalty built on it trains the weights.")


def _channel_mistakes(model: nn.Module, x: torch.Tensor, a: torch.Tensor) -> tuple[tuple[str, torch.Tensor], ...]:
    """What the usual wrong penalties of exercise 2 give on this case: (words, value)."""
    g = reference_input_gradient(model, x).detach()
    af = a.to(g.dtype)
    per_image = lambda v: v.flatten(1).sum(1).mean()  # noqa: E731
    return (
        (
            "the annotation is inverted: that penalises the gradient *inside* the kept pixels (the object), which "
            "forbids the network to look at what it should use. A is 1 where the reason must not be",
            per_image(((1 - af)[:, None] * g) ** 2),
        ),
        (
            "only one colour channel is penalised: broadcast the (N,H,W) annotation over the channels with "
            "annotation[:, None] (shape (N,1,H,W)), so every channel of an annotated pixel counts",
            per_image((af * g[:, 0]) ** 2),
        ),
        (
            "the channels are summed before squaring; the penalty squares each channel's gradient: "
            "(annotation[:, None] * grad) ** 2, then sum",
            per_image((af * g.sum(1)) ** 2),
        ),
        (
            "the annotation is broadcast across images (shape (1,N,H,W) against (N,C,H,W) mixes image n's mask with "
            "channel n): use annotation[:, None], shape (N,1,H,W)",
            per_image((af[None] * g) ** 2),
        ),
        (
            "that is the sum over the batch; the exercise asks for the mean over images (the loss's scale must not "
            "depend on the batch size)",
            (af[:, None] * g).pow(2).sum(),
        ),
        (
            "the square is missing: the penalty is || A * grad ||^2, a sum of squares",
            per_image((af[:, None] * g).abs()),
        ),
        (
            "that is the norm, not its square: || A * grad ||^2 is the sum of the squares, with no square root",
            (af[:, None] * g).flatten(1).norm(dim=1).mean(),
        ),
        (
            "that is the mean over every entry (images, channels and pixels); sum the squares over the channels and "
            "pixels of each image, then take the mean over the images",
            (af[:, None] * g).pow(2).mean(),
        ),
    )


def check_rrr_penalty(fn: PenaltyFn, device: str | torch.device = "cpu") -> CheckResult:
    """Exercise 2: `fn(model, x, annotation (N,H,W) bool) -> 0-d tensor` = mean_n || A_n * grad_n ||^2, differentiable."""
    model, x, annotation = _case(device)
    given_x, given_a = x.clone(), annotation.clone()
    out, problem = run_student(fn, model, given_x, given_a, name="rrr_penalty", explain=_explain_dtype_error)
    problem = first_problem(
        problem,
        changed_inputs((given_x, given_a), (x, annotation), "rrr_penalty"),
        not_a_tensor(out, "rrr_penalty", ()),
    )
    if problem is not None:
        return problem
    problem = _wrong_dtype(out, x, "rrr_penalty")
    if problem is not None:
        return problem
    expected = reference_rrr_penalty(model, x, annotation).detach()
    if not close(out.detach(), expected):
        for words, value in _channel_mistakes(model, x, annotation):
            if close(out.detach(), value):
                return failed(f"rrr_penalty: {words}.")
        return failed("rrr_penalty is not mean_n || A_n * d(sum_k log p_k)/dx_n ||^2 (compare with the formula above).")
    problem = first_problem(
        _not_differentiable(out, model, "rrr_penalty"),
        default_device_problem(fn, lambda: _case("cpu"), "rrr_penalty"),
    )
    return (
        problem
        if problem is not None
        else passed("the annotated input gradient, squared and summed per image, averaged, with its graph kept.")
    )


# ----------------------------------------------------------------------------------------------
# Check your understanding.

Q1 = MultipleChoice(
    "A model reaches 99% accuracy on held-out images drawn like its training images. Its saliency maps put most of "
    "their mass on a small coloured square in a corner. What do you conclude before any other test?",
    [
        "Nothing: the accuracy is high, so the model has learned the task.",
        "The model may rely on the square; test it on images where the square no longer goes with the class.",
        "The saliency map is wrong: a correct model must look at the object.",
    ],
    "b",
    "High accuracy on data with the same shortcut cannot tell the shape rule from the shortcut; the map can. It is a "
    "hypothesis to test: swap the square's colour (notebook 07) and the accuracy says whether the model depends on it.",
    why_wrong={
        "a": "The held-out images carry the same shortcut, so accuracy on them rewards the shortcut as much as the shape.",
        "c": "The map shows where the score is sensitive; on this model it is sensitive to the square. That is evidence, "
        "not an error of the map.",
    },
)

Q2 = NumericAnswer(
    "A batch of 64 images of 32 x 32 pixels and 3 channels; the annotation marks a 4 x 4 square in each image. How "
    "many entries of A * grad (with A broadcast over the channels) can be non-zero in the whole batch?",
    3072,
    0.5,
    "64 images x 16 pixels x 3 channels = 3072: the (N,1,H,W) annotation keeps every channel of an annotated pixel.",
    mistakes=[
        (1024, "that is one channel only (64 x 16): the annotation broadcasts over all three channels."),
        (48, "that is one image (16 pixels x 3 channels); the batch has 64."),
        (196608, "that is every entry of the batch (64 x 3 x 32 x 32); A is zero outside the annotated square."),
    ],
)

Q3 = MultipleChoice(
    "Why does the penalty need torch.autograd.grad(..., create_graph=True)?",
    [
        "To make the input gradient more accurate.",
        "The penalty is a function of the input gradient, which depends on the weights; without the graph of that "
        "gradient, backpropagating the loss cannot reach the weights through it (double backprop).",
        "To save memory during training.",
    ],
    "b",
    "d(loss)/d(weights) needs d(penalty)/d(weights), and the penalty is built from d(sum_k log p_k)/dx: a second "
    "derivative. create_graph=True records the first backward pass so it can be differentiated; it costs time and "
    "memory (the notebook measures the time per epoch).",
    why_wrong={
        "a": "The values of the gradient are the same either way; only whether it can be differentiated changes.",
        "c": "It costs memory: the graph of the backward pass is kept.",
    },
)

QUIZ = (Q1, Q2, Q3)
