"""The rules every exercise states, checked the same way in every check: forbidden calls, the device, the inputs
kept unchanged, and the type of the result.

- **Forbidden calls.** `run_student(fn, ..., forbid=("autograd",))` runs the student's function under a
  `TorchFunctionMode` (and with `torch.autograd.grad` / `Tensor.backward` patched) that refuses
  `torch.autograd.grad`, `.backward()` and `conv_transpose*` when the exercise asks for them to be written by hand.
- **The device.** `default_device_problem` runs the function once more with every tensor factory called
  without `device=` (torch.zeros, ones, full, tensor, rand, arange, ...) creating its tensor on the 'meta'
  device, while the inputs stay on the CPU: the situation of a GPU run turned around (there, such a tensor is
  on the CPU and the inputs on the GPU), so the bug shows on any machine. 0-d tensors stay on the CPU, as
  PyTorch mixes CPU scalars with any device.
- **Inputs kept, result type.** `changed_inputs` and `not_a_tensor` / `not_a_float` give the verdicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from unittest import mock

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from . import CheckResult, call_student, failed

# What each forbidden kind of call is called in a message, and the torch functions that make it.
FORBIDDEN_WORDS = {
    "autograd": "autograd (torch.autograd.grad, .backward())",
    "conv_transpose": "conv_transpose1d/2d/3d",
}
_AUTOGRAD = (torch.autograd.grad, torch.autograd.backward, torch.Tensor.backward)
_CONV_TRANSPOSE = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)

FACTORIES = frozenset(
    {
        torch.zeros,
        torch.ones,
        torch.full,
        torch.tensor,
        torch.as_tensor,
        torch.asarray,
        torch.rand,
        torch.randn,
        torch.randint,
        torch.randperm,
        torch.arange,
        torch.empty,
        torch.linspace,
        torch.logspace,
        torch.eye,
    }
)

DEVICE_HINT = (
    "create every tensor on the device of the inputs (torch.zeros(..., device=x.device), x.new_zeros(...), "
    "torch.zeros_like(x)); a tensor made without device= lands on the CPU and meets the inputs on the GPU."
)


class ForbiddenCall(BaseException):
    """Raised inside a student's function at a call the exercise forbids (a BaseException: `except Exception` does not hide it)."""

    def __init__(self, kind: str, call: str) -> None:
        super().__init__(f"{call} is not allowed here")
        self.kind, self.call = kind, call


_CALL_NAMES = {
    torch.autograd.grad: "torch.autograd.grad",
    torch.autograd.backward: "torch.autograd.backward",
    torch.Tensor.backward: ".backward()",
    **{f: f"F.{f.__name__}" for f in _CONV_TRANSPOSE},
}


def _call_name(func: Any) -> str:
    return _CALL_NAMES.get(func) or getattr(func, "__name__", repr(func))


