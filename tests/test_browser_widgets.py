"""The widgets as a student sees them: JupyterLab in headless Chromium runs the notebook, the test clicks.

Notebook 02 is run whole (Run > Run All Cells); notebook 03 runs only its cells tagged `widget-setup`
and `widget` when it has them (running all of it takes minutes on a CPU), else all of it. The widgets
are found by what they show (a "10 crops" toggle, a "Run" button), not by cell number. Screenshots of
the widget's output area before and after each change are kept in out/browser/.
"""

from __future__ import annotations

import re
import time

import browser_support as bs
import nbformat
import pytest

WIDGET_ERROR = "Error displaying widget"
NOTEBOOK_02 = "02_saliency_maps.ipynb"
NOTEBOOK_03 = "03_class_model_visualization.ipynb"
RUN_TIMEOUT_MS = 300_000  # a whole notebook on a slow 2-core CI machine
UPDATE_TIMEOUT_MS = 120_000  # one widget update (10-crop saliency of a photo, a few optimisation steps)
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"  # the notebook in the visible tab


@pytest.fixture
def page(chromium):
    """A fresh tab of a wide window; fails the test on any error the page itself reports."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    watch = bs.PageWatch()
    watch.attach(tab)
    tab.watch = watch
    yield tab
    context.close()


def open_notebook(page, lab: bs.JupyterLab, name: str) -> None:
    """Open a notebook in a fresh workspace (no tabs left from another test) and wait until its kernel is idle."""
    page.goto(lab.url(name) + "&reset")
    page.wait_for_selector(f"{NOTEBOOK} .jp-Cell", timeout=60_000)
    page.get_by_text(re.compile(r"\|\s*Idle")).first.wait_for(timeout=120_000)


def run_all_cells(page) -> None:
    """Run > Run All Cells, as a student would."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def run_cells(page, indices: list[int]) -> None:
    """Run the cells at these positions (0-based, as in the .ipynb file), in order: select, Ctrl+Enter."""
    cells = page.locator(f"{NOTEBOOK} .jp-Cell")
    for index in indices:
        cells.nth(index).locator(".jp-InputPrompt").first.click()
        page.keyboard.press("Control+Enter")


