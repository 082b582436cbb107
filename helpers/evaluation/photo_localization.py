"""Localization on the annotated photos: every localizer and baseline, scored by IoU with the true boxes.

`photo_cases` picks each photo's dominant object and the class to explain; a `Localizer` is one
saliency kind plus one way to a box (GraphCut, the CAM protocol, a baseline); `PHOTO_LOCALIZERS` are the
rows of benchmarks/bench_photo_localization.py; `evaluate_photos` runs them. The two rows that matter,
the paper's pipeline and `localize_photo` (Grad-CAM + the CAM protocol), call the same functions as
`helpers.photos.localize_photo_paper` and `helpers.photos.localize_photo`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from ..cam import CAM_THRESHOLD, cam_box
from ..categories import NoImageNetCounterpart, best_imagenet_class, imagenet_classes
from ..coco import read_coco
from ..geometry import Box
from ..images import list_images, load_image, photo_info
from ..localization import PAPER, LocalizationError, centred_box, localize, threshold_box
from ..methods import METHODS, AttributionMethod
from ..models import Classifier
from ..paths import DATA_DIR
from ..photos import photo_saliency, quantise_map, without_unlikely_warnings
from ..views import whole_image_scores
from .boxes import iou


@dataclass(frozen=True)
class PhotoCase:
    """One evaluation photo: its dominant object's category, the class we explain, and the true boxes."""

    name: str
    image: np.ndarray
    category: str
    target: int  # the classifier's class index whose saliency is localized
    boxes: tuple[Box, ...]  # every (non-crowd) instance of the category: a box of the class counts (ILSVRC)
    area_fraction: float  # share of the frame covered by the dominant instance (its mask; its box for bundled photos)


def photo_cases(classifier: Classifier, names: Sequence[str] | None = None) -> list[PhotoCase]:
    """The photos (default: all of `helpers.list_images()`) whose dominant object an ImageNet class names.

    The dominant object is the largest non-crowd instance (`PhotoInfo.dominant_object`). Photos whose
    dominant category has no ImageNet counterpart (person, giraffe, cake, ...) are skipped: a
    classifier cannot be asked about them. The class explained is the best-scoring one of the
    category's ImageNet classes on the whole photo (as `helpers.photos.photo_target` and the benchmark).
    """
    cases = []
    for name in list_images() if names is None else names:
        info = photo_info(name)
        dominant = info.dominant_object()
        try:
            classes = info.imagenet_indices(dominant.category)
        except NoImageNetCounterpart:
            continue
        image = load_image(name)
        scores = whole_image_scores(classifier, image)
        boxes = tuple(
            b for b, c, crowd in zip(info.boxes, info.categories, info.crowd) if c == dominant.category and not crowd
        )
        cases.append(
            PhotoCase(
                name, image, dominant.category, best_imagenet_class(scores, classes), boxes, dominant.area_fraction
            )
        )
    return cases


Method = Literal["graphcut", "cam", "threshold", "centred", "full_image"]
SaliencyKind = Literal[
    "smoothgrad", "photo", "ten_crop", "single", "gradcam", "ten_crop_smoothgrad"
]  # saliency_functions()


@dataclass(frozen=True)
class Localizer:
    """One row of the photo evaluation: a saliency kind and a way to turn it into a box."""

    label: str
    method: Method
    saliency: SaliencyKind | None = None  # None for the baselines that ignore the image's content
    settings: tuple[tuple[str, object], ...] = ()  # keyword arguments of localize / threshold_box / centred_box
    beyond_paper: bool = True

    def box(self, image: np.ndarray, saliency: np.ndarray | None) -> Box:
        """This localizer's box for one image (a failed localization boxes the whole image)."""
        kwargs = dict(self.settings)
        h, w = image.shape[:2]
        if self.method == "full_image":
            return (0, 0, w, h)
        if self.method == "centred":
            return centred_box(image.shape, **kwargs)  # type: ignore[arg-type]
        if saliency is None:
            raise ValueError(f"Localizer {self.label!r} needs a saliency kind.")
        if self.method == "threshold":
            return threshold_box(saliency, image.shape, **kwargs)  # type: ignore[arg-type]
        if self.method == "cam":
            return cam_box(saliency, **kwargs)  # type: ignore[arg-type]
        try:
            return localize(image, saliency, **kwargs).box  # type: ignore[arg-type]
        except LocalizationError:
            return (0, 0, w, h)


