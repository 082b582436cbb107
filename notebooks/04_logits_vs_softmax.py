# %% [markdown]
# # 04 · Why logits, not softmax
#
# Simonyan et al. (2013), Section 2: *"We used the (unnormalised) class scores $S_c$, rather than the class posteriors, returned by the soft-max layer: $P_c = \exp S_c / \sum_c \exp S_c$. The reason is that the maximisation of the class posterior can be achieved by minimising the scores of other classes. Therefore, we optimise $S_c$ to ensure that the optimisation concentrates only on the class in question $c$. We also experimented with optimising the posterior $P_c$, but the results were not visually prominent, thus confirming the intuition above."*
#
# An observation (posterior images are not visually prominent) and a reason (the posterior can be raised by lowering the other scores): we check both, for class images (notebook 03) and saliency maps (notebook 02).
#
# **Time.** Main line: 20 min (the section headings' minutes add up to it); optional sections: 5 min.
#
# **One-session plan (10 min):** show the identity, the toy table and class images, the saliency figure; run live the identity check (tagged `live`); skip the ImageNet section, the optional section and the 300-image scatter.
#
# **Two-session plan (20 min):** show the whole main line; run live the identity check; skip the optional section and "Going further" (reading).
#
# **Prerequisites.** Notebooks 02 and 03; the softmax and the chain rule.
#
# **Learning goals.** You can
# - derive the gradients of $\log P_c$ and $P_c$ from the score gradients, and check them with autograd;
# - say what optimising $P_c$ instead of $S_c$ changes, and which measurement the paper's argument is about;
# - explain why the $P_c$ saliency map of a confident prediction is nearly flat.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/saliency-course/deep-inside-convnets/blob/main/notebooks/04_logits_vs_softmax.ipynb)

# %% [markdown]
# ## The gradient identity · 4 min
#
# $\log P_c = S_c - \log \sum_k \exp S_k$, so
#
# $$\frac{\partial \log P_c}{\partial I} = \frac{\partial S_c}{\partial I} - \sum_k P_k \frac{\partial S_k}{\partial I},
# \qquad \frac{\partial P_c}{\partial I} = P_c \, \frac{\partial \log P_c}{\partial I}.$$
#
# The first term is the paper's objective. The second moves $I$ **against the other classes' gradients**, weighted by their probabilities: $P_c$ can rise because the other scores fall. We check the identity with autograd on a toy image, one backward pass per class:

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

# %% tags=["live"]
import copy

import numpy as np
import torch
import matplotlib.pyplot as plt
from helpers import toyworld, linear
from helpers.classvis import default_settings, class_model_visualization, log_softmax_gradient_identity, input_gradient, objective_scale
from helpers.course.plotting import show_images

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
from helpers.claims import RTOL, claim, close

scale = gi.logit_term.abs().max().item()  # size of the terms being subtracted (float32 round-off is relative to it)
claim(f"the identity agrees with autograd to float32 round-off (max difference < {RTOL:g} x max |dS_c/dI|, "
      "the tolerance helpers.claims allows float32 sums that other kernels reorder)", gi.max_abs_difference < RTOL * scale)
claim("the second term (the competitors) is not zero", gi.others_term.abs().max().item() > 0);

# %% [markdown]
# What you should see: the identity agrees with autograd to float32 round-off, and the competitors' term is not zero.

# %% [markdown]
# ## Three objectives on the toy CNN · 8 min
#
# Every toy class from the mean image, plain SGD, 400 steps, notebook 03's $\eta$ and $\lambda$; only the objective changes: `"logit"` $S_c$ (the paper), `"softmax"` $P_c$, `"log_softmax"` $\log P_c$, each minus $\lambda\lVert I\rVert^2$. Each objective is multiplied by $k$ (`objective_scale`) so that every run takes the same first step (why: "Going further").
#
# Did the margin come from raising $S_c$ or lowering the others? The **share from the others** is $-\Delta C / (\Delta S_c - \Delta C)$ ($\Delta$: change from the start) for three summaries $C$ of the other logits:
# - their **mean**;
# - their **log-sum-exp** $\log\sum_{k\neq c} e^{S_k}$: $S_c - C = \log\frac{P_c}{1-P_c}$ exactly;
# - the **runner-up** $\max_{k\neq c} S_k$.
#
# Share 0: only $S_c$ rose; 1: only the others fell; negative: the others rose.

