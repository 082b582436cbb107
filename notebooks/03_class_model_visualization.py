# %% [markdown]
# # 03 · Generating an image of a class (class-model visualization)
#
# Simonyan, Vedaldi & Zisserman (2013), Sect. 2: *"Given a learnt classification ConvNet and a class of interest, the visualisation method consists in numerically generating an image, which is representative of the class in terms of the ConvNet class scoring model."*
#
# **Time.** Main line: 35 min (the section headings' minutes add up to it); optional sections: 30 min.
#
# **One-session plan (20 min):** show the objective, the toy class images, the Lite0 class images and the ImageNet gallery of the regularizers section; run live the hand-written loop (tagged `live`); skip the score trajectories, the step-size study, the $\lambda$ grid, the toy regularizers and the optional sections.
#
# **Two-session plan (35 min):** show the whole main line; run live the hand-written loop; skip the optional sections and "Going further" (reading).
#
# Models: the toy CNN (6 shapes, 64 px) and EfficientNet-Lite0 (ImageNet), standing in for the paper's unreleased network.
#
# **Prerequisites.** Notebooks 01–02 (the input gradient by autograd); PyTorch basics.
#
# **Learning goals.** After this notebook you can
# 1. write the paper's class-model objective, Eq. (1), and implement it as gradient ascent on the input, from the mean image;
# 2. read the optimisation's history to choose the step size and $\lambda$, and tell whether it has converged;
# 3. test an explanation of why one method gives different-looking images on two networks, with a control;
# 4. measure how recognisable class images are to a second network of the same family (beyond the paper).
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/saliency-course/deep-inside-convnets/blob/main/notebooks/03_class_model_visualization.ipynb)

# %% [markdown]
# ## The objective (from the paper) · 5 min
#
# Keep the weights fixed and optimise the **input** $I$:
#
# $$I^* = \arg\max_I \; S_c(I) - \lambda \lVert I \rVert_2^2 \qquad (1)$$
#
# - $S_c$ is the **unnormalised** class score (the logit, not the softmax; notebook 04 shows why).
# - Gradient ascent on $I$, started from the **zero image**: for a network trained on mean-subtracted inputs that *is* the training-set mean image (shown with the mean added back).
#
# One SGD step is $I \leftarrow I + \eta\,(\partial S_c/\partial I - 2\lambda I)$. By hand, in 10 lines, on the toy CNN:

# %% tags=["widget-setup", "photo"]
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

# %% tags=["widget-setup", "photo", "live"]
import time

import numpy as np
import torch
import matplotlib.pyplot as plt
from helpers.classvis import class_model_visualization, default_settings
from helpers import toyworld
from helpers.claims import claim
from helpers.course.plotting import PANEL_INCHES, show_images

PROJECTOR_INCHES = 3.9  # ~310 px per panel at the course's figure dpi: readable on a projector, three per row

torch.manual_seed(0)
toy = helpers.load_model("toy")
lr, lam = default_settings(toy)  # the defaults chosen for the paper's plain method on this model
c = toy.class_index("circle")
x = torch.zeros(1, 3, 64, 64, device=toy.device, requires_grad=True)  # the zero image = the mean image
for step in range(200):
    objective = toy.model(x)[0, c] - lam * (x**2).sum()  # Eq. (1): S_c(I) - lambda ||I||^2
    (grad,) = torch.autograd.grad(objective, x)  # d objective / d I (the weights stay untouched)
    with torch.no_grad():
        x += lr * grad  # gradient *ascent*
print(f"lr = {lr}, lambda = {lam}; P(circle) after 200 steps: {toy.model(x).softmax(1)[0, c].item():.3f}")

# %% [markdown]
# What you should see: $P(\text{circle})$ close to 1 after 200 steps.
#
# `helpers.class_model_visualization` runs this loop (with a history, batches of classes, and extras beyond the paper, off by default); it returns `.image` (uint8), `.tensor` (normalised) and `.history`.
#
# ## Every toy class · 6 min
#
# All six classes in one batch, 200 steps of the paper's method. Per row, one class: a training image, the class image, and $\sum_{\text{channels}} |I - \text{mean}|$ (where the image changed, ignoring colour):

# %% tags=["photo"]
toy_results = class_model_visualization(toy, list(toy.categories), steps=200, seed=0, progress=False)
mean_image = toy.deprocess(torch.zeros(1, 3, 64, 64))
examples = toyworld.generate(60, seed=1)
first = [int(np.flatnonzero(examples.labels == k)[0]) for k in range(len(toy.categories))]


def change_magnitude(result):
    """Sum over channels of |I - mean| (normalised space), scaled to a grey uint8 image: where the image changed, not its colour."""
    m = result.tensor[0].abs().sum(0).cpu().numpy()
    m = np.clip(m / np.percentile(m, 99.5), 0, 1)
    return np.repeat((255 * m).astype(np.uint8)[..., None], 3, axis=2)


show_images([panel for k, r in enumerate(toy_results) for panel in (examples.images[first[k]], r.image, change_magnitude(r))],
            [title for k, r in enumerate(toy_results) for title in (f"training: {toy.categories[k]}", f"class image: {r.class_name}\nP={r.final_prob:.2f}",
                                                                     f"|I - mean|: {r.class_name}")],
            ncols=3, size=PROJECTOR_INCHES, interpolation="nearest");

# %%
# NBVAL_CHECK_OUTPUT
for r in toy_results:
    with torch.no_grad():
        probs = toy.model(r.tensor).softmax(1)[0]
    print(f"{r.class_name:9s} top-1: {toy.categories[int(probs.argmax())]:9s} P(target) >= 0.9: {bool(probs[r.target] >= 0.9)}")


# %% [markdown]
# What you should see: every class image is its own class's top-1 with $P \ge 0.9$, yet looks like colour fringes, not filled shapes. The magnitude column shows *where* the evidence sits: outlines for circle and square, straight edges for the triangle, stripes for star, cross and ring (why: "Going further").
#
# ### Score trajectories · 3 min
# Per step: the target logit $S_c$, $P_c$, the mean of the other logits, $\lVert I\rVert$; and, printed, whether each run has levelled off.

