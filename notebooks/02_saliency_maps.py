# %% [markdown]
# # 02 · Image-specific class saliency maps
#
# **Time.** Main line: 45 min (the section headings' minutes add up to it); optional sections: 20 min.
#
# **One-session plan (25 min):** show the recipe, the 10-crop average and the COCO pointing game; run live the recipe cell (tagged `live`); skip the photo gallery, the class-specific maps, both toy sections and the optional sections.
#
# **Two-session plan (45 min):** show the whole main line; run live the recipe cell; skip the optional sections and "Going further" (reading).
#
# **Prerequisites:** notebook 01 (the gradient of a linear score is its weight template; the first-order
# Taylor expansion, Eq. 3); PyTorch autograd (`torch.autograd.grad`).
#
# **Learning goals.** After this notebook you can
# 1. compute the paper's saliency map of any classifier in one backward pass, and the paper's 10-crop average;
# 2. measure a map against object masks (mass inside the mask, the pointing game) and against a baseline;
# 3. read the numbers of the beyond-the-paper checks (model randomization, SmoothGrad) and say what they show.
#
# **From the paper** (Simonyan, Vedaldi & Zisserman 2013, Sect. 3.1). Given an image $I_0$ and a class $c$, take the derivative of the class **score** $S_c$ (the logit, before softmax) with respect to the image,
#
# $$w = \left.\frac{\partial S_c}{\partial I}\right|_{I_0} \quad (4), \qquad M_{ij} = \max_{c'} \left| w_{h(i,j,c')} \right|,$$
#
# one backward pass, then the maximum magnitude over the colour channels $c'$. By Eq. 3, $|w|$ says which pixels the score is most sensitive to. The paper averages the maps of 10 crops and their mirrors.
# **Beyond the paper:** measurements against exact toy masks and COCO masks, the randomization check (Adebayo et al. 2018), SmoothGrad (Smilkov et al. 2017).
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/saliency-course/deep-inside-convnets/blob/main/notebooks/02_saliency_maps.ipynb)

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
import time

import numpy as np
import torch
import matplotlib.pyplot as plt

from helpers import toyworld, linear
from helpers import saliency as S, views as V
from helpers.evaluation import masks as mask_eval, randomization as rand_eval
from helpers.claims import claim, equal_to_float_precision
from helpers.evaluation.proportions import sign_test, wilson_interval  # exact sign test of paired wins and losses; Wilson
from helpers.course.plotting import FIGURE_DPI, draw_box, normalize_map, show_images, show_saliency

PANEL = 320 / FIGURE_DPI   # inches per panel: over 300 px after tight_layout's trim, for a projector; at most three a row

def clip99(m):
    # for display only: clip at the 99th percentile so a few extreme pixels do not hide the rest
    m = m.detach().cpu().numpy() if isinstance(m, torch.Tensor) else np.asarray(m)
    return np.minimum(m, np.percentile(m, 99))

def mean_interval(v):
    # mean of v and its normal 95% interval (for a paired change, pass the per-image differences)
    v = np.asarray(v, float)
    half = 1.96 * v.std(ddof=1) / np.sqrt(len(v))
    return v.mean(), v.mean() - half, v.mean() + half

def name_maps(fig, names, panels_each=2):
    # title each map panel of show_saliency with the method that made it
    for k, name in enumerate(names):
        fig.axes[k * panels_each + 1].set_title(name)

torch.manual_seed(0)
np.random.seed(0)
PHOTO_MODEL = helpers.best_photo_model()   # VGG16 when its weights are cached or downloadable, else the offline winner
toy = helpers.load_model("toy")
print("photo model:", PHOTO_MODEL.name, "| input", PHOTO_MODEL.input_size, "px | on", PHOTO_MODEL.device)

def sync():
    # a GPU runs asynchronously: wait for its work before reading the clock
    if PHOTO_MODEL.device.type == "cuda":
        torch.cuda.synchronize()


# %% [markdown]
# `PHOTO_MODEL` is the ImageNet classifier of every photo cell: VGG16 when its weights can be had, otherwise
# EfficientNet-Lite0 (the printed name).
#
# ## The recipe in five lines · 5 min

# %% tags=["photo", "live"]
image = helpers.load_image("chelsea")
x = PHOTO_MODEL.preprocess(image).requires_grad_(True)     # 1. the image as a differentiable input (1,3,S,S)
scores = PHOTO_MODEL.model(x)                               # 2. class scores S_c (logits, not softmax)
c = int(scores.argmax())                                    # 3. the class to explain: here the top-1
(w,) = torch.autograd.grad(scores[0, c], x)                 # 4. w = dS_c/dI at I0 (Eq. 4); no .grad left on the model
M = w.abs().amax(dim=1)[0]                                  # 5. M_ij = max over colour channels of |w|

print("class:", PHOTO_MODEL.categories[c], "| map shape:", tuple(M.shape))
equal_to_float_precision("helpers.saliency_map gives the same map", M, helpers.saliency_map(PHOTO_MODEL, x.detach(), c)[0])
fig = show_saliency([PHOTO_MODEL.deprocess(x)], [clip99(M)], [PHOTO_MODEL.categories[c]], with_overlay=True, size=PANEL)

# %% [markdown]
# *What you should see:* a map (white = large $|w|$) with no clean outline of the cat. On EfficientNet-Lite0 it is
# speckle; Lite0 downsamples with strided convolutions (no max-pooling), and notebook 03 tests the hypothesis that
# neighbouring pixels then reach the network through different kernel taps.
# Maps are clipped at their 99th percentile for display only.
#
# `helpers.saliency_map(model, x, target)` does this for a batch; `helpers.image_saliency(classifier, image, target)`
# for a whole photo, at its own size.

# %% [markdown]
# ## Real photos: saliency for the class the photo shows · 5 min
#
# COCO photos (`data/coco/`) come with object masks. For each photo we explain the ImageNet class that names its main
# object (the best-scoring of its ImageNet classes, `helpers.photos.photo_target`), with the 10-crop average
# (equal-variance, explained below); the object's mask is outlined in green.

# %% tags=["gallery", "photo"]
from helpers.photos import photo_target


def unrelated_classes(photo, k):
    """k classes drawn at random (seed 0) among those not in the photo's top 50: maps that owe nothing to the class."""
    top50 = set(V.whole_image_scores(PHOTO_MODEL, photo).topk(50).indices.tolist())
    return [int(u) for u in np.random.default_rng(0).permutation(len(PHOTO_MODEL.categories)) if int(u) not in top50][:k]