class _RefuseCalls(TorchFunctionMode):
    """Raises ForbiddenCall at any torch function of the forbidden kinds."""

    def __init__(self, kinds: Sequence[str]) -> None:
        super().__init__()
        table = {"autograd": _AUTOGRAD, "conv_transpose": _CONV_TRANSPOSE}
        self.refused = {func: kind for kind in kinds for func in table[kind]}

    def __torch_function__(self, func: Callable, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        if func in self.refused:
            raise ForbiddenCall(self.refused[func], _call_name(func))
        return func(*args, **(kwargs or {}))


def _refusing(kind: str, name: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ForbiddenCall(kind, name)

    return refuse


@contextmanager
def refused_calls(kinds: Sequence[str]) -> Iterator[None]:
    """Within the block, the forbidden kinds of call ("autograd", "conv_transpose") raise ForbiddenCall."""
    unknown = set(kinds) - set(FORBIDDEN_WORDS)
    if unknown:
        raise ValueError(f"forbid takes kinds out of {sorted(FORBIDDEN_WORDS)}; got {sorted(unknown)}.")
    with _RefuseCalls(kinds), _patched_autograd(kinds):
        yield


@contextmanager
def _patched_autograd(kinds: Sequence[str]) -> Iterator[None]:
    """Also patch the autograd entry points themselves, for code that holds them in a variable of its own."""
    if "autograd" not in kinds:
        yield
        return
    with (
        mock.patch.object(torch.autograd, "grad", _refusing("autograd", "torch.autograd.grad")),
        mock.patch.object(torch.Tensor, "backward", _refusing("autograd", ".backward()")),
    ):
        yield


def run_student(
    fn: Any, *args: Any, name: str, forbid: Sequence[str] = (), explain: Callable[[Exception], str] | None = None
) -> tuple[Any, CheckResult | None]:
    """`call_student` with the exercise's forbidden calls refused: a forbidden call is a verdict that names it."""
    try:
        with refused_calls(forbid):
            return call_student(fn, *args, name=name, explain=explain)
    except ForbiddenCall as call:
        return None, failed(
            f"{name} called {call.call}: the exercise asks you to write this without "
            f"{FORBIDDEN_WORDS[call.kind]}; that is the point of the exercise."
        )


class DefaultDeviceElsewhere(TorchFunctionMode):
    """Tensor factories called without `device=` create their (non-0-d) tensor on 'meta'; from_numpy is counted."""

    def __init__(self) -> None:
        super().__init__()
        self.defaulted: list[str] = []
        self.from_numpy = 0

    def __torch_function__(self, func: Callable, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = dict(kwargs or {})
        if func is torch.from_numpy:
            self.from_numpy += 1
        out = func(*args, **kwargs)
        if func in FACTORIES and kwargs.get("device") is None and isinstance(out, torch.Tensor) and out.dim() > 0:
            self.defaulted.append(func.__name__)
            return out.to("meta")
        return out


def _on_meta(out: Any) -> bool:
    items = out if isinstance(out, (tuple, list)) else (out,)
    return any(isinstance(t, torch.Tensor) and t.device.type == "meta" for t in items)


def default_device_problem(
    fn: Callable[..., Any], make_args: Callable[[], tuple], name: str, forbid: Sequence[str] = ()
) -> CheckResult | None:
    """Run `fn(*make_args())` with factories defaulting elsewhere (see the module's docstring); a verdict if it breaks.

    `make_args` builds fresh CPU inputs (outside the mode, so the inputs themselves stay on the CPU).
    """
    args = make_args()
    with DefaultDeviceElsewhere() as mode:
        out, problem = run_student(fn, *args, name=name, forbid=forbid)
    if problem is None and not _on_meta(out) and mode.from_numpy == 0:
        return None
    made = ", ".join(f"torch.{name}" for name in sorted(set(mode.defaulted))) or "torch.from_numpy"
    return failed(
        f"{name} works on the CPU but not on a GPU: it makes a tensor with {made} and no device=, so with "
        f"the inputs on a GPU that tensor is on the CPU. Hint: {DEVICE_HINT}"
    )


def changed_inputs(given: Sequence[Any], originals: Sequence[Any], name: str, why: str = "") -> CheckResult | None:
    """A verdict when the student's function changed a tensor input in place (values or requires_grad), else None."""
    for g, o in zip(given, originals):
        if isinstance(g, torch.Tensor) and (
            g.requires_grad != o.requires_grad or not torch.equal(g.detach(), o.detach())
        ):
            return failed(
                f"{name} changed its inputs in place{why}: the caller's tensors must stay as they were (+=, -=, "
                "[...] = and methods ending in _ change them); compute a new tensor instead."
            )
    return None


def first_problem(*verdicts: CheckResult | None) -> CheckResult | None:
    """The first verdict that is not None (a failed verdict is falsy, so `a or b` would skip it)."""
    return next((v for v in verdicts if v is not None), None)


def not_a_tensor(out: Any, name: str, shape: Sequence[int] | None = None) -> CheckResult | None:
    """A verdict when the result is not a tensor (of `shape`, when given), else None."""
    if not isinstance(out, torch.Tensor):
        return failed(f"{name} should return a tensor; got {type(out).__name__}.")
    if shape is not None and tuple(out.shape) != tuple(shape):
        return failed(f"{name} has shape {tuple(out.shape)}; expected {tuple(shape)}.")
    return None


def not_a_float(out: Any, name: str) -> CheckResult | None:
    """A verdict when the result is not a Python float (a 0-d tensor is told to use float(...)), else None."""
    if isinstance(out, float):
        return None
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        return failed(
            f"{name} returned a {out.dim()}-d tensor; the exercise asks for a Python float: return float(value) "
            "(a tensor would keep the computation graph and its device)."
        )
    return failed(f"{name} should return one Python float; got {type(out).__name__}.")


def exercise_dtype(device: str | torch.device) -> torch.dtype:
    """float64 for the checks' random inputs, float32 on Apple's MPS (which has no float64)."""
    return torch.float32 if torch.device(device).type == "mps" else torch.float64


def close(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal to rounding for the dtype: tight for float64, float32's rounding otherwise."""
    tight = a.dtype == torch.float64 and b.dtype == torch.float64
    return bool(torch.allclose(a, b, rtol=1e-6 if tight else 1e-4, atol=1e-9 if tight else 1e-5))