# %%
from helpers.classvis import LEVEL_TOLERANCE, LEVEL_WINDOW, levelled_off, objective_path

# Levelled off (two-sided): over the last 20% of the steps the objective's least-squares trend neither rises nor falls
# by 5% of the run's whole gain (a run still climbing at its average rate would move 20%, so its trend slowed at least
# fourfold); a trend, not the last value, because on Lite0 the objective zig-zags from step to step.


def plot_histories(results, title):
    fig, axes = plt.subplots(2, 2, figsize=(2 * PANEL_INCHES * 1.6, 2 * PANEL_INCHES * 1.1))
    for r in results:
        for ax, (name, values) in zip(axes.flat, r.history.as_dict().items()):
            ax.plot(values, label=r.class_name)
            ax.set_title(name)
            ax.set_xlabel("step")
    axes[0, 0].legend()
    fig.suptitle(title)
    fig.tight_layout()


def print_convergence(results, lam):
    """One line per run: the objective's trend over the last 20% of the steps as a share of its whole gain, and the verdict."""
    for r in results:
        done, share = levelled_off(objective_path(r, lam))
        verdict = "levelled off" if done else "still climbing" if share > 0 else "still falling"
        print(f"{r.class_name:12s} trend over the last {LEVEL_WINDOW:.0%} of the steps: {share:+.1%} of the whole gain "
              f"(levelled off within +-{LEVEL_TOLERANCE:.0%}): {verdict}")


plot_histories(toy_results, "toy CNN, paper's objective S_c - lambda ||I||^2 (SGD)")
print_convergence(toy_results, lam)

# %% [markdown]
# What you should see: the target logit climbs while the **other** logits fall, although the objective does not mention them, and $P_c$ jumps to 1 once the target dominates. The norm grows ever more slowly where the penalty's pull $2\lambda I$ balances the score's gradient; the printed lines say which runs have levelled off after 200 steps (a class that leaves the mean image late, like the ring, has not).
#
# ## ImageNet classes with EfficientNet-Lite0 · 5 min
#
# Lite0's "mean image" is a constant grey. Five classes, including the paper's *limousine*, in **one batch**, with the paper's plain method: 150 SGD steps, $\eta = 0.5$, $\lambda = 10^{-2}$, from the mean image, at 160 px on a CPU (224 px on a GPU) to keep the run short.

# %% tags=["photo"]
lite0 = helpers.load_model("efficientnet_lite0")
imagenet_classes = ["limousine", "goose", "ostrich", "dalmatian", "bell pepper"]
SIZE, STEPS = (224 if lite0.device.type == "cuda" else 160), 150  # the model's own size where a GPU makes it cheap
start = torch.zeros(1, 3, SIZE, SIZE, device=lite0.device)
lite_results = class_model_visualization(lite0, imagenet_classes, steps=STEPS, init=start, seed=0, progress=False)
show_images([r.image for r in lite_results],
            [f"{r.class_name}  P={r.final_prob:.2f}" for r in lite_results], ncols=3, size=PROJECTOR_INCHES,
            suptitle="the paper's method (SGD, L2, zero start), 150 steps", interpolation="nearest");
print("lr, lambda:", default_settings(lite0))
top1 = [lite0.predict(r.tensor, k=1)[0][0] for r in lite_results]
for r, name in zip(lite_results, top1):
    print(f"{r.class_name:12s} top-1: {name:12s} P_c = {r.final_prob:.2f}")
claim("every class image is its target's top-1 under Lite0", all(name == r.class_name for r, name in zip(lite_results, top1)));

# %% [markdown]
# What you should see: grey images with coloured high-frequency speckle, each its target's top-1 (the check). The paper's Figure 1, from its own network, shows recognisable object parts; Lite0's images do not.

# %%
plot_histories(lite_results, "EfficientNet-Lite0, paper's objective")
print_convergence(lite_results, default_settings(lite0)[1])

# %% [markdown]
# What you should see: $P_c$ ends high for every class, but the target logit zig-zags from step to step and $P_c$ jumps between low and high values before it settles.
#
# ### Choosing the step size · 4 min
#
# Is the step too large? The limousine with $\eta = 0.125$, $0.5$ (default) and $2$, all else equal, compared after 80 steps on what SGD should increase: the objective of Eq. (1). The two smaller steps run on to 150 steps to show whether they level off (neither rising nor falling).

# %%
limo_large = class_model_visualization(lite0, "limousine", steps=80, lr=2.0, init=start, progress=False)
limo_small = class_model_visualization(lite0, "limousine", steps=STEPS, lr=0.125, init=start, progress=False)
limo_default = lite_results[imagenet_classes.index("limousine")]
lr_lite, lam_lite = default_settings(lite0)
runs = {0.125: limo_small, lr_lite: limo_default, 2.0: limo_large}
fig, axes = plt.subplots(1, 2, figsize=(2 * PANEL_INCHES * 1.6, PANEL_INCHES * 1.2))
at_80 = {}
for lr_used, r in runs.items():
    objective = objective_path(r, lam_lite)
    at_80[lr_used] = float(objective[80])
    fell = float(np.mean(np.diff(objective[:81]) < 0))
    crossings = int(np.sum(np.diff((r.history.target_prob[:81] > 0.5).astype(int)) != 0))
    axes[0].plot(r.history.target_prob, label=f"step size {lr_used}")
    axes[1].plot(objective, label=f"step size {lr_used}")
    print(f"step size {lr_used}: objective after 80 steps {objective[80]:+.0f} (start 0), fell in {fell:.0%} of the first 80 "
          f"steps; P_c crossed 0.5 {crossings} times")
axes[0].set_title("limousine: P_c")
axes[1].set_title("objective of Eq. (1): S_c - lambda ||I||^2")
for ax in axes:
    ax.set_xlabel("step")
    ax.legend()
fig.tight_layout()
print_convergence([limo_small, limo_default], lam_lite)
claim("after 80 steps the objective is higher with step 0.5 than with step 2", at_80[lr_lite] > at_80[2.0],
      f"{at_80[lr_lite]:+.0f} vs {at_80[2.0]:+.0f}")
