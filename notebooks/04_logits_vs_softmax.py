# %% [markdown]
# # 04 · Why logits, not softmax
#
# Simonyan et al. (2013), Section 2: *"We used the (unnormalised) class scores $S_c$, rather than the class posteriors, returned by the soft-max layer: $P_c = \exp S_c / \sum_c \exp S_c$. The reason is that the maximisation of the class posterior can be achieved by minimising the scores of other classes. Therefore, we optimise $S_c$ to ensure that the optimisation concentrates only on the class in question $c$. We also experimented with optimising the posterior $P_c$, but the results were not visually prominent, thus confirming the intuition above."*
#
# The paper makes two statements: an observation (posterior images are not visually prominent) and a reason for it (the posterior can be raised by lowering the other scores).
#
# This notebook checks both: first the calculus, then measurements of class-model visualization (notebook 03) and saliency (notebook 02) with the three objectives $S_c$, $P_c$ and $\log P_c$.
#
# **Time.** About 40 minutes. Each section heading gives its minutes.
#
# **Prerequisites.** Notebooks 02 and 03 (saliency maps, class-model visualization); the softmax and the chain rule.
#
# **Learning goals.** After this notebook you can
# - derive $\partial \log P_c/\partial I$ and $\partial P_c/\partial I$ from the score gradients $\partial S_k/\partial I$, and check them with autograd;
# - say what optimising $P_c$ instead of $S_c$ changes, as measured here, and where the measurement does and does not support the paper's argument;
# - explain why the $P_c$ saliency map of a confident prediction is nearly flat.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/saliency-course/deep-inside-convnets/blob/main/notebooks/04_logits_vs_softmax.ipynb)

# %% [markdown]
# ## The gradient identity · 10 min
#
# $\log P_c = S_c - \log \sum_k \exp S_k$, so
#
# $$\frac{\partial \log P_c}{\partial I} = \frac{\partial S_c}{\partial I} - \sum_k P_k \frac{\partial S_k}{\partial I},
# \qquad \frac{\partial P_c}{\partial I} = P_c \, \frac{\partial \log P_c}{\partial I}.$$
#
# The first term is the paper's objective. The second term is new: ascending $\log P_c$ also moves $I$ **against the gradients of the other classes**, weighted by their probabilities. $P_c$ can therefore rise because the other scores fall, not because the image looks more like class $c$. (The identity is calculus; the measurements below are ours.)
#
# We check it with autograd on a toy image, computing each $\partial S_k/\partial I$ with its own backward pass:

# %%
# Course set-up: on Colab, or wherever `helpers` is missing, install the course package first.
import importlib.util, os, subprocess, sys

if importlib.util.find_spec("helpers") is None:
    source = os.environ.get("COURSE_PIP_SOURCE", "git+https://github.com/saliency-course/deep-inside-convnets@main")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", source], check=True)
    importlib.invalidate_caches()
import helpers

if not hasattr(helpers, "plotting"):  # another `helpers` hides the course package
    where = getattr(helpers, "__file__", None) or list(getattr(helpers, "__path__", []))
    raise ImportError(f"{where} is not the course package `helpers` but hides it: rename it "
                      "(e.g. to my_helpers.py), then restart the kernel.")
helpers.plotting.use_notebook_style()
threads = helpers.runtime.configure_threads()  # half the cores (1-4) unless COURSE_THREADS says otherwise
print("helpers", helpers.__version__, "| device:", helpers.default_device(), "|", threads)

# %%
import copy

import numpy as np
import torch
import matplotlib.pyplot as plt
from helpers import toyworld, linear
from helpers.classvis import default_settings, class_model_visualization, log_softmax_gradient_identity, input_gradient, objective_scale
from helpers.plotting import show_images

torch.manual_seed(0)
toy = helpers.load_model("toy")
sample = toyworld.generate(1, seed=3)
x = toyworld.normalize(sample.images, toy.mean.permute(1, 2, 0).numpy()).to(toy.device)
target = int(sample.labels[0])
gi = log_softmax_gradient_identity(toy, x, target)
print("class:", toy.categories[target])
print(f"max |d log P_c/dI| = {gi.autograd.abs().max().item():.2g}, max |autograd - identity| = {gi.max_abs_difference:.1g}")

# %%
# NBVAL_CHECK_OUTPUT
from helpers.claims import claim, close

