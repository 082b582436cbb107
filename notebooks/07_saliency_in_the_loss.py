# %% [markdown]
# # 07 · Saliency in the loss: finding a shortcut and fixing it
#
# The paper ends with its future work: *"we intend to incorporate image-specific saliency maps into learning formulations in a more principled manner."* Ross, Hughes & Doshi-Velez (2017) did this: they penalise the input gradient where an expert says the reason must not be, and the network learns the intended rule instead of a shortcut. We build a toy world with a shortcut, let the paper's saliency map find it, and measure the fix.
#
# **Time.** Main line: 30 min (the section headings' minutes add up to it); optional section: 3 min.
#
# **One-session plan (0 min):** not part of the one-session plan, which covers the paper; assign the notebook as reading, or in five spare minutes show the diagnosis figure and the λ sweep.
#
# **Two-session plan (30 min):** the third session's first half-hour (README): show the whole main line; run live the training cell (tagged `live`); skip the optional section and "Going further" (reading).
#
# **Prerequisites.** Notebooks 02 (saliency maps) and 04 (the gradient of $\log P_c$); cross-entropy training.
#
# **Learning goals.** You can
# - use a saliency map to find a shortcut that held-out accuracy does not reveal, and test the finding;
# - write Ross et al.'s loss and train with it by double backprop;
# - read a λ sweep and an annotation-budget curve with their baselines and intervals.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/saliency-course/deep-inside-convnets/blob/main/notebooks/07_saliency_in_the_loss.ipynb)

# %% [markdown]
# ## A toy world with a shortcut · 4 min
#
# Each toy image (notebook 01's shapes, at 32 px) gets a small square at a free corner, in a colour that names the class: a perfect shortcut in training. Three test versions of the same images: the square in the class's colour (like training), **swapped** to another class's colour, and no square. A network that reads the shape is right on all three; one that reads the square is always wrong on the swapped images.
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
import numpy as np
import torch
import matplotlib.pyplot as plt
from helpers import rrr, shortcut
from helpers.claims import claim
from helpers.course.plotting import show_images
from helpers.evaluation import shortcut as measure
from helpers.evaluation.proportions import sign_test, wilson_interval
from helpers.saliency import saliency_map
from helpers.toyworld import CLASSES as names

device = helpers.default_device()
TEST_SEED, N_TEST = 20_000, 600  # test images: a seed no model was trained on
tests = {kind: shortcut.generate_decoy(N_TEST, seed=TEST_SEED, decoy=kind) for kind in shortcut.DECOY_KINDS}
pictures = [tests[kind].images[i] for i in (0, 1) for kind in shortcut.DECOY_KINDS]
titles = [f"a {names[tests[kind].labels[i]]}; decoy: {'none' if tests[kind].decoy_labels[i] < 0 else names[tests[kind].decoy_labels[i]]}"
          for i in (0, 1) for kind in shortcut.DECOY_KINDS]
show_images(pictures, titles, ncols=3, interpolation="nearest");

# %% [markdown]
# What you should see: the same shape and background three times; the square's colour names the class, another class, or is absent.

# %% [markdown]
# ## The diagnosis: saliency finds the shortcut · 8 min
#
# Shipped models (`benchmarks/train_shortcut_models.py` retrains them; every number below is recomputed here from their weights), three training seeds each, the same small CNN, data size, optimiser and epochs: **no decoy** in training, and **plain**: decoy in training, cross-entropy only. Accuracy on each test version, with n and a 95% interval:

# %%
models, manifest = rrr.load_shipped_models(device)
SEEDS = sorted({entry["seed"] for entry in manifest.values()})
runs_of = lambda condition: [f"{condition}_s{seed}" for seed in SEEDS]  # noqa: E731
hits = {name: {kind: measure.correct(models[name], tests[kind]) for kind in tests} for name in models}


