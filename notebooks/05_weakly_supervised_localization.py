# %% [markdown]
# # 05 · Weakly supervised object localization with GraphCut, measured
#
# **Prerequisites:** notebook 02 (saliency maps, the 10-crop average, measuring maps against masks); the idea of a
# graph cut (an energy over pixel labels, minimised exactly for two labels).
#
# **Learning goals.** After this notebook you can
# 1. turn a class saliency map into a box as the paper does: seeds → colour models → graph cut → largest component;
# 2. map each step onto OpenCV's GrabCut, and say which choices are the paper's and which are GrabCut's;
# 3. score boxes by the ILSVRC criterion (IoU ≥ 0.5) against baselines, and find the real cause of a failure.
#
# **Time:** the main line is about 45 minutes (sections 1, 2, 5, 6 and the exercises, minutes in each heading);
# sections 3 and 4 are optional design studies for a second session or for reading.
#
# Sect. 3.2 of Simonyan, Vedaldi & Zisserman (2013) turns a class saliency map into a bounding box without ever
# training on boxes. Its reason for the graph cut: a saliency map may capture only the *most discriminative part* of
# an object, so thresholding it may not highlight the whole object; colour continuity propagates the thresholded map
# to the rest of the object. The saliency seeds colour models, a graph cut segments the image, and the box around the
# largest segment is the localization. The paper reports **46.4% top-5 localization error on the ILSVRC-2013 test set**
# and no other number for this step. Here we build the pipeline (`helpers.localize`), measure it where the truth is
# known exactly (1000 held-out toy images with exact boxes), then on real photos with annotated boxes.
#
# **From the paper:** seeds at the 95% / 30% saliency quantiles, GMM colour models, graph cut
# (Boykov & Jolly 2001), largest connected component, its box, the IoU ≥ 0.5 criterion.
# **Beyond the paper:** the toy-world and COCO measurements, the baselines, the comparison of seed mappings,
# the quantile sensitivity, GrabCut's re-estimation iterations (Rother et al. 2004), Grad-CAM boxes (Selvaraju et al.
# 2017) with the CAM protocol (Zhou et al. 2016).
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/saliency-course/deep-inside-convnets/blob/main/notebooks/05_weakly_supervised_localization.ipynb)

# %% tags=["photo"]
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

# %% tags=["photo"]
import dataclasses
import time

import cv2
import matplotlib.pyplot as plt
import numpy as np
import torch

from helpers import localization as loc, toyworld
from helpers.evaluation import boxes as box_eval
from helpers.claims import claim
from helpers.course.plotting import draw_box, overlay
from helpers.saliency import saliency_map

torch.manual_seed(0)
np.random.seed(0)
cv2.setNumThreads(1)
PAPER = dataclasses.asdict(loc.PAPER)   # the paper's settings: localize(image, saliency, **PAPER) == localize(image, saliency, loc.PAPER)
print("paper's pipeline:", PAPER)
toy = helpers.load_model("toy")
print("toy CNN on", toy.device, "| classes:", ", ".join(toy.categories))

# %% [markdown]
# ## 1 · The pipeline and how it maps onto OpenCV's GrabCut (8 min)
#
# Given an image $I$ and the saliency map $M$ of class $c$ ($M_{ij} = \max_{c'} |w_{h(i,j,c')}|$ with
# $w = \partial S_c/\partial I$, Eq. 4, notebook 02):
#
# 1. **Seeds** (paper): $F = \{p : M_p \ge q_{0.95}(M)\}$, $B = \{p : M_p \le q_{0.30}(M)\}$.
# 2. **Colour models** (paper): a Gaussian mixture $P(\cdot\mid\text{fg})$ fitted on the colours of $F$, another,
#    $P(\cdot\mid\text{bg})$, on $B$.
# 3. **Graph cut** (paper, Boykov & Jolly): the labelling $L$ minimising
#    $E(L) = \sum_p -\log P(I_p \mid L_p) \;+\; \gamma \sum_{p\sim q} [L_p \ne L_q]\, e^{-\beta \|I_p - I_q\|^2}$
#    (the paper names the method; this energy is GrabCut's form of it).
# 4. **Object** (paper): the largest 8-connected component of the foreground; its box is the localization.
#
# `cv2.grabCut` is exactly 2 + 3 (5-component GMMs, the energy above with $\gamma = 50$), plus optional
# re-estimation of the GMMs from the current labelling (GrabCut's iterations, beyond the paper). How `localize` drives it:
#
# * *Colour models from the seeds only* (`init="seeds"`, the paper): GrabCut run for 0 iterations only fits its GMMs,
#   so we hand it a $1\times K$ "image" of the seed pixels and read the two models back (you write this in exercise 2).
#   The first cut then uses these models frozen (`GC_EVAL_FREEZE_MODEL`); further iterations re-fit them (`GC_EVAL`).
#   With frozen models the start label of the unseeded pixels plays no role.
# * The alternative is OpenCV's own initialisation (`GC_INIT_WITH_MASK`), where every pixel must start as one of
#   `GC_BGD / GC_FGD / GC_PR_BGD / GC_PR_FGD` and the first GMMs are fitted on all pixels of each side: unseeded pixels
#   then join the background model (`init="probable_background"`) or the foreground one (`"probable_foreground"`).
# * *Hard or soft seeds*: `GC_FGD`/`GC_BGD` pixels can never change label. The paper says the seeds *estimate* the
#   colour models, not that they are fixed; `hard="none"` (default) lets the cut relabel them, `hard="both"` fixes them.
#
# Section 3 (optional) measures these choices. First, the steps on toy images, with the toy CNN's saliency for the true class;
# the printed shares say how much of each shape the seeds cover:

# %% tags=["gallery"]
show = toyworld.generate(3, seed=20_000)
x_show = toy.normalize(torch.from_numpy(show.images).permute(0, 3, 1, 2).float().div(255).to(toy.device))
sal_show = saliency_map(toy, x_show, torch.from_numpy(show.labels).to(toy.device)).cpu().numpy()
fig, axes = plt.subplots(3, 5, figsize=(5 * 2.6, 3 * 2.6))
for row, i in zip(axes, range(3)):
    r = loc.localize(show.images[i], sal_show[i], **PAPER)
    row[0].imshow(show.images[i]); row[1].imshow(sal_show[i], cmap="gray")
    row[2].imshow(r.seeds, cmap="coolwarm", vmin=-1, vmax=1); row[3].imshow(r.segmentation, cmap="gray"); row[4].imshow(show.images[i])
    titles = [show.class_names()[i], "saliency |dS_c/dI|", "seeds: red fg, blue bg", "graph-cut foreground", f"box, IoU {box_eval.iou(r.box, show.boxes[i]):.2f}"]
    for ax, t in zip(row, titles):
        ax.set_title(t); ax.axis("off")
    draw_box(row[4], show.boxes[i], color="lime"); draw_box(row[4], r.box, color="red")
    obj = show.masks[i]
    print(f"{show.class_names()[i]:>9}: of the shape's pixels {np.mean(r.seeds[obj] == 1):.0%} are foreground seeds, "
          f"{np.mean(r.seeds[obj] == -1):.0%} background seeds, {np.mean(r.seeds[obj] == 0):.0%} unseeded; "
          f"the cut labels {np.mean(r.segmentation[obj]):.0%} of them foreground")
fig.suptitle("green: true box, red: the paper's GraphCut box"); fig.tight_layout()

# %% [markdown]
# *What you should see:* the raw gradient is a diffuse, speckled cloud around the shape, not its silhouette. The 95%
# seeds (red) fall in a few blobs, some on the shape and some beside it; the 30% seeds (blue) lie in the background;
# most of the shape itself is unseeded (grey; the printed shares). Yet the cut labels most of the shape foreground:
# this is the paper's point, colour continuity spreads a partial, most-discriminative response over the whole object.
# Where a thin distractor stroke touches the shape, the stroke is kept too and stretches the box (the main cause of
# failure, measured in section 2). The seeds only *fit* the colour models: the object's colour dominates the
# foreground seeds, the background colours the background seeds, and the cut labels every pixel by colour and
# smoothness.
#
# ## 2 · The measurement: 1000 held-out toy images with exact boxes (10 min)
#
# Held-out seed 20 000 (the CNN trained on seed 0, validated on seed 10 000). Saliency for the **true** class, in
# batches of 250 (one backward pass each). Localizers, scored by the ILSVRC criterion (IoU ≥ 0.5) and mean IoU:
#
# * (a) **GraphCut, the paper's pipeline** as above, and (a') `localize`'s default settings, beyond the paper and
#   tuned on this toy world (unseeded pixels start as probable background, 5 GrabCut iterations, the map blurred,
#   GrabCut at most 224 px; section 3 shows why);
# * (b) **thresholded saliency**: the box around all pixels at or above the 95% saliency quantile (no colour, no cut);
# * (c) **centred box** covering the central 50% of each side (objects span 34–60% of the side), and the best
#   fraction chosen *on this test set* (an optimistic baseline); (d) the **full-image box**.

