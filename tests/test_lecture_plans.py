"""Each notebook fits its lecture slot: its time line, its headings' minutes and the README's plans agree.

`helpers.course.lecture` reads a notebook's first cell (main line, one- and two-session plans), its headings'
minutes (optional sections apart), its `live` cells and the words of its main line; the README's two plan tables
give each notebook its slots. A failure says which number disagrees with which.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from helpers.course import lecture

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SLOTS = lecture.readme_slots((ROOT / "README.md").read_text(encoding="utf-8"))


def test_readme_plans_give_every_notebook_a_slot_and_fill_the_sessions() -> None:
    """The paper's notebooks fill the one- and two-session plans; a notebook beyond the paper has the third session."""
    numbers = {p.name[:2] for p in NOTEBOOKS}
    assert set(SLOTS["one"]) == set(SLOTS["two"]), SLOTS
    assert set(SLOTS["two"]) | set(SLOTS["three"]) == numbers and not set(SLOTS["two"]) & set(SLOTS["three"]), SLOTS
    assert sum(SLOTS["one"].values()) == 90, "the one-session plan is one 90-minute session"
    assert sum(SLOTS["two"].values()) == 180, "the two-session plan is two 90-minute sessions"
    assert sum(SLOTS["three"].values()) <= 90, "the third session is one 90-minute session"


def _slot(number: str) -> int:
    """The notebook's main-line slot: in the two-session plan, or for a notebook beyond the paper the third session."""
    return SLOTS["two"].get(number, SLOTS["three"].get(number, 0))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_time_line_matches_its_headings_and_the_readme(path: Path) -> None:
    plan = lecture.read_plan(path)
    number = path.name[:2]
    print(
        f"{plan.name}: main line {plan.main_line} min, headings {plan.heading_minutes} min, "
        f"{plan.main_line_words} main-line words, {plan.live_cells} live cell(s)"
    )
    assert plan.main_line is not None, f"{path.name}: the first cell needs '**Time.** Main line: N min'"
    assert plan.heading_minutes == plan.main_line, (
        f"{path.name}: the main line's headings add up to {plan.heading_minutes} min, the time line says {plan.main_line}"
    )
    assert plan.two_session == plan.main_line == _slot(number), (
        f"{path.name}: two-session plan {plan.two_session} min, main line {plan.main_line} min, README {_slot(number)} min"
    )
    assert plan.one_session == SLOTS["one"].get(number, 0), (
        f"{path.name}: one-session plan {plan.one_session} min, README {SLOTS['one'].get(number, 0)} min "
        "(a notebook beyond the paper states 0 min: it is not in the one-session plan)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_a_live_cell_and_a_short_main_line(path: Path) -> None:
    plan = lecture.read_plan(path)
    assert plan.live_cells >= 1, f"{path.name}: tag at least one code cell `live` (a lecturer runs it in class)"
    assert plan.main_line_words <= lecture.MAX_MAIN_LINE_WORDS, (
        f"{path.name}: {plan.main_line_words} words on the main line (at most {lecture.MAX_MAIN_LINE_WORDS}); "
        "move depth to an Optional section or 'Going further'"
    )


def _notebook(*sources: str) -> Path:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(s) for s in sources])


def test_read_plan_counts_main_line_minutes_and_words_not_optional_ones(tmp_path: Path) -> None:
    nb = _notebook(
        "# 09 · T\n\n**Time.** Main line: 15 min.\n**One-session plan (5 min):** show A.\n**Two-session plan (15 min):** all.",
        "## A · 10 min\n\none two three",
        "### A detail · 5 min\n\nfour",
        "## Optional: depth · 20 min\n\nfive six",
        "### still optional · 3 min\n\nseven",
        "## Exercises\n\n" + "word " * 50,
        "## Takeaways\n\neight nine",
    )
    nb.cells.insert(2, nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["live"]}))
    path = tmp_path / "09_t.ipynb"
    nbformat.write(nb, path)
    plan = lecture.read_plan(path)
    assert (plan.main_line, plan.one_session, plan.two_session) == (15, 5, 15)
    assert plan.heading_minutes == 15 and plan.live_cells == 1
    main_line = [nb.cells[0].source, "A · 10 min one two three", "A detail · 5 min four", "Takeaways eight nine"]
    assert plan.main_line_words == sum(lecture.count_words(text) for text in main_line)


def test_count_words_leaves_out_maths_code_and_link_targets() -> None:
    assert lecture.count_words("The map $$M = |w|$$ of `saliency_map` ([paper](https://arxiv.org/abs/1312.6034)).") == 4


def test_readme_slots_reads_both_tables() -> None:
    readme = """*One 90-minute session: x.*

| minutes | notebook | how |
|---|---|---|
| 0–10 | 01: a | live |
| 10–90 | 02: b | shown |

*Two 90-minute sessions.*

| session | minutes | notebook |
|---|---|---|
| 1 | 0–20 | 01 (all) |
| | 20–90 | 02 main line |
| 2 | 0–90 | 02 rest |

**Before class,** ...
"""
    assert lecture.readme_slots(readme) == {"one": {"01": 10, "02": 80}, "two": {"01": 20, "02": 160}, "three": {}}
    third = readme.replace(
        "**Before class,**",
        "*A third 90-minute session: beyond.*\n\n| session | minutes | notebook |\n|---|---|---|\n"
        "| 3 | 0–30 | 07 main line |\n| | 30–90 | optional sections of 02 |\n\n**Before class,**",
    )
    assert lecture.readme_slots(third)["three"] == {"07": 30}
    assert lecture.readme_slots(third)["two"] == {"01": 20, "02": 160}
