"""The Colab route: the repository is one setting a lecturer points at a fork, and the set-up cell's Colab paths."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

import helpers
from helpers.course import colab

ROOT = Path(__file__).resolve().parent.parent
FORK = "https://github.com/a-lecturer/deep-inside-fork"


@pytest.fixture()
def copies(tmp_path, monkeypatch):
    """Copies of colab.py and pyproject.toml to rewrite; the module's REPO_URL is restored afterwards."""
    monkeypatch.setattr(colab, "REPO_URL", colab.REPO_URL)
    source, pyproject = tmp_path / "colab.py", tmp_path / "pyproject.toml"
    source.write_text(Path(colab.__file__).read_text())
    pyproject.write_text((ROOT / "pyproject.toml").read_text())
    return source, pyproject


def test_set_repository_rewrites_the_setting_pyproject_and_every_badge(copies, tmp_path) -> None:
    source, pyproject = copies
    assert colab.set_repository(FORK + ".git/", source=source, pyproject=pyproject) == FORK
    assert f'REPO_URL = "{FORK}"' in source.read_text() and f'Repository = "{FORK}"' in pyproject.read_text()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), nbformat.v4.new_code_cell("1")])
    path = tmp_path / "09_t.ipynb"
    nbformat.write(nb, path)
    colab.sync_notebook(path)
    cells = json.loads(path.read_text())["cells"]
    assert "colab.research.google.com/github/a-lecturer/deep-inside-fork/blob/main/notebooks/09_t.ipynb" in "".join(
        cells[0]["source"]
    )
    assert f"git+{FORK}@main" in "".join(cells[1]["source"])


@pytest.mark.parametrize("bad", ["gitlab.com/a/b", "https://github.com/only-owner", "http://github.com/a/b"])
def test_a_repository_that_colab_cannot_open_is_refused(bad, capsys) -> None:
    with pytest.raises(SystemExit):
        colab.main(["sync", "--repo", bad])
    assert "--repo must be a GitHub repository's address" in capsys.readouterr().err


def test_readme_documents_the_fork_command_first_in_the_colab_section() -> None:
    readme = (ROOT / "README.md").read_text()
    colab_section = readme[readme.index("**Google Colab.**") :]
    first_command = colab_section[: colab_section.index("\n\n")]
    assert "python -m helpers.course sync --repo" in first_command


def _run_setup_cell(monkeypatch) -> None:
    """Execute the set-up cell here, with the package's style and thread settings left alone."""
    monkeypatch.setattr(helpers.plotting, "use_notebook_style", lambda: None)
    monkeypatch.setattr(helpers.runtime, "configure_threads", lambda: "threads unchanged")
    exec(colab.setup_cell_source(), {})


def test_a_failed_install_shows_pips_output_and_says_what_to_do(monkeypatch, capsys) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "helpers" else real_find_spec(name, *a)
    )
    failed = subprocess.CompletedProcess([], 1, stdout="", stderr="fatal: repository 'x' not found")
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: failed)
    with pytest.raises(RuntimeError, match=r"failed \(pip's messages above\).*COURSE_PIP_SOURCE.*re-run this cell"):
        _run_setup_cell(monkeypatch)
    assert "fatal: repository 'x' not found" in capsys.readouterr().out


def test_on_colab_the_set_up_cell_enables_the_custom_widget_manager(monkeypatch, capsys) -> None:
    calls = []
    google, colab_pkg = types.ModuleType("google"), types.ModuleType("google.colab")
    output = types.ModuleType("google.colab.output")
    output.enable_custom_widget_manager = lambda: calls.append("enabled")
    colab_pkg.output, google.colab = output, colab_pkg
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab_pkg)
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    _run_setup_cell(monkeypatch)
    assert calls == ["enabled"] and "device:" in capsys.readouterr().out


def test_off_colab_the_set_up_cell_runs_without_google_colab(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "google.colab", None)  # import fails as it does off Colab
    _run_setup_cell(monkeypatch)
    assert "device:" in capsys.readouterr().out
