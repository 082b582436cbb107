"""Checks and questions for notebook 06 (the paper's Section 4: gradient, DeconvNet, guided backprop).

The notebook's exercises: 1. a convolution's backward pass (`check_conv1d_input_gradient`: the transposed
convolution, with flipped filters, swapped channels and stride); 2. max-pooling's backward pass
(`check_maxpool2d_backward`: the switches); 3. the fooling loop (`check_fooling_loop`: iterated sign-gradient
steps within an L-inf budget, Kurakin et al. 2016); 4. (extra) guided backprop's ReLU rule
(`check_guided_rule`). Each check compares with autograd or a reference and names the usual mistake.
`check_deconvnet_rule` and `check_rules_max_difference` are further ReLU-rule checks.
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


def _inputs_kept_and_tensor(out: object, given: tuple[torch.Tensor, ...], originals: tuple[torch.Tensor, ...], name: str,
                            why: str = "") -> CheckResult | None:
    """A failed verdict when the student's function changed its inputs in place or did not return a tensor, else None."""
    if any(not torch.equal(g, o) for g, o in zip(given, originals)):
        return failed(f"{name} changed its inputs in place{why}; compute a new tensor instead.")
    if not isinstance(out, torch.Tensor):
        return failed(f"{name} should return a tensor; got {type(out).__name__}.")
    return None


# ---------------------------------------------------------------------------------------------
# Exercise 1: a convolution's backward pass is the transposed convolution (flipped filters, swapped channels, stride).


def conv1d_input_gradient_reference(grad_out: torch.Tensor, weight: torch.Tensor, stride: int, length: int) -> torch.Tensor:
    """dL/dx of y = conv1d(x, weight, stride) (no padding, no bias) for x of `length`, given dL/dy: by autograd."""
    x = torch.zeros(grad_out.shape[0], weight.shape[1], length, dtype=grad_out.dtype, device=grad_out.device, requires_grad=True)
    with torch.enable_grad():
        y = F.conv1d(x, weight, stride=stride)
        (grad,) = torch.autograd.grad(y, x, grad_out)
    return grad


# (in channels, out channels, filter taps, stride, input length, batch): one case per idea, each with a filter
# that is not a palindrome: 1 channel and stride 1 (the flip), 3 -> 3 channels (the channel swap), then
# 2 -> 4 channels with stride 2 and a last input value that no window reaches (the stride, the tail).
CONV_CASES = ((1, 1, 3, 1, 9, 1), (3, 3, 3, 1, 8, 2), (2, 4, 3, 2, 12, 2))


