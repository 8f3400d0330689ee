"""The explain output the guides show is what govscore prints: for each tutorial, the scheme block
named chengdu.yaml and the facts block saved as chengdu.facts.yaml are written to a folder, the
explain command the page shows is run there, and the page's text block after it must be exactly
its output."""

from __future__ import annotations

import re
import shlex
from io import StringIO
from pathlib import Path

import pytest

from govscore import cli

ROOT = Path(__file__).resolve().parents[1]
GUIDES = [ROOT / "docs" / "guide" / lang / "tutorial.md" for lang in ("en", "zh")]
_BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.S)


def pieces(page: str) -> tuple[str, str, str, str]:
    """(scheme, facts, explain command, shown output) of a tutorial page."""
    scheme = re.search(r"<!-- name: chengdu.yaml -->\n```yaml\n(.*?)```", page, re.S)
    facts = next(m.group(2) for m in _BLOCK.finditer(page)
                 if m.group(1) == "yaml" and m.group(2).startswith("units:"))
    command = re.search(r"```text\n(govscore explain [^\n]*)\n```\n\n```text\n(.*?)```", page,
                        re.S)
    assert scheme is not None
    assert command is not None
    return scheme.group(1), facts, command.group(1), command.group(2)


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.parent.name)
def test_the_tutorials_explain_output_is_what_govscore_prints(guide, tmp_path, monkeypatch):
    scheme, facts, command, shown = pieces(guide.read_text(encoding="utf-8"))
    (tmp_path / "chengdu.yaml").write_text(scheme, encoding="utf-8")
    (tmp_path / "chengdu.facts.yaml").write_text(facts, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out, err = StringIO(), StringIO()
    assert cli.run(shlex.split(command)[1:], out, err) == 0, err.getvalue()
    assert shown == out.getvalue(), out.getvalue()
