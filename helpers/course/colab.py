"""Course plumbing: the repository URL (defined here only), the Colab badge and the set-up cell.

`python -m helpers.course sync notebooks/*.ipynb` writes the badge (first markdown cell) and the
set-up cell (first code cell) into each notebook, so changing `REPO_URL` here updates every notebook
(`python -m helpers.course sync --repo https://github.com/OWNER/NAME` sets it to a fork, then syncs);
it also writes the reveal.js slide metadata (`add_slide_metadata`) that turns a notebook into a lecture
deck. `tests/test_course.py` checks that the notebooks are in sync.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from ..paths import REPO_ROOT

REPO_URL = "https://github.com/saliency-course/deep-inside-convnets"  # the one setting: `sync --repo URL` rewrites it
GITHUB_REPO = re.compile(r"https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
BRANCH = "main"
SETUP_MARKER = "# Course set-up"
BADGE_MARKER = "colab-badge.svg"
PACKAGE_ATTRIBUTE = "plotting"  # the set-up cell uses it first; a foreign `helpers` module lacks it
SLIDE_HEADINGS = ("# ", "## ")  # a markdown cell starting with one of these starts a new slide
SUBSLIDE_HEADING = "### "  # ... and with this one, a new sub-slide (below the current slide)
MAX_SLIDE_LINES = 24  # source lines on one (sub)slide before the next cell opens a sub-slide
OFF_DECK_SECTIONS = ("Optional", "Going further", "References")  # sections left out of the deck (self-study depth)
LIVE_TAG = "live"  # a code cell a lecturer runs in class (seconds on a laptop CPU)
# The marker the site and the slides show on live cells (nbconvert gives each cell a `celltag_<tag>` class).
LIVE_CELL_CSS = """
.celltag_live { position: relative; border-left: 4px solid #d9480f; }
.celltag_live::before { content: "\\25B6  run live"; position: absolute; top: 2px; right: 6px; z-index: 2;
  font: bold 13px sans-serif; color: #fff; background: #d9480f; padding: 1px 7px; border-radius: 3px; }
"""


def colab_url(notebook: str | Path) -> str:
    """The Colab link that opens `notebooks/<name>` from the repository on GitHub."""
    owner_repo = REPO_URL.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{owner_repo}/blob/{BRANCH}/notebooks/{Path(notebook).name}"


def badge_markdown(notebook: str | Path) -> str:
    """Markdown for the 'Open in Colab' badge of one notebook."""
    return f"[![Open In Colab](https://colab.research.google.com/assets/{BADGE_MARKER})]({colab_url(notebook)})"


def setup_cell_source() -> str:
    """The first code cell: install the course package when `helpers` is missing (Colab), else nothing.

    COURSE_PIP_SOURCE overrides what is installed (a local wheel or path), which is how the tests
    check this cell offline. A failed install prints pip's own output and what to do. On Colab it turns on
    the custom widget manager, without which ipywidgets 8 widgets do not render there. A `helpers.py`
    (or a `helpers/` folder) of the user's own, next to the notebook, would hide the package: the cell
    says which file to rename instead of failing later.
    """
    return (
        f"{SETUP_MARKER}: on Colab, or wherever `helpers` is missing, install the course package first.\n"
        "import importlib.util, os, subprocess, sys\n"
        'if importlib.util.find_spec("helpers") is None:\n'
        f'    source = os.environ.get("COURSE_PIP_SOURCE", "git+{REPO_URL}@{BRANCH}")\n'
        '    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", source], capture_output=True, text=True)\n'
        "    if pip.returncode != 0:\n"
        '        print(pip.stdout[-3000:], pip.stderr[-3000:], sep="\\n")\n'
        '        raise RuntimeError(f"Installing the course package from {source} failed (pip\'s messages above): check that the "\n'
        '                           "address is right and public, or set COURSE_PIP_SOURCE in a cell above (README, Google Colab); re-run this cell.")\n'
        "    importlib.invalidate_caches()\n"
        "try:  # on Colab, ipywidgets 8 widgets render only with its custom widget manager\n"
        "    from google.colab import output as colab_output; colab_output.enable_custom_widget_manager()\n"
        "except (ImportError, AttributeError): pass\n"
        "import helpers\n"
        f'if not hasattr(helpers, "{PACKAGE_ATTRIBUTE}"):  # another `helpers` hides the course package\n'
        '    where = getattr(helpers, "__file__", None) or list(getattr(helpers, "__path__", []))\n'
        '    raise ImportError(f"{where} is not the course package `helpers` but hides it: rename it (e.g. to my_helpers.py), then restart the kernel.")\n'
        "helpers.plotting.use_notebook_style()\n"
        "threads = helpers.runtime.configure_threads()  # half the cores (1-4) unless COURSE_THREADS says otherwise\n"
        'print("helpers", helpers.__version__, "| device:", helpers.default_device(), "|", threads)'
    )


def _lines(text: str) -> list[str]:
    """Notebook JSON stores sources as a list of lines with their newlines."""
    return text.splitlines(keepends=True)


def sync_notebook(path: str | Path) -> bool:
    """Put the badge into the first markdown cell and the set-up cell first among code cells; True if changed."""
    path = Path(path)
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    before = json.dumps(cells)
    _sync_badge(cells, path)
    _sync_setup_cell(cells)
    add_slide_metadata(cells)
    strip_markdown_execution(cells)
    if json.dumps(cells) == before:
        return False
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return True


def strip_markdown_execution(cells: list[dict]) -> None:
    """Drop execution timestamps from markdown cells: only code cells run, so any there are stale (and mislead run times)."""
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            cell.get("metadata", {}).pop("execution", None)


def _sync_badge(cells: list[dict], path: Path) -> None:
    badge = badge_markdown(path)
    first_md = next((c for c in cells if c["cell_type"] == "markdown"), None)
    if first_md is None:
        cells.insert(0, {"cell_type": "markdown", "metadata": {}, "source": _lines(badge)})
        return
    text = "".join(line for line in _lines("".join(first_md["source"])) if BADGE_MARKER not in line).rstrip()
    first_md["source"] = _lines(f"{text}\n\n{badge}" if text else badge)


def _sync_setup_cell(cells: list[dict]) -> None:
    source = _lines(setup_cell_source())
    for cell in cells:
        if cell["cell_type"] == "code" and "".join(cell["source"]).startswith(SETUP_MARKER):
            cell["source"] = source
            return
    first_code = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
    cells.insert(
        first_code,
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source},
    )


def slide_type(cell: dict, lines_on_slide: int) -> str:
    """reveal.js slide type of one cell: 'slide' at '#'/'##' headings, 'subslide' at '###' or when the
    current slide already holds MAX_SLIDE_LINES source lines, else '-' (continue the current slide)."""
    source = "".join(cell["source"]).lstrip()
    if cell["cell_type"] == "markdown" and source.startswith(SLIDE_HEADINGS):
        return "slide"
    if cell["cell_type"] == "markdown" and source.startswith(SUBSLIDE_HEADING):
        return "subslide"
    if lines_on_slide + _line_count(cell) > MAX_SLIDE_LINES and lines_on_slide > 0:
        return "subslide"
    return "-"


def _line_count(cell: dict) -> int:
    return len("".join(cell["source"]).splitlines())


def add_slide_metadata(cells: list[dict]) -> None:
    """Set `metadata.slideshow.slide_type` on every cell, so `jupyter nbconvert --to slides` makes a deck.

    The deck is the main line: cells of optional sections, "Going further" and "References" are skipped, and claim
    cells (a run's checks) become speaker notes. Deterministic and from the sources only (re-executing a notebook
    never changes its slides); the first cell always opens a slide. Long slides scroll in the exported deck (see
    run_notebooks.export_slides).
    """
    lines_on_slide, off_deck_level = 0, None
    for i, cell in enumerate(cells):
        level, title = heading(cell)
        if level is not None and off_deck_level is not None and level <= off_deck_level:
            off_deck_level = None
        if level is not None and level >= 2 and title.startswith(OFF_DECK_SECTIONS):
            off_deck_level = level
        if i == 0:
            kind = "slide"
        elif off_deck_level is not None:
            kind = "skip"
        elif is_claim_cell(cell):
            kind = "notes"
        else:
            kind = slide_type(cell, lines_on_slide)
        cell.setdefault("metadata", {})["slideshow"] = {"slide_type": kind}
        if kind in ("slide", "subslide"):
            lines_on_slide = _line_count(cell)
        elif kind == "-":
            lines_on_slide += _line_count(cell)


def heading(cell: dict) -> tuple[int | None, str]:
    """(level, title) of the markdown heading a cell starts with, or (None, '')."""
    match = re.match(r"(#{1,6})\s+(.*)", "".join(cell["source"]).lstrip()) if cell["cell_type"] == "markdown" else None
    return (len(match.group(1)), match.group(2).strip()) if match else (None, "")


def is_claim_cell(cell: dict) -> bool:
    """A code cell that checks conclusions on the reader's run (calls `claim(`) and draws nothing: speaker notes."""
    source = "".join(cell["source"])
    return cell["cell_type"] == "code" and "claim(" in source and not re.search(r"\bplt\.|\bshow_\w+\(|\bfig\b", source)


def check_repository_url(url: str) -> str:
    """A public GitHub repository's address (https://github.com/OWNER/NAME), as Colab's badges need it."""
    url = url.strip().removesuffix("/").removesuffix(".git")
    if not GITHUB_REPO.fullmatch(url):
        raise ValueError(
            f"--repo must be a GitHub repository's address, https://github.com/OWNER/NAME "
            f"(Colab opens notebooks from GitHub); got {url!r}."
        )
    return url


def set_repository(url: str, *, source: Path = Path(__file__), pyproject: Path = REPO_ROOT / "pyproject.toml") -> str:
    """Make `url` the course's repository: REPO_URL in this file, pyproject's Repository URL, and this process."""
    global REPO_URL
    url = check_repository_url(url)
    _rewrite(source, r'^REPO_URL = "[^"]*"', f'REPO_URL = "{url}"')
    if pyproject.is_file():
        _rewrite(pyproject, r'^Repository = "[^"]*"', f'Repository = "{url}"')
    REPO_URL = url
    return url


def _rewrite(path: Path, pattern: str, line: str) -> None:
    """Replace the one line matching `pattern` in `path`; an error when there is none."""
    text, count = re.subn(pattern, line, path.read_text(), count=1, flags=re.M)
    if count != 1:
        raise ValueError(f"{path} has no line matching {pattern!r} to rewrite.")
    path.write_text(text)


def main(argv: list[str] | None = None) -> None:
    """CLI: `python -m helpers.course sync [--repo URL] [NOTEBOOK...]`."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.course", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sync = sub.add_parser("sync", help="write the Colab badge, the set-up cell and the slide metadata into notebooks")
    sync.add_argument(
        "notebooks", nargs="*", type=Path, help="notebooks to sync (default: the repository's notebooks/)"
    )
    sync.add_argument(
        "--repo",
        metavar="URL",
        help="your fork on GitHub (https://github.com/OWNER/NAME): written into "
        "helpers/course/colab.py and pyproject.toml, then into every badge and set-up cell",
    )
    args = parser.parse_args(argv)
    if args.repo is not None:
        try:
            print(f"repository: {set_repository(args.repo)} (helpers/course/colab.py, pyproject.toml)")
        except ValueError as err:
            parser.error(str(err))
    for nb in args.notebooks or sorted((REPO_ROOT / "notebooks").glob("[0-9]*.ipynb")):
        print(("updated " if sync_notebook(nb) else "in sync ") + str(nb))


if __name__ == "__main__":
    main()