# %%
from helpers.evaluation.competitors import SUMMARIES, margin_decomposition, median_interval

objectives = ["logit", "softmax", "log_softmax"]
METHOD = {"logit": "S_c (paper)", "softmax": "P_c", "log_softmax": "log P_c"}  # legends name the objective maximised
lr, lam = default_settings(toy)
STEPS = 400
scales = {obj: objective_scale(toy, list(toy.categories), obj) for obj in objectives}
runs = {obj: class_model_visualization(toy, list(toy.categories), steps=STEPS, objective=obj,
                                       lr=lr * scales[obj], l2=lam / scales[obj], seed=0, progress=False)
        for obj in objectives}
start_image = toy.mean.permute(1, 2, 0).cpu().numpy() * 255   # the mean image, where every run starts


def end_logits(model, results):
    """The logits of the returned images (N, K)."""
    with torch.no_grad():
        return model(torch.cat([r.tensor for r in results]))


def ascended(r):
    """The objective the run ascended, per step: objective - l2 ||I||^2 (l2 as the run used it)."""
    h = r.history
    value = {"logit": h.target_logit, "softmax": h.target_prob, "log_softmax": np.log(h.target_prob)}[r.settings["objective"]]
    return value - r.settings["l2"] * h.norm.astype(np.float64) ** 2


def late_gain(r, last=10):
    """The gain of the last `last` steps as a fraction of the run's whole gain: near 0 once it has levelled off."""
    j = ascended(r)
    return float((j[-1] - j[-1 - last]) / (j[-1] - j[0]))


targets = [r.target for r in runs["logit"]]
with torch.no_grad():
    start_logits = toy.model(torch.zeros(1, 3, toy.input_size, toy.input_size, device=toy.device)).expand(len(targets), -1)
shares = {obj: {s: m.share_from_others for s, m in margin_decomposition(start_logits, end_logits(toy.model, rs), targets).items()}
          for obj, rs in runs.items()}
rms_change = {obj: np.array([np.sqrt(np.mean((r.image.astype(np.float64) - start_image) ** 2)) for r in rs]) for obj, rs in runs.items()}
final_logit = {obj: np.array([r.final_logit for r in rs]) for obj, rs in runs.items()}


def image_step_change(r, steps=10):
    """How far the image moves in `steps` more steps (plain SGD keeps no state), relative to its whole change so far."""
    more = class_model_visualization(toy, r.target, steps=steps, init=r.tensor, objective=r.settings["objective"],
                                     lr=r.settings["lr"], l2=r.settings["l2"], seed=0, progress=False)
    moved = r.image.astype(np.float64) - start_image
    return float(np.linalg.norm(more.image.astype(np.float64) - r.image) / np.linalg.norm(moved))


image_change = {obj: np.array([image_step_change(r) for r in rs]) for obj, rs in runs.items()}


# %%
def median_with_interval(values):
    """'median [low, high]' with the order-statistic interval of the median."""
    low, high, _ = median_interval(values)
    return f"{np.median(values):+.2f} [{low:+.2f}, {high:+.2f}]"

n, coverage = len(targets), median_interval(final_logit["logit"])[2]
print(f"n = {n} classes; medians over the classes [{coverage:.0%} interval of the median: min to max, which covers it "
      f"with probability 1 - 2/2^{n}]")
print(f"{'objective':12s} {'k':>4s} {'S_c':>6s} {'min P_c':>8s} {'RMS change':>11s} {'objective, last 10 steps':>25s} "
      f"{'image, next 10 steps':>21s}")