claim("after 80 steps the objective is higher with step 0.125 than with the default 0.5", at_80[0.125] > at_80[lr_lite],
      f"{at_80[0.125]:+.0f} vs {at_80[lr_lite]:+.0f}")
claim(f"with step 0.125 the objective has levelled off by step {STEPS}", levelled_off(objective_path(limo_small, lam_lite))[0]);

# %% [markdown]
# What you should see: the larger the step, the lower the objective after 80 steps (the checks), and even at the smallest step it falls in a large share of the steps (printed), so the zig-zag is not only overshoot. At step 0.125 the limousine's objective has levelled off (the check; not necessarily every class's); at the default 0.5 the printed trend says whether it still moves, and where it does the images above are snapshots of an unfinished run. We keep $\eta = 0.5$, the default notebook 04 shares.
#
# ## Optional: where does the colour noise come from? · 15 min
#
# *Beyond the paper: a hypothesis about our stand-in model, and the measurements for and against it.*
#
# On Lite0 the paper's method gives coloured speckle. It is tempting to blame the objective, but the paper's Figure 1 was made with exactly this objective, and the same code gives structured edge images on the toy CNN (above). The **hypothesis**: the noise comes from the model's gradient. Plain SGD adds $\eta\,\partial S_c/\partial I$ at every step, and the very first step adds nothing else (the penalty is zero at the mean image), so if the gradient is noise, so is the start of the path. We measure the **high-frequency share**: the fraction of an image's (or gradient's) spectral energy above half the Nyquist frequency (0.25 cycles per pixel); white noise and a photo are printed as the two references. A **control** for the start: Lite0's mean image is one constant grey, a special input (every pixel alike, so only the borders and the architecture's own pattern can shape the gradient); we also start from the mean image plus noise of std 0.01 in normalised units (its size in pixel levels is printed: invisible), in two draws. Three suspects in Lite0's architecture, each switched off without retraining where possible:
# - **batch-norm folding**: fold every batch norm into the convolution before it (in eval mode that is the same function);
# - **ReLU6 saturation**: replace ReLU6 by ReLU (same weights, no upper clip);
# - **depthwise convolutions**: they cannot be removed, so we follow the gradient backwards through every convolution and see which layers add high frequencies.

# %% tags=["photo"]
from helpers.classvis import input_gradient
from helpers.saliency import class_score_gradient
from helpers.spectrum import fold_batchnorm, gradient_frequency_profile, high_frequency_share, relu6_as_relu

START_NOISE, NOISE_DRAWS = 0.01, 2  # the control's start: the mean image plus N(0, 0.01^2) per value (normalised space)


def noisy_start(size, draw):
    """The mean image plus small Gaussian noise (std START_NOISE): a start no eye tells from the constant mean image."""
    return START_NOISE * torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(draw))


def gradient_shares(classifier, size, targets, noisy):
    """High-frequency shares of dS_c/dI, per class (and per noise draw), at the mean image or at the noisy start."""
    starts = [noisy_start(size, d) for d in range(NOISE_DRAWS)] if noisy else [torch.zeros(1, 3, size, size)]
    batch = torch.cat([x for x in starts for _ in targets]).to(classifier.device)  # one backward pass for all
    grad, _ = class_score_gradient(classifier, batch, [t for _ in starts for t in targets])
    return [float(v) for v in high_frequency_share(grad)]


noise = torch.randn(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(0))
references = {"white noise": float(high_frequency_share(noise)),
              "photo (coffee)": float(high_frequency_share(lite0.preprocess(helpers.load_image("coffee"))))}
folded, photo_model = fold_batchnorm(lite0), helpers.best_photo_model()  # VGG16 (max-pooling, the paper's era) when online
gradients = {"toy CNN": lambda noisy: gradient_shares(toy, 64, toy.categories, noisy),
             "Lite0": lambda noisy: gradient_shares(lite0, SIZE, imagenet_classes, noisy),
             "Lite0, BN folded": lambda noisy: gradient_shares(folded, SIZE, imagenet_classes, noisy)}
if photo_model.name == "vgg16":
    gradients["VGG16"] = lambda noisy: gradient_shares(photo_model, SIZE, imagenet_classes, noisy)
else:
    print(f"VGG16 not available (offline): compared without it; the course's photo model here is {photo_model.name}.")
first_step = {name: {start: measure(start == "noisy") for start in ("mean", "noisy")} for name, measure in gradients.items()}
with relu6_as_relu():
    first_step["Lite0, ReLU6 -> ReLU"] = {start: gradient_shares(lite0, SIZE, imagenet_classes, start == "noisy")
                                          for start in ("mean", "noisy")}
share = {name: {start: float(np.mean(v)) for start, v in by_start.items()} for name, by_start in first_step.items()}
finished = {"toy CNN": [float(s) for s in high_frequency_share(torch.cat([r.tensor for r in toy_results]))],
            "Lite0": [float(s) for s in high_frequency_share(torch.cat([r.tensor for r in lite_results]))]}
unit = lite0.normalize(torch.ones(1, 3, 1, 1, device=lite0.device)) - lite0.normalize(torch.zeros(1, 3, 1, 1, device=lite0.device))
print(f"control start: std {START_NOISE} in normalised units = {START_NOISE * 255 / float(unit.min()):.1f} of 255 pixel "
      f"levels on Lite0 (at most); {NOISE_DRAWS} draws")
for name, value in references.items():
    print(f"{name:22s} high-frequency share {value:.2f}")
print(f"first step dS_c/dI     {'mean image':>17s} {'mean + noise':>19s}   (n: classes x starts; min-max)")
for name, by_start in first_step.items():
    print(f"{name:22s}" + "".join(f" {np.mean(v):5.2f} [{min(v):.2f}-{max(v):.2f}] n={len(v):2d}" for v in by_start.values()))
for name, v in finished.items():
    print(f"{name:9s} class images (from the mean image): {np.mean(v):.2f} [{min(v):.2f}-{max(v):.2f}], n = {len(v)}")
