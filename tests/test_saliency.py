"""helpers.saliency: agreement with Captum and finite differences, batching, no side effects, ten crops, metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import helpers
from helpers import saliency as S
from helpers import toyworld
from helpers import views as V
from helpers.evaluation import masks as mask_eval
from helpers.evaluation import randomization as R
from helpers.geometry import resize_map


def _tiny_net(dtype: torch.dtype = torch.float32) -> nn.Module:
    """A small conv net with smooth and piecewise-linear parts, frozen."""
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1),
        nn.Tanh(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 8, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(32, 5),
    )
    return net.to(dtype).eval().requires_grad_(False)


def _random_toy_classifier() -> helpers.Classifier:
    """A randomly initialised ToyCNN wrapped as a Classifier (works before trained weights exist)."""
    torch.manual_seed(1)
    return helpers.Classifier(
        name="toy-random",
        model=toyworld.ToyCNN().eval().requires_grad_(False),
        device=torch.device("cpu"),
        categories=list(toyworld.CLASSES),
        mean=torch.full((3, 64, 64), 0.5),
        std=torch.full((3, 1, 1), 0.26),
        input_size=64,
    )


def test_matches_captum_saliency_with_channel_max(lite0) -> None:
    from captum.attr import Saliency

    x = torch.cat([lite0.preprocess(helpers.load_image(n)) for n in ("chelsea", "coffee")])
    targets = [281, 967]
    ours = S.saliency_map(lite0, x, targets)
    theirs = Saliency(lite0.model).attribute(x.clone().requires_grad_(True), target=targets, abs=True).amax(dim=1)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-7)
    assert ours.shape == (2, 224, 224) and ours.abs().sum() > 0


def test_finite_difference_directional_derivative_float64() -> None:
    net = _tiny_net(torch.float64)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, 3, 12, 12, generator=gen, dtype=torch.float64)
    d = torch.randn(x.shape, generator=gen, dtype=torch.float64)
    grad, idx = S.class_score_gradient(net, x, 3)
    eps = 1e-6
    fd = (net(x + eps * d)[0, 3] - net(x - eps * d)[0, 3]) / (2 * eps)
    assert idx.tolist() == [3]
    assert abs(float(fd) - float((grad * d).sum())) < 1e-7 * max(1.0, abs(float(fd)))
    # and the saliency map is |grad| maxed over channels
    torch.testing.assert_close(S.saliency_map(net, x, 3), grad.abs().amax(1))


def test_batch_equals_per_image_and_targets_per_image() -> None:
    clf = _random_toy_classifier()
    x = torch.randn(4, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    targets = [0, 3, 5, 1]
    batch = S.saliency_map(clf, x, targets)
    single = torch.cat([S.saliency_map(clf, x[i : i + 1], t) for i, t in enumerate(targets)])
    torch.testing.assert_close(batch, single, rtol=1e-5, atol=1e-8)
    predicted = clf.model(x).argmax(1).tolist()
    torch.testing.assert_close(S.saliency_map(clf, x, None), S.saliency_map(clf, x, predicted))
    torch.testing.assert_close(S.saliency_map(clf, x, "star"), S.saliency_map(clf, x, 3))


def test_no_grad_left_on_parameters_or_input_and_input_unchanged() -> None:
    net = _tiny_net()
    for p in net.parameters():  # even with trainable parameters, nothing is accumulated
        p.requires_grad_(True)
    x = torch.randn(2, 3, 16, 16, requires_grad=True)
    before = x.detach().clone()
    S.saliency_map(net, x, [0, 1])
    S.smoothgrad(net, x, 1, n_samples=3)
    assert all(p.grad is None for p in net.parameters())
    assert x.grad is None
    torch.testing.assert_close(x.detach(), before, rtol=0, atol=0)


def test_reductions_are_ordered_and_differ() -> None:
    net = _tiny_net()
    x = torch.randn(2, 3, 16, 16)
    mx, sm, l2 = (S.saliency_map(net, x, 2, reduce=r) for r in ("max", "sum", "l2"))
    assert torch.all(mx <= l2 + 1e-7) and torch.all(l2 <= sm + 1e-7)
    assert not torch.allclose(mx, sm)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"x": np.zeros((1, 3, 8, 8))}, TypeError),
        ({"x": torch.zeros(3, 8, 8)}, ValueError),
        ({"target": 99}, IndexError),
        ({"target": [0]}, ValueError),
        ({"target": "cat"}, TypeError),
        ({"reduce": "mean"}, ValueError),
    ],
)
def test_bad_input_gives_clear_errors(kwargs, error) -> None:
    args = {"x": torch.zeros(2, 3, 8, 8), "target": 0} | kwargs
    with pytest.raises(error):
        S.saliency_map(
            _tiny_net(), args["x"], args["target"], **({"reduce": kwargs["reduce"]} if "reduce" in kwargs else {})
        )


def test_training_mode_model_is_refused() -> None:
    with pytest.raises(ValueError, match="eval"):
        S.saliency_map(_tiny_net().train(), torch.zeros(1, 3, 8, 8), 0)


def test_ten_crop_batched_equals_sequential_and_has_image_shape(lite0) -> None:
    image = helpers.load_image("coffee")[::2, ::2].copy()  # smaller, non-square, keeps the test fast
    before = image.copy()
    batched = S.ten_crop_saliency(lite0, image, "espresso")
    sequential = S.ten_crop_saliency(lite0, image, "espresso", batch_size=1)
    assert batched.shape == image.shape[:2] and batched.dtype == np.float32
    np.testing.assert_allclose(batched, sequential, rtol=1e-3, atol=1e-6)
    np.testing.assert_array_equal(image, before)
    assert (batched > 0).mean() > 0.99  # every pixel is covered by some crop


def test_ten_crop_maps_crops_back_to_image_coordinates() -> None:
    """A model whose score is one pixel of its input: the 10-crop map must light up at that pixel's image places."""

    class OnePixel(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.stack([x[:, 0, 10, 20], x[:, 0, 10, 20] * 0], dim=1)

    clf = helpers.Classifier(
        "one-pixel", OnePixel().eval(), torch.device("cpu"), ["a", "b"], torch.zeros(3, 1, 1), torch.ones(3, 1, 1), 32
    )
    image = np.zeros((40, 60, 3), np.uint8)
    m = S.ten_crop_saliency(clf, image, 0, crop_fraction=0.8)  # working image 40x60, 32-px crops: no resizing
    crops = V.ten_crop_boxes(clf, image.shape, crop_fraction=0.8)
    expected = np.zeros((40, 60))
    count = np.zeros((40, 60))
    for c in crops:
        x0, y0, x1, y1 = (int(v) for v in c.box)
        count[y0:y1, x0:x1] += 1
        col = x1 - 1 - 20 if c.mirrored else x0 + 20
        expected[y0 + 10, col] += 1
    # the 10-crop estimate is the equal-variance average (issue 30): each pixel's deviation from the mean of the ten
    # maps is scaled by sqrt(coverage / 10); a plain average (expected / count) would give the frame more weight
    grand_mean = 10 / (10 * 32 * 32)  # ten maps, each with one 1 among 32 x 32 pixels
    equal_variance = grand_mean + np.sqrt(count / 10) * (expected / count - grand_mean)
    np.testing.assert_allclose(m, equal_variance, atol=1e-6)
    np.testing.assert_array_equal(V.ten_crop_coverage(clf, image.shape, crop_fraction=0.8), count)
    assert len(crops) == 10 and sum(c.mirrored for c in crops) == 5


def test_equal_variance_average_gives_every_pixel_the_spread_of_a_full_average() -> None:
    """Pure-noise crop maps: the plain average's partly covered pixels spread wider; the equal-variance one's do not."""
    rng = np.random.default_rng(0)
    offsets = [(0, 0), (0, 16), (8, 0), (8, 16), (4, 8)] * 2
    maps = rng.exponential(1.0, (4000, 10, 24, 24))  # heavy-tailed and non-negative, like |gradient|
    count = V.crop_coverage(offsets, (24, 24), (32, 40))
    plain = np.stack([V.paste_average(m, offsets, (32, 40)) for m in maps[:200]])
    equal = np.stack([V.equal_variance_average(m, offsets, (32, 40)) for m in maps[:200]])
    corner, full = count == 2, count == 10
    assert plain[:, corner].std() > 1.8 * plain[:, full].std()  # sqrt(10/2) = 2.24 in theory
    assert equal[:, corner].std() == pytest.approx(equal[:, full].std(), rel=0.1)
    np.testing.assert_allclose(equal[:, full], plain[:, full], rtol=1e-5)  # fully covered pixels keep the plain average
    assert equal.min() >= 0


@pytest.mark.slow
def test_ten_crop_saliency_has_no_bright_frame_on_chelsea(lite0) -> None:
    """Issue 30's measure: partly covered pixels' 99th percentile within 1.25x of fully covered pixels' (plain average: 1.6x)."""
    image = helpers.load_image("chelsea")
    m = S.ten_crop_saliency(lite0, image, "tabby")
    coverage = V.ten_crop_coverage(lite0, image.shape)
    assert set(np.unique(coverage)) == {2, 4, 6, 10}
    ratio = np.percentile(m[coverage < 10], 99) / np.percentile(m[coverage == 10], 99)
    assert 0.8 < ratio < 1.25, f"partly / fully covered 99th percentile = {ratio:.2f}"


def test_ten_crop_boxes_scale_to_image_and_stay_inside() -> None:
    crops = V.ten_crop_boxes(224, (300, 451))
    for c in crops:
        x0, y0, x1, y1 = c.box
        assert 0 <= x0 < x1 <= 451 + 1e-9 and 0 <= y0 < y1 <= 300 + 1e-9
        assert x1 - x0 == pytest.approx(224 / 256 * 300, rel=0.01)
    with pytest.raises(ValueError):
        V.ten_crop_boxes(224, (300, 451), crop_fraction=1.5)


def test_image_saliency_works_for_fixed_mean_image_models() -> None:
    clf = _random_toy_classifier()
    image = np.random.default_rng(0).integers(0, 256, (80, 100, 3), dtype=np.uint8)
    assert S.image_saliency(clf, image, 2).shape == (80, 100)
    assert S.ten_crop_saliency(clf, image, 2).shape == (80, 100)


def test_ten_crop_many_equals_one_by_one() -> None:
    clf = _random_toy_classifier()
    images = np.random.default_rng(1).integers(0, 256, (3, 64, 64, 3), dtype=np.uint8)
    many = S.ten_crop_saliency_many(clf, images, [0, 2, "ring"], batch_size=2)
    single = np.stack([S.ten_crop_saliency(clf, im, t) for im, t in zip(images, [0, 2, 5])])
    np.testing.assert_allclose(many, single, rtol=1e-4, atol=1e-7)


def test_ten_crop_many_offers_the_papers_plain_average_on_the_same_crops() -> None:
    """average="plain" is paste_average of the same un-mirrored crop maps; the default stays equal-variance."""
    clf = _random_toy_classifier()
    images = np.random.default_rng(2).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    plain = S.ten_crop_saliency_many(clf, images, [0, 3], average="plain")
    equal = S.ten_crop_saliency_many(clf, images, [0, 3])
    for image, target, got_plain, got_equal in zip(images, [0, 3], plain, equal):
        crops = V.ten_crops(clf, image)
        maps = S.saliency_map(clf, crops.batch, target).cpu().numpy()
        maps = np.concatenate([maps[:5], maps[5:, :, ::-1]])
        expected = V.paste_average(maps, crops.offsets, crops.work_hw)
        np.testing.assert_allclose(got_plain, resize_map(expected, *crops.image_hw), rtol=1e-4, atol=1e-7)
        expected = V.equal_variance_average(maps, crops.offsets, crops.work_hw)
        np.testing.assert_allclose(got_equal, resize_map(expected, *crops.image_hw), rtol=1e-4, atol=1e-7)
    assert not np.allclose(plain, equal)
    with pytest.raises(ValueError, match="equal_variance"):
        S.ten_crop_saliency_many(clf, images, [0, 3], average="mean")


def test_rank_correlations_pair_maps_and_leave_out_the_border() -> None:
    """Per-pair Spearman correlations; with a margin a shared border band no longer counts as agreement."""
    rng = np.random.default_rng(0)
    a, b = rng.random((3, 20, 20)), rng.random((3, 20, 20))
    a[:, :4], b[:, :4] = 10 + a[:, :4], 10 + b[:, :4]  # a bright band both maps share, over independent noise
    whole = R.rank_correlations(a, b)
    np.testing.assert_allclose(whole, [mask_eval.rank_correlation(x, y) for x, y in zip(a, b)])
    inner = R.rank_correlations(a, b, margin=4)
    np.testing.assert_allclose(inner, [mask_eval.rank_correlation(x[4:-4, 4:-4], y[4:-4, 4:-4]) for x, y in zip(a, b)])
    assert whole.min() > 0.3 and np.abs(inner).max() < 0.3
    for bad in (-1, 10, 1.5, True):
        with pytest.raises(ValueError, match="margin"):
            R.rank_correlations(a, b, margin=bad)
    with pytest.raises(ValueError, match="same shape"):
        R.rank_correlations(a, b[:2])


def test_smoothgrad_is_deterministic_and_reduces_to_saliency_without_noise() -> None:
    net = _tiny_net()
    x = torch.randn(2, 3, 16, 16)
    torch.testing.assert_close(S.smoothgrad(net, x, 1, n_samples=4, noise_level=0.0), S.saliency_map(net, x, 1))
    a, b = S.smoothgrad(net, x, 1, n_samples=5, seed=3), S.smoothgrad(net, x, 1, n_samples=5, seed=3, batch_size=2)
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, S.saliency_map(net, x, 1))


def test_randomize_top_layers_copies_and_changes_only_the_top() -> None:
    clf = _random_toy_classifier()
    layers = R.parameterized_layers(clf.model)
    assert [n for n, _ in layers][-2:] == ["classifier.1", "classifier.4"]
    before = {k: v.clone() for k, v in clf.model.state_dict().items()}
    rnd = R.randomize_top_layers(clf, 2, seed=5)
    state = rnd.model.state_dict()
    assert all(torch.equal(v, clf.model.state_dict()[k]) for k, v in before.items())  # original untouched
    assert not torch.equal(state["classifier.4.weight"], before["classifier.4.weight"])
    assert torch.equal(state["features.0.weight"], before["features.0.weight"])
    assert not any(p.requires_grad for p in rnd.model.parameters()) and not rnd.model.training
    with pytest.raises(ValueError):
        R.randomize_top_layers(clf, len(layers) + 1)


def test_rank_correlation_matches_definition() -> None:
    rng = np.random.default_rng(0)
    a = rng.random((8, 8))
    assert mask_eval.rank_correlation(a, a) == pytest.approx(1.0)
    assert mask_eval.rank_correlation(a, -a) == pytest.approx(-1.0)
    assert mask_eval.rank_correlation(a, np.exp(3 * a)) == pytest.approx(1.0)  # monotone transform
    b = np.array([1.0, 2.0, 2.0, 3.0])  # ties get average ranks: ranks 1, 2.5, 2.5, 4
    c = np.array([4.0, 3.0, 2.0, 1.0])
    rb, rc = np.array([1, 2.5, 2.5, 4]) - 2.5, np.array([4, 3, 2, 1]) - 2.5
    assert mask_eval.rank_correlation(b, c) == pytest.approx(rb @ rc / np.sqrt((rb @ rb) * (rc @ rc)))
    with pytest.raises(ValueError):
        mask_eval.rank_correlation(np.ones(4), c)


