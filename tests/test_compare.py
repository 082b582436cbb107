"""helpers.course.compare and `run_notebooks --compare`: a fresh run's checked outputs and claims against the committed ones."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from helpers.course import run_notebooks
from helpers.course.compare import cell_text, claim_lines, compare_notebooks, report


def _cell(source: str, printed: str):
    cell = new_code_cell(source)
    cell.outputs = [new_output("stream", name="stdout", text=printed)] if printed else []
    return cell


def _nb(*cells):
    return new_notebook(cells=[new_markdown_cell("# t"), *cells])


def test_a_changed_checked_output_is_listed_and_an_unchecked_one_is_not():
    old = _nb(_cell("# NBVAL_CHECK_OUTPUT\nprint(1)", "1\n"), _cell("print(t)", "0.5 s\n"))
    new = _nb(_cell("# NBVAL_CHECK_OUTPUT\nprint(1)", "2\n"), _cell("print(t)", "0.7 s\n"))
    (diff,) = compare_notebooks("x.ipynb", old, new)
    assert (diff.cell, diff.kind, diff.committed, diff.now) == (1, "checked output", "1", "2")
    assert "x.ipynb cell 1 (checked output)" in str(diff) and "1 checked output(s)" in report([diff], 1)


def test_a_claim_whose_verdict_flips_is_listed_but_its_evidence_may_move():
    stmt = "A beats B"
    old = _nb(
        _cell("claim(...)", f"holds on this run: {stmt} (3 vs 2)\n"), _cell("claim(...)", "holds on this run: x (1)\n")
    )
    new = _nb(
        _cell("claim(...)", f"on this run this does NOT hold: {stmt} (1 vs 2)\n"),
        _cell("claim(...)", "holds on this run: x (2)\n"),
    )
    (diff,) = compare_notebooks("x.ipynb", old, new)
    assert (
        diff.kind == "claim" and diff.cell == 1 and "does NOT hold" in diff.now and diff.committed.startswith("holds")
    )


def test_identical_runs_report_nothing_and_addresses_do_not_count():
    nb = _nb(_cell("# NBVAL_CHECK_OUTPUT\nf", "<function f at 0x7f00>\n"))
    other = _nb(_cell("# NBVAL_CHECK_OUTPUT\nf", "<function f at 0x7f99>\n"))
    assert compare_notebooks("x.ipynb", nb, other) == []
    assert "as committed" in report([], 1)


def test_cell_text_and_claim_lines():
    cell = _cell("x", "holds on this run: a\nother\n")
    cell.outputs.append(
        new_output("execute_result", data={"text/plain": "<Figure size 640x480 with 1 Axes>"}, execution_count=1)
    )
    assert cell_text(cell) == "holds on this run: a\nother"
    assert claim_lines(cell_text(cell)) == ["holds on this run: a"]


def test_another_notebook_is_refused():
    with pytest.raises(ValueError, match="not the committed notebook"):
        compare_notebooks("x.ipynb", _nb(_cell("a", "")), _nb(new_markdown_cell("b")))


@pytest.mark.slow
def test_compare_cli_runs_and_exits_nonzero_only_when_something_differs(tmp_path, capsys):
    same = tmp_path / "01_same.ipynb"
    nbformat.write(_nb(_cell("# NBVAL_CHECK_OUTPUT\nprint(6 * 7)", "42\n")), same)
    assert run_notebooks.main([str(same), "--compare", "--no-progress"]) == 0
    assert "as committed" in capsys.readouterr().out
    assert nbformat.read(same, as_version=4).cells[1].outputs[0]["text"] == "42\n"  # nothing written back
    flipped = tmp_path / "02_flipped.ipynb"
    nbformat.write(
        _nb(
            _cell(
                "from helpers.claims import claim\nclaim('two is less than one', 2 < 1)",
                "holds on this run: two is less than one\n",
            )
        ),
        flipped,
    )
    assert run_notebooks.main([str(flipped), "--compare", "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "02_flipped.ipynb cell 1 (claim)" in out and "does NOT hold: two is less than one" in out


def test_compare_refuses_inplace_and_no_execute(tmp_path):
    nbformat.write(_nb(), tmp_path / "01_x.ipynb")
    for extra in ("--inplace", "--no-execute"):
        with pytest.raises(SystemExit):
            run_notebooks.main([str(tmp_path), "--compare", extra])