scale = gi.logit_term.abs().max().item()  # size of the terms being subtracted (float32 round-off is relative to it)
claim("the identity agrees with autograd to float32 round-off (max difference < 1e-4 x max |dS_c/dI|)",
      gi.max_abs_difference < 1e-4 * scale)
claim("the second term (the competitors) is not zero", gi.others_term.abs().max().item() > 0);

# %% [markdown]
# What you should see: the identity agrees with autograd to float32 round-off, and the second term (the competitors) is not zero.

# %% [markdown]
# ## Measuring it: three objectives, same start, same budget · 15 min
#
# We optimise every toy class from the zero (mean) image with SGD and 200 steps, for three objectives:
# - `"logit"`: $S_c - \lambda\lVert I\rVert^2$ (the paper, Eq. 1);
# - `"softmax"`: $P_c - \lambda\lVert I\rVert^2$;
# - `"log_softmax"`: $\log P_c - \lambda\lVert I\rVert^2$.
#
# **Making it fair (our choice, not the paper's).** The objectives have very different scales: at the mean image $\partial P_c/\partial I = P_c\, \partial \log P_c/\partial I$ with $P_c$ near $1/6$ (six classes), several times smaller, so with the same learning rate the $P_c$ run hardly moves and the penalty holds it at the mean image. We therefore ascend $k \cdot \text{objective} - \lambda\lVert I\rVert^2$, with $k$ chosen so that the objective's gradient at the mean image has the same norm as $\partial S_c/\partial I$ (`objective_scale`, averaged over the classes). This is the same as learning rate $k\eta$ and penalty $\lambda/k$; every run then starts with a step of the same size. $\eta$ and $\lambda$ are `default_settings(toy)`, the values notebook 03 chose for the paper's method on the toy CNN (the paper gives no learning rate, $\lambda$ or number of steps).
#
# For each we record the final target logit, $P_c$, the mean of the other logits, the **share of the margin** gained by pushing the other logits down, $-\Delta\bar S_{\text{other}} / (\Delta S_c - \Delta\bar S_{\text{other}})$ with $\Delta$ the change from the start, and how far the image moved from the start (RMS change, in grey levels).

# %%
objectives = ["logit", "softmax", "log_softmax"]
lr, lam = default_settings(toy)
scales = {obj: objective_scale(toy, list(toy.categories), obj) for obj in objectives}
runs = {obj: class_model_visualization(toy, list(toy.categories), steps=200, objective=obj,
                                       lr=lr * scales[obj], l2=lam / scales[obj], seed=0, progress=False)
        for obj in objectives}
start_image = toy.mean.permute(1, 2, 0).cpu().numpy() * 255   # the mean image, where every run starts


def summary(results):
    """Averages over classes: final S_c, P_c, mean other logit, share of the margin from the others, RMS image change."""
    h = [r.history for r in results]
    logit = np.mean([x.target_logit[-1] for x in h])
    other = np.mean([x.mean_other_logit[-1] for x in h])
    prob = np.mean([x.target_prob[-1] for x in h])
    d_logit = np.array([x.target_logit[-1] - x.target_logit[0] for x in h])
    d_other = np.array([x.mean_other_logit[-1] - x.mean_other_logit[0] for x in h])
    change = np.mean([np.sqrt(np.mean((r.image.astype(np.float64) - start_image) ** 2)) for r in results])
    return logit, prob, other, float(np.mean(-d_other / (d_logit - d_other))), change


table = {obj: summary(rs) for obj, rs in runs.items()}


# %%
def fmt(v):
    """Large logits as integers, small ones with one decimal."""
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}"

print(f"{'objective':12s} {'k':>3s} {'target logit':>13s} {'P_c':>5s} {'mean other':>11s} {'share from others':>18s} {'RMS change':>11s}")
for obj, (logit, prob, other, share, change) in table.items():
    print(f"{obj:12s} {scales[obj]:3.0f} {fmt(logit):>13s} {prob:5.2f} {fmt(other):>11s} {share:17.0%} {change:11.0f}")
for obj in ("softmax", "log_softmax"):
    print(f"{obj}: the logit objective's target logit is {table['logit'][0] / table[obj][0]:.0f} times larger; "
          f"its image moved {table['logit'][4] / table[obj][4]:.0f} times farther")