def test_mass_relative_to_area() -> None:
    """A uniform map scores 1 on masks of any size; a map all inside a mask of area a scores 1/a."""
    small, large = np.zeros((4, 5), bool), np.zeros((4, 5), bool)
    small[1, 1], large[:, :3] = True, True
    uniform = np.ones((4, 5))
    np.testing.assert_allclose(
        mask_eval.mass_relative_to_area(np.stack([uniform, uniform]), np.stack([small, large])), [1.0, 1.0]
    )
    inside = np.zeros((4, 5))
    inside[1, 1] = 2.0
    assert mask_eval.mass_relative_to_area(inside, small) == pytest.approx(20.0)
    assert isinstance(mask_eval.mass_relative_to_area(torch.from_numpy(inside), torch.from_numpy(small)), float)
    with pytest.raises(ValueError, match="empty"):
        mask_eval.mass_relative_to_area(uniform, np.zeros((4, 5), bool))


def test_mass_and_pointing_game() -> None:
    mask = np.zeros((4, 5), bool)
    mask[1:3, 1:3] = True
    uniform = np.ones((4, 5))
    assert mask_eval.mass_inside_mask(uniform, mask) == pytest.approx(4 / 20)
    assert mask_eval.pointing_game(uniform, mask) == pytest.approx(4 / 20)
    peak = np.zeros((4, 5))
    peak[2, 2], peak[0, 0] = 3.0, 1.0
    assert mask_eval.mass_inside_mask(peak, mask) == pytest.approx(0.75)
    assert mask_eval.pointing_game(peak, mask) == 1.0
    batch = np.stack([peak, np.roll(peak, 2, axis=1)])  # second map peaks outside the mask
    np.testing.assert_allclose(mask_eval.pointing_game(batch, np.stack([mask, mask])), [1.0, 0.0])
    with pytest.raises(ValueError):
        mask_eval.mass_inside_mask(-peak, mask)
    with pytest.raises(ValueError):
        mask_eval.pointing_game(peak, mask.astype(int))


