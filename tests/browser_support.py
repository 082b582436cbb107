"""Support for the browser tests: find Chromium, start a throw-away JupyterLab, watch a page's console.

Playwright drives the system's Chromium (Debian's `chromium` package) instead of downloading its own
build, which fails offline. Nothing here touches the user's Jupyter settings: JupyterLab runs on a free
local port, with a random token and temporary settings, workspace, runtime and notebook folders.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "out" / "browser"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# JupyterLab settings for a test session: never write the notebook back, keep every cell in the page
# (no virtual scrolling, so cells can be found by position), no news or update checks.
LAB_SETTINGS: dict[str, dict] = {
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}
SKIP_HELP = (
    "install Debian's chromium (`apt-get install chromium`) or set CHROMIUM_PATH, and `pip install playwright`; "
    "REQUIRE_BROWSER=1 (set by .ci/run) turns this skip into a failure"
)


def find_chromium() -> str | None:
    """Path of a Chromium executable: $CHROMIUM_PATH, else a system install; None when there is none."""
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    found = next((c for c in CHROMIUM_CANDIDATES if Path(c).is_file()), None)
    return found or shutil.which("chromium")


def browser_missing_reason() -> str | None:
    """Why the browser tests cannot run here (no Playwright or no Chromium), or None when they can."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return f"Playwright is not installed: {SKIP_HELP}"
    if find_chromium() is None:
        return f"no Chromium found: {SKIP_HELP}"
    return None


def browser_required() -> bool:
    """True in CI (REQUIRE_BROWSER=1): a missing browser is then a failure, not a skip."""
    return os.environ.get("REQUIRE_BROWSER", "") not in ("", "0")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class JupyterLab:
    """A running test server: open `url(path)`; `notebooks` is its (temporary) root folder."""

    port: int
    token: str
    notebooks: Path
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/lab/tree/{path}?token={self.token}"


def _write_lab_settings(settings_dir: Path) -> None:
    for plugin, values in LAB_SETTINGS.items():
        package, name = plugin.split(":")
        target = settings_dir / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))


@contextmanager
def jupyter_lab(notebooks: Path, workdir: Path, *, startup_timeout: float = 90.0) -> Iterator[JupyterLab]:
    """Run JupyterLab on copies of `notebooks` (the originals are never saved over); stop it on exit, error or not."""
    root = workdir / "notebooks"
    shutil.copytree(notebooks, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = workdir / "settings"
    _write_lab_settings(settings)
    port, token, log = free_port(), os.urandom(16).hex(), workdir / "jupyterlab.log"
    env = dict(
        os.environ,
        JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
        JUPYTER_CONFIG_DIR=str(workdir / "config"),
        JUPYTER_DATA_DIR=str(workdir / "data"),
        IPYTHONDIR=str(workdir / "ipython"),
    )
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
        "--LabApp.extension_manager=readonly",
    ]
    with open(log, "w") as log_file:
        process = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up(process, port, token, log, startup_timeout)
        yield JupyterLab(port, token, root, log)
    finally:
        _stop(process)


def _wait_until_up(process: subprocess.Popen, port: int, token: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with status {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and its kernels (its whole process group): politely first, then for sure."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def is_local(url: str) -> bool:
    """True for pages and resources served from this machine (file:, data:, blob:, 127.0.0.1, localhost)."""
    parsed = urlparse(url)
    return parsed.scheme in ("file", "data", "blob", "about") or parsed.hostname in ("127.0.0.1", "localhost")


@dataclass
class PageWatch:
    """What a page reported: console errors, uncaught exceptions, and resources it could not load.

    Resources on other hosts (CDNs, the Colab badge) cannot load offline; they are listed in `external`
    and their "Failed to load resource" messages are kept apart from the page's own errors.
    """

    errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("request", lambda request: None if is_local(request.url) else self.external.append(request.url))

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        source = (message.location or {}).get("url", "")
        if "Failed to load resource" in message.text and source and not is_local(source):
            return  # an external resource, offline: recorded in `external`
        self.errors.append(f"{message.text} [{source}]")


def changed_fraction(png_a: bytes, png_b: bytes) -> float:
    """Share of pixels that differ visibly between two screenshots (1.0 when their sizes differ)."""
    import numpy as np
    from PIL import Image

    a = np.asarray(Image.open(io.BytesIO(png_a)).convert("RGB"), dtype=np.int16)
    b = np.asarray(Image.open(io.BytesIO(png_b)).convert("RGB"), dtype=np.int16)
    if a.shape != b.shape:
        return 1.0
    return float((np.abs(a - b).max(axis=2) > 16).mean())


def save_screenshot(name: str, png: bytes) -> Path:
    """Keep a screenshot under out/browser/ (CI uploads that folder for people to look at)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / name
    target.write_bytes(png)
    return target


# Hosts the exported pages may ask for (MathJax and require.js from cdnjs, the widget renderer from unpkg,
# the Colab badge): offline they fail quietly, the page still shows its text and every figure.
KNOWN_EXTERNAL_HOSTS = frozenset({"cdnjs.cloudflare.com", "unpkg.com", "colab.research.google.com"})


def offline_context(browser, **options):
    """A browser context that cannot reach other hosts (requests to them are aborted at once, as offline)."""
    context = browser.new_context(**options)
    context.route(lambda url: not is_local(url), lambda route: route.abort("internetdisconnected"))
    return context


def open_watched(context, url: str):
    """Open `url` in a new tab of `context`, wait for it to load; return (page, PageWatch)."""
    page = context.new_page()
    watch = PageWatch()
    watch.attach(page)
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)  # let inline scripts that run after `load` report their errors
    return page, watch


def image_report(page, selector: str = "img") -> list[dict]:
    """Every <img> matched by `selector`: its src (first 80 characters), whether it is local and decoded."""
    return page.eval_on_selector_all(
        selector, "imgs => imgs.map(i => ({src: i.src.slice(0, 80), decoded: i.complete && i.naturalWidth > 0}))"
    )


def figure_count(nb) -> int:
    """Figures in an executed notebook: outputs holding a PNG, JPEG or SVG image."""
    kinds = ("image/png", "image/jpeg", "image/svg+xml")
    return sum(
        any(k in out.get("data", {}) for k in kinds)
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )
