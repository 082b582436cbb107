"""The README's commands, CI and the two environment files stay in step."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import helpers

ROOT = Path(__file__).resolve().parent.parent
# conda-forge names of the PyPI packages we use (and whose conda build pip sees as that PyPI package)
CONDA_TO_PYPI = {"pytorch": "torch"}
# Top-level modules that several packages provide, by conda-forge or PyPI name: installing two of
# them (e.g. conda's py-opencv and pip's opencv-python-headless) leaves two copies of the module.
SHARED_MODULES: dict[str, set[str]] = {
    "cv2": {
        "py-opencv",
        "opencv",
        "libopencv",
        "opencv-python",
        "opencv-python-headless",
        "opencv-contrib-python",
        "opencv-contrib-python-headless",
    },
    "torch": {"pytorch", "pytorch-cpu", "pytorch-gpu", "torch"},
    "PIL": {"pillow", "pil"},
}


# google.colab: the set-up cell imports it (under try) only where Colab itself provides it; not a dependency.
COLAB_ONLY = {"google"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _pyproject_requirements(extras: tuple[str, ...] | None = None) -> set[str]:
    """Names in `dependencies` plus the given extras (None: every extra)."""
    project = _project()
    optional = project["optional-dependencies"]
    chosen = optional if extras is None else {e: optional[e] for e in extras}
    return {_name(r) for r in project["dependencies"] + [r for reqs in chosen.values() for r in reqs]}


def _environment() -> tuple[list[str], list[str]]:
    """environment.yml's conda package names and pip lines."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [_name(d) for d in env["dependencies"] if isinstance(d, str)]
    pip = [r for d in env["dependencies"] if isinstance(d, dict) for r in d["pip"]]
    return conda, pip


def _environment_requirements() -> set[str]:
    conda, pip = _environment()
    names = {CONDA_TO_PYPI.get(c, c) for c in conda if c not in {"python", "pip"}}
    return names | {_name(r) for r in pip if not r.startswith("-")}


def test_environment_yml_lists_the_same_dependencies_as_pyproject() -> None:
    assert _environment_requirements() == _pyproject_requirements()


def _pip_installs(conda: list[str], pip: list[str]) -> set[str]:
    """What pip installs: its own lines plus the requirements of `-e .[extras]` that no conda package satisfies."""
    installs = {_name(r) for r in pip if not r.startswith("-")}
    for line in pip:
        extras = re.fullmatch(r"-e \.(?:\[([a-z,]+)\])?", line.strip())
        if extras:
            installs |= _pyproject_requirements(tuple(extras.group(1).split(",")) if extras.group(1) else ())
    satisfied = {CONDA_TO_PYPI.get(c, c) for c in conda}
    return installs - satisfied


def duplicated_modules(conda: list[str], pip: list[str]) -> dict[str, list[str]]:
    """Modules that a conda package and a pip-installed package would both provide: {module: [providers]}."""
    installed = [f"conda {c}" for c in conda] + [f"pip {p}" for p in sorted(_pip_installs(conda, pip))]
    found = {module: [i for i in installed if i.split()[1] in names] for module, names in SHARED_MODULES.items()}
    return {module: providers for module, providers in found.items() if len(providers) > 1}


def test_environment_yml_installs_each_module_once() -> None:
    conda, pip = _environment()
    assert duplicated_modules(conda, pip) == {}


def test_duplicate_module_check_catches_conda_opencv_beside_pip_opencv() -> None:
    """The pair this environment once had: py-opencv from conda, opencv-python-headless via `-e .[test]`."""
    assert duplicated_modules(["python", "py-opencv"], ["-e .[test]"]) == {
        "cv2": ["conda py-opencv", "pip opencv-python-headless"]
    }
    assert duplicated_modules(["pytorch"], ["-e .[test]"]) == {}  # conda's pytorch satisfies pip's torch