white, toy_share, lite_share = references["white noise"], share["toy CNN"], share["Lite0"]
claim("from the constant mean image, Lite0's first step is closer to white noise than to the toy CNN's",
      abs(lite_share["mean"] - white) < abs(lite_share["mean"] - toy_share["mean"]))
claim("control: from the mean image plus small noise, Lite0's first step is closer to the toy CNN's than to white noise",
      abs(lite_share["noisy"] - toy_share["noisy"]) < abs(lite_share["noisy"] - white))
claim("the finished class images of the two models are closer to each other in this share than to white noise",
      abs(np.mean(finished["Lite0"]) - np.mean(finished["toy CNN"])) < white - max(np.mean(v) for v in finished.values()))
# 0.01: the printed resolution; folding batch norm computes the same function, so only rounding may differ
claim("folding batch norm leaves the share unchanged from both starts (the same function)",
      all(abs(share["Lite0, BN folded"][s] - lite_share[s]) < 0.01 for s in ("mean", "noisy")))
claim("replacing ReLU6 by ReLU does not lower the share from either start (within the printed resolution, 0.01)",
      all(share["Lite0, ReLU6 -> ReLU"][s] >= lite_share[s] - 0.01 for s in ("mean", "noisy")));

# %%
profiles = {"mean image": gradient_frequency_profile(lite0, start, imagenet_classes),
            "mean + noise": gradient_frequency_profile(lite0, noisy_start(SIZE, 0).to(lite0.device), imagenet_classes)}
fig, axes = plt.subplots(1, 2, figsize=(2 * PANEL_INCHES * 2.2, PANEL_INCHES * 1.7), width_ratios=[1, 1.4])
rows = [(f"{name}, {start}", share[name][start]) for name in share for start in ("mean", "noisy")]
rows += [(name, value) for name, value in references.items()]
rows += [(f"{name} class images", float(np.mean(v))) for name, v in finished.items()]
axes[0].barh([r[0] for r in rows[::-1]], [r[1] for r in rows[::-1]], color="tab:gray")
axes[0].set_xlim(0, 1)
axes[0].set_xlabel("high-frequency share")
axes[0].set_title("first step dS_c/dI; images")
jumps = {}
for (label, profile), colour in zip(profiles.items(), ["tab:gray", "tab:blue"]):
    axes[1].plot([p.depth for p in profile], [p.high_frequency_share for p in profile], color=colour, label=f"from the {label}")
    strided = [p for p in profile if p.stride == 2]
    axes[1].scatter([p.depth for p in strided], [p.high_frequency_share for p in strided], s=120, facecolors="none",
                    edgecolors="red", linewidths=2, zorder=3)
    jumps[label] = []
    for p in strided:
        after = next(q for q in profile if q.depth == p.depth + 1)  # the gradient before it passed back through p
        jumps[label].append(p.high_frequency_share - after.high_frequency_share)
        print(f"from the {label:12s} {p.name:26s} {p.kind:9s} stride 2 at {p.resolution:3d} px: share "
              f"{after.high_frequency_share:.2f} -> {p.high_frequency_share:.2f}")
axes[1].set_xlabel("convolution (0 = next to the image); red: stride 2")
axes[1].set_ylabel("high-frequency share of dS_c/d(input)")
axes[1].set_title("Lite0: the gradient, layer by layer")
axes[1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), framealpha=0.9)  # outside: no line hidden
fig.tight_layout()
claim("from both starts, block 1's depthwise stride-2 convolution raises the share", all(j[1] > 0 for j in jumps.values()))
claim("from the noisy start, no other stride-2 convolution raises it (the stem does only from the constant start)",
      all(j <= 0 for i, j in enumerate(jumps["mean + noise"]) if i != 1) and jumps["mean image"][0] > 0);


# %% [markdown]
# What you should see: on the left, from the constant mean image Lite0's first step is about as high-frequency as white noise, far above the toy CNN's, but from the mean image plus invisible noise it drops to the toy CNN's value (the control); the finished class images of the two models differ only a little (their printed ranges). On the right, block 1's depthwise stride-2 convolution raises the share from both starts; the stem raises it only from the constant start.
#
# **What this supports, and what it does not.** The tempting story, that Lite0's gradient is noise from the first step on, is an artefact of the constant start: a change of the start of about one grey level (printed above), too small to see, removes it, and by this measure the two models' first steps are alike and their finished images close. So the high-frequency share does not explain why Lite0's images look like speckle while the toy CNN's show edges; what it separates is a property of one special input. One observation survives both starts: the gradient gains high frequencies where it passes back through block 1's stride-2 depthwise convolution (a stride-2 convolution, run backwards, places each value on every second pixel and smears it with a 3x3 kernel: the checkerboard effect of transposed convolutions, Odena et al. 2016), while the deeper stride-2 convolutions lower the share. Whether that layer shapes the final images would need retraining with another stride; the notebook leaves the cause of the speckle open. Folding batch norm (the same function) changes nothing from either start, and ReLU instead of ReLU6 does not lower the share (it raises it). Online, the cell above adds VGG16, a paper-era network with max-pooling.

# %%
def as_picture(t):
    """A gradient (1,3,H,W) as a colour picture: grey = 0, scaled so its 99th percentile reaches the pixel range."""
    g = t[0].permute(1, 2, 0).cpu().numpy()
    g = 0.5 + 0.5 * g / max(np.percentile(np.abs(g), 99), 1e-12)
    return (255 * np.clip(g, 0, 1)).astype(np.uint8)


zero_toy = torch.zeros(1, 3, 64, 64, device=toy.device)
lite_mean, lite_noisy = (as_picture(input_gradient(lite0, x, "goose")) for x in (start, noisy_start(SIZE, 0).to(lite0.device)))
show_images([as_picture(input_gradient(toy, zero_toy, "circle")), lite_mean, lite_mean[:40, :40], lite_noisy, lite_noisy[:40, :40]],
            ["toy CNN: dS_circle/dI", "Lite0: dS_goose/dI, mean image", "mean image: top-left 40x40 px",
             "Lite0: dS_goose/dI, mean + noise", "mean + noise: top-left 40x40 px"], ncols=3, size=PROJECTOR_INCHES);