def accuracy_row(condition, kind):
    """Mean accuracy over seeds, its range, and the Wilson interval of the pooled count (n = seeds x images)."""
    per_seed = [hits[name][kind].mean() for name in runs_of(condition)]
    mean, low, high = measure.seed_summary(per_seed)
    pooled = sum(int(hits[name][kind].sum()) for name in runs_of(condition))
    n = N_TEST * len(SEEDS)
    w_low, w_high = wilson_interval(pooled, n)
    return f"{condition:>10} {kind:>8}: {mean:.2f} (seeds {low:.2f}-{high:.2f}; pooled n={n}, 95% CI {w_low:.2f}-{w_high:.2f})"


for condition in ("nodecoy", "plain"):
    for kind in tests:
        print(accuracy_row(condition, kind))

# %%
# NBVAL_CHECK_OUTPUT
drops = [hits[n]["class"].mean() - hits[n]["swapped"].mean() for n in runs_of("plain")]
claim("in every seed the plain model falls by 30+ points from decoy-matched to decoy-swapped images (the bar "
      "fixed before the sweep: a smaller fall would leave too little room to measure a fix)", min(drops) >= 0.30)
claim("on images like its training images the plain model is at least as accurate as the no-decoy model in every "
      "seed: accuracy there does not reveal the shortcut",
      all(hits[p]["class"].mean() >= hits[q]["class"].mean() for p, q in zip(runs_of("plain"), runs_of("nodecoy"))));

# %% [markdown]
# The map shows it before the swapped test does. On the decoy-matched test images, the paper's saliency map of the true class (notebook 02), its mass on the decoy's exact mask and on the object's, each divided by the mask's share of the image (1 = a uniform map), mean over images with a bootstrap interval:

# %%
shares = {name: measure.saliency_on_masks(models[name], tests["class"]) for name in models}


def share_row(condition, where):
    """Mean over seeds and images of the mass on `where` relative to its area, with a bootstrap interval over images."""
    values = np.mean([shares[name][where] for name in runs_of(condition)], axis=0)  # per image, mean over seeds
    mean, low, high = measure.mean_interval(values)
    return mean, low, high


for condition in ("nodecoy", "plain"):
    for where in ("decoy", "object"):
        mean, low, high = share_row(condition, where)
        print(f"{condition:>10} mass on the {where:>6} / its area: {mean:5.2f} (95% CI {low:.2f}-{high:.2f}, n={N_TEST} images, {len(SEEDS)} seeds)")

# %%
# NBVAL_CHECK_OUTPUT
plain_decoy, nodecoy_decoy = share_row("plain", "decoy"), share_row("nodecoy", "decoy")
claim("the plain model's map puts more mass on the decoy (per pixel) than the no-decoy model's: the intervals do "
      "not overlap", plain_decoy[1] > nodecoy_decoy[2])
claim("the plain model's map is denser on the decoy than on the object (the interval of the decoy lies above the "
      "object's)", plain_decoy[1] > share_row("plain", "object")[2]);

# %% tags=["gallery"]
i_show = [0, 1, 2]
maps = {name: saliency_map(models[name], rrr.shortcut_input(tests["class"].images[i_show], device),
                                   tests["class"].labels[i_show].tolist()).cpu().numpy() for name in ("plain_s0", "nodecoy_s0")}
panels, panel_titles = [], []
for j, i in enumerate(i_show):
    panels += [tests["class"].images[i], maps["plain_s0"][j], maps["nodecoy_s0"][j]]
    panel_titles += [names[tests["class"].labels[i]], "saliency, plain model", "saliency, no-decoy model"]
show_images(panels, panel_titles, ncols=3, cmap="gray", interpolation="nearest");

# %% [markdown]
# What you should see: the plain model's map is brightest in the corners, where the square can be, and dim on the shape; the no-decoy model's map covers the shape. The plain model looks better on ordinary test images and fails on swapped ones: the map told us first.