for obj, rs in runs.items():
    print(f"{METHOD[obj]:12s} {scales[obj]:4.1f} {np.median(final_logit[obj]):6.0f} {min(r.final_prob for r in rs):8.3f} "
          f"{np.median(rms_change[obj]):11.1f} {max(abs(late_gain(r)) for r in rs):24.2%} {image_change[obj].max():20.1%}")
print("(last two columns: the largest over the classes; the image's move is relative to its whole change from the start)")
print("\nmedian change from the start of S_c and of each summary of the other logits")
print(f"{'objective':12s} {'d S_c':>8s}" + "".join(f"{'d ' + s:>14s}" for s in SUMMARIES))
for obj in objectives:
    d = margin_decomposition(start_logits, end_logits(toy.model, runs[obj]), targets)
    print(f"{METHOD[obj]:12s} {np.median(d['mean'].target_change):+8.1f}"
          + "".join(f"{np.median(d[s].competitor_change):+14.1f}" for s in SUMMARIES))
print("\nshare of the margin gained from the others, by summary of the other logits")
print(f"{'objective':12s}" + "".join(f"{s:>26s}" for s in SUMMARIES))
for obj in objectives:
    print(f"{METHOD[obj]:12s}" + "".join(f"{median_with_interval(shares[obj][s]):>26s}" for s in SUMMARIES))

# %%
# NBVAL_CHECK_OUTPUT
posterior = ("softmax", "log_softmax")
claim("every run's objective has levelled off: its last 10 steps gained less than 1% of its whole gain (10 steps are "
      "2.5% of the 400: a run still climbing at its average pace would gain 2.5%); the image itself still moves (printed)", all(abs(late_gain(r)) < 0.01 for rs in runs.values() for r in rs))
claim("every run ends with P_c > 0.5 (the target outweighs all other classes together)",
      all(r.final_prob > 0.5 for rs in runs.values() for r in rs))
claim("for every class, both posterior objectives end with a smaller S_c and a smaller image change than the paper's",
      all((final_logit[o] < final_logit["logit"]).all() and (rms_change[o] < rms_change["logit"]).all() for o in posterior))
claim("mean of the others: the three objectives gain the same share from the others (for each posterior objective, "
      "the 97% interval of the median paired difference from the paper's objective contains 0)",
      all(median_interval(shares[o]["mean"] - shares["logit"]["mean"])[0] <= 0 <= median_interval(shares[o]["mean"] - shares["logit"]["mean"])[1]
          for o in posterior))
for s in ("logsumexp", "runner_up"):
    claim(f"{s}: the paper's objective raises the competitors (negative share for every class), and each posterior "
          "objective raises them less than S_c does, relative to its margin gain (a higher share), for every class",
          bool((shares["logit"][s] < 0).all() and all((shares[o][s] > shares["logit"][s]).all() for o in posterior)))
claim("log-sum-exp: the posterior objectives still gain most of their log-odds from raising S_c (the 97% interval of "
      "their median share lies below 0.5)", all(median_interval(shares[o]["logsumexp"])[1] < 0.5 for o in posterior));

# %% [markdown]
# What you should see: every objective levels off with a high $P_c$, while the images still move (printed); the posterior objectives stop at a small $S_c$. With the **mean**, the share from the others is the same for all three objectives; with the **log-sum-exp** and the **runner-up**, the paper's objective *raises* the strongest competitors, and the posterior objectives raise them less than $S_c$ does.
#
# **The metrics disagree; the paper's argument is about the log-sum-exp**, the only way $P_c$ depends on the competitors (the mean weighs the weak ones alike). By it the paper is half right: the posterior objectives let the strongest competitors rise less, but still gain most of their margin by raising $S_c$. The larger difference: they are **satisfied early**, their gradient fading like $1-P_c$.

# %%
fig, axes = plt.subplots(1, 3, figsize=(3 * 4.2, 4.2))
for obj, results in runs.items():
    for j, r in enumerate(results):
        j_curve = ascended(r)
        axes[0].plot((j_curve - j_curve[0]) / (j_curve[-1] - j_curve[0]), color=f"C{objectives.index(obj)}", lw=1,
                     label=METHOD[obj] if j == 0 else None)
    star = results[toy.class_index("star")].history
    axes[1].plot(star.target_logit, label=METHOD[obj])
    axes[2].plot(star.target_prob, label=METHOD[obj])
