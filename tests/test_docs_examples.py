"""Every YAML and Python example in README.md and docs/ is checked, so the documentation cannot
show a scheme that fails or a program that does not run.

How a fenced ```yaml block is treated:

- its first line that is not blank and not a ``#`` comment is ``govscore: "1"`` (or ``"2"``): it
  is a **scheme**, and must load with no errors (warnings are allowed);
- it has a top-level ``units:`` key: a **facts** file; ``scheme:`` and ``cases:``: a **scheme
  test**; anything else: a **fragment**. These are read with govscore's own YAML reader for now
  (syntax, duplicate keys, ambiguous scalars such as ``yes``). To check them further, add a
  function to ``CHECKERS``.

HTML comments on the line(s) just before the fence change that:

- ``<!-- invalid: GS201 GS203 -->``: the block must produce exactly these codes (as a multiset,
  errors and warnings together), no more and no fewer;
- ``<!-- name: chengdu.yaml -->``: the file name used in diagnostics (default ``example.yaml``);
- ``<!-- fragment -->``: the block is a piece of a scheme (it may start with ``govscore: "1"`` but
  is not complete): it is checked as a fragment;
- ``<!-- skip -->``: the block is not checked (say why in the comment);
- ``<!-- run -->`` on a **scheme test** (``scheme:`` and ``cases:``): the test is run, and every
  case must pass. Its ``scheme:`` names a scheme block above it in the same page, by that block's
  ``<!-- name: … -->`` (the nearest one of that name), so the hand-worked numbers a page shows are
  the numbers govscore gives.

A fenced ```python block is **run** as a program (``python -W error -c``, so a warning fails it
too) in a temporary folder holding copies of the repository's ``schemes/`` and ``examples/``: a
program written to run from the repository's root runs as shown, and the files it writes are
thrown away. It must exit 0. ``<!-- no-run -->`` (or ``<!-- skip -->``) just before the fence
keeps a block from running; say why in the page.

A fenced ```text block preceded by ``<!-- output -->`` shows what ``govscore check`` prints for the
previous scheme block. Each of its lines that looks like ``file:line:col: CODE …`` must be, whole,
what the checker prints for a diagnostic of that block (position, code, message, key path and
hint), and every diagnostic must be shown: a message reworded in the code is reworded in the docs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from govscore import scheme_tests
from govscore.errors import Diagnostic
from govscore.language import yaml_reader
from govscore.scheme import loader

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
_FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
_COMMENT = re.compile(r"^\s*<!--\s*(.*?)\s*-->\s*$")
_OUTPUT_LINE = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>GS\d{3})\b")


@dataclass
class Block:
    """One fenced code block and the HTML comments right above it."""

    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    marks: dict[str, str] = field(default_factory=dict)
    previous_scheme: Block | None = None

    @property
    def id(self) -> str:
        shown = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path.name
        return f"{shown}:{self.line}"

    @property
    def kind(self) -> str:
        if "fragment" in self.marks:
            return "fragment"
        first = next((ln.strip() for ln in self.text.splitlines()
                      if ln.strip() and not ln.lstrip().startswith("#")), "")
        if first in ('govscore: "1"', "govscore: '1'", 'govscore: "2"', "govscore: '2'"):
            return "scheme"
        top = {m.group(1) for m in re.finditer(r"^([A-Za-z_]+):", self.text, re.MULTILINE)}
        if "units" in top:
            return "facts"
        if {"scheme", "cases"} <= top:
            return "test"
        return "fragment"

    @property
    def name(self) -> str:
        return self.marks.get("name", "example.yaml")

    @property
    def expected(self) -> list[str] | None:
        if "invalid" not in self.marks:
            return None
        return sorted(self.marks["invalid"].split())


def _marks(comments: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for comment in comments:
        key, _, value = comment.partition(":")
        out[key.strip()] = value.strip()
    return out


def collect(root: Path | None = None) -> list[Block]:
    """Every fenced block of every Markdown file under ``root`` (default: README.md and every
    page under docs/), in file and line order."""
    blocks: list[Block] = []
    for path in (PAGES if root is None else sorted(root.rglob("*.md"))):
        lines = path.read_text(encoding="utf-8").splitlines()
        last_scheme: Block | None = None
        i = 0
        while i < len(lines):
            match = _FENCE.match(lines[i])
            if not match:
                i += 1
                continue
            indent, lang = match.groups()
            comments: list[str] = []
            j = i - 1
            while j >= 0 and (not lines[j].strip() or _COMMENT.match(lines[j])):
                found = _COMMENT.match(lines[j])
                if found:
                    comments.insert(0, found.group(1))
                j -= 1
            end = i + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            body = "\n".join(ln.removeprefix(indent) for ln in lines[i + 1:end]) + "\n"
            block = Block(path, i + 1, lang, body, _marks(comments), last_scheme)
            blocks.append(block)
            if lang == "yaml" and block.kind == "scheme":
                last_scheme = block
            i = end + 1
    return blocks


def scheme_diagnostics(block: Block) -> list[Diagnostic]:
    _, diagnostics = loader.parse_scheme(block.text.encode("utf-8"), block.name)
    return sorted(diagnostics, key=Diagnostic.sort_key)


def yaml_diagnostics(block: Block) -> list[Diagnostic]:
    """Syntax, resource limits, duplicate keys and ambiguous scalars, from govscore's reader."""
    if not any(ln.strip() and not ln.lstrip().startswith("#") for ln in block.text.splitlines()):
        return []  # only comments, such as the yaml-language-server line on its own
    try:
        doc = yaml_reader.parse(block.text, block.name)
    except yaml_reader.YamlError as exc:
        return exc.diagnostics
    return doc.problems


