# %% [markdown]
# # 01 · The linear model: where saliency comes from
#
# Simonyan, Vedaldi & Zisserman (2013), Section 3, start from a **linear** class score (paper, Eq. 2)
#
# $$S_c(I) = w_c^\top I + b_c , \qquad (2)$$
#
# for which the importance of pixel $I_{ij}$ for class $c$ is the magnitude of the weight $w_c$ at that pixel. A CNN is not linear, but around a given image $I_0$ its score has a first-order Taylor expansion (paper, Eqs. 3 and 4)
#
# $$S_c(I) \approx w^\top I + b \quad (3), \qquad w = \left.\frac{\partial S_c}{\partial I}\right|_{I_0} \quad (4).$$
#
# We check both numerically: a linear classifier on a simple shape task, whose gradient is its template $w_c$ for *every* image, and the toy CNN, whose gradient changes from image to image and is exactly a linear model only very close to $I_0$.
#
# **Time.** Main line: 20 min (the section headings' minutes add up to it); optional sections: 3 min.
#
# **One-session plan (10 min):** show the two tasks, the accuracy table, the templates and the CNN's saliency maps; run live the training cell (tagged `live`); skip "Its gradient is $w_c$" (one sentence: the gradient is the template), the Taylor section, the optional section and the exercises.
#
# **Two-session plan (20 min):** show the whole main line; run live the training cell and exercise 1; skip the optional section and "Going further" (reading).
#
# **Prerequisites.** Python and NumPy; PyTorch tensors and `backward`/`torch.autograd.grad`; what a softmax classifier and a ReLU are.
#
# **Learning goals.** After this notebook you can
# - read a linear model's weights $w_c$ as a template and $|w_c|$ as pixel importance, and explain why its saliency map is the same for every image;
# - compute a ReLU network's input gradient by hand and say why it is a *local* linear model (Eqs. 3-4);
# - measure how far the first-order expansion holds, and say what that means for reading $|w|$ as pixel importance.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/saliency-course/deep-inside-convnets/blob/main/notebooks/01_linear_model_intuition.ipynb)

# %%
# Course set-up: on Colab, or wherever `helpers` is missing, install the course package first.
import importlib.util, os, subprocess, sys
if importlib.util.find_spec("helpers") is None:
    source = os.environ.get("COURSE_PIP_SOURCE", "git+https://github.com/saliency-course/deep-inside-convnets@main")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", source], capture_output=True, text=True)
    if pip.returncode != 0:
        print(pip.stdout[-3000:], pip.stderr[-3000:], sep="\n")
        raise RuntimeError(f"Installing the course package from {source} failed (pip's messages above): check that the "
                           "address is right and public, or set COURSE_PIP_SOURCE in a cell above (README, Google Colab); re-run this cell.")
    importlib.invalidate_caches()
try:  # on Colab, ipywidgets 8 widgets render only with its custom widget manager
    from google.colab import output as colab_output; colab_output.enable_custom_widget_manager()
except (ImportError, AttributeError): pass
import helpers
if not hasattr(helpers, "plotting"):  # another `helpers` hides the course package
    where = getattr(helpers, "__file__", None) or list(getattr(helpers, "__path__", []))
    raise ImportError(f"{where} is not the course package `helpers` but hides it: rename it (e.g. to my_helpers.py), then restart the kernel.")
helpers.plotting.use_notebook_style()
threads = helpers.runtime.configure_threads()  # half the cores (1-4) unless COURSE_THREADS says otherwise
print("helpers", helpers.__version__, "| device:", helpers.default_device(), "|", threads)

# %%
import copy

import numpy as np
import torch
import matplotlib.pyplot as plt

from helpers import toyworld, linear
from helpers.saliency import saliency_map, class_score_gradient
from helpers.course.plotting import normalize_map, show_images
from helpers.evaluation.competitors import median_interval
from helpers.evaluation.proportions import sign_test, wilson_interval

torch.manual_seed(0)
np.random.seed(0)
# a simple task: one upright shape near the centre, one colour, plain background
centred = linear.generate_centred(2000, seed=1)
centred_heldout = linear.generate_centred(1000, seed=toyworld.HELDOUT_SEED_OFFSET + 1)
# the toy world of the course: any position, size, rotation and colour, with distractor strokes
train = toyworld.generate(2000, seed=1)
heldout = toyworld.generate(1000, seed=toyworld.HELDOUT_SEED_OFFSET + 1)  # never seen in training (toy CNN: seed 0)
# the accuracies are measured on fresh test sets, a seed no other notebook uses
centred_test = linear.generate_centred(5000, seed=toyworld.HELDOUT_SEED_OFFSET + 11)
test = toyworld.generate(5000, seed=toyworld.HELDOUT_SEED_OFFSET + 11)
cnn_train = toyworld.generate(12_000, seed=0).subset(slice(0, 2000))   # 2000 of the toy CNN's own training images
print(f"{len(centred)} + {len(train)} training, {len(centred_heldout)} + {len(heldout)} held-out and "
      f"{len(centred_test)} + {len(test)} test images of {toyworld.IMAGE_SIZE} px; classes: {', '.join(toyworld.CLASSES)}")

# %%
fig = show_images(list(centred.images[:3]) + list(train.images[:3]),
                  [f"simple task: {n}" for n in centred.class_names()[:3]] + [f"toy world: {n}" for n in train.class_names()[:3]],
                  ncols=3, size=4.0)

