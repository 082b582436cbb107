"""Course plumbing: notebooks carry the Colab badge and set-up cell; the set-up cell installs the
package where it is missing; the headless runner executes, exports HTML and reports failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import nbformat
import pytest

from helpers.course import colab as course
from helpers.course import run_notebooks

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def test_repository_url_in_pyproject_is_the_one_in_course() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["urls"]["Repository"] == course.REPO_URL


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_has_badge_and_setup_cell_in_sync(path: Path) -> None:
    nb = json.loads(path.read_text())
    first_markdown = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert course.badge_markdown(path) in "".join(first_markdown["source"])
    assert "".join(first_code["source"]) == course.setup_cell_source()
    printed = "".join("".join(o.get("text", "")) for o in first_code["outputs"])
    assert "device:" in printed


def _tiny_notebook(path: Path, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny")] + [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_sync_inserts_badge_and_setup_cell_once(tmp_path) -> None:
    path = _tiny_notebook(tmp_path / "07_demo.ipynb", ["x = 1"])
    assert course.sync_notebook(path) is True
    assert course.sync_notebook(path) is False  # idempotent
    nb = json.loads(path.read_text())
    assert "07_demo.ipynb" in "".join(nb["cells"][0]["source"])
    assert [c["cell_type"] for c in nb["cells"]] == ["markdown", "code", "code"]
    assert "".join(nb["cells"][1]["source"]) == course.setup_cell_source()


def test_sync_strips_execution_times_from_markdown_cells_only(tmp_path) -> None:
    path = _tiny_notebook(tmp_path / "08_demo.ipynb", ["x = 1"])
    nb = nbformat.read(path, as_version=4)
    stamp = {"iopub.execute_input": "2026-11-26T10:00:00Z", "shell.execute_reply": "2026-11-26T10:00:01Z"}
    nb.cells[0].metadata["execution"] = dict(stamp)
    nb.cells[1].metadata["execution"] = dict(stamp)
    nbformat.write(nb, path)
    course.sync_notebook(path)
    cells = json.loads(path.read_text())["cells"]
    assert "execution" not in cells[0]["metadata"]  # markdown: stale, removed
    assert cells[-1]["metadata"]["execution"] == stamp  # code: the run's timing, kept


@pytest.mark.slow
def test_runner_executes_exports_html_and_summarises(tmp_path) -> None:
    _tiny_notebook(
        tmp_path / "01_ok.ipynb",
        ["%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nprint(6 * 7)"],
    )
    _tiny_notebook(tmp_path / "02_fails.ipynb", ["raise ValueError('broken on purpose')"])
    results = run_notebooks.run_series(
        run_notebooks.find_notebooks([tmp_path]), html_dir=tmp_path / "html", progress=False
    )
    assert [r.ok for r in results] == [True, False]
    assert "broken on purpose" in results[1].error
    html = (tmp_path / "html" / "01_ok.html").read_text()
    assert "42" in html and "image/png" in html
    table = run_notebooks.summary(results)
    assert "01_ok.ipynb" in table and "FAILED" in table and "1 ok, 1 failed" in table


@pytest.mark.slow
def test_runner_jobs_run_kernels_at_once_and_keep_course_order(tmp_path, capsys) -> None:
    """--jobs 2: two kernels sleep at the same time (wall clock < the sum), results in course order, each executed."""
    for n in (1, 2, 3):
        _tiny_notebook(tmp_path / f"0{n}_nb.ipynb", [f"import time; time.sleep(2); print({n})"])
    assert run_notebooks.main([str(tmp_path), "--no-progress", "--inplace", "--jobs", "3"]) == 0
    table = capsys.readouterr().out
    wall = float(next(line for line in table.splitlines() if line.startswith("wall clock")).split()[2])
    total = float(next(line for line in table.splitlines() if line.startswith("total")).split()[1])
    assert wall < total - 3, table
    for n in (1, 2, 3):
        executed = json.loads((tmp_path / f"0{n}_nb.ipynb").read_text())
        assert "".join(executed["cells"][1]["outputs"][0]["text"]) == f"{n}\n"
    with pytest.raises(ValueError, match="jobs must be a positive int"):
        run_notebooks.run_series(run_notebooks.find_notebooks([tmp_path]), jobs=0, progress=False)


@pytest.mark.slow
def test_runner_cli_exit_status_and_bad_paths(tmp_path, capsys) -> None:
    _tiny_notebook(tmp_path / "01_ok.ipynb", ["print('fine')"])
    assert run_notebooks.main([str(tmp_path), "--no-progress", "--inplace"]) == 0
    executed = json.loads((tmp_path / "01_ok.ipynb").read_text())
    assert "".join(executed["cells"][1]["outputs"][0]["text"]) == "fine\n"
    with pytest.raises(SystemExit):
        run_notebooks.main([str(tmp_path / "missing.ipynb")])


@pytest.mark.slow
def test_gallery_extracts_tagged_figures(tmp_path) -> None:
    path = _tiny_notebook(
        tmp_path / "03_fig.ipynb",
        ["%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()", "print(1)"],
    )
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].metadata["tags"] = ["gallery"]
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="no figure output"):
        run_notebooks.extract_gallery([path], tmp_path / "g")
    run_notebooks.run_series([path], inplace=True, progress=False)
    written = run_notebooks.extract_gallery([path], tmp_path / "g")
    assert [p.name for p in written] == ["03_1.png"] and written[0].read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
@pytest.mark.parametrize("shadow", ["helpers.py", "helpers/__init__.py"], ids=["module", "package"])
def test_setup_cell_names_a_helpers_that_hides_the_package(tmp_path, shadow: str) -> None:
    """A student's own helpers.py (or helpers/ folder) next to the notebook: say what to rename, install nothing."""
    (tmp_path / shadow).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / shadow).write_text("def my_function():\n    return 1\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COURSE_PIP_SOURCE": "/nonexistent/must-not-be-installed"}
    run = subprocess.run(
        [sys.executable, "-c", course.setup_cell_source()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0
    error = run.stderr.strip().splitlines()[-1]
    assert error.startswith("ImportError:") and "rename it" in error, run.stderr[-1000:]
    assert str(tmp_path / Path(shadow).parts[0]) in error


@pytest.mark.slow
def test_setup_cell_accepts_the_course_package(tmp_path) -> None:
    """... also beside a plain `helpers/` folder (no __init__.py): the installed package comes first."""
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "notes.txt").write_text("my notes\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    run = subprocess.run(
        [sys.executable, "-c", course.setup_cell_source()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-1000:]
    assert "device:" in run.stdout


def _kernel_report_notebook(path: Path) -> Path:
    """A notebook that prints its kernel's thread settings."""
    return _tiny_notebook(
        path,
        [
            "import os, torch\n"
            "print('threads', *(os.environ.get(v) for v in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS')), torch.get_num_threads())"
        ],
    )


def _printed(path: Path) -> str:
    return "".join(json.loads(path.read_text())["cells"][1]["outputs"][0]["text"])


@pytest.mark.slow
def test_runner_threads_option_sets_kernel_threads(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    for var in ("MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    nb = _kernel_report_notebook(tmp_path / "01_threads.ipynb")
    assert run_notebooks.main([str(nb), "--no-progress", "--inplace"]) == 0
    assert _printed(nb).startswith("threads 7 None None")  # without --threads the kernel inherits our settings
    assert run_notebooks.main([str(nb), "--no-progress", "--inplace", "--threads", "1"]) == 0
    assert _printed(nb) == "threads 1 1 1 1\n"


@pytest.mark.parametrize("bad", ["0", "-2", "two", "1.5"])
def test_runner_refuses_a_bad_thread_count(bad: str, capsys) -> None:
    with pytest.raises(SystemExit):
        run_notebooks.main(["--threads", bad])
    assert "--threads" in capsys.readouterr().err
    with pytest.raises(ValueError, match="positive int"):
        run_notebooks.kernel_environment(0)


@pytest.mark.slow
def test_runner_hides_the_kernels_unencrypted_tcp_warning(tmp_path, monkeypatch, capfd) -> None:
    import inspect

    import ipykernel.kernelapp

    nb = _tiny_notebook(tmp_path / "01_quiet.ipynb", ["print('fine')"])
    run_notebooks.run_series([nb], progress=False)
    assert "without encryption" not in capfd.readouterr().err
    if "without encryption" in inspect.getsource(ipykernel.kernelapp):  # this ipykernel can print it:
        monkeypatch.setattr(run_notebooks, "QUIET_KERNEL_ARGS", ())  # so without our option it shows
        run_notebooks.run_series([nb], progress=False)
        assert "without encryption" in capfd.readouterr().err


@pytest.mark.slow
def test_setup_cell_installs_the_package_in_a_fresh_environment(tmp_path) -> None:
    """A fresh venv without `helpers` (but with torch & co. visible) runs the set-up cell from a wheel."""
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheel_dir), str(ROOT)], check=True
    )
    wheel = next(wheel_dir.glob("saliency_course-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # torch, jupyter etc. come from our environment as a plain path (its .pth files, hence our
    # editable `helpers`, are not processed), so only the course package itself is missing.
    Path(site, "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    clean = {
        k: v for k, v in os.environ.items() if k != "PYTHONPATH"
    }  # a PYTHONPATH to a checkout would provide helpers
    missing = subprocess.run([python, "-c", "import helpers"], cwd=tmp_path, env=clean, capture_output=True)
    assert missing.returncode != 0, "helpers must not be importable before the set-up cell runs"

    notebooks = tmp_path / "notebooks_copy"
    notebooks.mkdir()
    nb = _tiny_notebook(
        notebooks / "01_colab.ipynb",
        [
            course.setup_cell_source(),
            "import helpers, torch\n"
            "clf = helpers.load_model('toy', device='cpu')\n"
            "print(helpers.__file__)\n"
            "print(helpers.load_image('coffee').shape, len(clf.categories))",
        ],
    )
    env = {**clean, "COURSE_PIP_SOURCE": str(wheel), "PIP_NO_DEPS": "1"}
    code = (
        "import nbformat, nbclient, sys\n"
        f"nb = nbformat.read({str(nb)!r}, as_version=4)\n"
        f"nbclient.NotebookClient(nb, timeout=300, kernel_name='python3', resources={{'metadata': {{'path': {str(notebooks)!r}}}}}).execute()\n"
        "print('|'.join(o.get('text', '') for c in nb.cells if c.cell_type == 'code' for o in c.outputs))\n"
    )
    run = subprocess.run([python, "-c", code], cwd=notebooks, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert str(venv) in run.stdout  # helpers now comes from the fresh environment
    assert "(400, 600, 3) 6" in run.stdout


def _slide_types(cells) -> list[str]:
    return [c["metadata"]["slideshow"]["slide_type"] for c in cells]


def test_slide_metadata_headings_start_slides_long_cells_subslides() -> None:
    nb = nbformat.v4.new_notebook()
    long_code = "\n".join(f"y{i} = {i}" for i in range(course.MAX_SLIDE_LINES + 5))
    nb.cells = [
        nbformat.v4.new_markdown_cell("intro without a heading"),  # the first cell always opens a slide
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_markdown_cell("## A section"),
        nbformat.v4.new_code_cell(long_code),  # too long to join the heading's slide
        nbformat.v4.new_markdown_cell("### A sub-section"),
        nbformat.v4.new_markdown_cell("What you should see: ..."),
        nbformat.v4.new_code_cell("#  a comment, not a heading"),
        nbformat.v4.new_markdown_cell("# Next part"),
    ]
    course.add_slide_metadata(nb.cells)
    assert _slide_types(nb.cells) == ["slide", "-", "slide", "subslide", "subslide", "-", "-", "slide"]
    before = [dict(c.metadata) for c in nb.cells]
    course.add_slide_metadata(nb.cells)
    assert [dict(c.metadata) for c in nb.cells] == before  # deterministic


def test_slide_deck_is_the_main_line_claims_as_notes_optional_sections_skipped() -> None:
    """Claim cells become speaker notes; Optional sections (to the next heading of their level), Going further and
    References are left out of the deck; Exercises and the main line stay."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 09 · Title"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell('claim("x is one", x == 1);'),  # a check: speaker notes
        nbformat.v4.new_code_cell('fig = plt.figure()\nclaim("drawn", True)'),  # draws: stays on the slide
        nbformat.v4.new_markdown_cell("## Optional: depth · 5 min"),
        nbformat.v4.new_code_cell("y = 2"),
        nbformat.v4.new_markdown_cell("### A sub-section of the optional one"),
        nbformat.v4.new_markdown_cell("## Back on the main line · 5 min"),
        nbformat.v4.new_markdown_cell("### Optional: a smaller detour"),
        nbformat.v4.new_code_cell("z = 3"),
        nbformat.v4.new_markdown_cell("### Main line again"),
        nbformat.v4.new_markdown_cell("## Exercises"),
        nbformat.v4.new_markdown_cell("## Going further"),
        nbformat.v4.new_markdown_cell("text"),
        nbformat.v4.new_markdown_cell("## References"),
    ]
    course.add_slide_metadata(nb.cells)
    assert _slide_types(nb.cells) == [
        "slide",
        "-",
        "notes",
        "-",
        "skip",
        "skip",
        "skip",
        "slide",
        "skip",
        "skip",
        "subslide",
        "slide",
        "skip",
        "skip",
        "skip",
    ]


def test_sync_writes_slide_metadata_idempotently(tmp_path) -> None:
    path = _tiny_notebook(tmp_path / "08_deck.ipynb", ["x = 1"])
    course.sync_notebook(path)
    assert course.sync_notebook(path) is False
    cells = json.loads(path.read_text())["cells"]
    assert _slide_types(cells) == ["slide", "-", "-"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_slide_metadata_in_sync(path: Path) -> None:
    cells = json.loads(path.read_text())["cells"]
    if not any("slideshow" in c.get("metadata", {}) for c in cells):
        pytest.skip("no slide metadata yet: run `python -m helpers.course sync` on this notebook")
    expected = json.loads(json.dumps(cells))
    course.add_slide_metadata(expected)
    assert _slide_types(cells) == _slide_types(expected)


@pytest.mark.slow
def test_slides_export_of_notebook_01_has_one_section_per_slide(tmp_path) -> None:
    path = ROOT / "notebooks" / "01_linear_model_intuition.ipynb"
    cells = json.loads(path.read_text())["cells"]
    types = _slide_types(cells)
    assert run_notebooks.main([str(path), "--no-execute", "--no-progress", "--slides", str(tmp_path)]) == 0
    html = (tmp_path / "01_linear_model_intuition.slides.html").read_text()
    # nbconvert's reveal.js layout: one outer <section> per slide, one inner <section> per slide or sub-slide
    assert html.count("<section") == 2 * types.count("slide") + types.count("subslide")
    assert html.count("<section><section>") == types.count("slide") >= 5
    assert "reveal" in html and "image/png" in html  # the committed figures are in the deck


def test_runner_refuses_inplace_without_execution(tmp_path) -> None:
    _tiny_notebook(tmp_path / "01_ok.ipynb", ["print('fine')"])
    with pytest.raises(SystemExit):
        run_notebooks.main([str(tmp_path), "--inplace", "--no-execute"])


def test_live_cells_are_marked_in_the_slides(tmp_path) -> None:
    """A cell tagged `live` carries the marker in the reveal.js deck (its celltag class and the marker's CSS)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Deck"), nbformat.v4.new_code_cell("x = 1")])
    nb.cells[1].metadata["tags"] = [course.LIVE_TAG]
    course.add_slide_metadata(nb.cells)
    run_notebooks.export_slides(nb, tmp_path / "deck.slides.html")
    html = (tmp_path / "deck.slides.html").read_text()
    assert "celltag_live" in html and "run live" in html
