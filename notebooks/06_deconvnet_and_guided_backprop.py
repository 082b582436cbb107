# %% [markdown]
# # 06 · Gradient, DeconvNet and guided backprop: one mechanism
#
# **From the paper** (Simonyan, Vedaldi & Zisserman 2013, Section 4). DeconvNet (Zeiler & Fergus 2013) "reconstructs" an image from a unit by running the network backwards. The paper shows that this reconstruction *is* the gradient $\partial S_c/\partial I$ of notebook 02, layer by layer, with one exception: the ReLU. Guided backprop (Springenberg et al. 2014, **after the paper**) combines the two ReLU rules. Here the three are one function, `helpers.backprop_saliency(..., rule=...)`, that swaps only the ReLU's backward rule; then we measure them, together with two later methods (**beyond the paper**: Grad-CAM, integrated gradients), and build adversarial examples ("fooling images") with the same gradient.
#
# **Prerequisites:** notebook 02 (saliency maps, the toy world's masks, the mass-in-mask and pointing-game scores, the randomization check); the chain rule.
#
# **Learning goals.** After this notebook you can
# - derive, layer by layer, why a convolution's "deconvolution" is the convolution with flipped filters and max-pool "switches" are the gradient of max-pooling, so DeconvNet and the gradient differ only at the ReLU;
# - compute the three ReLU rules by hand (gradient: mask by the forward input; DeconvNet: by the sign of the backward signal; guided: both) and with the code;
# - write a convolution's backward pass (the transposed convolution) and max-pooling's (the switches) yourself;
# - measure maps against exact object masks and with the model-randomization test, and say which methods explain the *model*;
# - write the iterated sign-gradient loop that makes an adversarial example, and say what it implies for reading a saliency map.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/saliency-course/deep-inside-convnets/blob/main/notebooks/06_deconvnet_and_guided_backprop.ipynb)

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
import numpy as np
import torch
import matplotlib.pyplot as plt

from helpers import attribution as A
from helpers import saliency as S
from helpers.evaluation import masks as mask_eval, randomization as rand_eval
from helpers import linear, toyworld
from helpers.course.plotting import normalize_map, PANEL_INCHES
from helpers.claims import claim, equal_to_float_precision

def clip99(m):
    # for display only: clip at the 99th percentile so a few extreme pixels do not hide the rest
    m = m.detach().cpu().numpy() if isinstance(m, torch.Tensor) else np.asarray(m)
    return np.minimum(m, np.percentile(m, 99))

torch.manual_seed(0)
np.random.seed(0)
lite0 = helpers.load_model("efficientnet_lite0")   # on helpers.default_device()
toy = helpers.load_model("toy")
print("models on", lite0.device)

# %% [markdown]
# ## Section 4, layer by layer
#
# Write the network as layers $X_{n+1} = \ell_n(X_n)$, with $X_0 = I$ and the class score $S_c$ on top. Backpropagation carries $R_{n+1} = \partial S_c / \partial X_{n+1}$ down to $R_n$; DeconvNet carries a "reconstruction" down the same way. The paper compares the two, layer type by layer type:
#
# | layer | forward | gradient $R_n$ (backprop) | DeconvNet $R_n$ |
# |---|---|---|---|
# | convolution | $X_{n+1} = X_n \star K_n$ | $R_{n+1} \star \hat K_n$ ($\hat K$: the filter flipped) | $R_{n+1} \star \hat K_n$: the same ("deconvolution" = convolution with flipped filters) |
# | max-pooling | $X_{n+1}(p) = \max_{q \in \Omega(p)} X_n(q)$ | $R_{n+1}(p)$ at the $\arg\max$ of each window, 0 elsewhere | the same: the "switches" record the $\arg\max$ |
# | ReLU | $X_{n+1} = \max(X_n, 0)$ | $R_{n+1} \cdot \mathbb{1}(X_n > 0)$: mask by the **forward input** | $R_{n+1} \cdot \mathbb{1}(R_{n+1} > 0)$: mask by the **backward signal's sign** |
#
# So DeconvNet is the gradient except at the ReLU, and the paper concludes that gradient-based visualisation generalises DeconvNet (it works for any layer, also fully connected ones). **Guided backprop** (Springenberg et al. 2014) uses both masks at the ReLU: $R_{n+1} \cdot \mathbb{1}(X_n > 0) \cdot \mathbb{1}(R_{n+1} > 0)$.
#
# EfficientNet-Lite0 uses ReLU6, $\min(\max(x, 0), 6)$, which is also flat for $x \ge 6$. Our convention: the gradient and guided rules mask by $\mathbb{1}(0 < X_n < 6)$ (the derivative is 0 on both flat sides); DeconvNet ignores the forward input, so it is the same for ReLU and ReLU6.

