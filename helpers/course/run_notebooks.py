"""Run the whole series headless, in order, each notebook in a fresh kernel; optionally export HTML.

    python -m helpers.course.run_notebooks --html out/            # execute all, write out/*.html
    python -m helpers.course.run_notebooks notebooks/02_*.ipynb --inplace
    python -m helpers.course.run_notebooks --threads 2             # each kernel uses 2 threads (busy machine)
    python -m helpers.course.run_notebooks --threads 1 --jobs 2    # two kernels at a time, one thread each (a 2-core machine)
    python -m helpers.course.run_notebooks --site out/site --no-execute   # course website from the saved notebooks
    python -m helpers.course.run_notebooks --slides out/slides --no-execute   # reveal.js decks of the committed outputs
    python -m helpers.course.run_notebooks --compare --threads 2   # before class: what this machine prints otherwise

For lectures and course sites: the HTML keeps every figure; the summary lists each notebook's run
time, so a lecturer knows what a live run costs. Exits non-zero when any notebook fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from ..paths import REPO_ROOT
from .colab import LIVE_CELL_CSS, strip_markdown_execution

try:
    import nbformat
except ModuleNotFoundError as err:  # the runner's packages come with the [lab] extra, not with Colab's install
    raise ModuleNotFoundError(
        "The notebook runner needs the course's 'lab' extra: pip install -e \".[lab]\" in the repository "
        "(or pip install nbclient nbconvert)."
    ) from err

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
# ipykernel's IPKernelApp logs "Kernel is running over TCP without encryption" as a WARNING for every
# kernel on a local TCP socket; at ERROR level the kernel app only reports real failures.
QUIET_KERNEL_ARGS: tuple[str, ...] = ("--IPKernelApp.log_level=ERROR",)
# Read by torch (intra-op threads), MKL and OpenBLAS (numpy) when the kernel starts.
THREAD_ENV_VARS: tuple[str, ...] = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def kernel_environment(threads: int | None) -> dict[str, str] | None:
    """The environment for each kernel: ours with the thread variables set to `threads` (None: unchanged)."""
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int (or None for the libraries' default); got {threads!r}.")
    return {**os.environ, **{name: str(threads) for name in THREAD_ENV_VARS}}


def _positive_int(text: str) -> int:
    """argparse type for --threads."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number; got {text!r}")
    return int(text)


@dataclass(frozen=True)
class RunResult:
    """Outcome of one notebook run."""

    path: Path
    seconds: float
    error: str | None = None
    executed: bool = True

    @property
    def ok(self) -> bool:
        return self.error is None


def find_notebooks(paths: list[Path] | None = None) -> list[Path]:
    """The notebooks to run, in course order: the given files/folders, or the repository's notebooks/."""
    paths = paths or [NOTEBOOKS_DIR]
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found += sorted(p.glob("[0-9]*.ipynb"))
        elif p.suffix == ".ipynb" and p.is_file():
            found.append(p)
        elif not p.exists():
            raise FileNotFoundError(f"{str(p)!r} does not exist.")
        else:
            raise FileNotFoundError(f"{str(p)!r} is neither a notebook (.ipynb) nor a folder of notebooks.")
    if not found:
        raise FileNotFoundError(f"No notebooks found in {[str(p) for p in paths]}.")
    return found


def execute_notebook(
    path: Path, *, timeout: int = 900, kernel_name: str = "python3", threads: int | None = None
) -> tuple[nbformat.NotebookNode, RunResult]:
    """Execute one notebook top to bottom in a fresh kernel, with the notebook's folder as working dir.

    `threads` caps the kernel's torch/OpenMP/MKL threads (None: the libraries' default, all cores).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=list(QUIET_KERNEL_ARGS),
    )
    env = kernel_environment(threads)
    start = time.perf_counter()
    error = None
    try:
        client.execute(**({} if env is None else {"env": env}))
    except CellExecutionError as err:
        error = _first_line_of_error(str(err))
    except Exception as err:  # a dead kernel or a timeout: report it, run the next notebook
        error = f"{type(err).__name__}: {err}"
    strip_markdown_execution(nb.cells)
    return nb, RunResult(path, time.perf_counter() - start, error)


def _first_line_of_error(message: str) -> str:
    """The exception line of a cell error (the last non-empty line of the traceback)."""
    lines = [line for line in message.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "error"


def export_html(nb: nbformat.NotebookNode, target: Path) -> None:
    """Write an executed notebook as a standalone HTML page."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")


def read_notebook(path: Path) -> tuple[nbformat.NotebookNode, RunResult]:
    """Read a notebook as committed (its stored outputs), for exporting without re-executing."""
    return nbformat.read(path, as_version=4), RunResult(path, 0.0, executed=False)


