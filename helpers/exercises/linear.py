"""Checks and questions for notebook 01 (the linear model and the first-order expansion, paper Eqs. 2-4).

Exercise 1 computes the gradient of a small ReLU network's score by hand and is compared with autograd;
exercise 2 is the finite-difference check of the first-order Taylor expansion (Eq. 3) that the notebook
plots. Each check runs the student's function on random inputs and says what differs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from . import CheckResult, call_student, compare_arrays, failed, passed
from .quiz import MultipleChoice, NumericAnswer

ScoreFn = Callable[[torch.Tensor], torch.Tensor]


# ----------------------------------------------------------------------------------------------
# Exercise 1: the gradient of a one-hidden-layer ReLU score, by hand.


def relu_score(w1: torch.Tensor, b1: torch.Tensor, v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """S(x) = v^T relu(W1 x + b1) for one flattened input x (D,): a scalar."""
    return v @ torch.relu(w1 @ x + b1)


def relu_gradient_reference(w1: torch.Tensor, b1: torch.Tensor, v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """dS/dx = W1^T (v * [W1 x + b1 > 0]): the weights of the units that are switched on, shape (D,)."""
    active = (w1 @ x + b1 > 0).to(w1.dtype)
    return w1.T @ (v * active)


def _autograd_gradient(w1: torch.Tensor, b1: torch.Tensor, v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """dS/dx by autograd, to show that the reference is what backpropagation computes."""
    xg = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(relu_score(w1, b1, v, xg), xg)
    return grad


def check_relu_gradient(fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]) -> CheckResult:
    """Exercise 1: `fn(w1 (H,D), b1 (H,), v (H,), x (D,)) -> (D,)` must equal autograd's dS/dx for S = v^T relu(W1 x + b1)."""
    gen = torch.Generator().manual_seed(101)
    for hidden, dim in [(5, 3), (16, 12), (40, 8)]:
        w1 = torch.randn(hidden, dim, generator=gen, dtype=torch.float64)
        b1 = torch.randn(hidden, generator=gen, dtype=torch.float64)
        v = torch.randn(hidden, generator=gen, dtype=torch.float64)
        x = torch.randn(dim, generator=gen, dtype=torch.float64)
        inputs = (w1, b1, v, x)
        given = [t.clone() for t in inputs]
        out, problem = call_student(fn, *given, name="relu_gradient")
        if problem is not None:
            return problem
        if any(not torch.equal(t, t0) for t, t0 in zip(given, inputs)):
            return failed("relu_gradient changed its inputs in place; compute a new tensor instead.")
        verdict = compare_arrays(f"relu_gradient (hidden={hidden}, D={dim})", out, _autograd_gradient(*inputs), rtol=1e-6, atol=1e-9)
        if not verdict:
            return failed(
                verdict.message + " Hint: the chain rule gives W1^T (v * relu'(W1 x + b1)), and relu'(z) is 1 where z > 0, else 0."
            )
    return passed(
        "dS/dx = W1^T (v * [W1 x + b1 > 0]), exactly what autograd computes. Near x the network *is* the linear model "
        "w^T x + b (Eq. 3) with w = dS/dx (Eq. 4), until a hidden unit switches on or off."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 2: the finite-difference check of the first-order expansion.


def taylor_error_reference(score: ScoreFn, x0: torch.Tensor, grad: torch.Tensor, direction: torch.Tensor, eps: float) -> float:
    """|S(x0 + eps d) - S(x0) - eps w^T d| / |eps w^T d|: the relative error of the first-order prediction."""
    predicted = eps * float((grad * direction).sum())
    actual = float(score(x0 + eps * direction) - score(x0))
    return abs(actual - predicted) / abs(predicted)


def _quadratic(a: torch.Tensor, g: torch.Tensor) -> ScoreFn:
    """S(x) = g^T x + 1/2 x^T A x: its Taylor error is known in closed form."""
    return lambda x: g @ x + 0.5 * x @ (a @ x)


def check_taylor_error(fn: Callable[[ScoreFn, torch.Tensor, torch.Tensor, torch.Tensor, float], float]) -> CheckResult:
    """Exercise 2: `fn(score, x0, grad, direction, eps) -> float` must be the relative error of the first-order prediction."""
    gen = torch.Generator().manual_seed(102)
    dim = 6
    m = torch.randn(dim, dim, generator=gen, dtype=torch.float64)
    a, g = m + m.T, torch.randn(dim, generator=gen, dtype=torch.float64)
    score = _quadratic(a, g)
    for _ in range(3):
        x0 = torch.randn(dim, generator=gen, dtype=torch.float64)
        grad = g + a @ x0
        d = torch.randn(dim, generator=gen, dtype=torch.float64)
        d = d / d.norm()
        for eps in (1e-3, 0.1, 2.0):
            inputs = (x0, grad, d)
            out, problem = call_student(fn, score, *(t.clone() for t in inputs), eps, name="taylor_error")
            if problem is not None:
                return problem
            try:
                value = float(out)
            except (TypeError, ValueError, RuntimeError):
                return failed(f"taylor_error should return one number; got {type(out).__name__}.")
            expected = taylor_error_reference(score, x0, grad, d, eps)
            if not abs(value - expected) <= 1e-6 * max(1.0, abs(expected)):
                hint = (
                    " Hint: divide by the predicted change |eps * sum(grad * direction)|, not by the score."
                    if abs(value - expected) > 1e-3 * abs(expected) else ""
                )
                return failed(f"taylor_error(eps={eps:g}) = {value:.6g}; expected {expected:.6g}.{hint}")
    return passed(
        "the error of S(x0) + eps w^T d grows in proportion to eps for a smooth (here quadratic) score; "
        "for a ReLU network it is at rounding level until a unit switches."
    )


# ----------------------------------------------------------------------------------------------
# Check your understanding.

Q1 = MultipleChoice(
    "A linear classifier S_c(I) = w_c^T I + b_c (Eq. 2) is given two different images of a circle, one left of the "
    "centre and one right of it. How do its two saliency maps for class 'circle' compare?",
    [
        "Each map highlights where the circle is in that image.",
        "They are identical: the gradient is w_c whatever the image, so the map is max over colours of |w_c|.",
        "They have the same shape, the template of a circle, shifted to where each circle lies.",
        "They differ only by the brightness of the two images.",
    ],
    "b",
    "dS_c/dI = w_c does not depend on I, so the map max_colour |w_c| is the same for every image: a linear "
    "model cannot say where *this* object is. A CNN's gradient (Eq. 4) changes with the image.",
    why_wrong={
        "a": "This is what a CNN's map does; a linear model's gradient is its weight template w_c, which does not see the image.",
        "c": "Nothing in dS_c/dI = w_c depends on the image, so nothing can shift it: the template stays where training put "
             "it, and a circle elsewhere is simply scored lower.",
        "d": "The gradient of w_c^T I + b_c does not contain I at all, so not even the brightness enters the map.",
    },
)

Q2 = NumericAnswer(
    "A linear score has w = (2, -1, 0.5) and b = 3. At I0 = (1, 1, 1) the score is 4.5. "
    "By how much does the score change when the image moves by d = (0.1, 0.2, -0.4)?",
    -0.2,
    1e-6,
    "The change is w^T d = 2(0.1) - 1(0.2) + 0.5(-0.4) = -0.2, exactly, however large d is: for a linear model "
    "the first-order expansion (Eq. 3) has no error. For a CNN it holds only near I0.",
    mistakes=[(4.3, "that is the new score, S(I0 + d) = 4.5 - 0.2; the question asks for the change."),
              (0.2, "check the sign: 0.2 - 0.2 - 0.2 = -0.2, the score goes down.")],
)

Q3 = MultipleChoice(
    "In the notebook's Taylor plot for the toy CNN, the first-order prediction is correct to rounding error for "
    "tiny steps, then its error jumps by orders of magnitude within a narrow range of steps. Why?",
    [
        "The toy CNN is piecewise linear (ReLU, max-pooling): it is exactly linear until a step is big enough to "
        "switch a ReLU or change a pooling winner.",
        "The score is a smooth, curved function of the image, and Taylor's theorem says the error of a first-order "
        "expansion grows with the step.",
        "float64 rounding error grows with the step size.",
        "ReLU and max-pooling are not differentiable, so dS_c/dI is only an approximation, good for tiny steps only.",
    ],
    "a",
    "Inside one linear piece the network *is* w^T I + b with w = dS_c/dI at I0 (Eqs. 3-4). A random direction "
    "crosses a ReLU or pooling boundary after a very short distance, and from there the expansion is only "
    "approximate: |w| describes the score's response to small changes of *this* image.",
    why_wrong={
        "b": "For a smooth curved score the relative error grows in proportion to the step from the smallest step on "
             "(exercise 2's quadratic); it would not sit at rounding level and then jump. The jump is a kink: a ReLU switching.",
        "c": "float64 rounding is about 1e-16 of the values, far below the jump; the jump comes from the network, not the arithmetic.",
        "d": "They fail to be differentiable only on the boundaries between pieces, which a random image almost never lies "
             "on; at I0 the gradient is exact, which is why tiny steps are predicted to rounding error.",
    },
)

QUIZ = (Q1, Q2, Q3)
