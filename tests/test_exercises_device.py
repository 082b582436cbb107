"""Exercise checks and worked solutions create every tensor on the model's device, so they work with the model on CUDA or MPS.

There is no GPU here, so the test moves the *default* device instead of the model: while a check runs, every
tensor factory called without `device=` (torch.zeros, ones, full, tensor, as_tensor, rand, randn, randint, arange,
empty, linspace, ...) creates its tensor on the 'meta' device, while the model stays on the CPU. That is the
situation of a CUDA run turned around (there: default CPU, model on CUDA): a tensor built without following the
model's device then meets the model's weights or outputs on another device, and PyTorch raises, exactly as it
does on the GPU. `torch.from_numpy` ignores the default device (always CPU, so on a GPU it needs `.to(device)`):
its calls are recorded and refused. This catches the bug of issue 17 (03's reference built with
`torch.zeros(1, 3, size, size)`, the model on CUDA), which `test_the_harness_catches_a_tensor_on_the_default_device`
shows; recording factory calls alone would also flag harmless CPU-only tensors, so the test judges the effect.

The checks of notebooks 01, 04 and 06 take the notebook's device and use the same trick themselves
(`helpers.exercises.rules.default_device_problem`), so a student's device bug fails there on any machine; here the
checks themselves, the checks that receive the course's model (03) and the solutions that take a model are run.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest
import torch

from helpers.exercises import attribution as ex06
from helpers.exercises import classvis as ex03
from helpers.exercises.rules import DefaultDeviceElsewhere

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def model_elsewhere() -> Iterator[DefaultDeviceElsewhere]:
    with DefaultDeviceElsewhere() as mode:
        yield mode
    assert mode.from_numpy == 0, "torch.from_numpy makes a CPU tensor whatever the model's device: add .to(device)"


def _solutions(number: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"solutions_{number}_device", ROOT / "solutions" / f"{number}_solutions.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_class_image_check_follows_the_model_device(toy) -> None:
    sol = _solutions("03")
    with model_elsewhere() as mode:
        verdict = ex03.check_class_image(sol.class_image, toy)
    assert verdict, f"{verdict.message} (factories without device: {sorted(set(mode.defaulted))})"


def test_starting_image_check_and_solution_follow_the_classifier_device(toy) -> None:
    sol = _solutions("03")
    with model_elsewhere() as mode:
        verdict = ex03.check_starting_image(sol.starting_image(toy), toy)
    assert verdict, f"{verdict.message} (factories without device: {sorted(set(mode.defaulted))})"


def test_saliency_solution_follows_the_model_device(toy) -> None:
    sol = _solutions("02")
    x = torch.rand(2, 3, toy.input_size, toy.input_size)
    with model_elsewhere():
        maps = sol.saliency_from_model(toy.model, x, [1, 3])
    assert maps.shape == (2, toy.input_size, toy.input_size) and maps.device == x.device


def test_the_harness_catches_a_tensor_on_the_default_device(toy) -> None:
    """The bug of issue 17: a reference input built with torch.zeros(...) and no device, fed to the model."""

    def old_reference(model: torch.nn.Module, size: int) -> torch.Tensor:
        x = torch.zeros(1, 3, size, size, requires_grad=True)
        return model(x)

    with pytest.raises((RuntimeError, NotImplementedError)):
        with model_elsewhere():
            old_reference(toy.model, toy.input_size)


@pytest.mark.parametrize("name", ["conv1d_input_gradient", "maxpool2d_backward", "fooling_loop"])
def test_06_checks_and_solutions_follow_the_device(name) -> None:
    """Notebook 06's checks build every tensor (their small net included) on the device they are given, and the
    worked solutions create theirs on the device of their inputs."""
    sol = _solutions("06")
    with model_elsewhere() as mode:
        verdict = getattr(ex06, f"check_{name}")(getattr(sol, name), device="cpu")
    assert verdict, f"{verdict.message} (factories without device: {sorted(set(mode.defaulted))})"


def test_06_check_catches_a_solution_that_ignores_the_device() -> None:
    """The check itself has the harness's teeth: a fooling loop that builds its step on the default device fails it,
    on a CPU-only machine too, and the message says why."""

    def default_device_loop(model, x, target, epsilon, alpha, steps):
        adv = x.clone()
        for _ in range(steps):
            a = adv.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(model(a)[:, target].sum(), a)
            adv = (adv + alpha * torch.ones(x.shape) * g.sign()).clamp(0, 1)  # torch.ones without device=
            adv = torch.minimum(torch.maximum(adv, x - epsilon), x + epsilon)
        return adv

    verdict = ex06.check_fooling_loop(default_device_loop)  # right values on the CPU, yet refused
    assert not verdict and "not on a GPU" in verdict.message and "with torch.ones and no device=" in verdict.message
    with model_elsewhere():
        assert not ex06.check_fooling_loop(default_device_loop, device="cpu")


GPU = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else None
needs_gpu = pytest.mark.skipif(GPU is None, reason="no CUDA or MPS device here; the 'meta' trick above covers the CPU")


def _device_cases() -> list[tuple[str, object, str]]:
    """(id, check, solution name) for every check that takes the notebook's device."""
    from helpers.exercises import linear as ex01
    from helpers.exercises import logits as ex04

    return [
        ("01 ex1", ex01.check_relu_gradient, "01.relu_gradient"),
        ("01 ex2", ex01.check_taylor_error, "01.taylor_error"),
        ("04 ex1", ex04.check_score_jacobian, "04.score_jacobian"),
        ("04 ex2", ex04.check_log_softmax_grad, "04.log_softmax_grad"),
        ("04 ex3", ex04.check_softmax_grad, "04.softmax_grad"),
        ("06 ex1", ex06.check_conv1d_input_gradient, "06.conv1d_input_gradient"),
        ("06 ex2", ex06.check_maxpool2d_backward, "06.maxpool2d_backward"),
        ("06 ex3", ex06.check_fooling_loop, "06.fooling_loop"),
        ("06 ex4", ex06.check_guided_rule, "06.guided_relu"),
    ]


@needs_gpu
@pytest.mark.parametrize(("check", "solution"), [c[1:] for c in _device_cases()], ids=[c[0] for c in _device_cases()])
def test_checks_pass_the_solutions_on_the_gpu(check, solution) -> None:
    """On a real accelerator: the student's function gets tensors on it, and the solutions pass there."""
    number, name = solution.split(".")
    fn = getattr(_solutions(number), name)
    seen: list[torch.device] = []

    def spy(*args):
        seen.extend(a.device for a in args if isinstance(a, torch.Tensor))
        return fn(*args)

    verdict = check(spy, device=GPU)
    assert verdict, verdict.message
    assert seen and all(d.type == GPU for d in seen), seen


@needs_gpu
def test_a_default_device_bug_fails_on_the_gpu_with_the_same_message() -> None:
    """The bug of issue 32 (torch.zeros without device=) fails on the GPU as under the 'meta' trick on the CPU."""

    def default_device_pool(g, x, k):
        return torch.zeros(x.shape, dtype=x.dtype) + _solutions("06").maxpool2d_backward(g, x, k)

    on_gpu, on_cpu = (
        ex06.check_maxpool2d_backward(default_device_pool, device=GPU),
        ex06.check_maxpool2d_backward(default_device_pool),
    )
    assert not on_gpu and not on_cpu and "not on a GPU" in on_cpu.message
    assert "Expected all tensors to be on the same device" in on_gpu.message or "device" in on_gpu.message, (
        on_gpu.message
    )