def _graphcut(label: str, saliency: SaliencyKind, beyond: bool = True, **settings: object) -> Localizer:
    return Localizer(label, "graphcut", saliency, tuple(settings.items()), beyond)


# The rows of benchmarks/bench_photo_localization.py. "paper" = the paper's method exactly (= localize_photo_paper).
PHOTO_LOCALIZERS: tuple[Localizer, ...] = (
    _graphcut(
        "paper: 10-crop saliency, GraphCut 95/30, one cut, full size",
        "ten_crop",
        beyond=False,
        **dataclasses.asdict(PAPER),
    ),
    _graphcut(
        "paper's GraphCut at 224 px",
        "ten_crop",
        max_side=224,
        **{k: getattr(PAPER, k) for k in ("iterations", "init", "smooth")},
    ),
    _graphcut("10-crop saliency, default GraphCut", "ten_crop"),
    _graphcut(
        "SmoothGrad saliency, paper's GraphCut at 224 px",
        "smoothgrad",
        max_side=224,
        **{k: getattr(PAPER, k) for k in ("iterations", "init", "smooth")},
    ),
    _graphcut("SmoothGrad, seeds-only colour models (paper's init)", "smoothgrad", init="seeds"),
    _graphcut("SmoothGrad, no blur of the map", "smoothgrad", smooth=0.0),
    _graphcut("SmoothGrad, foreground quantile 99%", "smoothgrad", fg_quantile=0.99),
    _graphcut("SmoothGrad, GrabCut at full size", "smoothgrad", max_side=None),
    _graphcut("SmoothGrad, default GraphCut", "smoothgrad"),
    Localizer("Grad-CAM, CAM protocol 20% = localize_photo", "cam", "gradcam", (("threshold", CAM_THRESHOLD),)),
    Localizer("baseline: box around SmoothGrad >= q95", "threshold", "smoothgrad"),
    Localizer("baseline: box around 10-crop saliency >= q95", "threshold", "ten_crop"),
    Localizer("baseline: centred box, 50% of the sides", "centred", settings=(("fraction", 0.5),)),
    Localizer("baseline: full image", "full_image"),
)


