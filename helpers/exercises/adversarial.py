"""Notebook 06's exercise 3, the fooling loop: iterated sign-gradient steps within an L-inf budget (Kurakin et al. 2016).

`check_fooling_loop` runs the student's loop on a small net with batch norm, dropout and trainable weights (so
`.backward()` and `model.train()` show), compares it with `fooling_loop_reference` and names the usual mistakes.
`helpers.exercises.attribution` re-exports these names with the rest of notebook 06's checks.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from . import CheckResult, failed, passed
from .rules import (
    changed_inputs,
    close,
    default_device_problem,
    exercise_dtype,
    first_problem,
    not_a_tensor,
    run_student,
)


def fooling_loop_reference(
    model: nn.Module,
    x: torch.Tensor,
    target: int,
    epsilon: float,
    alpha: float,
    steps: int,
    *,
    sign: float = 1.0,
    budget: bool = True,
    pixel_range: bool = True,
    use_sign: bool = True,
    objective: str = "score",
    recompute: bool = True,
    batch: str = "sum",
) -> torch.Tensor:
    """Kurakin et al.'s basic iterative method on S_target: `steps` steps x <- clip(x + alpha sign(dS/dx)).

    The clip keeps every value within `epsilon` of the original x and within [0, 1]; the batch's target scores
    are summed, so each image follows its own gradient. The keyword arguments switch on one usual mistake each
    (for the check's diagnosis): `objective` "log_softmax" or "softmax", `batch` "first" (only image 0's
    score); the defaults are the method.
    """
    x0 = x.detach()
    adv = x0.clone()
    grad = None
    for _ in range(steps):
        if grad is None or recompute:
            xg = adv.clone().requires_grad_(True)
            with torch.enable_grad():
                scores = model(xg)
                scores = {"score": scores, "log_softmax": scores.log_softmax(dim=1), "softmax": scores.softmax(dim=1)}[
                    objective
                ]
                value = scores[:1, target] if batch == "first" else scores[:, target]
                (grad,) = torch.autograd.grad(value.sum(), xg)
        adv = adv + sign * alpha * (grad.sign() if use_sign else grad)
        if budget:
            adv = torch.minimum(torch.maximum(adv, x0 - epsilon), x0 + epsilon)
        if pixel_range:
            adv = adv.clamp(0.0, 1.0)
    return adv.detach()


def fooling_check_net(device: str | torch.device = "cpu", *, trainable: bool = False) -> nn.Module:
    """A fixed small float64 conv net (batch norm, ReLU, max-pooling, dropout) on (N, 3, 12, 12) pixel images in [0, 1], 4 classes.

    In eval mode (as returned) batch norm uses its running statistics and dropout is off; `model.train()` would
    change both, which is how the check sees it. `trainable` leaves requires_grad on, so a stray `.backward()`
    fills the weights' .grad (the check hands the student such a copy).
    """
    kw = {"dtype": exercise_dtype(device), "device": device}
    net = nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1, **kw),
        nn.BatchNorm2d(6, **kw),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 8, 3, **kw),
        nn.ReLU(),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(8 * 4 * 4, 4, **kw),
    )
    gen = torch.Generator().manual_seed(67)
    with torch.no_grad():
        for p in net.parameters():
            fan_in = p[0].numel() if p.ndim > 1 else 1
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64, device="cpu").to(device) / fan_in**0.5)
        bn = net[1]
        bn.running_mean.copy_(torch.randn(6, generator=gen, dtype=torch.float64, device="cpu").to(device) * 0.1)
        bn.running_var.copy_(torch.rand(6, generator=gen, dtype=torch.float64, device="cpu").to(device) + 0.5)
    return net.eval().requires_grad_(trainable)


FOOLING_SETTING = (0.03, 0.01, 6)  # epsilon, alpha, steps


def _fooling_inputs(device: str | torch.device) -> tuple[nn.Module, torch.Tensor, int]:
    """The student's (trainable, eval-mode) net, two images in [0, 1] and a target they are far from, on `device`."""
    net = fooling_check_net(device, trainable=True)
    x = torch.rand(2, 3, 12, 12, generator=torch.Generator().manual_seed(68), dtype=torch.float64, device="cpu").to(
        device, exercise_dtype(device)
    )
    with torch.no_grad():
        target = int(net(x).mean(0).argmin())  # a class the images are far from
    return net, x, target


FOOLING_MISTAKES: tuple[tuple[dict, str], ...] = (
    (
        dict(sign=-1.0),
        "the step has the wrong sign: x - alpha sign(g) descends S_c; to make the target more likely, ascend",
    ),
    (
        dict(budget=False),
        "the budget is not enforced: after each step clip to [x0 - epsilon, x0 + epsilon], around the "
        "*original* image x0 (clipping around the current image lets the change grow every step)",
    ),
    (dict(pixel_range=False), "the pixel range is not enforced: after each step clip to [0, 1] as well"),
    (
        dict(use_sign=False),
        "the step uses the raw gradient, not its sign: every value moves by exactly alpha, "
        "x + alpha * g.sign() (the steepest ascent when each value may change by at most alpha)",
    ),
    (
        dict(objective="log_softmax"),
        "this ascends the softmax: the probability P_c or log P_c (their gradients differ by "
        "the factor P_c > 0, so the sign steps are the same); the exercise ascends the class "
        "score S_c, the logit model(x)[:, target], like the paper's maps",
    ),
    (
        dict(recompute=False),
        "the gradient was computed once, at the original image (one FGSM step of size epsilon "
        "gives the same): recompute it at the current image in every step, as the iterative method does",
    ),
    (
        dict(batch="first"),
        "only the first image moved: x is a batch, so ascend the sum of its target scores, "
        "model(x)[:, target].sum() (each image then follows its own gradient)",
    ),
)


