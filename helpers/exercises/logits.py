"""Checks and questions for notebook 04 (logits versus softmax).

Exercise 1 builds the class-score Jacobian with one backward pass per class (rows dS_k/dI); exercises 2
and 3 turn it into the gradients of log P_c and P_c. Each check compares with autograd or the
reference on random inputs and says what differs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

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

Jacobian = torch.Tensor  # (K, D): row k is dS_k/dI, flattened


def reference_log_softmax_grad(jacobian: Jacobian, probs: torch.Tensor, c: int) -> torch.Tensor:
    """d log P_c/dI = dS_c/dI - sum_k P_k dS_k/dI, shape (D,)."""
    return jacobian[c] - probs @ jacobian


def reference_softmax_grad(jacobian: Jacobian, probs: torch.Tensor, c: int) -> torch.Tensor:
    """dP_c/dI = P_c * d log P_c/dI, shape (D,)."""
    return probs[c] * reference_log_softmax_grad(jacobian, probs, c)


def _random_cases(seed: int, device: str | torch.device = "cpu") -> list[tuple[torch.Tensor, torch.Tensor, int]]:
    """A few (Jacobian, softmax probabilities, class) triples of different sizes, made on `device`."""
    gen, dtype = torch.Generator().manual_seed(seed), exercise_dtype(device)
    cases = []
    for k, d in [(2, 5), (6, 12), (10, 7)]:
        jac = torch.randn(k, d, generator=gen, dtype=torch.float64, device="cpu")
        probs = torch.randn(k, generator=gen, dtype=torch.float64, device="cpu").mul(2).softmax(0)
        cases.append(
            (jac.to(device, dtype), probs.to(device, dtype), int(torch.randint(k, (1,), generator=gen, device="cpu")))
        )
    return cases


def _others(jacobian: Jacobian, probs: torch.Tensor, c: int) -> torch.Tensor:
    """sum over k != c of P_k dS_k/dI: the competitors' term alone."""
    return probs @ jacobian - probs[c] * jacobian[c]


# The usual wrong answers of exercises 2 and 3: (words, function of (J, P, c)).
LOG_SOFTMAX_MISTAKES: tuple[tuple[str, Callable], ...] = (
    ("that is dS_c/dI, the logit's gradient alone: the log-sum-exp adds - sum_k P_k dS_k/dI", lambda j, p, c: j[c]),
    ("the sign is reversed: d log P_c/dI = dS_c/dI - sum_k P_k dS_k/dI", lambda j, p, c: p @ j - j[c]),
    (
        "the weights are uniform (a mean over the classes); the log-sum-exp weights each row by its probability P_k",
        lambda j, p, c: j[c] - j.mean(0),
    ),
    (
        "the sum leaves out k = c: sum_k P_k dS_k/dI runs over every class, c included (its P_c enters too)",
        lambda j, p, c: j[c] - _others(j, p, c),
    ),
    ("that is the softmax's gradient dP_c/dI = P_c d log P_c/dI: exercise 2 asks for log P_c", reference_softmax_grad),
)
SOFTMAX_MISTAKES: tuple[tuple[str, Callable], ...] = (
    ("the factor P_c is missing: that is d log P_c/dI; dP_c/dI = P_c * d log P_c/dI", reference_log_softmax_grad),
    (
        "only the logit term P_c (1 - P_c) dS_c/dI: the competitors' term - P_c sum_{k != c} P_k dS_k/dI is missing",
        lambda j, p, c: p[c] * (1 - p[c]) * j[c],
    ),
    (
        "the factor is 1 - P_c, not P_c: dP_c/dI = P_c * d log P_c/dI",
        lambda j, p, c: (1 - p[c]) * reference_log_softmax_grad(j, p, c),
    ),
    (
        "the sign is reversed: dP_c/dI = P_c (dS_c/dI - sum_k P_k dS_k/dI)",
        lambda j, p, c: -reference_softmax_grad(j, p, c),
    ),
    (
        "the competitors' term lacks its factor P_c: dP_c/dI = P_c (1 - P_c) dS_c/dI - P_c sum_{k != c} P_k dS_k/dI",
        lambda j, p, c: p[c] * (1 - p[c]) * j[c] - _others(j, p, c),
    ),
)


def _check_gradient(
    name: str,
    fn: Callable,
    reference: Callable,
    mistakes: tuple[tuple[str, Callable], ...],
    hint: str,
    seed: int,
    device: str | torch.device,
) -> CheckResult:
    """Compare the student's gradient function with the reference on random Jacobians; name a usual mistake."""
    for jac, probs, c in _random_cases(seed, device):
        given = (jac.clone(), probs.clone())
        out, problem = run_student(fn, *given, c, name=name)
        problem = first_problem(
            problem, changed_inputs(given, (jac, probs), name), not_a_tensor(out, name, (jac.shape[1],))
        )
        if problem is not None:
            return problem
        expected = reference(jac, probs, c)
        got = out.detach().to(expected.device, expected.dtype)
        if not close(got, expected):
            named = [words for words, wrong in mistakes if close(got, wrong(jac, probs, c))]
            worst = float((got - expected).abs().max())
            return failed(
                f"{name} (K={jac.shape[0]}) differs from the reference by up to {worst:.3g}: {named[0] if named else hint}."
            )
    problem = default_device_problem(fn, lambda: _random_cases(seed)[1], name)
    return (
        problem
        if problem is not None
        else passed(f"{name} matches the reference on random Jacobians, with the inputs left as they were.")
    )


