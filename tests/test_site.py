"""The course website and the runner's HTML export: built offline from the saved notebooks, checked in Chromium.

The build runs with every network connection refused, so it provably needs no internet. In Chromium,
requests to other hosts are cut off too (as on an offline laptop): the pages must still load without
errors and show every figure of their notebook.
"""

from __future__ import annotations

import html
import json
import re
import socket
from pathlib import Path
from urllib.parse import unquote, urlparse

import browser_support as bs
import nbformat
import pytest

from helpers.course import run_notebooks, site

NOTEBOOKS = sorted((bs.ROOT / "notebooks").glob("[0-9]*.ipynb"))
SMALL_NOTEBOOK = NOTEBOOKS[0]  # 01: quick to export
PAGE_CHECKED = next(p for p in NOTEBOOKS if p.name.startswith("02_"))


def _refuse(*args, **kwargs):
    raise OSError("network access attempted during an offline build")


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory) -> Path:
    """The site, built once by the CLI from the saved notebooks, with every network connection refused."""
    out = tmp_path_factory.mktemp("site")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _refuse)
        mp.setattr(socket, "create_connection", _refuse)
        mp.setattr(socket, "getaddrinfo", _refuse)
        assert run_notebooks.main(["--site", str(out), "--no-execute", "--no-progress"]) == 0
    return out


def _local_links(html: str) -> list[str]:
    """Targets of the page's links that point inside the site (no scheme, not a pure anchor)."""
    hrefs = re.findall(r'<a [^>]*href="([^"]+)"', html)
    return [h for h in hrefs if not urlparse(h).scheme and not h.startswith("#")]


def _links_by_class(html: str) -> dict[str, list[str]]:
    """href of every <a> that has a class, by class (attribute order does not matter)."""
    found: dict[str, list[str]] = {}
    for tag in re.findall(r"<a [^>]*>", html):
        css, href = re.search(r'class="([^"]+)"', tag), re.search(r'href="([^"]+)"', tag)
        if css and href:
            found.setdefault(css.group(1), []).append(href.group(1))
    return found


@pytest.mark.slow
def test_site_has_a_page_per_notebook_and_solutions(site_dir: Path) -> None:
    for nb in NOTEBOOKS:
        number = nb.stem.split("_")[0]
        assert (site_dir / f"{nb.stem}.html").is_file()
        assert (site_dir / f"{number}_solutions.html").is_file() == (
            site.SOLUTIONS_DIR / f"{number}_solutions.py"
        ).is_file()
    assert len(list((site_dir / "docs" / "gallery").glob("*.png"))) >= 3


@pytest.mark.slow
def test_every_local_link_of_the_site_resolves(site_dir: Path) -> None:
    for page in site_dir.glob("*.html"):
        for link in _local_links(page.read_text(encoding="utf-8")):
            assert (site_dir / link.split("#")[0]).is_file(), f"{page.name} links to missing {link}"


@pytest.mark.slow
def test_home_page_links_notebooks_exercises_solutions_and_colab(site_dir: Path) -> None:
    home = (site_dir / "index.html").read_text(encoding="utf-8")
    for nb in NOTEBOOKS:
        assert f'href="{nb.stem}.html"' in home
        exercises = re.search(rf'href="{re.escape(nb.stem)}\.html#([^"]+)">exercises<', home)
        assert exercises, f"no exercises link for {nb.name} on the home page"
        anchor = html.unescape(unquote(exercises.group(1)))
        page = (site_dir / f"{nb.stem}.html").read_text(encoding="utf-8")
        assert f'id="{html.escape(anchor, quote=True)}"' in page or f'id="{anchor}"' in page, (
            f"{nb.name}: #{anchor} is no id there"
        )
        assert "colab.research.google.com/github/" in home and nb.name in home
    assert 'href="02_solutions.html"' in home
    assert "notebooks/02_saliency_maps.ipynb" not in re.sub(r"colab[^\"]*", "", home)  # README links now point to pages


@pytest.mark.slow
def test_notebook_pages_navigate_in_course_order(site_dir: Path) -> None:
    page = (site_dir / PAGE_CHECKED.name.replace(".ipynb", ".html")).read_text(encoding="utf-8")
    index = NOTEBOOKS.index(PAGE_CHECKED)
    nav = _links_by_class(page)
    assert nav["course-prev"] == [f"{NOTEBOOKS[index - 1].stem}.html"] * 2  # top and bottom bars
    assert nav["course-next"] == [f"{NOTEBOOKS[index + 1].stem}.html"] * 2
    assert nav["course-solutions"] == ["02_solutions.html"] * 2
    assert nav["course-home"] == ["index.html"] * 2
    assert 'id="Exercises"' in page  # the anchor the exercises links jump to
    assert "colab-badge.svg" in page  # the notebook's Colab badge is kept