@dataclass(frozen=True)
class PhotoEvaluation:
    """IoU of every localizer on every photo (the best IoU over the boxes of the dominant category)."""

    cases: tuple[PhotoCase, ...]
    localizers: tuple[Localizer, ...]
    ious: np.ndarray  # (n_localizers, n_photos)

    def summary(self, max_area: float = 0.5, threshold: float = 0.5) -> list[dict[str, object]]:
        """Per localizer: accuracy (IoU >= threshold) and mean IoU on all photos and on those whose object covers < max_area."""
        small = np.array([c.area_fraction < max_area for c in self.cases])
        rows = []
        for loc_, ious in zip(self.localizers, self.ious):
            row: dict[str, object] = {"label": loc_.label, "beyond_paper": loc_.beyond_paper}
            for key, sel in (("small", small), ("all", np.ones_like(small))):
                row[f"n_{key}"] = int(sel.sum())
                row[f"hits_{key}"] = int((ious[sel] >= threshold).sum())
                row[f"accuracy_{key}"] = float(np.mean(ious[sel] >= threshold)) if sel.any() else float("nan")
                row[f"mean_iou_{key}"] = float(ious[sel].mean()) if sel.any() else float("nan")
            rows.append(row)
        return rows

    def table(self, max_area: float = 0.5) -> str:
        """The summary as aligned text: hits / photos and mean IoU, small objects first, then all."""
        rows = self.summary(max_area)
        width = max(len(str(r["label"])) for r in rows) + 2
        n_small, n_all = rows[0]["n_small"], rows[0]["n_all"]
        lines = [
            f"{'localizer':<{width}}{f'object < {max_area:.0%} ({n_small})':>22}{'mIoU':>6}{f'all ({n_all})':>12}{'mIoU':>6}"
        ]
        for r in rows:
            lines.append(
                f"{str(r['label']):<{width}}{r['hits_small']:>17} hits{r['mean_iou_small']:>6.2f}"
                f"{r['hits_all']:>7} hits{r['mean_iou_all']:>6.2f}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


# The kinds whose maps a Localizer takes raw: the paper's, as its pipeline does (`localize_photo_paper`).
RAW_KINDS: tuple[str, ...] = ("single", "ten_crop")


def saliency_functions() -> dict[str, Callable[[Classifier, np.ndarray, int], np.ndarray]]:
    """The saliency kinds a Localizer can name: every method of the registry (`helpers.methods`), and "photo"
    (`helpers.photo_saliency`, the recommended photo map).

    A registry method's map is quantised like a photo map (`helpers.photos.quantise_map`: maximum 1, steps of
    1/1024, so it does not change with the thread count; "smoothgrad" is `photo_saliency(..., method="smoothgrad")`, "gradcam" is
    `gradcam_map`), except the paper's maps (`RAW_KINDS`), which the paper's pipeline takes raw.
    """

    def quantised(method: AttributionMethod) -> Callable[[Classifier, np.ndarray, int], np.ndarray]:
        return lambda classifier, image, target: quantise_map(method(classifier, image, target))

    kinds = {name: method if name in RAW_KINDS else quantised(method) for name, method in METHODS.items()}
    return kinds | {"photo": photo_saliency}


@without_unlikely_warnings
def evaluate_photos(
    classifier: Classifier,
    cases: Sequence[PhotoCase] | None = None,
    localizers: Sequence[Localizer] = PHOTO_LOCALIZERS,
    *,
    progress: bool = False,
) -> PhotoEvaluation:
    """Localize the dominant object of every photo with every localizer; each saliency kind is computed once per photo.

    A box is right when its IoU with a box of the dominant category reaches 0.5 (ILSVRC: any box of
    the class counts). `cases` default: `photo_cases(classifier)`.
    """
    from tqdm.auto import tqdm

    cases = tuple(photo_cases(classifier) if cases is None else cases)
    if not cases:
        raise ValueError("evaluate_photos needs at least one photo case.")
    fns = saliency_functions()
    unknown = {l.saliency for l in localizers} - set(fns) - {None}
    if unknown:
        raise ValueError(f"Unknown saliency kind(s) {sorted(unknown)}; choose from {sorted(fns)}.")
    ious = np.zeros((len(localizers), len(cases)))
    for j, case in enumerate(tqdm(cases, disable=not progress, desc="photos", unit="photo")):
        maps = {
            kind: fns[kind](classifier, case.image, case.target) for kind in {l.saliency for l in localizers} - {None}
        }
        for i, localizer in enumerate(localizers):
            box = localizer.box(case.image, maps.get(localizer.saliency) if localizer.saliency else None)
            ious[i, j] = max(iou(box, b) for b in case.boxes)
    return PhotoEvaluation(cases, tuple(localizers), ious)


# ----------------------------------------------------------------------------------------------
# The real-photo benchmark, as shipped: results and two of its report-split photos

BENCHMARK_DIR = DATA_DIR / "benchmarks"
BENCHMARK_FILE = BENCHMARK_DIR / "photo_benchmark.json"  # written by benchmarks/photo_localization_protocol.py summary
BENCHMARK_PHOTOS = BENCHMARK_DIR / "photos"  # two report-split photos whose licence allows copying (LICENSES.md there)
BENCHMARK_ROWS = {
    "paper_full": "the paper's pipeline (10-crop map, GraphCut)",
    "cam20": "localize_photo (Grad-CAM, CAM protocol)",
    "full": "baseline: the full image",
    "centred": "baseline: centred box, 50% of the sides",
}


@lru_cache(maxsize=1)
def photo_benchmark() -> dict:
    """The benchmark's results (data/benchmarks/photo_benchmark.json): splits, localizers, counts, intervals, paired tests."""
    return json.loads(BENCHMARK_FILE.read_text())


def benchmark_table(split: str = "report", rows: dict[str, str] | None = None) -> str:
    """A split's localization results as text: hits / n with 95% Wilson intervals (all, small), W/L vs the paper, p."""
    result = photo_benchmark()["localization"][split]
    rows = BENCHMARK_ROWS if rows is None else rows
    n, n_small = result["n"], result["n_small"]
    width = max(len(label) for label in rows.values()) + 2
    lines = [
        f"{split} split: {n} COCO photos ({n_small} small: the object's box < 50% of the frame), {result['model']}, "
        "hit = IoU >= 0.5 with the dominant object's box",
        "[95% Wilson interval]; W/L = photos where only this row hits / where only the paper's pipeline hits",
        f"{'localizer':<{width}}{'all':>18}{'small':>18}{'W/L (sign test p)':>22}",
    ]
    for key, label in rows.items():
        v = result["localizers"][key]
        a, sm, c = v["all"], v["small"], v["vs_paper"]
        cells = [f"{x['hits']}/{x['n']} [{x['wilson95'][0]:.0%}-{x['wilson95'][1]:.0%}]" for x in (a, sm)]
        paired = "" if key == "paper_full" else f"{c['wins']}/{c['losses']} (p = {c['sign_test_p']:.2g})"
        lines.append(f"{label:<{width}}{cells[0]:>18}{cells[1]:>18}{paired:>22}")
    return "\n".join(lines)


def benchmark_photo_cases(classifier: Classifier) -> list[PhotoCase]:
    """The shipped report-split photos as PhotoCases, scored as the benchmark scores them.

    Truth: the dominant instance's box only (the largest non-crowd instance by COCO area); the class
    explained is the best-scoring ImageNet class of its category on the whole photo.
    """
    cases = []
    for image_id, im in sorted(read_coco(BENCHMARK_PHOTOS / "instances.json").items()):
        dominant = max((i for i in im.instances if not i.crowd), key=lambda i: i.area)
        image = load_image(BENCHMARK_PHOTOS / im.file_name)
        target = best_imagenet_class(whole_image_scores(classifier, image), imagenet_classes(dominant.category))
        cases.append(
            PhotoCase(
                f"coco_{image_id}",
                image,
                dominant.category,
                target,
                (dominant.box,),
                dominant.area / (im.height * im.width),
            )
        )
    return cases


# ----------------------------------------------------------------------------------------------
# Round three (issue 33): 4-fold cross-validation over the 44 photos, and the pointing game on all COCO128 pairs

CV_ROWS = {
    "cv:cv_select": "best candidate, chosen on training folds by IoU 0.5",
    "cv:cv_select_v2": "best candidate, chosen on training folds by V2",
    "localize_photo_before": "localize_photo (20%: chosen on 22 of these photos in round two)",
    "paper_full": "the paper's pipeline (10-crop map, GraphCut)",
    "cv:centred": "baseline: centred box, side chosen on the training folds",
    "full": "baseline: the full image",
}
CV4_ROWS = {
    "cv:cv_select": "best of rounds three and four, chosen on training folds",
    "localize_photo_before": "localize_photo (today)",
    "cv:gradcam320": "Grad-CAM, one pass at 320 px",
    "cv:gradcam448": "Grad-CAM, one pass at 448 px",
    "cv:box_search": "classifier-scored box, alpha chosen on training folds",
    "cv:box_search320": "the same on the 320 px Grad-CAM",
    "cv:box_delete": "deletion-scored box (designed after the results)",
    "cv:box_search_oracle": "diagnostic: best of the CAM's candidate boxes (reads the truth)",
    "paper_full": "the paper's pipeline (10-crop map, GraphCut)",
    "cv:centred": "baseline: centred box, side chosen on the training folds",
    "full": "baseline: the full image",
}
CV5_ROWS = {
    "box_select": "learned box choice (fitted on other photos)",
    "localize_photo_before": "localize_photo (today)",
    "box_select_oracle": "diagnostic: best of the CAM's candidate boxes (reads the truth)",
    "paper_full": "the paper's pipeline (10-crop map, GraphCut)",
    "full": "baseline: the full image",
}
CV6_ROWS = {
    "cv6_same": "learned box choice, fitted on the training folds",
    "cv6_pooled": "the same, training folds + 88 other pairs",
    "localize_photo_before": "localize_photo (today)",
    "box_select_oracle": "diagnostic: best of the CAM's candidate boxes (reads the truth)",
    "paper_full": "the paper's pipeline (10-crop map, GraphCut)",
    "full": "baseline: the full image",
}
CV7_ROWS = {
    "cv:cv_select": "best of rounds three, four and seven, chosen on training folds",
    "localize_photo_before": "localize_photo (today)",
    "cv:grabcut": "GrabCut seeded by the CAM (photo colours)",
    "cv:objectness": "CAM box with the least superpixel straddling",
    "cv:zoom": "second Grad-CAM pass on the zoomed-in box",
    "cv:box_search_oracle": "diagnostic: best of the CAM's candidate boxes (reads the truth)",
    "paper_full": "the paper's pipeline (10-crop map, GraphCut)",
    "cv:centred": "baseline: centred box, side chosen on the training folds",
    "full": "baseline: the full image",
}
POINTING_ROWS = ("single", "ten_crop", "smoothgrad", "gradcam", "gradcam_tta", "centre")


def _p(p: float) -> str:
    """A stored p-value (rounded to 4 places) as text: 0.0 reads '< 0.0001'."""
    return "< 0.0001" if p < 1e-4 else f"{p:.2g}"


def _wl(t: dict) -> str:
    """A paired test as text: wins/losses (p = the sign test's p, or p < 0.0001)."""
    p = t["sign_test_p"]
    return f"{t['wins']}/{t['losses']} (p {'< 0.0001' if p < 1e-4 else f'= {p:.2g}'})"


def _cell(v: dict) -> str:
    return f"{v['hits']}/{v['n']} [{v['wilson95'][0]:.0%}-{v['wilson95'][1]:.0%}]"


def _v2_cell(v: dict) -> str:
    return f"{v['score']:.2f} [{v['bootstrap95'][0]:.2f}-{v['bootstrap95'][1]:.2f}]"


def cv_table(rows: dict[str, str] | None = None) -> str:
    """The cross-validated localization results as text: held-out hits with 95% Wilson intervals (small first: the
    large stratum is saturated), MaxBoxAccV2, mean IoU, median box area / true box area, and paired sign tests."""
    return _cv_section_table("cv", CV_ROWS if rows is None else rows)


def cv4_table(rows: dict[str, str] | None = None) -> str:
    """Round four's cross-validated results (a finer CAM grid, the classifier-scored box) as `cv_table` prints them,
    plus the paired test against localize_photo on the small photos alone (where the boxes were too large)."""
    return _cv_section_table("cv4", CV4_ROWS if rows is None else rows, by_size=True)


def cv5_table(rows: dict[str, str] | None = None) -> str:
    """Round five: a box selector fitted on other COCO128 photos, scored once on the 44 (no folds), as `cv4_table`
    prints its rows, then its cross-validated score on the training pairs and the oracle on both sets."""
    cv = photo_benchmark()["cv5"]
    header = (
        f"{cv['n']} COCO photos ({cv['n_small']} small: box < 50% of the frame), none seen in training, each scored "
        "once; hit = IoU >= 0.5; [95% Wilson interval]; V2 = MaxBoxAccV2, the mean hit rate at IoU 0.3, 0.5 and 0.7 "
        "(Choe et al. 2020) [95% bootstrap over photos], and its W/L (p) against localize_photo photo by photo; "
        "today = localize_photo, small = on the small photos alone"
    )
    lines = _cv_section_table("cv5", CV5_ROWS if rows is None else rows, by_size=True, header=header).splitlines()
    t, s = cv["training"], cv["rows"]["box_select"]["paired_by_size"]
    refs = t["references"]
    lines[-1] = (
        f"learned box choice against today, paired: small {_wl(s['small']['localize_photo_before'])}, large "
        f"{_wl(s['large']['localize_photo_before'])}; adopted: {'yes' if cv['adopt'] else 'no'}"
    )
    lines.append(
        f"training: {t['n_pairs']} (photo, category) pairs of {t['n_photos']} other COCO128 photos, hit = IoU >= 0.5 "
        f"with any instance; {t['cv_folds']}-fold CV grouped by photo chose {t['chosen']}: "
        f"{_cell(t['cross_validated'])} held out, {_wl(t['paired_vs_today'])} against today's 20% "
        f"{_cell(refs['today f=0.2'])}; full image "
        f"{_cell(refs['full'])}; oracle {_cell(refs['oracle (reads the truth)'])}"
    )
    lines.append(f"oracle on the {cv['n']} photos: {_cell(cv['test_references']['oracle (reads the truth)'])}")
    return "\n".join(lines)


def cv6_table(rows: dict[str, str] | None = None) -> str:
    """Round six: round five's box selector cross-validated on the 44 photos (round three's folds, its setting chosen by
    an inner CV on the training folds), as `cv4_table` prints its rows, then each arm's folds and the decision."""
    cv = photo_benchmark()["cv6"]
    lines = _cv_section_table("cv6", CV6_ROWS if rows is None else rows, by_size=True).splitlines()[:-1]
    for key in ("cv6_same", "cv6_pooled"):
        r = cv["rows"][key]
        folds = ", ".join(f"{f['hits']} vs {f['today_hits']}" for f in r["folds"])
        lines.append(
            f"{CV6_ROWS[key]}: per fold (n = {r['folds'][0]['n']}) hits vs today {folds}; chosen per fold: "
            f"{', '.join(r['chosen_per_fold'])}"
        )
    best = max(cv["diagnostic_in_sample"].items(), key=lambda kv: kv[1]["hits"])
    lines.append(
        f"diagnostic, not held out: the best grid point fitted and scored on all {cv['n']} photos ({best[0]}) hits "
        f"{best[1]['hits']}/{cv['n']}, {_wl(best[1]['vs_today'])} against today"
    )
    lines.append(f"adopted: {cv['adopted'] or 'no arm (localize_photo stays)'}")
    return "\n".join(lines)


def cv7_table(rows: dict[str, str] | None = None) -> str:
    """Round seven: signals from the photo itself (GrabCut, superpixel straddling, a zoomed second pass), as
    `cv4_table` prints its rows, then the second check on the 88 other COCO128 pairs and the two-rule decision."""
    cv = photo_benchmark()["cv7"]
    lines = _cv_section_table("cv7", CV7_ROWS if rows is None else rows, by_size=True).splitlines()[:-1]
    for family, check in cv["second_check"].items():
        lines.append(
            f"second check, {family} ({check['setting']}) on {check['family']['n']} other pairs (any instance box): "
            f"{_cell(check['family'])} against today {_cell(check['localize_photo_before'])}, {_wl(check['paired'])}"
        )
    lines.append(
        f"cv_select on all {cv['n']} photos: {cv['chosen_on_all_44']}; rule 1 (beats today held out): "
        f"{'yes' if cv['adopt_rule1'] else 'no'}; rule 2 (no significant loss on the other pairs): "
        f"{'yes' if cv['adopt_rule2'] else 'no'}; adopted: {'yes' if cv['adopt'] else 'no'}"
    )
    return "\n".join(lines)


def _cv_section_table(section: str, rows: dict[str, str], *, by_size: bool = False, header: str | None = None) -> str:
    """One cross-validation section of the benchmark file as a text table (`cv_table`, `cv4_table` ... `cv6_table`);
    `header` replaces the first line (what was held out and how)."""
    cv = photo_benchmark()[section]
    unknown = set(rows) - set(cv["rows"])
    if unknown:
        raise ValueError(f"Unknown cross-validation row(s) {sorted(unknown)}; choose from {sorted(cv['rows'])}.")
    width = max(len(label) for label in rows.values()) + 2
    n, n_small = cv["n"], cv["n_small"]
    lines = [
        header
        or f"{cv['k']}-fold cross-validation: {n} COCO photos ({n_small} small: box < 50% of the frame), each scored "
        "once by a choice made on the other folds; hit = IoU >= 0.5; [95% Wilson interval]; V2 = MaxBoxAccV2, the "
        "mean hit rate at IoU 0.3, 0.5 and 0.7 (Choe et al. 2020) [95% bootstrap over photos], and its W/L (p) against "
        "localize_photo photo by photo"
        + ("; today = localize_photo, small = on the small photos alone" if by_size else ""),
        f"{'localizer':<{width}}{'small':>18}{'all':>18}{'large':>18}{'V2 all':>18}{'V2 W/L (p)':>19}{'mIoU':>6}"
        f"{'area x':>8}{'W/L vs paper (p)':>20}"
        + (f"{'W/L vs today (p)':>20}{'small W/L (p)':>19}" if by_size else ""),
    ]
    for key, label in rows.items():
        r = cv["rows"][key]
        c, v2 = r["paired"]["paper_full"], r["maxboxacc_v2"]
        paired = "" if key == "paper_full" else _wl(c)
        v2_paired = "" if key == "localize_photo_before" else _wl(v2["paired"]["localize_photo_before"])
        cells = "".join(f"{_cell(r[part]):>18}" for part in ("small", "all", "large"))
        today = ""  # by_size: the hits at IoU 0.5 against localize_photo, on all photos and on the small ones
        if by_size and key != "localize_photo_before":
            today = f"{_wl(r['paired']['localize_photo_before']):>20}"
            today += f"{_wl(r['paired_by_size']['small']['localize_photo_before']):>19}"
        lines.append(
            f"{label:<{width}}{cells}{_v2_cell(v2['all']):>18}{v2_paired:>19}{r['mean_iou']:>6.2f}"
            f"{r['area_ratio']['median']:>8.2f}{paired:>20}{today}".rstrip()
        )
    if by_size:
        lines.append(
            f"cv_select on all {n} photos: {cv['chosen_on_all_44']}; adopted: {'yes' if cv['adopt'] else 'no'}"
        )
    return "\n".join(lines)


def pointing_table(tolerance: str = "15px") -> str:
    """The pointing game on every (photo, category) pair of the COCO128 photos, by object size, with 95% intervals."""
    if tolerance not in ("15px", "0px"):
        raise ValueError(f"tolerance must be '15px' or '0px'; got {tolerance!r}.")
    s = photo_benchmark()["pointing_all"]
    width = max(len(s["maps"][k]["label"]) for k in POINTING_ROWS) + 2
    rule = "closer than 15 px to the object's mask" if tolerance == "15px" else "inside the object's mask"
    lines = [
        f"pointing game, {s['model']}: {s['n_pairs']} (photo, category) pairs of {s['n_photos']} photos, hit = the "
        f"map's maximum {rule}; small = {s['small']} ({s['n_small']} pairs); [95% Wilson interval]",
        f"{'map':<{width}}{'all':>18}{'small':>18}{'large':>18}",
    ]
    for key in POINTING_ROWS:
        r = s["maps"][key]
        lines.append(
            f"{r['label']:<{width}}" + "".join(f"{_cell(r[tolerance][p]):>18}" for p in ("all", "small", "large"))
        )
    return "\n".join(lines)


def pointing_recognition_table(tolerance: str = "15px") -> str:
    """The pointing game split by whether the explained class is in the model's whole-image top 5, each map against
    the centre point pair by pair: a map cannot point at an object the model does not recognise."""
    if tolerance not in ("15px", "0px"):
        raise ValueError(f"tolerance must be '15px' or '0px'; got {tolerance!r}.")
    s = photo_benchmark()["pointing_all"]
    rec = s["by_recognition"]
    width = max(len(s["maps"][k]["label"]) for k in POINTING_ROWS) + 2
    parts = {"in_top5": "in the top 5", "not_in_top5": "not in the top 5"}
    head = "".join(f"  {label + ' (n = ' + str(rec[part]['n']) + ')':<36}" for part, label in parts.items())
    lines = [f"pointing game at {tolerance}, split by {rec['rule']}; hits [95% Wilson], W/L vs centre (sign test p)"]
    lines.append(f"{'map':<{width}}{head}")
    for key in POINTING_ROWS:
        cells = ""
        for part in parts:
            r = rec[part][tolerance][key]
            c = r.get("vs_centre")
            versus = "" if c is None else f"{c['wins']}/{c['losses']} ({_p(c['sign_test_p'])})"
            cells += f"{_cell(r):>20}  {versus:<16}"
        lines.append(f"{s['maps'][key]['label']:<{width}}{cells}".rstrip())
    return "\n".join(line.rstrip() for line in lines)