def _fooling_side_effect(net: nn.Module, fresh: nn.Module) -> CheckResult | None:
    """What the student's loop changed in the model that it must not: .grad, the weights, the eval mode."""
    if net.training:
        return failed(
            "fooling_loop switched the model to training mode (model.train()): dropout and batch norm then "
            "change the scores; leave the model as it is given, in eval mode."
        )
    if any(p.grad is not None for p in net.parameters()):
        return failed(
            "fooling_loop filled the model's .grad: .backward() differentiates with respect to every trainable "
            "weight too; take the gradient with respect to the image only, torch.autograd.grad(score, adv)."
        )
    if any(not torch.equal(p, q) for p, q in zip(net.state_dict().values(), fresh.state_dict().values())):
        return failed("fooling_loop changed the model's weights or statistics: only the image changes.")
    return None


def _diagnose_fooling(
    out: torch.Tensor, x: torch.Tensor, expected: torch.Tensor, reference: Callable[..., torch.Tensor]
) -> str:
    """Name the mistake a wrong adversarial batch reflects, by comparing it with the reference's variants."""
    epsilon = FOOLING_SETTING[0]
    if close(out, expected - x):
        return (
            "you returned the perturbation x_adv - x, not the image: return x_adv, the original images plus the "
            "perturbation (the caller classifies it)"
        )
    for kwargs, words in FOOLING_MISTAKES:
        if close(out, reference(**kwargs)):
            return words
    if float((out - x).abs().max()) > epsilon + 1e-9:
        return f"the largest change is {float((out - x).abs().max()):.3g} > epsilon = {epsilon:g}: the budget is not enforced"
    if float(out.min()) < -1e-9 or float(out.max()) > 1 + 1e-9:
        return "values leave [0, 1]: clip to the pixel range after each step"
    worst = float((out - expected).abs().max())
    return (
        f"the result differs from the reference by up to {worst:.3g}. Hint: exactly `steps` steps, each "
        "x <- clip(x + alpha * sign(dS_target/dx)) with the gradient taken at the current x"
    )


def check_fooling_loop(
    fn: Callable[[nn.Module, torch.Tensor, int, float, float, int], torch.Tensor], device: str | torch.device = "cpu"
) -> CheckResult:
    """Exercise 3: `fn(model, x, target, epsilon, alpha, steps) -> x_adv`, `steps` sign-gradient ascent steps on S_target.

    x is a batch (N, 3, H, W) of pixel values in [0, 1]; each image follows the gradient of its own target score
    (of their sum); after each step the result is clipped to the L-inf ball of radius epsilon around the
    original x and to [0, 1]. Compared with the reference on a small net with batch norm and dropout and trainable
    weights, so `.backward()` and `model.train()` show; the usual mistakes (step sign, budget, pixel range, raw
    gradient, log-probability or probability, gradient computed once, one image only, the perturbation returned)
    are named. The model and x are made on `device` (pass the notebook's).
    """
    epsilon, alpha, steps = FOOLING_SETTING
    net, x, target = _fooling_inputs(device)
    fresh = fooling_check_net(device)
    given = x.clone()
    out, problem = run_student(fn, net, given, target, epsilon, alpha, steps, name="fooling_loop")
    problem = first_problem(
        problem,
        changed_inputs((given,), (x,), "fooling_loop", " (the budget is measured from the original x)"),
        _fooling_side_effect(net, fresh),
        not_a_tensor(out, "fooling_loop"),
    )
    if problem is not None:
        return problem
    if tuple(out.shape) != tuple(x.shape):
        return failed(f"fooling_loop returned shape {tuple(out.shape)}; expected x's shape {tuple(x.shape)}.")
    out = out.detach().to(x.device, x.dtype)

    def reference(**kwargs: object) -> torch.Tensor:
        return fooling_loop_reference(fresh, x, target, epsilon, alpha, steps, **kwargs)

    expected = reference()
    if not close(out, expected):
        return failed(f"fooling_loop: {_diagnose_fooling(out, x, expected, reference)}.")
    problem = default_device_problem(
        fn, lambda: (*_fooling_inputs("cpu")[:2], target, epsilon, alpha, steps), "fooling_loop"
    )
    if problem is not None:
        return problem
    with torch.no_grad():
        before, after = fresh(x)[:, target], fresh(out)[:, target]
    return passed(
        f"{steps} steps of {alpha:g} along sign(dS_c/dx), each clipped to the budget |x_adv - x| <= {epsilon:g} and to "
        f"[0, 1], raise S_c of both images (from {before.mean():.3g} to {after.mean():.3g} on average): the basic "
        "iterative method (Kurakin et al. 2016) on the class score."
    )
