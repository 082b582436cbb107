"""The class atlas (helpers.atlas): end to end on the toy CNN and on Lite0, resume, judging, clear errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import helpers
from helpers import atlas as atlas_mod
from helpers import atlas_command
from helpers.atlas import AtlasError, generate_class_images, judge, parse_classes, recognisability, run_atlas
from helpers.feature_vis import contrast_stretch


def _run(argv: list[str]) -> int:
    return atlas_mod.main([str(a) for a in argv])


@pytest.mark.slow
def test_command_on_the_toy_model_writes_every_output(tmp_path: Path, toy, capsys) -> None:
    out = tmp_path / "toy_atlas"
    rc = _run(
        [
            "--classes",
            "circle,square,ring",
            "--model",
            "toy",
            "--judge",
            "toy",
            "--steps",
            "200",
            "--size",
            "64",
            "--batch",
            "2",
            "--out",
            out,
            "--device",
            "cpu",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    data = json.loads((out / "atlas.json").read_text())
    assert data["settings"] == {"model": "toy", "judge": "toy", "method": "paper", "steps": 200, "size": 64, "seed": 0}
    assert [c["name"] for c in data["classes"]] == ["circle", "square", "ring"]
    for c in data["classes"]:
        image = np.asarray(__import__("PIL.Image", fromlist=["Image"]).open(out / c["file"]))
        assert image.shape == (64, 64, 3)
        # the judge is the generator itself at the same size: both scoring paths must give the same numbers
        assert (c["judge_rank"], c["judge_prob"]) == (c["model_rank"], c["model_prob"])
    # 200 steps of the paper's method (as in notebook 03) make every toy class its own top-1, confidently
    # (top-5 of 6 classes would say little: the judge's rank is pinned at 1)
    assert all(c["model_rank"] == 1 and c["model_prob"] > 0.9 for c in data["classes"])
    assert data["summary"]["recognisability_top5"] == 1.0
    assert (out / "contact_sheet.png").stat().st_size > 1000
    page = (out / "index.html").read_text()
    assert page.count("<tr><td>") == 3 and "ring" in page and "addEventListener('click'" in page
    assert "recognisability" in capsys.readouterr().out


@pytest.mark.slow
def test_command_on_lite0_judged_by_lite2(tmp_path: Path, lite0) -> None:
    out = tmp_path / "lite"
    rc = _run(["--classes", "3", "--steps", "3", "--size", "48", "--batch", "3", "--out", out, "--device", "cpu"])
    assert rc == 0
    data = json.loads((out / "atlas.json").read_text())
    assert data["settings"]["model"] == "efficientnet_lite0" and data["settings"]["judge"] == "efficientnet_lite2"
    assert [c["index"] for c in data["classes"]] == [0, 500, 999]  # N classes evenly spaced
    for c in data["classes"]:
        assert 1 <= c["judge_rank"] <= 1000 and 0 < c["judge_prob"] < 1
        assert (out / c["file"]).is_file()


def test_resume_skips_done_classes_and_gives_the_same_atlas(tmp_path: Path, toy, monkeypatch) -> None:
    kwargs = dict(judge_model=toy, method="regularized", steps=8, size=64, batch_size=2, progress=False)
    fresh = run_atlas(toy, "circle,star,cross", out=tmp_path / "fresh", **kwargs)
    alone = run_atlas(toy, "star", out=tmp_path / "resumed", **kwargs)
    generated: list[list[int]] = []
    real = atlas_mod.generate_class_images

    def spy(model, classes, **kw):
        generated.append(list(classes))
        yield from real(model, classes, **kw)

    monkeypatch.setattr(atlas_mod, "generate_class_images", spy)
    resumed = run_atlas(toy, "circle,star,cross", out=tmp_path / "resumed", **kwargs)
    assert generated == [[0, 4]]  # star (3) was already there
    assert [e.index for e in resumed.entries] == [0, 3, 4]
    for c in (
        0,
        4,
    ):  # an image does not depend on its batch (transforms depend on seed and step, init on seed and class)
        assert np.abs(resumed.images[c].astype(int) - fresh.images[c].astype(int)).max() <= 1
    assert np.abs(alone.images[3].astype(int) - fresh.images[3].astype(int)).max() <= 1
    # a resumed class is read back from its PNG, which holds the contrast-stretched image
    np.testing.assert_array_equal(resumed.images[3], contrast_stretch(alone.images[3]))
    assert json.loads((tmp_path / "resumed" / "atlas.json").read_text())["summary"]["classes_done"] == 3


def test_resume_with_other_settings_is_refused(tmp_path: Path, toy) -> None:
    run_atlas(toy, "circle", steps=2, size=64, out=tmp_path, progress=False)
    with pytest.raises(AtlasError, match="other settings.*steps"):
        run_atlas(toy, "circle", steps=3, size=64, out=tmp_path, progress=False)


def test_bad_class_names_give_a_clear_error(tmp_path: Path, capsys, toy) -> None:
    rc = _run(["--classes", "circle,sqare", "--model", "toy", "--judge", "none", "--out", tmp_path / "x"])
    err = capsys.readouterr().err
    assert rc == 2 and "Bad class 'sqare'" in err and "'square'" in err and "Traceback" not in err
    with pytest.raises(AtlasError, match="between 1 and 6"):
        parse_classes("7", toy.categories)
    with pytest.raises(AtlasError, match="out of range"):
        parse_classes([9], toy.categories)
    with pytest.raises(AtlasError, match="non-empty"):
        parse_classes(",", toy.categories)


def test_unwritable_out_gives_a_clear_error(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    rc = _run(["--classes", "circle", "--model", "toy", "--judge", "none", "--steps", "1", "--out", blocker / "atlas"])
    err = capsys.readouterr().err
    assert rc == 2 and "Cannot create the output folder" in err
    rc = _run(["--classes", "circle", "--model", "toy", "--judge", "none", "--steps", "1", "--out", blocker])
    assert rc == 2 and "is a file, not a writable folder" in capsys.readouterr().err


def test_parse_classes_forms(lite0) -> None:
    assert parse_classes("all", lite0.categories) == list(range(1000))
    assert parse_classes("limousine, goose,417,limousine", lite0.categories) == [627, 99, 417]
    assert parse_classes(1, lite0.categories) == [0]
    assert len(set(parse_classes(50, lite0.categories))) == 50


def test_judge_ranks_and_probabilities_match_the_model(lite0) -> None:
    photo = helpers.load_image("coffee")
    images = [np.ascontiguousarray(photo[:200, :200]), np.ascontiguousarray(photo[-200:, -200:])]
    scores = judge(lite0, images, ["espresso", "limousine"])
    x = torch.nn.functional.interpolate(
        torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255,
        size=224,
        mode="bilinear",
        antialias=True,
        align_corners=False,
    )
    with torch.no_grad():
        probs = lite0.model(lite0.normalize(x)).softmax(1)
    for score, p, c in zip(scores, probs, [lite0.class_index("espresso"), lite0.class_index("limousine")]):
        assert score.prob == pytest.approx(float(p[c]), rel=1e-4)
        assert score.rank == 1 + int((p > p[c]).sum())
    assert scores[0].rank <= 5 and scores[1].rank > 5


def test_judge_resizes_to_the_size_asked_for(lite0) -> None:
    """`size=` scores the images after another resize (the control of notebook 03), not at the judge's input size."""
    photo = helpers.load_image("coffee")
    images = [np.ascontiguousarray(photo[:200, :200])]
    x = torch.nn.functional.interpolate(
        torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255,
        size=96,
        mode="bilinear",
        antialias=True,
        align_corners=False,
    )
    with torch.no_grad():
        expected = float(lite0.model(lite0.normalize(x)).softmax(1)[0, lite0.class_index("espresso")])
    at_96 = judge(lite0, images, ["espresso"], size=96)[0]
    assert at_96.prob == pytest.approx(expected, rel=1e-4)
    assert at_96.prob != pytest.approx(judge(lite0, images, ["espresso"])[0].prob, rel=1e-3)  # not the 224 px answer
    with pytest.raises(ValueError, match="size must be a positive integer"):
        judge(lite0, images, ["espresso"], size=0)