titles = ["ascended objective, all classes\n(fraction of its final gain)", "class 'star': S_c", "class 'star': P_c"]
for ax, title in zip(axes, titles):
    ax.set_title(title)
    ax.set_xlabel("step")
axes[1].set_yscale("symlog", linthresh=1)  # small and large logits on one axis
axes[0].legend(title="objective maximised")
fig.tight_layout()

# %% [markdown]
# What you should see: every curve on the left flattens before step 400 (the objective has levelled off, though the images still move: printed above); for 'star' the paper's $S_c$ climbs long after the posterior runs, with $P_c$ near 1, have stopped.

# %%
shown = ["circle", "star", "ring"]
images, titles = [], []
for name in shown:
    for obj in objectives:
        r = runs[obj][toy.class_index(name)]
        images.append(r.image)
        titles.append(f"{METHOD[obj]}: {name}\nP_c = {r.final_prob:.2f}")
fig = show_images(images, titles, ncols=3, size=4.0, interpolation="nearest")

# %% [markdown]
# What you should see: the paper's objective (left) paints class-specific strokes; the $P_c$ and $\log P_c$ images are **almost blank**, yet $P_c$ is near 1: the paper's observation. Unrecognisable images classified with near certainty are Nguyen et al.'s (2015) *fooling images*.

# %% [markdown]
# ## ImageNet (EfficientNet-Lite0) with plain SGD · 4 min
#
# Notebook 03's Lite0 settings (plain SGD, its $\eta$ and $\lambda$, 150 steps, 160 px; 224 px on a GPU): $S_c$ and $\log P_c$ on six classes, $P_c$ on two. Only the objective changes, without $k$ (printed below; used in the optional section).

# %%
lite0 = helpers.load_model("efficientnet_lite0")
SIZE, LITE_STEPS = (224 if lite0.device.type == "cuda" else 160), 150   # notebook 03's size and budget
start = torch.zeros(1, 3, SIZE, SIZE, device=lite0.device)
classes = ["limousine", "goose"]                                       # shown, and the optional section's
six_classes = classes + ["tabby", "volcano", "pizza", "goldfish"]


def lite_table(optimizer, l2=None, objs=objectives, names=classes, lr=None):
    """Run objectives on Lite0 with one optimiser (lr, lambda: given or its defaults); print S_c, P_c, pixel std, last-10 gain."""
    out = {obj: class_model_visualization(lite0, names, steps=LITE_STEPS, init=start, objective=obj, lr=lr, l2=l2,
                                          optimizer=optimizer, seed=0, progress=False) for obj in objs}
    lr_used, l2_used = out[objs[0]][0].settings["lr"], out[objs[0]][0].settings["l2"]
    print(f"{optimizer}, lr {lr_used:g}, lambda {l2_used:g}, {LITE_STEPS} steps, n = {len(names)} classes (no interval); "
          "* = not levelled off (last 10 steps changed the objective by over 1% of its whole gain)")
    print(f"{'class':10s} {'objective':12s} {'S_c':>7s} {'P_c':>6s} {'std':>6s} {'last 10':>8s}")
    for j, name in enumerate(names):
        for obj, rs in out.items():
            r = rs[j]
            print(f"{name:10s} {METHOD[obj]:12s} {r.final_logit:7.1f} {r.final_prob:6.3f} {r.image.std():6.1f} "
                  f"{late_gain(r):8.1%}{' *' if abs(late_gain(r)) > 0.01 else ''}")
    return out


def pixel_std(results):
    """Each image's pixel standard deviation, in grey levels: 0 for a blank image."""
    return np.array([r.image.std() for r in results])


def logit_of(results):
    """Each image's final S_c."""
    return np.array([r.final_logit for r in results])