def export_slides(nb: nbformat.NotebookNode, target: Path) -> None:
    """Write a notebook as a reveal.js deck (cells' `slideshow` metadata, set by `helpers.course sync`).

    Long slides scroll rather than overflow; reveal.js itself is loaded from its CDN when the deck opens.
    """
    from nbconvert import SlidesExporter

    exporter = SlidesExporter()
    exporter.reveal_scroll = True
    body, _ = exporter.from_notebook_node(nb)
    body = body.replace("</head>", f"<style>{LIVE_CELL_CSS}</style>\n</head>", 1)  # the live cells' marker
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")


def run_series(
    notebooks: list[Path],
    *,
    html_dir: Path | None = None,
    inplace: bool = False,
    timeout: int = 900,
    progress: bool = True,
    threads: int | None = None,
    slides_dir: Path | None = None,
    execute: bool = True,
    keep: dict[Path, nbformat.NotebookNode] | None = None,
    jobs: int = 1,
) -> list[RunResult]:
    """Execute notebooks (or only read them: execute=False); export HTML/slides and/or write them back.

    `jobs` kernels run at a time (each notebook still in its own fresh kernel; results in course order).
    `keep`, when given, receives every notebook (by path), e.g. for building the site.
    """
    kernel_environment(threads)  # a bad thread count fails before the first notebook runs
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive int; got {jobs!r}.")
    results = []
    bar = tqdm(notebooks, desc="notebooks", unit="nb", disable=not progress)
    for path, (nb, result) in zip(
        bar, _executed(notebooks, execute=execute, timeout=timeout, threads=threads, jobs=jobs)
    ):
        bar.set_postfix_str(path.name)
        if html_dir is not None:
            export_html(nb, html_dir / (path.stem + ".html"))
        if slides_dir is not None:
            export_slides(nb, slides_dir / (path.stem + ".slides.html"))
        if inplace and execute and result.ok:
            nbformat.write(nb, path)
        if keep is not None:
            keep[path] = nb
        results.append(result)
    return results


def _executed(notebooks: list[Path], *, execute: bool, timeout: int, threads: int | None, jobs: int):
    """(notebook, result) per path in order: executed `jobs` at a time, or read as saved."""
    if not execute:
        yield from (read_notebook(path) for path in notebooks)
        return
    if jobs == 1:
        yield from (execute_notebook(path, timeout=timeout, threads=threads) for path in notebooks)
        return
    from concurrent.futures import ThreadPoolExecutor  # the kernels do the work; a thread only waits on one

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(execute_notebook, path, timeout=timeout, threads=threads) for path in notebooks]
        yield from (future.result() for future in futures)