# %% [markdown]
# What you should see: top, the simple task: one upright shape near the centre, always yellow on dark blue, so a shape covers nearly the same pixels in every image of its class. Bottom, the toy world used from here on: shapes at any position, size, rotation and colour, on a colour gradient with distractor strokes.

# %% [markdown]
# ## A linear softmax classifier · 4 min
#
# `helpers.linear.train_linear_classifier` fits $S_c(I) = w_c^\top I + b_c$ (Eq. 2) on normalised pixels with cross-entropy, from zero weights, with plain SGD: a weight then moves only as far as its pixel carries evidence, so $|w_c|$ reads as pixel importance. The same recipe is trained twice: on the simple task and on the toy world. The no-learning baselines: chance (1 in 6) and the **class-mean template**, a linear model whose $w_c$ is the mean training image of class $c$ (nearest class mean). Accuracies are measured on fresh test images; the "train" column is each model's own training images.

# %% tags=["live"]
lin = linear.train_linear_classifier(centred, epochs=10, lr=1e-3, weight_decay=0.0, optimizer="sgd", seed=0)
lin_toy = linear.train_linear_classifier(train, epochs=10, lr=1e-3, weight_decay=0.0, optimizer="sgd", seed=0)
toy = helpers.load_model("toy", device=helpers.default_device())


def class_mean_accuracy(data, test):
    """Held-out accuracy of the no-learning linear model: the nearest class-mean training image."""
    flat = lambda d: torch.from_numpy(d.images.reshape(len(d), -1).astype(np.float32))
    means = torch.stack([flat(data)[torch.from_numpy(data.labels == c)].mean(0) for c in range(len(toyworld.CLASSES))])
    return float((torch.cdist(flat(test), means).argmin(1).numpy() == test.labels).mean())


def with_interval(accuracy, n):
    """'accuracy [95% Wilson interval]' of `accuracy` on n images."""
    low, high = wilson_interval(round(accuracy * n), n)
    return f"{accuracy:6.1%} [{low:.1%}, {high:.1%}]"


acc = {name: (linear.accuracy(model, tr), linear.accuracy(model, te))
       for name, model, tr, te in [("linear model, simple task", lin, centred, centred_test),
                                   ("linear model, toy world", lin_toy, train, test),
                                   ("toy CNN, toy world", toy, cnn_train, test)]}
acc["class-mean template, simple task"] = (np.nan, class_mean_accuracy(centred, centred_test))
acc["class-mean template, toy world"] = (np.nan, class_mean_accuracy(train, test))
chance = 1 / len(toyworld.CLASSES)
n_te = len(test)
print(f"n = {n_te} test images per task; chance (6 balanced classes) {chance:.1%}; train: n = 2000 of each model's "
      "own training images (the toy CNN's are 2000 of its 12000)")
print(f"{'':34s} {'train':>6s}   test [95% Wilson interval]")
for name, (tr, te) in acc.items():
    print(f"{name:34s} {'-' if np.isnan(tr) else f'{tr:.1%}':>6s}   {with_interval(te, n_te)}")
interval = {name: wilson_interval(round(te * n_te), n_te) for name, (_, te) in acc.items()}
low, high = interval["linear model, toy world"]
print(f"linear model, toy world: {acc['linear model, toy world'][1]:.0%} of the test images, near chance "
      f"({chance:.0%}); its 95% interval {'lies above' if low > chance else 'contains'} chance")

# %%
# NBVAL_CHECK_OUTPUT
from helpers.claims import claim, equal_to_float_precision

NEAR_CHANCE = chance + 0.1 * (1 - chance)   # fixed before the run: a tenth of the way from chance to perfect
claim("simple task: learning beats the no-learning class-mean template (the 95% intervals of their test "
      "accuracies do not overlap)", interval["linear model, simple task"][0] > interval["class-mean template, simple task"][1])
claim(f"toy world: the same linear model is near chance: the upper end of its 95% interval is below {NEAR_CHANCE:.0%}, "
      "chance plus a tenth of the way from chance to perfect (a bound fixed before the run)",
      interval["linear model, toy world"][1] < NEAR_CHANCE)
claim("toy world: the toy CNN is above the linear model and the class-mean template (its 95% interval lies above theirs)",
      interval["toy CNN, toy world"][0] > max(interval["linear model, toy world"][1], interval["class-mean template, toy world"][1]));

# %% [markdown]
# What you should see: on the simple task the linear model is right on nearly every test image, well above the class-mean template; on the toy world the same recipe is **near chance** (the table's last line), though it fits part of its training set. The toy CNN solves the toy world: no single template can, so we need the CNN, and saliency to ask it which pixels mattered. Why: "Going further".

# %% [markdown]
# ## Optional: did the training converge? · 3 min
#
# The same recipe with twice the epochs (one change). With the same seed the 20-epoch run repeats the 10-epoch run's first 10 epochs exactly, so the two models are the last two checkpoints of one run, and each test image is compared with itself (a paired test): how many answers change, and does the loss still fall?

