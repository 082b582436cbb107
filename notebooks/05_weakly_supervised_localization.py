# %% [markdown]
# # 05 · Weakly supervised object localization with GraphCut, measured
#
# **Prerequisites:** notebook 02 (saliency maps, measuring maps against masks); the idea of a graph cut.
#
# **Learning goals.** You can
# 1. turn a class saliency map into a box as the paper does: seeds → colour models → graph cut → largest component;
# 2. score boxes by the ILSVRC criterion (IoU ≥ 0.5) against trivial and no-network rules;
# 3. find a failure's real cause, and when saliency is what finds the object.
#
# **Time.** Main line: 35 min (the section headings' minutes add up to it); optional sections: 15 min.
#
# **One-session plan (20 min):** show section 1, the toy table of section 2, the table of section 3 and the photo
# table of section 4; run live the toy pipeline (tagged `live`); skip the failure analysis, the photo gallery,
# section 5, the optional sections and the exercises (homework).
#
# **Two-session plan (35 min):** show the whole main line; run live the toy pipeline; skip the optional sections
# (second session or reading) and "Going further".
#
# Sect. 3.2 of Simonyan et al. (2013) turns a class saliency map into a box without training on boxes; it reports
# **46.4% top-5 localization error on ILSVRC-2013**. We build it (`helpers.localize`) and measure it on toy images with
# exact boxes, then on photos.
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
from helpers.runtime import parallel_map
from helpers.saliency import saliency_map

torch.manual_seed(0)
np.random.seed(0)
cv2.setNumThreads(1)
PAPER = dataclasses.asdict(loc.PAPER)   # the paper's settings: localize(image, saliency, **PAPER) == localize(image, saliency, loc.PAPER)
print("paper's pipeline:", PAPER)
toy = helpers.load_model("toy")
print("toy CNN on", toy.device, "| classes:", ", ".join(toy.categories))

# %% [markdown]
# ## 1 · The pipeline · 7 min
#
# The paper's reason for the cut: a saliency map may capture only the *most discriminative part* of an object;
# colour continuity propagates it to the rest. Given an image $I$ and the saliency map $M$ of class $c$ (Eq. 4,
# notebook 02):
#
# 1. **Seeds**: $F = \{p : M_p \ge q_{0.95}(M)\}$, $B = \{p : M_p \le q_{0.30}(M)\}$.
# 2. **Colour models**: a Gaussian mixture fitted on the colours of $F$, another on $B$.
# 3. **Graph cut** (Boykov & Jolly): the labelling $L$ minimising
#    $E(L) = \sum_p -\log P(I_p \mid L_p) \;+\; \gamma \sum_{p\sim q} [L_p \ne L_q]\, e^{-\beta \|I_p - I_q\|^2}$
#    (GrabCut's form of it).
# 4. **Object**: the largest 8-connected foreground component; its box is the localization.
#
# `cv2.grabCut` does 2 + 3 ("Going further" says how). The steps on three toy images, saliency for the true class:

# %% tags=["gallery", "live"]
show = toyworld.generate(3, seed=20_000)
x_show = toy.normalize(torch.from_numpy(show.images).permute(0, 3, 1, 2).float().div(255).to(toy.device))
sal_show = saliency_map(toy, x_show, torch.from_numpy(show.labels).to(toy.device)).cpu().numpy()
fig, axes = plt.subplots(3, 3, figsize=(3 * 4.0, 3 * 4.0))
for row, i in zip(axes, range(3)):
    r = loc.localize(show.images[i], sal_show[i], **PAPER)
    row[0].imshow(sal_show[i], cmap="gray"); row[1].imshow(r.seeds, cmap="coolwarm", vmin=-1, vmax=1); row[2].imshow(show.images[i])
    row[2].contour(r.segmentation, levels=[0.5], colors="white", linewidths=1)
    titles = [f"{show.class_names()[i]}: saliency", "seeds: red fg, blue bg", f"cut (white), box IoU {box_eval.iou(r.box, show.boxes[i]):.2f}"]
    for ax, t in zip(row, titles):
        ax.set_title(t); ax.axis("off")
    draw_box(row[2], r.box, color="red", lw=3); row[2].patches[-1].set_linestyle("--")   # the paper's box, dashed
    draw_box(row[2], show.boxes[i], color="lime", lw=1.5)                                  # the truth, drawn last
    obj = show.masks[i]
    print(f"{show.class_names()[i]:>9}: of the shape's pixels {np.mean(r.seeds[obj] == 1):.0%} are foreground seeds, "
          f"{np.mean(r.seeds[obj] == -1):.0%} background seeds, {np.mean(r.seeds[obj] == 0):.0%} unseeded; "
          f"the cut labels {np.mean(r.segmentation[obj]):.0%} of them foreground")
fig.suptitle("green: true box   red dashed: the paper's pipeline"); fig.tight_layout()

# %% [markdown]
# *What you should see:* the gradient is a speckled cloud around the shape; the foreground seeds (red) fall in a few
# blobs, some on the shape, some beside it, and most of the shape is unseeded (printed shares). The cut still labels
# most of the shape foreground, because the seeds only fit the colour models and the cut labels pixels by colour.
#
# ## 2 · The measurement: 1000 held-out toy images · 8 min
#
# Held-out seed 20 000; saliency for the **true** class; the ILSVRC criterion (IoU ≥ 0.5), with 95% intervals:
#
# * (a) **the paper's pipeline**; (a') `localize`'s default settings, beyond the paper and **tuned on these same
#   images** (so optimistic);
# * (b) **thresholded saliency**: the box around the pixels at or above the 95% saliency quantile, (b') at the best
#   quantile **chosen on these images**;
# * (c) a **centred box** (50% of each side), (c') the best fraction **chosen on these images**; (d) the **full image**;
# * **no network at all**: (e) GrabCut started from a rectangle 4 px inside the border, (f) the largest region whose
#   colour is unlike every border colour (both settings chosen on other toy images, seed 30 000).

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
boxes_grabcut = np.array(parallel_map(loc.grabcut_box, list(data.images)))   # no network: GrabCut from the frame
boxes_colour = np.array([loc.colour_box(im) for im in data.images])          # no network: colour unlike the border's
fractions = np.round(np.arange(0.30, 0.81, 0.05), 2)
centre = {f: box_eval.evaluate_boxes(np.array([loc.centred_box((64, 64), f)] * len(data)), data.boxes) for f in fractions}
best_f = max(centre, key=lambda f: centre[f]["accuracy"])
quantiles = (0.90, 0.95, 0.98, 0.99, 0.995)
thr_q = {q: np.array([loc.threshold_box(s, quantile=q) for s in sal]) for q in quantiles}
best_q = max(quantiles, key=lambda q: box_eval.evaluate_boxes(thr_q[q], data.boxes)["accuracy"])
print(f"saliency {t_sal:.1f} s, GraphCut {t_gc:.1f} s for {len(data)} images ({1000 * t_gc / len(data):.0f} ms per image)")