# %% [markdown]
# ### Why the table holds: the derivation
#
# We write 1-D signals with one index; 2-D images have two indices and the same algebra.
#
# **Convolution.** A CNN layer computes a correlation, $X_{n+1}(p) = \sum_t K(t)\, X_n(p+t)$. Input value $X_n(q)$ feeds every output $p = q - t$, so by the chain rule
# $$R_n(q) = \sum_p R_{n+1}(p)\,\frac{\partial X_{n+1}(p)}{\partial X_n(q)} = \sum_t R_{n+1}(q-t)\,K(t) = \sum_s R_{n+1}(q+s)\,\hat K(s), \qquad \hat K(s) = K(-s):$$
# the correlation of $R_{n+1}$ with the **flipped** filter, zero-padded at the borders (a "full" convolution, so $R_n$ has the input's size). In matrix form the layer is $X_{n+1} = A X_n$ with a banded matrix $A$, and the backward pass is $R_n = A^\top R_{n+1}$: the *transposed* convolution. DeconvNet (Zeiler & Fergus 2013) "uses transposed versions of the same filters": the same operation.
#
# **Channels.** With input channels $i$ and output channels $o$, $X_{n+1}(o, p) = \sum_i \sum_t K(o, i, t)\, X_n(i, p+t)$, so $R_n(i, q) = \sum_o \sum_t R_{n+1}(o, q-t)\, K(o, i, t)$. The backward pass sums over the *output* channels and produces *input* channels: it uses the filter bank with its two channel axes swapped, $K(o, i, \cdot) \to K(i, o, \cdot)$, and each filter flipped.
#
# **Stride.** With stride $s$, $X_{n+1}(p) = \sum_t K(t)\, X_n(sp + t)$, and $R_n(q) = \sum_{p, t:\ sp + t = q} R_{n+1}(p)\, K(t)$: place each $R_{n+1}(p)$ at position $sp$ with zeros in between, then correlate with the flipped filter. "Upsample with zeros, then convolve" is the transposed (fractionally strided) convolution, `torch.nn.ConvTranspose2d`, the layer often called "deconvolution": the gradient of a strided convolution is such a layer.
#
# **Max-pooling.** $X_{n+1}(p) = X_n(q^*(p))$, with $q^*(p)$ the arg max of window $p$. Locally this selects one input (weight 1, the others 0), so $R_n(q) = \sum_p R_{n+1}(p)\, \mathbb{1}(q = q^*(p))$: exactly DeconvNet's switches.
#
# **ReLU.** $\partial X_{n+1}/\partial X_n = \mathbb{1}(X_n > 0)$ gives the gradient rule. DeconvNet instead rectifies the backward signal, $\max(R_{n+1}, 0)$, which is not the derivative of any forward layer: this is the one place where the two differ.
#
# **Where the backward pass starts.** Zeiler & Fergus start from *one activation of one feature map* in an intermediate layer (all other activations of that layer set to zero) and pass it down. The paper starts from the class score, $R = \partial S_c / \partial X_L$, through the fully connected layers. For the layers in the table the two passes are the same computation, which is why the paper can say that gradient-based visualisation generalises DeconvNet: the gradient can start from any unit of any layer, fully connected ones included.

# %% [markdown]
# ### A 1-D example, by hand and by the code
#
# Ten inputs → max-pooling in windows of 2 → a 3-tap convolution with an asymmetric filter → ReLU → a linear score $S = v^\top Y$. The cell computes every backward step by hand with NumPy: the score's weights, then the ReLU rule, then the convolution's backward (`np.convolve` with the filter is the correlation with the *flipped* filter), then the switches.

# %%
# NBVAL_CHECK_OUTPUT
np.set_printoptions(precision=2, suppress=True, floatmode="maxprec")
I = np.array([0.5, 1.0, -1.0, 2.0, 0.0, 1.5, 3.0, -0.5, 1.0, 0.5])   # the input
k = np.array([0.5, -1.0, 1.5])                                        # the convolution filter (not a palindrome)
v = np.array([1.0, -1.0, 2.0])                                        # the score's weights

# forward
windows = I.reshape(5, 2)
P = windows.max(axis=1)                                   # max-pooling
switches = windows.argmax(axis=1) + np.arange(0, 10, 2)   # where each maximum came from
Z = np.array([P[j : j + 3] @ k for j in range(3)])        # convolution (a correlation, as in CNNs)
Y = np.maximum(Z, 0)                                      # ReLU
print("P =", P, " Z =", Z, " Y =", Y, " S =", v @ Y)

relu_rules = {
    "gradient": lambda R, Z: np.where(Z > 0, R, 0.0),               # mask by the forward input
    "deconvnet": lambda R, Z: np.where(R > 0, R, 0.0),              # mask by the backward signal's sign
    "guided": lambda R, Z: np.where((Z > 0) & (R > 0), R, 0.0),     # both
}
by_hand = {}
for rule, relu_backward in relu_rules.items():
    R_Y = v                                    # dS/dY
    R_Z = relu_backward(R_Y, Z)                # the only step where the rules differ
    R_P = np.convolve(R_Z, k)                  # full convolution = correlation with the flipped filter
    R_I = np.zeros(10)
    R_I[switches] = R_P                        # the switches route each value to its window's maximum
    by_hand[rule] = R_I
    print(f"{rule:>9}: dS/dZ = {R_Z}   ->   dS/dI = {R_I}")

R_Z = relu_rules["gradient"](v, Z)
padded = np.pad(R_Z, len(k) - 1)
print("gradient rule, dS/dP: correlation with the flipped filter", np.correlate(padded, k[::-1], "valid"),
      "| with the unflipped filter", np.correlate(padded, k, "valid"))


# %%
# NBVAL_CHECK_OUTPUT
class OneD(torch.nn.Module):
    """The same network in PyTorch (1-D along the width of a 1 x 10 image)."""

    def __init__(self) -> None:
        super().__init__()
        self.pool = torch.nn.MaxPool2d((1, 2))
        self.conv = torch.nn.Conv2d(1, 1, (1, 3), bias=False)
        self.score = torch.nn.Linear(3, 1, bias=False)
        with torch.no_grad():
            self.conv.weight[:] = torch.tensor(k).view(1, 1, 1, 3)
            self.score.weight[:] = torch.tensor(v)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.score(torch.relu(self.conv(self.pool(x))).flatten(1))

