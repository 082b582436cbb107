"""Checks and questions for notebook 06 (the paper's Section 4: gradient, DeconvNet, guided backprop).

The notebook's exercises: 1. a convolution's backward pass (`check_conv1d_input_gradient`: the transposed
convolution, with flipped filters, swapped channels and stride); 2. max-pooling's backward pass
(`check_maxpool2d_backward`: the switches); 3. the fooling loop (`check_fooling_loop`, defined in `.adversarial`
and re-exported here: iterated sign-gradient steps within an L-inf budget, Kurakin et al. 2016); 4. (extra) guided backprop's ReLU rule
(`check_guided_rule`). Each check compares with autograd or a reference and names the usual mistake.
`check_deconvnet_rule` and `check_rules_max_difference` are further ReLU-rule checks.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .. import attribution as A
from . import CheckResult, call_student, compare_arrays, failed, passed
from .adversarial import FOOLING_MISTAKES, check_fooling_loop, fooling_check_net, fooling_loop_reference  # noqa: F401 - 06's exercise 3
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

StudentRule = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _random_signal(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A backward signal and a forward input with both signs, a few exact zeros, shape (2, 3, 5, 4)."""
    gen = torch.Generator().manual_seed(seed)
    g, x = torch.randn(2, 3, 5, 4, generator=gen, device="cpu"), torch.randn(2, 3, 5, 4, generator=gen, device="cpu")
    x[0, 0, 0] = 0.0
    return g, x