# %%
def box_table(boxes: dict, truth: np.ndarray) -> dict:
    """Print accuracy (IoU >= 0.5) with its 95% interval, mean IoU and n per localizer; return the IoUs."""
    print(f"{'localizer':<52}{'accuracy [95% interval]':>25}{'mean IoU':>10}{'n':>6}")
    ious = {name: box_eval.box_ious(b, truth) for name, b in boxes.items()}
    for name, v in ious.items():
        lo, hi = box_eval.accuracy_interval(int(np.sum(v >= 0.5)), len(v))
        print(f"{name:<52}{np.mean(v >= 0.5):>10.0%} [{lo:.0%}-{hi:.0%}]{v.mean():>10.2f}{len(v):>6}")
    return ious


full_boxes = np.array([[0, 0, 64, 64]] * len(data))
ious = box_table({
    "(a) the paper's pipeline": boxes_gc,
    "(a') localize's default (tuned on these images)": boxes_default,
    "(b) box around saliency >= q95": boxes_thr,
    f"(b') box around saliency >= q{best_q * 100:g} (chosen on these)": thr_q[best_q],
    "(c) centred box, 50% of the side": np.array([loc.centred_box((64, 64), 0.5)] * len(data)),
    f"(c') centred box, best {best_f:.2f} (chosen on these)": np.array([loc.centred_box((64, 64), best_f)] * len(data)),
    "(d) full-image box": full_boxes,
    "(e) no network: GrabCut from the frame": boxes_grabcut,
    "(f) no network: colour unlike the border": boxes_colour,
}, data.boxes)

# %%

# NBVAL_CHECK_OUTPUT
key = {k.split(" ")[0]: v for k, v in ious.items()}   # "(a)", "(a')", ..., "(f)"
interval = {k: box_eval.accuracy_interval(int(np.sum(v >= 0.5)), len(v)) for k, v in key.items()}
claim("the paper's pipeline (a) beats the q95 saliency box (b) and the trivial boxes (c, c', d): its 95% interval lies above theirs",
      interval["(a)"][0] > max(interval[k][1] for k in ("(b)", "(c)", "(c')", "(d)")))
vs_tuned_thr = box_eval.paired_comparison(key["(a)"], key["(b')"])
print(f"(a) vs (b'): {vs_tuned_thr['wins']} images only (a) hits, {vs_tuned_thr['losses']} only (b'); sign test p = {vs_tuned_thr['p']:.2g}")
claim("a saliency box at a threshold tuned on these images (b') matches the paper's pipeline: (a) does not beat it "
      "(two-sided sign test, 5% level)", not (vs_tuned_thr["wins"] > vs_tuned_thr["losses"] and vs_tuned_thr["p"] < 0.05))
vs_grabcut = box_eval.paired_comparison(key["(a)"], key["(e)"])
claim("on this toy world colour alone suffices: the no-network GrabCut (e) hits more objects than the paper's pipeline (a) "
      "(two-sided sign test on the images where they differ, p < 0.05)",
      vs_grabcut["losses"] > vs_grabcut["wins"] and vs_grabcut["p"] < 0.05)
claim("the full-image box (d) reaches IoU 0.5 on no toy image", bool(np.all(key["(d)"] < 0.5)));

# %% [markdown]
# *What you should see:* the paper's pipeline beats the q95 saliency box and the trivial boxes; a tuned threshold box
# matches it, and the **no-network** rules do better: toy objects' colours differ from the background's. This table cannot show that the saliency helps; section 3 builds a world where it must.
#
# ### Where the paper's pipeline fails, and why · 3 min
#
# Did the kept component hold the object, and what else? Does anything measured before the cut (seeds, the object's
# size and colour, strokes at its edge) tell failures from successes?

# %%
ious_gc = box_eval.box_ious(boxes_gc, data.boxes)
failures = np.flatnonzero(ious_gc < 0.5)
kernel = np.ones((3, 3), np.uint8)
runs = [loc.localize(data.images[i], sal[i], **PAPER) for i in range(len(data))]   # the paper's pipeline again, kept whole
recall, thin_excess = [], []
for i in failures:
    r, obj = runs[i], data.masks[i]
    recall.append((r.mask & obj).sum() / obj.sum())                       # share of the object inside the kept component
    excess = r.mask & ~cv2.dilate(obj.astype(np.uint8), kernel).astype(bool)   # kept pixels away from the object
    opened = cv2.morphologyEx(excess.astype(np.uint8), cv2.MORPH_OPEN, kernel)  # what is left once 1-2 px wide lines are removed
    thin_excess.append(opened.sum() < 0.3 * max(excess.sum(), 1))
recall, thin_excess = np.array(recall), np.array(thin_excess)


def near_object(mask: np.ndarray, px: int) -> np.ndarray:
    """The object's mask grown by `px` pixels."""
    return cv2.dilate(mask.astype(np.uint8), np.ones((2 * px + 1,) * 2, np.uint8)).astype(bool)


