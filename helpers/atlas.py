"""The class atlas: a class image for many classes at once, each scored by a network that did not make it.

Beyond the paper. The paper (Sect. 2) shows class images and calls them recognisable by eye; here we
measure it. Class images come from `class_model_visualization` with a *batch* of targets (one
forward/backward for the whole batch), and a *judge*, a second network (e.g. Lite2, of the same family as Lite0), classifies each image:

    recognisability = share of classes whose class image puts the target in the judge's top-5.

Command line (resumable: classes already in DIR are skipped):

    python -m helpers.atlas --classes all|N|name,name,... --model efficientnet_lite0 \\
        --judge efficientnet_lite2 --method paper|regularized|jitter_blur --steps S --size PX [--batch B] --out DIR [--yes]

DIR receives one PNG per class, `contact_sheet.png` (a grid with class names), `index.html` (a table
sortable by score) and `atlas.json` (per class: the target's rank and probability under the
generating model and under the judge). PNGs and contact sheet are contrast-stretched (`contrast_stretch`); the
judge scores the image before the stretch. PNGs and atlas.json are written per batch (resumable), the sheet and
the page once at the end (also when interrupted). No --batch: chosen from the device (`default_batch`).
On a CPU the command prints its estimated duration, and without --classes (all 1000 classes: hours) it
refuses unless --yes is given (helpers.atlas_command). `python -m helpers.atlas --help` shows every option's default.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from .atlas_command import (
    CPU_BATCH,
    MAX_CUDA_BATCH,
    METHODS,
    CommandError,
    check_device,
    check_steps,
    cpu_preflight,
    estimate_line,
    load_named,
    parse,
)
from .classvis import Blur, Clip, Jitter, class_model_visualization
from .course.atlas_pages import contact_sheet, html_page
from .feature_vis import contrast_stretch, feature_visualization
from .geometry import check_positive_int, resize_shorter_side
from .inputs import as_classifier
from .models import Classifier, WeightsUnavailableError
from .targets import class_index

MIB_PER_IMAGE_160 = 70.0  # peak MiB per class image at 160 px (46 measured for "paper", fp32; margin for transforms)
TOP_K = 5
ATLAS_JSON = "atlas.json"
CONTACT_SHEET = "contact_sheet.png"
HTML_PAGE = "index.html"


class AtlasError(ValueError):
    """Bad atlas input (classes, output folder, settings), with a message that says what was expected."""


# ----------------------------------------------------------------------------------------------
# Methods and classes.


def method_settings(method: str) -> dict:
    """Keyword arguments of the function that makes a method's class images, for a method name.

    "paper": the paper's plain method (`class_model_visualization`: SGD on S_c - lambda ||I||^2 from the mean
    image, the model's default lr and lambda). Beyond the paper: "regularized", the best method measured
    (`feature_visualization`: Adam on a colour-decorrelated Fourier image under random pad, jitter, scale and
    rotation; benchmarks/README.md), and "jitter_blur", the former "regularized" (`class_model_visualization`
    with Adam + jitter + blur + clip).
    """
    if method == "paper":
        return {"optimizer": "sgd", "regularizers": ()}
    if method == "regularized":
        return {}
    if method == "jitter_blur":
        return {"optimizer": "adam", "regularizers": (Jitter(), Blur(1.0, 4), Clip())}
    raise AtlasError(f"method must be one of {METHODS}; got {method!r}.")


def default_batch(device: torch.device | str, size: int = 160) -> int:
    """Classes per batch for a device: CPU_BATCH on a CPU; on CUDA as many as ~60% of the free memory holds
    (MIB_PER_IMAGE_160 scaled by the pixel count), at most MAX_CUDA_BATCH."""
    device = torch.device(device)
    if device.type != "cuda":
        return CPU_BATCH
    free, _total = torch.cuda.mem_get_info(device)
    per_image = MIB_PER_IMAGE_160 * 2**20 * (int(size) / 160) ** 2
    return int(max(1, min(MAX_CUDA_BATCH, 0.6 * free // per_image)))


def parse_classes(spec: str | int | Sequence[int | str], categories: Sequence[str]) -> list[int]:
    """Class indices from "all", a count N (N classes evenly spaced over the index range), or names/indices.

    A string with commas is a list ("limousine,goose,417"); a bad name gives the close matches.
    Duplicates are dropped, order kept.
    """
    n_classes = len(categories)
    if isinstance(spec, str):
        text = spec.strip()
        if text.lower() == "all":
            return list(range(n_classes))
        if text.isdigit():
            spec = int(text)
        else:
            spec = [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        if not 1 <= int(spec) <= n_classes:
            raise AtlasError(f"--classes N must be between 1 and {n_classes}; got {int(spec)}.")
        return [int(round(v)) for v in np.linspace(0, n_classes - 1, int(spec))] if spec > 1 else [0]
    if not isinstance(spec, Sequence) or not spec:
        raise AtlasError(f"classes must be 'all', a count N, or a non-empty list of class names/indices; got {spec!r}.")
    indices: list[int] = []
    for item in spec:
        if isinstance(item, str) and item.strip().isdigit():
            item = int(item.strip())
        try:
            c = class_index(list(categories), item)
        except (ValueError, IndexError, TypeError) as err:
            raise AtlasError(f"Bad class {item!r}: {err}") from None
        if c not in indices:
            indices.append(c)
    return indices


# ----------------------------------------------------------------------------------------------
# Scoring.


@dataclass(frozen=True)
class Score:
    """The target's rank (1 = top-1) and probability under one classifier."""

    rank: int
    prob: float