# %%
# NBVAL_CHECK_OUTPUT
posterior = ("softmax", "log_softmax")
claim("every objective ends with P_c > 0.9", all(v[1] > 0.9 for v in table.values()))
claim("softmax and log_softmax get there with a target logit under 2% of the logit objective's (over 50 times smaller)",
      all(table[o][0] < 0.02 * table["logit"][0] for o in posterior))
claim("the share of the margin from the others is the same for all three objectives (within 5 percentage points)",
      max(v[3] for v in table.values()) - min(v[3] for v in table.values()) < 0.05)
claim("the posterior objectives move the image less than a fifth as far as the logit objective",
      all(table[o][4] < 0.2 * table["logit"][4] for o in posterior));

# %% [markdown]
# What you should see: all three objectives end with a high $P_c$; the paper's objective drives $S_c$ to hundreds, the two posterior objectives stop at a target logit of a few units; the share of the margin that comes from lowering the other logits is about the same **for all three objectives**; the posterior objectives move the image much less far from the start. The checks below the table say whether your run agrees.
#
# **What this measurement shows, plainly.** The paper's *reason* predicts that maximising the posterior gains its margin by *lowering the other classes*. On this toy that is not what we measure: the share from the others is practically the same for all three objectives (in proportion, the logit objective lowers the other logits just as much; we have not measured why, and a plausible reason is that the toy's classes share features, so raising one score lowers the others). So this table does **not** support the reason in the form stated. What differs, and strongly, is something else (our reading, not the paper's): the posterior objectives are *satisfied early*. Since $\partial \log P_c/\partial I = (1-P_c)\,\partial S_c/\partial I - \sum_{k\neq c} P_k\,\partial S_k/\partial I$ fades as $P_c \to 1$, they stop as soon as a small margin makes $P_c \approx 1$, with a target logit two orders of magnitude smaller and an image that has barely changed. The paper's *observation*, that posterior images are not visually prominent, is what the images below reproduce.

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
for obj, results in runs.items():
    r = results[toy.class_index("star")]
    axes[0].plot(r.history.target_logit, label=obj)
    axes[1].plot(r.history.mean_other_logit, label=obj)
    axes[2].plot(r.history.target_prob, label=obj)
for ax, title in zip(axes, ["target logit S_c", "mean other logit", "P_c"]):
    ax.set_title(f"class 'star': {title}")
    ax.set_xlabel("step")
for ax in axes[:2]:
    ax.set_yscale("symlog", linthresh=1)  # small and large logits on one axis
axes[0].legend()
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
star = {obj: results[toy.class_index("star")].history for obj, results in runs.items()}
half = len(star["logit"].target_logit) // 2
claim("for 'star', the logit run's S_c is still rising over the last half of the steps",
      bool(star["logit"].target_logit[-1] > star["logit"].target_logit[half]))
claim("the posterior runs have levelled off: P_c changes by less than 0.01 over the last half of the steps",
      all(abs(star[o].target_prob[-1] - star[o].target_prob[half]) < 0.01 for o in posterior))
claim("the posterior runs end with S_c under 2% of the logit run's",
      all(star[o].target_logit[-1] < 0.02 * star["logit"].target_logit[-1] for o in posterior));

# %% [markdown]
# What you should see: with the paper's objective, $S_c$ for 'star' keeps climbing through all 200 steps and the mean other logit falls far below zero; the two posterior runs level off early, once $P_c$ has reached its plateau close to 1, with $S_c$ staying small. The checks above say whether your run agrees.

# %%
images, titles = [], []
for obj, results in runs.items():
    for r in results:
        images.append(r.image)
        titles.append(f"{obj}: {r.class_name}")
fig = show_images(images, titles, ncols=6)

# %% [markdown]
# What you should see: the paper's objective (top row) paints strong, class-specific stroke patterns; the softmax and log-softmax images (rows 2 and 3) are **almost blank grey**, the mean image with a few faint strokes, and yet the table says the network gives them a high $P_c$.
#
# This is the most striking figure of the notebook, and it reproduces the paper's observation that posterior images are "not visually prominent". An image that shows a person nothing is classified with near certainty: a change of a few grey levels (RMS, printed in the table) from the mean image is enough to make $P_c \approx 1$ on this 6-class toy. Maximising the posterior therefore tells us almost nothing about what the network takes the class to look like; maximising $S_c$ keeps adding class evidence long after $P_c$ has saturated. That, more than the share of the margin, is what our measurements say in favour of the paper's choice.