def edge_clutter(image: np.ndarray, mask: np.ndarray) -> float:
    """Share of the 2-px ring around the object unlike its local background (> 30 RGB, 3x the pixel noise): strokes at its edge."""
    ring = near_object(mask, 2) & ~mask
    local = cv2.medianBlur(image, 7).astype(np.float32)
    return float(np.mean(np.linalg.norm(image.astype(np.float32) - local, axis=2)[ring] > 30))


def border_distance(image: np.ndarray, mask: np.ndarray) -> float:
    """RGB distance from the object's colour to the nearest border pixel's colour: how far apart colour alone keeps them."""
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]]).astype(np.float32)
    return float(np.linalg.norm(border - np.median(image[mask], axis=0), axis=1).min())


def separation(score: np.ndarray, failed: np.ndarray, n_boot: int = 1000) -> tuple[float, float, float]:
    """AUC (the chance that a random failure scores above a random success; 0.5: no separation) and its bootstrap 95% interval."""
    def auc(f: np.ndarray, s: np.ndarray) -> float:
        return float(np.mean(f[:, None] > s[None]) + 0.5 * np.mean(f[:, None] == s[None]))
    f, s = score[failed], score[~failed]
    rng = np.random.default_rng(0)
    boot = [auc(rng.choice(f, len(f)), rng.choice(s, len(s))) for _ in range(n_boot)]
    return auc(f, s), *np.quantile(boot, [0.025, 0.975])


failed = ious_gc < 0.5
candidates = {   # measured before the cut (the seeds) or on the image alone
    "foreground seeds on the object (share)": [data.masks[i][r.seeds == 1].mean() for i, r in enumerate(runs)],
    "foreground seeds within 1 px of the object (share)": [near_object(data.masks[i], 1)[r.seeds == 1].mean() for i, r in enumerate(runs)],
    "foreground seeds > 3 px from the object (share)": [(~near_object(data.masks[i], 3))[r.seeds == 1].mean() for i, r in enumerate(runs)],
    "object area (px)": data.masks.sum(axis=(1, 2)),
    "object colour to nearest border colour (RGB)": [border_distance(im, m) for im, m in zip(data.images, data.masks)],
    "strokes at the object's edge (share of its ring)": [edge_clutter(im, m) for im, m in zip(data.images, data.masks)],
}
SYMPTOM = "after the cut: foreground off the object (px)"   # the failure itself, for scale
scores = {**candidates, SYMPTOM: [(r.segmentation & ~near_object(data.masks[i], 1)).sum() for i, r in enumerate(runs)]}
scores = {name: np.asarray(v, float) for name, v in scores.items()}
aucs = {name: separation(v, failed) for name, v in scores.items()}

# %%
from helpers.evaluation.proportions import sign_test

print(f"{failed.sum()} failures (IoU < 0.5) of the paper's pipeline among {len(data)} toy images")
lo_found, hi_found = box_eval.accuracy_interval(int(np.sum(recall >= 0.9)), len(recall))
print(f"  object found: the kept component covers >= 90% of the object in {np.sum(recall >= 0.9)} of {len(recall)} "
      f"[{lo_found:.0%}-{hi_found:.0%}]")
strokes_vs_regions = sign_test(int(thin_excess.sum()), int((~thin_excess).sum()))
print(f"  the box is stretched by thin strokes joined to the object: {thin_excess.sum()}; by background regions: "
      f"{(~thin_excess).sum()} (sign test p = {strokes_vs_regions:.2g})")
print(f"\n{'median in failures vs successes':<52}{'failures':>10}{'successes':>11}{'AUC [95% interval]':>22}")
for name, v in scores.items():
    a, lo, hi = aucs[name]
    print(f"{name:<52}{np.median(v[failed]):>10.2f}{np.median(v[~failed]):>11.2f}{a:>10.2f} [{lo:.2f}-{hi:.2f}]")
print(f"n = {failed.sum()} failures, {(~failed).sum()} successes; AUC 0.5 = the score does not tell them apart")

# %%

# NBVAL_CHECK_OUTPUT
claim("most failures find the object: the kept component covers >= 90% of it in a share whose 95% interval lies above one half",
      lo_found > 0.5)
claim("thin strokes stretch the box more often than background regions (two-sided sign test, p < 0.05)",
      thin_excess.sum() > (~thin_excess).sum() and strokes_vs_regions < 0.05)
seed_auc = aucs["foreground seeds on the object (share)"]
claim("failures have fewer foreground seeds on the object than successes (the AUC's 95% interval lies below 0.5)", seed_auc[2] < 0.5)
strength = {k: max(a, 1 - a) for k, (a, _, _) in aucs.items()}   # an AUC below 0.5 separates as well as 1 - AUC above it
best_before = max(candidates, key=strength.get)
print(f"best candidate before the cut: {best_before} (separation {strength[best_before]:.2f}); after the cut: {strength[SYMPTOM]:.2f}")
claim("the seeds predict failures only weakly: the best candidate measured before the cut separates them below 'excellent' "
      "(AUC or 1 - AUC < 0.8, Hosmer & Lemeshow's rule of thumb), and the symptom after the cut's 95% interval lies above it",
      strength[best_before] < 0.8 and aucs[SYMPTOM][1] > strength[best_before]);

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
# *What you should see:* the object is found, but the largest component also holds thin strokes or a background
# region. Measures taken before the cut, far seeds included, predict failures only weakly; the cut's output far better.

# %% [markdown]
# ## 3 · When colour alone cannot find the object · 6 min
#
# Each image now also holds a blob **in the object's colour**, apart from it, **two thirds to 1.5 times its area**
# (`toyworld.generate(..., distractors=True)`). Does the toy CNN, never trained on such images, still recognise the
# shapes? Each largest-region rule gets a twin (\*) keeping the region of **highest mean saliency**
# (`most_salient_component`; a sum favours larger regions); (f2) and (g) choose without a network, by size and by
# Sobel edges. 300 images:

# %%
hard = toyworld.generate(300, seed=40_000, distractors=True)
x_hard = toy.normalize(torch.from_numpy(hard.images).permute(0, 3, 1, 2).float().div(255).to(toy.device))
with torch.no_grad():
    right = int((toy.model(x_hard).argmax(1).cpu().numpy() == hard.labels).sum())
lo, hi = box_eval.accuracy_interval(right, len(hard))
print(f"toy CNN on the distractor images: {right}/{len(hard)} classified right ({right / len(hard):.0%}, 95% interval {lo:.0%}-{hi:.0%})")
print(f"objects cover {hard.masks.mean():.1%} of the image here, {data.masks.mean():.1%} in section 2 "
      "(where no blob fits beside an object, the generator places the object again, so large ones are rarer)")
sal_hard = saliency_map(toy, x_hard, torch.from_numpy(hard.labels).to(toy.device)).cpu().numpy()


def most_salient_boxes(images: np.ndarray, maps: np.ndarray) -> np.ndarray:
    """The paper's pipeline with one change: the box of the cut's component with the highest mean saliency, not the largest."""
    boxes = np.array([[0, 0, im.shape[1], im.shape[0]] for im in images])   # a failed seeding boxes the whole image, as above
    for i, (im, m) in enumerate(zip(images, maps)):
        try:
            boxes[i] = loc.mask_box(loc.most_salient_component(loc.localize(im, m, **PAPER).segmentation, m))
        except loc.LocalizationError:
            pass
    return boxes


hard_boxes = {
    "(a) the paper's pipeline": loc.localize_boxes(hard.images, sal_hard, on_error="full_image", **PAPER),
    "(a*) the paper's pipeline, most salient component": most_salient_boxes(hard.images, sal_hard),
    "(b) box around saliency >= q95": np.array([loc.threshold_box(s) for s in sal_hard]),
    "(c) centred box, 50% of the side": np.array([loc.centred_box((64, 64), 0.5)] * len(hard)),
    "(d) full-image box": np.array([[0, 0, 64, 64]] * len(hard)),
    "(e) no network: GrabCut from the frame": np.array(parallel_map(loc.grabcut_box, list(hard.images))),
    "(e*) GrabCut from the frame, most salient component": np.array(
        parallel_map(lambda i: loc.grabcut_box(hard.images[i], saliency=sal_hard[i]), range(len(hard)))),
    "(f) no network: colour unlike the border": np.array([loc.colour_box(im) for im in hard.images]),
    "(f*) colour unlike the border, most salient component": np.array(
        [loc.colour_box(im, saliency=s) for im, s in zip(hard.images, sal_hard)]),
    "(f2) no network: colour, second-largest component": np.array(
        [loc.mask_box(loc.second_largest_component(m)) if m.any() else (0, 0, 64, 64) for m in map(loc.colour_mask, hard.images)]),
    "(g) no network: colour, Sobel edges choose (as f*)": np.array([loc.colour_box(im, saliency=loc.edge_map(im)) for im in hard.images]),
}
hard_ious = box_table(hard_boxes, hard.boxes)
hk = {k.split(" ")[0]: v for k, v in hard_ious.items()}
choice = {k: box_eval.paired_comparison(hk[f"({k}*)"], hk[f"({k})"]) for k in "aef"}
seeds_vs_frame = box_eval.paired_comparison(hk["(a*)"], hk["(e*)"])
second_vs_largest = box_eval.paired_comparison(hk["(f2)"], hk["(f)"])
saliency_vs_edges = box_eval.paired_comparison(hk["(f*)"], hk["(g)"])
for k, c in choice.items():
    print(f"({k}*) vs ({k}): {c['wins']} images only the most salient component hits, {c['losses']} only the largest; sign test p = {c['p']:.2g}")
print(f"(a*) vs (e*): {seeds_vs_frame['wins']} images only the paper's seeds and cut hit, {seeds_vs_frame['losses']} only "
      f"GrabCut from the frame; sign test p = {seeds_vs_frame['p']:.2g}")
print(f"(f2) vs (f): {second_vs_largest['wins']} images only the second-largest hits, {second_vs_largest['losses']} only the largest; "
      f"sign test p = {second_vs_largest['p']:.2g}")
