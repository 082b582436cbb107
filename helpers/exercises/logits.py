"""Checks and questions for notebook 04 (logits versus softmax).

Exercise 1 builds the class-score Jacobian with one backward pass per class (rows dS_k/dI); exercises 2
and 3 turn it into the gradients of log P_c and P_c. Each check compares with autograd or the
reference on random inputs and says what differs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from . import CheckResult, call_student, compare_arrays, failed, passed
from .quiz import MultipleChoice, NumericAnswer

Jacobian = torch.Tensor  # (K, D): row k is dS_k/dI, flattened


def reference_log_softmax_grad(jacobian: Jacobian, probs: torch.Tensor, c: int) -> torch.Tensor:
    """d log P_c/dI = dS_c/dI - sum_k P_k dS_k/dI, shape (D,)."""
    return jacobian[c] - probs @ jacobian


def reference_softmax_grad(jacobian: Jacobian, probs: torch.Tensor, c: int) -> torch.Tensor:
    """dP_c/dI = P_c * d log P_c/dI, shape (D,)."""
    return probs[c] * reference_log_softmax_grad(jacobian, probs, c)


def _random_cases(seed: int) -> list[tuple[torch.Tensor, torch.Tensor, int]]:
    """A few (Jacobian, softmax probabilities, class) triples of different sizes."""
    gen = torch.Generator().manual_seed(seed)
    cases = []
    for k, d in [(2, 5), (6, 12), (10, 7)]:
        jac = torch.randn(k, d, generator=gen, dtype=torch.float64)
        probs = torch.randn(k, generator=gen, dtype=torch.float64).mul(2).softmax(0)
        cases.append((jac, probs, int(torch.randint(k, (1,), generator=gen))))
    return cases


def _check_gradient(name: str, fn: Callable, reference: Callable, hint: str, seed: int) -> CheckResult:
    """Compare the student's gradient function with the reference on random Jacobians."""
    for jac, probs, c in _random_cases(seed):
        out, bad = call_student(fn, jac.clone(), probs.clone(), c, name=name)
        if bad is not None:
            return bad
        verdict = compare_arrays(f"{name} (K={jac.shape[0]})", out, reference(jac, probs, c), rtol=1e-5, atol=1e-8)
        if not verdict:
            return failed(verdict.message + " " + hint)
    return passed(f"{name} matches the reference on random Jacobians.")


def check_log_softmax_grad(fn: Callable[[Jacobian, torch.Tensor, int], torch.Tensor]) -> CheckResult:
    """Exercise 2: `fn(jacobian, probs, c)` must return d log P_c/dI = J[c] - sum_k P_k J[k]."""
    return _check_gradient(
        "log_softmax_grad", fn, reference_log_softmax_grad,
        "Hint: log P_c = S_c - log sum_k exp(S_k); differentiate the log-sum-exp.", seed=5,
    )


def check_softmax_grad(fn: Callable[[Jacobian, torch.Tensor, int], torch.Tensor]) -> CheckResult:
    """Exercise 3: `fn(jacobian, probs, c)` must return dP_c/dI = P_c (J[c] - sum_k P_k J[k])."""
    return _check_gradient(
        "softmax_grad", fn, reference_softmax_grad,
        "Hint: dP_c/dI = P_c * d log P_c/dI = P_c (1 - P_c) J[c] - P_c sum_{k != c} P_k J[k].", seed=6,
    )


# ----------------------------------------------------------------------------------------------
# Exercise 1: the Jacobian of the class scores, one backward pass per class.


def _small_network(seed: int, dim: int, hidden: int, classes: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """A random two-layer tanh network x (D,) -> scores (K,), standing in for a CNN."""
    gen = torch.Generator().manual_seed(seed)
    w1 = torch.randn(hidden, dim, generator=gen, dtype=torch.float64)
    w2 = torch.randn(classes, hidden, generator=gen, dtype=torch.float64)
    return lambda x: w2 @ torch.tanh(w1 @ x)


def reference_score_jacobian(score_fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> Jacobian:
    """(K, D) Jacobian of score_fn at x by torch's own routine (row k = dS_k/dI)."""
    return torch.autograd.functional.jacobian(score_fn, x.detach())


def check_score_jacobian(fn: Callable[[Callable[[torch.Tensor], torch.Tensor], torch.Tensor], Jacobian]) -> CheckResult:
    """Exercise 1: `fn(score_fn, x (D,)) -> (K, D)`, row k = dS_k/dx, without changing x."""
    gen = torch.Generator().manual_seed(7)
    for dim, hidden, classes in [(4, 6, 3), (10, 8, 6)]:
        score_fn = _small_network(dim * classes, dim, hidden, classes)
        x = torch.randn(dim, generator=gen, dtype=torch.float64)
        given = x.clone()
        out, bad = call_student(fn, score_fn, given, name="score_jacobian")
        if bad is not None:
            return bad
        if given.requires_grad or not torch.equal(given.detach(), x):
            return failed("score_jacobian changed its input x (values or requires_grad); work on x.detach().requires_grad_(True).")
        verdict = compare_arrays(f"score_jacobian (K={classes}, D={dim})", out, reference_score_jacobian(score_fn, x), rtol=1e-6, atol=1e-9)
        if not verdict:
            return failed(verdict.message + " Hint: one torch.autograd.grad(scores[k], x, retain_graph=True) per class k; stack the rows.")
    return passed("row k is dS_k/dI, one backward pass per class, as `log_softmax_gradient_identity` does on the toy CNN.")


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
    0.0005,
    "P_c (1 - P_c) = 0.99 x 0.01 = 0.0099. The competitor term is of the same order, not smaller: its weights P_c P_k "
    "add up to P_c (1 - P_c) as well, so both terms are of order (1 - P_c) |dS_c/dI| (on the toy it is sometimes the "
    "larger). A confident prediction has a nearly flat P_c map, fainter by a factor of the order of 1 - P_c.",
    mistakes=[(0.99, "that is P_c itself; the logit term is weighted by P_c (1 - P_c).")],
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
