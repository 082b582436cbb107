"""The ILSVRC top-5 localization error of a model over a folder of images with PASCAL-VOC XML boxes.

An image is right when a top-k guess has a true class and its box has IoU >= 0.5 with a true box of that
class. The box comes from `--method`: `gradcam` (default, `localize_photo`: Grad-CAM and the CAM protocol),
`paper` (`localize_photo_paper`: the paper's 10-crop gradient map and GraphCut) or `full_image` (the whole
image: the trivial reference every method should beat). Command line:
`python -m helpers.evaluation.ilsvrc evaluate --images DIR --boxes DIR --model NAME [--method paper]`.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..geometry import Box, check_positive_int
from ..images import load_image
from ..localization import LocalizationError
from ..models import Classifier, load_model
from ..photos import localize_photo, localize_photo_paper, without_unlikely_warnings
from ..targets import class_index
from .boxes import iou
from .voc import read_voc

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
METHODS = ("gradcam", "paper", "full_image")  # how a guessed class is boxed (see the module's docstring)


def _full_image_box(classifier: Classifier, image: np.ndarray, target: int) -> Box:
    """The trivial box: the whole image, whatever the class."""
    return (0, 0, int(image.shape[1]), int(image.shape[0]))


def method_box(method: str, classifier: Classifier, image: np.ndarray, target: int) -> Box:
    """The box `method` gives class `target` on `image` (one of METHODS)."""
    if method == "gradcam":
        return localize_photo(classifier, image, target).box
    if method == "paper":
        return localize_photo_paper(classifier, image, target).box
    if method == "full_image":
        return _full_image_box(classifier, image, target)
    raise ValueError(f"method must be one of {METHODS}; got {method!r}.")


@dataclass(frozen=True)
class IlsvrcResult:
    """ILSVRC-style scores over a folder: top-k localization and classification errors."""

    n_images: int
    top_k: int
    localization_error: float  # share of images where no top-k guess has the right class AND IoU >= 0.5
    classification_error: float  # share of images where no top-k guess has the right class
    n_failed: int  # localizations that raised LocalizationError (counted as wrong)

    def __str__(self) -> str:
        return (
            f"{self.n_images} images | top-{self.top_k} localization error {100 * self.localization_error:.1f}% | "
            f"top-{self.top_k} classification error {100 * self.classification_error:.1f}% | "
            f"failed localizations {self.n_failed}"
        )


def pair_images_and_boxes(images_dir: str | Path, boxes_dir: str | Path) -> list[tuple[Path, Path]]:
    """(image, XML) pairs matched by file stem; errors list what is missing."""
    images_dir, boxes_dir = Path(images_dir), Path(boxes_dir)
    for d in (images_dir, boxes_dir):
        if not d.is_dir():
            raise FileNotFoundError(f"No folder at {str(d)!r}.")
    images = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise FileNotFoundError(f"No images ({', '.join(IMAGE_SUFFIXES)}) in {str(images_dir)!r}.")
    missing = [p.name for p in images if not (boxes_dir / f"{p.stem}.xml").is_file()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} images have no XML box file in {str(boxes_dir)!r} (e.g. {missing[:3]}); "
            "expected <image stem>.xml for each."
        )
    return [(p, boxes_dir / f"{p.stem}.xml") for p in images]


def read_synsets(path: str | Path) -> dict[str, int]:
    """WordNet id -> class index from a file with one 'n01440764 tench, ...' line per class, in index order."""
    ids = [line.split()[0] for line in Path(path).read_text().splitlines() if line.strip()]
    return {wnid: i for i, wnid in enumerate(ids)}


def _class_resolver(classifier: Classifier, synsets: dict[str, int] | None):
    """A function mapping an XML object name to a class index of the classifier (or raising).

    A WordNet id goes through the synsets file; a class name must be a full name (`helpers.targets.class_index`
    with exact=True: annotation files name classes exactly, so no substring guessing).
    """

    def resolve(name: str) -> int:
        if re.fullmatch(r"n\d{8}", name):
            if synsets is None:
                raise ValueError(
                    f"The boxes name classes by WordNet id ({name!r}); pass --synsets FILE with one "
                    "'<wnid> <name>' line per class in the model's index order (e.g. LOC_synset_mapping.txt)."
                )
            if name not in synsets:
                raise ValueError(f"WordNet id {name!r} is not in the synsets file.")
            return synsets[name]
        try:
            return class_index(classifier.categories, name, exact=True)
        except ValueError:
            raise ValueError(f"Class {name!r} in the boxes is not one of {classifier.name}'s categories.") from None

    return resolve


def _batch_input(classifier: Classifier, images: list[np.ndarray]) -> torch.Tensor:
    """The classifier's standard evaluation input for each image (`classifier.preprocess`), as one batch."""
    return torch.cat([classifier.preprocess(img) for img in images])


