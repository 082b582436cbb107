"""The course website: static HTML pages of the executed notebooks, built offline with nbconvert.

    python -m helpers.course.run_notebooks --site out/site --no-execute   # from the saved (executed) notebooks
    python -m helpers.course.run_notebooks --site out/site                # execute the series first

Every page (home, notebooks, solutions) goes through one nbconvert template that extends JupyterLab's
HTML template, so they all look like the notebooks, with a navigation bar on top and at the bottom. The
home page is the README (its gallery and notebook table) followed by a table of this build: each
notebook's run time, its exercises, its worked solutions and its Colab badge.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import nbformat

from ..paths import REPO_ROOT as ROOT
from .atlas_pages import atlas_table
from .colab import LIVE_CELL_CSS, REPO_URL, badge_markdown

SOLUTIONS_DIR = ROOT / "solutions"
README = ROOT / "README.md"
ATLAS_DIR = (
    ROOT / "docs" / "atlas"
)  # a committed small atlas (atlas.json, its PNGs, contact_sheet.jpg): the site's atlas page
ATLAS_PAGE = "atlas.html"

# One template for every page: JupyterLab's look plus a navigation bar, passed in as resources["course_nav"].
SITE_TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{% block extra_css %}
<style type="text/css">
nav.course-nav { display: flex; flex-wrap: wrap; gap: 0.4em 1.5em; align-items: center; padding: 0.6em 1em;
  margin: 0 0 1em 0; background: #f3f5f7; border-bottom: 1px solid #d0d7de; font-family: var(--jp-ui-font-family); font-size: 15px; }
nav.course-nav.bottom { margin: 2em 0 0 0; border-top: 1px solid #d0d7de; border-bottom: none; }
nav.course-nav a { text-decoration: none; }
nav.course-nav .course-home { font-weight: bold; }
nav.course-nav .course-spacer { flex-grow: 1; }
main { max-width: 1100px; margin: 0 auto; }
table.course-table td, table.course-table th { padding: 0.3em 0.8em; }
{{ resources.live_css }}
</style>
{% endblock extra_css %}
{%- block body_header -%}
{{ super() }}
<nav class="course-nav top" aria-label="course">{{ resources.course_nav }}</nav>
{%- endblock body_header -%}
{% block body_footer %}
<nav class="course-nav bottom" aria-label="course">{{ resources.course_nav }}</nav>
{{ super() }}
{% endblock body_footer %}
"""


@dataclass(frozen=True)
class NotebookPage:
    """One notebook of the series as a page of the site."""

    source: Path
    title: str
    seconds: float | None  # run time: measured now, or read from the saved execution times
    exercises_anchor: str = "Exercises"  # the id nbconvert gives the notebook's "## Exercises..." heading

    @property
    def number(self) -> str:
        return self.source.stem.split("_")[0]

    @property
    def href(self) -> str:
        return self.source.stem + ".html"

    @property
    def exercises_href(self) -> str:
        return f"{self.href}#{self.exercises_anchor}"

    @property
    def solutions_href(self) -> str | None:
        return f"{self.number}_solutions.html" if (SOLUTIONS_DIR / f"{self.number}_solutions.py").is_file() else None


def notebook_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The notebook's first level-1 Markdown heading (its title), else `fallback`."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if match:
                return match.group(1).strip()
    return fallback


def exercises_anchor(nb: nbformat.NotebookNode) -> str:
    """The HTML id of the notebook's exercises heading (the first heading starting 'Exercises'), as nbconvert writes it.

    nbconvert's id is the whole heading text, so "## Exercises (12 min): ..." is not "#Exercises".
    """
    from nbconvert.filters import add_anchor

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#+\s+(Exercises\b.*)$", cell.source, flags=re.M)
            if match:
                found = re.search(r'id="([^"]+)"', add_anchor(f"<h2>{html.escape(match.group(1).strip())}</h2>"))
                return html.unescape(found.group(1)) if found else "Exercises"
    return "Exercises"