def extract_gallery(notebooks: list[Path], out_dir: Path) -> list[Path]:
    """Save the first figure of every cell tagged `gallery` as out_dir/<notebook-number>_<n>.png.

    The README's gallery is made this way, so its figures are exactly what the tested notebooks show.
    """
    import base64

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if c.cell_type == "code" and "gallery" in c.metadata.get("tags", [])]
        for n, cell in enumerate(tagged, start=1):
            png = next(
                (o["data"]["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})), None
            )
            if png is None:
                raise ValueError(
                    f"{path.name}: a cell tagged 'gallery' has no figure output; execute the notebook first."
                )
            target = out_dir / f"{path.stem.split('_')[0]}_{n}.png"
            target.write_bytes(base64.b64decode(png))
            written.append(target)
    return written


def build_site_cli(
    notebooks: list[Path],
    site_dir: Path,
    *,
    execute: bool,
    timeout: int,
    progress: bool,
    threads: int | None = None,
    jobs: int = 1,
) -> int:
    """--site: build the course website, from the saved notebooks or after executing them; the exit status."""
    from .site import build_site

    executed: dict[Path, nbformat.NotebookNode] = {}
    began = time.perf_counter()
    results = (
        run_series(notebooks, timeout=timeout, progress=progress, threads=threads, keep=executed, jobs=jobs)
        if execute
        else []
    )
    if results:
        print(summary(results, wall=time.perf_counter() - began, jobs=jobs))
    ok = [r for r in results if r.ok]
    build_site(
        notebooks, site_dir, executed={r.path: executed[r.path] for r in ok}, seconds={r.path: r.seconds for r in ok}
    )
    print(f"site written to {site_dir / 'index.html'}")
    return 0 if all(r.ok for r in results) else 1


def summary(results: list[RunResult], *, wall: float | None = None, jobs: int = 1) -> str:
    """A plain-text table of run times and failures; with `jobs` > 1 also the wall-clock time of the whole run."""
    width = max(len(r.path.name) for r in results)
    rows = [f"{'notebook'.ljust(width)}  seconds  status"]
    for r in results:
        status = ("ok" if r.executed else "as committed (not run)") if r.ok else "FAILED: " + str(r.error)
        rows.append(f"{r.path.name.ljust(width)}  {_seconds(r)}  {status}")
    failed = sum(not r.ok for r in results)
    total = f"{sum(r.seconds for r in results):7.1f}" if any(r.executed for r in results) else f"{'-':>7}"
    rows.append(f"{'total'.ljust(width)}  {total}  {len(results) - failed} ok, {failed} failed")
    if wall is not None and jobs > 1:
        rows.append(
            f"{'wall clock'.ljust(width)}  {wall:7.1f}  ({jobs} kernels at a time; each notebook's seconds include waiting for a core)"
        )
    return "\n".join(rows)


def _seconds(result: RunResult) -> str:
    """The run time column: the seconds this run took, or a dash for a notebook read as committed."""
    return f"{result.seconds:7.1f}" if result.executed else f"{'-':>7}"


def compare_cli(notebooks: list[Path], *, timeout: int, progress: bool, threads: int | None, jobs: int = 1) -> int:
    """--compare: re-execute (nothing written back) and list checked outputs and claims that differ; the exit status."""
    from .compare import compare_notebooks, report

    committed = {path: nbformat.read(path, as_version=4) for path in notebooks}
    executed: dict[Path, nbformat.NotebookNode] = {}
    began = time.perf_counter()
    results = run_series(notebooks, timeout=timeout, progress=progress, threads=threads, keep=executed, jobs=jobs)
    print(summary(results, wall=time.perf_counter() - began, jobs=jobs))
    differences = [
        d for r in results if r.ok for d in compare_notebooks(r.path.name, committed[r.path], executed[r.path])
    ]
    print(report(differences, sum(r.ok for r in results)))
    return 0 if all(r.ok for r in results) and not differences else 1


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit status (1 when a notebook failed)."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.course.run_notebooks", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="notebooks or folders (default: the repository's notebooks/)"
    )
    parser.add_argument("--html", type=Path, metavar="DIR", help="export each executed notebook as DIR/<name>.html")
    parser.add_argument("--inplace", action="store_true", help="write the executed notebooks back (outputs included)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds allowed per cell (default 900)")
    parser.add_argument(
        "--gallery", type=Path, metavar="DIR", help="only extract the figures of cells tagged 'gallery' into DIR"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--threads",
        type=_positive_int,
        metavar="N",
        help="threads per kernel for torch, OpenMP, MKL and OpenBLAS (sets "
        + ", ".join(THREAD_ENV_VARS)
        + "; default: all cores). Use 1-2 on a shared or busy machine.",
    )
    parser.add_argument(
        "--jobs",
        type=_positive_int,
        default=1,
        metavar="N",
        help="run N notebooks at a time, each in its own kernel (default 1). With --threads 1, N = the number "
        "of cores uses the whole machine; each notebook's time then includes waiting for a core",
    )
    parser.add_argument(
        "--site", type=Path, metavar="DIR", help="build the course website into DIR (home page, one page per notebook)"
    )
    parser.add_argument(
        "--slides", type=Path, metavar="DIR", help="export each notebook as a reveal.js deck DIR/<name>.slides.html"
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="re-execute (writing nothing back) and list every checked output and claim line that differs "
        "from the committed notebooks: the check to run on your own machine before class",
    )
    parser.add_argument(
        "--no-execute",
        action="store_true",
        help="use the notebooks as saved (already executed) for --html/--slides/--site; run nothing",
    )
    args = parser.parse_args(argv)
    try:
        notebooks = find_notebooks(args.notebooks)
    except FileNotFoundError as err:
        parser.error(str(err))
    if args.inplace and args.no_execute:
        parser.error("--inplace writes executed notebooks back; it cannot be combined with --no-execute.")
    if args.compare:
        if args.inplace or args.no_execute:
            parser.error(
                "--compare re-executes and writes nothing back; it cannot be combined with --inplace or --no-execute."
            )
        return compare_cli(
            notebooks, timeout=args.timeout, progress=not args.no_progress, threads=args.threads, jobs=args.jobs
        )
    if args.gallery is not None:
        for path in extract_gallery(notebooks, args.gallery):
            print(path)
        return 0
    if args.site is not None:
        return build_site_cli(
            notebooks,
            args.site,
            execute=not args.no_execute,
            timeout=args.timeout,
            progress=not args.no_progress,
            threads=args.threads,
            jobs=args.jobs,
        )
    if args.no_execute and args.html is None and args.slides is None:
        parser.error(
            "--no-execute needs --html DIR, --slides DIR or --site DIR (there is nothing else to do without running)."
        )
    began = time.perf_counter()
    results = run_series(
        notebooks,
        html_dir=args.html,
        inplace=args.inplace,
        timeout=args.timeout,
        progress=not args.no_progress,
        threads=args.threads,
        slides_dir=args.slides,
        execute=not args.no_execute,
        jobs=args.jobs,
    )
    print(summary(results, wall=time.perf_counter() - began, jobs=args.jobs))
    for kind, folder, suffix in (("HTML pages", args.html, ".html"), ("slide decks", args.slides, ".slides.html")):
        if folder is not None:
            print(f"{kind}: {folder.resolve()}/<name>{suffix} ({len(results)} written)")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