@pytest.mark.parametrize("as_module", [False, True], ids=["classifier", "module"])
def test_one_channel_input_names_three_channels_and_preprocess(as_module: bool) -> None:
    clf = _random_toy_classifier()
    with pytest.raises(ValueError, match=r"3 colour channels.*preprocess\(image\)"):
        S.saliency_map(clf.model if as_module else clf, torch.zeros(1, 1, 64, 64), 0)


@pytest.mark.parametrize("as_module", [False, True], ids=["classifier", "module"])
def test_toy_cnn_refuses_another_input_size_naming_its_own(as_module: bool) -> None:
    clf = _random_toy_classifier()
    x = torch.zeros(1, 3, 224, 224)
    assert clf.model(x).shape == (1, 6)  # the adaptive pooling alone would accept it without a word
    with pytest.raises(ValueError, match=r"64x64 inputs.*got 224x224"):
        S.saliency_map(clf.model if as_module else clf, x, 0)
    with pytest.raises(ValueError, match="64x64"):
        S.smoothgrad(clf, x, 0, n_samples=1)


def test_any_size_models_still_take_any_size(lite0) -> None:
    assert S.saliency_map(lite0, torch.zeros(1, 3, 96, 160), 0).shape == (1, 96, 160)
    assert S.saliency_map(_tiny_net(), torch.zeros(1, 3, 10, 14), 0).shape == (1, 10, 14)


