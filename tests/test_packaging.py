"""The distribution as other people get it: the wheel and sdist build, pass ``twine check``, and
the wheel, installed into a fresh virtual environment, works from a folder outside the repository.

Slow but bounded (about half a minute): one build and one install for the whole module. The build
runs in build's isolated environment, so it fetches setuptools and wheel from the package index
pip is configured with (PyPI in CI); the fresh environment gets the wheel with ``--no-deps`` and
then the runtime dependencies listed in pyproject.toml from that same index. It does not see this
checkout's environment (no ``--system-site-packages``), so an import that only works from the
source tree fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SHIPPED = sorted(p.name for p in (ROOT / "schemes").glob("*.yaml"))


def _run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", check=False,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8",
                               "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel and sdist built from this checkout, in a folder of their own."""
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", out, ROOT, cwd=out)
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel and the runtime dependencies only."""
    env = tmp_path_factory.mktemp("venv") / "env"
    _run(sys.executable, "-m", "venv", env, cwd=env.parent)
    python = _bin(env, "python")
    _run(python, "-m", "pip", "install", "-q", "--no-deps", _one(dist, "*.whl"), cwd=env.parent)
    _run(python, "-m", "pip", "install", "-q", *PYPROJECT["project"]["dependencies"],
         cwd=env.parent)
    return env


def _bin(env: Path, name: str) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin") / name


def _one(folder: Path, pattern: str) -> Path:
    (found,) = folder.glob(pattern)
    return found


def test_twine_check(dist: Path) -> None:
    """The metadata and README render for PyPI."""
    done = _run(sys.executable, "-m", "twine", "check", "--strict", _one(dist, "*.whl"),
                _one(dist, "*.tar.gz"), cwd=dist)
    assert done.stdout.count("PASSED") == 2, done.stdout


def test_wheel_holds_every_package_and_the_shipped_schemes(dist: Path) -> None:
    """pyproject.toml lists the packages by hand (to add govscore.schemes from schemes/): every
    package under src/ must be listed and in the wheel, with the schemes as package data."""
    names = set(zipfile.ZipFile(_one(dist, "*.whl")).namelist())
    packages = {str(p.parent.relative_to(ROOT / "src")).replace(os.sep, ".")
                for p in (ROOT / "src").rglob("__init__.py")}
    assert packages <= set(PYPROJECT["tool"]["setuptools"]["packages"])
    for package in packages:
        assert f"{package.replace('.', '/')}/__init__.py" in names, package
    assert "govscore/py.typed" in names
    assert {f"govscore/schemes/{name}" for name in SHIPPED} <= names
    assert "govscore/schemes/govscore.schema.json" in names


def test_sdist_builds_the_same_wheel(dist: Path) -> None:
    """The sdist holds the sources and the schemes the wheel is built from."""
    with tarfile.open(_one(dist, "*.tar.gz")) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {f"schemes/{name}" for name in SHIPPED} <= names
    assert {"pyproject.toml", "README.md", "src/govscore/__init__.py"} <= names


def test_installed_cli_prints_the_schema(venv: Path, tmp_path: Path) -> None:
    """`govscore schema` from the installed entry point, outside the repository."""
    done = _run(_bin(venv, "govscore"), "schema", cwd=tmp_path)
    schema = json.loads(done.stdout)
    assert schema["type"] == "object"


def test_installed_package_compiles_a_shipped_scheme(venv: Path, tmp_path: Path) -> None:
    """The installed package (not this checkout) compiles the shipped S3 scheme it carries, found
    with importlib.resources, and scores the repository's example facts."""
    program = (
        "import importlib.resources, json, sys\n"
        "import govscore\n"
        "from govscore.inputs.readers import read_facts\n"
        "scheme = importlib.resources.files('govscore') / 'schemes' / 's3-chengdu.yaml'\n"
        "plan = govscore.compile(str(scheme))\n"
        "a = govscore.evaluate_all(plan, read_facts(sys.argv[1]))\n"
        "print(json.dumps({'file': govscore.__file__, 'scheme': plan.scheme.id,\n"
        "                  'scored': len(a.results), 'jinjiang': str(a.results['锦江区'].total)}))\n"
    )
    done = _run(_bin(venv, "python"), "-c", program, ROOT / "examples/s3-chengdu.facts.yaml",
                cwd=tmp_path)
    out = json.loads(done.stdout)
    assert Path(out["file"]).is_relative_to(venv)
    assert not Path(out["file"]).is_relative_to(ROOT / "src")
    assert out["scheme"] == "s3-chengdu"
    assert out["scored"] == 20
    assert out["jinjiang"] == "88.00"