# %% [markdown]
# What you should see: the toy CNN's first step is made of coloured strokes several pixels wide; Lite0's from the constant mean image is a fine checkerboard-like pattern that changes from pixel to pixel, plus a frame along the border, where the convolutions' padding sits. From the mean image plus invisible noise (bottom row) the regular pattern and the frame are gone, leaving an irregular grain, as the share above says.
#
# ## Effect of $\lambda$ and of the number of steps (toy CNN) · 5 min
#
# SGD has no state, so continuing from a result's `.tensor` (`init=`) gives snapshots along one run for free. Rows: $\lambda$; columns: steps.

# %%
lambdas, checkpoints = [0.0, 0.03, 0.1], [10, 50, 200]
grid, titles = [], []
for lam in lambdas:
    x, done = "zeros", 0
    for n in checkpoints:
        r = class_model_visualization(toy, "circle", steps=n - done, l2=lam, init=x, progress=False)
        x, done = r.tensor, n
        grid.append(r.image)
        titles.append(f"lambda={lam}, {n} steps\nP={r.final_prob:.2f} |I|={r.history.norm[-1]:.0f}")
        print(f"circle, lambda = {lam:4}: after {n:3d} steps P = {r.final_prob:.2f}, ||I|| = {r.history.norm[-1]:5.1f}")
show_images(grid, titles, ncols=len(checkpoints), size=PROJECTOR_INCHES, interpolation="nearest");


# %% [markdown]
# What you should see: with $\lambda = 0$ the norm is the largest and keeps rising; with $\lambda = 0.03$ (our default) it grows far less. With $\lambda = 0.1$ the circle leaves the mean image later ($P$ after 50 steps) and ends with a smaller norm.
#
# ## Beyond the paper: regularizers · 7 min
#
# **Not in the paper** (Yosinski et al. 2015, Mordvintsev et al. 2015), off by default: **jitter** (a random shift of a few pixels before each forward pass), **blur** (a small Gaussian every few steps), **clip** (pixels kept in [0, 255]), **Adam** instead of SGD. Toy CNN: all four (jitter 4 px, blur $\sigma = 1$ px every 2 steps), 200 steps. From here on images get a per-image contrast stretch, as the paper's figures do (display only).

# %%
from helpers.classvis import Jitter, Blur, Clip
from helpers.feature_vis import contrast_stretch, feature_visualization

toy_beyond = class_model_visualization(toy, list(toy.categories), steps=200, optimizer="adam",
                                       regularizers=(Jitter(4), Blur(1.0, 2), Clip()), seed=0, progress=False)
halves = [toy_results[:3], toy_beyond[:3], toy_results[3:], toy_beyond[3:]]  # rows: paper, beyond, paper, beyond
labels = ["paper", "beyond the paper", "paper", "beyond the paper"]
show_images([contrast_stretch(r.image) for half in halves for r in half],
            [f"{label}: {r.class_name}\nP={r.final_prob:.2f}" for label, half in zip(labels, halves) for r in half],
            ncols=3, size=PROJECTOR_INCHES, interpolation="nearest");

# %% [markdown]
# What you should see: the regularized images are smooth and free of colour fringes and show the learned structures plainly: arcs for the circle, straight edges for square and triangle, rows of parallel stripes for cross, star and ring.
#
# ImageNet, the same five classes, 60 Adam steps each: **jitter + blur** (from the paper's start) and **feature visualization** (`helpers.feature_vis.feature_visualization`, after Olah et al. 2017: a Fourier-parameterised image under random transformations; see "Going further"). One row per class; titles give $P_c$ under Lite0.

# %% tags=["gallery"]
BEYOND_STEPS = 60  # Adam needs far fewer steps than plain SGD
lite_beyond = class_model_visualization(lite0, imagenet_classes, steps=BEYOND_STEPS, init=start, optimizer="adam",
                                        regularizers=(Jitter(), Blur(1.0, 4), Clip()), seed=0, progress=False)
lite_fv = feature_visualization(lite0, imagenet_classes, steps=BEYOND_STEPS, size=SIZE, seed=0, progress=False)
rows = [("paper", lite_results), ("jitter + blur", lite_beyond), ("feature vis.", lite_fv)]
show_images([contrast_stretch(rs[k].image) for k in range(len(imagenet_classes)) for _, rs in rows],
            [f"{label}: {rs[k].class_name}\nP={rs[k].final_prob:.2f}" for k in range(len(imagenet_classes)) for label, rs in rows],
            ncols=3, size=PROJECTOR_INCHES,
            suptitle="EfficientNet-Lite0: the paper's plain SGD, jitter + blur, feature visualization (one row per class)",
            interpolation="nearest");
claim("all three rows score highly under Lite0 (P_c > 0.5 for every image: the target outweighs all other classes together)",
      all(r.final_prob > 0.5 for _, rs in rows for r in rs));

# %% [markdown]
# What you should see: jitter and blur trade the speckle for larger, smoother structures; feature visualization fills the frame with textures and object parts at several scales. All three rows score highly under Lite0 (the check): the recipes choose *which* high-scoring image we get (feature visualization also drops the penalty).

# %% [markdown]
# ## Optional: how recognisable are class images? · 10 min
#
# Beyond the paper, which lets the reader judge class images by eye. Here a **second network of the same family**, EfficientNet-Lite2 (larger, trained on the same ImageNet data with the same recipe, and it made none of the images), classifies every class image, and
#
# $$\text{recognisability} = \text{share of classes whose class image puts the target in the judge's top-5.}$$
#
# Both methods are made and judged under the same conditions: the same **12 classes** (evenly spaced over the 1000 indices), **96 px, 40 steps**, batched; the generator sees its images at 96 px while optimising (for feature visualization `model_size=None`, no upsampling); the judge scores every image twice: resized to its own input size, and at the making size (96 px), so that neither method is judged only at a size it was not made for. The paper's plain method (SGD, $\eta = 0.5$, $\lambda = 10^{-2}$, from the mean image) against feature visualization (`regularized`). As a **control**, Lite0 scores its own images the same two ways. With 12 classes one class is 8 percentage points: read the counts (with their intervals) and the paired comparison.

