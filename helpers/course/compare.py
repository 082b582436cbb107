"""What a fresh run of a notebook changes: its checked outputs and its claim lines, against the committed ones.

A lecturer runs `python -m helpers.course.run_notebooks --compare` on their own machine before class: it re-executes
the notebooks and lists every `# NBVAL_CHECK_OUTPUT` cell whose text differs and every claim line
(`helpers.claims.claim`) that reads otherwise than in the committed notebook, so they know which sentences to
watch for on their hardware.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

CHECK_MARKER = "NBVAL_CHECK_OUTPUT"
CLAIM_PREFIXES = ("holds on this run:", "on this run this does NOT hold:")
# Text that names an object's memory address or a figure's repr changes from run to run and says nothing.
_VOLATILE = re.compile(r"( at 0x[0-9a-f]+|<Figure size [^>]*>)")


@dataclass(frozen=True)
class Difference:
    """One checked output or claim that a fresh run prints otherwise than the committed notebook."""

    notebook: str
    cell: int
    kind: str  # "checked output" or "claim"
    committed: str
    now: str

    def __str__(self) -> str:
        return (
            f"{self.notebook} cell {self.cell} ({self.kind}):\n"
            f"    committed: {_one_line(self.committed)}\n"
            f"    this run:  {_one_line(self.now)}"
        )


def _one_line(text: str, limit: int = 400) -> str:
    flat = " | ".join(line.rstrip() for line in text.strip().splitlines()) or "(no output)"
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def cell_text(cell: Any) -> str:
    """The text a code cell printed (streams and plain-text results), without addresses and figure reprs."""
    parts: list[str] = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(_join(out.get("text", "")))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(_join(out.get("data", {}).get("text/plain", "")))
        elif out.get("output_type") == "error":
            parts.append(f"ERROR {out.get('ename', '')}: {out.get('evalue', '')}")
    return _VOLATILE.sub("", "".join(p if p.endswith("\n") else p + "\n" for p in parts if p)).strip()


def _join(text: str | list[str]) -> str:
    return text if isinstance(text, str) else "".join(text)


def claim_lines(text: str) -> list[str]:
    """The lines of `text` that state a claim's verdict on the run."""
    return [line.strip() for line in text.splitlines() if line.strip().startswith(CLAIM_PREFIXES)]


def _claim_key(line: str) -> str:
    """A claim's statement without its verdict and evidence, to pair it across runs."""
    for prefix in CLAIM_PREFIXES:
        if line.startswith(prefix):
            line = line[len(prefix) :]
    return re.sub(r"\s*\([^()]*\)\s*$", "", line).strip()


def compare_notebooks(name: str, committed: Any, executed: Any) -> list[Difference]:
    """Every checked output and claim line of `executed` that differs from `committed` (same notebook)."""
    old_cells, new_cells = committed.cells, executed.cells
    if [c.cell_type for c in old_cells] != [c.cell_type for c in new_cells]:
        raise ValueError(
            f"{name}: the executed notebook's cells are not the committed notebook's; compare a run of the same file."
        )
    differences: list[Difference] = []
    for index, (old, new) in enumerate(zip(old_cells, new_cells)):
        if old.cell_type != "code":
            continue
        before, after = cell_text(old), cell_text(new)
        if CHECK_MARKER in new.source:
            if before != after:
                differences.append(Difference(name, index, "checked output", before, after))
            continue
        old_claims = {_claim_key(line): line for line in claim_lines(before)}
        for line in claim_lines(after):
            earlier = old_claims.get(_claim_key(line))
            if earlier is None or earlier.startswith(CLAIM_PREFIXES[0]) != line.startswith(CLAIM_PREFIXES[0]):
                differences.append(Difference(name, index, "claim", earlier or "(not printed)", line))
    return differences


def report(differences: list[Difference], notebooks: int) -> str:
    """The lecturer's summary: what differs, or that nothing does."""
    if not differences:
        return f"compare: every checked output and claim of the {notebooks} notebook(s) is as committed."
    head = f"compare: {len(differences)} checked output(s) or claim(s) differ from the committed notebooks:"
    return "\n".join([head, *map(str, differences)])