lite_sgd = lite_table("sgd", objs=["logit", "log_softmax"], names=six_classes)
lite_sgd["softmax"] = lite_table("sgd", objs=["softmax"])["softmax"]
lr_lite, lam_lite = default_settings(lite0)
k_pc = objective_scale(lite0, classes, "softmax", size=SIZE)
print(f"penalty's time constant 1/(2 eta lambda) = {1 / (2 * lr_lite * lam_lite):.0f} steps (of {LITE_STEPS}); "
      f"k for P_c at {SIZE} px = {k_pc:.0f} (the step factor that would match the paper's first step)")
fig = show_images([lite_sgd[o][j].image for j in range(len(classes)) for o in objectives],
                  [f"{METHOD[o]}: {c}" for c in classes for o in objectives], ncols=3, size=4.0, interpolation="nearest")

# %%
# NBVAL_CHECK_OUTPUT
claim("S_c and log P_c runs end with P_c > 0.5 for all six classes", all(r.final_prob > 0.5 for o in ("logit", "log_softmax") for r in lite_sgd[o]))
claim("at the paper's step the P_c run barely leaves the mean image (pixel std under 1 grey level, less than the display "
      "can show): its gradient carries the factor P_c, tiny at the start, so this measures the step size",
      bool((pixel_std(lite_sgd["softmax"]) < 1).all()))
claim("for all six classes the log P_c image has a smaller pixel std and a smaller S_c than the paper's",
      bool((pixel_std(lite_sgd["log_softmax"]) < pixel_std(lite_sgd["logit"])).all()
           and (logit_of(lite_sgd["log_softmax"]) < logit_of(lite_sgd["logit"])).all()));

# %% [markdown]
# What you should see: the paper's objective gives dense speckle (notebook 03); $\log P_c$ a nearly blank image with a far smaller $S_c$ and $P_c$ near 1, on every class. $P_c$ barely moves: its gradient is scaled by $P_c$, so this row measures the step size (rescaled: optional section). Rows marked * are still moving: the comparison is at an equal budget, not at convergence.

# %% [markdown]
# ## Optional: what Adam changes · 5 min
#
# Adam (beyond the paper) divides each step by a running estimate of the gradient's size, so a pixel moves by about its learning rate however faded the gradient is. What stops it is a stationary point, where the objective's gradient equals the penalty's, $2\lambda I$: the same points as for SGD. Three runs of $S_c$ and $\log P_c$, each one change away from another: Adam with the same $\lambda$ (one change from the SGD runs above; with a $P_c$ row), Adam without the penalty ($\lambda = 0$), and SGD without it. Last, $P_c$ with SGD rescaled by $k$ (step $k\eta$, penalty $\lambda/k$), so that its first step matches the paper's.

# %%
contrast = {"Adam, same lambda": lite_table("adam", objs=objectives),
            "Adam, lambda = 0": lite_table("adam", l2=0.0, objs=["logit", "log_softmax"]),
            "SGD, lambda = 0": lite_table("sgd", l2=0.0, objs=["logit", "log_softmax"])}
rescaled = lite_table("sgd", objs=["softmax"], lr=lr_lite * k_pc, l2=lam_lite / k_pc)["softmax"]
curves = [ascended(r) for r in rescaled]       # P_c - (lambda / k) ||I||^2, per step
for r, j in zip(rescaled, curves):
    print(f"rescaled P_c, {r.class_name}: the objective fell on {np.mean(np.diff(j) < 0):.0%} of the steps; lowest "
          f"{j.min() - j[0]:+.2f} from the start (step {j.argmin()}), best {j.max() - j[0]:+.2f}, final {j[-1] - j[0]:+.2f}")
extra = [(contrast["Adam, same lambda"]["softmax"][0], "Adam, same lambda"), *((r, f"SGD x k = {k_pc:.0f}") for r in rescaled)]
fig = show_images([rs[obj][0].image for obj in ("logit", "log_softmax") for rs in contrast.values()] + [r.image for r, _ in extra],
                  [f"{setting}\n{METHOD[obj]}: {classes[0]}" for obj in ("logit", "log_softmax") for setting in contrast]
                  + [f"{setting}\nP_c: {r.class_name}" for r, setting in extra], ncols=3, size=4.0, interpolation="nearest")