shown = [("coco_370", "broccoli"), ("coco_540", "airplane"), ("coco_629", "motorcycle")]
N_GALLERY_UNRELATED = 8   # fixed before the run: each map must beat every one of them (chance of coming first: 1/9)
photos, maps_shown, titles, masks_shown = [], [], [], []
for name, category in shown:
    photo, mask = helpers.load_image(name), helpers.photo_info(name).category_mask(category)
    target = photo_target(PHOTO_MODEL, photo, category)
    print(f"{name:>9} ({category}): top-3 " + ", ".join(f"{cls} {p:.0%}" for cls, p in PHOTO_MODEL.predict(photo, k=3))
          + f" | explained: {PHOTO_MODEL.categories[target]}")   # probabilities: shown, not checked
    ten = S.ten_crop_saliency(PHOTO_MODEL, photo, target)
    mass = mask_eval.mass_inside_mask(ten, mask)
    others = [mask_eval.mass_inside_mask(S.ten_crop_saliency(PHOTO_MODEL, photo, u), mask)
              for u in unrelated_classes(photo, N_GALLERY_UNRELATED)]
    print(f"{'':>11}mass in the mask: this map {mass:.1%}, {len(others)} unrelated classes' maps {np.mean(others):.1%} "
          f"(range {min(others):.1%}-{max(others):.1%}), uniform map {mask.mean():.1%}")
    claim(f"{name}: the map puts more of its mass inside the {category} mask than each of {len(others)} unrelated "
          "classes' maps of the same photo", mass > max(others), f"{mass:.1%} vs at most {max(others):.1%}")
    photos.append(photo); maps_shown.append(clip99(ten)); titles.append(PHOTO_MODEL.categories[target]); masks_shown.append(mask)
fig = show_saliency(photos, maps_shown, titles, per_row=1, size=PANEL)
name_maps(fig, ["saliency, 10-crop, equal-variance"] * len(shown))
for row, mask in enumerate(masks_shown):
    fig.axes[2 * row + 1].contour(mask, levels=[0.5], colors="lime", linewidths=1.5)

# %% [markdown]
# *What you should see:* bright pixels on the object's textured parts and edges, but also on textured background
# (a face, roads, a wall): a saliency map is not a segmentation. Unrelated classes' maps also beat a uniform map, so
# the checks compare each map with theirs.

# %% [markdown]
# ### Are the maps class-specific? · 5 min
#
# The paper computes a map *per class*. `coco_599` shows a cat on a couch with two remote controls: we explain "cat"
# and "remote" on the same photo, and, as the reference, 25 classes unrelated to it (drawn at random).

# %% tags=["photo"]
name = "coco_599"
photo, info = helpers.load_image(name), helpers.photo_info(name)
pair = ["cat", "remote"]
pair_targets = [photo_target(PHOTO_MODEL, photo, c) for c in pair]
pair_maps = [S.ten_crop_saliency(PHOTO_MODEL, photo, t) for t in pair_targets]
pair_masks = {c: info.category_mask(c) for c in pair}
fig = show_saliency([photo, photo], [clip99(m) for m in pair_maps], [PHOTO_MODEL.categories[t] for t in pair_targets], per_row=1, size=PANEL)
name_maps(fig, ["saliency, 10-crop, equal-variance"] * 2)
for row in range(2):
    for c, colour in zip(pair, ["lime", "cyan"]):
        fig.axes[2 * row + 1].contour(pair_masks[c], levels=[0.5], colors=colour, linewidths=1.5)

# %% tags=["photo"]
# the reference: 25 classes drawn at random (seed 0) among those not in the photo's top 50, fixed before any map is seen
unrelated = unrelated_classes(photo, 25)
unrelated_maps = [S.ten_crop_saliency(PHOTO_MODEL, photo, u) for u in unrelated]
unrelated_mass = {k: [mask_eval.mass_inside_mask(m, pair_masks[k]) for m in unrelated_maps] for k in pair}
pair_mass = {(c, k): mask_eval.mass_inside_mask(m, pair_masks[k]) for c, m in zip(pair, pair_maps) for k in pair}
pair_area = {k: pair_masks[k].mean() for k in pair}
print(f"{'share of the map inside':<34}" + "".join(f"{c + ' mask':>14}" for c in pair))
for c in pair:
    print(f"{'map for ' + c:<34}" + "".join(f"{pair_mass[c, k]:>14.1%}" for k in pair))
print(f"{'unrelated classes, mean':<34}" + "".join(f"{np.mean(unrelated_mass[k]):>14.1%}" for k in pair))
print(f"{'unrelated classes, largest':<34}" + "".join(f"{max(unrelated_mass[k]):>14.1%}" for k in pair))
print(f"{'area of the mask (uniform)':<34}" + "".join(f"{pair_area[k]:>14.1%}" for k in pair))
for c in pair:
    print(f"{c} map on the {c} minus the unrelated maps' mean: {pair_mass[c, c] - np.mean(unrelated_mass[c]):+.1%} "
          f"(unrelated range {min(unrelated_mass[c]):.1%}-{max(unrelated_mass[c]):.1%}, n = {len(unrelated)} classes); "
          f"unrelated maps above the {c} map: {sum(u > pair_mass[c, c] for u in unrelated_mass[c])} of {len(unrelated)}")
print(f"rank correlation of the two maps: {mask_eval.rank_correlation(*pair_maps):.2f}")

# %% tags=["photo"]
# NBVAL_CHECK_OUTPUT
for c, other_c in (pair, pair[::-1]):
    claim(f"class-specific: the {c} map puts a larger share of its mass on the {c} than the {other_c} map does",
          pair_mass[c, c] > pair_mass[other_c, c])
# With 25 unrelated maps, coming first by chance has probability 1/26 (below 0.05): a test on this one photo.
claim(f"against unrelated classes: the remote map puts more of its mass on the remotes than each of the "
      f"{len(unrelated)} unrelated classes' maps", pair_mass["remote", "remote"] > max(unrelated_mass["remote"]))
claim(f"the cat map does not: some of the {len(unrelated)} unrelated classes' maps put more of their mass on the cat",
      pair_mass["cat", "cat"] < max(unrelated_mass["cat"]))
for c in pair:
    claim(f"concentrated: the {c} map puts more of its mass on the {c} than a uniform map would", pair_mass[c, c] > pair_area[c])

# %% [markdown]
# *What you should see:* **class-specific**, each class's map puts more mass on its own object than the other class's
# map does; the remote map also beats every unrelated class's map, the cat map does not. **Concentrated**, more
# than a uniform map (last table row), can fail on its own.

# %% [markdown]
# ## The toy world, where we know the object exactly · 5 min
#
# Saliency of the toy CNN for the true class on held-out images, with the exact object mask outlined in green.

# %%
heldout = toyworld.generate(500, seed=toyworld.HELDOUT_SEED_OFFSET + 2)   # not used to train the toy CNN (seed 0)
xt = linear.toy_inputs(toy, heldout.images)
maps = S.saliency_map(toy, xt, heldout.labels.tolist()).cpu().numpy()
fig, axes = plt.subplots(2, 3, figsize=(3 * PANEL, 2 * PANEL))
for j in range(3):
    axes[0, j].imshow(heldout.images[j]); axes[0, j].set_title(heldout.class_names()[j])
    axes[1, j].imshow(normalize_map(clip99(maps[j])), cmap="gray"); axes[1, j].set_title("saliency")
    axes[1, j].contour(heldout.masks[j], levels=[0.5], colors="lime", linewidths=1.5)
for ax in axes.flat:
    ax.axis("off")
fig.tight_layout()