net = OneD().eval().requires_grad_(False)
x1d = torch.tensor(I, dtype=torch.float32).view(1, 1, 1, 10)
for rule in A.RULES:
    signal = A.backprop_saliency(net, x1d, 0, rule=rule, reduce=None).view(10).numpy()
    print(f"{rule:>9}: {signal}   same as by hand: {np.allclose(signal, by_hand[rule])}")

# %% [markdown]
# What you should see: the forward pass is the same for all three; at the ReLU the first unit ($Z>0$, $v>0$) passes under every rule, the second ($Z>0$, $v<0$) passes only for the gradient, the third ($Z<0$, $v>0$) only for DeconvNet. Everything after the ReLU (flipped-filter convolution, switches) is shared, and `helpers.backprop_saliency` reproduces each hand computation. The filter is not symmetric, so the flip matters: the last printed line shows that correlating with the unflipped filter gives a different $\partial S/\partial P$, and the agreement with autograd confirms the flipped one.
#
# **How the code swaps the rule.** `helpers.relu_backward_rule(rule)` is a context manager: inside it, every ReLU or ReLU6, whether an `nn.ReLU` module or a functional call such as `F.relu6` (Lite0 has no ReLU *modules*; its blocks call `F.relu6`), is computed by the same forward with the chosen backward. Leaving the block (also by an error) restores PyTorch's own rule; nothing is attached to the model. `rule="gradient"` swaps nothing, so it is `helpers.saliency_map` (equal to float precision: on a GPU two runs of the same backward pass need not agree bit for bit).

# %%
photo = helpers.load_image("chelsea")
x = lite0.preprocess(photo)
with helpers.relu_backward_rule("guided") as log:
    grad, _ = S.class_score_gradient(lite0, x, "tabby")
relu_modules = sum(isinstance(m, (torch.nn.ReLU, torch.nn.ReLU6)) for m in lite0.model.modules())
print(f"Lite0: {relu_modules} ReLU modules, {log.rectifiers} ReLU6 calls met in one forward pass (all swapped)")
equal_to_float_precision("the gradient rule gives helpers.saliency_map", helpers.backprop_saliency(lite0, x, "tabby"),
                         helpers.saliency_map(lite0, x, "tabby"));


# %% [markdown]
# ## Real photos and the toy world, side by side
#
# Each map: max over colour channels of |signal| (Grad-CAM is one positive map, upsampled from the last convolutional block: 7 × 7 for Lite0, 8 × 8 for the toy CNN). Integrated gradients use 16 steps from the all-zero model input (a uniform gray image for Lite0, the mean image for the toy CNN). Maps are clipped at their 99th percentile for display.

# %%
def five_maps(classifier, x, target, ig_steps=16):
    """Gradient, DeconvNet, guided backprop, Grad-CAM and integrated gradients of one batch, each (N,H,W) on the CPU."""
    maps = {rule_name: A.backprop_saliency(classifier, x, target, rule=rule)
            for rule_name, rule in [("gradient (paper)", "gradient"), ("DeconvNet", "deconvnet"), ("guided backprop", "guided")]}
    maps["Grad-CAM"] = A.grad_cam(classifier, x, target)
    maps["integrated gradients"] = A.integrated_gradients(classifier, x, target, steps=ig_steps)
    return {k: m.cpu().numpy() for k, m in maps.items()}

heldout = toyworld.generate(500, seed=toyworld.HELDOUT_SEED_OFFSET + 6)   # not used to train the toy CNN
xt = linear.toy_inputs(toy, heldout.images)
rows = []
for name in ["coffee", "chelsea"]:
    xp = lite0.preprocess(helpers.load_image(name))
    label = lite0.predict(xp, k=1)[0][0]
    rows.append((lite0.deprocess(xp), f"{name}: {label}", five_maps(lite0, xp, label)))
for j in [0, 3]:
    rows.append((heldout.images[j], f"toy: {heldout.class_names()[j]}", five_maps(toy, xt[j : j + 1], int(heldout.labels[j]))))

# %% tags=["gallery"]
fig, axes = plt.subplots(len(rows), 6, figsize=(6 * 2.6, len(rows) * 2.6), squeeze=False)
for r, (image, title, maps) in enumerate(rows):
    axes[r, 0].imshow(image); axes[r, 0].set_title(title)
    for c, (method, m) in enumerate(maps.items(), start=1):
        axes[r, c].imshow(normalize_map(clip99(m[0])), cmap="gray", vmin=0, vmax=1)
        axes[r, c].set_title(method if r == 0 else "")
for ax in axes.flat:
    ax.axis("off")
fig.tight_layout()


# %% [markdown]
# What you should see: on the toy images every backward method lights up the object, and DeconvNet and guided backprop also light up the thin background strokes; Grad-CAM is a coarse blob (an 8 × 8 map upsampled), which on the star falls mostly below and left of the object. On the photos (Lite0) guided backprop gives the sharpest, edge-like maps (the cup's rims, the cat's eyes), the gradient and integrated gradients are noisier, Grad-CAM covers the object coarsely — and DeconvNet shows almost the same regular grid on both photos. The next cell measures that.

# %% tags=["photo"]
# Two different photos, the same class: does the map depend on the image?
def espresso_rhos(clf):
    """Rank correlation of each rule's 'espresso' maps of the coffee and chelsea photos."""
    xa, xb = (clf.preprocess(helpers.load_image(name)) for name in ("coffee", "chelsea"))
    rhos = {}
    for rule in A.RULES:
        ma, mb = (A.backprop_saliency(clf, xi, "espresso", rule=rule)[0].cpu().numpy() for xi in (xa, xb))
        rhos[rule] = mask_eval.rank_correlation(ma, mb)
        print(f"{clf.name}, {rule:>9}: rank correlation of the 'espresso' maps of coffee and chelsea = {rhos[rule]:.2f}")
    return rhos

