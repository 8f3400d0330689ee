"""The pre-commit hooks (.pre-commit-hooks.yaml) in someone else's repository.

The hooks are given every ``*.yaml`` (``govscore-validate``) or ``*.test.yaml`` (``govscore-test``) and
must check govscore's files only, recognised by content (govscore/scheme/detect.py): never the
repository's .pre-commit-config.yaml, its GitHub workflows, its facts files, another tool's
``*.test.yaml`` or a binary ``.yaml``; a govscore file that is broken must still fail.

The last tests run the real ``pre-commit run --all-files`` in a temporary git repository whose
.pre-commit-config.yaml uses a snapshot of this checkout (its working tree as it is, committed into a
temporary git repository) as a hook repository: pre-commit reads .pre-commit-hooks.yaml from it and
installs it with pip into a hook environment of its own (needs the package index, as CI has).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest

from govscore.cli import run
from govscore.scheme import detect

ROOT = Path(__file__).resolve().parents[1]
SCHEME = ROOT / "schemes" / "s3-chengdu.yaml"
SCHEME_TEST = ROOT / "schemes" / "tests" / "s3-chengdu.test.yaml"
FACTS = ROOT / "examples" / "s3-chengdu.facts.yaml"

WORKFLOW = """\
name: CI
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          govscore: "1"
          echo a workflow is not a scheme