@without_unlikely_warnings
def ilsvrc_localization_error(
    classifier: Classifier,
    pairs: Sequence[tuple[Path, Path]],
    *,
    batch_size: int = 32,
    top_k: int = 5,
    synsets: dict[str, int] | None = None,
    progress: bool = True,
    method: str = "gradcam",
) -> IlsvrcResult:
    """ILSVRC top-k localization error: an image is right if a top-k guess has a true class and a box
    with IoU >= 0.5 to a true box of that class. The guesses come from the standard evaluation crop,
    in batches on the model's device; only guesses of a true class are localized (the others are
    wrong whatever their box), each by `method`: "gradcam" (`localize_photo`, the photo pipeline as everywhere),
    "paper" (`localize_photo_paper`, the paper's pipeline) or "full_image" (the trivial reference).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}.")
    check_positive_int("batch_size", batch_size)
    check_positive_int("top_k", top_k)
    from tqdm.auto import tqdm

    resolve = _class_resolver(classifier, synsets)
    k = min(top_k, len(classifier.categories))
    loc_ok = cls_ok = failed = 0
    bar = tqdm(total=len(pairs), disable=not progress, desc="ILSVRC localization", unit="img")
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start : start + batch_size]
        images = [load_image(p) for p, _ in chunk]
        truths = [[(resolve(o.name), o.box) for o in read_voc(x).objects] for _, x in chunk]
        x = _batch_input(classifier, images)
        with torch.no_grad():
            guesses = classifier.model(x).topk(k, dim=1).indices.cpu().numpy()
        hits = [[int(g) for g in guesses[i] if any(g == c for c, _ in truths[i])] for i in range(len(chunk))]
        cls_ok += sum(bool(h) for h in hits)
        correct = [False] * len(chunk)
        for i, classes in enumerate(hits):
            for cls in classes:
                try:
                    box = method_box(method, classifier, images[i], cls)
                except LocalizationError:
                    failed += 1
                    continue
                correct[i] |= any(iou(box, b) >= 0.5 for c, b in truths[i] if c == cls)
        loc_ok += sum(correct)
        bar.update(len(chunk))
    bar.close()
    n = len(pairs)
    return IlsvrcResult(n, k, 1.0 - loc_ok / n, 1.0 - cls_ok / n, failed)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: `python -m helpers.evaluation.ilsvrc evaluate --images DIR --boxes DIR --model NAME`."""
    parser = argparse.ArgumentParser(prog="python -m helpers.evaluation.ilsvrc", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="ILSVRC top-5 localization error over a folder of images and VOC XML boxes")
    ev.add_argument("--images", type=Path, required=True, help="folder of images")
    ev.add_argument("--boxes", type=Path, required=True, help="folder of VOC XML files, one <image stem>.xml per image")
    ev.add_argument(
        "--model", default="efficientnet_lite0", help="efficientnet_lite0, toy, or a torchvision name (e.g. vgg16)"
    )
    ev.add_argument("--weights", type=Path, default=None, help="local weights file for the model")
    ev.add_argument(
        "--synsets", type=Path, default=None, help="WordNet id -> index file, when the XML names classes by wnid"
    )
    ev.add_argument("--batch-size", type=int, default=32)
    ev.add_argument("--top-k", type=int, default=5)
    ev.add_argument(
        "--method",
        choices=METHODS,
        default="gradcam",
        help="how a guessed class is boxed: gradcam (localize_photo, default), paper (the paper's 10-crop "
        "gradient and GraphCut, localize_photo_paper) or full_image (the trivial reference)",
    )
    ev.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    ev.add_argument("--limit", type=int, default=None, help="evaluate only the first N images")
    ev.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    try:
        pairs = pair_images_and_boxes(args.images, args.boxes)[: args.limit]
        classifier = load_model(args.model, args.device, weights=args.weights)
        synsets = read_synsets(args.synsets) if args.synsets else None
        result = ilsvrc_localization_error(
            classifier,
            pairs,
            batch_size=args.batch_size,
            top_k=args.top_k,
            synsets=synsets,
            progress=not args.no_progress,
            method=args.method,
        )
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{args.method}: {result}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