def _imported_modules(source: str) -> set[str]:
    """Top-level names of every module a piece of Python imports (IPython magics and shell lines skipped)."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _third_party_distributions(sources: list[str]) -> dict[str, str]:
    """{distribution (normalised name): module} for the non-stdlib, non-course modules the sources import."""
    providers = importlib.metadata.packages_distributions()
    benchmark_scripts = {path.stem for path in (ROOT / "benchmarks").glob("*.py")}  # tests import them from benchmarks/
    local = {"helpers", "tests", "conftest", "browser_support"} | COLAB_ONLY | benchmark_scripts
    modules = set().union(*map(_imported_modules, sources)) - set(sys.stdlib_module_names) - local
    found = {}
    for module in sorted(modules):
        assert module in providers, f"{module!r} is imported but no installed distribution provides it"
        for dist in providers[module]:
            found[dist.lower().replace("_", "-")] = module
    return found


def _notebook_sources() -> list[str]:
    cells = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells += ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    return cells


def _undeclared(sources: list[str], extras: tuple[str, ...]) -> dict[str, str]:
    declared = _pyproject_requirements(extras)
    return {d: m for d, m in _third_party_distributions(sources).items() if d not in declared}


@pytest.mark.slow
def test_package_and_notebooks_import_only_the_dependencies() -> None:
    """What Colab installs (no extras) is enough for the package and every notebook; the runner needs [lab]."""
    runner = (
        "run_notebooks.py",
        "site.py",
        "lecture.py",
    )  # the headless runner, the website it builds, the plans it reads
    package = [p.read_text() for p in sorted((ROOT / "helpers").rglob("*.py")) if p.name not in runner]
    assert _undeclared(package + _notebook_sources(), ()) == {}
    assert _undeclared([(ROOT / "helpers" / "course" / name).read_text() for name in runner], ("lab",)) == {}
    assert _undeclared(["import nbformat"], ()) == {"nbformat": "nbformat"}  # the check itself can fail


@pytest.mark.slow
def test_test_extra_holds_what_the_tests_import() -> None:
    tests = [p.read_text() for p in sorted((ROOT / "tests").rglob("*.py"))]
    assert _undeclared(tests, ("test",)) == {}
    assert {"nbval", "ipykernel", "jupyterlab"} <= _pyproject_requirements(("test",))


def test_jupyterlab_is_an_extra_not_a_dependency() -> None:
    assert "jupyterlab" not in _pyproject_requirements(())
    assert "jupyterlab" in _pyproject_requirements(("lab",))


def test_toy_regeneration_command_is_the_one_the_readme_and_errors_give() -> None:
    from helpers import toyworld

    assert f"`{toyworld.REGENERATE_CMD}`" in (ROOT / "README.md").read_text()
    with pytest.raises(Exception, match=re.escape(toyworld.REGENERATE_CMD)):
        helpers.load_model("toy", weights=ROOT / "no_such_weights.pt")


def _readme_bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_ci_runs_exactly_the_readme_commands() -> None:
    setup, test = (block.strip() for block in _readme_bash_blocks()[:2])
    ci = (ROOT / ".ci" / "run").read_text()
    setup_without_jupyter = setup.split(" && .venv/bin/jupyter")[0]
    assert setup_without_jupyter in ci
    assert test in ci
    assert "--nbval-lax" in test and "notebooks" in test


@pytest.mark.slow
def test_readme_python_example_runs() -> None:
    block = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)[0]
    namespace: dict = {}
    exec(
        compile(block.replace("helpers.load_model()", "helpers.load_model(device='cpu')"), "README.md", "exec"),
        namespace,
    )
    assert namespace["clf"].predict(namespace["image"], k=1)[0][0] == "espresso"
    assert tuple(namespace["saliency"].shape) == (1, 224, 224)
    x0, y0, x1, y1 = namespace["box"]
    assert 0 <= x0 < x1 <= 600 and 0 <= y0 < y1 <= 400


def test_readme_links_to_files_that_exist() -> None:
    links = re.findall(r"\]\(((?!https?://)[^)#]+)\)", (ROOT / "README.md").read_text())
    assert len(links) >= 10
    missing = [link for link in links if not (ROOT / link).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_every_subpackage_of_helpers_ships_in_the_wheel() -> None:
    """pyproject.toml lists packages by hand: a new subpackage (e.g. helpers.evaluation) must be listed too."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "helpers").rglob("__init__.py")}
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages"


def test_package_data_patterns_ship_every_data_file() -> None:
    """Every file under data/ (photos, toy model, benchmark results and photos) matches a package-data pattern."""
    import fnmatch

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "helpers.data"
    ]
    files = [p.relative_to(ROOT / "data").as_posix() for p in (ROOT / "data").rglob("*") if p.is_file()]
    unshipped = [
        f for f in files if not any(fnmatch.fnmatch(f, pat) and f.count("/") == pat.count("/") for pat in patterns)
    ]
    assert not unshipped, f"add patterns for {unshipped} to [tool.setuptools.package-data]"
    assert "benchmarks/photo_benchmark.json" in files and "benchmarks/photos/instances.json" in files


@pytest.mark.slow
def test_wheel_ships_the_benchmark_results_and_photos(tmp_path) -> None:
    import subprocess
    import sys
    import zipfile

    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    names = set(zipfile.ZipFile(next(tmp_path.glob("saliency_course-*.whl"))).namelist())
    for f in (
        "helpers/data/benchmarks/photo_benchmark.json",
        "helpers/data/benchmarks/photos/instances.json",
        "helpers/data/benchmarks/photos/LICENSES.md",
        "helpers/data/benchmarks/photos/000000000529.jpg",
    ):
        assert f in names, f


def test_version_is_written_once_and_the_changelog_describes_it() -> None:
    """helpers.__version__ is the package's version (pyproject reads it), CHANGELOG.md's newest release, and the
    wheel the README tells lecturers to upload."""
    import helpers

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "helpers.__version__"}
    released = re.findall(
        r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", (ROOT / "CHANGELOG.md").read_text(), flags=re.M
    )
    assert released and released[0] == helpers.__version__, (
        f"CHANGELOG's newest release {released[:1]} != {helpers.__version__}"
    )
    wheels = set(re.findall(r"saliency_course-([\d.]+)-py3-none-any\.whl", (ROOT / "README.md").read_text()))
    assert wheels == {helpers.__version__}, wheels
