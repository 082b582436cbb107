"""Where the course data lives: `data/` beside the package in a checkout, `helpers/data/` in a wheel."""

from __future__ import annotations

from pathlib import Path


def find_data_dir() -> Path:
    """The folder holding `images/` and `toy/`, for source checkouts and installed wheels alike."""
    here = Path(__file__).resolve().parent
    candidates = (here.parent / "data", here / "data")
    for candidate in candidates:
        if (candidate / "images").is_dir():
            return candidate
    raise FileNotFoundError(f"Course data not found; looked in {[str(c) for c in candidates]}.")


DATA_DIR = find_data_dir()
# The checkout's root (notebooks/, solutions/, README.md); the course tools that read those run from a checkout.
REPO_ROOT = Path(__file__).resolve().parent.parent
