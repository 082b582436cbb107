"""helpers.attribution: the three ReLU rules, Grad-CAM and integrated gradients against Captum; hygiene; fooling images."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import helpers
from helpers import attribution as A
from helpers import linear, toyworld
from helpers import saliency as S

captum_attr = pytest.importorskip("captum.attr")


def close(ours: torch.Tensor, theirs: torch.Tensor, rtol: float = 1e-4) -> bool:
    """Equal to `rtol` relative to the largest value of the reference (maps have many near-zero pixels)."""
    ours, theirs = ours.detach(), theirs.detach()
    return ours.shape == theirs.shape and float((ours - theirs).abs().max()) <= rtol * float(theirs.abs().max())


def random_relu_net(seed: int = 0) -> nn.Module:
    """A small random conv net with ReLU modules, max-pooling and a linear head: 5 classes, 16 px input."""
    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 8, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(8 * 8 * 8, 16),
        nn.ReLU(),
        nn.Linear(16, 5),
    )
    return net.eval().requires_grad_(False)


class Net(nn.Module):
    """A forward with a custom activation (for the error and no-ReLU cases)."""

    def __init__(self, activation=None) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.conv, self.fc, self.activation = nn.Conv2d(3, 4, 3), nn.Linear(4 * 4, 3), activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.max_pool2d(self.conv(x), 2)
        if self.activation is not None:
            h = self.activation(h)
        return self.fc(F.adaptive_avg_pool2d(h, 2).flatten(1))


@pytest.fixture(scope="module")
def toy_batch(toy):
    data = toyworld.generate(6, seed=toyworld.HELDOUT_SEED_OFFSET + 31)
    return linear.toy_inputs(toy, data.images), data.labels.tolist()


@pytest.fixture(scope="module")
def random_batch():
    return torch.randn(4, 3, 16, 16, generator=torch.Generator().manual_seed(5)), [0, 1, 2, 4]


def _models(toy, toy_batch, random_batch):
    return [(toy.model, *toy_batch), (random_relu_net(), *random_batch)]


# ---------------------------------------------------------------------------------------------
# Against Captum


@pytest.mark.parametrize(("rule", "method"), [("deconvnet", "Deconvolution"), ("guided", "GuidedBackprop")])
def test_rules_match_captum(toy, toy_batch, random_batch, rule, method) -> None:
    for model, x, t in _models(toy, toy_batch, random_batch):
        ours = A.backprop_saliency(model, x, t, rule=rule, reduce=None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = getattr(captum_attr, method)(model).attribute(x.clone(), target=t)
        assert close(ours, theirs)
        assert not close(ours, S.class_score_gradient(model, x, t)[0], rtol=1e-2)  # the rule changed something


def test_gradient_rule_is_the_papers_map_computed_by_hand(toy, toy_batch, lite0) -> None:
    """The gradient rule against an independent computation: one autograd pass of S_c, max |.| over colours."""

    def by_hand(clf, x, targets):
        xg = x.detach().clone().requires_grad_(True)
        scores = clf.model(xg)
        (g,) = torch.autograd.grad(scores[torch.arange(len(targets)), torch.as_tensor(targets)].sum(), xg)
        return g

    x, t = toy_batch
    g = by_hand(toy, x, [int(v) for v in t])
    assert torch.allclose(A.backprop_saliency(toy, x, t), g.abs().amax(dim=1), rtol=1e-5, atol=1e-7)
    assert torch.allclose(A.backprop_saliency(toy, x, t, reduce="l2"), g.pow(2).sum(dim=1).sqrt(), rtol=1e-5, atol=1e-7)
    xl = lite0.preprocess(helpers.load_image("coffee"))
    c = lite0.class_index("espresso")
    gl = by_hand(lite0, xl, [c])
    assert torch.allclose(
        A.backprop_saliency(lite0, xl, "espresso", rule="gradient"), gl.abs().amax(dim=1), rtol=1e-4, atol=1e-7
    )


def test_gradient_rule_through_the_mode_equals_autograd_on_functional_relu6(lite0) -> None:
    """Lite0 calls F.relu6 in forward: the mode must catch it (and the >6 side), or these would differ."""
    xl = lite0.preprocess(helpers.load_image("chelsea"), center_crop=False)[..., :96, :96]
    via_mode = A.backprop_saliency(lite0, xl, 281, rule=A.gradient_rule, reduce=None)
    plain = S.class_score_gradient(lite0, xl, 281)[0]
    assert close(via_mode, plain, rtol=1e-6)
    with A.relu_backward_rule("guided") as log:
        S.class_score_gradient(lite0, xl, 281)
    assert log.rectifiers == 1 + 16 * 2 - 1 + 1  # stem, two per block (one in the first), head
    guided = A.backprop_saliency(lite0, xl, 281, rule="guided", reduce=None)
    deconv = A.backprop_saliency(lite0, xl, 281, rule="deconvnet", reduce=None)
    assert not close(guided, plain, rtol=1e-2) and not close(deconv, guided, rtol=1e-2)


def test_relu6_rules_by_hand() -> None:
    x = torch.tensor([-1.0, 0.5, 7.0, 3.0])
    g = torch.tensor([1.0, -2.0, 3.0, 4.0])
    assert A.gradient_rule(g, x, 6.0).tolist() == [0.0, -2.0, 0.0, 4.0]
    assert A.deconvnet_rule(g, x, 6.0).tolist() == [1.0, 0.0, 3.0, 4.0]
    assert A.guided_rule(g, x, 6.0).tolist() == [0.0, 0.0, 0.0, 4.0]
    assert A.gradient_rule(g, x).tolist() == [0.0, -2.0, 3.0, 4.0]  # plain ReLU: no upper side


def test_module_relu6_and_functional_relu6_agree() -> None:
    torch.manual_seed(3)
    conv, fc = nn.Conv2d(3, 4, 3), nn.Linear(4, 2)

    class Functional(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv, self.fc = conv, fc

        def forward(self, x):
            return self.fc(F.relu6(3 * self.conv(x)).mean(dim=(2, 3)))

    class Module(Functional):
        def __init__(self) -> None:
            super().__init__()
            self.act = nn.ReLU6()

        def forward(self, x):
            return self.fc(self.act(3 * self.conv(x)).mean(dim=(2, 3)))

    x = torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    for rule in A.RULES:
        a = A.backprop_saliency(Functional().eval(), x, 1, rule=rule, reduce=None)
        b = A.backprop_saliency(Module().eval(), x, 1, rule=rule, reduce=None)
        assert torch.equal(a, b)


def test_grad_cam_matches_captum(toy, toy_batch, random_batch) -> None:
    cases = [(toy.model, toy.model.features[10], *toy_batch), (random_relu_net(), None, *random_batch)]
    for model, layer, x, t in cases:
        layer = layer if layer is not None else model[4]  # the default: the last rectifier on 4-D maps
        ours = A.grad_cam(model, x, t)
        assert torch.equal(ours, A.grad_cam(model, x, t, layer=layer))
        theirs = captum_attr.LayerGradCam(model, layer).attribute(x, target=t, relu_attributions=True)
        theirs = F.interpolate(theirs, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
        assert close(ours, theirs) and ours.shape == (x.shape[0], *x.shape[-2:])


def test_grad_cam_default_layer_on_lite0_is_the_head(lite0) -> None:
    xl = lite0.preprocess(helpers.load_image("coffee"))
    small = A.grad_cam(lite0, xl, "espresso", upsample=False)
    assert small.shape == (1, 7, 7)
    assert torch.equal(
        A.grad_cam(lite0, xl, "espresso", layer="_blocks.15"),
        A.grad_cam(lite0, xl, "espresso", layer=lite0.model._blocks[15]),
    )


def test_integrated_gradients_match_captum_and_complete(toy, toy_batch, random_batch) -> None:
    for model, x, t in _models(toy, toy_batch, random_batch):
        ours = A.integrated_gradients(model, x, t, steps=32, batch_size=40, reduce=None)
        theirs = captum_attr.IntegratedGradients(model).attribute(x, target=t, n_steps=32, method="riemann_middle")
        assert close(ours, theirs)
        baseline = torch.full_like(x[:1], 0.3)
        ig = A.integrated_gradients(model, x, t, baseline=baseline, steps=128, reduce=None)
        with torch.no_grad():
            idx = torch.tensor(t)[:, None]
            diff = model(x).gather(1, idx)[:, 0] - model(baseline.expand_as(x)).gather(1, idx)[:, 0]
        assert torch.allclose(ig.sum(dim=(1, 2, 3)), diff, rtol=0.02, atol=0.02 * float(diff.abs().max()))


def test_integrated_gradients_delta_is_captums_convergence_delta(toy, toy_batch, random_batch) -> None:
    """return_delta gives (map, sum(attributions) - (S(x) - S(x'))) per image, as Captum's convergence delta."""
    for model, x, t in _models(toy, toy_batch, random_batch):
        baseline = torch.full_like(x, 0.2)
        ours, delta = A.integrated_gradients(model, x, t, baseline=baseline, steps=16, reduce=None, return_delta=True)
        theirs, their_delta = captum_attr.IntegratedGradients(model).attribute(
            x, baselines=baseline, target=t, n_steps=16, method="riemann_middle", return_convergence_delta=True
        )
        assert close(ours, theirs) and delta.shape == (x.shape[0],)
        scale = float(ours.abs().sum(dim=(1, 2, 3)).max())
        assert torch.allclose(delta, their_delta.to(delta.dtype), atol=1e-4 * scale)
        assert float(delta.abs().max()) > 0  # 16 steps do not close the gap exactly: the check compares real numbers
        reduced, same = A.integrated_gradients(model, x, t, baseline=baseline, steps=16, return_delta=True)
        assert reduced.shape == (x.shape[0], *x.shape[2:]) and torch.equal(same, delta)


def test_grad_cam_default_layer_is_the_last_feature_map_not_a_squeeze_excitation_gate() -> None:
    """B2: on MobileNetV3 the last ReLU is an SE gate's (1,C,1,1) output; the default is features.12's map, not it."""
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v3_small(weights=None).eval().requires_grad_(False)
    x = torch.randn(2, 3, 96, 96, generator=torch.Generator().manual_seed(1))
    default = A.grad_cam(model, x, 3, upsample=False)
    assert default.shape == (2, 3, 3)  # features.12's 3 x 3 map at 96 px, not 1 x 1
    assert torch.equal(A.grad_cam(model, x, 3), A.grad_cam(model, x, 3, layer="features.12"))


class InplaceReluNet(nn.Module):
    """A ReLU net written with in-place rectifiers whose return value is dropped (`h.relu_()`), or out of place."""

    def __init__(self, inplace: bool) -> None:
        super().__init__()
        self.inplace = inplace
        self.c1, self.c2, self.fc = nn.Conv2d(3, 8, 3), nn.Conv2d(8, 6, 3), nn.Linear(6, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.c1(x)
        if self.inplace:
            h.relu_()
        else:
            h = h.relu()
        h = self.c2(h)
        h = F.relu(h, inplace=True) if self.inplace else F.relu(h)
        return self.fc(h.mean(dim=(2, 3)))


@pytest.mark.parametrize("rule", ["deconvnet", "guided"])
def test_inplace_relu_with_unused_return_value_keeps_its_effect_under_a_rule(rule: str) -> None:
    """B3: `h.relu_()` must rectify h under a ReLU rule, as it does without one."""
    torch.manual_seed(0)
    inplace, plain = InplaceReluNet(True), InplaceReluNet(False)
    plain.load_state_dict(inplace.state_dict())
    for net in (inplace, plain):
        net.eval().requires_grad_(False)
    x = torch.randn(3, 3, 16, 16, generator=torch.Generator().manual_seed(2))
    with A.relu_backward_rule(rule) as log:
        under_rule = inplace(x)
    assert log.rectifiers == 2 and torch.equal(under_rule, inplace(x))
    assert torch.equal(
        A.backprop_saliency(inplace, x, [0, 1, 2], rule=rule), A.backprop_saliency(plain, x, [0, 1, 2], rule=rule)
    )


def test_integrated_gradients_batching_does_not_change_the_result(toy, toy_batch) -> None:
    x, t = toy_batch
    one = A.integrated_gradients(toy, x, t, steps=8, batch_size=1)
    many = A.integrated_gradients(toy, x, t, steps=8, batch_size=1000)
    assert torch.allclose(one, many, rtol=1e-5, atol=1e-7)
    assert torch.equal(
        A.integrated_gradients(toy, x, None, steps=4), A.integrated_gradients(toy, x, toy.model(x).argmax(1), steps=4)
    )


# ---------------------------------------------------------------------------------------------
# Hygiene: no hooks, no parameter gradients, input unchanged, restored after exceptions


def _no_hooks(model: nn.Module) -> bool:
    return all(
        not (m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or getattr(m, "_backward_pre_hooks", {}))
        for m in model.modules()
    )


def _plain_relu_backward() -> bool:
    """Outside a rule block, a ReLU records autograd's own backward (no mode left on the stack)."""
    y = torch.relu(torch.randn(3, requires_grad=True))
    return y.grad_fn.name() == "ReluBackward0" and torch._C._len_torch_function_stack() == 0


def test_no_hooks_no_parameter_grads_input_unchanged(toy, toy_batch) -> None:
    x, t = toy_batch
    before = x.clone()
    params = list(toy.model.parameters())
    for fn in (
        lambda: A.backprop_saliency(toy, x, t, rule="deconvnet"),
        lambda: A.backprop_saliency(toy, x, t, rule="guided"),
        lambda: A.grad_cam(toy, x, t),
        lambda: A.grad_cam(toy, x, t, layer="features.7"),
        lambda: A.integrated_gradients(toy, x, t, steps=4),
    ):
        fn()
        assert _no_hooks(toy.model) and _plain_relu_backward()
        assert all(p.grad is None and not p.requires_grad for p in params)
        assert torch.equal(x, before) and not x.requires_grad and x.grad is None


class _FailsBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("broken on purpose")


def test_rule_is_removed_after_an_exception_mid_backward() -> None:
    net = random_relu_net()
    broken = nn.Sequential(net[:2], nn.Module(), net[2:]).eval()
    broken[1].forward = _FailsBackward.apply  # the failure happens inside the backward pass, between the ReLUs
    x = torch.randn(1, 3, 16, 16)
    with pytest.raises(RuntimeError, match="broken on purpose"):
        A.backprop_saliency(broken, x, 0, rule="guided")
    assert _plain_relu_backward() and _no_hooks(broken)
    assert torch.equal(A.backprop_saliency(net, x, 0), S.saliency_map(net, x, 0))


def test_grad_cam_removes_its_hook_after_an_error(toy, toy_batch) -> None:
    x, t = toy_batch
    with pytest.raises(ValueError, match="feature maps"):
        A.grad_cam(toy, x, t, layer="classifier.1")  # a Linear layer: (N, hidden), not maps
    assert _no_hooks(toy.model)


# ---------------------------------------------------------------------------------------------
# Clear errors, and what happens without ReLUs


def test_bad_rule_and_reduce(toy, toy_batch) -> None:
    x, t = toy_batch
    with pytest.raises(ValueError, match="rule must be one of"):
        A.backprop_saliency(toy, x, t, rule="deconv")
    with pytest.raises(ValueError, match="reduce must be one of"):
        A.backprop_saliency(toy, x, t, rule="guided", reduce="mean")
    with pytest.raises(ValueError, match="rule must be one of"):
        with A.relu_backward_rule("relu"):
            pass


def test_other_activation_raises_for_deconvnet_but_not_for_gradient() -> None:
    x = torch.randn(2, 3, 11, 11)
    net = Net(torch.sigmoid).eval()
    with pytest.raises(ValueError, match="sigmoid.*no DeconvNet"):
        A.backprop_saliency(net, x, 0, rule="deconvnet")
    assert A.backprop_saliency(net, x, 0).shape == (2, 11, 11)
    assert _plain_relu_backward()


def test_without_any_rectifier_the_three_rules_agree() -> None:
    net, x = Net().eval(), torch.randn(2, 3, 11, 11)
    maps = [A.backprop_saliency(net, x, 2, rule=rule) for rule in A.RULES]
    assert torch.equal(maps[0], maps[1]) and torch.equal(maps[0], maps[2])
    relu_net = Net(F.relu).eval()
    relu_maps = [A.backprop_saliency(relu_net, x, 2, rule=rule) for rule in A.RULES]
    assert not torch.equal(relu_maps[0], relu_maps[1])


@pytest.mark.parametrize("steps", [0, -3, 2.5, True, "32"])
def test_bad_steps(toy, toy_batch, steps) -> None:
    x, t = toy_batch
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        A.integrated_gradients(toy, x, t, steps=steps)


def test_integrated_gradients_bad_baseline_and_targets(toy, toy_batch) -> None:
    x, t = toy_batch
    with pytest.raises(ValueError, match="baseline must broadcast"):
        A.integrated_gradients(toy, x, t, baseline=torch.zeros(3, 5, 5))
    with pytest.raises(ValueError, match="targets for a batch"):
        A.integrated_gradients(toy, x, [0, 1], steps=2)
    with pytest.raises(TypeError, match="tensor of shape"):
        A.integrated_gradients(toy, x.numpy(), t)


def test_grad_cam_bad_layer(toy, toy_batch) -> None:
    x, t = toy_batch
    with pytest.raises(ValueError, match="No layer named"):
        A.grad_cam(toy, x, t, layer="features.99")
    with pytest.raises(ValueError, match="submodule"):
        A.grad_cam(toy, x, t, layer=nn.ReLU())
    with pytest.raises(ValueError, match="no activation.*larger than 1 x 1.*layer="):
        A.grad_cam(Net().eval(), torch.randn(1, 3, 11, 11), 0)


def test_training_mode_is_refused() -> None:
    net = random_relu_net().train()
    for fn in (
        lambda: A.backprop_saliency(net, torch.randn(1, 3, 16, 16), 0, rule="guided"),
        lambda: A.grad_cam(net, torch.randn(1, 3, 16, 16), 0),
    ):
        with pytest.raises(ValueError, match="training mode"):
            fn()
    assert _plain_relu_backward()


# ---------------------------------------------------------------------------------------------
# Fooling images


@pytest.mark.slow
def test_fooling_image_reaches_the_target_with_a_small_change(lite0) -> None:
    photo = helpers.load_image("coffee")
    before = photo.copy()
    result = A.fooling_image(lite0, photo, "tabby", max_steps=20)
    assert result.reached and 1 <= result.steps <= 20
    assert result.image.dtype == np.uint8 and result.image.shape == (224, 224, 3)
    tabby = lite0.class_index("tabby")
    assert (
        int(A.classify_crop(lite0, result.image).argmax()) == tabby
    )  # the uint8 image itself is classified as the target
    assert int(A.classify_crop(lite0, result.original).argmax()) != tabby
    assert np.array_equal(result.original, lite0.deprocess(lite0.preprocess(photo)))
    assert result.linf <= result.steps and result.linf <= 10  # one gray level per step at most
    diff = result.image.astype(float) - result.original.astype(float)
    assert math.isclose(result.l2, float(np.sqrt((diff**2).sum()))) and result.linf == np.abs(diff).max()
    assert np.array_equal(photo, before)
    assert "top-1" in str(result)


def test_fooling_image_budget_and_errors(toy) -> None:
    image = toyworld.generate(1, seed=toyworld.HELDOUT_SEED_OFFSET + 40).images[0]
    result = A.fooling_image(toy, image, "star", max_steps=1, epsilon=1)
    assert result.steps <= 1 and result.linf <= 1
    for kwargs in ({"max_steps": 0}, {"step_size": 0.5}, {"epsilon": 0}, {"max_steps": True}):
        with pytest.raises(ValueError, match="must be a positive integer"):
            A.fooling_image(toy, image, "star", **kwargs)
    with pytest.raises(ValueError, match="Unknown class name"):
        A.fooling_image(toy, image, "hexagon")
    with pytest.raises(TypeError, match="Classifier"):
        A.fooling_image(toy.model, image, 0)