lite_rhos = espresso_rhos(lite0)
PHOTO_MODEL = helpers.best_photo_model()      # VGG16 (with max-pooling) when online, else Lite0
if PHOTO_MODEL.name != lite0.name:
    photo_rhos = espresso_rhos(PHOTO_MODEL)
    claim(f"{PHOTO_MODEL.name}, which max-pools: its DeconvNet maps of the two photos differ (rank correlation < 0.9)",
          photo_rhos["deconvnet"] < 0.9, f"{photo_rhos['deconvnet']:.2f}")
else:
    print("offline: no second photo model; with internet this cell also compares VGG16, which max-pools")

# %%
# NBVAL_CHECK_OUTPUT
claim("Lite0 (no max-pooling): the DeconvNet maps of the two photos are one pattern (rank correlation > 0.99)",
      lite_rhos["deconvnet"] > 0.99)
claim("Lite0: the gradient and guided-backprop maps of the two photos are nearly unrelated (|rank correlation| < 0.3)",
      all(abs(lite_rhos[r]) < 0.3 for r in ("gradient", "guided")));

# %% [markdown]
# What you should see: on Lite0, for the same class, the gradient and guided-backprop maps of two different photos are nearly unrelated, while the DeconvNet maps are the same pattern; the checks say whether your run agrees. The table above explains it: DeconvNet's ReLU rule ignores the forward input, and its only other link to the image is the max-pool switches. Lite0 has no max-pooling (its convolutions, batch norm in eval mode and the global average are linear), so its DeconvNet map is one fixed pattern per class, whatever the image. This is a property of networks without max-pooling, not of DeconvNet in general: the toy CNN max-pools, so there the switches tie DeconvNet to the image and its maps show the objects, and with internet the cell above also runs VGG16 (five max-pooling layers) and says whether its DeconvNet maps differ between the photos.

# %% [markdown]
# ## Measured on held-out toy images with exact masks
#
# The two scores of notebook 02 against each image's exact object mask: the share of the map's mass inside the mask, and the pointing game (is the map's maximum on the object?). A uniform map scores the mask's area on both. All maps are for the true class. SmoothGrad (notebook 02) averages the gradient map over 10 noisy copies. A third column asks whether a map is **class-specific**: the rank correlation between the maps for the true class and for the second most probable class, on the first 100 images (1 = the same map whatever the class).

# %%
labels = heldout.labels.tolist()
methods = {
    "gradient (paper)": lambda clf, x, t: A.backprop_saliency(clf, x, t, rule="gradient"),
    "DeconvNet": lambda clf, x, t: A.backprop_saliency(clf, x, t, rule="deconvnet"),
    "guided backprop": lambda clf, x, t: A.backprop_saliency(clf, x, t, rule="guided"),
    "Grad-CAM": lambda clf, x, t: A.grad_cam(clf, x, t),
    "integrated gradients": lambda clf, x, t: A.integrated_gradients(clf, x, t, steps=16),
    "SmoothGrad": lambda clf, x, t: S.smoothgrad(clf, x, t, n_samples=10, batch_size=256),
}

def rho_or_nan(a, b):
    """Rank correlation of two maps; NaN when one is constant (e.g. an all-zero Grad-CAM map)."""
    return np.nan if np.ptp(a) == 0 or np.ptp(b) == 0 else mask_eval.rank_correlation(a, b)

toy_maps = {k: f(toy, xt, labels).cpu().numpy() for k, f in methods.items()}
sub = slice(0, 100)
with torch.no_grad():
    second = toy.model(xt[sub]).argsort(dim=1, descending=True)[:, 1].tolist()   # second most probable class
other_class = {k: f(toy, xt[sub], second).cpu().numpy() for k, f in methods.items()}

# %%
area = heldout.masks.mean()
mass = {k: mask_eval.mass_inside_mask(m, heldout.masks).mean() for k, m in toy_maps.items()}
point = {k: mask_eval.pointing_game(m, heldout.masks).mean() for k, m in toy_maps.items()}
same_map = {k: np.nanmean([rho_or_nan(a, b) for a, b in zip(m[sub], other_class[k])]) for k, m in toy_maps.items()}
print(f"{len(heldout)} held-out toy images; the object covers {area:.0%} of the pixels on average")
print(f"{'':<24}{'mass in mask':>14}{'pointing game':>15}{'same map, other class':>23}")
print(f"{'uniform map (baseline)':<24}{area:>14.0%}{area:>15.0%}{'':>23}")
for k in toy_maps:
    print(f"{k:<24}{mass[k]:>14.0%}{point[k]:>15.0%}{same_map[k]:>23.2f}")

# %%
# NBVAL_CHECK_OUTPUT
claim("every method beats the uniform map on both scores", all(mass[k] > area and point[k] > area for k in toy_maps))
claim("guided backprop puts the most mass in the mask", max(mass, key=mass.get) == "guided backprop")
claim("integrated gradients win the pointing game", max(point, key=point.get) == "integrated gradients")
claim("guided backprop's map for the second most probable class is nearly its map for the true class (rank correlation > 0.9)",
      same_map["guided backprop"] > 0.9)
claim("Grad-CAM is the most class-specific (lowest rank correlation between the two classes' maps)",
      min(same_map, key=same_map.get) == "Grad-CAM");