# %%
# NBVAL_CHECK_OUTPUT
def faintness(rs):
    """log P_c image's pixel std over the paper's, per class: 1 = as textured, 0 = blank."""
    return pixel_std(rs["log_softmax"]) / pixel_std(rs["logit"])

claim("Adam alone does not erase the difference: with the same lambda its log P_c images are no more textured, "
      "relative to the paper's, than SGD's, for both classes",
      bool((faintness(contrast["Adam, same lambda"]) <= faintness({o: rs[:len(classes)] for o, rs in lite_sgd.items()})).all()))
claim("lambda = 0: the log P_c images are closer to the paper's in texture (pixel std ratio) with Adam than with SGD, "
      "for both classes", bool((faintness(contrast["Adam, lambda = 0"]) > faintness(contrast["SGD, lambda = 0"])).all()))
claim("in every setting, log P_c ends with a smaller S_c than the paper's objective, for both classes",
      all((logit_of(rs["log_softmax"]) < logit_of(rs["logit"])).all() for rs in contrast.values()))
claim("rescaled by k, P_c does leave the mean image: it ends with P_c > 0.99 and more pixel std than the paper's SGD "
      "image, for both classes", bool(all(r.final_prob > 0.99 for r in rescaled)
                                      and (pixel_std(rescaled) > pixel_std(lite_sgd["logit"][:len(classes)])).all()))
claim("rescaled by k, the P_c run is no settled ascent: its objective fell on some steps (a small enough step never "
      "lowers it) and ends below the best value it reached, for both classes",
      all((np.diff(j) < 0).any() and j[-1] < j.max() for j in curves));

# %% [markdown]
# What you should see: with the same $\lambda$, Adam's $\log P_c$ images are blank too; without the penalty, Adam keeps painting after $P_c$ saturates and its $\log P_c$ images reach a similar amount of texture (pixel std) to the paper's, more than SGD's do; $S_c$ stays smaller in every setting. Adam's $P_c$ row is still climbing (marked *). Rescaled by $k$, SGD's $P_c$ run does leave the mean image, but its step is so large that the image overshoots: $P_c$ saturates in colour noise while the objective falls below its start, and the penalty then pulls the image back (printed). The blank $P_c$ image in the main line was the step size, not the objective; neither step gives a prominent class image.

# %% [markdown]
# ## The saliency view: maps of $S_c$ versus $P_c$ · 4 min
#
# The same identity applies to saliency maps (the saliency notebook). Writing out the $k = c$ term,
#
# $$\frac{\partial P_c}{\partial I} = \underbrace{P_c (1 - P_c)}_{\to\, 0}\,\frac{\partial S_c}{\partial I} \;-\; P_c \sum_{k \neq c} \underbrace{P_k}_{\to\, 0}\,\frac{\partial S_k}{\partial I}.$$
#
# For a confident prediction the map shrinks with $1 - P_c$: the class's own gradient carries that factor, and the competitors' weights add up to it. The $\log P_c$ map lacks only the leading $P_c \approx 1$. Example: the held-out toy image with $1 - P_c$ closest to $0.01$, on a float64 copy of the CNN (small gradients survive rounding).

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

from helpers.evaluation.masks import rank_correlation


def class_maps(x):
    """|dS_k/dI| (max over colour channels) for every class k, per image: (N, K, H, W), float64."""
    x = x.detach().requires_grad_(True)
    logits = model64(x)
    return torch.stack([torch.autograd.grad(logits[:, k].sum(), x, retain_graph=True)[0].abs().amax(1)
                        for k in range(logits.shape[1])], 1)


def shape_scores(all_maps, p_map, c):
    """Rank correlation with the S_c map of the P_c map and of every other class's score-gradient map (same image)."""
    s_map = all_maps[c].numpy()
    others = [rank_correlation(all_maps[k].numpy(), s_map) for k in range(len(all_maps)) if k != c]
    return rank_correlation(p_map.numpy(), s_map), np.array(others)


k_maps = class_maps(xh)
r_p, r_others = shape_scores(k_maps[i], maps["|dP_c/dI|"], int(predicted[i]))
print(f"image {i}: rank correlation with the S_c map: P_c map {r_p:.2f}; other classes' dS_k/dI maps "
      f"{r_others.min():.2f} to {r_others.max():.2f}")
scores = [shape_scores(k_maps[j], g_p[j].abs().amax(0), int(predicted[j])) for j in range(len(predicted))]
beats = sum(rp > ro.max() for rp, ro in scores)
print(f"all {len(scores)} held-out images: the P_c map is closer to the S_c map than every other class's map on {beats} "
      f"(medians: P_c map {np.median([rp for rp, _ in scores]):.2f}, best other class {np.median([ro.max() for _, ro in scores]):.2f})")

# %%
# NBVAL_CHECK_OUTPUT
shrink = {name: m.max().item() / maps["|dS_c/dI| (paper)"].max().item() for name, m in maps.items()}
claim("the P_c and log P_c maps' maxima are within a factor 10 of (1 - P_c) times the S_c map's "
      "(one order of magnitude, against the two orders of 1 - P_c near 0.01)",
      all(abs(np.log10(shrink[n] / float(one_minus_p[i]))) < 1 for n in ("|dP_c/dI|", "|d log P_c/dI|")))
claim("the log P_c gradient is the P_c gradient divided by P_c (to float precision)", close(g_logp[i] * p_c[i], g_p[i]))
claim("on this image every other class's score-gradient map has the S_c map's shape about as much as the P_c map does: "
      "the P_c map's rank correlation lies within their range (min to max)", r_others.min() <= r_p <= r_others.max())
claim("over the held-out images, the P_c map is closer in shape to the S_c map than the best other class's map on fewer "
      "than half of them (a paired count: a shape special to the P_c map would win more often than not)",
      beats < len(scores) / 2);

# %%
top = maps["|dS_c/dI| (paper)"].max().item()
panels = [(heldout.images[i], f"{heldout.class_names()[i]}, P_c = {p_c[i]:.3f}", None)]
panels += [((m / top).numpy(), f"{name}\non the S_c map's scale", 1.0) for name, m in maps.items()]
panels += [((m / m.max()).numpy(), f"{name}\non its own scale", 1.0) for name, m in list(maps.items())[1:]]
fig, axes = plt.subplots(2, 3, figsize=(3 * 4.0, 2 * 4.0))
for ax, (panel, title, vmax) in zip(axes.flat, panels):
    ax.imshow(panel, cmap="gray", vmin=0, vmax=vmax)               # one fixed grey scale per map: white = vmax
    ax.set_title(title)
    ax.axis("off")
fig.tight_layout()

# %% [markdown]
# What you should see: on the $S_c$ map's grey scale (top right, bottom left) the $P_c$ and $\log P_c$ maps are black. On their own scale (bottom middle, right) they look like the $S_c$ map, but so does every other class's gradient on this image (printed): shape cannot tell the objectives apart; **size** can.

# %% [markdown]
# Over all 300 held-out images, the ratio of the map sizes $\lVert\partial P_c/\partial I\rVert / \lVert\partial S_c/\partial I\rVert$ against $1 - P_c$:

# %%
ratio = (g_p.flatten(1).norm(dim=1) / g_s.flatten(1).norm(dim=1)).numpy()
q = one_minus_p.numpy()
ok = q > 1e-12                                                  # below that, float64 itself cannot resolve 1 - P_c
within = np.abs(np.log10(ratio[ok] / q[ok])) < 1
low, high, coverage = median_interval(ratio[ok] / q[ok])
span = np.log10(q[ok].max() / q[ok].min())
print(f"images: {len(q)}; with 1 - P_c > 1e-12: {ok.sum()}, spanning {span:.0f} orders of magnitude; median 1 - P_c = {np.median(q):.0e}")
print(f"ratio / (1 - P_c): median {np.median(ratio[ok] / q[ok]):.2f} [{coverage:.0%} interval {low:.2f}-{high:.2f}]; "
      f"within a factor 10 for {within.mean():.0%}")
fig, ax = plt.subplots(figsize=(6, 4.5))
ax.loglog(q[ok], ratio[ok], "o", ms=4, alpha=0.6, label="held-out toy images")
line = np.array([q[ok].min(), q[ok].max()])
ax.loglog(line, line, "k--", lw=1.5, label="ratio = 1 - P_c")
ax.set_xlabel("1 - P_c")
ax.set_ylabel("||dP_c/dI|| / ||dS_c/dI||")
ax.legend()
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
claim("for every image with 1 - P_c > 1e-12, the ratio is within a factor 10 of 1 - P_c "
      "(one order of magnitude, while 1 - P_c spans many: printed above)", bool(within.all()));


# %% [markdown]
# What you should see: the points follow the line ratio $= 1 - P_c$ over many orders of magnitude: the $P_c$ map's size is set by how *unconfident* the network is.

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
# - The posterior's gradient is the paper's $\partial S_c/\partial I$ minus a probability-weighted sum of the competitors' gradients.
# - The paper's reason, measured by what $P_c$ depends on (the competitors' log-sum-exp): the posterior objectives raise the strongest competitors less than $S_c$ does, but gain most of their margin by raising $S_c$. By the mean of the other logits, all three objectives gain the same share from the others.
# - The observation holds with plain SGD (toy and Lite0): $\log P_c$ images are nearly blank, because the posterior's gradient fades like $1 - P_c$ and the penalty then holds the image. Adam without a penalty keeps painting and gives them a similar amount of texture (pixel std) to the $S_c$ images.
# - For a confident prediction the $P_c$ saliency map shrinks like $1 - P_c$; the $S_c$ map does not. Its shape is no evidence: on the toy, every class's gradient map shares it.

# %% [markdown]
# ## Going further
#
# **Why rescale on the toy.** Ascending $k \cdot$ objective $- \lambda\lVert I\rVert^2$ with step $\eta$ is the same as step $k\eta$ and penalty $\lambda/k$. Without it, the $P_c$ run on the toy starts with a step about six times smaller (its gradient carries $P_c \approx 1/6$) and the penalty holds it near the mean image: the comparison would then measure the step size, not the objective. On Lite0 we keep the paper's step in the main line and show what it does; $k$ for $P_c$ is printed there, and the optional section runs with it.
#
# **Why the mean misleads.** The mean weighs every competitor alike; $P_c$, through the log-sum-exp, feels mostly the strongest few. A plausible reading of the toy table, not measured here: from the mean image, the paper's objective raises the classes that share features with $c$ along with $c$, and the posterior's second term pushes exactly those down.
#
# **Fooling images.** Nguyen et al. (2015) evolved or optimised unrecognisable images that networks classify with over 99% confidence. The near-blank posterior images here are a mild case of the same thing: a confident posterior says little about what an image shows, which is one more reason to visualise $S_c$.
#
# **What a skeptic can still check.** The toy has 6 classes and Lite0 is shown on 2; run `class_model_visualization` on more Lite0 classes, other step sizes, or another network (`helpers.load_model("vgg16")` with internet), and recompute the shares with `helpers.evaluation.competitors.margin_decomposition`.

# %% [markdown]
# ## References
#
# - K. Simonyan, A. Vedaldi, A. Zisserman. Deep Inside Convolutional Networks: Visualising Image Classification Models and Saliency Maps. 2013. [arXiv:1312.6034](https://arxiv.org/abs/1312.6034)
# - A. Nguyen, J. Yosinski, J. Clune. Deep Neural Networks are Easily Fooled: High Confidence Predictions for Unrecognizable Images. CVPR 2015. [arXiv:1412.1897](https://arxiv.org/abs/1412.1897)
# - D. P. Kingma, J. Ba. Adam: A Method for Stochastic Optimization. ICLR 2015. [arXiv:1412.6980](https://arxiv.org/abs/1412.6980)