# %%
from helpers.atlas import judge, parse_classes
from helpers.evaluation.proportions import sign_test, wilson_interval

lite2 = helpers.load_model("efficientnet_lite2")  # the judge: a second network of the same family
ATLAS_CLASSES = parse_classes(12, lite0.categories)  # 12 classes evenly spaced over the 1000 indices
ATLAS_SIZE, ATLAS_STEPS = 96, 40
print(f"{len(ATLAS_CLASSES)} classes:", ", ".join(lite0.categories[c] for c in ATLAS_CLASSES))
began = time.perf_counter()
atlas_start = torch.zeros(1, 3, ATLAS_SIZE, ATLAS_SIZE, device=lite0.device)
atlas_images = {  # both seen by Lite0 at ATLAS_SIZE while optimising
    "paper": class_model_visualization(lite0, ATLAS_CLASSES, steps=ATLAS_STEPS, init=atlas_start, seed=0, progress=False),
    "regularized": feature_visualization(lite0, ATLAS_CLASSES, steps=ATLAS_STEPS, size=ATLAS_SIZE, model_size=None,
                                         seed=0, progress=False),
}
JUDGE_SIZES = {"judging size": lite2.input_size, "making size": ATLAS_SIZE}  # the judge's resize, and none
ranks = {}  # method -> scorer -> the target's rank per class
for method, results in atlas_images.items():
    images = [r.image for r in results]
    ranks[method] = {f"{name}, {where}": [s.rank for s in judge(model, images, ATLAS_CLASSES, size=side)]
                     for name, model in (("Lite0", lite0), ("Lite2 (judge)", lite2)) for where, side in JUDGE_SIZES.items()}
print(f"both methods ({ATLAS_SIZE} px, {ATLAS_STEPS} steps, 2 x {len(ATLAS_CLASSES)} class images, judged at "
      f"{lite2.input_size} and {ATLAS_SIZE} px): {time.perf_counter() - began:.0f} s on {helpers.default_device()}")
n = len(ATLAS_CLASSES)
for method, by_scorer in ranks.items():
    for scorer, r in by_scorer.items():
        top1, top5 = sum(k == 1 for k in r), sum(k <= 5 for k in r)
        lo, hi = wilson_interval(top5, n)
        print(f"{method:12s} {scorer:26s} top-1 {top1:2d} of {n}, top-5 {top5:2d} of {n} [95% interval {lo:.0%}-{hi:.0%}]")
paired = {}  # judge's size -> (wins, losses) of the regularized image over the paper's, per class
for where in JUDGE_SIZES:
    reg, pap = ranks["regularized"][f"Lite2 (judge), {where}"], ranks["paper"][f"Lite2 (judge), {where}"]
    paired[where] = (sum(a < b for a, b in zip(reg, pap)), sum(a > b for a, b in zip(reg, pap)))
    print(f"paired, judged at the {where} ({JUDGE_SIZES[where]} px): regularized ranked above the paper's for {paired[where][0]} of {n} classes, below "
          f"for {paired[where][1]} (two-sided sign test p = {sign_test(*paired[where]):.3f})")

# %%
# NBVAL_CHECK_OUTPUT
ALPHA = 0.05  # the usual level, fixed before the run
paper_ranks, regularized_ranks = ranks["paper"], ranks["regularized"]
own_size_drop = [a < b for a, b in zip(paper_ranks["Lite0, making size"], paper_ranks["Lite0, judging size"])]
claim("at both of the judge's sizes it ranks the regularized image above the paper's for more classes than the reverse",
      all(wins > losses for wins, losses in paired.values()))
claim(f"paired per class, at its own size the judge ranks the regularized image above the paper's more often than chance "
      f"(two-sided sign test, p < {ALPHA})", sign_test(*paired["judging size"]) < ALPHA)
claim("control: at the making size, Lite0 ranks most (over half) of its paper-method images first",
      sum(k == 1 for k in paper_ranks["Lite0, making size"]) > n / 2)
claim(f"control: the judge's resize lowers Lite0's own rank of its paper-method images more often than chance (sign test, "
      f"p < {ALPHA})", sign_test(sum(own_size_drop), n - sum(own_size_drop)) < ALPHA);

# %% [markdown]
# What you should see: at the making size Lite0 puts its own images of both methods first, but after the judge's resize it no longer recognises its paper-method images (the control): their speckle does not survive a resize. At the making size the judge recognises some of the paper's images too, so part of the speckle does transfer to a second network at the size it was made for. What holds at both sizes: the judge ranks the feature-visualization image above the paper's for more classes than the reverse (the checks; at its own size more often than chance, and the printed p-values give the making size).
#
# The three most and three least recognisable classes of the feature-visualization images, by the judge's rank of the target (contrast stretched; the title gives the rank for this image and for the paper's image of the same class):

# %%
order = sorted(range(n), key=lambda i: regularized_ranks["Lite2 (judge), judging size"][i])
best, worst = order[:3], order[-3:]
show_images([contrast_stretch(atlas_images["regularized"][i].image) for i in best + worst],
            [f"{'best' if i in best else 'worst'}: {lite0.categories[ATLAS_CLASSES[i]][:16]}\njudge rank {regularized_ranks['Lite2 (judge), judging size'][i]}"
             f" (paper: {paper_ranks['Lite2 (judge), judging size'][i]})" for i in best + worst],
            ncols=3, size=PROJECTOR_INCHES, interpolation="nearest");
for label, group in (("most recognisable: ", best), ("least recognisable:", worst)):
    print(label, ", ".join(f"{lite0.categories[ATLAS_CLASSES[i]]} (judge rank {regularized_ranks['Lite2 (judge), judging size'][i]}, "
                           f"paper's image {paper_ranks['Lite2 (judge), judging size'][i]})" for i in group))