def test_judge_rejects_bad_input(lite0) -> None:
    with pytest.raises(AtlasError, match="uint8 HxWx3"):
        judge(lite0, [np.zeros((8, 8, 3), np.float32)], [0])
    with pytest.raises(AtlasError, match="one target per image"):
        judge(lite0, [np.zeros((8, 8, 3), np.uint8)], [0, 1])
    with pytest.raises(AtlasError, match="non-empty"):
        judge(lite0, [], [])


def test_judge_must_share_the_generators_classes(toy, lite0) -> None:
    with pytest.raises(AtlasError, match="generator's classes"):
        run_atlas(toy, "circle", judge_model=lite0, steps=1, progress=False)


def test_recognisability_is_the_top5_share() -> None:
    assert recognisability([1, 5, 6, 1000]) == 0.5
    assert recognisability([2], k=1) == 0.0
    with pytest.raises(AtlasError):
        recognisability([])


def test_generation_is_batched_and_leaves_the_model_frozen(toy) -> None:
    batches = list(generate_class_images(toy, [0, 1, 2], steps=2, size=64, batch_size=2))
    assert [c for c, _ in batches] == [[0, 1], [2]]
    assert all(img.dtype == np.uint8 and img.shape == (64, 64, 3) for _, imgs in batches for img in imgs)
    assert not any(p.requires_grad or p.grad is not None for p in toy.model.parameters())
    with pytest.raises(AtlasError, match="method must be one of"):
        list(generate_class_images(toy, [0], method="fancy"))


