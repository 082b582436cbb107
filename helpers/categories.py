"""ImageNet-1k class names, and the one tested table from COCO categories to the ImageNet classes of the same objects.

An ImageNet classifier has no "dog" output, it has 118 dog breeds; it has no "motorcycle", but it has
"moped" and "motor scooter". To ask a classifier about a COCO object we take the class of the set
with the highest score on the image (see `best_imagenet_class`). A COCO category with no ImageNet
counterpart (person, giraffe, fork, cake, ...) maps to the empty set, and asking for its classes
raises `NoImageNetCounterpart`. Note that ImageNet's "kite" (index 21) is the bird, so COCO's kite
maps to nothing.

Class names are those of torchvision's ImageNet-1k list (`imagenet_categories`, owned here: the
models, the images and this table all name classes by it); large contiguous groups are given as index ranges.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch

from .paths import DATA_DIR

DOMESTIC_CATS = range(281, 286)  # tabby, tiger cat, Persian cat, Siamese cat, Egyptian cat
DOG_BREEDS = range(151, 269)  # Chihuahua .. Mexican hairless
BIRDS = (
    *range(7, 25),
    *range(80, 101),
    *range(127, 147),
)  # cock .. great grey owl, black grouse .. black swan, white stork .. albatross

# COCO category name -> ImageNet class names (or indices, for the contiguous groups above).
COCO_TO_IMAGENET: dict[str, tuple[str | int, ...]] = {
    "person": (),
    "bicycle": ("mountain bike", "bicycle-built-for-two"),
    "car": (
        "sports car",
        "convertible",
        "cab",
        "beach wagon",
        "limousine",
        "minivan",
        "jeep",
        "racer",
        "Model T",
        "ambulance",
        "police van",
    ),
    "motorcycle": ("moped", "motor scooter"),
    "airplane": ("airliner", "warplane", "wing"),
    "bus": ("school bus", "trolleybus", "minibus"),
    "train": ("passenger car", "electric locomotive", "steam locomotive", "bullet train", "freight car", "streetcar"),
    "truck": ("trailer truck", "pickup", "tow truck", "garbage truck", "fire engine", "moving van"),
    "boat": (
        "canoe",
        "speedboat",
        "lifeboat",
        "fireboat",
        "gondola",
        "yawl",
        "catamaran",
        "trimaran",
        "container ship",
        "liner",
        "schooner",
    ),
    "traffic light": ("traffic light",),
    "fire hydrant": (),
    "stop sign": ("street sign",),
    "parking meter": ("parking meter",),
    "bench": ("park bench",),
    "bird": BIRDS,
    "cat": tuple(DOMESTIC_CATS),
    "dog": tuple(DOG_BREEDS),
    "horse": ("sorrel",),
    "sheep": ("ram",),
    "cow": ("ox",),
    "elephant": ("Indian elephant", "African elephant", "tusker"),
    "bear": ("brown bear", "American black bear", "ice bear", "sloth bear"),
    "zebra": ("zebra",),
    "giraffe": (),
    "backpack": ("backpack",),
    "umbrella": ("umbrella",),
    "handbag": ("purse",),
    "tie": ("Windsor tie", "bow tie"),
    "suitcase": (),
    "frisbee": (),
    "skis": ("ski",),
    "snowboard": (),
    "sports ball": (
        "soccer ball",
        "tennis ball",
        "golf ball",
        "basketball",
        "baseball",
        "volleyball",
        "rugby ball",
        "ping-pong ball",
        "croquet ball",
    ),
    "kite": (),  # ImageNet's "kite" is a bird of prey
    "baseball bat": (),
    "baseball glove": (),
    "skateboard": (),
    "surfboard": (),
    "tennis racket": ("racket",),
    "bottle": ("beer bottle", "wine bottle", "water bottle", "pop bottle"),
    "wine glass": ("goblet", "red wine"),
    "cup": ("cup", "coffee mug", "espresso"),
    "fork": (),
    "knife": (),
    "spoon": ("wooden spoon",),
    "bowl": ("mixing bowl", "soup bowl"),
    "banana": ("banana",),
    "apple": ("Granny Smith",),
    "sandwich": (),
    "orange": ("orange",),
    "broccoli": ("broccoli",),
    "carrot": (),
    "hot dog": ("hotdog",),
    "pizza": ("pizza",),
    "donut": (),
    "cake": (),
    "chair": ("folding chair", "rocking chair", "barber chair"),
    "couch": ("studio couch",),
    "potted plant": ("pot",),
    "bed": ("four-poster",),
    "dining table": ("dining table",),
    "toilet": ("toilet seat",),
    "tv": ("television", "screen"),
    "laptop": ("laptop", "notebook"),
    "mouse": ("mouse",),
    "remote": ("remote control",),
    "keyboard": ("computer keyboard",),
    "cell phone": ("cellular telephone",),
    "microwave": ("microwave",),
    "oven": (),
    "toaster": ("toaster",),
    "sink": ("washbasin",),
    "refrigerator": ("refrigerator",),
    "book": (),
    "clock": ("analog clock", "wall clock", "digital clock"),
    "vase": ("vase",),
    "scissors": (),
    "teddy bear": ("teddy",),
    "hair drier": ("hand blower",),
    "toothbrush": (),
}


IMAGENET_CATEGORIES_FILE = DATA_DIR / "imagenet" / "categories.txt"  # torchvision's list, one name a line


def imagenet_categories() -> list[str]:
    """The 1000 ImageNet-1k class names, in index order: torchvision's list, read from the course data.

    Kept as a file (tests check it equals torchvision's) so offline notebooks never import torchvision (2 s).
    """
    return list(_imagenet_categories())


@lru_cache(maxsize=1)
def _imagenet_categories() -> tuple[str, ...]:
    names = tuple(IMAGENET_CATEGORIES_FILE.read_text(encoding="utf-8").splitlines())
    if len(names) != 1000:
        raise ValueError(
            f"{IMAGENET_CATEGORIES_FILE} should list 1000 ImageNet classes, one a line; it lists {len(names)}."
        )
    return names


class NoImageNetCounterpart(ValueError):
    """Raised when a COCO category has no ImageNet-1k class (e.g. person), so a classifier cannot be asked about it."""


@lru_cache(maxsize=1)
def _imagenet_index() -> dict[str, int]:
    return {name: i for i, name in enumerate(imagenet_categories())}


def imagenet_classes(category: str) -> tuple[int, ...]:
    """Sorted ImageNet-1k indices of a COCO category; raises for an unknown category or one with no counterpart."""
    if category not in COCO_TO_IMAGENET:
        raise KeyError(f"{category!r} is not a COCO category; known: {sorted(COCO_TO_IMAGENET)}.")
    entries = COCO_TO_IMAGENET[category]
    if not entries:
        raise NoImageNetCounterpart(
            f"COCO category {category!r} has no ImageNet-1k counterpart, so an ImageNet classifier cannot be asked about it. "
            f"Categories that map: {', '.join(mappable_categories())}."
        )
    index = _imagenet_index()
    return tuple(sorted(e if isinstance(e, int) else index[e] for e in entries))


def has_imagenet_counterpart(category: str) -> bool:
    """True if the COCO category maps to at least one ImageNet class."""
    return bool(COCO_TO_IMAGENET.get(category))


def mappable_categories() -> list[str]:
    """The COCO categories that map to ImageNet classes, in table order."""
    return [c for c, entries in COCO_TO_IMAGENET.items() if entries]


def best_imagenet_class(scores: torch.Tensor | np.ndarray, classes: Sequence[int]) -> int:
    """The class among `classes` with the highest score: the class we explain for a COCO category."""
    s = np.asarray(scores.detach().cpu() if isinstance(scores, torch.Tensor) else scores, np.float64).reshape(-1)
    if not len(classes):
        raise ValueError("Need at least one candidate class.")
    idx = [int(c) for c in classes]
    return idx[int(np.argmax(s[idx]))]