def recorded_seconds(nb: nbformat.NotebookNode) -> float | None:
    """Run time saved in an executed notebook: first code cell's start to last code cell's reply (nbclient's timing).

    Only code cells count: a markdown cell can carry stale timestamps from an editor's earlier session.
    """
    starts, ends = [], []
    for cell in (c for c in nb.cells if c.get("cell_type") == "code"):
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            starts.append(_timestamp(timing["iopub.execute_input"]))
            ends.append(_timestamp(timing["shell.execute_reply"]))
    return (max(ends) - min(starts)).total_seconds() if starts else None


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _exporter(*, exclude_input: bool = False):
    """nbconvert's HTML exporter with the site template (JupyterLab look, navigation bar); code hidden if asked."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        extra_loaders=[DictLoader({"course_site.html.j2": SITE_TEMPLATE})],
        template_file="course_site.html.j2",
        exclude_input=exclude_input,
    )


def _link(href: str, text: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f'<a href="{html.escape(href)}"{cls}>{html.escape(text)}</a>'


def navigation(pages: list[NotebookPage], current: int | None, *, solutions_of: int | None = None) -> str:
    """The navigation bar: home, previous/next notebook, this notebook's exercises and solutions."""
    items = [_link("index.html", "Deep Inside ConvNets: the course", "course-home")]
    if current is not None:
        page = pages[current]
        if current > 0:
            items.append(_link(pages[current - 1].href, f"← {pages[current - 1].title}", "course-prev"))
        items.append('<span class="course-spacer"></span>')
        items.append(_link(page.exercises_href, "exercises", "course-exercises"))
        if page.solutions_href:
            items.append(_link(page.solutions_href, "solutions", "course-solutions"))
        if current + 1 < len(pages):
            items.append(_link(pages[current + 1].href, f"{pages[current + 1].title} →", "course-next"))
    elif solutions_of is not None:
        page = pages[solutions_of]
        items += ['<span class="course-spacer"></span>', _link(page.href, f"back to {page.title}", "course-back")]
    else:
        items.append('<span class="course-spacer"></span>')
        items += [_link(p.href, p.number, "course-notebook") for p in pages]
        items.append(_link(ATLAS_PAGE, "class atlas", "course-atlas"))
    return "\n".join(items)


def _write_page(nb: nbformat.NotebookNode, target: Path, nav: str, title: str, *, exclude_input: bool = False) -> Path:
    nb = nbformat.from_dict(nb)  # a copy: the caller's notebook stays as it was
    nb.metadata["title"] = title
    body, _ = _exporter(exclude_input=exclude_input).from_notebook_node(
        nb, resources={"course_nav": nav, "live_css": LIVE_CELL_CSS, "metadata": {"name": title}}
    )
    target.write_text(body, encoding="utf-8")
    return target


def _site_links(markdown: str, pages: list[NotebookPage]) -> str:
    """README links made to work on the site: notebooks to their pages, other repository files to GitHub."""
    by_path = {f"notebooks/{p.source.name}": p.href for p in pages}

    def fix(match: re.Match) -> str:
        text, target = match.group(1), match.group(2)
        if re.match(r"[a-z]+://|#|mailto:", target) or target.startswith("docs/gallery/"):
            return match.group(0)
        if target in by_path:
            return f"[{text}]({by_path[target]})"
        return (
            f"[{text}]({REPO_URL}/blob/main/{target.rstrip('/')})"
            if "." in Path(target).name
            else f"[{text}]({REPO_URL}/tree/main/{target.rstrip('/')})"
        )

    return re.sub(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)\)", fix, markdown)


def _markdown_href(href: str) -> str:
    """A link target that survives markdown: spaces and parentheses percent-encoded."""
    return href.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _build_table(pages: list[NotebookPage]) -> str:
    """Markdown table of this build: page, run time, exercises, solutions, Colab badge."""
    rows = ["| # | notebook | run time | exercises | solutions | Colab |", "|---|---|---|---|---|---|"]
    for p in pages:
        seconds = f"{p.seconds:.0f} s" if p.seconds is not None else "not run"
        solutions = f"[solutions]({p.solutions_href})" if p.solutions_href else "—"
        rows.append(
            f"| {p.number} | [{p.title}]({p.href}) | {seconds} | [exercises]({_markdown_href(p.exercises_href)}) | {solutions} | {badge_markdown(p.source)} |"
        )
    total = sum(p.seconds or 0.0 for p in pages)
    rows.append(f"| | **whole series** | **{total / 60:.1f} min** | | | |")
    return "\n".join(rows)


def home_notebook(
    pages: list[NotebookPage], readme: Path = README, *, executed_now: bool = False
) -> nbformat.NotebookNode:
    """The home page as a notebook: the README (links fixed for the site) and the table of this build."""
    text = _site_links(readme.read_text(encoding="utf-8"), pages)
    timing = (
        "measured while executing them for this site (headless, each in a fresh kernel)"
        if executed_now
        else "from the timings saved in the executed notebooks (first cell's start to last cell's end)"
    )
    table = f"## The pages of this site\n\nRun times of the notebooks {timing}:\n\n" + _build_table(pages)
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text), nbformat.v4.new_markdown_cell(table)])