# %% [markdown]
# What you should see, on the toy CNN: every method beats the uniform map. Guided backprop puts the most mass on the object and integrated gradients win the pointing game; Grad-CAM's 8 × 8 resolution costs it on these small objects. But guided backprop's map for the *second* most probable class is nearly the same as for the true class: it shows where the object's edges are rather than what makes it this class. Grad-CAM is the most class-specific. The checks above say which of these hold on your run.

# %% [markdown]
# ## The model-randomization sanity check, for each method
#
# Adebayo et al. (2018, beyond the paper): re-initialise the top $n$ weight layers (a copy; `helpers.evaluation.randomization.randomize_top_layers`) and compare each map with the trained model's map by rank correlation, on the first 100 images. A method that explains the *model* should change (correlation near 0); one that mostly shows the image's edges will not. Adebayo et al. found guided backprop almost unchanged. A Grad-CAM map can become all zero (no positive evidence at all); those maps are left out of its mean and counted.

# %%
toy_layers = [name for name, _ in rand_eval.parameterized_layers(toy.model)]
levels = [1, 3, len(toy_layers)]
randomized = {}
for n in levels:
    rnd = rand_eval.randomize_top_layers(toy, n, seed=0)
    randomized[n] = {k: f(rnd, xt[sub], labels[sub]).cpu().numpy() for k, f in methods.items()}

# %%
print("toy CNN weight layers, top first:", ", ".join(reversed(toy_layers)))
print(f"{'mean rank correlation with the trained map':<28}" + "".join(f"{'top ' + str(n) + ' random':>14}" for n in levels))
rand_rho = {}
for k in methods:
    rhos = [[rho_or_nan(a, b) for a, b in zip(toy_maps[k][sub], randomized[n][k])] for n in levels]
    rand_rho[k] = [float(np.nanmean(r)) for r in rhos]
    zeros = sum(int(np.isnan(r).sum()) for r in rhos)
    print(f"{k:<28}" + "".join(f"{r:>14.2f}" for r in rand_rho[k]) + (f"   ({zeros} all-zero maps left out)" if zeros else ""))

# %%
# NBVAL_CHECK_OUTPUT
top1 = {k: r[0] for k, r in rand_rho.items()}
claim("with only the top layer random, guided backprop's map changes least of all methods (rank correlation > 0.9)",
      max(top1, key=top1.get) == "guided backprop" and top1["guided backprop"] > 0.9)
claim("the gradient, DeconvNet, Grad-CAM and integrated gradients change clearly (rank correlation < 0.8)",
      all(top1[k] < 0.8 for k in ("gradient (paper)", "DeconvNet", "Grad-CAM", "integrated gradients")))
last = {k: r[-1] for k, r in rand_rho.items()}
claim("with all layers random, SmoothGrad keeps the highest correlation and every other method falls below 0.35",
      max(last, key=last.get) == "SmoothGrad" and all(v < 0.35 for k, v in last.items() if k != "SmoothGrad"));

# %% [markdown]
# What you should see: with only the top layer re-initialised, guided backprop's map hardly changes, as Adebayo et al. found, while the gradient, integrated gradients, DeconvNet and Grad-CAM do change. With all six layers random, every method falls to a low correlation except SmoothGrad, whose average over noisy copies keeps more of the image's own structure. The checks above say whether your run agrees (the random weights, and so the exact values, differ between a CPU and a GPU).
#
# The same check on a photo, with images: Lite0's gradient, DeconvNet and guided-backprop maps for "tabby" on chelsea, as more and more of its top layers are re-initialised.

# %%
lite_layers = [name for name, _ in rand_eval.parameterized_layers(lite0.model)]
photo = helpers.load_image("chelsea")
xc = lite0.preprocess(photo)
target = lite0.class_index("tabby")
lite_levels = [0, 1, 10, len(lite_layers)]
grid, rhos = [], {}
for rule in ["gradient", "deconvnet", "guided"]:
    row = []
    for n in lite_levels:
        model_n = rand_eval.randomize_top_layers(lite0, n, seed=0) if n else lite0
        row.append(A.backprop_saliency(model_n, xc, target, rule=rule)[0].cpu().numpy())
    rhos[rule] = [rho_or_nan(row[0], m) for m in row[1:]]
    grid.append(row)
fig, axes = plt.subplots(3, len(lite_levels), figsize=(len(lite_levels) * 2.6, 3 * 2.6))
for r, (rule, row) in enumerate(zip(["gradient", "DeconvNet", "guided"], grid)):
    for c, (n, m) in enumerate(zip(lite_levels, row)):
        axes[r, c].imshow(normalize_map(clip99(m)), cmap="gray", vmin=0, vmax=1)
        axes[r, c].set_title(f"{rule}: " + ("trained" if n == 0 else f"top {n} random") + ("" if n == 0 else f"\nrho {rhos[rule.lower() if rule != 'DeconvNet' else 'deconvnet'][c - 1]:.2f}"))
        axes[r, c].axis("off")
fig.tight_layout()
print(f"Lite0 has {len(lite_layers)} weight layers (convolutions and the classifier)")
for rule, r in rhos.items():
    print(f"{rule:>9}: rank correlation with the trained map, top " + ", ".join(f"{n}: {x:.2f}" for n, x in zip(lite_levels[1:], r)))

# %%
# NBVAL_CHECK_OUTPUT
claim("Lite0: guided backprop's map stays close to the trained one (> 0.9) with the top 1 and top 10 layers random",
      min(rhos["guided"][:2]) > 0.9)
claim("Lite0: the gradient's map changes already when only the classifier is random (correlation below guided backprop's and < 0.6)",
      rhos["gradient"][0] < min(rhos["guided"][0], 0.6))