# %% [markdown]
# ### The same comparison on ImageNet (EfficientNet-Lite0) · 5 min
# Two classes, 160 px, 60 steps, same start. The rescaling by $k$ does not carry over: with 1000 classes $P_c \approx 10^{-3}$ at the mean image, so $k$ for `softmax` is in the thousands and the run explodes once $P_c$ grows. Here we instead use **Adam** for all three objectives (beyond the paper: Adam divides each step by a running estimate of the gradient's size, so its step size depends little on the objective's scale; it does not make the three runs identical in any stronger sense), lr 0.05, no penalty, pixels clipped to the valid range:

# %%
lite0 = helpers.load_model("efficientnet_lite0")
start = torch.zeros(1, 3, 160, 160, device=lite0.device)
classes = ["limousine", "goose"]
lite_runs = {obj: class_model_visualization(lite0, classes, steps=60, init=start, objective=obj, optimizer="adam",
                                            l2=0.0, regularizers=("clip",), seed=0, progress=False)
             for obj in objectives}
images, titles = [], []
for obj, results in lite_runs.items():
    for r in results:
        images.append(r.image)
        titles.append(f"{obj}: {r.class_name}")
fig = show_images(images, titles, ncols=6)
print(f"{'objective':12s}" + "".join(f"{name + ': S_c':>18s}{'P_c':>7s}" for name in classes))
for obj, results in lite_runs.items():
    print(f"{obj:12s}" + "".join(f"{r.final_logit:18.1f}{r.final_prob:7.3f}" for r in results))

# %%
# NBVAL_CHECK_OUTPUT
claim("on Lite0 every run ends with P_c > 0.9", all(r.final_prob > 0.9 for rs in lite_runs.values() for r in rs))
claim("for both classes, the posterior objectives end with a smaller S_c than the paper's objective",
      all(lite_runs[o][j].final_logit < lite_runs["logit"][j].final_logit for o in posterior for j in range(len(classes))));

# %% [markdown]
# What you should see: all six images are similar dense colour textures, and by eye nothing tells the three objectives apart; the printed table shows the difference: the posterior objectives saturate $P_c$ with a smaller $S_c$ than the paper's objective (the checks say whether your run agrees). As on the toy, the posterior is saturated by a smaller score; with 1000 classes and this short Adam run, that is all this figure shows.

# %% [markdown]
# ## The saliency view: maps of $S_c$ versus $P_c$ · 10 min
#
# The same identity applies to saliency maps (notebook 02). Writing out the $k = c$ term,
#
# $$\frac{\partial P_c}{\partial I} = P_c\Big(\frac{\partial S_c}{\partial I} - \sum_k P_k \frac{\partial S_k}{\partial I}\Big)
# = \underbrace{P_c (1 - P_c)}_{\to\, 0}\,\frac{\partial S_c}{\partial I} \;-\; P_c \sum_{k \neq c} \underbrace{P_k}_{\to\, 0}\,\frac{\partial S_k}{\partial I}.$$
#
# For a confident prediction ($P_c \to 1$) the map shrinks because of the factor $(1 - P_c)$ on the class's own gradient and because the competitors' weights $P_k$ add up to only $1 - P_c$; the factor $P_c$ itself is close to 1 and changes little. The $\log P_c$ map is the same without the leading $P_c$, so it shrinks in the same way. Both also mix in the competitors' gradients: they show what separates class $c$ from its rivals rather than the evidence for $c$ alone.
#
# A confident example: the held-out toy image whose $1 - P_c$ is closest to $0.01$ (most toy images are far more confident). We use a float64 copy of the CNN, so that the small gradients are not lost to rounding.

# %%
model64 = copy.deepcopy(toy.model).double()                     # toy.model itself stays float32
heldout = toyworld.generate(300, seed=toyworld.HELDOUT_SEED_OFFSET + 4)
xh = linear.toy_inputs(toy, heldout.images).double()


def objective_gradients(x):
    """dS_c/dI, dP_c/dI, d log P_c/dI and 1 - P_c for each image's predicted class c (float64)."""
    x = x.detach().requires_grad_(True)
    logits = model64(x)
    c = logits.argmax(1, keepdim=True)
    log_p = logits.log_softmax(1)
    grads = [torch.autograd.grad(f.gather(1, c).sum(), x, retain_graph=True)[0] for f in (logits, log_p.exp(), log_p)]
    one_minus_p = torch.logsumexp(logits.scatter(1, c, -torch.inf), 1) - torch.logsumexp(logits, 1)  # log(1 - P_c), stable
    return [g.cpu() for g in grads], one_minus_p.exp().detach().cpu(), c.squeeze(1).cpu()