def solutions_notebook(page: NotebookPage) -> nbformat.NotebookNode:
    """A notebook's worked solutions (solutions/NN_solutions.py) as a page: a heading and the highlighted code."""
    source = (SOLUTIONS_DIR / f"{page.number}_solutions.py").read_text(encoding="utf-8")
    heading = f"# Solutions to the exercises of {page.title}\n\nThe exercises are at the end of [the notebook]({_markdown_href(page.exercises_href)})."
    code = nbformat.v4.new_code_cell(source)
    code.metadata["language"] = "python"
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell(heading), code], metadata={"language_info": {"name": "python"}}
    )


def atlas_notebook(folder: Path) -> nbformat.NotebookNode:
    """The class-atlas page as a notebook: what the atlas is, its numbers, the contact sheet and the sortable table."""
    data = json.loads((folder / "atlas.json").read_text(encoding="utf-8"))
    s, entries = data["settings"], [SimpleNamespace(**e) for e in data["classes"]]
    ranks = [e.judge_rank for e in entries]
    n, top5, top1 = len(entries), sum(r is not None and r <= 5 for r in ranks), sum(r == 1 for r in ranks)
    intro = (
        f"# Class atlas\n\nOne class image for each of {n} ImageNet classes (evenly spaced over the 1000), made by "
        f"{s['model']} with the `{s['method']}` method ({s['steps']} steps at {s['size']} px, seed {s['seed']}) and scored "
        f"by {s['judge']}, a second network of the same family: **{top5} of {n} ({top5 / n:.1%})** have their class in "
        f"its top-5, {top1} at rank 1. [Notebook 03](03_class_model_visualization.html) explains the method and the "
        f"score. Made on a CPU with `python -m helpers.atlas --classes {n} --method {s['method']} --size {s['size']} "
        f"--steps {s['steps']} --seed {s['seed']}`; with `--classes all` it makes all 1000 classes "
        "(hours on a CPU: run that on a GPU). Click a column header to sort the table.\n\n"
        "![contact sheet: every class image with its name and the judge's rank](atlas/contact_sheet.jpg)"
    )
    table = nbformat.v4.new_code_cell("")
    table.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/html": atlas_table([SimpleNamespace(**{**vars(e), "file": f"atlas/{e.file}"}) for e in entries])
            },
        )
    ]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(intro), table])


def _write_atlas(folder: Path, out_dir: Path, nav: str) -> list[Path]:
    """The atlas page and a copy of its images, when a committed atlas is there; else nothing."""
    if not (folder / "atlas.json").is_file():
        return []
    shutil.copytree(folder, out_dir / "atlas", dirs_exist_ok=True)
    return [_write_page(atlas_notebook(folder), out_dir / ATLAS_PAGE, nav, "Class atlas", exclude_input=True)]


def build_site(
    notebooks: list[Path],
    out_dir: Path,
    *,
    executed: dict[Path, nbformat.NotebookNode] | None = None,
    seconds: dict[Path, float] | None = None,
    readme: Path = README,
) -> list[Path]:
    """Write the site into out_dir (index.html, one page per notebook and per solutions file, the gallery).

    `executed` holds notebooks executed in this run (else each is read from its file, as saved), `seconds`
    their measured run times (else the times saved in the notebook). Nothing is downloaded or executed.
    """
    executed, seconds = executed or {}, seconds or {}
    nbs = {path: executed.get(path) or nbformat.read(path, as_version=4) for path in notebooks}
    pages = [
        NotebookPage(
            path,
            notebook_title(nbs[path], path.stem),
            seconds.get(path, recorded_seconds(nbs[path])),
            exercises_anchor(nbs[path]),
        )
        for path in notebooks
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for i, page in enumerate(pages):
        written.append(_write_page(nbs[page.source], out_dir / page.href, navigation(pages, i), page.title))
        if page.solutions_href:
            written.append(
                _write_page(
                    solutions_notebook(page),
                    out_dir / page.solutions_href,
                    navigation(pages, None, solutions_of=i),
                    f"Solutions {page.number}",
                )
            )
    executed_now = bool(notebooks) and all(path in seconds for path in notebooks)
    written.append(
        _write_page(
            home_notebook(pages, readme, executed_now=executed_now),
            out_dir / "index.html",
            navigation(pages, None),
            "Deep Inside Convolutional Networks: a hands-on course",
        )
    )
    written += _write_atlas(readme.parent / "docs" / "atlas", out_dir, navigation(pages, None))
    gallery = readme.parent / "docs" / "gallery"
    if gallery.is_dir():
        shutil.copytree(gallery, out_dir / "docs" / "gallery", dirs_exist_ok=True)
    return written