claim("Lite0: DeconvNet's map hardly changes when only the classifier is random (> 0.9)", rhos["deconvnet"][0] > 0.9)
claim("Lite0: with all its layers random, every rule's map changes (correlation < 0.5)",
      all(r[-1] < 0.5 for r in rhos.values()));

# %% [markdown]
# What you should see: guided backprop's maps stay the same while the top layers are re-initialised, by eye and by rank correlation, and change only when all layers are random. The gradient's map keeps its overall look when only the classifier is random (the cat's eyes stay visible), yet its correlation with the trained map drops already there: the fine, speckled detail that ranks the pixels is rearranged, which the eye does not see at this size. DeconvNet's grid hardly changes either: on Lite0 it depends neither on the image nor, much, on the top layers. The printed correlations and the checks give the values on your run. A sharp, object-shaped map is no evidence that a method explains the model.

# %% [markdown]
# ## Real photos with object masks (COCO)
#
# The same two scores on the bundled COCO photos with instance masks (`helpers.photo_info(name).category_mask(category)`). For each photo: the COCO category with an ImageNet counterpart that covers the most pixels (photos where it covers under 1% of the frame, or where no category has a counterpart, are skipped), explained for the best-scoring ImageNet class of that category. Lite0 sees the whole photo (shorter side 224, no crop), so the map covers the whole mask. To keep the notebook fast, integrated gradients use 8 steps and SmoothGrad 8 samples here.

# %%
from helpers.categories import has_imagenet_counterpart
from helpers.geometry import resize_map, resize_shorter_side

def whole_photo(image):
    """The whole photo (no crop), shorter side 224, as Lite0's input."""
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float().div(255)
    return lite0.normalize(resize_shorter_side(x, lite0.input_size).to(lite0.device))

coco_methods = dict(methods)
coco_methods["integrated gradients"] = lambda clf, x, t: A.integrated_gradients(clf, x, t, steps=8)
coco_methods["SmoothGrad"] = lambda clf, x, t: S.smoothgrad(clf, x, t, n_samples=8, batch_size=8)
coco_scores, coco_rows = {k: [] for k in coco_methods}, []
for name in helpers.list_images("coco"):
    info = helpers.photo_info(name)
    mappable = [c for c in info.present_categories() if has_imagenet_counterpart(c)]
    if not mappable:
        continue
    category = max(mappable, key=lambda c: info.category_mask(c).sum())
    mask = info.category_mask(category)
    if mask.mean() < 0.01:
        continue
    image = helpers.load_image(name)
    x = whole_photo(image)
    with torch.no_grad():
        scores = lite0.model(x)[0]
    target = max(info.imagenet_indices(category), key=lambda i: float(scores[i]))
    coco_rows.append((name, category, lite0.categories[target], float(mask.mean())))
    for k, f in coco_methods.items():
        m = resize_map(f(lite0, x, target)[0].cpu().numpy(), *image.shape[:2])
        coco_scores[k].append((mask_eval.mass_inside_mask(m, mask), mask_eval.pointing_game(m, mask)))

# %%
print(f"{len(coco_rows)} COCO photos: " + ", ".join(f"{category} ({label})" for _, category, label, _ in coco_rows))
coco_area = np.mean([a for *_, a in coco_rows])
coco_mass = {k: np.mean([s[0] for s in v]) for k, v in coco_scores.items()}
coco_point = {k: np.mean([s[1] for s in v]) for k, v in coco_scores.items()}
print(f"{'':<24}{'mass in mask':>14}{'pointing game':>15}")
print(f"{'uniform map (baseline)':<24}{coco_area:>14.0%}{coco_area:>15.0%}")
for k in coco_scores:
    print(f"{k:<24}{coco_mass[k]:>14.0%}{coco_point[k]:>15.0%}")
print(f"one photo moves the pointing game by {100 / len(coco_rows):.0f} percentage points")

# %%
# NBVAL_CHECK_OUTPUT
claim("every method puts less mass in the mask on the COCO photos than on the toy images",
      all(coco_mass[k] < mass[k] for k in coco_mass))
claim("Grad-CAM puts the most mass in the mask", max(coco_mass, key=coco_mass.get) == "Grad-CAM")
claim("integrated gradients and Grad-CAM point best",
      set(sorted(coco_point, key=coco_point.get)[-2:]) == {"integrated gradients", "Grad-CAM"})
claim("DeconvNet is no better than a uniform map (within 5 points of it on both scores)",
      abs(coco_mass["DeconvNet"] - coco_area) < 0.05 and abs(coco_point["DeconvNet"] - coco_area) < 0.05);


# %% [markdown]
# What you should see, on Lite0: on real photos the scores are lower than on the toy world, although the objects cover a similar share of the frame (compare the two uniform baselines): photos have texture and clutter, and several objects compete. The ranking changes: Grad-CAM puts the most mass on the object, integrated gradients and Grad-CAM point best, guided backprop and the gradient are in between, and DeconvNet is no better than a uniform map, as expected of a map that does not depend on the image. The checks above say whether your run agrees. With this few photos one photo moves the pointing game by several points (printed), so only large differences count.

