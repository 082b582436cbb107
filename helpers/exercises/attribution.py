"""Checks and questions for notebook 06 (the paper's Section 4: gradient, DeconvNet, guided backprop).

Exercises 1 and 2 plug the student's ReLU backward rule into `helpers.attribution.relu_backward_rule`
and compare it with the reference, first on random tensors, then on the toy CNN; exercise 3 measures
how far apart the three rules are on a network without ReLU (zero) and with ReLU (not zero).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .. import attribution as A
from ..saliency import class_score_gradient
from . import CheckResult, call_student, compare_arrays, failed, passed
from .quiz import MultipleChoice, NumericAnswer

StudentRule = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _random_signal(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A backward signal and a forward input with both signs, a few exact zeros, shape (2, 3, 5, 4)."""
    gen = torch.Generator().manual_seed(seed)
    g, x = torch.randn(2, 3, 5, 4, generator=gen), torch.randn(2, 3, 5, 4, generator=gen)
    x[0, 0, 0] = 0.0
    return g, x


def tiny_relu_net() -> nn.Module:
    """A fixed small conv net with ReLUs (3 classes, 12 px input), for checking rules end to end."""
    torch.manual_seed(60)
    net = nn.Sequential(nn.Conv2d(3, 5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(5, 6, 3), nn.ReLU(),
                        nn.Flatten(), nn.Linear(6 * 4 * 4, 3))
    return net.eval().requires_grad_(False)


class LinearConvNet(nn.Module):
    """Convolution, max-pooling and a linear head, with no rectifier anywhere (3 classes, 12 px input)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(61)
        self.conv1, self.conv2, self.fc = nn.Conv2d(3, 5, 3, padding=1), nn.Conv2d(5, 6, 3), nn.Linear(6 * 4 * 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.conv2(F.max_pool2d(self.conv1(x), 2)).flatten(1))


def _check_rule(fn: StudentRule, rule: str, name: str, hint: str, seed: int) -> CheckResult:
    """Compare a student's ReLU backward rule with the reference on tensors, then end to end on a network."""
    g, x = _random_signal(seed)
    out, problem = call_student(fn, g.clone(), x.clone(), name=name)
    if problem is not None:
        return problem
    verdict = compare_arrays(f"{name}(grad_out, x)", out, A.RULE_FUNCTIONS[rule](g, x))
    if not verdict:
        return failed(f"{verdict.message} {hint}")
    net, image = tiny_relu_net(), torch.randn(2, 3, 12, 12, generator=torch.Generator().manual_seed(seed + 1))
    try:
        mine = A.backprop_saliency(net, image, [0, 2], rule=lambda go, xi, upper: fn(go, xi), reduce=None)
    except Exception as err:  # the student's rule runs inside autograd; report, don't crash
        return failed(f"{name} works on tensors but failed inside the backward pass: {type(err).__name__}: {err}")
    verdict = compare_arrays(f"the {rule} map of a small ReLU network", mine, A.backprop_saliency(net, image, [0, 2], rule=rule, reduce=None))
    return verdict if not verdict else passed(f"your rule, swapped in at every ReLU, reproduces the {rule} map.")


def check_deconvnet_rule(fn: StudentRule) -> CheckResult:
    """Exercise 1: `fn(grad_out, x) -> grad_in` must be DeconvNet's ReLU rule."""
    verdict = _check_rule(fn, "deconvnet", "deconvnet_relu", "Hint: DeconvNet ignores x; it applies a ReLU to grad_out.", 62)
    if verdict:
        return passed("DeconvNet passes only the positive part of the backward signal, wherever the unit was. " + verdict.message)
    return verdict


def check_guided_rule(fn: StudentRule) -> CheckResult:
    """Exercise 2: `fn(grad_out, x) -> grad_in` must be guided backprop's ReLU rule."""
    verdict = _check_rule(fn, "guided", "guided_relu", "Hint: keep grad_out only where x > 0 AND grad_out > 0.", 63)
    if verdict:
        return passed("guided backprop = the gradient's mask (x > 0) and DeconvNet's (grad_out > 0). " + verdict.message)
    return verdict


def rules_max_difference_reference(model: nn.Module, x: torch.Tensor, target: int) -> float:
    """Largest absolute difference between any two of the three signed signals (gradient, DeconvNet, guided)."""
    signals = [A.backprop_saliency(model, x, target, rule=rule, reduce=None) for rule in A.RULES]
    return max(float((a - b).abs().max()) for i, a in enumerate(signals) for b in signals[i + 1 :])


def check_rules_max_difference(fn: Callable[[nn.Module, torch.Tensor, int], float]) -> CheckResult:
    """Exercise 3: `fn(model, x, target)` -> the largest difference between the rules; 0 without ReLU."""
    x = torch.randn(1, 3, 12, 12, generator=torch.Generator().manual_seed(64))
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
        return failed(f"on the network without ReLU you got {without:.3g}; the three rules differ only at ReLUs, so expect 0. "
                      "Hint: compare the signed signals (reduce=None) of all three rules.")
    if abs(with_relu - expected) > 1e-4 * max(1.0, expected):
        return failed(f"on a network with ReLUs you got {with_relu:.4g}; expected {expected:.4g}. Hint: the maximum over all "
                      "pixels of |a - b|, for every pair of rules.")
    return passed(f"without ReLU the three rules are one and the same gradient (difference {without:.1g}); "
                  f"with ReLUs they differ (up to {with_relu:.3g}).")


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
    mistakes=[(1.0, "that is the gradient's signal (-1, 0, 2): guided backprop also drops the negative g."),
              (6.0, "that is DeconvNet's signal (0, 4, 2): guided backprop also masks by the forward input (x > 0)."),
              (5.0, "that is the sum of g: the ReLU's backward rule passes only part of it.")],
)

Q3 = MultipleChoice(
    "A change of at most a few gray levels per pixel turned the photo's top-1 class into 'tabby'. What does this "
    "say about saliency maps of the original photo?",
    [
        "nothing: the change is invisible, so the model did not use those pixels",
        "the gradient describes the model's local sensitivity, which can point in directions no human would call "
        "evidence; a map shows where the score is sensitive, not what the object is",
        "saliency maps are wrong for photos and should only be used on toy images",
    ],
    "b",
    "The same gradient that draws the saliency map also builds the fooling change: it measures sensitivity of S_c "
    "around this image, including directions that look like noise to us. Read a map as 'where small changes move "
    "the score', and check it (toy masks, randomization test) before reading it as 'where the object is'.",
    why_wrong={
        "a": "Invisible to us is not unused by the model: the change moved the score because the model is sensitive to those pixels.",
        "c": "The toy images are no safer: the fooling change shows what any gradient map measures (sensitivity), on every image.",
    },
)

QUIZ = (Q1, Q2, Q3)