# %% [markdown]
# *What you should see:* bright pixels on the shape's outline, where a small change changes the class evidence most;
# the flat interior and the distractor strokes stay mostly dark.
#
# ## The paper's 10-crop average versus a single pass · 10 min
#
# The photo is resized so its shorter side is $S/0.875$ (256 px for a 224-px model); five $S\times S$ crops (corners
# and centre) and their mirrors form **one batch of 10**; each map is un-mirrored and put back at its place. The
# crops do not cover the photo evenly: the centre is seen by all 10, the corners by 2. A plain average of 2 maps is
# noisier than one of 10, so it gives the map a bright frame, where the pointing game then finds its maximum.
# `helpers.ten_crop_saliency` therefore scales each pixel's deviation from the maps' mean by
# $\sqrt{k/10}$ ($k$: the crops covering it), which gives every pixel the spread of a 10-map average and leaves the
# centre as the plain average has it. You implement the plain average in exercise 2.

# %% tags=["photo"]
photo = helpers.load_image("chelsea")
crops = V.ten_crop_boxes(PHOTO_MODEL, photo.shape)

def timed(f):
    # seconds of one call of f, after an untimed warm-up call (a first call also pays for memory and kernel set-up)
    f(); sync()
    t0 = time.perf_counter(); out = f(); sync()
    return out, time.perf_counter() - t0

single, t_single = timed(lambda: S.image_saliency(PHOTO_MODEL, photo, "tabby"))
ten, t_ten = timed(lambda: S.ten_crop_saliency(PHOTO_MODEL, photo, "tabby"))
coverage = V.ten_crop_coverage(PHOTO_MODEL, photo.shape)
aspect = photo.shape[1] / photo.shape[0]
fig, axes = plt.subplots(2, 2, figsize=(2 * PANEL * aspect, 2 * PANEL + 0.6))
axes = axes.flat
axes[0].imshow(photo); axes[0].set_title("the 5 crop boxes (each also mirrored)")
for k, (crop, colour) in enumerate(zip(crops[:5], ["red", "orange", "yellow", "cyan", "lime"])):
    x0, y0, x1, y1 = (round(v) for v in crop.box)   # each box inset by a few pixels more, so no edge hides another
    draw_box(axes[0], [x0 + 3 * k, y0 + 3 * k, x1 - 3 * k, y1 - 3 * k], color=colour, lw=2)
shown_cov = axes[1].imshow(coverage, cmap="viridis", vmin=0, vmax=10); axes[1].set_title("crops covering each pixel")
fig.colorbar(shown_cov, ax=axes[1], fraction=0.035, ticks=sorted(set(coverage.flat)))
for ax, m, title in zip(axes[2:], [single, ten], ["saliency, single pass", "saliency, 10-crop, equal-variance"]):
    ax.imshow(normalize_map(clip99(m)), cmap="gray", vmin=0, vmax=1); ax.set_title(title)
for ax in axes:
    ax.axis("off")
fig.tight_layout()
# the reference: the single pass of the mirrored photo, flipped back (the same image content, shifted speckle)
mirrored = S.image_saliency(PHOTO_MODEL, np.ascontiguousarray(photo[:, ::-1]), "tabby")[:, ::-1]
rho_crops, rho_mirror = mask_eval.rank_correlation(single, ten), mask_eval.rank_correlation(single, mirrored)
print(f"on {PHOTO_MODEL.device.type}, after a warm-up call: single pass {t_single:.2f} s, 10 crops in one batch {t_ten:.2f} s")
print(f"rank correlation of the single pass with the 10-crop average {rho_crops:.2f}, with its mirrored photo's map {rho_mirror:.2f}")
claim("the single pass is not a stable map: flipping the photo changes it at least as much as replacing it by the 10-crop "
      "average does", rho_mirror <= rho_crops, f"{rho_mirror:.2f} vs {rho_crops:.2f}");

# %% tags=["photo"]
# NBVAL_CHECK_OUTPUT
# the same ten crop maps, averaged plainly (the paper, exercise 2) and by helpers.ten_crop_saliency (equal variance)
tc = V.ten_crops(PHOTO_MODEL, photo)
crop_maps = S.saliency_map(PHOTO_MODEL, tc.batch, "tabby").cpu().numpy()
crop_maps = np.concatenate([crop_maps[:5], crop_maps[5:, :, ::-1]])   # un-mirror
work_cov = V.crop_coverage(tc.offsets, crop_maps.shape[-2:], tc.work_hw)
estimates = {"plain average (paper)": V.paste_average(crop_maps, tc.offsets, tc.work_hw),
             "equal-variance (ours)": V.equal_variance_average(crop_maps, tc.offsets, tc.work_hw)}
print(f"{'99th percentile / fully covered':<34}" + "".join(f"{f'{k} of 10 crops':>16}" for k in (2, 4, 6)) + f"{'all partly':>12}")
frame_ratio = {}
for name, est in estimates.items():
    full = np.percentile(est[work_cov == 10], 99)
    frame_ratio[name] = np.percentile(est[work_cov < 10], 99) / full
    print(f"{name:<34}" + "".join(f"{np.percentile(est[work_cov == k], 99) / full:>16.1f}" for k in (2, 4, 6)) + f"{frame_ratio[name]:>12.1f}")
# For crop maps with equal, independent noise the ratio would be 1; mirrored pairs are correlated, so some excess
# remains. 1.25 is a quarter above 1, well under the sqrt(10/2) = 2.2 of a plain 2-map average.
claim("on chelsea the plain average gives partly covered pixels a larger 99th percentile than fully covered ones "
      "(over 1.25x)", frame_ratio["plain average (paper)"] > 1.25)
claim("on chelsea the equal-variance average keeps it within 1.25x", frame_ratio["equal-variance (ours)"] < 1.25);

# %% tags=["photo"]
# the same "all partly" ratio on this notebook's other photos, each explained for its own top-1 class


def partly_covered_ratio(crop_maps: np.ndarray, crops: V.TenCrops, average) -> float:
    """99th percentile of the partly covered pixels over that of the fully covered ones, for one 10-crop average."""
    est = average(crop_maps, crops.offsets, crops.work_hw)
    cover = V.crop_coverage(crops.offsets, crop_maps.shape[-2:], crops.work_hw)
    return float(np.percentile(est[cover < 10], 99) / np.percentile(est[cover == 10], 99))


averages = {"plain average (paper)": V.paste_average, "equal-variance (ours)": V.equal_variance_average}
ratios = {k: [] for k in averages}
print(f"{'photo, top-1 class':<36}" + "".join(f"{k:>24}" for k in averages))
for photo_name in ("chelsea", "coffee", "coco_370", "coco_540", "coco_629", "coco_599"):
    other_photo = helpers.load_image(photo_name)
    top1 = int(V.whole_image_scores(PHOTO_MODEL, other_photo).argmax())
    other_crops = V.ten_crops(PHOTO_MODEL, other_photo)
    m = S.saliency_map(PHOTO_MODEL, other_crops.batch, top1).cpu().numpy()
    m = np.concatenate([m[:5], m[5:, :, ::-1]])   # un-mirror
    for k, average in averages.items():
        ratios[k].append(partly_covered_ratio(m, other_crops, average))
    print(f"{photo_name + ', ' + PHOTO_MODEL.categories[top1][:24]:<36}" + "".join(f"{ratios[k][-1]:>24.2f}" for k in averages))