(g_s, g_p, g_logp), one_minus_p, predicted = objective_gradients(xh)
p_c = 1 - one_minus_p
i = int(torch.argmin((one_minus_p.clamp_min(1e-300).log10() + 2).abs()))   # 1 - P_c closest to 0.01
print(f"held-out image {i}: a {heldout.class_names()[i]}, predicted {toy.categories[int(predicted[i])]} with P_c = {p_c[i]:.4f}, 1 - P_c = {one_minus_p[i]:.1e}")
maps = {name: g[i].abs().amax(0) for name, g in [("|dS_c/dI| (paper)", g_s), ("|dP_c/dI|", g_p), ("|d log P_c/dI|", g_logp)]}
for name, m in maps.items():
    print(f"max {name:18s} = {m.max().item():.1e}   ({m.max().item() / maps['|dS_c/dI| (paper)'].max().item():.1e} of the S_c map's)")

# %%
# NBVAL_CHECK_OUTPUT
from helpers.saliency import rank_correlation

shrink = {name: m.max().item() / maps["|dS_c/dI| (paper)"].max().item() for name, m in maps.items()}
claim("the P_c and log P_c maps' maxima are within a factor 10 of (1 - P_c) times the S_c map's",
      all(abs(np.log10(shrink[n] / float(one_minus_p[i]))) < 1 for n in ("|dP_c/dI|", "|d log P_c/dI|")))
claim("the log P_c gradient is the P_c gradient divided by P_c (to float precision)", close(g_logp[i] * p_c[i], g_p[i]))
claim("on its own scale the P_c map has nearly the shape of the S_c map (rank correlation > 0.8)",
      rank_correlation(maps["|dP_c/dI|"].numpy(), maps["|dS_c/dI| (paper)"].numpy()) > 0.8);

# %%
top = maps["|dS_c/dI| (paper)"].max().item()
panels = [(heldout.images[i], f"{heldout.class_names()[i]}, P_c = {p_c[i]:.3f}", None)]
panels += [((m / top).numpy(), f"{name}\non the S_c map's scale", 1.0) for name, m in maps.items()]
panels += [((m / m.max()).numpy(), f"{name}\non its own scale", 1.0) for name, m in list(maps.items())[1:]]
fig, axes = plt.subplots(2, 3, figsize=(3 * helpers.plotting.PANEL_INCHES, 2 * helpers.plotting.PANEL_INCHES))
for ax, (panel, title, vmax) in zip(axes.flat, panels):
    ax.imshow(panel, cmap="gray", vmin=0, vmax=vmax)               # one fixed grey scale per map: white = vmax
    ax.set_title(title)
    ax.axis("off")
fig.tight_layout()

# %% [markdown]
# What you should see: on the $S_c$ map's grey scale (top right and bottom left) the $P_c$ and $\log P_c$ maps are black: their largest value is a small fraction of the $S_c$ map's, of the order of $1 - P_c$ (printed above). On their own scale (bottom middle and right) they look much like the $S_c$ map for this image (the last check above): here the competitors' term changes the map's size far more than its shape.

# %% [markdown]
# The factor $(1-P_c)$ predicts how much the map shrinks. Over all 300 held-out images, the ratio of the map sizes $\lVert\partial P_c/\partial I\rVert / \lVert\partial S_c/\partial I\rVert$ against $1 - P_c$:

# %%
ratio = (g_p.flatten(1).norm(dim=1) / g_s.flatten(1).norm(dim=1)).numpy()
q = one_minus_p.numpy()
ok = q > 1e-12                                                  # below that, float64 itself cannot resolve 1 - P_c
within = np.abs(np.log10(ratio[ok] / q[ok])) < 1
print(f"images: {len(q)}; with 1 - P_c > 1e-12: {ok.sum()}; median 1 - P_c = {np.median(q):.0e}")
print(f"ratio / (1 - P_c) within a factor 10 for {within.mean():.0%} of them; median ratio / (1 - P_c) = {np.median(ratio[ok] / q[ok]):.1f}")
fig, ax = plt.subplots(figsize=(7, 5))
ax.loglog(q[ok], ratio[ok], "o", ms=4, alpha=0.6, label="held-out toy images")
line = np.array([q[ok].min(), q[ok].max()])
ax.loglog(line, line, "k--", lw=1.5, label="ratio = 1 - P_c")
ax.set_xlabel("1 - P_c")
ax.set_ylabel("||dP_c/dI|| / ||dS_c/dI||")
ax.legend()
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
claim("for every image with 1 - P_c > 1e-12, the ratio is within a factor 10 of 1 - P_c", bool(within.all()))
claim("the median of ratio / (1 - P_c) lies between 0.5 and 2", bool(0.5 < np.median(ratio[ok] / q[ok]) < 2));


# %% [markdown]
# What you should see: the points lie along the line ratio $= 1 - P_c$ over many orders of magnitude: the size of the $P_c$ map is set by $1 - P_c$, i.e. by how *unconfident* the network is, and not by the factor $P_c$. For a typical toy image (the printed median $1 - P_c$) the $P_c$ map is fainter than the $S_c$ map by that same factor, while the $S_c$ map does not depend on the confidence.

# %% [markdown]
# ## Exercises
#
# Exercise 1 computes the Jacobian of the class scores, whose rows $\partial S_k/\partial I$ the identity needs; exercises 2 and 3 turn it into the gradients of $\log P_c$ and $P_c$. In exercises 2 and 3 `jacobian` is a float tensor of shape (K, D) whose rows are $\partial S_k/\partial I$ (flattened), `probs` a tensor of shape (K,) holding the softmax probabilities and `c` an int; return a tensor of shape (D,). In every exercise, do not modify the inputs (no `-=`, `+=` or `[...] =` on them: the caller uses them again) and create any new tensor on their device. The checks run on the notebook's device and name the usual mistakes.
#
# **Exercise 1.** Write `score_jacobian(score_fn, x)`: `score_fn` maps an input `x` of shape (D,) to K class scores; return the (K, D) Jacobian, row $k$ = $\partial S_k/\partial x$, with one `torch.autograd.grad` call per class. Do not change `x` (work on `x.detach().requires_grad_(True)`).

# %%
def score_jacobian(score_fn, x):
    # YOUR CODE HERE
    return None


# %%
from helpers.exercises import logits as ex

print(ex.check_score_jacobian(score_jacobian, device=toy.device))


# %% [markdown]
# **Exercise 2.** Return $\partial \log P_c/\partial I$ (shape (D,)) from the identity above.

# %%
def log_softmax_grad(jacobian, probs, c):
    # YOUR CODE HERE
    return None


# %%
print(ex.check_log_softmax_grad(log_softmax_grad, device=toy.device))


# %% [markdown]
# **Exercise 3.** Return $\partial P_c/\partial I$. Then, with your three functions and a small network of your own, check the picture above: how does $\lVert\partial P_c/\partial I\rVert$ compare with $(1-P_c)\,\lVert\partial S_c/\partial I\rVert$ as the network becomes confident (scale its last layer up)?

# %%
def softmax_grad(jacobian, probs, c):
    # YOUR CODE HERE
    return None


# %%
print(ex.check_softmax_grad(softmax_grad, device=toy.device))

# %% [markdown]
# Worked solutions: `solutions/04_solutions.py`.

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
# - $\partial \log P_c/\partial I = \partial S_c/\partial I - \sum_k P_k\, \partial S_k/\partial I$ and $\partial P_c/\partial I = P_c\, \partial \log P_c/\partial I$: the posterior's gradient is the paper's $S_c$ gradient minus a probability-weighted sum of the competitors' gradients.
# - The paper's reason for $S_c$ (the posterior can be raised by lowering other scores) is true of the calculus; on our toy the *share* of the margin gained from the other classes is about the same for all three objectives, so that measurement does not show it. The paper's observation, that posterior images are not visually prominent, is reproduced.
# - What we do measure: the posterior objectives are satisfied by a small margin, reaching $P_c \approx 1$ with a target logit two orders of magnitude smaller and an image barely different from the start.
# - For a confident prediction the $P_c$ and $\log P_c$ saliency maps shrink roughly like $1 - P_c$ (the $(1-P_c)$ factor and the competitors' small weights, not the factor $P_c$); the $S_c$ map does not depend on the confidence.