# %% [markdown]
# ## Adversarial examples
#
# The same gradient that draws a saliency map can *change* the decision. `helpers.attribution.fooling_image` starts from a real photo (the 224 × 224 crop that Lite0 sees) and repeatedly moves every pixel by one gray level in the direction of the sign of $\partial S_c/\partial I$ (the steepest ascent of $S_c$ when each pixel may change by at most one level per step), until $c$ is the top-1 class.
#
# This is beyond the paper. Such imperceptible changes that flip a classifier's decision are *adversarial examples* (Szegedy et al. 2014, [arXiv:1312.6199](https://arxiv.org/abs/1312.6199)); a step along the sign of the gradient is the fast gradient sign method (Goodfellow et al. 2015, [arXiv:1412.6572](https://arxiv.org/abs/1412.6572)), and repeating it in steps of one gray level is the basic iterative method (Kurakin et al. 2016, [arXiv:1607.02533](https://arxiv.org/abs/1607.02533)); we ascend the target class's score rather than descend the true class's. (The function is named `fooling_image`; the unrecognisable, confidently classified "fooling images" of Nguyen et al. (2015) are met in notebook 04.)

# %%
def top3(crop):
    probs = A.classify_crop(lite0, crop).softmax(dim=1)[0]
    values, indices = probs.topk(3)
    return ", ".join(f"{lite0.categories[i]} {p:.0%}" for p, i in zip(values.tolist(), indices.tolist()))

fooled = {name: A.fooling_image(lite0, helpers.load_image(name), target, max_steps=30) for name, target in [("coffee", "tabby"), ("rocket", "espresso")]}
for name, result in fooled.items():
    print(f"{name}: {result}")
    print(f"   before: {top3(result.original)}\n   after:  {top3(result.image)}")
    print(f"   RMS change: {result.l2 / np.sqrt(result.image.size):.1f} gray levels per value")

# %%
fig, axes = plt.subplots(len(fooled), 4, figsize=(4 * 2.6, len(fooled) * 2.6), squeeze=False)
for r, (name, result) in enumerate(fooled.items()):
    diff = result.image.astype(np.float32) - result.original.astype(np.float32)
    magnify = 127 / max(result.linf, 1)
    grad_map = helpers.saliency_map(lite0, lite0.normalize(torch.from_numpy(result.original).permute(2, 0, 1)[None].float().div(255).to(lite0.device)), result.target)[0]
    panels = [(result.original, f"{name}: {lite0.categories[int(A.classify_crop(lite0, result.original).argmax())]}"),
              (result.image, f"after {result.steps} steps: {result.target_name}"),
              (np.clip(128 + magnify * diff, 0, 255).astype(np.uint8), f"difference x{magnify:.0f}"),
              (normalize_map(clip99(grad_map)), f"|dS/dI| for {result.target_name}")]
    for ax, (panel, title) in zip(axes[r], panels):
        ax.imshow(panel, cmap="gray" if panel.ndim == 2 else None)
        ax.set_title(title)
        ax.axis("off")
fig.tight_layout()

# %% [markdown]
# What you should see: a few steps of one gray level each (the printed L-inf is the number of steps; the RMS change per value is printed too) make Lite0 call the espresso a "tabby" and the rocket an "espresso" (the printed lines say whether each reached its target on your run); the images look identical, and the change (magnified by the factor in the title) is a fine texture spread over the whole image, not a cat drawn on the cup. Meanwhile the gradient map for "tabby" on the *unchanged* coffee photo looks like a map of the cup, as a "good" saliency map would, although there is no cat.
#
# **What this means for reading saliency maps.** A saliency map is the magnitude of $\partial S_c/\partial I$: where a small change would move the score. The adversarial example follows that same gradient and shows that such directions need not look like the object at all. A map that outlines the object is therefore not evidence that the model sees class $c$ there; check maps against masks and with the randomization test before reading them as explanations.

# %% [markdown]
# ## Exercises
#
# **1. A convolution's backward pass.** Write `conv1d_input_gradient(grad_out, weight, stride, length)`: for the 1-D convolution `y = F.conv1d(x, weight, stride=stride)` (no padding, no bias; `weight` of shape `(C_out, C_in, K)`, `x` of shape `(N, C_in, length)`), return $\partial L/\partial x$ given `grad_out` $= \partial L/\partial y$ of shape `(N, C_out, L_out)`. Follow the derivation above, **without autograd and without `conv_transpose1d`** (the check refuses `torch.autograd.grad`, `.backward()` and `F.conv_transpose1d`: writing them by hand is the point): put the values of `grad_out` `stride` positions apart (zeros in between), pad $K-1$ zeros on both sides, correlate with `F.conv1d` using the filters flipped and with their channel axes swapped, and pad the result with zeros to `length` (input values that no window reaches get gradient 0). Do not modify the inputs, and create any new tensor on their device (`grad_out.new_zeros(...)` or `device=grad_out.device`). The check compares with autograd on three cases, on the notebook's device, and names the usual mistakes (filter not flipped, channels not swapped, stride or tail ignored).

# %%
import torch.nn.functional as F

def conv1d_input_gradient(grad_out, weight, stride, length):
    # your code here
    return None


# %%
from helpers.exercises.attribution import check_conv1d_input_gradient
print(check_conv1d_input_gradient(conv1d_input_gradient, device=lite0.device))


# %% [markdown]
# **2. Max-pooling's backward pass.** Write `maxpool2d_backward(grad_out, x, k)`: for `y = F.max_pool2d(x, k)` (windows of $k \times k$, stride $k$; `x` of shape `(N, C, H, W)` with $H$ and $W$ multiples of $k$), return $\partial L/\partial x$ given `grad_out` $= \partial L/\partial y$. Each window's signal goes to the position of the window's maximum (the "switch"), all other positions get 0. **Ties:** when a window's maximum occurs more than once (common: after a ReLU many values are exactly 0), the gradient of max-pooling still routes the signal to *one* input, the one PyTorch picks: the first in row-major order, which is what `argmax` of the flattened window and `F.max_pool2d(..., return_indices=True)` give. Find the switches yourself (e.g. reshape `x` into windows and take `argmax`), or with `F.max_pool2d(..., return_indices=True)` and `F.max_unpool2d`; without autograd (the check refuses it). Do not modify the inputs, and create any new tensor on their device. The check compares with autograd, on windows with and without tied maxima, on the notebook's device, and names the usual mistakes (signal to every input of the window, averaged as in average pooling, sent to the minimum, to every tied maximum).