for k, r in ratios.items():
    over = sum(v > 1.25 for v in r)
    lo, hi = wilson_interval(over, len(r))
    print(f"{k}: over 1.25 on {over} of {len(r)} photos (95% Wilson [{lo:.0%}, {hi:.0%}])")

# %% [markdown]
# *What you should see:* the coverage map (2 crops in the corners, 10 in the centre) and a 10-crop average smoother
# than the single pass, at the price of 10 passes. On chelsea the table shows the plain average's bright frame and
# that the equal-variance average reduces it, not on every photo (second table).

# %% [markdown]
# ## How well do saliency maps find the object? Measured on held-out toy images · 5 min
#
# Scores against the exact object mask (`helpers.evaluation.masks`): the **share of saliency mass inside the mask**,
# its rank-based **AUC** (0.5 = chance), and the **pointing game** (Zhang et al. 2016: is the map's maximum on the
# object?) at two tolerances: 0.5 px (the peak pixel itself) and TorchRay's 15 px at 224 px scaled to the toy size.
# Baselines: a uniform map, the centre pixel, the image's edges (Sobel, raw and blurred), the CNN with random weights.

# %%
import cv2


def sobel_edges(images: np.ndarray) -> np.ndarray:
    """Edge strength of each uint8 image (N,H,W,3) -> (N,H,W): Sobel gradient magnitude, max over colour channels.

    OpenCV's default border (reflected) gives the frame no edge of its own, as the image has none there.
    """
    def one(image):
        g = image.astype(np.float32) / 255
        return np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)).max(axis=2)
    return np.stack([one(image) for image in images])


def blurred(maps: np.ndarray, sigma: float = 2.0) -> np.ndarray:
    """Each map of (N,H,W) smoothed by a Gaussian of `sigma` px: plain smoothing, the rival of averaging many maps."""
    return np.stack([cv2.GaussianBlur(np.asarray(m, np.float32), (0, 0), sigma) for m in maps])


def p_text(p):
    """A sign test's p-value as printed: three decimals, or < 0.001."""
    return f"p = {p:.3f}" if p >= 0.001 else "p < 0.001"


