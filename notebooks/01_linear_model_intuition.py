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
# This notebook checks both statements numerically: a linear softmax classifier on a simple shape task, whose templates $w_c$ are readable pictures and whose gradient is $w_c$ for *every* image, and the toy CNN on the cluttered toy world, whose gradient changes from image to image and is an exact local linear model only in a very small neighbourhood of $I_0$.
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

torch.manual_seed(0)
np.random.seed(0)
# a simple task: one upright shape near the centre, one colour, plain background
centred = linear.generate_centred(2000, seed=1)
centred_heldout = linear.generate_centred(1000, seed=toyworld.HELDOUT_SEED_OFFSET + 1)
# the toy world of the course: any position, size, rotation and colour, with distractor strokes
train = toyworld.generate(2000, seed=1)
heldout = toyworld.generate(1000, seed=toyworld.HELDOUT_SEED_OFFSET + 1)  # never seen in training (toy CNN: seed 0)
print(f"{len(centred)} + {len(train)} training and {len(centred_heldout)} + {len(heldout)} held-out images of "
      f"{toyworld.IMAGE_SIZE} px; classes: {', '.join(toyworld.CLASSES)}")

# %%
fig = show_images(list(centred.images[:6]) + list(train.images[:6]), centred.class_names()[:6] + train.class_names()[:6], ncols=6)

# %% [markdown]
# What you should see: top, the simple task: each class is one upright shape near the centre, always yellow on dark blue, with a little pixel noise, so a shape covers nearly the same pixels in every image of its class. Bottom, the toy world used from here on: each shape at its own position, size, rotation and colour, on a colour-gradient background with thin distractor strokes.

# %% [markdown]
# ## A linear softmax classifier
#
# `helpers.linear.train_linear_classifier` fits $S_c(I) = w_c^\top I + b_c$ (Eq. 2) on normalised pixels (the toy CNN's normalisation) with cross-entropy, starting from zero weights, in a few seconds on a CPU. We train it with plain SGD (momentum 0.9): each weight then moves only as far as its pixel carries evidence about the class, so pixels that never matter keep weights near zero and $|w_c|$ can be read as pixel importance. (Adam would rescale every weight's step to the same size, noise pixels included.) We train the same recipe twice: on the simple task and on the cluttered toy world.

# %%
lin = linear.train_linear_classifier(centred, epochs=10, lr=1e-3, weight_decay=0.0, optimizer="sgd", seed=0)
lin_toy = linear.train_linear_classifier(train, epochs=10, lr=1e-3, weight_decay=0.0, optimizer="sgd", seed=0)
toy = helpers.load_model("toy", device=helpers.default_device())

# %%
acc = {name: (linear.accuracy(model, tr), linear.accuracy(model, ho))
       for name, model, tr, ho in [("linear model, simple task", lin, centred, centred_heldout),
                                   ("linear model, toy world", lin_toy, train, heldout),
                                   ("toy CNN, toy world", toy, train, heldout)]}
for name, (tr, ho) in acc.items():
    print(f"{name:38s} train {tr:4.0%}   held-out {ho:4.0%}")
chance = 1 / len(toyworld.CLASSES)
print(f"{'chance level (6 balanced classes)':38s}                  {chance:4.0%}")

# %%
# NBVAL_CHECK_OUTPUT
from helpers.claims import claim, equal_to_float_precision

(lin_tr, lin_ho), (toy_lin_tr, toy_lin_ho), (cnn_tr, cnn_ho) = acc.values()
claim("on the simple task the linear model is right on over 90% of held-out images (chance: 1 in 6)", lin_ho > 0.9)
claim("on the toy world the same linear model is at chance on held-out images (within 5 points of 1 in 6)",
      abs(toy_lin_ho - chance) < 0.05)
claim("the toy CNN is right on at least 99% of both toy-world sets", cnn_tr >= 0.99 and cnn_ho >= 0.99);