def check_log_softmax_grad(
    fn: Callable[[Jacobian, torch.Tensor, int], torch.Tensor], device: str | torch.device = "cpu"
) -> CheckResult:
    """Exercise 2: `fn(jacobian (K,D), probs (K,), c) -> (D,)` must return d log P_c/dI = J[c] - sum_k P_k J[k].

    The rules it checks: a (D,) tensor, the inputs unchanged, the inputs' device (every tensor is made on `device`).
    """
    return _check_gradient(
        "log_softmax_grad",
        fn,
        reference_log_softmax_grad,
        LOG_SOFTMAX_MISTAKES,
        "Hint: log P_c = S_c - log sum_k exp(S_k); differentiate the log-sum-exp",
        seed=5,
        device=device,
    )


def check_softmax_grad(
    fn: Callable[[Jacobian, torch.Tensor, int], torch.Tensor], device: str | torch.device = "cpu"
) -> CheckResult:
    """Exercise 3: `fn(jacobian (K,D), probs (K,), c) -> (D,)` must return dP_c/dI = P_c (J[c] - sum_k P_k J[k]).

    The rules it checks: a (D,) tensor, the inputs unchanged, the inputs' device (every tensor is made on `device`).
    """
    return _check_gradient(
        "softmax_grad",
        fn,
        reference_softmax_grad,
        SOFTMAX_MISTAKES,
        "Hint: dP_c/dI = P_c * d log P_c/dI = P_c (1 - P_c) J[c] - P_c sum_{k != c} P_k J[k]",
        seed=6,
        device=device,
    )


# ----------------------------------------------------------------------------------------------
# Exercise 1: the Jacobian of the class scores, one backward pass per class.


def _small_network(
    seed: int, dim: int, hidden: int, classes: int, device: str | torch.device = "cpu"
) -> Callable[[torch.Tensor], torch.Tensor]:
    """A random two-layer tanh network x (D,) -> scores (K,) on `device`, standing in for a CNN."""
    gen, dtype = torch.Generator().manual_seed(seed), exercise_dtype(device)
    w1 = torch.randn(hidden, dim, generator=gen, dtype=torch.float64, device="cpu").to(device, dtype)
    w2 = torch.randn(classes, hidden, generator=gen, dtype=torch.float64, device="cpu").to(device, dtype)
    return lambda x: w2 @ torch.tanh(w1 @ x)