def test_pointing_defaults_are_pinned_torchrays_15_px_and_the_centre_of_a_non_square_image() -> None:
    """The default tolerance is TorchRay's 15 px, strictly (d < 15), and the centre baseline uses (row, column) of a non-square image."""
    from helpers.evaluation import masks

    assert masks.POINTING_TOLERANCE == 15
    mask = np.zeros((60, 200), bool)
    mask[28:32, 98:102] = True  # a small object at the centre of a wide image
    assert masks.centre_hit(mask)  # swapped (x, y) would look at row 99: outside the image
    peak = np.zeros((60, 200), np.float32)
    peak[30, 101 + 14] = 1.0  # 14 px right of the object's last column (101)
    assert masks.pointing_hit(peak, mask)  # closer than the default 15 px
    peak[30, 115], peak[30, 116] = 0.0, 1.0  # exactly 15 px away: TorchRay counts d^2 < tol^2 only
    assert not masks.pointing_hit(peak, mask)
    assert masks.pointing_hit(peak, mask, tolerance=15.5)
    on_object = np.zeros((60, 200), np.float32)
    on_object[30, 100] = 1.0
    assert masks.pointing_hit(on_object, mask, tolerance=1) and not masks.pointing_hit(on_object, mask, tolerance=0)


# ---------------------------------------------------------------------------------------------
# The ten crops: one average for every rule, the target resolved once, the centre crop centred


def test_ten_crop_refuses_maps_that_are_not_crop_sized(toy) -> None:
    """B4: grad_cam(upsample=False) gives 8 x 8 maps; pasting them into 64 x 64 crops would be silently wrong."""
    image = toyworld.generate(1, seed=3).images[0]
    with pytest.raises(ValueError, match=r"crop-sized map.*\(10, 64, 64\).*\(10, 8, 8\).*upsample=True"):
        helpers.ten_crop(helpers.grad_cam)(toy, image, 0, upsample=False)
    assert helpers.ten_crop(helpers.grad_cam)(toy, image, 0).shape == image.shape[:2]