# %% [markdown]
# What you should see: on the simple task the linear model is almost always right, also on images it never saw; on the toy world the same model is **at chance** on held-out images, although it fits part of its training images. The toy CNN (trained on its own, larger set of toy images) is almost always right on the toy world. The checks below the table say whether your run agrees.
#
# Why the difference: on the simple task each class puts its colour on nearly the same pixels in every image, so one template $w_c$ per class can score it. In the toy world a shape is an arrangement of edges at any position and in any colour, and no single template responds to all of them: whatever fits the training images (where each shape happened to lie, in which colour) says nothing about new ones. That is why we need the CNN, and then a way (saliency) to ask the CNN which pixels mattered. From here on, "the linear model" is the one trained on the simple task.

# %% [markdown]
# ## Each $w_c$ is an image: the class template

# %%
templates = lin.model.templates().cpu()                        # (6, 3, 64, 64)
shown = [np.clip(0.5 + t.permute(1, 2, 0).numpy() / (2 * t.abs().max().item()), 0, 1) for t in templates]
importance = templates.abs().amax(dim=1)                        # max over colours of |w_c|: the saliency map of Eq. 2
fig = show_images(shown + [normalize_map(m) for m in importance],
                  [f"w_{c}" for c in toyworld.CLASSES] + [f"|w_{c}|" for c in toyworld.CLASSES], ncols=6, cmap="gray",
                  suptitle="linear-model weights: signed (top, grey = 0) and max over colours of |w_c| (bottom)")

# %% [markdown]
# What you should see: each template is a picture of its class *against the others*. In the top row, yellow marks pixels where the shape's colour adds to $S_c$, blue where it subtracts: `w_circle` is a yellow disc, strongest towards its rim (the centre is covered by most shapes, so it tells little), `w_cross` a yellow cross with blue between its arms (where a square or circle would be), `w_square` a yellow square with blue where other shapes stick out, and `w_ring` mostly a blue centre, because the hole is what tells a ring from a circle. The triangle and the star, which overlap the others most, are the hardest to read. Pixels that no shape ever covers stay grey (weight near zero). The bottom row, $\max_{\text{colour}} |w_c|$, is the linear model's saliency map: bright where a pixel's value moves the class score, dark at the border. This is the paper's reading of Eq. (2): "the magnitude of elements of $w$ defines the importance of the corresponding pixels of $I$ for the class $c$" (Sect. 3.1). The check below compares the importance of pixels that no training shape covers with that of the pixels shapes can cover.

# %%
# NBVAL_CHECK_OUTPUT
ever_covered = torch.from_numpy(centred.masks.any(axis=0))      # pixels that some training shape covers
border, inside = float(importance[:, ~ever_covered].mean()), float(importance[:, ever_covered].mean())
claim("pixels that no training shape ever covers have under a fifth of the mean importance |w_c| of the pixels "
      "shapes can cover", border < 0.2 * inside);

# %% [markdown]
# ## Its gradient is $w_c$, for any image
#
# Autograd's $\partial S_c/\partial I$ at five different held-out images, compared with the weights:

# %%
# NBVAL_CHECK_OUTPUT
x = linear.toy_inputs(lin, centred_heldout.images[:5])
for c in range(len(toyworld.CLASSES)):
    grad, _ = class_score_gradient(lin, x, c)                      # (5, 3, 64, 64)
    equal_to_float_precision(f"{toyworld.CLASSES[c]:>8}: dS_c/dI equals w_c for all 5 images",
                             grad, templates[c].expand_as(grad))

# %% [markdown]
# What you should see: the equality holds for every class. So the saliency map $M = \max_{\text{colour}} |w_c|$ is the **same for every image**: a linear model cannot tell us where *this* object is, only where its class's template lies.

# %%
# NBVAL_CHECK_OUTPUT
picks = [int(np.flatnonzero(centred_heldout.labels == toyworld.CLASSES.index(name))[0]) for name in ("circle", "square", "ring")]
x3 = linear.toy_inputs(lin, centred_heldout.images[picks])
maps = saliency_map(lin, x3, "circle").cpu()
equal_to_float_precision("the 'circle' maps of the three images are the same map", maps, maps[:1].expand_as(maps))
fig = show_images(list(centred_heldout.images[picks]) + [normalize_map(m) for m in maps],
                  [centred_heldout.CLASSES[int(k)] for k in centred_heldout.labels[picks]] + ["saliency for 'circle'"] * 3,
                  ncols=3, cmap="gray")