def check_conv1d_input_gradient(fn: Callable[[torch.Tensor, torch.Tensor, int, int], torch.Tensor],
                                device: str | torch.device = "cpu") -> CheckResult:
    """Exercise 1: `fn(grad_out (N,C_out,L_out), weight (C_out,C_in,K), stride, length) -> (N,C_in,length)`, dL/dx of conv1d.

    Compared with autograd on three cases, each built to expose one usual mistake: the filter not flipped, the
    channel axes not swapped, the stride or the uncovered tail ignored. Every tensor is made on `device`.
    """
    gen = torch.Generator().manual_seed(65)
    for c_in, c_out, taps, stride, length, batch in CONV_CASES:
        weight = torch.randn(c_out, c_in, taps, generator=gen, dtype=torch.float64, device="cpu").to(device)
        l_out = (length - taps) // stride + 1
        grad_out = torch.randn(batch, c_out, l_out, generator=gen, dtype=torch.float64, device="cpu").to(device)
        given = (grad_out.clone(), weight.clone())
        case = f"(C_in={c_in}, C_out={c_out}, K={taps}, stride={stride}, length={length})"
        out, problem = call_student(fn, *given, stride, length, name="conv1d_input_gradient")
        if problem is not None:
            if c_in != c_out and "RuntimeError" in problem.message:
                return failed(f"{problem.message} {case} Hint: the backward pass takes C_out channels in and gives C_in "
                              "out, so the filter bank needs its two channel axes swapped: weight.transpose(0, 1).")
            return problem
        problem = _inputs_kept_and_tensor(out, given, (grad_out, weight), "conv1d_input_gradient")
        if problem is not None:
            return problem
        expected = conv1d_input_gradient_reference(grad_out, weight, stride, length)
        if tuple(out.shape) != tuple(expected.shape):
            covered = (l_out - 1) * stride + taps
            if out.ndim == 3 and out.shape[-1] == l_out + taps - 1 and stride > 1:
                hint = (f"the length {out.shape[-1]} = L_out + K - 1 is what stride 1 gives: the stride was ignored. Put each "
                        f"value of grad_out at position stride * p, with stride - 1 zeros in between, before the full convolution.")
            elif out.ndim == 3 and out.shape[-1] == covered and covered < length:
                hint = (f"the last {length - covered} input value(s) lie in no window: they do not affect the output, so "
                        "their gradient is 0. Pad the result with zeros to `length`.")
            elif out.ndim == 3 and out.shape[1] == c_out != c_in:
                hint = "it has C_out channels: the backward pass sums over the output channels, so swap the weight's channel axes."
            else:
                hint = "expected (N, C_in, length)."
            return failed(f"conv1d_input_gradient {case} has shape {tuple(out.shape)}; expected {tuple(expected.shape)}: {hint}")
        out = out.detach().to(expected.device, expected.dtype)
        if torch.allclose(out, expected, rtol=1e-6, atol=1e-9):
            continue
        named = [
            ("the filter was not flipped: the backward pass correlates with the flipped filter, K(-s) (use weight.flip(-1))",
             conv1d_input_gradient_reference(grad_out, weight.flip(-1), stride, length)),
        ]
        if c_in == c_out:
            swapped = weight.transpose(0, 1)
            named += [
                ("the channel axes were not swapped: input channel i collects from every output channel o through "
                 "K(o, i, .), so the backward filter bank is weight.transpose(0, 1)",
                 conv1d_input_gradient_reference(grad_out, swapped, stride, length)),
                ("neither flipped nor channel-swapped: use weight.flip(-1).transpose(0, 1)",
                 conv1d_input_gradient_reference(grad_out, swapped.flip(-1), stride, length)),
            ]
        for words, wrong in named:
            if torch.allclose(out, wrong, rtol=1e-6, atol=1e-9):
                return failed(f"conv1d_input_gradient {case}: {words}.")
        worst = float((out - expected).abs().max())
        return failed(f"conv1d_input_gradient {case} differs from autograd's gradient by up to {worst:.3g}. Hint: upsample "
                      "grad_out with stride - 1 zeros between values, pad K - 1 zeros on both sides, then F.conv1d with "
                      "weight.flip(-1).transpose(0, 1); pad the result to `length`.")
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