def test_methods_paper_unchanged_regularized_is_feature_visualization(toy, monkeypatch) -> None:
    from helpers.classvis import Blur, Clip, Jitter

    assert atlas_mod.METHODS == ("paper", "regularized", "jitter_blur")
    assert atlas_mod.method_settings("paper") == {"optimizer": "sgd", "regularizers": ()}
    assert atlas_mod.method_settings("jitter_blur") == {
        "optimizer": "adam",
        "regularizers": (Jitter(), Blur(1.0, 4), Clip()),
    }
    called: list[str] = []
    real_fv, real_cmv = atlas_mod.feature_visualization, atlas_mod.class_model_visualization
    monkeypatch.setattr(atlas_mod, "feature_visualization", lambda *a, **k: called.append("fv") or real_fv(*a, **k))
    monkeypatch.setattr(
        atlas_mod, "class_model_visualization", lambda *a, **k: called.append("cmv") or real_cmv(*a, **k)
    )
    for method in atlas_mod.METHODS:
        list(generate_class_images(toy, [1], method=method, steps=1, size=64, batch_size=1))
    assert called == ["cmv", "fv", "cmv"]


def test_default_batch_depends_on_the_device(monkeypatch) -> None:
    assert atlas_mod.default_batch("cpu", 128) == atlas_mod.CPU_BATCH
    gib = 2**30
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (10 * gib, 80 * gib))
    small = atlas_mod.default_batch("cuda", 160)
    assert small == int(0.6 * 10 * 1024 // atlas_mod.MIB_PER_IMAGE_160)
    assert atlas_mod.default_batch("cuda", 80) > small
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (130 * gib, 140 * gib))
    assert atlas_mod.default_batch("cuda", 160) == atlas_mod.MAX_CUDA_BATCH
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (1, 140 * gib))
    assert atlas_mod.default_batch("cuda", 160) == 1


def test_sheet_and_page_are_written_once_and_pngs_are_stretched(tmp_path: Path, toy, monkeypatch) -> None:
    calls = {"sheet": 0, "json": 0}
    real_sheet, real_json = atlas_mod.contact_sheet, atlas_mod.write_json
    monkeypatch.setattr(
        atlas_mod,
        "contact_sheet",
        lambda *a, **k: calls.__setitem__("sheet", calls["sheet"] + 1) or real_sheet(*a, **k),
    )
    monkeypatch.setattr(
        atlas_mod, "write_json", lambda *a, **k: calls.__setitem__("json", calls["json"] + 1) or real_json(*a, **k)
    )
    made = run_atlas(
        toy, "circle,star,cross", judge_model=toy, steps=3, size=64, batch_size=1, out=tmp_path, progress=False
    )
    assert calls == {"sheet": 1, "json": 4}  # atlas.json after each of 3 batches, and once at the end
    for e in made.entries:
        saved = atlas_mod._read_png(tmp_path / e.file)
        np.testing.assert_array_equal(saved, contrast_stretch(made.images[e.index]))
    assert (tmp_path / "index.html").is_file() and (tmp_path / "contact_sheet.png").is_file()