def test_ten_crop_resolves_target_none_once_on_the_whole_photo(lite0) -> None:
    """On "china" most crops have another top class than the whole photo: None must still mean the photo's class."""
    photo = helpers.load_image("china")[::2, ::2].copy()
    top = int(V.whole_image_scores(lite0, photo).argmax())
    with torch.no_grad():
        crop_tops = lite0.model(V.ten_crops(lite0, photo).batch).argmax(dim=1).tolist()
    assert sum(c != top for c in crop_tops) >= 5, crop_tops  # the premise: per-crop targets would differ
    rule = helpers.ten_crop(S.saliency_map)
    np.testing.assert_array_equal(rule(lite0, photo, None), rule(lite0, photo, top))


@pytest.mark.parametrize("shape", [(64, 128), (300, 451), (81, 200)])
def test_centre_crop_is_centred_on_a_landscape_image(shape: tuple[int, int]) -> None:
    """The centre crop's box is centred horizontally (to half a working pixel) and vertically, on wide images."""
    for size in (64, 224):
        centre = next(c for c in V.ten_crop_boxes(size, shape) if c.name == "centre")
        work = V.working_shape(shape, size, helpers.models.DEFAULT_CROP_FRACTION)
        x0, y0, x1, y1 = centre.box
        half_pixel = (shape[1] / work[1], shape[0] / work[0])
        assert abs((x0 + x1) / 2 - shape[1] / 2) <= half_pixel[0] / 2 + 1e-9, (size, shape, centre.box)
        assert abs((y0 + y1) / 2 - shape[0] / 2) <= half_pixel[1] / 2 + 1e-9, (size, shape, centre.box)


def _recording_rule(seen: list[torch.Tensor]):
    """A batch rule whose map is the sum of its (noisy) input's channels; it keeps every batch it is given."""

    def rule(model, x: torch.Tensor, target) -> torch.Tensor:
        seen.append(x.detach().clone())
        return x.sum(dim=1)

    return rule


@pytest.mark.parametrize("kind", ["smoothgrad", "smoothgrad_sq", "vargrad"])
def test_noise_tunnel_kinds_follow_their_definitions(toy, kind: str) -> None:
    """mean of the maps, mean of their squares, their variance (Captum's nt_type), over the very noisy copies drawn."""
    x = toy.preprocess(toyworld.generate(2, seed=4).images[0])
    x = torch.cat([x, x.flip(-1)])
    seen: list[torch.Tensor] = []
    got = helpers.noise_tunnel(_recording_rule(seen), n_samples=5, batch_size=4, kind=kind)(toy, x, 0)
    maps = torch.cat(seen).view(5, 2, *x.shape[1:]).sum(dim=2)  # (samples, images, H, W)
    want = {"smoothgrad": maps.mean(0), "smoothgrad_sq": maps.pow(2).mean(0), "vargrad": maps.var(0, unbiased=False)}[
        kind
    ]
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4 * float(want.abs().max()))
    if kind == "smoothgrad":
        assert torch.equal(got, helpers.noise_tunnel(_recording_rule([]), n_samples=5, batch_size=4)(toy, x, 0))
    with pytest.raises(ValueError, match="kind must be one of"):
        helpers.noise_tunnel(S.saliency_map, kind="var")


def test_scaled_pointing_tolerance_keeps_torchrays_fraction_of_the_image_and_rejects_bad_sides() -> None:
    """15 px at 224 px is 15 * 64 / 224 px at 64 px; a peak 4 px from a 64-px toy mask hits with it, not at 3 px."""
    from helpers.evaluation import masks

    tol = masks.scaled_pointing_tolerance(64)
    assert tol == pytest.approx(15 * 64 / 224)
    assert masks.scaled_pointing_tolerance(224) == masks.POINTING_TOLERANCE
    mask = np.zeros((64, 64), bool)
    mask[20:30, 20:30] = True
    peak = np.zeros((64, 64), np.float32)
    peak[25, 33] = 1.0  # 4 px right of the mask's last column (29)
    assert masks.pointing_hit(peak, mask, tolerance=tol) and not masks.pointing_hit(peak, mask, tolerance=3)
    for bad in (0, -64, float("nan")):
        with pytest.raises(ValueError, match="positive number of pixels"):
            masks.scaled_pointing_tolerance(bad)