# %% [markdown]
# ## The fix: saliency in the loss · 6 min
#
# Ross et al. add to the cross-entropy a penalty on the input gradient of $\sum_k \log p_k$ where an annotation $A$ marks pixels that must not matter (here: the decoy's mask, 1 there, 0 elsewhere, the same for every colour channel):
#
# $$L(\theta) = \sum_n \Big[-\log p_{y_n}(x_n) + \lambda \,\Big\lVert A_n \odot \frac{\partial}{\partial x_n} \sum_k \log p_k(x_n)\Big\rVert^2\Big].$$
#
# The penalty is a gradient, so its gradient in the weights is a second derivative: `torch.autograd.grad(..., create_graph=True)` keeps the graph of the first backward pass (double backprop, `helpers.rrr.explanation_penalty`). A short run, live, from scratch on fewer images than the shipped runs and for half their epochs (a size chosen on a training seed not shown here): the same images, seed and batches with $\lambda = 0$ and with the λ the shipped sweep uses.

# %% tags=["live"]
LIVE_N, LIVE_EPOCHS, LIVE_SEED = 2000, rrr.EPOCHS // 2, 5  # a training seed none of the shipped models used
LAM = max(entry["lam"] for entry in manifest.values() if entry["annotation"] == "random")  # the sweep's fixed λ
live_train = shortcut.generate_decoy(LIVE_N, seed=LIVE_SEED)
annotation = rrr.annotation_for(live_train, "decoy")
live = {lam: rrr.train_rrr(live_train, lam=lam, annotation=annotation, epochs=LIVE_EPOCHS, seed=LIVE_SEED, device=device)
        for lam in (0.0, LAM)}
for lam, result in live.items():
    print(f"λ = {lam:g}: cross-entropy per epoch", " ".join(f"{c:.3f}" for c in result.cross_entropy), "| penalty", " ".join(f"{p:.1g}" for p in result.penalty))
    ok = measure.correct(result.model, tests["swapped"])
    low, high = wilson_interval(int(ok.sum()), N_TEST)
    print(f"        accuracy on decoy-swapped images {ok.mean():.2f} (n={N_TEST}, 95% CI {low:.2f}-{high:.2f})")
cost = np.median(live[LAM].epoch_seconds[1:]) / np.median(live[0.0].epoch_seconds[1:])  # first epoch left out: warm-up
print(f"seconds per epoch: plain {np.median(live[0.0].epoch_seconds[1:]):.2f}, with the penalty {np.median(live[LAM].epoch_seconds[1:]):.2f} "
      f"(ratio {cost:.1f}, same run, device {device})")

# %%
# NBVAL_CHECK_OUTPUT
live_hits = {lam: measure.correct(result.model, tests["swapped"]) for lam, result in live.items()}
wins, losses = int((live_hits[LAM] & ~live_hits[0.0]).sum()), int((~live_hits[LAM] & live_hits[0.0]).sum())
chance = 1 / len(names)  # a model that ignores both the shape and the square
claim("on the decoy-swapped images the penalised run beats the plain run (paired exact sign test over the "
      f"{N_TEST} images, p < 0.01)", live_hits[LAM].mean() > live_hits[0.0].mean() and sign_test(wins, losses) < 0.01)
claim("on this seed the penalised run is above chance on the swapped images (the lower end of its 95% Wilson "
      "interval), so it reads the shape, not only less of the square; the plain run is below chance (its upper end)",
      wilson_interval(int(live_hits[LAM].sum()), N_TEST)[0] > chance > wilson_interval(int(live_hits[0.0].sum()), N_TEST)[1])
claim("the penalty costs more time per epoch than plain training (double backprop adds a backward pass through "
      "the backward pass)", cost > 1.0);

# %% [markdown]
# What you should see: on swapped images the plain run is below chance (it reads the square) and the penalised run well above it, at a higher cost per epoch. One seed shows the mechanism; the comparison over seeds and baselines is the shipped sweep below.