"""
FOREIGN_TEST = "name: health\nrequest: {method: GET, path: /health}\ncases:\n  - status: 200\n"
BROKEN_SCHEME = 'govscore: "1"\nid: broken\ntitle: t\nbogus_key: 1\n'


def _run(*argv):
    out, err = StringIO(), StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


# --- recognising govscore's files by content -------------------------------------------------------

@pytest.mark.parametrize("head", [
    b'govscore: "1"\n',
    b'# yaml-language-server: $schema=govscore.schema.json\ngovscore: "1"\nid: x\n',
    b'"govscore": "1"\n',
    b"'govscore': 1\r\n",
    b"--- govscore: 1\n",
    b"id: x\ngovscore:\n",
])
def test_a_top_level_govscore_key_makes_a_scheme(head):
    assert detect.looks_like_scheme(head)


@pytest.mark.parametrize("head", [
    b"repos:\n  - repo: local\n",                       # .pre-commit-config.yaml
    WORKFLOW.encode(),                                    # govscore: inside a block scalar
    b"# govscore: 1\n",                                   # a comment
    b"  govscore: 1\n",                                   # not top level
    b"govscores: 1\n",
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00binary",           # binary, not UTF-8
    b"",
])
def test_other_yaml_is_not_a_scheme(head):
    assert not detect.looks_like_scheme(head)


@pytest.mark.parametrize(("head", "expected"), [
    (b"scheme: ../s3-chengdu.yaml\ncases:\n  - name: x\n", True),
    (b'# comment\nscheme: "my scheme.YML"  # relative\r\ncases: []\r\n', True),
    (b"cases:\n  - name: x\nscheme: 's.yaml'\n", True),
    (FOREIGN_TEST.encode(), False),                      # cases but no scheme
    (b"scheme: https\ncases: [1]\n", False),             # scheme is not a .yaml file
    (b"scheme: s.yaml\n", True),                         # no cases: still govscore's, and GS602
    (b"  scheme: s.yaml\ncases: []\n", False),           # scheme not top level
    (b"scheme:\n  s.yaml\ncases: []\n", False),         # the path not on the key's line
    (b"\x00\x01\x02\xff", False),
])
def test_scheme_tests_are_recognised_by_a_scheme_file(head, expected):
    assert detect.looks_like_scheme_test(head) is expected


def test_only_a_bounded_prefix_is_read(tmp_path):
    late = tmp_path / "late.yaml"
    late.write_bytes(b"# x\n" * (detect.PREFIX_BYTES // 4) + b'govscore: "1"\n')
    assert not detect.is_scheme(late)
    early = tmp_path / "early.yaml"
    early.write_bytes(b'govscore: "1"\n' + b"# x\n" * (detect.PREFIX_BYTES // 2))
    assert detect.is_scheme(early)
    assert len(detect.read_prefix(early) or b"") == detect.PREFIX_BYTES


def test_unreadable_paths_are_not_schemes(tmp_path):
    assert not detect.is_scheme(tmp_path / "missing.yaml")
    assert not detect.is_scheme(tmp_path)                 # a folder
    fifo = tmp_path / "pipe.yaml"
    if hasattr(os, "mkfifo"):
        os.mkfifo(fifo)
        assert not detect.is_scheme(fifo)                 # never opened: it would block


def test_a_utf16_scheme_is_recognised_and_then_fails_validation(tmp_path):
    scheme = tmp_path / "utf16.yaml"
    scheme.write_bytes(SCHEME.read_text(encoding="utf-8").encode("utf-16"))  # with a BOM
    assert detect.is_scheme(scheme)
    code, out, _ = _run("validate", "--only-schemes", str(scheme))
    assert code == 1
    assert "GS102" in out


# --- the commands the hooks run ----------------------------------------------------------------------

def _foreign_files(tmp_path: Path) -> list[Path]:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    files = {
        ".pre-commit-config.yaml": b"repos:\n  - repo: local\n    hooks: []\n",
        ".github/workflows/ci.yml": WORKFLOW.encode(),
        "facts.yaml": FACTS.read_bytes(),
        "blob.yaml": b"\xff\xfe\x00\x00\x80\x81 not text at all \xc3\x28",
        "gbk.yaml": "名称: 考核\n".encode("gb18030"),
        "health.test.yaml": FOREIGN_TEST.encode(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return [tmp_path / name for name in files]


def test_validate_only_schemes_skips_other_yaml_and_says_how_many(tmp_path):
    foreign = _foreign_files(tmp_path)
    code, out, err = _run("validate", str(SCHEME), *map(str, foreign))
    assert code == 1                                       # without the option: GS201 and the like
    code, out, err = _run("validate", "--only-schemes", str(SCHEME), *map(str, foreign))
    assert code == 0, out + err
    assert f"{len(foreign)} file(s) skipped" in err
    assert "1 file(s) checked, 0 invalid" in err
    assert str(tmp_path) not in out


def test_validate_only_schemes_still_fails_a_broken_scheme(tmp_path):
    foreign = _foreign_files(tmp_path)
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN_SCHEME, encoding="utf-8")
    code, out, err = _run("validate", "--only-schemes", str(broken), *map(str, foreign))
    assert code == 1
    assert f"{broken}:4:1: GS201" in out
    assert "1 invalid" in err
    assert all(line.startswith(f"{broken}:") for line in out.splitlines())


def test_validate_only_schemes_with_nothing_to_check_passes(tmp_path):
    foreign = _foreign_files(tmp_path)
    code, _, err = _run("validate", "--only-schemes", *map(str, foreign))
    assert code == 0
    assert "0 file(s) checked" in err


def test_test_only_scheme_tests_skips_foreign_test_files(tmp_path):
    foreign = tmp_path / "health.test.yaml"
    foreign.write_text(FOREIGN_TEST, encoding="utf-8")
    code, out, _ = _run("test", str(foreign))
    assert code == 1                                       # without the option: GS602
    assert "GS602" in out
    code, out, err = _run("test", "--only-scheme-tests", str(foreign))
    assert code == 0, out + err
    assert "1 file(s) skipped" in err
    code, out, err = _run("test", "--only-scheme-tests", str(foreign), str(SCHEME_TEST))
    assert code == 0, out + err
    assert ", 0 failed, 0 file error(s)" in out
    assert "1 file(s) skipped" in err


def test_test_only_scheme_tests_still_fails_a_broken_scheme_test(tmp_path):
    broken = tmp_path / "broken.test.yaml"
    broken.write_text("scheme: missing.yaml\ncases: []\n", encoding="utf-8")
    code, out, _ = _run("test", "--only-scheme-tests", str(broken))
    assert code != 0
    assert "missing.yaml" in out


def test_test_only_scheme_tests_refuses_a_missing_path(tmp_path):
    code, _, err = _run("test", "--only-scheme-tests", str(tmp_path / "nope.test.yaml"))
    assert code == 2
    assert "no such file or folder" in err


# --- the real pre-commit ---------------------------------------------------------------------------

def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(GIT_AUTHOR_NAME="govscore tests", GIT_AUTHOR_EMAIL="tests@example.invalid",
               GIT_COMMITTER_NAME="govscore tests", GIT_COMMITTER_EMAIL="tests@example.invalid",
               GIT_CONFIG_NOSYSTEM="1")
    return env


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=_git_env(), capture_output=True, text=True,
                          check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """This checkout's working tree (what pip needs to install it, and .pre-commit-hooks.yaml) as
    a git repository of its own, committed: (path, commit)."""
    pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install -e '.[dev]')")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in (".pre-commit-hooks.yaml", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, repo / name)
    shutil.copytree(ROOT / "src", repo / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
    # the shipped schemes are package data (pyproject maps govscore.schemes to schemes/)
    (repo / "schemes").mkdir()
    for path in [*ROOT.glob("schemes/*.yaml"), ROOT / "schemes" / "govscore.schema.json"]:
        shutil.copy2(path, repo / "schemes" / path.name)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "snapshot of the govscore checkout")
    return repo, _git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    """One cache for the module: the hook environment is installed once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def _project(path: Path, hook_repo: tuple[Path, str]) -> Path:
    """Someone else's repository: a workflow, a facts file, another tool's *.test.yaml, a binary
    .yaml, a valid scheme and its scheme test."""
    repo_path, rev = hook_repo
    (path / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo_path}\n    rev: {rev}\n    hooks:\n"
        "      - id: govscore-validate\n      - id: govscore-test\n", encoding="utf-8")
    for folder in (".github/workflows", "schemes/tests", "examples", "tests", "data"):
        (path / folder).mkdir(parents=True)
    (path / ".github/workflows/ci.yml").write_text(WORKFLOW, encoding="utf-8")
    shutil.copy2(FACTS, path / "examples" / FACTS.name)
    (path / "tests" / "health.test.yaml").write_text(FOREIGN_TEST, encoding="utf-8")
    (path / "data" / "blob.yaml").write_bytes(b"\xff\xfe\x00\x00\x80\x81\xc3\x28 binary")
    shutil.copy2(SCHEME, path / "schemes" / SCHEME.name)
    shutil.copy2(SCHEME_TEST, path / "schemes" / "tests" / SCHEME_TEST.name)  # scheme: ../s3-chengdu.yaml
    _git(path, "init", "-q")
    _git(path, "add", "-A")
    return path