def check_maxpool2d_backward(fn: Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor],
                             device: str | torch.device = "cpu") -> CheckResult:
    """Exercise 2: `fn(grad_out (N,C,H/k,W/k), x (N,C,H,W), k) -> (N,C,H,W)`, dL/dx of max_pool2d(x, k).

    Compared with autograd; an answer that sends the signal to every input of a window, averages it (average
    pooling), or routes it to the window's minimum is named. Every tensor is made on `device`.
    """
    gen = torch.Generator().manual_seed(66)
    for k, (n, c, h, w) in ((2, (1, 1, 4, 6)), (2, (2, 3, 6, 4)), (3, (1, 2, 9, 6))):
        x = torch.randn(n, c, h, w, generator=gen, dtype=torch.float64, device="cpu").to(device)  # no ties
        x[0, 0, :k, :k] -= 5.0  # one window whose maximum is negative: the switch, not a ReLU, decides
        grad_out = torch.randn(n, c, h // k, w // k, generator=gen, dtype=torch.float64, device="cpu").to(device)
        given = (grad_out.clone(), x.clone())
        case = f"(k={k}, x of shape {(n, c, h, w)})"
        out, problem = call_student(fn, *given, k, name="maxpool2d_backward")
        if problem is not None:
            return problem
        problem = _inputs_kept_and_tensor(out, given, (grad_out, x), "maxpool2d_backward")
        if problem is not None:
            return problem
        if tuple(out.shape) != tuple(x.shape):
            return failed(f"maxpool2d_backward {case} has shape {tuple(out.shape)}; expected x's shape {tuple(x.shape)}.")
        out = out.detach().to(x.device, x.dtype)
        expected = maxpool2d_backward_reference(grad_out, x, k)
        if torch.allclose(out, expected, rtol=1e-6, atol=1e-9):
            continue
        spread = grad_out.repeat_interleave(k, dim=2).repeat_interleave(k, dim=3)
        named = [
            ("the signal went to every input of the window: only the window's maximum (its switch) affected the output, "
             "so only it gets the gradient; the others get 0", spread),
            ("the signal was divided among the window's inputs: that is average pooling's backward pass; max-pooling "
             "passes it whole to the maximum", spread / k**2),
            ("the signal went to the window's minimum: the switch is the arg max",
             maxpool2d_backward_reference(grad_out, -x, k)),
        ]
        for words, wrong in named:
            if torch.allclose(out, wrong, rtol=1e-6, atol=1e-9):
                return failed(f"maxpool2d_backward {case}: {words}.")
        if torch.allclose(out, expected * (x > 0), rtol=1e-6, atol=1e-9):
            return failed(f"maxpool2d_backward {case}: a window whose maximum is negative got no signal; the switch is the "
                          "arg max whatever its sign (no ReLU here).")
        worst = float((out - expected).abs().max())
        return failed(f"maxpool2d_backward {case} differs from autograd's gradient by up to {worst:.3g}. Hint: "
                      "F.max_pool2d(x, k, return_indices=True) gives the switches; F.max_unpool2d puts grad_out there.")
    return passed(
        "max-pooling's backward pass puts each window's signal at the position of its maximum (the 'switch' DeconvNet "
        "records) and zeros elsewhere: DeconvNet's unpooling is the gradient."
    )


# ---------------------------------------------------------------------------------------------
# Exercise 3: the fooling (adversarial) loop: iterated sign-gradient steps within an L-inf budget.


def fooling_loop_reference(model: nn.Module, x: torch.Tensor, target: int, epsilon: float, alpha: float, steps: int,
                           *, sign: float = 1.0, budget: bool = True, pixel_range: bool = True, use_sign: bool = True,
                           objective: str = "score", recompute: bool = True) -> torch.Tensor:
    """Kurakin et al.'s basic iterative method on S_target: `steps` steps x <- clip(x + alpha sign(dS/dx)).

    The clip keeps every value within `epsilon` of the original x and within [0, 1]. The keyword arguments
    switch on one usual mistake each (for the check's diagnosis); the defaults are the method.
    """
    x0 = x.detach()
    adv = x0.clone()
    grad = None
    for _ in range(steps):
        if grad is None or recompute:
            xg = adv.clone().requires_grad_(True)
            with torch.enable_grad():
                scores = model(xg)
                value = scores[:, target] if objective == "score" else scores.log_softmax(dim=1)[:, target]
                (grad,) = torch.autograd.grad(value.sum(), xg)
        adv = adv + sign * alpha * (grad.sign() if use_sign else grad)
        if budget:
            adv = torch.minimum(torch.maximum(adv, x0 - epsilon), x0 + epsilon)
        if pixel_range:
            adv = adv.clamp(0.0, 1.0)
    return adv.detach()


def fooling_check_net(device: str | torch.device = "cpu") -> nn.Module:
    """A fixed small float64 ReLU conv net with max-pooling on (N, 3, 12, 12) pixel images in [0, 1], 4 classes."""
    net = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1, dtype=torch.float64, device=device), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(6, 8, 3, dtype=torch.float64, device=device), nn.ReLU(), nn.Flatten(),
                        nn.Linear(8 * 4 * 4, 4, dtype=torch.float64, device=device))
    gen = torch.Generator().manual_seed(67)
    with torch.no_grad():
        for p in net.parameters():
            fan_in = p[0].numel() if p.ndim > 1 else 1
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64, device="cpu").to(device) / fan_in**0.5)
    return net.eval().requires_grad_(False)