# %% [markdown]
# What you should see: a circle, a square and a ring (top) and three identical saliency maps for 'circle' (bottom, white = large $|w|$), as the printed check confirms. The map is the bottom-left panel of the template figure: it shows where the circle template is, whether or not this image contains a circle, and it does not move with the shape's small shifts from image to image.

# %% [markdown]
# ## The CNN: the gradient changes with the image
#
# For the toy CNN the same computation gives a different $w$ (Eq. 4) at every image. The cosine similarity between the gradients at different images measures this (1.0 for the linear model).

# %%
xt = linear.toy_inputs(toy, heldout.images[:6])
targets = heldout.labels[:6].tolist()
grads_cnn, _ = class_score_gradient(toy, xt, targets[0])          # all six images, the first image's class
grads_lin, _ = class_score_gradient(lin, linear.toy_inputs(lin, centred_heldout.images[:6]), targets[0])

def mean_pairwise_cosine(g):
    v = torch.nn.functional.normalize(g.flatten(1), dim=1)
    sim = v @ v.T
    return float(sim[~torch.eye(len(v), dtype=bool, device=sim.device)].mean())

cos_lin, cos_cnn = mean_pairwise_cosine(grads_lin), mean_pairwise_cosine(grads_cnn)
print(f"mean cosine similarity of dS/dI between different images: linear {cos_lin:.2f}, CNN {cos_cnn:.2f}")

# %%
# NBVAL_CHECK_OUTPUT
claim("the linear model's gradients at different images point the same way (cosine 1 to float precision)",
      abs(cos_lin - 1) < 1e-4)
claim("the CNN's gradients at different images are nearly unrelated (|mean cosine| < 0.2)", abs(cos_cnn) < 0.2);

# %%
maps = saliency_map(toy, xt[:4], targets[:4]).cpu()
fig = show_images(list(heldout.images[:4]) + [normalize_map(m) for m in maps],
                  heldout.class_names()[:4] + ["CNN saliency"] * 4, ncols=4, cmap="gray")

# %% [markdown]
# What you should see: unlike the linear model's identical maps, the CNN maps differ from image to image, as the cosine similarities above say. They are diffuse blobs, brightest at a few of the shape's corners and tips rather than along its whole outline, with a faint haze elsewhere. How well such maps locate the object has to be measured: notebook 02 does this against exact object masks.

# %% [markdown]
# ## How far does the first-order expansion hold?
#
# Pick an image $I_0$, a random direction $d$ (unit norm) and step sizes $\varepsilon$; compare the true change of the score with the linear prediction of Eq. 3:
#
# $$\text{error}(\varepsilon) = \frac{|S_c(I_0 + \varepsilon d) - S_c(I_0) - \varepsilon\, w^\top d|}{|\varepsilon\, w^\top d|}.$$
#
# We use a float64 copy of the toy CNN so rounding does not hide the behaviour. (Exercise 2 asks you to write this function.)

# %%
model64 = copy.deepcopy(toy.model).double()                       # a float64 copy; toy.model itself stays float32
x0 = xt[:1].double()
c = targets[0]
grad, _ = class_score_gradient(model64, x0, c)
gen = torch.Generator().manual_seed(0)
d = torch.randn(x0.shape, generator=gen, dtype=torch.float64).to(x0.device)  # CPU generator: the same d on any device
d /= d.norm()
eps = np.logspace(-6, 2, 33)
with torch.no_grad():
    s0 = model64(x0)[0, c]
    errors = np.array([float((model64(x0 + e * d)[0, c] - s0 - e * (grad * d).sum()).abs() / abs(e * (grad * d).sum())) for e in eps])