def test_run_times_are_read_from_the_saved_notebooks() -> None:
    nb = nbformat.read(SMALL_NOTEBOOK, as_version=4)
    seconds = site.recorded_seconds(nb)
    assert seconds is not None and 0 < seconds < 3600
    assert site.recorded_seconds(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])) is None


def test_run_times_count_code_cells_only() -> None:
    """A markdown cell's stale execution timestamps (an editor's earlier session) do not stretch the run time."""

    def timed(cell, start: str, end: str):
        cell.metadata["execution"] = {"iopub.execute_input": start, "shell.execute_reply": end}
        return cell

    nb = nbformat.v4.new_notebook(
        cells=[
            timed(nbformat.v4.new_markdown_cell("stale"), "2026-11-26T10:00:00.000000Z", "2026-11-26T10:00:01.000000Z"),
            timed(nbformat.v4.new_code_cell("1"), "2026-11-30T01:00:00.000000Z", "2026-11-30T01:00:02.000000Z"),
            timed(nbformat.v4.new_code_cell("2"), "2026-11-30T01:00:05.000000Z", "2026-11-30T01:00:12.500000Z"),
        ]
    )
    assert site.recorded_seconds(nb) == pytest.approx(12.5)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebooks_carry_no_markdown_execution_times(path: Path) -> None:
    """`course sync` and the runner strip them; a committed run time is minutes, not days."""
    nb = nbformat.read(path, as_version=4)
    assert [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "execution" in c.metadata] == []
    seconds = site.recorded_seconds(nb)
    assert seconds is None or 0 < seconds < 3600