# %%
data = toyworld.generate(1000, seed=20_000)
t0 = time.perf_counter()
sal = np.concatenate([
    saliency_map(toy, toy.normalize(torch.from_numpy(data.images[s:s + 250]).permute(0, 3, 1, 2).float().div(255).to(toy.device)),
                 torch.from_numpy(data.labels[s:s + 250]).to(toy.device)).cpu().numpy()
    for s in range(0, len(data), 250)
])
t_sal = time.perf_counter() - t0
t0 = time.perf_counter()
boxes_gc = loc.localize_boxes(data.images, sal, on_error="full_image", **PAPER)
t_gc = time.perf_counter() - t0
boxes_default = loc.localize_boxes(data.images, sal, on_error="full_image")   # localize's default settings (toy-tuned)
boxes_thr = np.array([loc.threshold_box(s) for s in sal])
fractions = np.round(np.arange(0.30, 0.81, 0.05), 2)
centre = {f: box_eval.evaluate_boxes(np.array([loc.centred_box((64, 64), f)] * len(data)), data.boxes) for f in fractions}
best_f = max(centre, key=lambda f: centre[f]["accuracy"])
print(f"saliency {t_sal:.1f} s, GraphCut {t_gc:.1f} s for {len(data)} images ({1000 * t_gc / len(data):.0f} ms per image)")

# %%
rows = {
    "(a) GraphCut (paper pipeline)": box_eval.evaluate_boxes(boxes_gc, data.boxes),
    "(a') GraphCut, localize's default (beyond)": box_eval.evaluate_boxes(boxes_default, data.boxes),
    "(b) box around saliency >= q95": box_eval.evaluate_boxes(boxes_thr, data.boxes),
    "(c) centred box, 50% of the side": centre[0.5],
    f"(c') centred box, best {best_f:.2f} (tuned on test)": centre[best_f],
    "(d) full-image box": box_eval.evaluate_boxes(np.array([[0, 0, 64, 64]] * len(data)), data.boxes),
}
print(f"{'localizer':<46}{'accuracy (IoU>=0.5)':>20}{'mean IoU':>10}")
for name, r in rows.items():
    print(f"{name:<46}{100 * r['accuracy']:>19.0f}%{r['mean_iou']:>10.2f}")

# %%

# NBVAL_CHECK_OUTPUT
acc = {k[:4].strip(): v["accuracy"] for k, v in rows.items()}   # keys "(a)", "(a')", "(b)", "(c)", "(c')", "(d)"
claim("the paper's pipeline (a) beats every baseline (b, c, c', d) by more than 10 points",
      acc["(a)"] > max(acc["(b)"], acc["(c)"], acc["(c')"], acc["(d)"]) + 0.10)
claim("localize's toy-tuned defaults (a') beat the paper's settings (a) on these toy images", acc["(a')"] > acc["(a)"])
claim("the full-image box (d) reaches IoU 0.5 on no toy image", acc["(d)"] == 0.0);

# %% [markdown]
# *What you should see:* the paper's pipeline (a) localizes most toy objects and clearly beats every baseline (the
# checks above say whether this holds on your run): the full-image box (d) never reaches IoU 0.5 because the objects
# are small. `localize`'s default settings (a'), beyond the paper and tuned on this toy world, do better still. The
# thresholded box (b) is a fair competitor: the gradient does fire on the shape, but stray high-gradient pixels on
# distractor strokes and on the background stretch its box; the colour models and the cut remove most of them. The
# centred box (c) shows what knowing only the typical object size and position is worth.
#
# ### Where the paper's pipeline fails, and why
#
# For every failure we ask: did the cut find the object (how much of the object is inside the kept component), and
# what else did the component keep (thin lines, or whole regions)?

# %%
ious_gc = box_eval.box_ious(boxes_gc, data.boxes)
failures = np.flatnonzero(ious_gc < 0.5)
kernel = np.ones((3, 3), np.uint8)
recall, thin_excess, fg_on_object = [], [], []
for i in failures:
    r = loc.localize(data.images[i], sal[i], **PAPER)
    obj = data.masks[i]
    recall.append((r.mask & obj).sum() / obj.sum())                       # share of the object inside the kept component
    excess = r.mask & ~cv2.dilate(obj.astype(np.uint8), kernel).astype(bool)   # kept pixels away from the object
    opened = cv2.morphologyEx(excess.astype(np.uint8), cv2.MORPH_OPEN, kernel)  # what is left once 1-2 px wide lines are removed
    thin_excess.append(opened.sum() < 0.3 * max(excess.sum(), 1))
    fg_on_object.append(obj[r.seeds == 1].mean())
recall, thin_excess = np.array(recall), np.array(thin_excess)

# %%
print(f"{len(failures)} failures (IoU < 0.5) of the paper's pipeline among {len(data)} toy images")
print(f"  object found: the kept component covers >= 90% of the object in {np.sum(recall >= 0.9)} of them")
print(f"  the box is stretched by thin strokes joined to the object: {thin_excess.sum()}; by background regions: {(~thin_excess).sum()}")
print(f"  foreground seeds lying on the object: {np.median(fg_on_object):.0%} (median over the failures)")

# %%

# NBVAL_CHECK_OUTPUT
claim("in at least 90% of the failures the kept component covers >= 90% of the object (the object is found)",
      np.mean(recall >= 0.9) >= 0.9)
