"""What the headless runner tells a newcomer: a missing notebook, and where the exported files went."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from helpers.course import run_notebooks


def test_a_missing_notebook_is_said_not_to_exist(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit):
        run_notebooks.main([str(tmp_path / "does_not_exist.ipynb")])
    err = capsys.readouterr().err
    assert "does_not_exist.ipynb' does not exist" in err and "neither" not in err
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(SystemExit):
        run_notebooks.main([str(tmp_path / "notes.txt")])
    assert "is neither a notebook (.ipynb) nor a folder" in capsys.readouterr().err


def test_slides_and_html_say_where_they_went(tmp_path: Path, capsys) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Tiny"), nbformat.v4.new_code_cell("1")])
    path = tmp_path / "01_tiny.ipynb"
    nbformat.write(nb, path)
    decks, pages = tmp_path / "decks", tmp_path / "pages"
    assert (
        run_notebooks.main([str(path), "--no-execute", "--no-progress", "--slides", str(decks), "--html", str(pages)])
        == 0
    )
    out = capsys.readouterr().out
    assert f"slide decks: {decks.resolve()}/<name>.slides.html (1 written)" in out
    assert f"HTML pages: {pages.resolve()}/<name>.html (1 written)" in out
    assert (decks / "01_tiny.slides.html").is_file() and (pages / "01_tiny.html").is_file()