def tiny_relu_net() -> nn.Module:
    """A fixed small conv net with ReLUs (3 classes, 12 px input), for checking rules end to end."""
    torch.manual_seed(60)
    net = nn.Sequential(
        nn.Conv2d(3, 5, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(5, 6, 3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(6 * 4 * 4, 3),
    )
    return net.eval().requires_grad_(False)


class LinearConvNet(nn.Module):
    """Convolution, max-pooling and a linear head, with no rectifier anywhere (3 classes, 12 px input)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(61)
        self.conv1, self.conv2, self.fc = nn.Conv2d(3, 5, 3, padding=1), nn.Conv2d(5, 6, 3), nn.Linear(6 * 4 * 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.conv2(F.max_pool2d(self.conv1(x), 2)).flatten(1))


# The other two rules, named when a student writes one of them instead of the one asked for.
RULE_MISTAKES: dict[str, str] = {
    "gradient": "that is the gradient rule (the chain rule): it masks by the forward input, x > 0, and passes negative "
    "signals too",
    "deconvnet": "that is the DeconvNet rule: it keeps the positive backward signal wherever the unit was, ignoring x",
    "guided": "that is the guided rule: both masks at once, x > 0 and grad_out > 0",
}
# Further usual slips: (words, function of (grad_out, x)).
OTHER_RULE_MISTAKES: tuple[tuple[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]], ...] = (
    (
        "at x = 0 the unit is off (PyTorch's relu'(0) is 0): mask with x > 0, not x >= 0",
        lambda g, x: g * ((x >= 0) & (g > 0)),
    ),
    (
        "you multiplied by relu(x), the unit's output; the rule uses the mask x > 0 (0 or 1), not the value",
        lambda g, x: g.clamp(min=0) * x.clamp(min=0),
    ),
)


def _name_rule(got: torch.Tensor, g: torch.Tensor, x: torch.Tensor, rule: str) -> str | None:
    """The words for a wrong rule the student's output equals (another of the three rules first), else None."""
    for other, words in RULE_MISTAKES.items():
        if other != rule and close(got, A.RULE_FUNCTIONS[other](g, x)):
            return words
    return next((words for words, wrong in OTHER_RULE_MISTAKES if close(got, wrong(g, x))), None)


def _check_rule(fn: StudentRule, rule: str, name: str, hint: str, seed: int, device: str | torch.device) -> CheckResult:
    """Compare a student's ReLU backward rule with the reference on tensors, then end to end on a network, on `device`."""
    g, x = (t.to(device) for t in _random_signal(seed))
    given = (g.clone(), x.clone())
    out, problem = run_student(fn, *given, name=name)
    problem = first_problem(problem, changed_inputs(given, (g, x), name), not_a_tensor(out, name, g.shape))
    if problem is not None:
        return problem
    got = out.detach().to(g.device, g.dtype)
    if not close(got, A.RULE_FUNCTIONS[rule](g, x)):
        verdict = compare_arrays(f"{name}(grad_out, x)", got, A.RULE_FUNCTIONS[rule](g, x))
        named = _name_rule(got, g, x, rule)
        return failed(f"{verdict.message} {named[0].upper() + named[1:] + '.' if named else hint}")
    net = tiny_relu_net().to(device)
    image = torch.randn(2, 3, 12, 12, generator=torch.Generator().manual_seed(seed + 1), device="cpu").to(device)
    try:
        mine = A.backprop_saliency(net, image, [0, 2], rule=lambda go, xi, upper: fn(go, xi), reduce=None)
    except Exception as err:  # the student's rule runs inside autograd; report, don't crash
        return failed(f"{name} works on tensors but failed inside the backward pass: {type(err).__name__}: {err}")
    verdict = compare_arrays(
        f"the {rule} map of a small ReLU network", mine, A.backprop_saliency(net, image, [0, 2], rule=rule, reduce=None)
    )
    if not verdict:
        return verdict
    problem = default_device_problem(fn, lambda: _random_signal(seed), name)
    return (
        problem if problem is not None else passed(f"your rule, swapped in at every ReLU, reproduces the {rule} map.")
    )


def check_deconvnet_rule(fn: StudentRule, device: str | torch.device = "cpu") -> CheckResult:
    """`fn(grad_out, x) -> grad_in` must be DeconvNet's ReLU rule (the gradient and guided rules are named), on `device`."""
    verdict = _check_rule(
        fn, "deconvnet", "deconvnet_relu", "Hint: DeconvNet ignores x; it applies a ReLU to grad_out.", 62, device
    )
    if verdict:
        return passed(
            "DeconvNet passes only the positive part of the backward signal, wherever the unit was. " + verdict.message
        )
    return verdict


def check_guided_rule(fn: StudentRule, device: str | torch.device = "cpu") -> CheckResult:
    """Exercise 4: `fn(grad_out, x) -> grad_in` must be guided backprop's ReLU rule (the gradient and DeconvNet rules are
    named); the inputs unchanged, a tensor of their shape on their device (every tensor is made on `device`)."""
    verdict = _check_rule(
        fn, "guided", "guided_relu", "Hint: keep grad_out only where x > 0 AND grad_out > 0.", 63, device
    )
    if verdict:
        return passed(
            "guided backprop = the gradient's mask (x > 0) and DeconvNet's (grad_out > 0). " + verdict.message
        )
    return verdict


def rules_max_difference_reference(model: nn.Module, x: torch.Tensor, target: int) -> float:
    """Largest absolute difference between any two of the three signed signals (gradient, DeconvNet, guided)."""
    signals = [A.backprop_saliency(model, x, target, rule=rule, reduce=None) for rule in A.RULES]
    return max(float((a - b).abs().max()) for i, a in enumerate(signals) for b in signals[i + 1 :])


def check_rules_max_difference(fn: Callable[[nn.Module, torch.Tensor, int], float]) -> CheckResult:
    """Exercise 3: `fn(model, x, target)` -> the largest difference between the rules; 0 without ReLU."""
    x = torch.randn(1, 3, 12, 12, generator=torch.Generator().manual_seed(64), device="cpu")
    results = []
    for model in (LinearConvNet().eval(), tiny_relu_net()):
        out, problem = call_student(fn, model, x.clone(), 1, name="rules_max_difference")
        if problem is not None:
            return problem
        try:
            results.append(float(out))
        except (TypeError, ValueError):
            return failed(f"rules_max_difference should return one number; got {type(out).__name__}.")
    without, with_relu = results
    expected = rules_max_difference_reference(tiny_relu_net(), x, 1)
    if abs(without) > 1e-6:
        return failed(
            f"on the network without ReLU you got {without:.3g}; the three rules differ only at ReLUs, so expect 0. "
            "Hint: compare the signed signals (reduce=None) of all three rules."
        )
    if abs(with_relu - expected) > 1e-4 * max(1.0, expected):
        return failed(
            f"on a network with ReLUs you got {with_relu:.4g}; expected {expected:.4g}. Hint: the maximum over all "
            "pixels of |a - b|, for every pair of rules."
        )
    return passed(
        f"without ReLU the three rules are one and the same gradient (difference {without:.1g}); "
        f"with ReLUs they differ (up to {with_relu:.3g})."
    )


# ---------------------------------------------------------------------------------------------
# Exercise 1: a convolution's backward pass is the transposed convolution (flipped filters, swapped channels, stride).


def conv1d_input_gradient_reference(
    grad_out: torch.Tensor, weight: torch.Tensor, stride: int, length: int
) -> torch.Tensor:
    """dL/dx of y = conv1d(x, weight, stride) (no padding, no bias) for x of `length`, given dL/dy: by autograd."""
    x = torch.zeros(
        grad_out.shape[0], weight.shape[1], length, dtype=grad_out.dtype, device=grad_out.device, requires_grad=True
    )
    with torch.enable_grad():
        y = F.conv1d(x, weight, stride=stride)
        (grad,) = torch.autograd.grad(y, x, grad_out)
    return grad


# (in channels, out channels, filter taps, stride, input length, batch): one case per idea, each with a filter
# that is not a palindrome: 1 channel and stride 1 (the flip), 3 -> 3 channels (the channel swap), then
# 2 -> 4 channels with stride 2 and a last input value that no window reaches (the stride, the tail).
CONV_CASES = ((1, 1, 3, 1, 9, 1), (3, 3, 3, 1, 8, 2), (2, 4, 3, 2, 12, 2))
FORBID_CONV = ("autograd", "conv_transpose")  # exercise 1 writes the transposed convolution by hand


def _conv_inputs(device: str | torch.device) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(grad_out (N,C_out,L_out), weight (C_out,C_in,K)) for each of CONV_CASES, made on the CPU, moved to `device`."""
    gen, dtype, out = torch.Generator().manual_seed(65), exercise_dtype(device), []
    for c_in, c_out, taps, stride, length, batch in CONV_CASES:
        weight = torch.randn(c_out, c_in, taps, generator=gen, dtype=torch.float64, device="cpu")
        grad_out = torch.randn(
            batch, c_out, (length - taps) // stride + 1, generator=gen, dtype=torch.float64, device="cpu"
        )
        out.append((grad_out.to(device, dtype), weight.to(device, dtype)))
    return out


def check_conv1d_input_gradient(
    fn: Callable[[torch.Tensor, torch.Tensor, int, int], torch.Tensor], device: str | torch.device = "cpu"
) -> CheckResult:
    """Exercise 1: `fn(grad_out (N,C_out,L_out), weight (C_out,C_in,K), stride, length) -> (N,C_in,length)`, dL/dx of conv1d.

    Compared with autograd on three cases, each built to expose one usual mistake: the filter not flipped, the
    channel axes not swapped, the stride or the uncovered tail ignored. The rules it checks: no autograd and no
    conv_transpose (refused when called), the inputs unchanged, a tensor on the inputs' device. Every tensor is
    made on `device` (pass the notebook's).
    """
    for (c_in, c_out, taps, stride, length, _), (grad_out, weight) in zip(CONV_CASES, _conv_inputs(device)):
        l_out = grad_out.shape[-1]
        given = (grad_out.clone(), weight.clone())
        case = f"(C_in={c_in}, C_out={c_out}, K={taps}, stride={stride}, length={length})"
        out, problem = run_student(fn, *given, stride, length, name="conv1d_input_gradient", forbid=FORBID_CONV)
        if problem is not None:
            if c_in != c_out and "raised RuntimeError" in problem.message:
                return failed(
                    f"{problem.message} {case} Hint: the backward pass takes C_out channels in and gives C_in "
                    "out, so the filter bank needs its two channel axes swapped: weight.transpose(0, 1)."
                )
            return problem
        problem = first_problem(
            changed_inputs(given, (grad_out, weight), "conv1d_input_gradient"),
            not_a_tensor(out, "conv1d_input_gradient"),
        )
        if problem is not None:
            return problem
        expected = conv1d_input_gradient_reference(grad_out, weight, stride, length)
        if tuple(out.shape) != tuple(expected.shape):
            covered = (l_out - 1) * stride + taps
            if out.ndim == 3 and out.shape[-1] == l_out + taps - 1 and stride > 1:
                hint = (
                    f"the length {out.shape[-1]} = L_out + K - 1 is what stride 1 gives: the stride was ignored. Put each "
                    f"value of grad_out at position stride * p, with stride - 1 zeros in between, before the full convolution."
                )
            elif out.ndim == 3 and out.shape[-1] == covered and covered < length:
                hint = (
                    f"the last {length - covered} input value(s) lie in no window: they do not affect the output, so "
                    "their gradient is 0. Pad the result with zeros to `length`."
                )
            elif out.ndim == 3 and out.shape[1] == c_out != c_in:
                hint = "it has C_out channels: the backward pass sums over the output channels, so swap the weight's channel axes."
            else:
                hint = "expected (N, C_in, length)."
            return failed(
                f"conv1d_input_gradient {case} has shape {tuple(out.shape)}; expected {tuple(expected.shape)}: {hint}"
            )
        out = out.detach().to(expected.device, expected.dtype)
        if close(out, expected):
            continue
        named = [
            (
                "the filter was not flipped: the backward pass correlates with the flipped filter, K(-s) (use weight.flip(-1))",
                conv1d_input_gradient_reference(grad_out, weight.flip(-1), stride, length),
            ),
        ]
        if c_in == c_out:
            swapped = weight.transpose(0, 1)
            named += [
                (
                    "the channel axes were not swapped: input channel i collects from every output channel o through "
                    "K(o, i, .), so the backward filter bank is weight.transpose(0, 1)",
                    conv1d_input_gradient_reference(grad_out, swapped, stride, length),
                ),
                (
                    "neither flipped nor channel-swapped: use weight.flip(-1).transpose(0, 1)",
                    conv1d_input_gradient_reference(grad_out, swapped.flip(-1), stride, length),
                ),
            ]
        for words, wrong in named:
            if close(out, wrong):
                return failed(f"conv1d_input_gradient {case}: {words}.")
        worst = float((out - expected).abs().max())
        return failed(
            f"conv1d_input_gradient {case} differs from autograd's gradient by up to {worst:.3g}. Hint: upsample "
            "grad_out with stride - 1 zeros between values, pad K - 1 zeros on both sides, then F.conv1d with "
            "weight.flip(-1).transpose(0, 1); pad the result to `length`."
        )
    problem = default_device_problem(
        fn,
        lambda: (*_conv_inputs("cpu")[2], CONV_CASES[2][3], CONV_CASES[2][4]),
        "conv1d_input_gradient",
        forbid=FORBID_CONV,
    )
    if problem is not None:
        return problem
    return passed(
        "the gradient of a convolution is the convolution of the backward signal with the flipped filters, channel axes "
        "swapped, after inserting stride - 1 zeros between its values: the transposed convolution (F.conv_transpose1d), "
        "which is what DeconvNet calls 'deconvolution'."
    )


# ---------------------------------------------------------------------------------------------
# Exercise 2: max-pooling's backward pass routes the signal through the switches.


def maxpool2d_backward_reference(grad_out: torch.Tensor, x: torch.Tensor, k: int) -> torch.Tensor:
    """dL/dx of y = max_pool2d(x, k) (windows k x k, stride k), given dL/dy: by autograd."""
    xg = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(F.max_pool2d(xg, k), xg, grad_out)
    return grad


# (k, x's shape, ties): one case per idea. Without ties the usual mistakes (every input, average, minimum) are
# told apart; the last case has many tied maxima (values on a coarse grid), as the toy CNN has at 42-64% of its
# pooling windows, where only one input, the one PyTorch picks, gets the signal.
POOL_CASES = ((2, (1, 1, 4, 6), False), (2, (2, 3, 6, 4), False), (3, (1, 2, 9, 6), False), (2, (2, 2, 6, 6), True))
FORBID_POOL = ("autograd",)


def _pool_inputs(device: str | torch.device) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(grad_out, x) for each of POOL_CASES, made on the CPU then moved to `device`."""
    gen, dtype, out = torch.Generator().manual_seed(66), exercise_dtype(device), []
    for k, (n, c, h, w), ties in POOL_CASES:
        x = torch.randn(n, c, h, w, generator=gen, dtype=torch.float64, device="cpu")
        if ties:
            x = torch.randint(0, 3, (n, c, h, w), generator=gen, device="cpu").to(
                torch.float64
            )  # many windows with a tied maximum
            x[0, 0, :k, :k] = torch.tensor(
                [[0.0, 2.0], [2.0, 1.0]], dtype=torch.float64, device="cpu"
            )  # the tie is not the first input
        x[0, 0, :k, :k] -= 5.0  # one window whose maximum is negative: the switch, not a ReLU, decides
        grad_out = torch.randn(n, c, h // k, w // k, generator=gen, dtype=torch.float64, device="cpu")
        out.append((grad_out.to(device, dtype), x.to(device, dtype)))
    return out


def _upsample(t: torch.Tensor, k: int) -> torch.Tensor:
    return t.repeat_interleave(k, dim=2).repeat_interleave(k, dim=3)


def _pool_mistakes(grad_out: torch.Tensor, x: torch.Tensor, k: int) -> list[tuple[str, torch.Tensor]]:
    """The usual wrong backward passes of max-pooling, each with the words that name it."""
    spread = _upsample(grad_out, k)
    tied = (x == _upsample(F.max_pool2d(x, k), k)).to(grad_out.dtype)
    ties = _upsample(F.avg_pool2d(tied, k) * k**2, k)
    last = maxpool2d_backward_reference(grad_out.flip(-1, -2), x.flip(-1, -2), k).flip(-1, -2)
    return [
        (
            "the signal went to every input of the window: only the window's maximum (its switch) affected the output, "
            "so only it gets the gradient; the others get 0",
            spread,
        ),
        (
            "the signal was divided among the window's inputs: that is average pooling's backward pass; max-pooling "
            "passes it whole to the maximum",
            spread / k**2,
        ),
        (
            "the signal went to the window's minimum: the switch is the arg max",
            maxpool2d_backward_reference(grad_out, -x, k),
        ),
        (
            "in a window whose maximum is tied, your signal went to every tied input (a mask x == max): max-pooling's "
            "gradient routes it to one input only, the one PyTorch picks, the first in row-major order (argmax of the "
            "flattened window, or F.max_pool2d's indices)",
            spread * tied,
        ),
        (
            "in a window whose maximum is tied, your signal was split among the tied inputs: max-pooling's gradient "
            "routes it whole to one input, the first in row-major order (argmax of the flattened window)",
            spread * tied / ties,
        ),
        (
            "in a window whose maximum is tied, your signal went to the last tied input: PyTorch picks the first, in "
            "row-major order (argmax of the flattened window, or F.max_pool2d's indices)",
            last,
        ),
        (
            "a window whose maximum is negative got no signal; the switch is the arg max whatever its sign (no ReLU here)",
            maxpool2d_backward_reference(grad_out, x, k) * (x > 0),
        ),
    ]


def check_maxpool2d_backward(
    fn: Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor], device: str | torch.device = "cpu"
) -> CheckResult:
    """Exercise 2: `fn(grad_out (N,C,H/k,W/k), x (N,C,H,W), k) -> (N,C,H,W)`, dL/dx of max_pool2d(x, k).

    Compared with autograd, on windows with and without tied maxima (a tie routes to one input, the one PyTorch
    picks); an answer that sends the signal to every input of a window, averages it, routes it to the minimum,
    to every tied maximum or to the last one is named. The rules it checks: no autograd, the inputs unchanged,
    a tensor of x's shape on the inputs' device. Every tensor is made on `device` (pass the notebook's).
    """
    for (k, shape, _), (grad_out, x) in zip(POOL_CASES, _pool_inputs(device)):
        given = (grad_out.clone(), x.clone())
        case = f"(k={k}, x of shape {shape})"
        out, problem = run_student(fn, *given, k, name="maxpool2d_backward", forbid=FORBID_POOL)
        problem = first_problem(
            problem, changed_inputs(given, (grad_out, x), "maxpool2d_backward"), not_a_tensor(out, "maxpool2d_backward")
        )
        if problem is not None:
            return problem
        if tuple(out.shape) != tuple(x.shape):
            return failed(
                f"maxpool2d_backward {case} has shape {tuple(out.shape)}; expected x's shape {tuple(x.shape)}."
            )
        out = out.detach().to(x.device, x.dtype)
        expected = maxpool2d_backward_reference(grad_out, x, k)
        if close(out, expected):
            continue
        for words, wrong in _pool_mistakes(grad_out, x, k):
            if close(out, wrong):
                return failed(f"maxpool2d_backward {case}: {words}.")
        worst = float((out - expected).abs().max())
        return failed(
            f"maxpool2d_backward {case} differs from autograd's gradient by up to {worst:.3g}. Hint: "
            "F.max_pool2d(x, k, return_indices=True) gives the switches; F.max_unpool2d puts grad_out there."
        )
    k = POOL_CASES[-1][0]
    problem = default_device_problem(
        fn, lambda: (*_pool_inputs("cpu")[-1], k), "maxpool2d_backward", forbid=FORBID_POOL
    )
    if problem is not None:
        return problem
    return passed(
        "max-pooling's backward pass puts each window's signal at the position of its maximum (the 'switch' DeconvNet "
        "records; one input when the maximum is tied) and zeros elsewhere: DeconvNet's unpooling is the gradient."
    )


# ---------------------------------------------------------------------------------------------
# Check your understanding

Q1 = MultipleChoice(
    "At a ReLU unit whose forward input was negative (x = -1), the backward signal arriving from above is "
    "positive (g = +2). Which methods pass a non-zero signal further down?",
    ["all three", "only the gradient", "only DeconvNet", "DeconvNet and guided backprop"],
    "c",
    "The gradient and guided backprop both mask by the forward input (x < 0: the unit was off, its derivative is 0); "
    "DeconvNet ignores the forward input and keeps the positive signal, so it passes 2.",
    why_wrong={
        "a": "The gradient cannot pass it: a unit that was off (x < 0) has derivative 0, whatever arrives from above.",
        "b": "The gradient is exactly the one that blocks it: it masks by the forward input, and x = -1 was off.",
        "d": "Guided backprop applies the gradient's mask too (x > 0) before keeping positive signals, so it blocks it.",
    },
)

Q2 = NumericAnswer(
    "1-D example: y = ReLU(x) with x = (1, -2, 3) and a backward signal g = (-1, 4, 2). What is the sum of the "
    "guided-backprop signal dS/dx?",
    2.0,
    1e-6,
    "Guided keeps g where x > 0 and g > 0: (0, 0, 2), sum 2. The gradient gives (-1, 0, 2), DeconvNet (0, 4, 2).",
    mistakes=[
        (1.0, "that is the gradient's signal (-1, 0, 2): guided backprop also drops the negative g."),
        (6.0, "that is DeconvNet's signal (0, 4, 2): guided backprop also masks by the forward input (x > 0)."),
        (5.0, "that is the sum of g: the ReLU's backward rule passes only part of it."),
    ],
)

Q3 = MultipleChoice(
    "A change of at most a few gray levels per pixel, along sign(dS_c/dI), made 'tabby' the top-1 class of the coffee "
    "photo. What does this say about the saliency map |dS_c/dI| of the original photo?",
    [
        "Nothing: the change is invisible, so the model cannot have used those pixels.",
        "The gradient measures the score's local sensitivity, and sensitive directions need not look like evidence: a map "
        "shows where small changes move the score, not where the object is.",
        "The map for 'tabby' must already have outlined a cat in the photo, since the change followed that same gradient.",
        "The map is unreliable only because Lite0 rounds its inputs to 8-bit gray levels; in float precision the model "
        "could not be fooled this way.",
    ],
    "b",
    "The same gradient that draws the saliency map also builds the adversarial change: it measures how S_c responds to "
    "small changes of this image, including directions that look like noise to us. Read a map as 'where small changes "
    "move the score', and check it (toy masks, randomization test) before reading it as 'where the object is'.",
    why_wrong={
        "a": "Invisible to us is not unused by the model: the change moved the score because the model is sensitive to those pixels.",
        "c": "The change is a fine texture over the whole image, and the 'tabby' map of the coffee photo outlines the cup: "
        "following the gradient raises S_c without drawing the object.",
        "d": "The fooling change is a few whole gray levels, far above any rounding; the pixels stay on the 8-bit grid "
        "only so that the fooled image is exactly the one that was classified.",
    },
)

Q4 = MultipleChoice(
    "A convolution with stride 2 maps C_in input channels to C_out output channels with filters K. What does the "
    "backward pass do with the signal R (C_out channels) that arrives from above?",
    [
        "It applies the same convolution, with the same filters and stride 2, to R.",
        "It inverts the convolution (a 'deconvolution' undoes it), so that it recovers the layer's input.",
        "It inserts a zero between neighbouring values of R, then convolves with the filters flipped and with their "
        "two channel axes swapped (C_out in, C_in out): a transposed convolution.",
        "It routes each value of R to the input with the largest filter weight, like max-pooling's switches.",
    ],
    "c",
    "Input value X(i, q) reaches output (o, p) through K(o, i, t) with 2p + t = q, so R_in(i, q) = sum over o, p, t "
    "with 2p + t = q of R(o, p) K(o, i, t): upsample R with zeros, correlate with the flipped filter, sum over the "
    "output channels. That is the transposed (fractionally strided) convolution, the layer DeconvNet applies.",
    why_wrong={
        "a": "The same convolution would shrink R again and take C_in channels in; the backward pass goes the other way: "
        "C_out channels in, C_in out, the output longer than R, and the filters flipped.",
        "b": "The backward pass multiplies by the transposed matrix A^T, not by the inverse A^-1: it does not recover the "
        "input. 'Deconvolution' in Zeiler & Fergus is this transposed convolution, not an inverse.",
        "d": "Only max-pooling routes the signal to one input; a convolution is linear, so every input in a window "
        "receives R weighted by the filter.",
    },
)

QUIZ = (Q1, Q2, Q3, Q4)