def _ranks_and_probs(logits: torch.Tensor, targets: torch.Tensor) -> list[Score]:
    """Per row: rank of the target among all classes (1-based) and its softmax probability."""
    probs = logits.float().softmax(dim=1)
    target_prob = probs.gather(1, targets.view(-1, 1))
    ranks = (probs > target_prob).sum(dim=1) + 1
    return [Score(int(r), float(p)) for r, p in zip(ranks.tolist(), target_prob.squeeze(1).tolist())]


def _as_pixels(images: Sequence[np.ndarray] | np.ndarray) -> torch.Tensor:
    """uint8 images (a list of HxWx3 of one size, or NxHxWx3) -> float (N,3,H,W) in [0, 1]."""
    arrays = list(images) if not isinstance(images, np.ndarray) or images.ndim == 4 else None
    if arrays is None or not arrays:
        raise AtlasError("images must be a non-empty list of uint8 HxWx3 arrays (or an NxHxWx3 uint8 array).")
    first = arrays[0]
    for a in arrays:
        if (
            not isinstance(a, np.ndarray)
            or a.dtype != np.uint8
            or a.ndim != 3
            or a.shape[-1] != 3
            or a.shape != first.shape
        ):
            got = f"{a.dtype} {a.shape}" if isinstance(a, np.ndarray) else type(a).__name__
            raise AtlasError(f"images must be uint8 HxWx3 arrays of one size (like {first.shape}); got {got}.")
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).float() / 255.0


@torch.no_grad()
def judge(
    judge_model: Classifier,
    images: Sequence[np.ndarray] | np.ndarray,
    targets: Sequence[int | str],
    *,
    batch_size: int = 32,
    size: int | None = None,
) -> list[Score]:
    """Score class images with a judge network: per image, the target's rank and probability.

    Each uint8 image is resized (bilinear, antialiased) to `size` (default: the judge's input size) and
    normalised its way; the judge must share the generator's classes (ImageNet for the Lite models and
    torchvision ones). `size` lets the generator score its images under another network's resize (a control
    for what the resize alone does). `batch_size` images per forward pass.
    """
    judge_model = as_classifier(judge_model, "judge")
    check_positive_int("batch_size", batch_size)
    check_positive_int("size", size, allow_none=True)
    side = judge_model.input_size if size is None else int(size)
    pixels = _as_pixels(images)
    if len(targets) != len(pixels):
        raise AtlasError(f"Need one target per image; got {len(targets)} targets for {len(pixels)} images.")
    target_ids = torch.tensor([judge_model.class_index(t) for t in targets], dtype=torch.long)
    scores: list[Score] = []
    for start in range(0, len(pixels), batch_size):
        chunk = resize_shorter_side(pixels[start : start + batch_size], side)
        logits = judge_model.model(judge_model.normalize(chunk.to(judge_model.device)))
        scores += _ranks_and_probs(logits.cpu(), target_ids[start : start + batch_size])
    return scores