# %% [markdown]
# What you should see: the images the judge recognises best and worst, for the eye to compare; they are chosen by the judge's rank, so their ranks show the selection, not a finding. Some of the worst show object-like parts to a human eye: recognition by one network is a strict test, not "looks like the class to us".
#
# **All 1000 classes.** The same measurement from the command line, resumable (classes already in `--out` are skipped), with one PNG per class, a contact sheet, an HTML page sortable by score and `atlas.json`:
#
# ```bash
# python -m helpers.atlas --classes all --method paper       --steps 100 --size 128 --out atlas_paper
# python -m helpers.atlas --classes all --method regularized --steps 100 --size 128 --out atlas_regularized
# ```
#
# The batch size is chosen from the device (large on a GPU, within its memory). On a CPU the whole atlas takes hours (the command prints its estimate first; the measured rate per class is in `benchmarks/README.md`); on a GPU, minutes. `--method jitter_blur` gives the jitter + blur recipe. `helpers.atlas.judge(judge_model, images, targets)` scores any list of images the same way.
#
# ## Optional: try it yourself · 5 min
#
# Pick a class, $\lambda$, the number of steps, the learning rate and (beyond the paper) regularizers or Adam, then press **Run**. The panel uses the toy CNN (fast on CPU); pass `helpers.load_model()` for ImageNet classes.

# %% tags=["widget"]
from helpers.course.widgets import class_visualization_panel

panel = class_visualization_panel(toy, steps=100)
panel.widget


# %% [markdown]
# ## Exercises
#
# **Exercise 1.** Write the paper's objective, Eq. (1), for a batch: given the tensors `logits` (N, K) and inputs `x` (N, 3, H, W), a class `target` (an int) and `l2` ($\lambda$, a float), return a tensor with one value per image, shape (N,), $S_c(I) - \lambda\lVert I\rVert_2^2$. Do not modify the inputs, and create any new tensor on their device; the check runs on the notebook's device.

# %%
def objective(logits, x, target, l2):
    # YOUR CODE HERE: return a tensor of shape (N,)
    return None


# %%
from helpers.exercises import classvis as ex

print(ex.check_objective(objective, device=toy.device))


# %% [markdown]
# **Exercise 2.** Write one SGD ascent step on that objective, given the gradient of the score alone `grad_score` $= \partial S_c/\partial I$: `x` and `grad_score` are tensors of the same shape, `lr` and `l2` floats; return the new image as a new tensor on `x`'s device (do not modify `x` or `grad_score` in place). The penalty's gradient is $\partial(\lambda\lVert I\rVert^2)/\partial I = 2\lambda I$.

# %%
def ascent_step(x, grad_score, lr, l2):
    # YOUR CODE HERE: return the updated image
    return None


# %%
print(ex.check_ascent_step(ascent_step, device=toy.device))


# %% [markdown]
# **Exercise 3: the whole algorithm.** Implement the paper's class-model visualization, `class_image(model, target, steps, lr, l2, size)`: `model` is the bare `torch.nn.Module` (`toy.model`, not the `Classifier` `toy`: call `model(x)`, as the notebook's loop calls `toy.model(x)`), `target`, `steps` and `size` are ints, `lr` and `l2` floats. Start from the mean image: zeros of shape (1, 3, size, size) in the model's normalised space, created on the model's device (`device=next(model.parameters()).device`, so it also runs on a GPU), and repeat `steps` times: compute $S_c$ with `model`, its gradient with respect to the image (`torch.autograd.grad`), and one ascent step on Eq. (1) (your `objective` and `ascent_step` can do the work). Return the final image tensor, (1, 3, size, size) (with `steps=0`, the start). The check is called with the Classifier, `ex.check_class_image(class_image, toy)`, and hands your function `toy.model` (a copy with trainable weights); it compares the result with the reference loop (the one inside `class_model_visualization`) and names the usual mistakes (softmax instead of the logit, the missing 2, descending, a random start, ...). The weights must not receive gradients: use `torch.autograd.grad`, not `.backward()`.

# %%
def class_image(model, target, steps, lr, l2, size):
    # YOUR CODE HERE: return the optimised (1, 3, size, size) tensor
    return None


# %%
print(ex.check_class_image(class_image, toy))

# %% [markdown]
# **Exercise 4.** The optimisation starts from the zero image in normalised space. Which *pixel* image is that for the toy CNN? Compute it as a uint8 HxWx3 NumPy array (hint: `toy.deprocess`, a method of the `Classifier`; create the zero input on `toy.device`) and look at it: what does it tell you about the training set?

# %%
starting_image = None  # YOUR CODE HERE

print(ex.check_starting_image(starting_image, toy))

# %% [markdown]
# **Exercise 5 (beyond the paper): make your class image recognisable.** The plain loop of exercise 3 gives images that the network which made them scores highly but that the judge above rarely recognises at its own size. Add the three image priors of the section "Beyond the paper" to *your own* loop: copy your `class_image` into `jitter_blur_class_image(model, target, steps, lr, l2, size, lo, hi, jitter, sigma, blur_every)` and change it in four places:
# 1. **jitter**: before each forward pass, shift the image by a random `(dy, dx)`, each an integer from `-jitter` to `jitter` (`dy, dx = torch.randint(-jitter, jitter + 1, (2,)).tolist()`, from torch's global generator, which the check seeds), with `torch.roll(x, shifts=(dy, dx), dims=(2, 3))`, and take the gradient with respect to the unshifted image;
# 2. **Adam** instead of the SGD step: `torch.optim.Adam([x], lr=lr, maximize=True)` on $S_c - \lambda\lVert I\rVert^2$, with `x` a leaf tensor that requires grad (set `x.grad` from `torch.autograd.grad`, then `adam.step()`);
# 3. **blur**: after every `blur_every`-th step, smooth the image with a Gaussian of std `sigma` pixels (`gaussian_blur(x, sigma)`, imported below);
# 4. **clip**: after each step, keep the image between `lo` and `hi`, the all-black and all-white images in the model's normalised space (tensors of the image's shape).
#
# Update the image inside `torch.no_grad()` (`x.copy_(...)`), start from the mean image on the model's device as before, and return the final `(1, 3, size, size)` tensor. As in exercise 3 the weights must not receive gradients (use `torch.autograd.grad`, not `.backward()`) and the model stays in eval mode. The check runs your loop on Lite0 for a few classes at a small budget (printed), on the notebook's device, and asks the judge, Lite2, which made none of the images, for its rank of each target, and the same for the plain method's images of the same classes, size and steps. It passes when the judge ranks your image above the plain one for every class (a one-sided sign test; the check prints its p-value) and puts at least one more class in its top-5; it tells you when your loop is still the plain one.