claim("thin strokes stretch the box more often than background regions", thin_excess.sum() > (~thin_excess).sum())
claim("in the median failure, fewer than half of the foreground seeds lie on the object", np.median(fg_on_object) < 0.5);

# %%
worst = failures[np.argsort(ious_gc[failures])][:4]
fig, axes = plt.subplots(len(worst), 4, figsize=(4 * 2.8, len(worst) * 2.8))
for row, i in zip(axes, worst):
    r = loc.localize(data.images[i], sal[i], **PAPER)
    row[0].imshow(data.images[i]); draw_box(row[0], data.boxes[i], color="lime"); draw_box(row[0], r.box, color="red")
    row[1].imshow(r.seeds, cmap="coolwarm", vmin=-1, vmax=1)
    row[2].imshow(r.segmentation, cmap="gray"); row[3].imshow(r.mask, cmap="gray")
    for ax in row[1:]:
        ax.contour(data.masks[i], levels=[0.5], colors="lime", linewidths=1.5)
    for ax, t in zip(row, [f"{data.class_names()[i]}, IoU {ious_gc[i]:.2f}", "seeds (red fg, blue bg)", "graph-cut foreground", "largest component"]):
        ax.set_title(t); ax.axis("off")
fig.suptitle("the worst cases: green = the true object, red = the paper's box"); fig.tight_layout()

# %% [markdown]
# *What you should see:* in every row the object is found whole (white inside the green outline), and the red box is
# too large because the **largest component holds more than the object**. It is not a colour confusion between the
# object and the background: the toy generator keeps every object's colour away from its background's colours, and
# the counts above agree (the kept component covers nearly all of the object in nearly every failure). Two things get
# joined to the object instead:
#
# * **thin distractor strokes** that cross or touch the shape (the most common case, see the counts): the gradient is
#   high at every edge, strokes included, so some foreground seeds (red) lie on strokes and the foreground colour
#   model learns their colours; the cut keeps the strokes, and where one touches the shape the component, and its box,
#   runs along it;
# * **a region of the background gradient** next to the shape: foreground seeds on the background beside the object
#   (red pixels off the green outline) give the foreground model a background colour, and the cut takes the whole
#   region of that colour.
#
# The seed map shows both causes: in a typical failure most foreground seeds lie off the object (the printed median).
# Higher foreground quantiles put more of them on the object (section 4).

# %% [markdown]
# ## 3 · Optional (10 min): which mapping onto GrabCut? Measured
#
# *Optional design study, beyond the paper; skip it in a 45-minute session.* On the first 200 of the images above:
# seed-fitted colour models vs OpenCV's initialisation with the unseeded pixels as probable background / foreground,
# hard vs soft seeds, one cut (the paper) vs 5 GrabCut iterations.

# %%
sub = slice(0, 200)
variants = [
    ("seeds", "none", 1), ("seeds", "none", 5), ("seeds", "both", 5),
    ("probable_background", "none", 5), ("probable_background", "both", 5),
    ("probable_foreground", "none", 5), ("probable_foreground", "both", 5),
]
variant_acc = {}
print(f"{'colour models fitted on':<40}{'hard seeds':>11}{'iters':>6}{'accuracy':>10}{'mean IoU':>10}")
for init, hard, iters in variants:
    b = loc.localize_boxes(data.images[sub], sal[sub], on_error="full_image", **{**PAPER, "init": init, "hard": hard, "iterations": iters})
    r = box_eval.evaluate_boxes(b, data.boxes[sub])
    variant_acc[init, hard, iters] = r["accuracy"]
    label = {"seeds": "seeds only (paper)", "probable_background": "seeds + unseeded as background",
             "probable_foreground": "seeds + unseeded as foreground"}[init]
    print(f"{label:<40}{hard:>11}{iters:>6}{100 * r['accuracy']:>9.0f}%{r['mean_iou']:>10.2f}")

# %%

# NBVAL_CHECK_OUTPUT
v = variant_acc
claim("with seed-fitted colour models, soft seeds beat hard ones", v["seeds", "none", 5] > v["seeds", "both", 5])
claim("with the probable-background start, soft seeds beat hard ones", v["probable_background", "none", 5] > v["probable_background", "both", 5])
claim("with the probable-foreground start, hard seeds beat soft ones", v["probable_foreground", "both", 5] > v["probable_foreground", "none", 5])
claim("with soft seeds, the probable-background start beats the probable-foreground start",
      v["probable_background", "none", 5] > v["probable_foreground", "none", 5])
claim("with soft seeds, the probable-background start beats the paper's seed-fitted models (5 iterations each)",
      v["probable_background", "none", 5] > v["seeds", "none", 5])
claim("one cut and 5 iterations of the paper's mapping lie within 5 points", abs(v["seeds", "none", 1] - v["seeds", "none", 5]) <= 0.05);