toy_masks, labels = heldout.masks, heldout.labels.tolist()
t0 = time.perf_counter()
ten_maps = {avg: S.ten_crop_saliency_many(toy, heldout.images, labels, average=avg) for avg in ("plain", "equal_variance")}
t_ten_toy = time.perf_counter() - t0
random_toy = rand_eval.randomize_top_layers(toy, len(rand_eval.parameterized_layers(toy.model)), seed=0)
centre_point = np.zeros_like(maps)
centre_point[:, maps.shape[1] // 2, maps.shape[2] // 2] = 1   # one pixel at the centre: its maximum
centre_k, edges_k, single_pass = "centre pixel (no network)", "Sobel edges (no network)", "saliency, single pass"
edges_blur, single_blur = "Sobel, blurred 2 px (no network)", "single pass, blurred 2 px"
random_k, plain, equal = "saliency, random-weight CNN", "10-crop, plain average (paper)", "10-crop, equal-variance (ours)"
edges = sobel_edges(heldout.images)
toy_maps = {centre_k: centre_point, edges_k: edges, edges_blur: blurred(edges),
            random_k: S.saliency_map(random_toy, xt, labels).cpu().numpy(),
            single_pass: maps, single_blur: blurred(maps), plain: ten_maps["plain"], equal: ten_maps["equal_variance"]}
area = toy_masks.mean(axis=(1, 2))
mass = {k: mask_eval.mass_inside_mask(m, toy_masks) for k, m in toy_maps.items()}
auc = {k: mask_eval.mask_auc(m, toy_masks) for k, m in toy_maps.items() if k != centre_k}
# Fixed before the run: 0.5 px counts the peak pixel only if it is in the mask; the wide tolerance is TorchRay's
# 15 px on 224-px images, scaled to the toy images' size (gradient and edge maps peak on the outline, often 1 px out).
WIDE_TOL = 15 * heldout.images.shape[1] / 224
hits = {k: mask_eval.pointing_hit(m, toy_masks, tolerance=0.5) for k, m in toy_maps.items()}
hits_wide = {k: mask_eval.pointing_hit(m, toy_masks, tolerance=WIDE_TOL) for k, m in toy_maps.items()}

# %%
n_toy = len(heldout)
print(f"{n_toy} held-out toy images; the object covers {area.mean():.1%} of the pixels on average; "
      f"10 crops x 2 averages: {t_ten_toy:.0f} s")
def hit_text(h):
    """k/n = rate [95% Wilson interval] of one map's pointing hits."""
    wl, wh = wilson_interval(int(h.sum()), len(h))
    return f"{int(h.sum()):>3}/{len(h)} = {h.mean():.0%} [{wl:.0%}, {wh:.0%}]"


print(f"{'':<33}{'mass inside mask [95%]':>23}{'> uniform':>10}{'AUC [95%]':>20}"
      f"{'pointing, 0.5 px':>28}{f'pointing, {WIDE_TOL:.1f} px':>28}")
print(f"{'uniform map':<33}{area.mean():>7.1%}{'':>26}{0.5:>7.2f}{'':>13}{area.mean():>14.1%} (the mask's area)")
for k in toy_maps:
    m, lo, hi = mean_interval(mass[k])
    mass_text = f"{m:>7.1%} [{lo:.1%}, {hi:.1%}]{int((mass[k] > area).sum()):>6}/{n_toy}" if k != centre_k else " " * 33
    auc_text = "{:>7.2f} [{:.2f}, {:.2f}]".format(*mean_interval(auc[k])) if k != centre_k else ""
    print(f"{k:<33}{mass_text}{auc_text:>20}{hit_text(hits[k]):>28}{hit_text(hits_wide[k]):>28}")


def split(h, a, b):
    """Pointing hits of map b only and of map a only (the split pairs), and the exact sign test's p-value."""
    b_only, a_only = int((h[b] & ~h[a]).sum()), int((h[a] & ~h[b]).sum())
    return b_only, a_only, sign_test(b_only, a_only)


def versus(a, b):
    """Paired comparison of map a with map b on the same images: mass change b - a, and the split pairs at 0.5 px."""
    return (mean_interval(mass[b] - mass[a]), *split(hits, a, b))


comparisons = [(edges_k, single_pass), (centre_k, edges_k), (centre_k, single_pass), (random_k, single_pass),
               (single_pass, plain), (single_pass, equal), (single_blur, plain), (centre_k, plain), (centre_k, equal)]
comparisons += [(k, edges_blur) for k in toy_maps if k not in (edges_blur, centre_k, edges_k)]
paired = {(a, b): versus(a, b) for a, b in comparisons + [(centre_k, edges_blur), (edges_k, edges_blur)]}
paired_wide = {(a, b): split(hits_wide, a, b) for a, b in paired}
over_uniform = mean_interval(mass[single_pass] - area)   # a uniform map puts the mask's area inside the mask
squared = mean_interval(mask_eval.mass_inside_mask(maps**2, toy_masks) - mask_eval.mass_inside_mask(edges**2, toy_masks))
auc_lead = mean_interval(auc[single_pass] - auc[edges_k])
print(f"\npaired, {n_toy} images: B minus A{'mass in mask [95%]':>47}{'only B hits / only A hits, sign test: 0.5 px':>48}"
      f"{f'{WIDE_TOL:.1f} px':>22}")
print(f"  B {single_pass:<33} A {'uniform map':<30}{'{:+.1%} [{:+.1%}, {:+.1%}]'.format(*over_uniform):>24}")
for a, b in comparisons:
    (d, lo, hi), b_only, a_only, p = paired[a, b]
    wb, wa, wp = paired_wide[a, b]
    mass_text = f"{d:+.1%} [{lo:+.1%}, {hi:+.1%}]" if a != centre_k else ""
    print(f"  B {b:<33} A {a[:30]:<30}{mass_text:>24}   {b_only:>5} / {a_only:<5} {p_text(p):<12}"
          f"{wb:>5} / {wa:<5} {p_text(wp)}")
print(f"single pass minus Sobel edges: mass of the squared maps {'{:+.1%} [{:+.1%}, {:+.1%}]'.format(*squared)}, "
      f"AUC {'{:+.3f} [{:+.3f}, {:+.3f}]'.format(*auc_lead)}")

# %%
# NBVAL_CHECK_OUTPUT
# fixed in advance: a mass change counts when its paired 95% interval excludes 0, a pointing lead when the exact
# sign test on the split pairs gives p < 0.05 (the conventional level)
mass_up = lambda a, b: paired[a, b][0][1] > 0
mass_down = lambda a, b: paired[a, b][0][2] < 0
won = lambda split_pairs: split_pairs[-1] < 0.05 and split_pairs[-3] > split_pairs[-2]   # b hits more often than a
lead = lambda a, b: won(paired[a, b])
lead_wide = lambda a, b: won(paired_wide[a, b])
behind = lambda a, b: paired[a, b][3] < 0.05 and paired[a, b][1] < paired[a, b][2]
claim("the single pass puts more of its mass inside the mask than a uniform map", over_uniform[1] > 0)
claim("on raw magnitudes the single pass puts more of its mass inside the mask than the Sobel edge map",
      mass_up(edges_k, single_pass))
claim("on squared maps the two tie (interval contains 0)", squared[1] <= 0 <= squared[2])
claim("by AUC the single pass leads the Sobel edge map (interval above 0)", auc_lead[1] > 0)
claim("at 0.5 px the single pass is behind the centre pixel in the pointing game", behind(centre_k, single_pass))
claim(f"at {WIDE_TOL:.1f} px it is ahead of the centre pixel: the verdict on the centre depends on the tolerance",
      lead_wide(centre_k, single_pass))
claim("the random-weight CNN's maps are weaker than the trained single pass but still above a uniform map",
      mean_interval(mass[random_k] - area)[1] > 0 and mass_up(random_k, single_pass))
claim(f"at 0.5 px the trained single pass does not beat the random-weight CNN; at {WIDE_TOL:.1f} px it does",
      not lead(random_k, single_pass) and lead_wide(random_k, single_pass))
claim("at 0.5 px the blurred Sobel map (no network) beats every other map in the pointing game",
      all(lead(k, edges_blur) for k in toy_maps if k != edges_blur))
lost = lambda split_pairs: split_pairs[-1] < 0.05 and split_pairs[-3] < split_pairs[-2]   # a hits more often than b
claim(f"at {WIDE_TOL:.1f} px no map beats it", not any(lost(paired_wide[k, edges_blur]) for k in toy_maps if k != edges_blur))
claim("the paper's plain 10-crop average leaves the mass inside the mask unchanged (interval contains 0)",
      not mass_up(single_pass, plain) and not mass_down(single_pass, plain))
claim("the equal-variance 10-crop average lowers it (interval below 0): an effect of our estimator",
      mass_down(single_pass, equal))
for k in (plain, equal):
    claim(f"at 0.5 px {k} wins the pointing game more often than the single pass", lead(single_pass, k))
    claim(f"at 0.5 px {k} does not beat the centre pixel", not lead(centre_k, k))
claim("a 2-px blur of the single pass does as well: the plain 10-crop average does not beat it at either tolerance",
      not lead(single_blur, plain) and not lead_wide(single_blur, plain));

# %% [markdown]
# *What you should see:* the gradient beats a uniform map and, by AUC, the image's edges; the blurred edges (no
# network) are the pointing baseline no map beats, and the centre pixel's verdict depends on the tolerance. The 10-crop
# averages point better than the single pass, but so does a 2-px blur of it.

# %% [markdown]
# ## Measured on real photos: the pointing game on COCO · 10 min
#
# The TorchRay benchmark's protocol (Fong et al. 2019, after Zhang et al. 2016): for every (photo, category) pair,
# explain the category's class; a **hit** when the map's maximum lies closer than **15 px** to that category's mask
# (exercise 3). The **centre baseline** points at the image centre; a uniform map's mass in the mask is the mask's
# share of the frame. Categories with no ImageNet class (person, giraffe, ...) are left out.

# %% tags=["photo"]
from helpers.evaluation.pointing import evaluate_pointing

t0 = time.perf_counter()
pointing = {method: evaluate_pointing(PHOTO_MODEL, method) for method in ("single", "ten_crop")}
print(f"{pointing['single'].n} (photo, category) pairs on {len({p.photo for p in pointing['single'].pairs})} photos, "
      f"{time.perf_counter() - t0:.0f} s")

# %% tags=["photo"]
single, ten_crop = pointing["single"], pointing["ten_crop"]
def rate_text(hits, n):
    """k/n = rate [95% Wilson interval]."""
    lo, hi = wilson_interval(hits, n)
    return f"{hits:>3}/{n} = {hits / n:.0%} [{lo:.0%}, {hi:.0%}]"


def mass_gain(r):
    """Per pair, mass in the mask minus the mask's share of the frame (what a uniform map puts there): mean, 95%."""
    return mean_interval([p.mass_in_mask - p.mask_fraction for p in r.pairs])


print(f"{PHOTO_MODEL.name}, {single.n} pairs{'pointing game [Wilson 95%]':>40}{'mass in mask':>14}{'minus uniform, paired [95%]':>30}")
print(f"{'centre baseline':<35}{rate_text(single.centre_hits, single.n):>30}")
print(f"{'uniform map':<35}{'':>30}{single.mean_mask_fraction:>14.1%}")
for label, r in (("saliency, single pass", single), ("saliency, 10-crop, equal-variance", ten_crop)):
    d, lo, hi = mass_gain(r)
    print(f"{label:<35}{rate_text(r.hits, r.n):>30}{r.mean_mass_in_mask:>14.1%}{f'{d:+.1%} [{lo:+.1%}, {hi:+.1%}]':>30}")


only_ten = sum(p.hit and not p.centre_hit for p in ten_crop.pairs)
only_centre = sum(p.centre_hit and not p.hit for p in ten_crop.pairs)
only_ten_vs_single = sum(t.hit and not s.hit for t, s in zip(ten_crop.pairs, single.pairs))
only_single = sum(s.hit and not t.hit for t, s in zip(ten_crop.pairs, single.pairs))
p_centre, p_single = sign_test(only_ten, only_centre), sign_test(only_ten_vs_single, only_single)
print(f"10 crops vs centre, pair by pair: only the map hits {only_ten}, only the centre hits {only_centre}: sign test p = {p_centre:.2f}")
print(f"10 crops vs single pass:          only 10 crops hit {only_ten_vs_single}, only the single pass hits {only_single}: p = {p_single:.2f}")

# %% tags=["photo"]
# NBVAL_CHECK_OUTPUT
# a lead counts only if the exact sign test on the discordant pairs gives p < 0.05 (the conventional level, fixed in advance)
claim("on these pairs the 10-crop maps' lead over the centre baseline is beyond chance (two-sided sign test, p < 0.05)",
      p_centre < 0.05, f"{ten_crop.hits} vs {ten_crop.centre_hits} hits of {ten_crop.n}, p = {p_centre:.2f}")
claim("on these pairs the 10-crop maps' lead over the single pass is beyond chance (p < 0.05)", p_single < 0.05,
      f"{ten_crop.hits} vs {single.hits} hits, p = {p_single:.2f}")
claim("both maps put more of their mass inside the masks than a uniform map would (paired 95% interval above 0)",
      min(mass_gain(single)[1], mass_gain(ten_crop)[1]) > 0)
print("published (TorchRay benchmark, Fong et al. 2019), raw-gradient saliency with VGG16 fine-tuned on each data set:")
print("  VOC07 test 76.3% (centre baseline 69.6%); COCO14 val 37.7% (centre baseline 27.8%)")

# %% [markdown]
# *What you should see:* hits of each map against the centre baseline, pair by pair, and mass in the masks against a
# uniform map. The sign test uses only the pairs where exactly one method hits; with a few dozen pairs a lead of a few
# hits is within chance.

# %% [markdown]
# **On more photos.** The same game on every (photo, category) pair of the COCO128 photos (not bundled with the
# course; EfficientNet-Lite0), by object size, with 95% Wilson intervals: at TorchRay's 15 px, and at 0 px (the
# maximum inside the object's mask). Stored by `benchmarks/photo_cv_protocol.py`.

# %% tags=[]
from helpers.evaluation import photo_localization as photo_eval

pointing_all = photo_eval.photo_benchmark()["pointing_all"]
print(photo_eval.pointing_table("15px"))
print()
print(photo_eval.pointing_table("0px"))
print()
print(photo_eval.pointing_recognition_table("15px"))
print()
print(photo_eval.pointing_recognition_table("0px"))

# %%
# NBVAL_CHECK_OUTPUT
def p_text(p):
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"


paired_all = pointing_all["paired"]
comparisons = ("ten_crop vs centre", "ten_crop vs single", "smoothgrad vs centre", "gradcam vs centre", "gradcam_tta vs smoothgrad")
for name in comparisons:
    for tol in ("15px", "0px"):
        cells = [f"{part} {t['wins']}/{t['losses']} ({p_text(t['sign_test_p'])})" for part, t in paired_all[name][tol].items()]
        print(f"{name:<25} {tol:>4}, wins/losses: " + "; ".join(cells))
selection = paired_all["ten_crop vs centre, pairs of the 44 chosen photos / the others"]
print(f"10-crop vs centre at 15 px on the pairs of the 44 one-object photos {selection['chosen']['wins']}/{selection['chosen']['losses']} "
      f"({p_text(selection['chosen']['sign_test_p'])}), on the other pairs {selection['others']['wins']}/{selection['others']['losses']} "
      f"({p_text(selection['others']['sign_test_p'])})")
rec = pointing_all["recommended_map"]
held = rec["gradient_maps"]
print(f"photo_saliency's map, chosen on 3 of 4 folds of photos each time: {', '.join(held['chosen_per_fold'])}; held out "
      f"vs the centre point: 15 px {held['vs_centre_15px']['wins']}/{held['vs_centre_15px']['losses']}, "
      f"0 px {held['vs_centre_0px']['wins']}/{held['vs_centre_0px']['losses']}")


def beyond_chance(t):
    """A paired lead counts when the exact sign test on the discordant pairs gives p < 0.05 (the conventional level)."""
    return t["wins"] > t["losses"] and t["sign_test_p"] < 0.05


ten_centre, ten_single = paired_all["ten_crop vs centre"], paired_all["ten_crop vs single"]
claim("on all pairs the 10-crop map beats the single pass beyond chance, at 15 px and at 0 px",
      beyond_chance(ten_single["15px"]["all"]) and beyond_chance(ten_single["0px"]["all"]))
claim("the 10-crop map beats the centre point beyond chance on masks of 2-10% of the frame (15 px and 0 px), "
      "not on masks >= 10% of the frame, nor at 15 px on masks < 2%",
      all(beyond_chance(ten_centre[t]["2%-10%"]) and not beyond_chance(ten_centre[t][">= 10%"]) for t in ("15px", "0px"))
      and not beyond_chance(ten_centre["15px"]["< 2%"]))
claim("on all pairs the 10-crop map's lead over the centre point is beyond chance at 0 px, not at 15 px",
      beyond_chance(ten_centre["0px"]["all"]) and not beyond_chance(ten_centre["15px"]["all"]))
seen = pointing_all["by_recognition"]["in_top5"]["15px"]
claim(f"on the {pointing_all['by_recognition']['in_top5']['n']} pairs whose class is in the model's top 5, SmoothGrad and "
      "Grad-CAM beat the centre point beyond chance at 15 px, the 10-crop map does not",
      beyond_chance(seen["smoothgrad"]["vs_centre"]) and beyond_chance(seen["gradcam"]["vs_centre"])
      and not beyond_chance(seen["ten_crop"]["vs_centre"]))
claim("on the pairs of the 44 one-object photos the 10-crop map does not beat the centre point, on the others it does",
      not beyond_chance(selection["chosen"]) and beyond_chance(selection["others"]))
claim("photo_saliency's map (the one chosen on the training folds) beats the centre point on the held-out pairs, 15 px and 0 px",
      helpers.photos.PHOTO_METHOD == rec["recommended"]
      and beyond_chance(held["vs_centre_15px"]) and beyond_chance(held["vs_centre_0px"]))
tta_sg = paired_all["gradcam_tta vs smoothgrad"]
claim("it beats the centre, but it is not the best map: Grad-CAM over the mirror and two sizes (4 passes, SmoothGrad 8) "
      f"wins more pairs than SmoothGrad at 15 px ({p_text(tta_sg['15px']['all']['sign_test_p'])}) and at 0 px "
      f"({p_text(tta_sg['0px']['all']['sign_test_p'])}), beyond chance at 0 px only",
      all(tta_sg[t]["all"]["wins"] > tta_sg[t]["all"]["losses"] for t in ("15px", "0px"))
      and beyond_chance(tta_sg["0px"]["all"]) and not beyond_chance(tta_sg["15px"]["all"]));

# %% [markdown]
# ## Optional: The model-randomization sanity check · 10 min
#
# Adebayo et al. (2018) asked whether a saliency method explains the *model* or just the image (edges would also
# look "object-like"). Re-initialise the top $n$ weight layers (`helpers.evaluation.randomization.randomize_top_layers`, a copy; the
# original is untouched), recompute the maps, and measure their Spearman rank correlation with the trained model's
# maps (`rank_correlation`). A method that depends on what the model learned should drop.

# %%
# The toy CNN's last convolution works at stride 8, so its zero padding reaches 8 px into the image: the band left
# out when the maps are compared inside the border (fixed from the architecture, before the run).
MARGIN = 8
frames = {"whole frame": 0, f"inside the {MARGIN}-px border": MARGIN}
layers = [name for name, _ in rand_eval.parameterized_layers(toy.model)]
t0 = time.perf_counter()
rhos = {f: [] for f in frames}   # per image: rank correlation with the trained map, top n layers random
for n in range(1, len(layers) + 1):
    rmaps = S.saliency_map(rand_eval.randomize_top_layers(toy, n, seed=0), xt, labels).cpu().numpy()
    for f, margin in frames.items():
        rhos[f].append(rand_eval.rank_correlations(maps, rmaps, margin=margin))
all_random = rmaps   # all layers random: the random-weight CNN of the toy table
other = lambda a: np.roll(a, 1, axis=0)   # pair each image's map with the next image's
trained_other = {f: rand_eval.rank_correlations(maps, other(maps), margin=m) for f, m in frames.items()}
random_other = {f: rand_eval.rank_correlations(maps, other(all_random), margin=m) for f, m in frames.items()}
t_random = time.perf_counter() - t0

# %%
print(f"mean rank correlation with the trained maps, {len(maps)} held-out images ({t_random:.0f} s)")
print(f"{'':<54}" + "".join(f"{f:>26}" for f in frames))
rows = [(f"top {n + 1} layer(s) re-initialised", [rhos[f][n] for f in frames]) for n in range(len(layers))]
rows += [("reference: trained maps of two different images", list(trained_other.values())),
         ("reference: all-random map, another image's trained map", list(random_other.values()))]
for name, values in rows:
    print(f"  {name:<52}" + "".join(f"{v.mean():>26.3f}" for v in values))
print("paired over images, all layers random minus the reference (mean [95% interval]):")
for f in frames:
    for name, ref in (("two different images", trained_other[f]), ("random map, another image", random_other[f])):
        d, lo, hi = mean_interval(rhos[f][-1] - ref)
        print(f"  {f:<26} vs {name:<26} {d:+.3f} [{lo:+.3f}, {hi:+.3f}]")

# %%
# NBVAL_CHECK_OUTPUT
print("toy CNN weight layers, top first:", ", ".join(reversed(layers)))
# fixed in advance: a difference counts when its paired 95% interval excludes 0
below = lambda a, b: mean_interval(a - b)[2] < 0   # a lower than b, image by image
above = lambda a, b: mean_interval(a - b)[1] > 0
for f in frames:
    claim(f"{f}: the correlation falls with every further layer re-initialised",
          all(below(b, a) for a, b in zip(rhos[f], rhos[f][1:])))
claim("whole frame: with all layers random the maps agree with the trained maps less than two trained maps of different "
      "images agree", below(rhos["whole frame"][-1], trained_other["whole frame"]))
inside = f"inside the {MARGIN}-px border"
claim(f"{inside}: the all-random map agrees more with the same image's trained map than with another image's: it follows "
      "the image", above(rhos[inside][-1], random_other[inside]));

# %%
fig, axes = plt.subplots(1, 3, figsize=(3 * PANEL, PANEL + 0.3))
for j, ax in enumerate(axes):   # the same three images and display as the toy-world figure above
    ax.imshow(normalize_map(clip99(all_random[j])), cmap="gray"); ax.set_title(f"all layers random: {heldout.class_names()[j]}")
    ax.contour(heldout.masks[j], levels=[0.5], colors="lime", linewidths=1.5); ax.axis("off")
fig.tight_layout()

# %% [markdown]
# *What you should see:* the trained CNN's maps of these three images (the toy-world figure above, same display) are
# concentrated on and around each shape; with all six layers random they are weaker, but still above a uniform map
# (the toy table's random-weight row).
# The correlation with the trained maps falls as more layers are randomized, from the top layer alone to all six: the
# maps do depend on what the model learned, the property the test asks for. The checks say whether it falls at every
# step and how far it falls on your run.
#
# Why does it not fall to 0? Over the whole frame, part of every map is a border band that neither the image nor the
# weights decide (pixels near the border reach fewer units through the padded convolutions): trained maps of two
# *different* images share it, and the all-random level ends below theirs. Leave the border out and the all-random
# maps still agree more with the same image's trained maps than with another image's. A network with no learned weights keeps following the image (its edges), the part
# of the map Adebayo et al. warn about; what the learned weights add is the drop from the top layer to all six.

# %% [markdown]
# ## Optional: SmoothGrad · 5 min
#
# SmoothGrad (Smilkov et al. 2017) averages the map over noisy copies of the image,
# $\hat M = \frac{1}{n}\sum_k M(I + \epsilon_k)$, $\epsilon_k \sim \mathcal{N}(0, \sigma^2)$ with $\sigma$ = 15% of the
# image's value range (`helpers.saliency.smoothgrad`). Smilkov et al. explain its sharper-looking maps by the
# gradient's sharp local fluctuations averaging out; this notebook does not measure that mechanism, only what the
# average changes against the toy masks.

# %% tags=["photo"]
photo = helpers.load_image("coffee")
xc = PHOTO_MODEL.preprocess(photo)
plain = S.saliency_map(PHOTO_MODEL, xc, "espresso")[0]
smooth = S.smoothgrad(PHOTO_MODEL, xc, "espresso", n_samples=12, batch_size=6)[0]
fig = show_saliency([PHOTO_MODEL.deprocess(xc)] * 2, [clip99(plain), clip99(smooth)], ["espresso", "espresso"], per_row=1, size=PANEL)
name_maps(fig, ["saliency, single pass (Eq. 4)", "SmoothGrad, 12 samples"])

# %%
t0 = time.perf_counter()
toy_maps["SmoothGrad, 10 samples"] = S.smoothgrad(toy, xt, labels, n_samples=10, batch_size=750).cpu().numpy()
t_sg = time.perf_counter() - t0
sg = "SmoothGrad, 10 samples"
mass[sg], hits[sg] = mask_eval.mass_inside_mask(toy_maps[sg], toy_masks), mask_eval.pointing_hit(toy_maps[sg], toy_masks, tolerance=0.5)
for a, b in ((single_pass, sg), (centre_k, sg)):
    paired[a, b] = versus(a, b)
m, lo, hi = mean_interval(mass[sg])
wl, wh = wilson_interval(int(hits[sg].sum()), n_toy)
print(f"SmoothGrad on the {n_toy} held-out toy images ({t_sg:.0f} s): mass inside mask {m:.1%} [{lo:.1%}, {hi:.1%}], "
      f"pointing game {int(hits[sg].sum())}/{n_toy} = {hits[sg].mean():.0%} [{wl:.0%}, {wh:.0%}]")
for a, b in ((single_pass, sg), (centre_k, sg)):
    (d, lo, hi), b_only, a_only, p = paired[a, b]
    mass_text = f"mass {d:+.1%} [{lo:+.1%}, {hi:+.1%}]; " if a == single_pass else ""
    print(f"  SmoothGrad vs {a}: {mass_text}only SmoothGrad hits {b_only}, only the other {a_only}, sign test {p_text(p)}")

# %%
# NBVAL_CHECK_OUTPUT
claim("on the toy images SmoothGrad puts less of its mass inside the mask than the single pass (95% interval below 0)",
      mass_down(single_pass, sg))
claim("on the toy images SmoothGrad wins the pointing game more often than the single pass (sign test, p < 0.05)",
      lead(single_pass, sg))
claim("SmoothGrad does not beat the centre pixel in the pointing game", not lead(centre_k, sg));

# %% [markdown]
# *What you should see:* SmoothGrad's map of the espresso looks smoother than the single pass (most visibly on
# EfficientNet-Lite0, whose single pass is speckle). On the toy images it points at the object more often than the
# single pass yet puts less of its mass inside the mask, and the checks say whether it beats the centre pixel: a map
# that looks more object-like is not thereby more concentrated on the object.

# %% [markdown]
# ## Optional: Explore · 5 min
#
# Choose a photo, one of its top-5 classes, single pass or 10 crops (the equal-variance average), and a colour map.
# (10 crops take a few seconds on a CPU; results are cached.)

# %% tags=["photo"]
explorer = helpers.saliency_explorer(PHOTO_MODEL)
explorer.widget

# %% [markdown]
# ## Exercises
#
# **1 · Saliency from a model.** Write `saliency_from_model(model, x, targets)`: `model` is a bare `torch.nn.Module`
# (like `toy.model`, not the `Classifier` `toy`: call `model(x)`), `x` a float tensor of shape `(N, 3, H, W)` on the
# model's device, `targets` a list of `N` ints (one class per image). Return the paper's maps, a tensor of shape
# `(N, H, W)`: the gradient of each image's class **score** (the logit, Eq. 4) by `torch.autograd.grad`, then the
# maximum of its absolute value over the colour channels. Leave `x` as it was (its values, `requires_grad` and
# `.grad`: work on `x.detach().clone().requires_grad_(True)`) and leave no `.grad` on the model: the check's model
# has trainable weights, so `.backward()` would fill their `.grad`.

# %%
from helpers.exercises import saliency as ex


def saliency_from_model(model, x, targets):
    # your code here
    return None


# %%
print(ex.check_saliency_from_model(saliency_from_model))


# %% [markdown]
# **2 · The 10-crop average.** Write `ten_crop_average(maps, offsets, work_hw)`: `maps` is a float NumPy array
# `(10, S, S)` of the 10 crop maps, the last five computed on **mirrored** crops; `offsets[k]` is the `(top, left)`
# (two ints) of crop `k` in the working image of size `work_hw = (H, W)`. Undo the mirror, paste each map at its
# place, and divide each pixel by the number of crops that cover it; return a float `(H, W)` array.

# %%
def ten_crop_average(maps, offsets, work_hw):
    # your code here
    return None


# %%
print(ex.check_ten_crop_average(ten_crop_average))


# %% [markdown]
# **3 · The pointing game with a tolerance.** Write `pointing_hit(saliency, mask, tolerance)`: `saliency` is a float
# `(H, W)` array, `mask` a bool `(H, W)` array, `tolerance` a number of pixels; return `True` when the map's maximum
# is **closer than** `tolerance` pixels to the object, that is at a Euclidean distance **< tolerance** from the nearest
# mask pixel, strictly (so at tolerance 0 nothing is a hit): the TorchRay protocol used above, with 15 px, and
# the rule of `helpers.evaluation.masks.pointing_hit`. Hint: `np.unravel_index(np.argmax(saliency), saliency.shape)` gives
# (row, column); `cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)` gives every
# pixel's exact distance to the object.

# %%
def pointing_hit(saliency, mask, tolerance):
    # your code here
    return None


# %%
print(ex.check_pointing_hit(pointing_hit))

# %% [markdown]
# Worked solutions: `solutions/02_solutions.py`.
#
# ## Check your understanding
#
# Answer with a letter (or a number) in the `check` call and run the cell: the feedback explains the answer.

# %%
ex.Q1

# %%
print(ex.Q1.check("?"))   # your answer: "a", "b" or "c"

# %%
ex.Q2

# %%
print(ex.Q2.check(None))   # your answer: a fraction between 0 and 1 (a number, or a string like "1/4")

# %%
ex.Q3

# %%
print(ex.Q3.check("?"))   # your answer: "a", "b" or "c"

# %% [markdown]
# ## Takeaways
#
# 1. The paper's saliency is one backward pass, $w = \partial S_c/\partial I$ (Eq. 4), then the maximum of $|w|$ over
#    the colour channels: the class score's sensitivity to each pixel, not each pixel's contribution.
# 2. Against exact toy masks, raw gradients beat a uniform map and, by AUC, the image's edges, but they are not
#    segmentations; in the pointing game no map beats the image's own blurred edges (no network), and the verdict
#    on the centre depends on the tolerance.
# 3. The 10-crop average smooths the speckle at the price of 10 passes; on toy images a 2-px blur of one pass does as
#    well. The crops cover the frame unevenly, so average so that coverage does not change the noise.
# 4. On COCO photos (stored benchmark) the 10-crop map beats the single pass; against the centre, the choice of
#    photos decides.
# 5. On `coco_599` the remote map beats every unrelated class's map, the cat map does not: compare with such maps.
#    Sanity checks (randomization, with and without the border) are part of the method.

# %% [markdown]
# ## Going further
#
# **Class-specific but not concentrated.** On `coco_599`, maps for classes that have nothing to do with the photo
# also put mass on the cat and the remotes: the unrelated rows are the level a class must beat. The rank correlation of the two maps says how much they share.
#
# **Why the 10-crop average smooths** (a hypothesis, not measured here). Much of a single pass may be speckle that
# depends on where each pixel falls relative to the network's strided layers; shifting and mirroring the crop would
# change it, so the average keeps what is stable. The equal-variance average is exact for crop maps with equal, independent noise; a crop and its mirror share
# content, so their noise is correlated and the corners keep a little excess.
#
# **Reading the pointing game.** One pair moves a rate of a few dozen pairs by several points. The published gap
# (TorchRay: VGG16 fine-tuned on COCO, many thousands of images) was measured with a network trained on COCO's own
# categories; ours is an ImageNet classifier asked through the nearest ImageNet classes, and many pairs are small
# objects (a tie, a spoon) it rarely names. The stored table's rows for the single pass, SmoothGrad and Grad-CAM were
# computed with the same protocol; its 10-crop rows with the equal-variance average.
#
# **VGG16.** With internet, `helpers.load_model("vgg16")` runs every photo cell with the paper's kind of network
# (max-pooling and ReLU); compare its single pass with Lite0's speckle.