def _pre_commit(project: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = _git_env()
    env["PRE_COMMIT_HOME"] = str(home)
    env["PRE_COMMIT_COLOR"] = "never"
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
                          cwd=project, env=env, capture_output=True, text=True, check=False)


def test_pre_commit_checks_only_govscore_files(tmp_path, hook_repo, pre_commit_home):
    project = _project(tmp_path, hook_repo)
    done = _pre_commit(project, pre_commit_home)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "govscore validate" in output
    assert "govscore test" in output
    assert output.count("Passed") == 2, output

    # a broken scheme fails the validate hook, which names it and nothing else
    (project / "schemes" / "broken.yaml").write_text(BROKEN_SCHEME, encoding="utf-8")
    _git(project, "add", "-A")
    done = _pre_commit(project, pre_commit_home)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "schemes/broken.yaml:4:1: GS201" in output
    for foreign in (".pre-commit-config.yaml", "ci.yml", "s3-chengdu.facts.yaml", "health.test.yaml",
                    "blob.yaml"):
        assert foreign not in output
    problems = [line for line in output.splitlines() if re.match(r"\S+:\d+:\d+: GS\d", line)]
    assert {line.split(":")[0] for line in problems} == {"schemes/broken.yaml", "schemes/s3-chengdu.yaml"}
    assert all("warning" in line for line in problems if line.startswith("schemes/s3-chengdu.yaml:"))
    assert "1 invalid" in output   # pre-commit may split the files over processes: each says its own


def test_pre_commit_runs_scheme_tests_and_fails_a_wrong_expectation(tmp_path, hook_repo,
                                                                   pre_commit_home):
    project = _project(tmp_path, hook_repo)
    wrong = tmp_path / "schemes" / "tests" / "wrong.test.yaml"
    wrong.write_text("scheme: ../s3-chengdu.yaml\ncases:\n  - name: wrong total\n    units:\n"
                     "      - id: 锦江区\n        facts: {base: true}\n"
                     "    expect:\n      锦江区: {total: 1}\n", encoding="utf-8")
    _git(project, "add", "-A")
    done = _pre_commit(project, pre_commit_home)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "FAIL schemes/tests/wrong.test.yaml" in output
    assert "health.test.yaml" not in output
