"""Lecture plans: the minutes a notebook's headings give, its one- and two-session plans, and its main line's words.

A notebook's first cell states `**Time.** Main line: N min`, `**One-session plan (M min):** ...` and
`**Two-session plan (N min):** ...`; every main-line heading ends in ` · K min`; a heading that starts with
"Optional" opens an optional section (to the next heading of its level or above). The README's two plan tables
give each notebook its slots; `tests/test_lecture_plans.py` checks that all of these agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

UNTIMED = ("Exercises", "Check your understanding", "Takeaways", "Going further", "References")
UNCOUNTED = ("Exercises", "Check your understanding", "Going further", "References")  # not main-line reading
MAX_MAIN_LINE_WORDS = 1300
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$", re.M)
_MINUTES = re.compile(r"·\s*(\d+)\s*min\s*$")
_WORD = re.compile(r"[A-Za-z0-9][\w'’-]*")


@dataclass
class Section:
    """One heading of a notebook: its level, title, minutes (None if untimed) and whether it is optional."""

    level: int
    title: str
    minutes: int | None
    optional: bool
    words: int = 0


@dataclass
class LecturePlan:
    """What a notebook says about its own time: stated minutes and the sections they come from."""

    name: str
    main_line: int | None
    one_session: int | None
    two_session: int | None
    sections: list[Section] = field(default_factory=list)
    live_cells: int = 0
    preamble_words: int = 0

    @property
    def heading_minutes(self) -> int:
        """The minutes of the main line's timed headings, added up."""
        return sum(s.minutes or 0 for s in self.sections if not s.optional)

    @property
    def main_line_words(self) -> int:
        """Words of markdown on the main line (exercises, quizzes, further reading and optional sections left out)."""
        return self.preamble_words + sum(s.words for s in self.sections if not s.optional and not _uncounted(s))


def _uncounted(section: Section) -> bool:
    return any(section.title.startswith(t) for t in UNCOUNTED)


def count_words(markdown: str) -> int:
    """Words of prose: markdown without code spans, display maths, links' targets and HTML tags."""
    text = re.sub(r"\$\$.*?\$\$|`[^`]*`|<[^>]+>|\]\([^)]*\)", " ", markdown, flags=re.S)
    return len(_WORD.findall(text))


def read_plan(path: Path) -> LecturePlan:
    """Parse a notebook's time line, headings, optional sections, live cells and word counts."""
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0].source if nb.cells else ""

    def stated(pattern: str) -> int | None:
        m = re.search(pattern, first)
        return int(m.group(1)) if m else None

    plan = LecturePlan(
        path.stem,
        stated(r"Main line:\s*(\d+)\s*min"),
        stated(r"One-session plan\s*\((\d+)\s*min\)"),
        stated(r"Two-session plan\s*\((\d+)\s*min\)"),
    )
    optional_level: int | None = None
    for cell in nb.cells:
        if cell.cell_type == "code":
            plan.live_cells += "live" in cell.metadata.get("tags", [])
            continue
        if cell.cell_type != "markdown":
            continue
        pieces = _split_at_headings(cell.source)
        for level, title, text in pieces:
            if level is None:
                target = plan.sections[-1] if plan.sections else None
            else:
                if optional_level is not None and level <= optional_level:
                    optional_level = None
                if level >= 2 and title.startswith("Optional"):
                    optional_level = level
                m = _MINUTES.search(title)
                target = Section(level, title, int(m.group(1)) if m else None, optional_level is not None)
                if level >= 2:
                    plan.sections.append(target)
                else:
                    target = None
            words = count_words(f"{title}\n{text}")  # a heading is read too
            if target is None:
                plan.preamble_words += words
            else:
                target.words += words
    return plan


def _split_at_headings(markdown: str) -> list[tuple[int | None, str, str]]:
    """A markdown cell as (heading level or None, heading title, text) pieces, the text under each heading."""
    pieces: list[tuple[int | None, str, str]] = []
    last, level, title = 0, None, ""
    for m in _HEADING.finditer(markdown):
        pieces.append((level, title, markdown[last : m.start()]))
        level, title, last = len(m.group(1)), m.group(2), m.end()
    pieces.append((level, title, markdown[last:]))
    return [p for p in pieces if p[0] is not None or p[2].strip()]


THIRD_SESSION = "*A third 90-minute session"  # the notebooks beyond the paper (07): their slot is in this table


def readme_slots(readme: str) -> dict[str, dict[str, int]]:
    """The README's plans: {'one': {'01': minutes, ...}, 'two': {...}, 'three': {...}} from its lecture-plan tables.

    'three' is the optional third session's table (empty when the README has none).
    """
    one = _section(readme, "*One 90-minute session", "*Two 90-minute sessions")
    has_third = THIRD_SESSION in readme
    two = _section(readme, "*Two 90-minute sessions", THIRD_SESSION if has_third else "\n\n**")
    three = _section(readme, THIRD_SESSION, "\n\n**") if has_third else ""
    return {"one": _slots(one), "two": _slots(two), "three": _slots(three)}


def _section(text: str, start: str, end: str) -> str:
    i = text.index(start)
    j = text.find(end, i + len(start))
    return text[i : j if j > 0 else len(text)]


def _slots(table: str) -> dict[str, int]:
    slots: dict[str, int] = {}
    for row in table.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        for k, c in enumerate(cells):
            m = re.fullmatch(r"(\d+)\s*[–-]\s*(\d+)", c)
            if m and k + 1 < len(cells):
                nb = re.match(r"(0\d)\b", cells[k + 1])
                if nb:
                    slots[nb.group(1)] = slots.get(nb.group(1), 0) + int(m.group(2)) - int(m.group(1))
    return slots