# %% [markdown]
# ## The λ sweep and its baselines · 8 min
#
# One change at a time, three seeds each: three values of λ on the decoy annotation, against five baselines: no decoy, squares of a **random colour** (they say nothing; unlike the no-decoy model, this one has seen squares), plain (λ = 0), and the fixed λ on a **random** square of the decoy's size (as much penalty, no information; it covers part of the object in some images, printed below) or on an **other corner**, free like the decoy's (the right kind of place, the wrong pixels). A richer annotation at the fixed λ, Ross et al.'s expert mask: every pixel **outside** the object, and the same with a thin **margin** around the object left free. Every run has the same recipe (printed below). First, did they converge? Each run scored held-out swapped images (not the test images) after every epoch, but under a step size that falls to zero every run ends flat; so the no-decoy and fixed-λ runs were also trained for **twice the epochs**.

# %%
LAMBDAS = sorted({entry["lam"] for name, entry in manifest.items() if name.startswith("lam")})
conditions = ["nodecoy", "randomcolour", "plain"] + [f"lam{lam:g}" for lam in LAMBDAS] + ["random", "othercorner", "outside", "outsidemargin"]
recipe = manifest["plain_s0"]
print(f"recipe: {recipe['n_train']} training images, {recipe['epochs']} epochs, batch {recipe['batch_size']}, Adam, "
      f"one-cycle step size up to {recipe['lr']:g}; held-out monitor: {recipe['monitor']['n']} swapped images")
for condition in conditions + ["budget0.1", "budget0.01"]:
    entries = [manifest[name] for name in runs_of(condition)]
    curve = np.mean([e["monitor_accuracy"] for e in entries], axis=0)
    print(f"{condition:>12}: monitor accuracy, epochs {len(curve) // 2} / {len(curve) * 3 // 4} / {len(curve)}: {np.round(curve[[len(curve) // 2 - 1, len(curve) * 3 // 4 - 1, -1]], 3)}; "
          f"training cross-entropy {np.mean([e['cross_entropy'][-1] for e in entries]):.3f}")
print(f"(a model that has learnt nothing has a cross-entropy of ln {len(names)} = {np.log(len(names)):.3f})")

fixed = f"lam{LAM:g}"
doubling = {}
for condition in ("nodecoy", fixed):
    doubling[condition] = [hits[f"{condition}_long_s{seed}"]["swapped"].mean() - hits[f"{condition}_s{seed}"]["swapped"].mean() for seed in SEEDS]
    print(f"{condition:>10}: swapped test accuracy, {manifest[f'{condition}_long_s0']['epochs']} minus {recipe['epochs']} epochs, "
          f"per seed {np.round(doubling[condition], 3)} (n={N_TEST} each)")

long_gap = measure.mean_interval(np.concatenate([hits[f"nodecoy_long_s{seed}"]["swapped"].astype(float) - hits[f"{fixed}_long_s{seed}"]["swapped"]
                                                 for seed in SEEDS]))
print(f"no-decoy minus λ = {LAM:g}, both trained twice as long, swapped images: {long_gap[0]:+.2f} (95% CI {long_gap[1]:+.2f} to {long_gap[2]:+.2f}, "
      f"n={N_TEST * len(SEEDS)} image-seed pairs)")

# %%
# NBVAL_CHECK_OUTPUT
claim(f"twice the epochs raises the penalised runs' swapped accuracy in every seed: at {recipe['epochs']} epochs they are "
      "still improving, so the numbers below understate the penalty", all(d > 0 for d in doubling[fixed]))
claim(f"trained twice as long, the penalty at λ = {LAM:g} is also within 5 points of the no-decoy model trained twice "
      "as long (the whole interval of the gap below 5 points)", long_gap[2] <= 0.05);

# %% [markdown]
# The sweep itself: decoy-swapped test accuracy with n and intervals, and the map's mass on the decoy.

# %%
train0 = shortcut.generate_decoy(manifest["random_s0"]["n_train"], seed=0)
covers = (rrr.annotation_for(train0, "random") & train0.masks).any(axis=(1, 2)).mean()
print(f"the random square covers part of the object in {covers:.0%} of seed 0's training images")
print(f"matched minus swapped accuracy, per seed: no decoy {np.round([hits[n]['class'].mean() - hits[n]['swapped'].mean() for n in runs_of('nodecoy')], 2)}, "
      f"λ = {LAM:g} {np.round([hits[n]['class'].mean() - hits[n]['swapped'].mean() for n in runs_of(fixed)], 2)}")


def top_probability(condition):
    """Mean over seeds and swapped test images of the model's largest softmax probability (1/6: no opinion at all)."""
    x = rrr.shortcut_input(tests["swapped"].images, device)
    with torch.no_grad():
        return np.mean([torch.softmax(models[name](x), 1).max(1).values.mean().item() for name in runs_of(condition)])


for condition in conditions:
    decoy_mass = share_row(condition, "decoy")
    print(accuracy_row(condition, "swapped"), f"| mass on decoy / area {decoy_mass[0]:.2f} (CI {decoy_mass[1]:.2f}-{decoy_mass[2]:.2f})"
          f" | top probability {top_probability(condition):.2f}")

# %%
swapped = {c: [hits[name]["swapped"].mean() for name in runs_of(c)] for c in conditions}
fig, ax = plt.subplots(figsize=(10.5, 6.5))
means = [np.mean(swapped[f"lam{lam:g}"]) for lam in LAMBDAS]
spread = np.array([[np.mean(swapped[f"lam{lam:g}"]) - min(swapped[f"lam{lam:g}"]), max(swapped[f"lam{lam:g}"]) - np.mean(swapped[f"lam{lam:g}"])] for lam in LAMBDAS]).T
ax.errorbar(LAMBDAS, means, yerr=spread, marker="o", capsize=4, label="penalty on the decoy (mean, seed range)")
baseline_lines = {"nodecoy": ("no decoy in training", "--", "gray"), "randomcolour": ("random-colour squares", "--", "black"), "plain": ("plain (λ = 0)", ":", "gray"),
                  "random": (f"random square, λ = {LAM:g}", "-.", "tab:red"), "othercorner": (f"other corner, λ = {LAM:g}", "-.", "tab:orange"),
                  "outside": (f"outside the object, λ = {LAM:g}", "-", "tab:green"), "outsidemargin": (f"outside, margin left free, λ = {LAM:g}", "--", "tab:green")}
for c, (label, style, colour) in baseline_lines.items():
    ax.axhline(np.mean(swapped[c]), linestyle=style, color=colour, label=label)
ax.set(xscale="log", xlabel="λ", ylabel="accuracy on decoy-swapped images", ylim=(0, 1))
ax.legend(fontsize=12, loc="center left", bbox_to_anchor=(1.01, 0.5))  # outside: eight lines fill the axes
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
per_seed_p = [sign_test(int((hits[a]["swapped"] & ~hits[b]["swapped"]).sum()), int((~hits[a]["swapped"] & hits[b]["swapped"]).sum()))
              for a, b in zip(runs_of(fixed), runs_of("plain"))]
claim(f"in every seed the penalty at λ = {LAM:g} beats plain training on the swapped images (paired sign test, p < 0.01 each)",
      all(p < 0.01 for p in per_seed_p) and np.mean(swapped[fixed]) > np.mean(swapped["plain"]))
claim("a random square annotated with the same λ recovers less than the decoy annotation in every seed",
      all(r < f for r, f in zip(swapped["random"], swapped[fixed])))
corner_counts = [(int((hits[a]["swapped"] & ~hits[b]["swapped"]).sum()), int((~hits[a]["swapped"] & hits[b]["swapped"]).sum()))
                 for a, b in zip(runs_of(fixed), runs_of("othercorner"))]
print("decoy's mask against the other corner, wins/losses per seed:", corner_counts,
      "p per seed:", [f"{sign_test(*c):.2g}" for c in corner_counts])
claim("pooled over the seeds, the decoy's own mask beats another free corner (paired sign test, p < 0.01); the per-seed "
      "tests are printed", sign_test(*np.sum(corner_counts, axis=0)) < 0.01)