CHECKERS: dict[str, Callable[[Block], list[Diagnostic]]] = {
    "scheme": scheme_diagnostics,
    "facts": yaml_diagnostics,
    "test": yaml_diagnostics,
    "fragment": yaml_diagnostics,
}

ALL = collect()
YAML_BLOCKS = [b for b in ALL if b.lang == "yaml" and "skip" not in b.marks]
OUTPUT_BLOCKS = [b for b in ALL if "output" in b.marks]
RUN_BLOCKS = [b for b in YAML_BLOCKS if "run" in b.marks]
PYTHON_BLOCKS = [b for b in ALL if b.lang == "python" and not {"skip", "no-run"} & set(b.marks)]


def _show(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(f"  {d}" for d in diagnostics) or "  (none)"


@pytest.mark.parametrize("block", YAML_BLOCKS, ids=lambda b: f"{b.id}:{b.kind}")
def test_yaml_example(block: Block) -> None:
    """A scheme example validates; an example marked invalid gives exactly the codes it names."""
    diagnostics = CHECKERS[block.kind](block)
    if block.expected is None:
        errors = [d for d in diagnostics if d.severity == "error"]
        assert not errors, f"{block.id}: the {block.kind} example is invalid:\n{_show(errors)}"
    else:
        got = sorted(d.code for d in diagnostics)
        assert got == block.expected, (
            f"{block.id}: expected codes {block.expected}, got {got}:\n{_show(diagnostics)}")


@pytest.mark.parametrize("block", OUTPUT_BLOCKS, ids=lambda b: b.id)
def test_shown_output(block: Block) -> None:
    """A shown `govscore check` output names the same positions and codes the checker reports."""
    source = block.previous_scheme
    assert source is not None, f"{block.id}: an output block must follow a scheme example"
    shown = [m for m in map(_OUTPUT_LINE.match, block.text.splitlines()) if m]
    assert shown, f"{block.id}: no 'file:line:col: CODE' lines in the output block"
    named = replace(source, marks={**source.marks, "name": shown[0]["file"]})
    actual = Counter(str(d) for d in CHECKERS[named.kind](named))
    expected = Counter(m.string.rstrip() for m in shown)
    assert expected == actual, (
        f"{block.id}: the output shown for {source.id} differs from the checker's (whole "
        f"lines: position, code and message).\nshown:  {sorted(expected.elements())}\n"
        f"actual: {sorted(actual.elements())}")


def _scheme_named(block: Block, name: str) -> Block | None:
    """The nearest scheme block above ``block`` in its page named ``name``."""
    above = [b for b in ALL if b.path == block.path and b.line < block.line and b.lang == "yaml"
             and b.kind == "scheme" and b.name == name]
    return above[-1] if above else None


@pytest.mark.parametrize("block", RUN_BLOCKS, ids=lambda b: b.id)
def test_scheme_test_example_passes(block: Block, tmp_path: Path) -> None:
    """A scheme test marked to run passes against the scheme block it names."""
    assert block.kind == "test", f"{block.id}: only a scheme test can be marked run"
    data = yaml_reader.parse(block.text, block.name).data
    source = _scheme_named(block, data["scheme"])
    assert source is not None, (f"{block.id}: no scheme block named {data['scheme']!r} above it "
                                "(mark one with <!-- name: … -->)")
    (tmp_path / data["scheme"]).write_text(source.text, encoding="utf-8")
    test_file = tmp_path / "example.test.yaml"
    test_file.write_text(block.text, encoding="utf-8")
    outcomes = scheme_tests.run_file(test_file)
    assert outcomes, f"{block.id}: no cases ran"
    failed = [f"  {o.name}: {'; '.join(o.failures)}" for o in outcomes if not o.passed]
    assert not failed, f"{block.id}: the scheme test fails against {source.id}:\n" + \
        "\n".join(failed)


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=lambda b: b.id)
def test_python_example_runs(block: Block, tmp_path: Path) -> None:
    """A Python example runs to the end, from a folder laid out like the repository's root."""
    for folder in ("schemes", "examples"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    done = subprocess.run([sys.executable, "-W", "error", "-c", block.text], cwd=tmp_path,
                          capture_output=True, text=True, encoding="utf-8", check=False,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 0, f"{block.id}: the example fails:\n{done.stderr}"


def test_collector_finds_examples() -> None:
    """Guard against a collector bug that silently checks nothing."""
    assert any(b.kind == "scheme" for b in YAML_BLOCKS)
    assert any(b.expected for b in YAML_BLOCKS)
    assert OUTPUT_BLOCKS
    assert RUN_BLOCKS
    assert any(b.path.name == "README.md" for b in PYTHON_BLOCKS)  # README.md's "Python"


def test_collector_reads_marks(tmp_path: Path) -> None:
    """Marks above a fence are read, and the block kind comes from its first real line."""
    (tmp_path / "a.md").write_text(
        "text\n\n<!-- invalid: GS203 GS201 -->\n<!-- name: x.yaml -->\n```yaml\n"
        '# comment\ngovscore: "1"\n```\n\n```yaml\nunits: []\n```\n'
        '<!-- fragment -->\n```yaml\ngovscore: "1"\n```\n'
        '<!-- no-run -->\n```python\nraise SystemExit(1)\n```\n', encoding="utf-8")
    first, second, third, fourth = collect(tmp_path)
    assert first.kind == "scheme"
    assert first.expected == ["GS201", "GS203"]
    assert first.name == "x.yaml"
    assert first.line == 5
    assert second.kind == "facts"
    assert second.marks == {}
    assert third.kind == "fragment"
    assert (fourth.lang, fourth.marks) == ("python", {"no-run": ""})