@torch.no_grad()
def self_score(model: Classifier, images: Sequence[np.ndarray], targets: Sequence[int]) -> list[Score]:
    """The generating model's own scores of the saved uint8 images, at the size they were made."""
    model = as_classifier(model, "self_score")
    pixels = _as_pixels(images).to(model.device)
    logits = model.model(model.normalize(pixels))
    return _ranks_and_probs(logits.cpu(), torch.tensor(list(targets), dtype=torch.long))


def recognisability(judge_ranks: Sequence[int], k: int = TOP_K) -> float:
    """Share of classes whose class image puts the target in the judge's top-k."""
    if len(judge_ranks) == 0:
        raise AtlasError("recognisability needs at least one judged class.")
    return float(np.mean([int(r) <= k for r in judge_ranks]))


# ----------------------------------------------------------------------------------------------
# The atlas.


@dataclass(frozen=True)
class AtlasEntry:
    """One class of the atlas: where its image is and how both networks score it."""

    index: int
    name: str
    file: str
    model_rank: int
    model_prob: float
    judge_rank: int | None
    judge_prob: float | None


@dataclass
class Atlas:
    """Settings, entries (in class order) and, in memory, the images (`images[class_index]`)."""

    settings: dict
    entries: list[AtlasEntry]
    images: dict[int, np.ndarray]

    def recognisability(self, k: int = TOP_K) -> float:
        """Share of classes in the judge's top-k (needs a judge)."""
        ranks = [e.judge_rank for e in self.entries]
        if any(r is None for r in ranks):
            raise AtlasError("This atlas was made without a judge; recognisability needs one.")
        return recognisability(ranks, k)  # type: ignore[arg-type]

    def sorted_by_judge(self) -> list[AtlasEntry]:
        """Entries from the most to the least recognisable (judge probability of the target, highest first)."""
        return sorted(self.entries, key=lambda e: (-(e.judge_prob or 0.0), e.index))


