"""Every shell example in docs/commands.md that is marked to run is run, so the command reference
cannot show a command that does not work.

How docs/commands.md is read, top to bottom, in one temporary folder holding a copy of
``schemes/`` and ``examples/``:

- a fenced block preceded by ``<!-- file: NAME -->`` is written to NAME (a filled sheet, a broken
  facts file);
- a fenced ```sh block preceded by ``<!-- run -->`` is run line by line with
  ``govscore.cli.run`` in-process. Every line must be a ``govscore`` command; ``> FILE`` sends its
  output to a file; a trailing ``# exit N`` states the exit code (no comment: 0);
- a fenced ```text block preceded by ``<!-- prints -->`` lists lines that the previous run block
  must have printed (stdout or stderr), each one in full.

Shell blocks without ``<!-- run -->`` (opening a file in a viewer, a usage line) are not run.
"""

from __future__ import annotations

import re
import shlex
import shutil
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest

from govscore import cli

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "commands.md"
_FENCE = re.compile(r"^```(\w*)\s*$")
_COMMENT = re.compile(r"^<!--\s*(.*?)\s*-->\s*$")
_EXIT = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")


@dataclass
class Block:
    line: int
    lang: str
    text: str
    mark: str


def blocks(text: str) -> list[Block]:
    out: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        mark = ""
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        if j >= 0 and (comment := _COMMENT.match(lines[j].strip())):
            mark = comment.group(1)
        end = i + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        out.append(Block(i + 1, match.group(1), "\n".join(lines[i + 1:end]) + "\n", mark))
        i = end + 1
    return out


def test_the_doc_marks_commands_to_run():
    found = blocks(DOC.read_text(encoding="utf-8"))
    run = [b for b in found if b.mark == "run"]
    assert len(run) >= 8
    assert all(b.lang == "sh" for b in run)
    commands = " ".join(b.text for b in run)
    for command in ("validate", "schema", "score", "explain", "test", "template"):
        assert f"govscore {command} " in commands


def test_every_marked_command_in_docs_commands_runs(tmp_path, monkeypatch):
    pytest.importorskip("openpyxl")
    for folder in ("schemes", "examples"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    printed = ""
    ran = 0
    for block in blocks(DOC.read_text(encoding="utf-8")):
        where = f"{DOC.name}:{block.line}"
        if block.mark.startswith("file:"):
            name = block.mark.removeprefix("file:").strip()
            (tmp_path / name).write_text(block.text, encoding="utf-8")
        elif block.mark == "run":
            printed = ""
            for raw in block.text.splitlines():
                if not raw.strip() or raw.lstrip().startswith("#"):
                    continue
                expected, line = 0, raw
                if exit_match := _EXIT.search(raw):
                    expected = int(exit_match.group(1))
                    line = raw[:exit_match.start()]
                elif "#" in raw:
                    line = raw[:raw.index("#")]
                argv = shlex.split(line)
                target = None
                if ">" in argv:
                    at = argv.index(">")
                    argv, target = argv[:at], argv[at + 1]
                assert argv[0] == "govscore", f"{where}: only govscore commands can run: {line}"
                out, err = StringIO(), StringIO()
                code = cli.run(argv[1:], out, err)
                assert code == expected, (f"{where}: {line!r} exited {code}, the doc says "
                                          f"{expected}\n{out.getvalue()[-3000:]}"
                                          f"{err.getvalue()[-3000:]}")
                if target is not None:
                    (tmp_path / target).write_text(out.getvalue(), encoding="utf-8")
                printed += out.getvalue() + err.getvalue()
                ran += 1
        elif block.mark == "prints":
            for line in block.text.splitlines():
                if line.strip():
                    assert line in printed.splitlines(), (
                        f"{where}: the doc shows {line!r}, which the command before did not "
                        f"print:\n{printed[-3000:]}")
    assert ran >= 15
    # what the walk-through says it produces
    assert (tmp_path / "经济发展.xlsx").exists()
    assert (tmp_path / "anhui.html").read_text(encoding="utf-8").count('class="num total"') == 21
    assert (tmp_path / "anhui.xlsx").read_bytes().startswith(b"PK")