largest = f"lam{max(LAMBDAS):g}"
too_much = np.sum([(int((hits[a]["swapped"] & ~hits[b]["swapped"]).sum()), int((~hits[a]["swapped"] & hits[b]["swapped"]).sum()))
                   for a, b in zip(runs_of(fixed), runs_of(largest))], axis=0)
claim(f"too much penalty costs accuracy: pooled over the seeds, λ = {LAM:g} beats λ = {max(LAMBDAS):g} on the swapped images "
      "(paired sign test, p < 0.01)", max(LAMBDAS) > LAM and sign_test(*too_much) < 0.01)
claim("the penalty moves the map's mass off the decoy (the intervals of the decoy mass do not overlap)",
      share_row(fixed, "decoy")[2] < share_row("plain", "decoy")[1])
falls = [hits[n]["class"].mean() - hits[n]["swapped"].mean() for n in runs_of(fixed)]
claim(f"the shortcut is gone at λ = {LAM:g}: in every seed the fall from decoy-matched to decoy-swapped images is "
      "under 5 points (the no-decoy model's fall is the reference: it never saw a square)", max(falls) < 0.05)
gaps = {}
for reference, annotated, what in (("nodecoy", fixed, "the decoy"), ("randomcolour", fixed, "the decoy"),
                                   ("nodecoy", "outside", "everything outside the object"), ("nodecoy", "outsidemargin", "outside, margin free")):
    paired_gap = np.concatenate([hits[a]["swapped"].astype(float) - hits[b]["swapped"]
                                 for a, b in zip(runs_of(reference), runs_of(annotated))])  # same images, seed by seed
    gaps[reference, annotated] = measure.mean_interval(paired_gap)
    print(f"{reference:>12} minus λ = {LAM:g} on {what:>30}, swapped images: {gaps[reference, annotated][0]:+.2f} "
          f"(95% CI {gaps[reference, annotated][1]:+.2f} to {gaps[reference, annotated][2]:+.2f}, n={paired_gap.size} image-seed pairs)")
claim("the penalty on the decoy recovers the swapped accuracy to within 5 points of the no-decoy model (the goal "
      "fixed before the sweep): the whole interval of the gap lies below 5 points", gaps["nodecoy", fixed][2] <= 0.05)
claim("a model trained on random-colour squares, which has seen squares that say nothing, is more accurate on swapped "
      "images than the penalised one (the whole interval of the gap above 0): the shortcut is gone, not all the accuracy came back",
      gaps["randomcolour", fixed][1] > 0)
claim("the expert's mask of everything outside the object recovers less than the decoy's own mask in every seed",
      all(o < f for o, f in zip(swapped["outside"], swapped[fixed])))
margin_p = [sign_test(int((hits[a]["swapped"] & ~hits[b]["swapped"]).sum()), int((~hits[a]["swapped"] & hits[b]["swapped"]).sum()))
            for a, b in zip(runs_of("outsidemargin"), runs_of("outside"))]
claim(f"leaving {rrr.OUTSIDE_MARGIN} px around the object unannotated recovers more than annotating everything outside "
      "it, in every seed (paired sign test, p < 0.01 each)",
      all(p < 0.01 for p in margin_p) and all(m > o for m, o in zip(swapped["outsidemargin"], swapped["outside"])));

# %% [markdown]
# What you should see: with the penalty, swapped accuracy jumps from plain training's to near the no-decoy model's, and the map's mass leaves the decoy; at the fixed λ the model is as accurate with the square swapped as matched. A random square does nothing; another free corner helps without ever marking the decoy: the penalty may need to know where squares can be more than where this one is. Both masks outside the object flatten the network (top probability near chance), and what is left still follows the square.

# %% [markdown]
# ## How much annotation? · 4 min
#
# Beyond the paper: the same λ, with the decoy annotated on all, 10% or 1% of the training images (the others unannotated; 0% is plain training).