# %%
lin_2x = linear.train_linear_classifier(centred, epochs=20, lr=1e-3, weight_decay=0.0, optimizer="sgd", seed=0)
lin_toy_2x = linear.train_linear_classifier(train, epochs=20, lr=1e-3, weight_decay=0.0, optimizer="sgd", seed=0)
def paired_change(short, long, data):
    """Between two checkpoints, per image of `data`: (answers changed, fixed, broken, losses fallen, losses risen)."""
    before, after = linear.predict(short, data), linear.predict(long, data)
    right_before, right_after = before == data.labels, after == data.labels
    loss_drop = linear.per_image_loss(short, data) - linear.per_image_loss(long, data)
    return (int((before != after).sum()), int((right_after & ~right_before).sum()), int((right_before & ~right_after).sum()),
            int((loss_drop > 0).sum()), int((loss_drop < 0).sum()))


def share(k, n):
    """'(k/n [95% Wilson interval])' as percentages."""
    low, high = wilson_interval(k, n) if n else (0.0, 1.0)
    return f"({k / max(n, 1):.1%} [{low:.1%}, {high:.1%}])"


longer = {"simple task": (lin, lin_2x, centred, centred_test), "toy world": (lin_toy, lin_toy_2x, train, test)}
change, template_cosine = {}, {}
print(f"epochs 10 -> 20; n = {n_te} test and {len(train)} training images per task; 95% Wilson intervals")
for task, (short, long, tr, te) in longer.items():
    template_cosine[task] = torch.nn.functional.cosine_similarity(short.model.templates().flatten(1).cpu(),
                                                                   long.model.templates().flatten(1).cpu())
    for epochs, model in ((10, short), (20, long)):
        print(f"{task:12s} {epochs} epochs: train {linear.accuracy(model, tr):6.1%}, test {with_interval(linear.accuracy(model, te), n_te)}")
    for split, data in (("test", te), ("train", tr)):
        changed, fixed, broken, fell, rose = change[task, split] = paired_change(short, long, data)
        print(f"{task:12s} {split:5s}: answers changed on {changed} of {len(data)} {share(changed, len(data))}: "
              f"{fixed} fixed, {broken} broken; the loss fell on {fell} of {fell + rose} {share(fell, fell + rose)}")
    print(f"{task:12s} cosine of each class's template, 10 vs 20 epochs: min {float(template_cosine[task].min()):.3f}")

# %%
# NBVAL_CHECK_OUTPUT
claim("simple task: the answers have settled: from epoch 10 to 20 fewer than 1 in 100 test answers change (the upper "
      "end of the 95% interval of the changed share is below 1%, fixed before the run: the notebook's accuracy "
      "conclusions rest on differences of several points)",
      wilson_interval(change["simple task", "test"][0], n_te)[1] < 0.01)
fell, rose = change["simple task", "test"][3:]
claim("simple task: the templates have settled: every class's template turns by less than a tenth of the way to "
      "unrelated between the checkpoints (cosine above 0.9)", float(template_cosine["simple task"].min()) > 0.9)
claim("simple task: the loss has not settled: it falls on most test images (the 95% interval of the share lies above "
      "one half, a paired test)", wilson_interval(fell, fell + rose)[0] > 0.5)
fixed, broken = change["toy world", "train"][1:3]
claim(f"toy world: twice the epochs fit more training images (of the training images whose answer changed, the 95% "
      f"interval of the share fixed lies above one half), and the test accuracy stays near chance (the upper end of "
      f"its 95% interval is below {NEAR_CHANCE:.0%})",
      wilson_interval(fixed, fixed + broken)[0] > 0.5
      and wilson_interval(round(linear.accuracy(lin_toy_2x, test) * n_te), n_te)[1] < NEAR_CHANCE);

# %% [markdown]
# What you should see: on the simple task fewer than 1 in 100 test answers change (all for the better) and the templates barely turn: converged for what this notebook reads, while the loss still falls because the weights keep growing on a task they separate. On the toy world more training fixes many training images but only a few test images, and the test accuracy stays near chance.

# %% [markdown]
# ## Each $w_c$ is an image: the class template · 4 min

# %%
templates = lin.model.templates().cpu()                        # (6, 3, 64, 64)
shown = [np.clip(0.5 + t.permute(1, 2, 0).numpy() / (2 * t.abs().max().item()), 0, 1) for t in templates]
importance = templates.abs().amax(dim=1)                        # max over colours of |w_c|: the saliency map of Eq. 2
picked = [toyworld.CLASSES.index(name) for name in ("circle", "cross", "ring")]
fig = show_images([shown[k] for k in picked] + [normalize_map(importance[k]) for k in picked],
                  [f"template w_c: {toyworld.CLASSES[k]}" for k in picked] + [f"importance |w_c|: {toyworld.CLASSES[k]}" for k in picked],
                  ncols=3, cmap="gray", size=4.0,
                  suptitle="linear-model weights: signed (top, grey = 0) and max over colours of |w_c| (bottom)")

# %% [markdown]
# What you should see: each template is its class *against the others*: yellow where the shape's colour adds to $S_c$, blue where it subtracts (`w_ring` is mostly a blue centre: the hole tells a ring from a circle). Pixels no shape covers stay grey, and the bottom row, $\max_{\text{colour}} |w_c|$, is dark there. Never-covered pixels carry no class information, so any trained model is darker there, by a ratio that depends on training length: the check reads only the comparison with a control trained identically on shuffled labels.

# %%
# the control: the same recipe (same arguments) on the same images with shuffled labels
lin_shuffled = linear.train_linear_classifier(linear.shuffled_labels(centred, seed=0), epochs=10, lr=1e-3,
                                              weight_decay=0.0, optimizer="sgd", seed=0)