# %% [markdown]
# *What you should see* (the checks above say which of these hold on your run): whether hard seeds hurt depends on the
# start. With seed-fitted models and with the probable-background start, soft seeds win clearly; with the
# probable-foreground start it is the reverse, because there the hard background seeds are the only thing that keeps
# background colours out of the object.
#
# * **Hard seeds** (`GC_BGD` / `GC_FGD`): background seeds can sit inside the shape's flat interior and, fixed, punch
#   holes the cut cannot close; foreground seeds beside the edge force background pixels into the object. Soft seeds
#   (`hard="none"`) only shape the colour models. The paper says the seeds *estimate* the colour models; it does not
#   discuss fixing them.
# * **Unseeded pixels**: with the paper's seed-fitted models their start label is irrelevant. With OpenCV's own
#   initialisation, *probable background* is the better start here: most unseeded pixels are background (the object
#   covers ~10–25% of a toy image), so they make the background model richer, whereas as *probable foreground* they
#   pour background colours into the object model.
# * One cut or five iterations: close here; the iterations are GrabCut's addition.

# %% [markdown]
# ## 4 · Optional (5 min): sensitivity to the two quantiles
#
# *Optional, beyond the paper.* Accuracy on 200 toy images as the foreground and background quantiles vary (the
# paper's pipeline otherwise):

# %%
fg_qs, bg_qs = [0.80, 0.90, 0.95, 0.99], [0.10, 0.30, 0.50]
grid = np.zeros((len(fg_qs), len(bg_qs)))
for a, fq in enumerate(fg_qs):
    for b_, bq in enumerate(bg_qs):
        boxes = loc.localize_boxes(data.images[sub], sal[sub], on_error="full_image", **{**PAPER, "fg_quantile": fq, "bg_quantile": bq})
        grid[a, b_] = box_eval.evaluate_boxes(boxes, data.boxes[sub])["accuracy"]
fig, ax = plt.subplots(figsize=(5.6, 4.4))
im = ax.imshow(100 * grid, cmap="viridis", vmin=0, vmax=100)
ax.set_xticks(range(len(bg_qs)), [f"{q:.0%}" for q in bg_qs]); ax.set_yticks(range(len(fg_qs)), [f"{q:.0%}" for q in fg_qs])
ax.set_xlabel("background quantile"); ax.set_ylabel("foreground quantile")
for a in range(len(fg_qs)):
    for b_ in range(len(bg_qs)):
        ax.text(b_, a, f"{100 * grid[a, b_]:.0f}", ha="center", va="center", color="w" if grid[a, b_] < 0.6 else "k")
fig.colorbar(im, ax=ax, label="accuracy (%)"); ax.set_title("GraphCut accuracy, 200 toy images"); fig.tight_layout()

# %%
print("accuracy (%), rows: foreground quantile, columns: background quantile")
print("        " + "".join(f"{q:>7.0%}" for q in bg_qs))
for fq, row in zip(fg_qs, grid):
    print(f"{fq:>7.0%} " + "".join(f"{100 * v:>7.0f}" for v in row))

# %%

# NBVAL_CHECK_OUTPUT
claim("the 99% foreground quantile beats 80% at every background quantile", bool(np.all(grid[3] > grid[0])))
claim("at the paper's 95% foreground quantile, accuracy rises with the background quantile (10% < 30% < 50%)",
      bool(grid[2, 0] < grid[2, 1] < grid[2, 2]));

# %% [markdown]
# *What you should see:* accuracy rises from the top-left corner (80% / 10%) towards the bottom row (99%): the
# foreground quantile matters most (the checks above). At 80% the foreground seeds spill over the shape's edge into
# the background and the object model absorbs background colours. Going *higher* than the paper helps in the toy
# world: the top 1% of the gradient lies mostly on the shape, and a few dozen pixels suffice for the colour model of a
# one-colour shape. At the paper's 95%, a higher background quantile (a richer background model) helps too. The paper
# states 95% and 30% without saying how they were chosen; on this toy world they are a safe middle, not the optimum.
# Real objects are not one colour, so do not carry the toy optimum over to photos without measuring there.

# %% [markdown]
# ## 5 · Real photos: the paper's pipeline and a Grad-CAM box (10 min)
#
# The toy world has exact boxes but one-colour shapes. On photos we measured, by hand and once, on COCO photos with
# one dominant object an ImageNet class names (`benchmarks/photo_protocol.md`): 44 photos split by a fixed seed into a
# **tune** half and a **report** half, written down before any measurement. Every choice beyond the paper was made on
# the tune half only; the numbers below are from the **report** half, photos the choice was not made on. A hit is
# IoU ≥ 0.5 with the dominant object's box. Two pipelines matter:
#
# * the **paper's pipeline** exactly: the 10-crop gradient map and `localize(..., PAPER)` at the photo's size
#   (`helpers.photos.localize_photo_paper`);
# * **`helpers.localize_photo`**, beyond the paper and the course's recommendation for photos: Grad-CAM of the class
#   (Selvaraju et al. 2017; the last convolutional block's activations weighted by their mean gradient, notebook 06)
#   on the whole photo, upsampled to the photo, then the CAM protocol of Zhou et al. (2016): keep the pixels ≥ 20% of
#   the map's maximum and box the largest connected component. No colour model, no cut: one forward and one backward
#   pass. It won on the tune half among nine candidates (GraphCut variants on SmoothGrad and Grad-CAM maps included).
#
# The benchmark ran EfficientNet-Lite0 on one CPU thread; it is stored in the package, so the table below is the same
# on every run:

# %% tags=["photo"]
# NBVAL_CHECK_OUTPUT
from helpers.evaluation import photo_localization as photo_eval

benchmark = photo_eval.photo_benchmark()["localization"]
print(photo_eval.benchmark_table("report"))
report, tune = benchmark["report"], benchmark["tune"]["localizers"]
print(f"mean box area (share of the frame): localize_photo {report['localizers']['cam20']['mean_box_area']:.2f}, "
      f"the paper's pipeline {report['localizers']['paper_full']['mean_box_area']:.2f}, true boxes {report['mean_true_box_area']:.2f}")
print(f"tune half, where the choice was made: localize_photo {tune['cam20']['all']['hits']}/{tune['cam20']['all']['n']}, "
      f"the paper's pipeline {tune['paper_full']['all']['hits']}/{tune['paper_full']['all']['n']}")

# %% [markdown]
# *What you should see:* on the report half `localize_photo` hits more photos than the paper's pipeline, but read the
# paired column and the intervals before concluding: the two differ on only a handful of photos, the sign test is not
# significant at this n, and the intervals overlap widely. On these photos, whose objects are mostly large, the
# paper's pipeline does no better than the full-image box; on the small objects the counts are too few to separate
# anything. So: a cheap Grad-CAM box is at least as good as the paper's pipeline here, at a fraction of the cost; a
# real difference would need many more photos.
#
# Now both pipelines, live, on four photos the choice was not made on: two report-half photos whose licence lets us
# ship them, and two of the course's photos. They were picked on a Lite0 run so that successes and failures are
# mixed roughly as on the report half: photos both pipelines box, one only Grad-CAM boxes, one both miss; no photo
# was left out for flattering the paper's pipeline or ours. Your model may differ (with VGG16 on Colab, its
# max-pooling and ReLU give the 10-crop map less speckle than Lite0's ReLU6).

# %% tags=["photo"]
PHOTO_MODEL = helpers.best_photo_model()   # VGG16 when its weights can be had, else the offline EfficientNet-Lite0
cases = photo_eval.benchmark_photo_cases(PHOTO_MODEL) + photo_eval.photo_cases(PHOTO_MODEL, ["grace_hopper", "coco_309"])
live = []
t0 = time.perf_counter()
for case in cases:
    try:
        paper = helpers.localize_photo_paper(PHOTO_MODEL, case.image, case.target)
        paper_box = paper.box
    except loc.LocalizationError:   # too few seeds: the benchmark boxes the whole image
        paper_box = (0, 0, case.image.shape[1], case.image.shape[0])
    cam = helpers.localize_photo(PHOTO_MODEL, case.image, case.target)
    ious = [max(box_eval.iou(b, t) for t in case.boxes) for b in (paper_box, cam.box)]
    live.append((case, paper_box, cam.box, ious))
    print(f"{case.name:>12} ({PHOTO_MODEL.categories[case.target]}, object {case.area_fraction:.0%} of the frame): "
          f"IoU paper's pipeline {ious[0]:.2f}, localize_photo {ious[1]:.2f}")
print(f"{PHOTO_MODEL.name}: {len(cases)} photos, both pipelines, {time.perf_counter() - t0:.0f} s")

# %% tags=["photo"]
fig, axes = plt.subplots(1, len(live), figsize=(4.2 * len(live), 4.6))
for ax, (case, paper_box, cam_box, ious) in zip(axes, live):
    ax.imshow(case.image)
    for t in case.boxes:
        draw_box(ax, t, color="lime", lw=5)
    draw_box(ax, paper_box, color="magenta", lw=4)
    draw_box(ax, cam_box, color="yellow", lw=4)
    ax.set_title(f"{PHOTO_MODEL.categories[case.target]}\npaper IoU {ious[0]:.2f} | Grad-CAM IoU {ious[1]:.2f}", fontsize=13)
    ax.axis("off")
fig.suptitle("green: true box   magenta: the paper's pipeline   yellow: localize_photo (Grad-CAM, CAM protocol)", fontsize=14)
fig.tight_layout()

