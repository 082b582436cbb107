"""The README's commands, CI and the two environment files stay in step."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# conda-forge names of the PyPI packages we use
CONDA_TO_PYPI = {"pytorch": "torch", "py-opencv": "opencv-python-headless"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}


def _environment_requirements() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names: set[str] = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            names |= {_name(r) for r in dep["pip"] if not r.startswith("-")}
        elif _name(dep) not in {"python", "pip"}:
            names.add(CONDA_TO_PYPI.get(_name(dep), _name(dep)))
    return names


def test_environment_yml_lists_the_same_dependencies_as_pyproject() -> None:
    assert _environment_requirements() == _pyproject_requirements()


def _readme_bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_ci_runs_exactly_the_readme_commands() -> None:
    setup, test = (block.strip() for block in _readme_bash_blocks()[:2])
    ci = (ROOT / ".ci" / "run").read_text()
    setup_without_jupyter = setup.split(" && .venv/bin/jupyter")[0]
    assert setup_without_jupyter in ci
    assert test in ci
    assert "--nbval-lax" in test and "notebooks" in test


def test_readme_python_example_runs() -> None:
    block = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)[0]
    namespace: dict = {}
    exec(compile(block.replace("helpers.load_model()", "helpers.load_model(device='cpu')"), "README.md", "exec"), namespace)
    assert namespace["clf"].predict(namespace["image"], k=1)[0][0] == "espresso"
    assert tuple(namespace["saliency"].shape) == (1, 224, 224)
    x0, y0, x1, y1 = namespace["box"]
    assert 0 <= x0 < x1 <= 600 and 0 <= y0 < y1 <= 400


def test_readme_links_to_files_that_exist() -> None:
    links = re.findall(r"\]\(((?!https?://)[^)#]+)\)", (ROOT / "README.md").read_text())
    assert len(links) >= 10
    missing = [link for link in links if not (ROOT / link).exists()]
    assert not missing, f"README links to missing files: {missing}"