def _slug(name: str) -> str:
    """A file-name-safe version of a class name."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "class"


def _batches(items: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def generate_class_images(
    model: Classifier,
    classes: Sequence[int],
    *,
    method: str = "paper",
    steps: int = 150,
    size: int = 160,
    batch_size: int = 16,
    seed: int = 0,
) -> Iterator[tuple[list[int], list[np.ndarray]]]:
    """Yield (classes, uint8 images) batch by batch: all targets of a batch share one forward/backward per step.

    The random shifts (and transforms) depend only on the seed and the step, and the initial image only on
    the seed and the class, not on the batch, so an image does not depend on which batch its class falls in
    (resuming gives the same atlas). `batch_size` classes per batch.
    """
    kwargs = method_settings(method)
    for chunk in _batches(list(classes), int(batch_size)):
        if method == "regularized":
            results = feature_visualization(
                model, chunk, steps=int(steps), size=int(size), seed=int(seed), progress=False, **kwargs
            )
        else:
            start = torch.zeros(1, 3, int(size), int(size), device=model.device)
            results = class_model_visualization(
                model, chunk, steps=int(steps), init=start, seed=int(seed), progress=False, **kwargs
            )
        yield chunk, [r.image for r in results]


def run_atlas(
    model: Classifier,
    classes: str | int | Sequence[int | str],
    *,
    judge_model: Classifier | None = None,
    method: str = "paper",
    steps: int = 150,
    size: int = 160,
    batch_size: int | None = None,
    seed: int = 0,
    out: str | Path | None = None,
    progress: bool = True,
) -> Atlas:
    """Make (or, with `out`, resume and write) an atlas; returns it with the images in memory.

    With `out`, classes whose PNG and entry already exist there are skipped; each batch writes its PNGs
    (contrast-stretched) and atlas.json; the contact sheet and the HTML page are written once at the end, or
    when the run stops early. `atlas.images` holds the images as made (unstretched), except classes resumed
    from `out`, read back from their stretched PNGs. `batch_size=None`: `default_batch` for the device.
    """
    class_ids = parse_classes(classes, model.categories)
    method_settings(method)  # validate before any work
    batch_size = _atlas_batch_size(model, method, size, batch_size)
    _check_positive(steps=steps, size=size, batch=batch_size)
    _check_judge(model, judge_model)
    settings = {
        "model": model.name,
        "judge": judge_model.name if judge_model else None,
        "method": method,
        "steps": int(steps),
        "size": int(size),
        "seed": int(seed),
    }
    store = AtlasStore(out, settings)
    atlas = store.resume(class_ids)
    todo = [c for c in class_ids if c not in atlas.images]
    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(class_ids),
        initial=len(class_ids) - len(todo),
        desc=f"atlas ({method})",
        unit="class",
        disable=not progress,
    )
    order = {c: i for i, c in enumerate(class_ids)}
    try:
        for chunk, images in generate_class_images(
            model, todo, method=method, steps=steps, size=size, batch_size=batch_size, seed=seed
        ):
            _add_batch(atlas, store, model, judge_model, chunk, images)
            bar.update(len(chunk))
    finally:
        bar.close()
        atlas.entries.sort(key=lambda e: order[e.index])
        store.finish(atlas)
    return atlas


def _atlas_batch_size(model: Classifier, method: str, size: int, batch_size: int | None) -> int:
    """The given batch size, or `default_batch` for the device ("regularized" shows the model its images at its input size)."""
    if batch_size is not None:
        return batch_size
    return default_batch(model.device, max(size, model.input_size) if method == "regularized" else size)


def _check_judge(model: Classifier, judge_model: Classifier | None) -> None:
    if judge_model is not None and list(judge_model.categories) != list(model.categories):
        raise AtlasError(
            f"The judge {judge_model.name!r} must have the generator's classes "
            f"({len(model.categories)}); it has {len(judge_model.categories)}."
        )


def _add_batch(
    atlas: Atlas,
    store: AtlasStore,
    model: Classifier,
    judge_model: Classifier | None,
    chunk: list[int],
    images: list[np.ndarray],
) -> None:
    """Score one batch of class images (own model, judge), add their entries and images, and store them."""
    own = self_score(model, images, chunk)
    judged = judge(judge_model, images, chunk) if judge_model is not None else [None] * len(chunk)
    for c, image, mine, theirs in zip(chunk, images, own, judged):
        name = model.categories[c]
        entry = AtlasEntry(
            c,
            name,
            f"{c:04d}_{_slug(name)}.png",
            mine.rank,
            round(mine.prob, 6),
            theirs.rank if theirs else None,
            round(theirs.prob, 6) if theirs else None,
        )
        atlas.entries.append(entry)
        atlas.images[c] = image
        store.save_image(entry, image)
    store.save_progress(atlas)


class AtlasStore:
    """Where an atlas is written (`out`), or nowhere (`out=None`: every method does nothing)."""

    def __init__(self, out: str | Path | None, settings: dict) -> None:
        self.settings = settings
        self.folder = _prepare_folder(out, settings) if out is not None else None

    def resume(self, class_ids: Sequence[int]) -> Atlas:
        """An atlas holding the requested classes already in the folder (entries and images read back)."""
        done = _load_entries(self.folder) if self.folder is not None else {}
        atlas = Atlas(self.settings, [done[c] for c in class_ids if c in done], {})
        for c in class_ids:
            if c in done:
                atlas.images[c] = _read_png(self.folder / done[c].file)  # type: ignore[operator]
        return atlas

    def save_image(self, entry: AtlasEntry, image: np.ndarray) -> None:
        if self.folder is not None:
            _write_png(self.folder / entry.file, contrast_stretch(image))

    def save_progress(self, atlas: Atlas) -> None:
        if self.folder is not None:
            write_json(atlas, self.folder)  # a few bytes per class: cheap, and what resuming needs

    def finish(self, atlas: Atlas) -> None:
        if self.folder is not None:
            write_outputs(atlas, self.folder)


def _check_positive(**values: int) -> None:
    """Integers that must be > 0 (steps included: 0 steps would save the unoptimised start), as AtlasErrors."""
    for name, value in values.items():
        try:
            check_positive_int(name, value)
        except ValueError as err:
            raise AtlasError(str(err)) from None


def _prepare_folder(out: str | Path, settings: dict) -> Path:
    """Create DIR (or check it), make sure it is writable and that a resumed atlas used the same settings."""
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise AtlasError(f"--out {str(folder)!r} is a file, not a writable folder; choose another --out.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise AtlasError(f"Cannot create the output folder {str(folder)!r}: {err.strerror or err}.") from None
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise AtlasError(f"The output folder {str(folder)!r} is not a writable folder; choose another --out.")
    existing = folder / ATLAS_JSON
    if existing.is_file():
        previous = _read_json(existing).get("settings", {})
        if previous and previous != settings:
            diff = {k: (previous.get(k), settings.get(k)) for k in settings if previous.get(k) != settings.get(k)}
            raise AtlasError(
                f"{str(folder)!r} holds an atlas made with other settings {diff} (before, now); "
                "use another --out or the same settings to resume."
            )
    return folder


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise AtlasError(f"Cannot read {str(path)!r} ({err}); delete it to start the atlas afresh.") from None
    if not isinstance(data, dict):
        raise AtlasError(f"{str(path)!r} is not an atlas file (expected a JSON object).")
    return data


def _load_entries(folder: Path) -> dict[int, AtlasEntry]:
    """Entries of a previous run whose PNG is still there (the resumable part)."""
    path = folder / ATLAS_JSON
    if not path.is_file():
        return {}
    entries = {}
    for raw in _read_json(path).get("classes", []):
        entry = AtlasEntry(**raw)
        if (folder / entry.file).is_file():
            entries[entry.index] = entry
    return entries


def _write_png(path: Path, image: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray(image).save(path)


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


# ----------------------------------------------------------------------------------------------
# Outputs: atlas.json, contact sheet, HTML page.


def write_outputs(atlas: Atlas, folder: Path) -> None:
    """Write atlas.json, the contact sheet and the HTML page for the entries made so far."""
    write_json(atlas, folder)
    contact_sheet(atlas).save(folder / CONTACT_SHEET)
    (folder / HTML_PAGE).write_text(html_page(atlas))


def write_json(atlas: Atlas, folder: Path) -> None:
    """Write atlas.json (settings, summary, one entry per class) atomically."""
    summary: dict = {"classes_done": len(atlas.entries)}
    if atlas.entries and all(e.judge_rank is not None for e in atlas.entries):
        summary["recognisability_top5"] = round(atlas.recognisability(), 4)
    data = {"settings": atlas.settings, "summary": summary, "classes": [asdict(e) for e in atlas.entries]}
    tmp = folder / (ATLAS_JSON + ".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(folder / ATLAS_JSON)  # atomic: an interrupted run never leaves half a file


# ----------------------------------------------------------------------------------------------
# Command line.


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command (options: helpers.atlas_command); bad input prints one clear line and exits with status 2."""
    args = parse(argv)
    try:
        check_steps(args.steps)
        device = check_device(args.device)
        model = load_named("--model", args.model, device)
        cpu_preflight(args, model)
        class_ids = parse_classes(args.classes or "all", model.categories)
        judge_model = None if args.judge.lower() == "none" else load_named("--judge", args.judge, device)
        estimate = estimate_line(len(class_ids), args, model)
        if estimate:
            print(estimate)
        atlas = run_atlas(
            model,
            class_ids,
            judge_model=judge_model,
            method=args.method,
            steps=args.steps,
            size=args.size,
            batch_size=args.batch,
            seed=args.seed,
            out=args.out,
        )
    except (AtlasError, CommandError, WeightsUnavailableError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    folder = Path(args.out)
    line = f"{len(atlas.entries)} classes in {folder}"
    if judge_model is not None:
        line += f"; recognisability (target in {judge_model.name}'s top-5): {atlas.recognisability():.1%}"
    print(line)
    print(f"open {folder / HTML_PAGE} (sortable), {folder / CONTACT_SHEET}, {folder / ATLAS_JSON}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