# %% tags=["photo"]
# NBVAL_CHECK_OUTPUT
hits = np.array([[iou >= 0.5 for iou in ious] for *_, ious in live])
claim(f"on these {len(live)} photos localize_photo hits at least as many objects as the paper's pipeline", hits[:, 1].sum() >= hits[:, 0].sum())
claim("both pipelines miss the photo of several teddy bears side by side (coco_309)", not hits[[c.name for c, *_ in live].index("coco_309")].any());

# %% [markdown]
# *What you should see:* the Grad-CAM box (yellow) follows the object's extent, coarsely: the map is computed on a grid
# of about 7 cells on the photo's shorter side (Lite0; 14 for VGG16) and upsampled, so its boxes run large (the mean
# box areas printed with the table), and on a large object it is often close to the whole frame. The paper's box
# (magenta) depends on where the 10-crop gradient puts its top 5%: on Lite0 that map is speckled, and scattered seeds
# give colour models that grab a background region or only part of the object (compare the moped). The teddy-bear
# photo shows a failure both share: several instances side by side are boxed as one group, which matches none of
# the true boxes. The printed IoUs and the checks are this run's; the table before them is the measurement, and
# with four photos this gallery illustrates it, it does not measure anything.

# %% [markdown]
# ## 6 · The paper's number and what differs (5 min)
#
# | | paper (ILSVRC-2013 test set) | here (toy world) |
# |---|---|---|
# | classifier | one 8-weight-layer ConvNet trained by the authors (top-5 error 17.7%), close to AlexNet / Zeiler–Fergus; top-5 classes guessed | toy CNN (99.75% on its held-out set), the true class |
# | saliency | $\max_{c'} |\partial S_c/\partial I|$ (Eq. 4) | one pass, same formula |
# | colour models + cut | GMM + GraphCut (Boykov & Jolly) | OpenCV GrabCut, seed-fitted GMMs |
# | score | **46.4% top-5 localization error** | error = 100% − accuracy of (a) |
# | truth | hand-drawn boxes, several objects | exact boxes, one object |
#
# Top-5 error counts an image wrong unless one of the 5 guessed classes is right **and** its box has IoU ≥ 0.5;
# with a near-perfect classifier, our error is just 1 − accuracy.
#
# **The 46.4% in context** (top-5 localization error, lower is better):
#
# | result | error | supervision |
# |---|---|---|
# | this paper, ILSVRC-2013 test (Simonyan et al. 2013, Sect. 3.2) | 46.4% | weak: class labels only, no boxes in training |
# | ILSVRC-2013 winner, OverFeat (Sermanet et al. 2014) | 29.9% | full: a box regressor trained on the boxes |
# | the authors' own ILSVRC-2012 entry (the VGG team; deformable part models + Fisher vectors) | 50.0% | full |
# | Grad-CAM with VGG16, ILSVRC-15 validation set, 15%-of-max CAM protocol (Selvaraju et al. 2017, Table 1) | 46.41% | weak |
#
# The paper itself makes the first three comparisons: a weakly supervised method, never trained for localization,
# beat the authors' fully supervised entry of the previous year but stayed far behind the supervised winner. The
# Grad-CAM row uses another network (VGG16) and another test set, so it is context, not a head-to-head result.
#
# To measure a model on ImageNet yourself (validation images + their PASCAL-VOC XML boxes), use the command below; it
# boxes each correctly guessed class with `helpers.localize_photo` (the Grad-CAM recipe, not the paper's GraphCut) and
# batches on the GPU when there is one:
#
# ```bash
# python -m helpers.evaluation.ilsvrc evaluate --images val/ --boxes val_xml/ --model vgg16 --synsets LOC_synset_mapping.txt
# ```
#
# ## Exercises (12 min, or as homework): build the paper's pipeline yourself
#
# **1 · Seeds.** Write `seeds(saliency, fg_quantile, bg_quantile)`: `saliency` is a float `(H, W)` array, the quantiles
# are fractions (`0.95`, `0.30`, not percents); return an integer `(H, W)` map: `+1` where the saliency is at or above
# (`>=`) its `fg_quantile` quantile, `-1` where it is at or below (`<=`) its `bg_quantile` quantile, `0` elsewhere.
# The check includes maps with ties at the quantiles, where `>` and `>=` differ.

# %%
from helpers.exercises import localization as ex


def seeds(saliency, fg_quantile, bg_quantile):
    # Your code here: use np.quantile.
    return None


# %%
print(ex.check_seeds(seeds))


# %% [markdown]
# **2 · Colour models from the seeds only.** Write `seed_colour_models(image, seeds)` returning
# `(bgd_model, fgd_model)`, GrabCut's two 5-component colour GMMs (float64 arrays of shape `(1, 65)`) fitted on the
# seed pixels **only**, as the paper says. Trick: `cv2.grabCut` with `iterCount=0` and `mode=cv2.GC_INIT_WITH_MASK`
# only fits its models; give it a `1 × K` "image" of the foreground then background seed colours
# (`image[seeds == 1]`, `image[seeds == -1]`) with the mask `cv2.GC_FGD` / `cv2.GC_BGD`. `image` is a uint8
# `(H, W, 3)` array, `seeds` your `(H, W)` seed map. The unseeded pixels play no part: the check includes scenes
# whose unseeded pixels have colours that no seed has, where models fitted on the whole image (unseeded pixels marked
# probable background or foreground) give another cut.