def wait_for_cells(page, count: int, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Wait until no cell is queued or running, then check that `count` code cells ran (a failing cell stops the run)."""
    page.wait_for_function(
        "notebook => ![...document.querySelectorAll(notebook + ' .jp-CodeCell .jp-InputPrompt')].some(p => p.textContent.includes('*'))",
        arg=NOTEBOOK,
        timeout=timeout_ms,
    )
    prompts = page.locator(f"{NOTEBOOK} .jp-CodeCell .jp-InputPrompt").all_inner_texts()
    ran = sum(bool(re.search(r"\[\d+\]", p)) for p in prompts)
    stderr = page.locator(
        f'{NOTEBOOK} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
    ).all_inner_texts()
    tracebacks = [text for text in stderr if "Traceback" in text]  # JupyterLab shows errors as stderr
    assert ran >= count and not tracebacks, (
        f"{ran} of {count} code cells ran in the browser; errors:\n" + "\n".join(tracebacks)[-3000:]
    )


def tagged_cells(name: str, lab: bs.JupyterLab, tags: tuple[str, ...]) -> list[int]:
    """Positions of the cells carrying any of these tags (read from the notebook file)."""
    nb = nbformat.read(lab.notebooks / name, as_version=4)
    return [i for i, cell in enumerate(nb.cells) if set(cell.metadata.get("tags", [])) & set(tags)]


def code_cell_count(name: str, lab: bs.JupyterLab) -> int:
    nb = nbformat.read(lab.notebooks / name, as_version=4)
    return sum(cell.cell_type == "code" for cell in nb.cells)


def output_area(page, has: str):
    """The output area (one cell's output) holding the widget that contains the element `has`."""
    area = page.locator(f"{NOTEBOOK} .jp-OutputArea-output", has=page.locator(has))
    area.first.wait_for(timeout=60_000)
    assert area.count() == 1, f"expected one widget with {has!r}, found {area.count()}"
    return area.first


def wait_for_new_image(area, old_src: str | None, timeout_ms: int = UPDATE_TIMEOUT_MS) -> str:
    """Wait until the widget's image differs from `old_src` (the kernel redrew it); return the new src."""
    image = area.locator("img.widget-image, .widget-image img, img").first
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        src = image.get_attribute("src")
        if src and src != old_src:
            return src
        time.sleep(0.2)
    raise AssertionError(f"the widget's image did not change within {timeout_ms / 1000:.0f} s")


def assert_no_widget_error(page) -> None:
    assert page.get_by_text(WIDGET_ERROR).count() == 0, f"{WIDGET_ERROR!r} shown on the page"


def snapshot(area, name: str) -> bytes:
    """Screenshot of the widget's output area, kept under out/browser/."""
    area.scroll_into_view_if_needed()
    png = area.screenshot()
    bs.save_screenshot(name, png)
    return png


def assert_changed(before: bytes, after: bytes, what: str) -> None:
    fraction = bs.changed_fraction(before, after)
    assert fraction > 0.005, f"{what}: the widget's picture did not change ({fraction:.2%} of pixels differ)"


@pytest.mark.browser
@pytest.mark.slow
def test_saliency_explorer_in_jupyterlab(jupyter_lab, page) -> None:
    open_notebook(page, jupyter_lab, NOTEBOOK_02)
    assert_no_widget_error(page)  # the saved widget state renders on opening, before any run
    run_all_cells(page)
    wait_for_cells(page, code_cell_count(NOTEBOOK_02, jupyter_lab))
    explorer = output_area(page, ".widget-toggle-button:has-text('10 crops')")
    first_src = wait_for_new_image(explorer, None)
    initial = snapshot(explorer, "02_explorer_1_initial.png")

    explorer.locator(".widget-dropdown", has=page.locator("label", has_text="class")).locator("select").select_option(
        index=1
    )
    class_src = wait_for_new_image(explorer, first_src)
    other_class = snapshot(explorer, "02_explorer_2_second_class.png")
    assert_changed(initial, other_class, "changing the class")

    explorer.locator(".widget-toggle-button", has_text="10 crops").click()
    wait_for_new_image(explorer, class_src)
    ten_crops = snapshot(explorer, "02_explorer_3_ten_crops.png")
    assert_changed(other_class, ten_crops, "switching to 10 crops")

    assert_no_widget_error(page)
    bs.save_screenshot("02_page.png", page.screenshot())
    assert not page.watch.errors, "console errors:\n" + "\n".join(page.watch.errors)


@pytest.mark.browser
@pytest.mark.slow
def test_class_visualization_panel_in_jupyterlab(jupyter_lab, page) -> None:
    open_notebook(page, jupyter_lab, NOTEBOOK_03)
    assert_no_widget_error(page)
    selected = tagged_cells(NOTEBOOK_03, jupyter_lab, ("widget-setup", "widget"))
    if selected:
        run_cells(page, selected)
        wait_for_cells(page, len(selected))
    else:
        run_all_cells(page)
        wait_for_cells(page, code_cell_count(NOTEBOOK_03, jupyter_lab))
    panel = output_area(page, ".widget-button:has-text('Run')")
    panel.locator(".widget-label", has_text="choose settings").wait_for()
    empty = snapshot(panel, "03_panel_1_before_run.png")

    set_slider(panel.locator(".widget-slider", has=page.locator("label", has_text="steps")), "30")
    panel.locator(".widget-button", has_text="Run").click()
    src = wait_for_new_image(panel, None)
    panel.locator(".widget-label", has_text="after 30 sgd steps").wait_for(timeout=UPDATE_TIMEOUT_MS)  # the status line
    first = snapshot(panel, "03_panel_2_first_class.png")
    assert_changed(empty, first, "pressing Run")

    second_class = (
        panel.locator(".widget-dropdown", has=page.locator("label", has_text="class"))
        .locator("select")
        .select_option(index=1)[0]
    )
    panel.locator(".widget-button", has_text="Run").click()
    wait_for_new_image(panel, src)
    panel.locator(".widget-label", has_text=f"{second_class}:").wait_for(timeout=UPDATE_TIMEOUT_MS)
    second = snapshot(panel, "03_panel_3_second_class.png")
    assert_changed(first, second, "another class")

    assert_no_widget_error(page)
    assert not page.watch.errors, "console errors:\n" + "\n".join(page.watch.errors)


def set_slider(slider, value: str) -> None:
    """Type a value into a slider's editable readout, as a student can."""
    readout = slider.locator(".widget-readout")
    readout.click()
    readout.press("Control+a")
    readout.type(value)
    readout.press("Enter")
    assert readout.inner_text().strip() == value


def test_notebook_03_tags_the_panel_and_its_setup_cells() -> None:
    """The browser test runs only these cells of 03; without the tags it falls back to running all (minutes)."""
    nb = nbformat.read(bs.ROOT / "notebooks" / NOTEBOOK_03, as_version=4)
    tagged = {tag: [c for c in nb.cells if tag in c.metadata.get("tags", [])] for tag in ("widget-setup", "widget")}
    assert len(tagged["widget"]) == 1 and "class_visualization_panel" in tagged["widget"][0].source, (
        "tag the panel's cell 'widget'"
    )
    setup = "\n".join(c.source for c in tagged["widget-setup"])
    assert "import helpers" in setup and "load_model" in setup, "tag the cells the panel needs 'widget-setup'"