grey_levels = eps / np.sqrt(d.numel()) * toyworld.TOY_STD[0] * 255   # RMS change per pixel value, in 0..255 grey levels
fig, ax = plt.subplots(figsize=(8, 4.5))
ax.loglog(eps, np.maximum(errors, 1e-17), "o-", ms=4)
ax.axhline(1e-2, color="grey", lw=1, ls="--")
ax.text(eps[0], 1.3e-2, "1% error", color="grey")
ax.set_xlabel(f"step size ε (input units; the image has norm {float(x0.norm()):.0f})")
ax.set_ylabel("relative error of Eq. 3")
ax.set_title(f"first-order expansion of S_{toyworld.CLASSES[c]} around one toy image")
fig.tight_layout()

# %%
exact = max(e for e, r in zip(eps, errors) if r < 1e-6)
within_1pc = max(e for e, r in zip(eps, errors) if r < 1e-2)
within_1pc_grey = within_1pc / np.sqrt(d.numel()) * toyworld.TOY_STD[0] * 255
print(f"image norm ||I0|| = {float(x0.norm()):.0f}; {x0.numel()} input values")
print(f"exact to rounding (error < 1e-6) up to eps = {exact:.1g}")
print(f"within 1% up to eps = {within_1pc:.2g}, i.e. {within_1pc / float(x0.norm()):.1e} of the image norm, "
      f"an RMS change of {within_1pc_grey:.2f} grey levels per pixel value")
for e in (1.0, 10.0, 100.0):
    i = int(np.argmin(abs(eps - e)))
    print(f"eps = {eps[i]:5.0f} (RMS {grey_levels[i]:4.1f} grey levels): error {errors[i]:.0%}")

# %%
# NBVAL_CHECK_OUTPUT
claim("for the smallest steps Eq. 3 is exact to rounding (error < 1e-6)", bool(errors[0] < 1e-6))
claim("the error passes 1% at an RMS change far below one grey level (under 0.1)", within_1pc_grey < 0.1)
big = grey_levels > 5
claim("at RMS changes of more than 5 grey levels the error is over 10%", bool(np.all(errors[big] > 0.1)));


# %% [markdown]
# What you should see: for the smallest steps the error is at rounding level (far below the $10^{-6}$ of the check), then it jumps by several orders of magnitude within a narrow range of $\varepsilon$, crosses 1% (dashed line) and grows to tens of percent for the largest steps. The printed lines give the values on your run.
#
# **How small is that region?** Within rounding error the toy CNN (ReLU and max-pooling) *is* the linear model $w^\top I + b$ of Eq. 3: it is piecewise linear, and the jump is the first ReLU or pooling switch that the step crosses. After that the expansion is only approximate. The printed RMS change at which the error reaches 1% is a small fraction of one grey level, the smallest change an 8-bit image can make; at changes of a few grey levels the linear prediction is off by tens of percent (one image, one random direction: a measurement, not a bound).
#
# So what does $|w|$ mean? It ranks pixels by how strongly *very small* changes of *this* image move its score: the paper's reading, "which pixels need to be changed the least to affect the class score the most" (Sect. 3.1). It is not a prediction of what a visible edit, such as removing the object, would do to the score; whether the map points at the object has to be measured (notebook 02 does this against exact object masks).

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
# - For a linear model (Eq. 2) the gradient $\partial S_c/\partial I$ *is* the weight $w_c$, the same for every image. Where one template fits a class (the simple task), $w_c$ is a readable picture of what separates the class from the others and $|w_c|$ is pixel importance; its saliency map still cannot locate *this* object. Where shapes move, turn and change colour (the toy world), no template fits and the model is at chance.
# - For a ReLU CNN the gradient (Eq. 4) changes from image to image: the network is piecewise linear, and $w$ is the linear model of the piece that $I_0$ lies in.
# - That piece is tiny: measured in one random direction, the first-order expansion (Eq. 3) is exact only for changes far below one grey level, and its error reaches tens of percent at changes of a few grey levels.
# - So $|w|$ ranks pixels by how strongly *infinitesimal* changes move the score of *this* image (the paper's reading, Sect. 3.1); it is not a prediction of what larger edits, such as deleting the object, would do.