# %%
BUDGETS = {1.0: fixed, 0.1: "budget0.1", 0.01: "budget0.01", 0.0: "plain"}
for budget, condition in BUDGETS.items():
    print(f"{budget:>5.0%} annotated:", accuracy_row(condition, "swapped").split(":", 1)[1])
fig, ax = plt.subplots(figsize=(10.5, 6.5))
xs = list(BUDGETS)
ax.errorbar([100 * b for b in xs], [np.mean([hits[n]["swapped"].mean() for n in runs_of(c)]) for c in BUDGETS.values()],
            yerr=np.array([[np.mean(v) - min(v), max(v) - np.mean(v)] for v in ([hits[n]["swapped"].mean() for n in runs_of(c)] for c in BUDGETS.values())]).T,
            marker="o", capsize=4, label=f"penalty on the decoy, λ = {LAM:g} (mean, seed range)")
ax.axhline(np.mean(swapped["nodecoy"]), linestyle="--", color="gray", label="no decoy in training")
ax.set(xscale="symlog", xlabel="annotated training images (%)", ylabel="accuracy on decoy-swapped images", ylim=(0, 1),
       xlim=(-0.3, 150), xticks=[0, 1, 10, 100], xticklabels=["0", "1", "10", "100"])
ax.legend(fontsize=12)
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
budget_acc = {b: np.mean([hits[n]["swapped"].mean() for n in runs_of(c)]) for b, c in BUDGETS.items()}
claim("more annotation, more recovery: the mean swapped accuracy does not fall as the budget grows (0% -> 1% -> 10% -> 100%)",
      budget_acc[0.0] <= budget_acc[0.01] <= budget_acc[0.1] <= budget_acc[1.0]);

# %% [markdown]
# What you should see: the swapped accuracy for each share of annotated images, between plain training (0%) and the full annotation. Below chance a partially annotated model is less wrong, not yet reading the shape.

# %% [markdown]
# ## Optional: how the runs trained · 3 min
#
# The shipped runs' training cross-entropy, penalty and held-out swapped accuracy per epoch (their training logs, `data/shortcut/models.json`): a penalised run trades some cross-entropy for a small penalty, and every curve flattens as the step size falls.

# %%
fig, axes = plt.subplots(1, 3, figsize=(16, 5))
for condition in ("nodecoy", "plain", *[f"lam{lam:g}" for lam in LAMBDAS], "random", "othercorner", "outside", "outsidemargin"):
    entry = manifest[f"{condition}_s0"]
    epochs = range(1, len(entry["cross_entropy"]) + 1)
    axes[0].plot(epochs, entry["cross_entropy"], label=condition)
    if entry["lam"] > 0:  # plain runs have no penalty
        axes[1].plot(epochs, np.maximum(entry["penalty"], 1e-9), label=condition)
    else:
        axes[1].plot([], [])  # keep each condition's colour the same in the three panels
    axes[2].plot(epochs, entry["monitor_accuracy"], label=condition)
axes[0].set(xlabel="epoch", ylabel="training cross-entropy", title="seed 0")
axes[1].set(xlabel="epoch", ylabel="penalty (batch mean)", yscale="log", title="seed 0, penalised runs")
axes[2].set(xlabel="epoch", ylabel="held-out swapped accuracy", title="seed 0", ylim=(0, 1))
fig.legend(*axes[0].get_legend_handles_labels(), fontsize=12, loc="lower center", ncol=5, bbox_to_anchor=(0.5, -0.12))
plt.show()

# %% [markdown]
# ## Exercises
#
# `model` is a `torch.nn.Module` in eval mode, `x` a float tensor of shape (N, C, H, W), `annotation` a bool tensor of shape (N, H, W) (True: a pixel that must not matter). Do not modify the inputs, create any new tensor on their device, and use `torch.autograd.grad` (not `.backward()`, which would write `.grad` on the weights). The checks run on the notebook's device and name the usual mistakes.
#
# **Exercise 1.** Write `input_gradient(model, x)`: the gradient of $\sum_k \log p_k$, summed over the batch, with respect to `x` (shape (N, C, H, W)), kept differentiable in the weights.