# %%
def maxpool2d_backward(grad_out, x, k):
    # your code here
    return None


# %%
from helpers.exercises.attribution import check_maxpool2d_backward
print(check_maxpool2d_backward(maxpool2d_backward, device=lite0.device))


# %% [markdown]
# **3. The fooling loop.** Write `fooling_loop(model, x, target, epsilon, alpha, steps)`, the basic iterative method of Kurakin et al. (2016) on the class score: `x` is a batch of images, shape $(N, 3, H, W)$, with pixel values in $[0, 1]$, `model(x)` returns class scores $S$ of shape $(N, K)$, `target` is an int and `epsilon`, `alpha` floats; every image follows the gradient of its own target score (differentiate the sum over the batch, `model(x)[:, target].sum()`). Take exactly `steps` steps
# $$x \leftarrow \operatorname{clip}\big(x + \alpha\, \operatorname{sign}(\partial S_{\text{target}}/\partial x)\big),$$
# with the gradient taken at the current image and the clip keeping every value within `epsilon` of the **original** `x` and within $[0, 1]$. Return the new images (not the perturbation), a tensor of `x`'s shape; do not change `x`. Create every tensor on `x`'s device. Take the gradient with respect to the image only, with `torch.autograd.grad` (`.backward()` would also fill the weights' `.grad`), and leave the model as it is given (in eval mode: no `model.train()`). The check runs it on a small network with batch norm, dropout and trainable weights, on the notebook's device, and names the usual mistakes (step sign, budget, pixel range, raw gradient instead of its sign, the probability or log-probability instead of the score, gradient computed only once, one image only, `.backward()`, `model.train()`). Once it passes, the next cell runs your loop on the coffee photo with Lite0 (a budget of 4 gray levels, steps of 1).

# %%
def fooling_loop(model, x, target, epsilon, alpha, steps):
    # your code here
    return None


# %%
from helpers.exercises.attribution import check_fooling_loop
verdict = check_fooling_loop(fooling_loop, device=lite0.device)
print(verdict)

# %%
if verdict:  # your loop on a real photo: Lite0 scores pixels in [0, 1] after its own normalisation
    crop = A.model_input_crop(lite0, helpers.load_image("coffee"))
    pixels = torch.from_numpy(crop).permute(2, 0, 1)[None].float().div(255).to(lite0.device)
    scores_of = lambda z: lite0.model(lite0.normalize(z))
    target = lite0.class_index("tabby")
    adv = fooling_loop(scores_of, pixels, target, epsilon=4 / 255, alpha=1 / 255, steps=8)
    with torch.no_grad():
        top = int(scores_of(adv).argmax())
    print(f"after 8 steps: top-1 '{lite0.categories[top]}'; largest change {float((adv - pixels).abs().max()) * 255:.1f} gray levels")


# %% [markdown]
# **4. (Extra) Guided backprop's ReLU rule.** Write `guided_relu(grad_out, x)`: it gets the backward signal `grad_out` $= \partial S/\partial y$ at a ReLU and the ReLU's forward input `x` (tensors of the same shape) and returns the signal passed down, a tensor of the same shape; do not modify the inputs, and create any new tensor on their device. The check runs it on tensors, then swaps it in at every ReLU of a small network (`helpers.relu_backward_rule` accepts a function) and compares the map with `rule="guided"`; if you wrote another rule (the gradient's or DeconvNet's), it says which.

# %%
def guided_relu(grad_out, x):
    # your code here
    return None


# %%
from helpers.exercises.attribution import check_guided_rule
print(check_guided_rule(guided_relu, device=lite0.device))

# %% [markdown]
# Worked solutions: `solutions/06_solutions.py`.
#
# ## Check your understanding
#
# Answer with a letter (or a number) in place of `None`.

# %%
from helpers.exercises.attribution import Q1, Q2, Q3, Q4
print(Q1)

# %%
print(Q1.check(None))

# %%
print(Q2)

# %%
print(Q2.check(None))

# %%
print(Q3)

# %%
print(Q3.check(None))

# %%
print(Q4)

# %%
print(Q4.check(None))

# %% [markdown]
# ## Takeaways
#
# - **One mechanism.** Gradient (the paper's saliency), DeconvNet and guided backprop are the same backward pass through convolutions (flipped filters) and max-pooling (switches); they differ only at the ReLU: mask by the forward input, by the sign of the backward signal, or both (paper, Section 4).
# - **DeconvNet is tied to the image only by the max-pool switches**: in a network without max-pooling (Lite0) its map is the same for every image, and on the COCO photos it scores like a uniform map. With max-pooling (the toy CNN, VGG16) the switches tie it to the image.
# - **Sharper is not more faithful.** Guided backprop gives the cleanest maps and much mass on the toy objects, yet it is nearly the same for another class and survives re-initialising the top layers (Adebayo et al. 2018). Measure maps (masks, randomization) before trusting them.
# - **The gradient also fools.** A few one-gray-level steps along sign(∂S_c/∂I) change Lite0's decision (an adversarial example, Szegedy et al. 2014; Kurakin et al. 2016): a saliency map shows where the score is sensitive, not what the model "sees".