def test_an_interrupted_run_leaves_a_sheet_and_resumes(tmp_path: Path, toy, monkeypatch) -> None:
    real = atlas_mod.generate_class_images

    def stops_after_one_batch(model, classes, **kw):
        for n, item in enumerate(real(model, classes, **kw)):
            if n == 1:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(atlas_mod, "generate_class_images", stops_after_one_batch)
    with pytest.raises(KeyboardInterrupt):
        run_atlas(toy, "circle,star,cross", steps=2, size=64, batch_size=2, out=tmp_path, progress=False)
    assert json.loads((tmp_path / "atlas.json").read_text())["summary"]["classes_done"] == 2
    assert (tmp_path / "contact_sheet.png").is_file() and (tmp_path / "index.html").read_text().count("<tr><td>") == 2
    monkeypatch.setattr(atlas_mod, "generate_class_images", real)
    resumed = run_atlas(toy, "circle,star,cross", steps=2, size=64, batch_size=2, out=tmp_path, progress=False)
    assert [e.index for e in resumed.entries] == [0, 3, 4]


def test_command_without_out_writes_under_out_atlas(tmp_path, monkeypatch):
    """The issue's check command has no --out: the atlas goes to out/atlas/<model>_<method>_<size>px_<steps>steps."""
    monkeypatch.chdir(tmp_path)
    rc = _run(["--classes", "circle", "--model", "toy", "--judge", "none", "--steps", "1", "--size", "64"])
    assert rc == 0
    folder = tmp_path / "out" / "atlas" / "toy_paper_64px_1steps"
    assert (folder / "atlas.json").is_file()


def test_help_shows_every_default_and_explains_every_option(capsys) -> None:
    with pytest.raises(SystemExit):
        _run(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for option, default in [
        ("--steps", "150"),
        ("--size", "160"),
        ("--seed", "0"),
        ("--method", "paper"),
        ("--judge", "efficientnet_lite2"),
        ("--model", "efficientnet_lite0"),
    ]:
        assert option in text and f"(default: {default})" in text
    for action in atlas_command.build_parser()._actions:
        assert action.help, f"{action.option_strings} has no help"


def test_a_cpu_run_of_every_class_is_refused_with_the_estimate_and_a_smaller_command(
    capsys, lite0, monkeypatch
) -> None:
    monkeypatch.setattr(atlas_mod, "run_atlas", lambda *a, **k: pytest.fail("the atlas must not start"))
    rc = _run(["--device", "cpu", "--judge", "none"])
    err = capsys.readouterr().err
    assert rc == 2 and "all 1000 classes" in err and "--classes 12" in err and "--yes" in err
    assert re.search(r"about \d+\.\d h", err), err  # 1000 x 150 steps at 21.7 image-steps/s: about 1.9 h
    assert atlas_command.estimated_seconds(1000, 150, 160, "paper", lite0) == pytest.approx(1000 * 150 / 21.7)


def test_a_cpu_run_with_classes_prints_its_estimate(tmp_path: Path, capsys, toy) -> None:
    rc = _run(
        [
            "--classes",
            "circle",
            "--model",
            "toy",
            "--judge",
            "none",
            "--steps",
            "1",
            "--size",
            "64",
            "--device",
            "cpu",
            "--out",
            tmp_path / "a",
        ]
    )
    assert rc == 0 and "1 classes on the CPU: about" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--steps", "0"], r"--steps must be a positive integer.*got 0"),
        (["--steps", "-3"], r"--steps must be a positive integer"),
        (["--device", "gpu"], r"--device 'gpu' is not a device; valid choices on this machine: cpu"),
        (["--judge", "nope"], r"--judge 'nope' is not a model this course loads: .*'none' to skip judging"),
        (["--model", "nope", "--judge", "none"], r"--model 'nope' is not a model this course loads"),
    ],
)
def test_bad_options_name_the_option_and_the_valid_choices(argv, message, capsys, tmp_path) -> None:
    rc = _run(["--classes", "circle", "--model", "toy", "--judge", "toy", "--out", tmp_path / "x"] + argv)
    err = capsys.readouterr().err
    assert rc == 2 and re.search(message, err), err
    assert "Traceback" not in err


def test_an_unavailable_cuda_device_is_named(monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    rc = _run(["--classes", "circle", "--model", "toy", "--judge", "none", "--device", "cuda", "--out", tmp_path / "x"])
    err = capsys.readouterr().err
    assert rc == 2 and "--device 'cuda' is not available on this machine; valid choices here: cpu" in err


def test_run_atlas_refuses_zero_steps(toy) -> None:
    with pytest.raises(AtlasError, match="steps"):
        run_atlas(toy, "circle", steps=0, size=64, progress=False)