def reference_score_jacobian(score_fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> Jacobian:
    """(K, D) Jacobian of score_fn at x by torch's own routine (row k = dS_k/dI)."""
    return torch.autograd.functional.jacobian(score_fn, x.detach())


def _jacobian_cases(device: str | torch.device) -> list[tuple[Callable[[torch.Tensor], torch.Tensor], torch.Tensor]]:
    """(score_fn, x) pairs of two sizes (D != K), on `device`."""
    gen = torch.Generator().manual_seed(7)
    return [
        (
            _small_network(dim * classes, dim, hidden, classes, device),
            torch.randn(dim, generator=gen, dtype=torch.float64, device="cpu").to(device, exercise_dtype(device)),
        )
        for dim, hidden, classes in [(4, 6, 3), (10, 8, 6)]
    ]


def _diagnose_jacobian(out: torch.Tensor, expected: Jacobian) -> str:
    if tuple(out.shape) == tuple(expected.T.shape):
        return "it is transposed: row k is dS_k/dx, so the shape is (K, D); stack the rows with torch.stack(rows)"
    if tuple(out.shape) != tuple(expected.shape):
        return f"expected the shape (K, D) = {tuple(expected.shape)}: one row per class"
    if close(out, expected.sum(0).expand_as(expected)):
        return (
            "every row is the gradient of the summed scores: one backward pass of scores.sum() mixes the classes; "
            "take one torch.autograd.grad(scores[k], x, retain_graph=True) per class k"
        )
    return "one torch.autograd.grad(scores[k], x, retain_graph=True) per class k; stack the rows"


def check_score_jacobian(
    fn: Callable[[Callable[[torch.Tensor], torch.Tensor], torch.Tensor], Jacobian], device: str | torch.device = "cpu"
) -> CheckResult:
    """Exercise 1: `fn(score_fn, x (D,)) -> (K, D)`, row k = dS_k/dx, without changing x (values or requires_grad).

    Every tensor is made on `device` (pass the notebook's); the result must be a (K, D) tensor.
    """
    for score_fn, x in _jacobian_cases(device):
        given = x.clone()
        out, problem = run_student(fn, score_fn, given, name="score_jacobian")
        problem = first_problem(
            problem,
            changed_inputs(
                (given,),
                (x,),
                "score_jacobian",
                " (its values or requires_grad: work on x.detach().requires_grad_(True))",
            ),
            not_a_tensor(out, "score_jacobian"),
        )
        if problem is not None:
            return problem
        expected = reference_score_jacobian(score_fn, x)
        got = out.detach().to(expected.device, expected.dtype)
        if got.shape != expected.shape or not close(got, expected):
            return failed(
                f"score_jacobian (K={expected.shape[0]}, D={expected.shape[1]}) is not the Jacobian: {_diagnose_jacobian(got, expected)}."
            )
    problem = default_device_problem(fn, lambda: _jacobian_cases("cpu")[0], "score_jacobian")
    return (
        problem
        if problem is not None
        else passed(
            "row k is dS_k/dI, one backward pass per class, as `log_softmax_gradient_identity` does on the toy CNN."
        )
    )


# ----------------------------------------------------------------------------------------------
# Check your understanding.

Q1 = MultipleChoice(
    "Why does the paper visualise and differentiate the score S_c rather than the softmax posterior P_c?",
    [
        "S_c is cheaper to compute than P_c.",
        "P_c can be increased by lowering the scores of the other classes, not only by adding evidence for class c.",
        "The gradient of P_c is always zero.",
    ],
    "b",
    "P_c = exp S_c / sum_k exp S_k rises when S_c rises *or* when the other S_k fall: d log P_c/dI = dS_c/dI - "
    "sum_k P_k dS_k/dI has a second term that pushes the image away from the competing classes.",
    why_wrong={
        "a": "The softmax costs one exponential per class on top of S: negligible; the reason is what P_c rewards, not its cost.",
        "c": "dP_c/dI = P_c (1 - P_c) dS_c/dI - ... is small when P_c is near 0 or 1, but not zero; notebook 04 computes it.",
    },
)

Q2 = NumericAnswer(
    "A network predicts class c with P_c = 0.99. In dP_c/dI = P_c (1 - P_c) dS_c/dI - P_c sum_{k != c} P_k dS_k/dI, "
    "by what factor is the first term smaller than dS_c/dI? (a number between 0 and 1)",
    0.0099,
    0.00004,  # separates 0.0099 from 0.01 (1 - P_c, the missing factor P_c)
    "P_c (1 - P_c) = 0.99 x 0.01 = 0.0099. The competitor term is of the same order, not smaller: its weights P_c P_k "
    "add up to P_c (1 - P_c) as well, so both terms are of order (1 - P_c) |dS_c/dI| (on the toy it is sometimes the "
    "larger). A confident prediction has a nearly flat P_c map, fainter by a factor of the order of 1 - P_c.",
    mistakes=[
        (0.99, "that is P_c itself; the logit term is weighted by P_c (1 - P_c)."),
        (
            0.01,
            "that is 1 - P_c: the factor P_c is missing. The weight of the logit term is P_c (1 - P_c) = 0.99 x 0.01.",
        ),
        (0.9801, "that is P_c squared; the weight is P_c times (1 - P_c)."),
    ],
)

Q3 = MultipleChoice(
    "On EfficientNet-Lite0 with plain SGD and the paper's penalty, the log P_c class images are nearly blank; with "
    "Adam and no penalty they are dense textures, like the S_c images. What explains the difference?",
    [
        "Adam maximises a different objective than SGD.",
        "SGD's step is lr times the gradient, which fades like 1 - P_c once P_c is near 1, so the penalty holds the "
        "image near the start; Adam divides each step by the gradient's size, so without a penalty it keeps changing the "
        "image after P_c has saturated.",
        "The gradient of log P_c is exactly zero once P_c > 0.99.",
    ],
    "b",
    "The posterior is satisfied by a small margin: its gradient (1 - P_c) dS_c/dI - sum_{k != c} P_k dS_k/dI fades as "
    "P_c -> 1, and plain SGD stops where it balances the penalty's 2 lambda I, close to the start. Adam moves each pixel "
    "by about lr however small the gradient; with no penalty nothing balances it. With the same penalty Adam's images "
    "are blank too (the notebook's optional section): only without it do normalised steps give the log P_c images a "
    "similar amount of texture (pixel std) to the S_c images.",
    why_wrong={
        "a": "Both ascend the same objective; only the step differs: SGD's is lr times the gradient, Adam's is divided by the gradient's running size.",
        "c": "It fades like 1 - P_c but is not zero (the notebook measures its size); what matters is what the optimiser does with a small gradient.",
    },
)

QUIZ = (Q1, Q2, Q3)
