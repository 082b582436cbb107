"""Code style: ruff's linter and formatter (configured in pyproject.toml) find nothing to change."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> list[str]:
    """The ruff next to this Python (the environment's), else the one on PATH."""
    beside = Path(sys.executable).with_name("ruff")
    found = str(beside) if beside.exists() else shutil.which("ruff")
    if found is None:
        pytest.fail("ruff is not installed: `pip install -e '.[test]'` brings it")
    return [found]


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"])
def test_ruff_finds_nothing(command: list[str]) -> None:
    run = subprocess.run(_ruff() + command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, (
        f"ruff {' '.join(command)}:\n{run.stdout}{run.stderr}\nfix: ruff format . && ruff check --fix ."
    )