# %%
def seed_colour_models(image, seeds):
    # Your code here.
    return None


# %%
print(ex.check_seed_colour_models(seed_colour_models))


# %% [markdown]
# **3 · Cut and box.** Write `cut_and_box(image, seeds, bgd_model, fgd_model)`: one graph cut with the colour models
# frozen (`cv2.grabCut(image, mask, None, bgd_model, fgd_model, 1, cv2.GC_EVAL_FREEZE_MODEL)`), where the mask marks
# foreground seeds `cv2.GC_PR_FGD` and every other pixel `cv2.GC_PR_BGD` (soft: the cut may relabel them); the
# foreground is `GC_FGD` or `GC_PR_FGD` after the cut; return the box `(x0, y0, x1, y1)` (x1, y1 exclusive) of its
# largest 8-connected component (`cv2.connectedComponentsWithStats`, label 0 is the background).

# %%
def cut_and_box(image, seeds, bgd_model, fgd_model):
    # Your code here.
    return None


# %%
print(ex.check_cut_and_box(cut_and_box))


# %% [markdown]
# Once the three pass, your pipeline is the paper's: run it on the toy images of section 2 and compare with
# `helpers.localize` (one cut with seed-fitted models). GrabCut starts its colour models with k-means, which draws
# from OpenCV's random generator; `helpers.localize` seeds it with `cv2.setRNGSeed(0)` before every cut, so your
# pipeline must seed it too (as `my_localize` below does) to give identical boxes: unseeded, most boxes still agree,
# but not all. Solutions: `solutions/05_solutions.py`.

# %%
def my_localize(image, saliency):
    cv2.setRNGSeed(0)  # as helpers.localize does: GrabCut's k-means draws from OpenCV's generator
    s = seeds(saliency, 0.95, 0.30)
    return cut_and_box(image, s, *seed_colour_models(image, s))

try:
    mine = np.array([my_localize(data.images[i], sal[i]) for i in range(50)])
    print(f"your pipeline on 50 toy images: accuracy {100 * box_eval.evaluate_boxes(mine, data.boxes[:50])['accuracy']:.0f}%; "
          f"same box as the paper's pipeline on {np.sum(np.all(mine == boxes_gc[:50], axis=1))} of 50")
except Exception as err:  # until the exercises are solved
    print(f"Solve exercises 1-3 first ({type(err).__name__}).")

# %% [markdown]
# ## Check your understanding

# %%
ex.Q1

# %%
print(ex.Q1.check("?"))   # your answer: "a", "b" or "c"

# %%
ex.Q2

# %%
print(ex.Q2.check(None))   # your answer: the IoU, a fraction (a number, or a string like "1/4")

# %%
ex.Q3

# %%
print(ex.Q3.check("?"))   # your answer: "a", "b" or "c"

# %% [markdown]
# ## Takeaways
#
# 1. The paper's localization (Sect. 3.2) needs no box at training time: saliency quantiles seed two colour models,
#    a graph cut labels every pixel, and the largest component gives the box. Its reason: saliency finds the most
#    discriminative part, colour continuity spreads it to the whole object.
# 2. The seeds are noisy (raw gradients fire on every edge and beside the object), so they should only *estimate* the
#    colour models; whether fixing them as labels hurts depends on how GrabCut starts (section 3).
# 3. On the toy world the paper's pipeline beats every baseline clearly; its failures come from what the largest
#    component joins to the object (strokes, background regions), not from missing the object.
# 4. On real photos measured on a report half not used for any choice, a Grad-CAM box with the CAM protocol hits at
#    least as many objects as the paper's pipeline at a fraction of the cost; with 22 photos the difference is not
#    significant, and on large objects neither beats the full-image box by much.
# 5. What wins on a toy world need not win on photos: measure every design choice on the data you care about, on
#    photos the choice was not made on, with intervals.
#
# **References.** K. Simonyan, A. Vedaldi, A. Zisserman, *Deep Inside Convolutional Networks*, arXiv:1312.6034 (2013).
# Y. Boykov, M.-P. Jolly, *Interactive graph cuts*, ICCV 2001. C. Rother, V. Kolmogorov, A. Blake, *GrabCut*, SIGGRAPH
# 2004. P. Sermanet et al., *OverFeat*, ICLR 2014 (arXiv:1312.6229). B. Zhou et al., *Learning Deep Features for
# Discriminative Localization* (CAM), CVPR 2016. R. R. Selvaraju et al., *Grad-CAM*, ICCV 2017 (arXiv:1610.02391).