coverage_ratio = {name: np.divide(*linear.importance_by_coverage(model, centred.masks))   # covered / never covered
                  for name, model in (("real labels", lin), ("shuffled labels", lin_shuffled))}
print(f"n = {len(toyworld.CLASSES)} classes; mean max-colour |w_c| on pixels some training shape covers / on pixels none covers")
for name, model in (("real labels", lin), ("shuffled labels", lin_shuffled)):
    print(f"  {name:15s} (test {with_interval(linear.accuracy(model, centred_test), n_te)}): "
          + ", ".join(f"{c} {r:.1f}" for c, r in zip(toyworld.CLASSES, coverage_ratio[name])))
wins = int((coverage_ratio["real labels"] > coverage_ratio["shuffled labels"]).sum())
print(f"real-label ratio above the control's in {wins} of {len(toyworld.CLASSES)} classes "
      f"(sign test p = {sign_test(wins, len(toyworld.CLASSES) - wins):.2g})")
# w_circle by distance from the image centre, against the radii of the training circles
circle = toyworld.CLASSES.index("circle")
radius = np.hypot(*(np.mgrid[0:toyworld.IMAGE_SIZE, 0:toyworld.IMAGE_SIZE] - (toyworld.IMAGE_SIZE - 1) / 2))
rings = np.arange(0, toyworld.IMAGE_SIZE // 2 + 3, 3)
profile = [float(importance[circle][torch.from_numpy((radius >= r) & (radius < r + 3))].mean()) for r in rings[:-1]]
smallest, largest = 0.95 * np.array(linear.CENTRED_RADIUS) * toyworld.IMAGE_SIZE   # the circles' radii (pixels)
print(f"|w_circle| by distance from the centre (training circles: radius {smallest:.0f}-{largest:.0f} px): "
      + ", ".join(f"{r}-{r + 3} px {v:.4f}" for r, v in zip(rings, profile)))

# %%
# NBVAL_CHECK_OUTPUT
claim("the labels, not training as such, put the importance on the shapes: in every class the real model's "
      "covered/never-covered ratio exceeds that of the shuffled-label model trained identically (6 of 6 classes, "
      "sign test p < 0.05)", wins == len(toyworld.CLASSES) and sign_test(wins, 0) < 0.05)
peak = int(np.argmax(profile))
claim("|w_circle| peaks inside the disc, short of its rim: the 3-px ring with the largest mean ends within the "
      "smallest training circle", bool(rings[peak] + 3 <= smallest));

# %% [markdown]
# ## Its gradient is $w_c$, for any image · 3 min
#
# Autograd's $\partial S_c/\partial I$ at five different held-out images, compared with the weights:

# %%
# NBVAL_CHECK_OUTPUT
x = linear.toy_inputs(lin, centred_heldout.images[:5])
for c in range(len(toyworld.CLASSES)):
    grad, _ = class_score_gradient(lin, x, c)                      # (5, 3, 64, 64)
    equal_to_float_precision(f"{toyworld.CLASSES[c]:>8}: dS_c/dI equals w_c for all 5 images",
                             grad, templates[c].expand_as(grad))

# %%
# NBVAL_CHECK_OUTPUT
picks = [int(np.flatnonzero(centred_heldout.labels == toyworld.CLASSES.index(name))[0]) for name in ("circle", "square", "ring")]
x3 = linear.toy_inputs(lin, centred_heldout.images[picks])
maps = saliency_map(lin, x3, "circle").cpu()
equal_to_float_precision("the 'circle' maps of the three images are the same map", maps, maps[:1].expand_as(maps))
fig = show_images(list(centred_heldout.images[picks]) + [normalize_map(m) for m in maps],
                  [centred_heldout.CLASSES[int(k)] for k in centred_heldout.labels[picks]] + ["saliency for 'circle'"] * 3,
                  ncols=3, cmap="gray", size=4.0)

# %% [markdown]
# What you should see: three different shapes (top) and three identical saliency maps for 'circle' (bottom). The map is $\max_{\text{colour}} |w_c|$ whatever the image: a linear model cannot say where *this* object is, only where its class's template lies.

# %% [markdown]
# ## The CNN: the gradient changes with the image · 4 min
#
# For the toy CNN the same computation gives a different $w$ (Eq. 4) at every image. For 10 held-out images $a$ of each class $c$ we compare the gradient of $S_c$ at $a$, by its cosine, with the gradient at another image of class $c$, at an image of another class, and at $a$ moved by one grey level RMS in a random direction. For the two other images we also compare the saliency maps ($\max_{\text{colour}} |w|$) and, as a control for position, the object masks. The linear model trained on the toy world is the reference (one change: the model).

# %%
GREY = 1 / (255 * toyworld.TOY_STD[0])   # one grey level in the model's normalised input units


def unit_gradients(model, x, c):
    """dS_c/dI at each input of the batch x, flattened to unit length."""
    g, _ = class_score_gradient(model, x, c)
    return torch.nn.functional.normalize(g.flatten(1), dim=1)


def random_step(x, seed):
    """A random step of RMS one grey level per value for each input of x, drawn on the CPU (the same on any device)."""
    step = torch.randn(x.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).to(x)
    return step * GREY / step.flatten(1).pow(2).mean(1).sqrt().view(-1, 1, 1, 1)


def cosines(u, v):
    """Cosine of each pair of rows of u and v, flattened, as a list."""
    return torch.nn.functional.cosine_similarity(u.flatten(1).double(), v.flatten(1).double()).tolist()


def gradient_cosines(model, per_class=10):
    """Per image a of class c: cosines of dS_c/dI at a with it at another image of c, another class, and a + a step.

    Also, for the two other images, the cosines of the saliency maps (max over colours of |dS_c/dI|) and of the
    object masks (how much the objects themselves overlap)."""
    signed = {"same class": [], "different class": [], "same image, moved 1 grey level": []}
    maps = {f"{kind}, {pair}": [] for kind in ("saliency maps", "object masks") for pair in ("same class", "different class")}
    for c in range(len(toyworld.CLASSES)):
        own, rest = np.flatnonzero(heldout.labels == c), np.flatnonzero(heldout.labels != c)
        a, b, o = own[:per_class], own[per_class:2 * per_class], rest[c * per_class:(c + 1) * per_class]
        x = linear.toy_inputs(model, heldout.images[a])
        ga, _ = class_score_gradient(model, x, c)
        for name, idx in (("same class", b), ("different class", o)):
            g, _ = class_score_gradient(model, linear.toy_inputs(model, heldout.images[idx]), c)
            signed[name] += cosines(ga, g)
            maps[f"saliency maps, {name}"] += cosines(ga.abs().amax(1), g.abs().amax(1))
            maps[f"object masks, {name}"] += cosines(*(torch.from_numpy(heldout.masks[k]) for k in (a, idx)))
        signed["same image, moved 1 grey level"] += (unit_gradients(model, x, c) * unit_gradients(
            model, x + random_step(x, seed=c), c)).sum(1).tolist()
    return {name: np.array(v) for name, v in signed.items()}, {name: np.array(v) for name, v in maps.items()}


(cos_lin, _), (cos_cnn, map_cos) = gradient_cosines(lin_toy), gradient_cosines(toy)
share_gain = cos_cnn["same class"] - cos_cnn["different class"]   # paired by the image a
cos_interval = {name: median_interval(v) for name, v in cos_cnn.items()}
print(f"n = {len(share_gain)} images a (10 per class); cosine of dS_c/dI at a with dS_c/dI at ...; medians with the "
      "order-statistic interval of the median")
for name, v in cos_cnn.items():
    low, high, coverage = cos_interval[name]
    print(f"  {name:31s} linear model: min {cos_lin[name].min():.4f}; toy CNN: median {np.median(v):+.3f} "
          f"[{coverage:.0%} interval {low:+.3f}, {high:+.3f}]")
gain_low, gain_high, coverage = median_interval(share_gain)
print(f"toy CNN, same class minus different class (paired by a): median {np.median(share_gain):+.3f} "
      f"[{coverage:.0%} interval {gain_low:+.3f}, {gain_high:+.3f}]")
map_interval = {name: median_interval(v) for name, v in map_cos.items()}
for name, v in map_cos.items():
    low, high, coverage = map_interval[name]
    print(f"  toy CNN, {name:31s} median cosine {np.median(v):.2f} [{coverage:.0%} interval {low:.2f}, {high:.2f}]")
saliency_all = np.r_[map_cos["saliency maps, same class"], map_cos["saliency maps, different class"]]
masks_all = np.r_[map_cos["object masks, same class"], map_cos["object masks, different class"]]
r_masks = float(np.corrcoef(saliency_all, masks_all)[0, 1])
r_low, r_high = np.tanh(np.arctanh(r_masks) + np.array([-1.96, 1.96]) / np.sqrt(len(masks_all) - 3))   # Fisher z
print(f"correlation of the saliency-map cosine with the object-mask cosine, n = {len(masks_all)} pairs: "
      f"r = {r_masks:.2f} [95% Fisher interval {r_low:.2f}, {r_high:.2f}]")

# %%
# NBVAL_CHECK_OUTPUT
claim("the linear model's gradients at all these inputs point the same way (cosine 1 to float precision)",
      bool(all(np.all(np.abs(v - 1) < 1e-4) for v in cos_lin.values())))
moved_low = cos_interval["same image, moved 1 grey level"][0]
claim("the CNN's gradient changes with the image: at two different images, of one class or of two, the >=95% "
      "interval printed above of the median cosine lies within +-0.1 of 0 (nearly unrelated: a tenth of the way to identical) and "
      "below that of the same image moved by one grey level",
      all(-0.1 < cos_interval[name][0] and cos_interval[name][1] < min(0.1, moved_low)
          for name in ("same class", "different class")))
claim("sharing the class does not make the CNN's gradients alike: the same-class cosine exceeds the different-class "
      "cosine by less than 0.1 (upper end of the interval of the paired median difference; 0.1 is a tenth of the "
      "way from unrelated to identical, fixed before the run)", gain_high < 0.1)
claim("the saliency maps (max over colours of |dS_c/dI|) of two different images are not unrelated: for one class "
      "or two, the >=95% interval printed above of their median cosine lies above 0.1 (the bound used for the signed "
      "gradients)", all(map_interval[f"saliency maps, {pair}"][0] > 0.1 for pair in ("same class", "different class")))
claim("their overlap follows where the objects lie: the saliency-map cosine rises with the object-mask cosine (the "
      "95% Fisher interval of the correlation lies above 0)", r_low > 0);

# %%
right = np.flatnonzero(linear.predict(toy, heldout) == heldout.labels)   # held-out images the toy CNN gets right
shown_right = heldout.subset(right[:3])
maps = saliency_map(toy, linear.toy_inputs(toy, shown_right.images), shown_right.labels.tolist()).cpu()
fig = show_images(list(shown_right.images) + [normalize_map(m) for m in maps],
                  shown_right.class_names() + ["CNN saliency"] * 3, ncols=3, cmap="gray", size=4.0)

# %% [markdown]
# What you should see: for three held-out images the CNN classifies correctly, maps that differ from image to image: diffuse blobs, brightest at a few corners and tips of the shape. Signed gradients at two images are nearly orthogonal, but their saliency maps overlap, the more so the more the objects do, so a same-class comparison mixes class with position.

# %% [markdown]
# ## How far does the first-order expansion hold? · 5 min
#
# Take an image $I_0$, a unit direction $d$ and step sizes $\varepsilon$; compare the true change of the score with the linear prediction of Eq. 3:
#
# $$\text{error}(\varepsilon) = \frac{|S_c(I_0 + \varepsilon d) - S_c(I_0) - \varepsilon\, w^\top d|}{|\varepsilon\, w^\top d|}.$$
#
# On 20 held-out images the CNN classifies correctly, in two directions: a random one, and the gradient itself (where $w^\top d$ is largest). Steps are shown as the RMS change per pixel value in grey levels (one grey level: the quantisation step of an 8-bit image). The summary also asks whether Eq. 3 beats the trivial prediction **no change**, and how far the gradient itself turns. A float64 copy of the CNN keeps rounding out of the way; exercise 2 asks you to write this function.

# %%
model64 = copy.deepcopy(toy.model).double()                       # a float64 copy; toy.model itself stays float32
eps = np.logspace(-6, 2, 33)
N_TAYLOR = 20


def score_changes(x0, c, d):
    """Along unit d, at every step in `eps`: the true change of S_c and the first-order prediction eps w^T d (Eq. 3)."""
    grad, _ = class_score_gradient(model64, x0, c)
    with torch.no_grad():
        s = model64(x0 + torch.from_numpy(eps).to(x0).view(-1, 1, 1, 1) * d)[:, c].cpu().numpy()
        s0, first = float(model64(x0)[0, c]), float((grad * d).sum())
    return s - s0, eps * first


errors = {"random direction": [], "gradient direction": []}       # relative error of Eq. 3
no_change = {"random direction": [], "gradient direction": []}    # |first-order error| / |error of predicting no change|
turn = []                                                         # cosine of the gradient at x0 and at x0 +- one grey level
for i in right[:N_TAYLOR]:                                        # held-out images the toy CNN gets right
    x_i, c_i = linear.toy_inputs(toy, heldout.images[i:i + 1]).double(), int(heldout.labels[i])
    g_i, _ = class_score_gradient(model64, x_i, c_i)
    gen = torch.Generator().manual_seed(int(i))                   # CPU generator: the same d on any device
    d_i = torch.randn(x_i.shape, generator=gen, dtype=torch.float64).to(x_i.device)
    for name, direction in (("random direction", d_i / d_i.norm()), ("gradient direction", g_i / g_i.norm())):
        true, predicted = score_changes(x_i, c_i, direction)
        errors[name].append(np.abs(true - predicted) / np.abs(predicted))
        no_change[name].append(np.abs(true - predicted) / np.abs(true))
    step = d_i / d_i.norm() * GREY * np.sqrt(d_i.numel())         # RMS one grey level along the random direction
    turn += [float((unit_gradients(model64, x_i, c_i) * unit_gradients(model64, x_i + sign * step, c_i)).sum())
             for sign in (1, -1)]
errors, no_change = ({k: np.array(v) for k, v in e.items()} for e in (errors, no_change))  # (N_TAYLOR, len(eps))
turn = np.array(turn)
x0, c = linear.toy_inputs(toy, heldout.images[right[:1]]).double(), int(heldout.labels[right[0]])   # for exercise 2
grad, _ = class_score_gradient(model64, x0, c)
d = torch.randn(x0.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64).to(x0.device)
d /= d.norm()
grey_levels = eps / np.sqrt(d.numel()) * toyworld.TOY_STD[0] * 255   # RMS change per pixel value, in 0..255 grey levels
fig, ax = plt.subplots(figsize=(8, 4.5))
for k, (name, e) in enumerate(errors.items()):
    ax.fill_between(grey_levels, np.maximum(e.min(0), 1e-17), e.max(0), color=f"C{k}", alpha=0.2)
    ax.loglog(grey_levels, np.maximum(np.median(e, 0), 1e-17), "o-", ms=4, color=f"C{k}",
              label=f"{name}: median of {N_TAYLOR} images (band: min to max)")
ax.axhline(1e-2, color="grey", lw=1, ls="--")
ax.axvline(1, color="grey", lw=1, ls=":")
ax.text(grey_levels[0], 1.3e-2, "1% error", color="grey")
ax.set_xlabel("RMS change per pixel value (grey levels; dotted: one grey level)")
ax.set_ylabel("relative error of Eq. 3")
ax.set_title("first-order expansion of the toy CNN's S_c")
ax.legend(loc="lower right")
fig.tight_layout()

# %%
one_level, six_levels = int(np.argmin(abs(np.log(grey_levels)))), int(np.argmin(abs(np.log(grey_levels / 6))))
print(f"n = {N_TAYLOR} held-out images the toy CNN gets right, per direction; medians with the order-statistic "
      "interval of the median; 'beats no change': the first-order error is smaller than the true change")
reach = {name: np.array([linear.exact_reach(row, grey_levels, 1e-2) for row in e]) for name, e in errors.items()}
beats = {}
for name, e in errors.items():
    for label, values in [("error < 1% up to (grey levels)", reach[name]),
                          (f"error at {grey_levels[one_level]:.1f} grey levels", e[:, one_level]),
                          (f"error at {grey_levels[six_levels]:.1f} grey levels", e[:, six_levels])]:
        low, high, coverage = median_interval(values)
        print(f"{name:18s} {label:32s} median {np.median(values):.2g} [{coverage:.0%} interval {low:.2g}, {high:.2g}]")
    for at in (one_level, six_levels):
        wins = beats[name, at] = int((no_change[name][:, at] < 1).sum())
        low, high, coverage = median_interval(no_change[name][:, at])
        print(f"{name:18s} at {grey_levels[at]:.1f} grey levels Eq. 3 beats no change on {wins} of {N_TAYLOR} images "
              f"({with_interval(wins / N_TAYLOR, N_TAYLOR).strip()}), sign test p = {sign_test(wins, N_TAYLOR - wins):.2g}; its error / no change's: "
              f"median {np.median(no_change[name][:, at]):.2f} [{coverage:.0%} interval {low:.2f}, {high:.2f}]")
reach_ratio = reach["gradient direction"] / reach["random direction"]      # paired by the image
larger, smaller = int((reach_ratio > 1).sum()), int((reach_ratio < 1).sum())
low, high, coverage = median_interval(reach_ratio)
print(f"exact piece along the gradient / along the random direction, per image: median {np.median(reach_ratio):.1f} "
      f"[{coverage:.0%} interval {low:.1f}, {high:.1f}]; larger on {larger}, smaller on {smaller}, tied on "
      f"{N_TAYLOR - larger - smaller} (sign test p = {sign_test(larger, smaller):.2g})")
low, high, coverage = median_interval(turn)
print(f"cosine of the gradient at I0 and at I0 +- one grey level (random direction), n = {len(turn)}: "
      f"median {np.median(turn):.2f} [{coverage:.0%} interval {low:.2f}, {high:.2f}], smallest {turn.min():.2f}")

# %%
# NBVAL_CHECK_OUTPUT
claim("for small steps Eq. 3 is exact to rounding: for every image and direction one of the five smallest steps has "
      "error < 1e-6 (four orders of magnitude below the 1% we call off)", bool(all((e[:, :5].min(1) < 1e-6).all() for e in errors.values())))
claim("the exact linear piece is smaller than one grey level: for every image and direction the error passes 1% "
      "(four orders of magnitude above the small-step error, so a crossing is a switching unit, not rounding) before "
      "an RMS change of one grey level (its first crossing)", bool(all((r < 1).all() for r in reach.values())))
claim("along the gradient the exact piece is larger than along a random direction, image by image (sign test over "
      "the untied images p < 0.05)", larger > smaller and sign_test(larger, smaller) < 0.05)
claim("at about 6 grey levels the error is tens of percent of the predicted change: in both directions the interval "
      "of the median error lies above 10%", all(median_interval(e[:, six_levels])[0] > 0.1 for e in errors.values()))
claim("beyond the piece the gradient turns slowly: at +- one grey level the interval of its median cosine with the "
      "gradient at I0 lies above 0.9 (within a tenth of the way from identical to unrelated)", median_interval(turn)[0] > 0.9)
def better_than_no_change(at, name):
    """Eq. 3 beats predicting no change on most images at step index `at`, by a two-sided sign test (p < 0.05)."""
    wins = beats[name, at]
    return wins > N_TAYLOR - wins and sign_test(wins, N_TAYLOR - wins) < 0.05


claim("at one grey level Eq. 3 predicts the change better than predicting no change, in both directions (it wins on "
      "most images, sign test p < 0.05)", all(better_than_no_change(one_level, name) for name in errors))
claim("at about 6 grey levels it is no longer shown better than predicting no change: in neither direction does it "
      "win on most images with sign test p < 0.05", not any(better_than_no_change(six_levels, name) for name in errors));


# %% [markdown]
# What you should see: for the smallest steps the error is at rounding level, then jumps and crosses 1% below one grey level: the exact linear piece is tiny, though larger along the gradient (why: "Going further"). At one grey level Eq. 3 still beats predicting no change, but by about 6 grey levels it is barely better than no change, although the gradient turns slowly. So $|w|$ ranks pixels by how strongly *small* changes of *this* image move its score (Sect. 3.1), not what a visible edit such as removing the object would do.

# %% [markdown]
# ## Exercises
#
# **Exercise 1 (the gradient by hand).** A one-hidden-layer ReLU network scores a flattened input $x$ (shape `(D,)`) as $S(x) = v^\top \mathrm{relu}(W_1 x + b_1)$. Write `relu_gradient(w1, b1, v, x)`: the arguments are float tensors, `w1` of shape `(H, D)`, `b1` and `v` of shape `(H,)`, `x` of shape `(D,)`; return $\partial S/\partial x$ as a tensor of shape `(D,)` **by the chain rule, without autograd** (no `torch.autograd.grad`, no `.backward()`: the check refuses them). Do not modify the inputs, and create any new tensor on their device (`device=x.device`). The check compares your result with autograd on random networks, on the notebook's device, and names the usual mistakes. Which linear model $w^\top x + b$ (Eq. 3) does the network equal near $x$?

# %%
def relu_gradient(w1, b1, v, x):
    # your code here
    return None


# %%
from helpers.exercises import linear as ex

print(ex.check_relu_gradient(relu_gradient, device=toy.device))


# %% [markdown]
# **Exercise 2 (the finite-difference check).** Write `taylor_error(score, x0, grad, direction, eps)`: the relative error of the first-order prediction, $|S(x_0 + \varepsilon d) - S(x_0) - \varepsilon\, w^\top d| \,/\, |\varepsilon\, w^\top d|$, as a Python `float` (not a 0-d tensor: use `float(...)`), where `score` maps an input tensor to a scalar tensor, `grad` is $w$, `direction` is $d$ (tensors of `x0`'s shape) and `eps` a float. Do not modify the inputs (no `x0 += ...`: the notebook calls your function again with its own `x0`), and create any new tensor on `x0`'s device. The check uses a quadratic score whose error is known exactly, on the notebook's device, and names the usual mistakes. Then call it on the toy CNN above (`lambda z: model64(z)[0, c]`, `x0`, `grad`, `d`) and compare with the plot.

# %%
def taylor_error(score, x0, grad, direction, eps):
    # your code here
    return None


# %%
print(ex.check_taylor_error(taylor_error, device=toy.device))

# %% [markdown]
# Worked solutions: `solutions/01_solutions.py`.

# %% [markdown]
# ## Check your understanding
#
# Answer each question with a letter (as a string, e.g. `"a"`) or a number; the feedback explains the answer.

# %%
ex.Q1

# %%
print(ex.Q1.check(None))  # replace None with your answer

# %%
ex.Q2

# %%
print(ex.Q2.check(None))  # replace None with your answer

# %%
ex.Q3

# %%
print(ex.Q3.check(None))  # replace None with your answer


# %% [markdown]
# ## Takeaways
#
# - For a linear model (Eq. 2) the gradient $\partial S_c/\partial I$ *is* the weight $w_c$, the same for every image. Where one template fits a class (the simple task), $w_c$ is a readable picture of what separates the class from the others and $|w_c|$ is pixel importance; its map still cannot locate *this* object. In the toy world no template fits and the model is near chance.
# - For a ReLU CNN the gradient (Eq. 4) changes from image to image: the network is piecewise linear, and $w$ is the linear model of the piece that $I_0$ lies in. Signed gradients at two different images are nearly orthogonal, whether or not they share the class; their saliency maps overlap, the more so the more the objects do, so a same-class comparison mixes class with position. The same image nudged by a grey level keeps nearly the same gradient.
# - That piece is tiny: on every image measured the expansion (Eq. 3) is off by 1% of the predicted change before one grey level, though larger along the gradient. The gradient turns slowly, yet beyond about one grey level the first-order prediction is barely better than predicting no change.
# - So $|w|$ ranks pixels by how strongly *small* changes move the score of *this* image (Sect. 3.1), not what larger edits, such as deleting the object, would do.

# %% [markdown]
# ## Going further
#
# **Why a linear model fails on the toy world.** On the simple task each class puts its colour on nearly the same pixels in every image, so one template $w_c$ per class can score it. In the toy world a shape is an arrangement of edges at any position and in any colour, and no single template responds to all of them: whatever fits the training images (where each shape happened to lie, in which colour) says little about new ones. Training longer mostly fits the training images (the optional section); given as many training images as the toy CNN had, the same recipe stays near chance, far below the CNN (try it: `toyworld.generate(12000, seed=1)`, about a minute).
#
# **Reading the templates.** `w_circle` is a yellow disc; its $|w|$ by distance from the centre (printed with the check above) is largest inside the disc, short of its rim, and falls off towards the rim and beyond it; `w_cross` a yellow cross with blue between its arms (where a square or circle would be); `w_square` a yellow square with blue where other shapes stick out; `w_ring` mostly a blue centre. The triangle and the star, which overlap the others most, are the hardest to read (`show_images(shown, cmap="gray")` shows all six). The paper's reading of Eq. (2): "the magnitude of elements of $w$ defines the importance of the corresponding pixels of $I$ for the class $c$" (Sect. 3.1). Why plain SGD: Adam would rescale every weight's step to the same size, so pixels that carry no evidence would get weights as large as those that do.
#
# **Why the error jumps.** Within rounding error the toy CNN (ReLU and max-pooling) *is* the linear model $w^\top I + b$ of Eq. 3: it is piecewise linear, and the jump is the first ReLU or pooling switch that the step crosses; after it the expansion is only approximate. Along the gradient, where the first-order term is largest, the exact neighbourhood is larger than along a random direction on most images (the paired ratio is printed above), yet still below a grey level (the piece ends where the error first passes 1%; it can dip back under later). So $|w|$ is the paper's "which pixels need to be changed the least to affect the class score the most" (Sect. 3.1); whether the map points at the object has to be measured (notebook 02 does this against exact object masks).
