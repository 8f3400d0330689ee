"""The invalid-scheme corpus: every loader error and semantic check code a scheme file can
trigger, each with a deliberately broken scheme in tests/invalid/ and a sidecar ``.expected``
listing every diagnostic the file produces (warnings included) as ``LINE:COL CODE``, in the
order ``check_file`` reports them. Positions were worked out by reading the files: they point at
the offending key or value. Where the engine points elsewhere, the sidecar keeps the right place
and the case is a strict xfail naming what it reports instead.

Cases that are awkward to commit (an unreadable path, bytes that are not UTF-8, a tab, a file
over the size limit) are generated into tmp files here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import govscore
from govscore.errors import CODES

INVALID = Path(__file__).parent / "invalid"

# file name → why its diagnostics do not (yet) point where the sidecar says
WRONG_PLACE: dict[str, str] = {}

# codes a scheme file can trigger (loading, model, semantic checks)
SCHEME_CODES = sorted(
    c for c in CODES if re.fullmatch(r"GS(1(0[1-9]|1[0-2])|20[1-6]|3(0[1-9]|1[0-6]))", c))
GENERATED = {"GS101", "GS102", "GS103", "GS106"}


def _files() -> list[Path]:
    return sorted(INVALID.glob("*.yaml"))


def _expected(path: Path) -> list[str]:
    lines = path.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


def _actual(path: Path) -> list[str]:
    out = []
    for d in govscore.check_file(path):
        assert d.span is not None, f"{d} has no position"
        out.append(f"{d.span.line}:{d.span.column} {d.code}")
    return out


def _params() -> list[Any]:
    params = []
    for path in _files():
        marks = []
        if path.name in WRONG_PLACE:
            marks.append(pytest.mark.xfail(strict=True, reason=WRONG_PLACE[path.name]))
        params.append(pytest.param(path, id=path.name, marks=marks))
    return params


@pytest.mark.parametrize("path", _params())
def test_invalid_scheme_diagnostics(path: Path) -> None:
    assert _actual(path) == _expected(path)


def test_every_file_has_a_sidecar_and_names_its_code() -> None:
    yamls = {p.stem for p in INVALID.glob("*.yaml")}
    sidecars = {p.stem for p in INVALID.glob("*.expected")}
    assert yamls == sidecars
    for stem in yamls:
        code = stem.split("-", 1)[0]
        assert code in CODES, stem
        assert code in " ".join(_expected(INVALID / f"{stem}.yaml")), \
            f"{stem}: the file is named for {code} but does not expect it"


def test_every_scheme_code_is_covered() -> None:
    assert len(SCHEME_CODES) == 12 + 6 + 16
    committed = {p.name.split("-", 1)[0] for p in _files()}
    missing = [c for c in SCHEME_CODES if c not in committed | GENERATED]
    assert missing == []


# --------------------------------------------------------------------------- generated cases

_HEAD = 'govscore: "1"\nid: generated\n'


def _check(path: Path) -> list[str]:
    return [f"{d.span.line}:{d.span.column} {d.code}" for d in govscore.check_file(path)
            if d.span is not None]


def test_gs101_missing_file(tmp_path: Path) -> None:
    assert _check(tmp_path / "不存在.yaml") == ["1:1 GS101"]


def test_gs101_directory(tmp_path: Path) -> None:
    assert _check(tmp_path) == ["1:1 GS101"]


def test_gs102_not_utf8(tmp_path: Path) -> None:
    # line 3 is 'title: 考核' then the byte 0xff: 7 + 2 characters before it → column 10
    path = tmp_path / "gbk.yaml"
    path.write_bytes(_HEAD.encode() + "title: 考核".encode() + b"\xff\n")
    assert _check(path) == ["3:10 GS102"]


def test_gs102_gbk_encoded_file(tmp_path: Path) -> None:
    # a whole file saved as GBK: the first non-ASCII byte is on line 3, after 'title: '
    path = tmp_path / "gbk.yaml"
    path.write_bytes((_HEAD + "title: 督查工作考核细则\n").encode("gbk"))
    assert _check(path) == ["3:8 GS102"]


def _tab_file(tmp_path: Path) -> Path:
    # line 4 starts with a tab where an indented key was meant
    path = tmp_path / "tab.yaml"
    path.write_text(_HEAD + "score:\n\tid: overall\n", encoding="utf-8")
    return path


def test_gs103_tab_indentation(tmp_path: Path) -> None:
    assert _check(_tab_file(tmp_path)) == ["4:1 GS103"]


def test_gs103_tab_message_says_tabs(tmp_path: Path) -> None:
    """PyYAML writes the tab escaped ('\\t'); the hint must still appear (was missing before
    the fix to _yaml._syntax that recognises the escaped form)."""
    (d,) = govscore.check_file(_tab_file(tmp_path))
    assert "tabs" in d.message


def test_gs106_too_large(tmp_path: Path) -> None:
    path = tmp_path / "large.yaml"
    filler = "# " + "填充" * 40 + "\n"
    path.write_text(_HEAD + filler * (2_000_000 // len(filler.encode()) + 1), encoding="utf-8")
    assert path.stat().st_size > 2_000_000
    assert _check(path) == ["1:1 GS106"]


# --------------------------------------------------------------------------- messages


def test_gs202_missing_kind_lists_the_kinds() -> None:
    (d,) = govscore.check_file(INVALID / "GS202-missing-rule-kind.yaml")
    assert "per_occurrence" in d.message
