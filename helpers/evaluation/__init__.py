"""Evaluation: how well a saliency map or a box matches the truth, apart from the methods it judges.

Like TorchRay's `benchmark` beside its `attribution`, and Captum's `metrics` beside `attr`: the
algorithms (`helpers.saliency`, `helpers.localization`, ...) never import this package.

- `boxes`: IoU (`iou`, `box_ious`), `evaluate_boxes` (the ILSVRC criterion, IoU >= 0.5).
- `masks`: a map against an object mask: `mass_inside_mask`, `pointing_game`, `pointing_hit` and
  `centre_hit` (TorchRay's pointing game, 15 px), `saliency_peak`; `rank_correlation` of two maps.
- `randomization`: the model-randomization sanity check (`randomize_top_layers`; Adebayo et al. 2018).
- `proportions`: a count out of n with its uncertainty (`wilson_interval`, the exact `sign_test`).
- `competitors`: where a class's margin over the other classes came from (`margin_decomposition`; notebook 04).
- `pointing`: the pointing game over the COCO photos (`evaluate_pointing`).
- `photo_localization`: every localizer and baseline on the annotated photos (`evaluate_photos`).
- `voc`: PASCAL-VOC XML boxes; `ilsvrc`: the ILSVRC top-5 localization error of a folder, and its
  command `python -m helpers.evaluation.ilsvrc evaluate`.
"""
