"""How many CPU threads a notebook's torch uses: a sensible share of this machine, said out loud.

torch's default is one thread per core. On a small or shared machine (a 2-core laptop, a classroom
server, Colab's 2 virtual cores) that competes with everything else and can make a notebook several
times slower than one thread. `configure_threads` picks half the cores (at least 1, at most 4) unless
the user chose: COURSE_THREADS, or OMP_NUM_THREADS as set by `python -m helpers.course.run_notebooks --threads N`.
"""

from __future__ import annotations

import os

MAX_DEFAULT_THREADS = 4  # beyond this, one notebook's small batches gain little and neighbours lose much
THREAD_VARIABLES = ("COURSE_THREADS", "OMP_NUM_THREADS")  # a user's choice, in order of precedence


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells, else the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def chosen_threads(environ: dict[str, str] | None = None) -> tuple[int, str]:
    """The thread count and why: the first valid user setting, else half the available cores (1 to 4)."""
    environ = dict(os.environ) if environ is None else environ
    for name in THREAD_VARIABLES:
        value = environ.get(name, "").strip()
        if value.isdigit() and int(value) >= 1:
            return int(value), f"{name}={value}"
    cores = available_cores()
    return max(1, min(MAX_DEFAULT_THREADS, cores // 2)), f"half of {cores} core(s); set COURSE_THREADS to change"


def configure_threads(environ: dict[str, str] | None = None) -> str:
    """Set torch's intra-op thread count as `chosen_threads` says; returns a line for the set-up cell."""
    import torch

    threads, why = chosen_threads(environ)
    torch.set_num_threads(threads)
    return f"torch threads: {threads} ({why})"


# ----------------------------------------------------------------------------------------------
# CPU-bound work that torch does not parallelise (OpenCV's GrabCut): one process per core

MIN_ITEMS_PER_WORKER = 25  # below this, starting a process costs more than it saves
_JOB: tuple = ()  # (function, items) for the forked workers, which inherit it instead of unpickling data


def default_workers(n_items: int) -> int:
    """Processes for `parallel_map`: one per available core (at most 8), fewer for short lists; 1 without fork."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():  # Windows; macOS forks unsafely, see below
        return 1
    import sys

    if sys.platform == "darwin":  # fork is unsafe with macOS system libraries; spawn would re-import torch
        return 1
    return max(1, min(available_cores(), 8, n_items // MIN_ITEMS_PER_WORKER))


def _run_item(index: int):
    function, items = _JOB
    return function(items[index])


def parallel_map(function, items, *, workers: int | None = None, progress: bool = False, desc: str = "") -> list:
    """`[function(item) for item in items]`, in order, spread over forked processes (`default_workers`).

    The children inherit `function` and `items` (so lambdas and large arrays need no pickling) and must not
    use torch; results must be picklable; an exception in a child is raised here. `workers=1` runs in
    this process.
    """
    from tqdm.auto import tqdm

    global _JOB
    items = list(items)
    workers = default_workers(len(items)) if workers is None else check_workers(workers)
    bar = tqdm(total=len(items), disable=not progress, desc=desc or None, unit="item")
    if workers == 1 or len(items) < 2:
        results = []
        for item in items:
            results.append(function(item))
            bar.update()
        bar.close()
        return results
    import multiprocessing

    _JOB = (function, items)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = []
            for result in pool.imap(_run_item, range(len(items)), chunksize=max(1, len(items) // (8 * workers))):
                results.append(result)
                bar.update()
            return results
    finally:
        _JOB = ()
        bar.close()


def check_workers(workers: object) -> int:
    """`workers` as a positive int, or a clear error."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive whole number (or None for one per core); got {workers!r}.")
    return workers


# ----------------------------------------------------------------------------------------------
# Memory layout: convolutions on the CPU run faster channels-last


def cpu_channels_last(x):
    """`x` (N,C,H,W) on the CPU as a channels-last tensor for the convolutions; the gradient comes back contiguous.

    On this course's CPUs EfficientNet-Lite0's forward+backward runs about 30% faster, bit-identical; on other
    devices, and for other shapes, `x` is returned unchanged.
    """
    if x.device.type != "cpu" or x.dim() != 4:
        return x
    return _channels_last_function().apply(x)


def _channels_last_function():
    """The autograd Function behind `cpu_channels_last`, built on first use (torch is imported lazily here)."""
    global _CHANNELS_LAST
    if _CHANNELS_LAST is None:
        import torch

        class ChannelsLast(torch.autograd.Function):
            """Identity to a channels-last layout; its backward returns the gradient in the ordinary layout."""

            @staticmethod
            def forward(ctx, x):  # noqa: D102
                return x.contiguous(memory_format=torch.channels_last)

            @staticmethod
            def backward(ctx, grad):  # noqa: D102
                return grad.contiguous()

        _CHANNELS_LAST = ChannelsLast
    return _CHANNELS_LAST


_CHANNELS_LAST = None
