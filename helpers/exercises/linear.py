"""Checks and questions for notebook 01 (the linear model and the first-order expansion, paper Eqs. 2-4).

Exercise 1 computes the gradient of a small ReLU network's score by hand and is compared with autograd;
exercise 2 is the finite-difference check of the first-order Taylor expansion (Eq. 3) that the notebook
plots. Each check runs the student's function on random inputs and says what differs.
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
    not_a_float,
    not_a_tensor,
    run_student,
)

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


def _relu_mistakes(
    w1: torch.Tensor, b1: torch.Tensor, v: torch.Tensor, x: torch.Tensor
) -> list[tuple[str, torch.Tensor]]:
    """The usual wrong gradients, each with the words that name it."""
    z = w1 @ x + b1
    return [
        (
            "the ReLU's derivative is missing: only the units that are on (W1 x + b1 > 0) pass their weights back, so "
            "multiply v by the mask [W1 x + b1 > 0] before W1^T",
            w1.T @ v,
        ),
        (
            "you multiplied by relu(W1 x + b1), the units' outputs; the chain rule needs the derivative relu', which is 1 "
            "where W1 x + b1 > 0 and 0 elsewhere",
            w1.T @ (v * torch.relu(z)),
        ),
        (
            "the mask leaves out b1: a unit is on where W1 x + b1 > 0, bias included",
            w1.T @ (v * (w1 @ x > 0).to(v.dtype)),
        ),
        (
            "the mask is reversed: relu' is 1 where W1 x + b1 > 0 (the unit is on), 0 where it is off",
            w1.T @ (v * (z < 0).to(v.dtype)),
        ),
    ]


def _relu_cases(device: str | torch.device) -> list[tuple[torch.Tensor, ...]]:
    """(w1 (H,D), b1 (H,), v (H,), x (D,)) for three sizes, made on the CPU then moved to `device`."""
    gen, dtype = torch.Generator().manual_seed(101), exercise_dtype(device)
    cases = []
    for hidden, dim in [(5, 3), (16, 12), (40, 8)]:
        shapes = [(hidden, dim), (hidden,), (hidden,), (dim,)]
        cases.append(
            tuple(torch.randn(s, generator=gen, dtype=torch.float64, device="cpu").to(device, dtype) for s in shapes)
        )
    return cases


def check_relu_gradient(
    fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    device: str | torch.device = "cpu",
) -> CheckResult:
    """Exercise 1: `fn(w1 (H,D), b1 (H,), v (H,), x (D,)) -> (D,)` must equal autograd's dS/dx for S = v^T relu(W1 x + b1).

    The rules it checks: no autograd, the inputs unchanged, a (D,) tensor on the inputs' device; a wrong gradient
    is matched against the usual mistakes. Every tensor is made on `device` (pass the notebook's).
    """
    for inputs in _relu_cases(device):
        w1, _, _, x = inputs
        given = [t.clone() for t in inputs]
        out, problem = run_student(fn, *given, name="relu_gradient", forbid=("autograd",))
        per_unit = isinstance(out, torch.Tensor) and tuple(out.shape) == (w1.shape[0],) != tuple(x.shape)
        problem = first_problem(
            problem,
            changed_inputs(given, inputs, "relu_gradient"),
            failed(
                f"relu_gradient has shape {tuple(out.shape)}, one value per hidden unit: the gradient has one value per input, "
                f"{tuple(x.shape)}; multiply by W1 transposed, W1.T @ (...)."
            )
            if per_unit
            else None,
            not_a_tensor(out, "relu_gradient", x.shape),
        )
        if problem is not None:
            return problem
        expected = _autograd_gradient(*inputs)
        got = out.detach().to(expected.device, expected.dtype)
        if not close(got, expected):
            named = [words for words, wrong in _relu_mistakes(*inputs) if close(got, wrong)]
            hint = (
                named[0]
                if named
                else "the chain rule gives W1^T (v * relu'(W1 x + b1)), and relu'(z) is 1 where z > 0, else 0"
            )
            worst = float((got - expected).abs().max())
            return failed(
                f"relu_gradient (hidden={w1.shape[0]}, D={x.shape[0]}) differs from autograd by up to {worst:.3g}: {hint}."
            )
    problem = default_device_problem(fn, lambda: _relu_cases("cpu")[0], "relu_gradient", forbid=("autograd",))
    if problem is not None:
        return problem
    return passed(
        "dS/dx = W1^T (v * [W1 x + b1 > 0]), exactly what autograd computes. Near x the network *is* the linear model "
        "w^T x + b (Eq. 3) with w = dS/dx (Eq. 4), until a hidden unit switches on or off."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 2: the finite-difference check of the first-order expansion.


def taylor_error_reference(
    score: ScoreFn, x0: torch.Tensor, grad: torch.Tensor, direction: torch.Tensor, eps: float
) -> float:
    """|S(x0 + eps d) - S(x0) - eps w^T d| / |eps w^T d|: the relative error of the first-order prediction."""
    return taylor_error_variant(score, x0, grad, direction, eps)


def taylor_error_variant(
    score: ScoreFn,
    x0: torch.Tensor,
    grad: torch.Tensor,
    direction: torch.Tensor,
    eps: float,
    *,
    step: float = 1.0,
    eps_in_step: bool = True,
    eps_in_prediction: bool = True,
    denominator: str = "predicted",
    absolute: bool = True,
) -> float:
    """The relative error, or one usual mistake of it (the keywords; the defaults are the right formula).

    `step` -1 steps backwards; `eps_in_step` / `eps_in_prediction` False drop eps there; `denominator` is
    "predicted", "actual", "score" or "none" (the absolute error); `absolute` False keeps the sign.
    """
    with torch.no_grad():
        scale = eps if eps_in_step else 1.0
        predicted = (eps if eps_in_prediction else 1.0) * float((grad * direction).sum())
        actual = float(score(x0 + step * scale * direction) - score(x0))
        error = actual - predicted
        under = {"predicted": predicted, "actual": actual, "score": float(score(x0)), "none": 1.0}[denominator]
    value = error / abs(under)
    return abs(value) if absolute else value


# The usual mistakes of exercise 2: the settings of `taylor_error_variant` that reproduce each, and the words.
TAYLOR_MISTAKES: tuple[tuple[dict, str], ...] = (
    (
        dict(step=-1.0),
        "the step goes the wrong way: the expansion is evaluated at x0 + eps * direction, not x0 - eps * direction",
    ),
    (
        dict(eps_in_prediction=False),
        "eps is missing from the prediction: the predicted change is eps * sum(grad * direction), "
        "in the numerator and the denominator",
    ),
    (dict(eps_in_step=False), "eps is missing from the step: evaluate the score at x0 + eps * direction"),
    (
        dict(denominator="none"),
        "that is the absolute error |actual - predicted|; the exercise asks for the relative error: "
        "divide by the predicted change |eps * sum(grad * direction)|",
    ),
    (
        dict(denominator="score"),
        "you divided by the score |S(x0)|; divide by the predicted change |eps * sum(grad * direction)|",
    ),
    (
        dict(denominator="actual"),
        "you divided by the actual change S(x0 + eps d) - S(x0); divide by the predicted change "
        "|eps * sum(grad * direction)|",
    ),
    (dict(absolute=False), "the error has a sign: take the absolute value of the numerator"),
)


def _quadratic(a: torch.Tensor, g: torch.Tensor) -> ScoreFn:
    """S(x) = g^T x + 1/2 x^T A x: its Taylor error is known in closed form."""
    return lambda x: g @ x + 0.5 * x @ (a @ x)


def _taylor_setting(
    device: str | torch.device,
) -> tuple[ScoreFn, list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]]:
    """A quadratic score on `device` and three (x0, grad, direction) triples at which to expand it."""
    gen, dtype, dim = torch.Generator().manual_seed(102), exercise_dtype(device), 6

    def draw(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=gen, dtype=torch.float64, device="cpu").to(device, dtype)

    m = draw(dim, dim)
    a, g = m + m.T, draw(dim)
    points = []
    for _ in range(3):
        x0, d = draw(dim), draw(dim)
        points.append((x0, g + a @ x0, d / d.norm()))
    return _quadratic(a, g), points


def _diagnose_taylor(value: float, score: ScoreFn, inputs: tuple[torch.Tensor, ...], eps: float) -> str:
    for settings, words in TAYLOR_MISTAKES:
        wrong = taylor_error_variant(score, *inputs, eps, **settings)
        if abs(value - wrong) <= 1e-6 * abs(wrong) + 1e-300:  # relative: some wrong values are tiny
            return f" {words[0].upper()}{words[1:]}." if words[:3] != "eps" else f" {words}."
    return " Hint: |S(x0 + eps d) - S(x0) - eps w^T d| / |eps w^T d|."


def check_taylor_error(
    fn: Callable[[ScoreFn, torch.Tensor, torch.Tensor, torch.Tensor, float], float], device: str | torch.device = "cpu"
) -> CheckResult:
    """Exercise 2: `fn(score, x0, grad, direction, eps) -> float` must be the relative error of the first-order prediction.

    The rules it checks: a Python float, the inputs unchanged (the notebook reuses its x0), the inputs' device;
    a wrong value is matched against the usual mistakes. Every tensor is made on `device`.
    """
    score, points = _taylor_setting(device)
    tight = (
        exercise_dtype(device) == torch.float64
    )  # float32 (Apple's MPS) cancels digits at tiny steps: larger steps, looser
    for inputs in points:
        for eps in (1e-3, 0.1, 2.0) if tight else (0.1, 2.0):
            given = [t.clone() for t in inputs]
            out, problem = run_student(fn, score, *given, eps, name="taylor_error")
            problem = first_problem(
                problem,
                changed_inputs(given, inputs, "taylor_error", " (the notebook calls it again with its own x0)"),
                not_a_float(out, "taylor_error"),
            )
            if problem is not None:
                return problem
            expected = taylor_error_reference(score, *inputs, eps)
            if not abs(out - expected) <= (1e-6 if tight else 1e-2) * max(1.0, abs(expected)):
                return failed(
                    f"taylor_error(eps={eps:g}) = {out:.6g}; expected {expected:.6g}.{_diagnose_taylor(out, score, inputs, eps)}"
                )

    def cpu_args() -> tuple:
        cpu_score, cpu_points = _taylor_setting("cpu")
        return (cpu_score, *cpu_points[0], 0.1)

    problem = default_device_problem(fn, cpu_args, "taylor_error")
    if problem is not None:
        return problem
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
    mistakes=[
        (4.3, "that is the new score, S(I0 + d) = 4.5 - 0.2; the question asks for the change."),
        (0.2, "check the sign: 0.2 - 0.2 - 0.2 = -0.2, the score goes down."),
    ],
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
    "approximate, though it does not fail at once: the gradient turns only slowly across the next pieces (the "
    "notebook measures its cosine one grey level away). |w| describes the score's response to small changes of "
    "*this* image.",
    why_wrong={
        "b": "For a smooth curved score the relative error grows in proportion to the step from the smallest step on "
        "(exercise 2's quadratic); it would not sit at rounding level and then jump. The jump is a kink: a ReLU switching.",
        "c": "float64 rounding is about 1e-16 of the values, far below the jump; the jump comes from the network, not the arithmetic.",
        "d": "They fail to be differentiable only on the boundaries between pieces, which a random image almost never lies "
        "on; at I0 the gradient is exact, which is why tiny steps are predicted to rounding error.",
    },
)

QUIZ = (Q1, Q2, Q3)