def test_exercises_anchor_is_the_whole_heading_as_nbconvert_writes_it() -> None:
    """The home page and the navigation jump to the exercises heading even when it says more than 'Exercises'."""
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# T"), nbformat.v4.new_markdown_cell("## Exercises (12 min): build it")]
    )
    assert site.exercises_anchor(nb) == "Exercises-(12-min):-build-it"
    assert (
        site.exercises_anchor(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Exercises")]))
        == "Exercises"
    )
    page = site.NotebookPage(SMALL_NOTEBOOK, "01", 1.0, site.exercises_anchor(nb))
    assert "#Exercises-%2812-min%29:-build-it" in site._build_table([page])


def test_readme_links_become_site_links() -> None:
    pages = [site.NotebookPage(SMALL_NOTEBOOK, "01", 1.0)]
    text = site._site_links(
        f"[a](notebooks/{SMALL_NOTEBOOK.name}) [b](solutions/) ![g](docs/gallery/02_1.png) [c](https://x.org/y)", pages
    )
    assert f"[a]({SMALL_NOTEBOOK.stem}.html)" in text
    assert "[b](https://github.com/" in text and "/tree/main/solutions)" in text
    assert "![g](docs/gallery/02_1.png)" in text and "[c](https://x.org/y)" in text


def test_no_execute_needs_an_output() -> None:
    with pytest.raises(SystemExit):
        run_notebooks.main([str(SMALL_NOTEBOOK), "--no-execute"])


# ---- in Chromium -------------------------------------------------------------------------------


@pytest.fixture
def offline(chromium):
    context = bs.offline_context(chromium, viewport={"width": 1200, "height": 900})
    yield context
    context.close()


def _assert_clean(watch: bs.PageWatch, what: str) -> None:
    assert not watch.errors, f"{what}: console errors:\n" + "\n".join(watch.errors)
    unknown = {urlparse(u).hostname for u in watch.external} - bs.KNOWN_EXTERNAL_HOSTS
    assert not unknown, f"{what}: requests to unexpected hosts {unknown}"


def _assert_figures_shown(page, nb_path: Path, what: str) -> None:
    """Every figure of the notebook is an <img> in an output area, and every one of them decoded."""
    figures = bs.image_report(page, ".jp-OutputArea-output img")
    expected = bs.figure_count(nbformat.read(nb_path, as_version=4))
    assert expected > 0
    assert len(figures) == expected, f"{what}: {len(figures)} figures shown, the notebook has {expected}"
    broken = [f["src"] for f in figures if not f["decoded"]]
    assert not broken, f"{what}: figures that did not load: {broken}"


@pytest.mark.browser
def test_html_export_opens_cleanly_and_shows_every_figure(tmp_path: Path, offline) -> None:
    assert run_notebooks.main([str(SMALL_NOTEBOOK), "--html", str(tmp_path), "--no-execute"]) == 0
    page, watch = bs.open_watched(offline, (tmp_path / f"{SMALL_NOTEBOOK.stem}.html").as_uri())
    bs.save_screenshot("export_01.png", page.screenshot())
    _assert_clean(watch, "HTML export of 01")
    _assert_figures_shown(page, SMALL_NOTEBOOK, "HTML export of 01")


@pytest.mark.browser
def test_site_home_page_loads_with_its_gallery(site_dir: Path, offline) -> None:
    page, watch = bs.open_watched(offline, (site_dir / "index.html").as_uri())
    bs.save_screenshot("site_home.png", page.screenshot())
    _assert_clean(watch, "home page")
    local = [i for i in bs.image_report(page) if bs.is_local(i["src"])]
    assert len(local) >= 3 and all(i["decoded"] for i in local), f"home page images: {local}"
    assert page.locator("nav.course-nav.top a.course-notebook").count() == len(NOTEBOOKS)


@pytest.mark.browser
def test_site_notebook_page_loads_with_every_figure(site_dir: Path, offline) -> None:
    page, watch = bs.open_watched(offline, (site_dir / f"{PAGE_CHECKED.stem}.html").as_uri())
    bs.save_screenshot("site_notebook_02.png", page.screenshot())
    _assert_clean(watch, "notebook page 02")
    _assert_figures_shown(page, PAGE_CHECKED, "notebook page 02")
    page.locator("nav.course-nav.top a.course-next").click()  # navigation works in the browser
    page.wait_for_load_state("load")
    assert page.url.endswith(f"{NOTEBOOKS[NOTEBOOKS.index(PAGE_CHECKED) + 1].stem}.html")


@pytest.mark.browser
def test_page_watch_catches_errors_and_broken_figures(tmp_path: Path, offline) -> None:
    """The checks above can fail: a script error and a missing local image are both reported."""
    broken = tmp_path / "broken.html"
    broken.write_text(
        '<div class="jp-OutputArea-output"><img src="missing.png"></div><script>undefined_name()</script>'
    )
    page, watch = bs.open_watched(offline, broken.as_uri())
    assert any("undefined_name" in e for e in watch.errors)
    assert bs.image_report(page, ".jp-OutputArea-output img") == [
        {"src": (tmp_path / "missing.png").as_uri()[:80], "decoded": False}  # image_report keeps 80 characters
    ]


@pytest.mark.slow
def test_site_after_executing_uses_the_fresh_outputs_and_times(tmp_path: Path) -> None:
    """Without --no-execute the notebooks run first, and their pages show this run's outputs."""
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# 09 · A tiny notebook"), nbformat.v4.new_code_cell("print(6 * 7)")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    path = tmp_path / "09_tiny.ipynb"
    nbformat.write(nb, path)
    assert run_notebooks.main([str(path), "--site", str(tmp_path / "site"), "--no-progress"]) == 0
    page = (tmp_path / "site" / "09_tiny.html").read_text(encoding="utf-8")
    assert "42" in page and "09 · A tiny notebook" in page
    assert nbformat.read(path, as_version=4).cells[1].outputs == []  # the file itself is left as it was
    assert "measured while executing them for this site" in (tmp_path / "site" / "index.html").read_text(
        encoding="utf-8"
    )


@pytest.mark.slow
def test_site_has_the_class_atlas_page(site_dir: Path) -> None:
    """The committed small atlas (docs/atlas) is a page: every class a row with its image, the contact sheet, linked from home."""
    data = json.loads((site.ATLAS_DIR / "atlas.json").read_text())
    page = (site_dir / site.ATLAS_PAGE).read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>(\d+)</td>", page)
    assert [int(r) for r in rows] == [e["index"] for e in data["classes"]]
    for src in re.findall(r'<img src="([^"]+)"', page):
        assert (site_dir / src).is_file(), f"atlas page shows missing {src}"
    assert 'src="atlas/contact_sheet.jpg"' in page
    top5 = sum(e["judge_rank"] <= 5 for e in data["classes"])
    assert f"{top5} of {len(rows)}" in page  # the headline is computed from the atlas, not typed
    assert site.ATLAS_PAGE in _links_by_class((site_dir / "index.html").read_text(encoding="utf-8")).get(
        "course-atlas", []
    )


def test_committed_atlas_is_small_and_complete() -> None:
    """docs/atlas stays under 5 MB and holds a PNG for every class of its atlas.json."""
    files = list(site.ATLAS_DIR.iterdir())
    assert sum(f.stat().st_size for f in files) < 5 * 2**20
    data = json.loads((site.ATLAS_DIR / "atlas.json").read_text())
    assert all((site.ATLAS_DIR / e["file"]).is_file() for e in data["classes"])
    assert len(data["classes"]) >= 60


def test_atlas_page_without_a_committed_atlas_is_left_out(tmp_path: Path) -> None:
    assert site._write_atlas(tmp_path / "no_atlas", tmp_path, "") == []


@pytest.mark.slow
def test_live_cells_are_marked_on_the_site(site_dir: Path) -> None:
    """Every notebook page shows the live marker on the cells its notebook tags `live`, and only there."""
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        live = sum("live" in c.metadata.get("tags", []) for c in nb.cells)
        page = (site_dir / f"{path.stem}.html").read_text(encoding="utf-8")
        assert page.count('celltag_live"') + page.count("celltag_live ") >= live, path.name
        if live:
            assert "run live" in page