# %%
from helpers.classvis import gaussian_blur

def jitter_blur_class_image(model, target, steps, lr, l2, size, lo, hi, jitter, sigma, blur_every):
    # YOUR CODE HERE: your class_image loop with jitter, Adam, blur and clipping
    return None


# %%
from helpers.atlas import judge

print("classes:", ", ".join(ex.JITTER_BLUR_CLASSES), "| budget:", ex.JITTER_BLUR_SETTING)
print(ex.check_jitter_blur_class_image(jitter_blur_class_image, lite0, lite2, judge))

# %% [markdown]
# Worked solutions: `solutions/03_solutions.py`.
#
# ## Check your understanding
#
# Answer each question in its cell (a letter, or a number) and run it: the feedback explains the answer.

# %%
print(ex.Q1_WHY_LOGITS)
answer_1 = None  # YOUR ANSWER, e.g. "a"
print(ex.Q1_WHY_LOGITS.check(answer_1))

# %%
print(ex.Q2_PENALTY_SHRINK)
answer_2 = None  # YOUR ANSWER: a number
print(ex.Q2_PENALTY_SHRINK.check(answer_2))

# %%
print(ex.Q3_NOISE_SOURCE)
answer_3 = None  # YOUR ANSWER, e.g. "a"
print(ex.Q3_NOISE_SOURCE.check(answer_3))

# %% [markdown]
# ## Takeaways
#
# 1. The paper's class model, Eq. (1), is gradient ascent on the **input** from the mean image, with the weights fixed; $\lambda$ keeps the image's norm bounded.
# 2. A high score is not a recognisable picture: on Lite0 the paper's images are their class's top-1 yet look like speckle, which a second network recognises only at times, at the making size; a resize destroys it, even for its maker.
# 3. Read the history: the objective of Eq. (1), not only $P_c$, tells a good step size from a bad one, and whether the run has levelled off.
# 4. What the picture looks like depends on the **model**, not only on the objective; why Lite0 gives speckle is open (its noise-like first step belongs to the constant start, as a control shows).
# 5. Beyond the paper, image priors choose more natural images among the many that score highly. Measured for feature visualization only: a second network of the same family ranks its images above the paper's for more classes than the reverse, at both sizes.
#
# ## Going further
#
# **Why edges and not filled shapes (toy CNN)?** Every training shape has a *random* colour on a random colour-gradient background, at a random position, size and rotation, with random distractor strokes. The network therefore learned colour-invariant *edge and corner* detectors that fire wherever the shape's outline can be. Gradient ascent raises $S_c$ through exactly those detectors: it paints edge fragments (any colour pair gives an edge, so the colours are arbitrary and alternate across the edge: the colour fringes) at many positions and orientations at once. What raises the ring's score is a stripe pattern (pairs of parallel edges, like the inner and outer border of a ring seen locally), not a round outline; the regularized toy images show the same: the ring's stripes are straight, not curved. That is the class *as the model sees it*, as in the paper's figures.
#
# **The step size.** The paper gives no step size. With plain SGD (no momentum, no step-size search) each step can partly undo the last when the gradient changes from step to step; because the path is erratic, the step at which $P_c$ settles changes with the device and the number of CPU threads (rounding differs), while the final images are scored as their targets either way.
#
# **$\lambda$.** At the mean image the penalty's pull $2\lambda I$ is zero, but it grows as soon as the image moves, while the score's gradient there is small: each step adds $\eta\,\partial S_c/\partial I$ and takes back $2\eta\lambda$ of the image, so the image settles close to the mean, where the two balance. It leaves only if the score's gradient grows as the image moves; with $\lambda = 0.1$ that happens late for the circle (printed in the $\lambda$ section).
#
# **Feature visualization in detail** (after Olah, Mordvintsev & Schubert 2017, and their Lucid/Lucent code): the image is parameterised by its Fourier spectrum, scaled by $1/f$ so that low frequencies are cheap, with colours decorrelated by ImageNet's colour covariance and a sigmoid keeping pixels in range; every step pads, jitters, scales and rotates it at random (*transformation robustness*: the class evidence must survive all of them) and, by default, shows it to the model at the model's input size; Adam ascends $S_c$, the paper's objective without the penalty. It is the recipe behind `--method regularized` of the class atlas. Jitter discourages pixel-level patterns, since class evidence must survive shifts of a few pixels; the Fourier parameterisation and the transformations push further towards the statistics of photos.
#
# ## References
#
# - K. Simonyan, A. Vedaldi, A. Zisserman. *Deep Inside Convolutional Networks: Visualising Image Classification Models and Saliency Maps.* ICLR Workshop 2014. [arXiv:1312.6034](https://arxiv.org/abs/1312.6034) (Sect. 2, Eq. 1, Fig. 1).
# - D. Erhan, Y. Bengio, A. Courville, P. Vincent. *Visualizing Higher-Layer Features of a Deep Network.* Tech. report 1341, Univ. of Montreal, 2009 (activation maximisation, the idea behind Eq. 1).
# - J. Yosinski, J. Clune, A. Nguyen, T. Fuchs, H. Lipson. *Understanding Neural Networks Through Deep Visualization.* ICML Deep Learning Workshop 2015. [arXiv:1506.06579](https://arxiv.org/abs/1506.06579) (jitter, blur, clipping).
# - A. Mordvintsev, C. Olah, M. Tyka. *Inceptionism: Going Deeper into Neural Networks.* Google Research blog, 2015.
# - C. Olah, A. Mordvintsev, L. Schubert. *Feature Visualization.* Distill, 2017. [distill.pub/2017/feature-visualization](https://distill.pub/2017/feature-visualization/) (decorrelated Fourier parameterisation, transformation robustness).
# - A. Odena, V. Dumoulin, C. Olah. *Deconvolution and Checkerboard Artifacts.* Distill, 2016. [distill.pub/2016/deconv-checkerboard](https://distill.pub/2016/deconv-checkerboard/).