def check_fooling_loop(fn: Callable[[nn.Module, torch.Tensor, int, float, float, int], torch.Tensor],
                       device: str | torch.device = "cpu") -> CheckResult:
    """Exercise 3: `fn(model, x, target, epsilon, alpha, steps) -> x_adv`, `steps` sign-gradient ascent steps on S_target.

    x holds pixel values in [0, 1]; after each step the result is clipped to the L-inf ball of radius epsilon
    around the original x and to [0, 1]. Compared with the reference on a small ReLU net; the usual mistakes
    (step sign, budget, pixel range, raw gradient, log-probability, gradient computed once) are named.
    """
    net = fooling_check_net(device)
    gen = torch.Generator().manual_seed(68)
    x = torch.rand(2, 3, 12, 12, generator=gen, dtype=torch.float64, device="cpu").to(device)
    with torch.no_grad():
        target = int(net(x).mean(0).argmin())  # a class the images are far from
    epsilon, alpha, steps = 0.03, 0.01, 6
    given = x.clone()
    out, problem = call_student(fn, net, given, target, epsilon, alpha, steps, name="fooling_loop")
    if problem is not None:
        return problem
    problem = _inputs_kept_and_tensor(out, (given,), (x,), "fooling_loop", " (the budget is measured from the original x)")
    if problem is not None:
        return problem
    if tuple(out.shape) != tuple(x.shape):
        return failed(f"fooling_loop returned shape {tuple(out.shape)}; expected x's shape {tuple(x.shape)}.")
    out = out.detach().to(x.device, x.dtype)
    expected = fooling_loop_reference(net, x, target, epsilon, alpha, steps)
    if torch.allclose(out, expected, rtol=1e-6, atol=1e-9):
        with torch.no_grad():
            before, after = net(x)[:, target], net(out)[:, target]
        return passed(
            f"{steps} steps of {alpha:g} along sign(dS_c/dx), each clipped to the budget |x_adv - x| <= {epsilon:g} and to "
            f"[0, 1], raise S_c of both images (from {before.mean():.3g} to {after.mean():.3g} on average): the basic "
            "iterative method (Kurakin et al. 2016) on the class score."
        )
    named = [
        (dict(sign=-1.0), "the step has the wrong sign: x - alpha sign(g) descends S_c; to make the target more likely, ascend"),
        (dict(budget=False), f"the budget is not enforced: after each step clip to [x0 - epsilon, x0 + epsilon], around the "
                             "*original* image x0 (clipping around the current image lets the change grow every step)"),
        (dict(pixel_range=False), "the pixel range is not enforced: after each step clip to [0, 1] as well"),
        (dict(use_sign=False), "the step uses the raw gradient, not its sign: every value moves by exactly alpha, "
                               "x + alpha * g.sign() (the steepest ascent when each value may change by at most alpha)"),
        (dict(objective="log_softmax"), "this ascends log P_c (log-softmax); the exercise ascends the class score S_c, "
                                        "the logit, like the paper's maps"),
        (dict(recompute=False), "the gradient was computed once, at the original image (one FGSM step of size epsilon "
                                "gives the same): recompute it at the current image in every step, as the iterative "
                                "method does"),
    ]
    for kwargs, words in named:
        if torch.allclose(out, fooling_loop_reference(net, x, target, epsilon, alpha, steps, **kwargs), rtol=1e-6, atol=1e-9):
            return failed(f"fooling_loop: {words}.")
    change = float((out - x).abs().max())
    if change > epsilon + 1e-9:
        return failed(f"fooling_loop: the largest change is {change:.3g} > epsilon = {epsilon:g}: the budget is not enforced.")
    if float(out.min()) < -1e-9 or float(out.max()) > 1 + 1e-9:
        return failed("fooling_loop: values leave [0, 1]: clip to the pixel range after each step.")
    worst = float((out - expected).abs().max())
    return failed(f"fooling_loop differs from the reference by up to {worst:.3g}. Hint: exactly `steps` steps, each "
                  "x <- clip(x + alpha * sign(dS_target/dx)) with the gradient taken at the current x.")


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
