"""How many CPU threads a notebook's torch uses: a sensible share of this machine, said out loud.

torch's default is one thread per core. On a small or shared machine (a 2-core laptop, a classroom
server, Colab's 2 virtual cores) that competes with everything else and can make a notebook several
times slower than one thread. `configure_threads` picks half the cores (at least 1, at most 4) unless
the user chose: COURSE_THREADS, or OMP_NUM_THREADS as set by `python -m helpers.run_notebooks --threads N`.
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