# %%
def input_gradient(model, x):
    # YOUR CODE HERE
    return None


# %%
from helpers.exercises import rrr as ex

print(ex.check_input_gradient(input_gradient, device=device))


# %% [markdown]
# **Exercise 2.** Write `rrr_penalty(model, x, annotation)`: the mean over the images of $\lVert A_n \odot \partial_{x_n} \sum_k \log p_k\rVert^2$, summed over channels and pixels, with the annotation applied to every colour channel. Return a 0-d tensor that training can differentiate.

# %%
def rrr_penalty(model, x, annotation):
    # YOUR CODE HERE
    return None


# %%
print(ex.check_rrr_penalty(rrr_penalty, device=device))

# %% [markdown]
# Worked solutions: `solutions/07_solutions.py`.

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
# - Held-out accuracy on data with the same shortcut rewards the shortcut; the saliency map shows it, and a test that breaks the shortcut confirms it.
# - Ross et al.'s loss puts the map into training: a penalty on the input gradient where an annotation says the reason must not be, trained by double backprop at a measured cost per epoch.
# - Whether it works is measured against baselines: no decoy, no penalty, and wrong annotations with as much penalty. A map moved off the decoy is not yet a model that ignores it: the swapped test decides, on runs trained long enough that twice the epochs gives the same comparison.
- A richer annotation is not automatically better: here Ross et al.'s "everything outside the object" fails at every λ tried on a tuning seed, and at the shipped λ it flattens the network, while the decoy's own mask removes the shortcut.

# %% [markdown]
# ## Going further
#
# **What the penalty cannot see.** The penalty is local: it asks the gradient to vanish on the annotated pixels, at the training images. A ReLU network can still respond to the decoy through which units switch on, with a flat gradient around the training images; a larger λ presses harder and costs accuracy on the shapes (the sweep's largest λ, a claim above). Ross et al. also iterate: train, look at the maps, annotate what the model still uses ("find another explanation").
#
# **Annotations.** Ross et al.'s expert mask, everything outside the object (`rrr.annotation_for(..., "outside_object")`), tells the model more than the decoy's mask, yet here it fails at every λ tried on a tuning seed (`benchmarks/train_shortcut_models.py` lists them): the network goes flat (its top probability near chance) and what is left still follows the square. One explanation, not tested here: a shape is seen through its edge, and the pixels just outside its mask are half of that edge. Leaving a thin margin free (`"outside_margin"`, its width tried once) helps, which fits it, but also lowers the total penalty.
#
# **Beyond input gradients.** Later work penalises other explanations in the loss: Grad-CAM maps (Selvaraju et al.), integrated gradients, or contextual decomposition (Rieger et al. 2020, "Interpretations are useful"). The cost and the locality trade-offs differ; the measurement protocol here (a known shortcut, a swapped test, baselines, seeds) applies to all of them.

# %% [markdown]
# ## References
#
# - K. Simonyan, A. Vedaldi, A. Zisserman. Deep Inside Convolutional Networks: Visualising Image Classification Models and Saliency Maps. 2013. [arXiv:1312.6034](https://arxiv.org/abs/1312.6034) (the future-work sentence is in its conclusion).
# - A. S. Ross, M. C. Hughes, F. Doshi-Velez. Right for the Right Reasons: Training Differentiable Models by Constraining their Explanations. IJCAI 2017. [arXiv:1703.03717](https://arxiv.org/abs/1703.03717)
# - H. Drucker, Y. LeCun. Improving generalization performance using double backpropagation. IEEE Transactions on Neural Networks, 1992.
# - L. Rieger, C. Singh, W. J. Murdoch, B. Yu. Interpretations are useful: penalizing explanations to align neural networks with prior knowledge. ICML 2020. [arXiv:1909.13584](https://arxiv.org/abs/1909.13584)