print(f"(f*) vs (g): {saliency_vs_edges['wins']} images only saliency's choice hits, {saliency_vs_edges['losses']} only the edges'; "
      f"sign test p = {saliency_vs_edges['p']:.2g}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(3 * 4.0, 4.4))
for ax, i in zip(axes, range(3)):
    ax.imshow(hard.images[i]); ax.axis("off")
    for (name, b), colour, off in zip([(n, hard_boxes[n][i]) for n in ("(a) the paper's pipeline", "(a*) the paper's pipeline, most salient component")],
                                      ("red", "yellow"), (0, 1)):
        draw_box(ax, np.array(b) + [-off, -off, off, off], color=colour, lw=3); ax.patches[-1].set_linestyle("--")
    draw_box(ax, hard.boxes[i], color="lime", lw=1.5)   # the truth, drawn last
    ax.set_title(hard.class_names()[i])
fig.suptitle("green: true box   red dashed: the paper's pipeline (largest component)\nyellow dashed: the same cut, most salient component")
fig.tight_layout()

# %%

# NBVAL_CHECK_OUTPUT
hard_interval = {k: box_eval.accuracy_interval(int(np.sum(v >= 0.5)), len(v)) for k, v in hk.items()}
claim("the toy CNN still classifies most distractor images (the lower end of its 95% interval is above one half)", lo > 0.5)
claim("the distractors hurt colour alone: the colour rule's (f) 95% interval here lies below its interval on the plain world",
      hard_interval["(f)"][1] < interval["(f)"][0])
claim("a smaller distractor is no longer the tell: keeping the second-largest colour region (f2) does not beat keeping the largest (f) "
      "(no significant win, two-sided sign test, 5% level)",
      not (second_vs_largest["wins"] > second_vs_largest["losses"] and second_vs_largest["p"] < 0.05))
claim("saliency finds the object among the regions: keeping the most salient component beats keeping the largest, for the "
      "paper's cut, GrabCut and the colour rule alike (two-sided sign test, p < 0.05 each)",
      all(c["wins"] > c["losses"] and c["p"] < 0.05 for c in choice.values()))
claim("the network adds more than edges: on the colour rule's regions, saliency's choice (f*) beats the same chooser on a "
      "Sobel edge map (g) (two-sided sign test, p < 0.05)", saliency_vs_edges["wins"] > saliency_vs_edges["losses"] and saliency_vs_edges["p"] < 0.05)
claim("keeping the most salient component finds most objects: the 95% interval of each starred rule (a*, e*, f*) lies above one half",
      all(hard_interval[k][0] > 0.5 for k in ("(a*)", "(e*)", "(f*)")))
claim("once the component is chosen by saliency, GrabCut from the frame (e*) beats the paper's seeds and cut (a*) "
      "(two-sided sign test, p < 0.05)", seeds_vs_frame["losses"] > seeds_vs_frame["wins"] and seeds_vs_frame["p"] < 0.05);

# %% [markdown]
# *What you should see:* the CNN still recognises most shapes; choosing a region by size or by edges misses far more
# objects than choosing it by saliency. Once the region is chosen, GrabCut from the frame beats the paper's seeds and cut.

# %% [markdown]
# ## Optional: Which mapping onto GrabCut? Measured · 10 min
#
# Beyond the paper. On the first 200 of section 2's toy images: seed-fitted colour models vs OpenCV's initialisation
# with the unseeded pixels as probable background / foreground, hard (fixed) vs soft seeds, hard foreground seeds
# alone, one cut (the paper) vs 5 GrabCut iterations; then one cut vs 5 iterations on all 1000 images.

# %%
sub = slice(0, 200)
variants = [
    ("seeds", "none", 1), ("seeds", "foreground", 1), ("seeds", "none", 5), ("seeds", "both", 5),
    ("probable_background", "none", 5), ("probable_background", "both", 5),
    ("probable_foreground", "none", 5), ("probable_foreground", "both", 5),
]
variant_acc, variant_ious = {}, {}
print(f"{'colour models fitted on':<40}{'hard seeds':>11}{'iters':>6}{'accuracy [95% interval]':>25}{'mean IoU':>10}")
for init, fixed, iters in variants:
    b = loc.localize_boxes(data.images[sub], sal[sub], on_error="full_image", **{**PAPER, "init": init, "hard": fixed, "iterations": iters})
    r = box_eval.evaluate_boxes(b, data.boxes[sub])
    variant_acc[init, fixed, iters] = r["accuracy"]
    variant_ious[init, fixed, iters] = box_eval.box_ious(b, data.boxes[sub])
    label = {"seeds": "seeds only (paper)", "probable_background": "seeds + unseeded as background",
             "probable_foreground": "seeds + unseeded as foreground"}[init]
    lo_v, hi_v = box_eval.accuracy_interval(int(round(r["accuracy"] * r["n"])), r["n"])
    print(f"{label:<40}{fixed:>11}{iters:>6}{r['accuracy']:>10.0%} [{lo_v:.0%}-{hi_v:.0%}]{r['mean_iou']:>10.2f}")
print(f"n = {len(variant_ious['seeds', 'none', 1])} images each")

# %%

# NBVAL_CHECK_OUTPUT
def beats(a: tuple, b: tuple) -> bool:
    """Variant a hits more of the 200 images than variant b, and the two-sided sign test on the images where they differ says p < 0.05."""
    c = box_eval.paired_comparison(variant_ious[a], variant_ious[b])
    return c["wins"] > c["losses"] and c["p"] < 0.05


claim("fixing the foreground seeds alone ruins the paper's cut: its accuracy's 95% interval lies below one half (one cut each)",
      box_eval.accuracy_interval(int(np.sum(variant_ious["seeds", "foreground", 1] >= 0.5)), 200)[1] < 0.5
      and beats(("seeds", "none", 1), ("seeds", "foreground", 1)))
claim("with seed-fitted colour models, soft seeds beat hard ones (sign test, p < 0.05; likewise below)", beats(("seeds", "none", 5), ("seeds", "both", 5)))
claim("with the probable-background start, soft seeds beat hard ones", beats(("probable_background", "none", 5), ("probable_background", "both", 5)))
claim("with the probable-foreground start, hard seeds beat soft ones", beats(("probable_foreground", "both", 5), ("probable_foreground", "none", 5)))
claim("with soft seeds, the probable-background start beats the probable-foreground start",
      beats(("probable_background", "none", 5), ("probable_foreground", "none", 5)))
claim("with soft seeds, the probable-background start beats the paper's seed-fitted models (5 iterations each)",
      beats(("probable_background", "none", 5), ("seeds", "none", 5)));

# %%
boxes_five = loc.localize_boxes(data.images, sal, on_error="full_image", **{**PAPER, "iterations": 5})
ious_five = box_eval.box_ious(boxes_five, data.boxes)
one_vs_five = box_eval.paired_comparison(ious_gc, ious_five)
for name, v in (("one cut (the paper)", ious_gc), ("5 GrabCut iterations", ious_five)):
    lo5, hi5 = box_eval.accuracy_interval(int(np.sum(v >= 0.5)), len(v))
    print(f"{name:<22} accuracy {np.mean(v >= 0.5):.1%} [{lo5:.1%}-{hi5:.1%}], n = {len(v)}")
print(f"{one_vs_five['wins']} images only one cut hits, {one_vs_five['losses']} only 5 iterations hit; "
      f"two-sided sign test p = {one_vs_five['p']:.2g}")

# %%

# NBVAL_CHECK_OUTPUT
claim("on all 1000 images, 5 iterations of the paper's mapping hit more objects than one cut (two-sided sign test, p < 0.05)",
      one_vs_five["losses"] > one_vs_five["wins"] and one_vs_five["p"] < 0.05);

# %% [markdown]
# *What you should see* (the checks above say which of these hold on your run): whether hard seeds hurt depends on the
# start. With seed-fitted models and with the probable-background start, soft seeds win clearly; with the
# probable-foreground start it is the reverse, plausibly because there the hard background seeds alone keep background
# colours out of the object model (a reading, not measured here).
#
# * **Hard seeds** (`GC_BGD` / `GC_FGD`): background seeds can sit inside the shape's flat interior and, fixed, punch
#   holes the cut cannot close; foreground seeds beside the edge force background pixels into the object. Fixing the
#   foreground seeds alone (`hard="foreground"`) is the worst row of the table: the scattered seeds off the object
#   become object, and so do the background regions that join them. Soft seeds
#   (`hard="none"`) only shape the colour models. The paper says the seeds *estimate* the colour models; it does not
#   discuss fixing them.
# * **Unseeded pixels**: with the paper's seed-fitted models their start label is irrelevant. With OpenCV's own
#   initialisation, *probable background* is the better start here: most unseeded pixels are background (the object
#   covers ~10–25% of a toy image), so they make the background model richer, whereas as *probable foreground* they
#   pour background colours into the object model.
# * One cut or five iterations: on 200 images the difference is a few images; on all 1000 the 5 iterations hit
#   significantly more (the paired test above), though by a small margin. The iterations are GrabCut's addition.

# %% [markdown]
# ## Optional: Sensitivity to the two quantiles · 5 min
#
# Beyond the paper. Accuracy on 200 toy images as the foreground and background quantiles vary (the
# paper's pipeline otherwise):

# %%
fg_qs, bg_qs = [0.80, 0.90, 0.95, 0.99], [0.10, 0.30, 0.50]
grid, grid_ious = np.zeros((len(fg_qs), len(bg_qs))), {}
for a, fq in enumerate(fg_qs):
    for b_, bq in enumerate(bg_qs):
        boxes = loc.localize_boxes(data.images[sub], sal[sub], on_error="full_image", **{**PAPER, "fg_quantile": fq, "bg_quantile": bq})
        grid_ious[fq, bq] = box_eval.box_ious(boxes, data.boxes[sub])
        grid[a, b_] = np.mean(grid_ious[fq, bq] >= 0.5)
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
print(f"n = {len(grid_ious[0.95, 0.30])} images per cell")
for fq in (0.80, 0.95, 0.99):   # where the foreground seeds fall, by quantile
    on_shape = [data.masks[i][s >= np.quantile(s, fq)].mean() for i, s in zip(range(len(data))[sub], sal[sub])]
    print(f"foreground seeds at the {fq:.0%} quantile lying on the shape: median {np.median(on_shape):.0%} of them")

# %%

# NBVAL_CHECK_OUTPUT
def quantile_beats(a: tuple, b: tuple) -> bool:
    """Quantile pair a hits more of the 200 images than pair b, two-sided sign test p < 0.05."""
    c = box_eval.paired_comparison(grid_ious[a], grid_ious[b])
    return c["wins"] > c["losses"] and c["p"] < 0.05


claim("the 99% foreground quantile beats 80% at every background quantile (two-sided sign test, p < 0.05 each)",
      all(quantile_beats((0.99, bq), (0.80, bq)) for bq in bg_qs))
claim("at the paper's 95% foreground quantile, accuracy rises with the background quantile (10% < 30% < 50%, sign test p < 0.05 each)",
      quantile_beats((0.95, 0.30), (0.95, 0.10)) and quantile_beats((0.95, 0.50), (0.95, 0.30)));

# %% [markdown]
# *What you should see:* accuracy rises from the top-left corner (80% / 10%) towards the bottom row (99%): the
# foreground quantile matters most (the checks above). At 80% the foreground seeds spill over the shape's edge into
# the background and the object model absorbs background colours. Going *higher* than the paper helps in the toy
# world: the higher the quantile, the larger the share of the foreground seeds on the shape (printed), and a few dozen
# pixels suffice for the colour model of a one-colour shape. At the paper's 95%, a higher background quantile (a richer background model) helps too. The paper
# states 95% and 30% without saying how they were chosen; on this toy world they are a safe middle, not the optimum.
# Real objects are not one colour, so do not carry the toy optimum over to photos without measuring there.

# %% [markdown]
# ## 4 · Real photos: the paper's pipeline and a Grad-CAM box · 7 min
#
# COCO photos with one dominant object, in **4-fold cross-validation** (`benchmarks/photo_protocol.md`): each choice
# beyond the paper is made on three folds, scored on the fourth. The **paper's pipeline** (`localize_photo_paper`)
# against **`localize_photo`** (Grad-CAM, largest component above `helpers.cam.CAM_THRESHOLD` of its maximum,
# picked on half of these photos), the best other candidate (by hits or by MaxBoxAccV2 of Choe et al., in the references),
# and two photo-blind boxes (Lite0):

# %% tags=["photo"]
# NBVAL_CHECK_OUTPUT
from helpers.evaluation import photo_localization as photo_eval

cv = photo_eval.photo_benchmark()["cv"]
print(photo_eval.cv_table())
rows = cv["rows"]
before, paper, centred, chosen, chosen_v2 = (
    rows[k] for k in ("localize_photo_before", "paper_full", "cv:centred", "cv:cv_select", "cv:cv_select_v2"))
print("centred box, side chosen on the training folds:", ", ".join(centred["chosen_per_fold"]))
print("best candidate chosen on the training folds by hits at IoU 0.5:", ", ".join(chosen["chosen_per_fold"]))
print("best candidate chosen on the training folds by MaxBoxAccV2:", ", ".join(chosen_v2["chosen_per_fold"]))
v2, v2_before = chosen_v2["maxboxacc_v2"]["all"], before["maxboxacc_v2"]["all"]
print(f"MaxBoxAccV2: IoU levels passed, of {v2['of']}: the V2 choice {v2['levels']}, localize_photo {v2_before['levels']}")
for name, r in (("localize_photo", before), ("the paper's pipeline", paper)):
    a = r["area_ratio"]
    print(f"{name}: box area / true box area, median {a['median']:.2f}; too big (> 2x) {a['too_big']:.0%}, "
          f"too small (< 0.5x) {a['too_small']:.0%} of {cv['n']} photos")
vs_paper, vs_centred = before["paired"]["paper_full"], centred["paired"]["paper_full"]
vs_before, vs_before_v2 = chosen["paired"]["localize_photo_before"], chosen_v2["maxboxacc_v2"]["paired"]["localize_photo_before"]


def beyond_chance(t):
    """A paired lead counts only if the exact sign test on the discordant photos gives p < 0.05 (the conventional level)."""
    return t["wins"] > t["losses"] and t["sign_test_p"] < 0.05


claim("localize_photo hits more photos than the paper's pipeline, pair by pair beyond chance (sign test p < 0.05)",
      beyond_chance(vs_paper))
claim("the centred box, its side chosen on the training folds, hits more photos than the paper's pipeline, but pair by "
      f"pair not beyond chance ({vs_centred['wins']}/{vs_centred['losses']}, p = {vs_centred['sign_test_p']:.2f})",
      centred["all"]["hits"] > paper["all"]["hits"] and not beyond_chance(vs_centred))
flip = lambda t: {**t, "wins": t["losses"], "losses": t["wins"]}  # noqa: E731  (localize_photo's side of the test)
claim("the candidates chosen on the training folds tie with localize_photo on the held-out photos: no paired lead beyond "
      f"chance either way, by hits at IoU 0.5 (p = {vs_before['sign_test_p']:.2f}) or by MaxBoxAccV2 levels "
      f"(p = {vs_before_v2['sign_test_p']:.2f})",
      not any(beyond_chance(t) or beyond_chance(flip(t)) for t in (vs_before, vs_before_v2)))
claim("localize_photo hits more small objects than the paper's pipeline", before["small"]["hits"] > paper["small"]["hits"]);

# %% [markdown]
# *What you should see:* `localize_photo` beats the paper's pipeline photo by photo; a centred box hits more photos
# than it, not beyond chance. The other candidates tie with `localize_photo`; small objects stay
# hard.
#
# Both pipelines, live, on four photos. Two are kept as lessons in **class/box mismatch**: on grace_hopper the class is
# 'military uniform' while the truth box is the whole person; on coco_309 the teddy bear is a small share of the frame
# and the model barely believes in 'teddy' (printed). A miss there is the target's fault.

# %% tags=["photo"]
from helpers.views import whole_image_scores

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
    with torch.no_grad():   # the whole photo's posterior, as the pipelines (and their warnings) see it
        probs = whole_image_scores(PHOTO_MODEL, case.image).softmax(0).cpu()
    print(f"{case.name:>12} ({PHOTO_MODEL.categories[case.target]}: P = {probs[case.target]:.3f}, top class "
          f"{PHOTO_MODEL.categories[int(probs.argmax())]!r}; object {case.area_fraction:.0%} of the frame): "
          f"IoU paper's pipeline {ious[0]:.2f}, localize_photo {ious[1]:.2f}")
print(f"{PHOTO_MODEL.name}: {len(cases)} photos, both pipelines, {time.perf_counter() - t0:.0f} s")

# %% tags=["photo"]
fig, axes = plt.subplots(2, 2, figsize=(2 * 5.0, 2 * 5.0))
for ax, (case, paper_box, cam_box, ious) in zip(axes.ravel(), live):
    ax.imshow(case.image)
    off = max(case.image.shape[:2]) // 100   # the two predictions drawn dashed and a few pixels apart, so neither hides the other
    draw_box(ax, np.array(paper_box) + [off, off, -off, -off], color="magenta", lw=4); ax.patches[-1].set_linestyle("--")
    draw_box(ax, np.array(cam_box) + [-off, -off, off, off], color="yellow", lw=4); ax.patches[-1].set_linestyle((0, (2, 2)))
    for t in case.boxes:
        draw_box(ax, t, color="lime", lw=2)   # the truth, drawn last
    ax.set_title(f"{PHOTO_MODEL.categories[case.target]}\npaper IoU {ious[0]:.2f} | Grad-CAM IoU {ious[1]:.2f}", fontsize=13)
    ax.axis("off")
fig.suptitle("green: true box   magenta dashed: the paper's pipeline\nyellow dotted: localize_photo (Grad-CAM, CAM protocol)", fontsize=14)
fig.tight_layout()

# %% tags=["photo"]
# NBVAL_CHECK_OUTPUT
hits = np.array([[iou >= 0.5 for iou in ious] for *_, ious in live])
claim(f"on these {len(live)} photos localize_photo hits at least as many objects as the paper's pipeline", hits[:, 1].sum() >= hits[:, 0].sum())
claim("both pipelines miss coco_309, whose target class the model barely predicts", not hits[[c.name for c, *_ in live].index("coco_309")].any());

# %% [markdown]
# *What you should see:* the Grad-CAM box follows the object coarsely and runs large; the paper's box depends on where
# the speckled 10-crop gradient puts its top 5%. Four photos illustrate the table; they measure nothing.

# %% [markdown]
# ## 5 · The paper's number and what differs · 4 min
#
# **The 46.4% in context** (top-5 localization error, lower is better):
#
# | result | error | supervision |
# |---|---|---|
# | this paper, ILSVRC-2013 test (Simonyan et al. 2013, Sect. 3.2) | 46.4% | weak: class labels only, no boxes in training |
# | ILSVRC-2013 winner, OverFeat (Sermanet et al. 2014) | 29.9% | full: a box regressor trained on the boxes |
# | the authors' own ILSVRC-2012 entry (the VGG team; deformable part models + Fisher vectors) | 50.0% | full |
# | Grad-CAM with VGG16, ILSVRC-15 validation set, 15%-of-max CAM protocol (Selvaraju et al. 2017, Table 1) | 46.41% | weak |
# | the full-image box, same criterion (the trivial reference) | measure it: `--method full_image` below | none |
#
# The 46.4% beats the authors' supervised 2012 entry, but top-5 error also counts missed classes, and the 2013 ConvNet
# classifies far better (top-5 error 17.7% against 27.0%): the gap mixes the two gains. The winner stayed far ahead;
# the trivial box is every row's floor (section 4).
# On ImageNet validation images with VOC XML boxes, `--method paper` runs the paper's pipeline, `gradcam` (the
# default) `localize_photo`, `full_image` the trivial box:
#
# ```bash
# python -m helpers.evaluation.ilsvrc evaluate --images val/ --boxes val_xml/ --model vgg16 --synsets LOC_synset_mapping.txt --method paper
# ```
#
# ## Exercises
#
# Build the paper's pipeline yourself (about 12 min, or as homework).
#
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
# 1. The paper's localization needs no box in training: saliency quantiles seed two colour models, a graph cut labels
#    every pixel, the largest component gives the box.
# 2. The raw-gradient seeds are noisy; they work as colour statistics, not as labels.
# 3. Where colour separates the object, no network is needed. Beside a same-coloured region of similar size, saliency
#    still finds it where size and edges fail; the largest-component step throws that away.
# 4. On photos a Grad-CAM box hits more objects than the paper's pipeline at a fraction of the cost (the
#    cross-validated candidates tie with it), and the paper's pipeline does no better than the full-image box or a
#    centred box: always print the trivial baselines.
#
# ## Going further
#
# **From the paper:** seeds at the 95% / 30% saliency quantiles, GMM colour models, graph cut (Boykov & Jolly 2001),
# largest connected component, its box, the IoU ≥ 0.5 criterion. **Beyond the paper:** the toy-world and COCO
# measurements, the baselines, the comparison of seed mappings, the quantile sensitivity, GrabCut's re-estimation
# iterations (Rother et al. 2004), Grad-CAM boxes (Selvaraju et al. 2017) with the CAM protocol (Zhou et al. 2016).
#
# **How `localize` drives GrabCut.** `cv2.grabCut` is exactly steps 2 + 3 (5-component GMMs, the energy above with $\gamma = 50$), plus optional
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
# **The paper's setting and ours.**
#
# | | paper (ILSVRC-2013 test set) | here (toy world) |
# |---|---|---|
# | classifier | one 8-weight-layer ConvNet trained by the authors (top-5 error 17.7%), close to AlexNet / Zeiler–Fergus; top-5 classes guessed | the toy CNN, the true class |
# | saliency | $\max_{c'} |\partial S_c/\partial I|$ (Eq. 4) | one pass, same formula |
# | colour models + cut | GMM + GraphCut (Boykov & Jolly) | OpenCV GrabCut, seed-fitted GMMs |
# | score | **46.4% top-5 localization error** | error = 100% − accuracy of (a) |
# | truth | hand-drawn boxes, several objects | exact boxes, one object |
#
# Top-5 error counts an image wrong unless one of the 5 guessed classes is right **and** its box has IoU ≥ 0.5;
# with a near-perfect classifier, our error is just 1 − accuracy.
#
#
# **The failures in detail.** In the rows shown the object is found (white inside the green outline), and the red box
# is too large because the **largest component holds more than the object**. It is not a colour confusion between the
# object and the background: the toy generator keeps every object's colour away from its background's colours, and
# the counts above agree (the kept component covers at least 90% of the object in most failures). Two kinds of region
# get joined to the object instead:
#
# * **thin distractor strokes** that cross or touch the shape (the more common case, see the counts): the cut labels
#   them foreground, and where one touches the shape the component, and its box, runs along it;
# * **a region of the background gradient** next to the shape whose colour the foreground model took in, so the cut
#   takes the whole region of that colour.
#
# Where the seeds fell does not explain which images fail: successes have nearly as many foreground seeds off the
# object as failures (the printed medians and AUCs), and neither the object's size, its colour distance to the border,
# nor the strokes at its edge separate the two groups much better. What separates them is what the cut did, not a
# cause we could see before it; the toy shows noisy seeds rescued by colour, not a "most discriminative part" spread
# to the whole object.
#
# **The photo gallery in detail.** The Grad-CAM box (yellow) follows the object's extent, coarsely: the map is computed on a grid
# of about 7 cells on the photo's shorter side (Lite0; 14 for VGG16) and upsampled, so its boxes run large (the mean
# box areas printed with the table), and on a large object it is often close to the whole frame. The paper's box
# (magenta) depends on where the 10-crop gradient puts its top 5%: on Lite0 that map is speckled, and scattered seeds
# give colour models that grab a background region or only part of the object (compare the moped). The two
# mismatch photos fail for a reason neither pipeline controls: on coco_309 the teddy bear covers less of the frame
# than the benchmark's own 8% rule allows and the model gives 'teddy' almost no probability (its top class is printed),
# so the map explains a class the model does not see; on grace_hopper the class 'military uniform' names part of the
# person whose box is the truth. The printed IoUs and the checks are this run's; the table before them is the measurement, and
# with four photos this gallery illustrates it, it does not measure anything.
#
# ## References
#
# K. Simonyan, A. Vedaldi, A. Zisserman, *Deep Inside Convolutional Networks*, arXiv:1312.6034 (2013).
# Y. Boykov, M.-P. Jolly, *Interactive graph cuts*, ICCV 2001. C. Rother, V. Kolmogorov, A. Blake, *GrabCut*, SIGGRAPH
# 2004. P. Sermanet et al., *OverFeat*, ICLR 2014 (arXiv:1312.6229). B. Zhou et al., *Learning Deep Features for
# Discriminative Localization* (CAM), CVPR 2016. R. R. Selvaraju et al., *Grad-CAM*, ICCV 2017 (arXiv:1610.02391). J. Choe et al.,
# *Evaluating Weakly Supervised Object Localization Methods Right* (MaxBoxAccV2), CVPR 2020 (arXiv:2001.07437).
