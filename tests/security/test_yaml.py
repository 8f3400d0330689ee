"""Hostile YAML: every case is a coded error at a position, in bounded time, with nothing
constructed or executed. Times are asserted loosely (5 s catches a hang, not slowness)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import govscore
from govscore.inputs import readers
from govscore.language import yaml_reader

from .common import bounded_work, tiny

ROOT = Path(__file__).resolve().parents[2]

BASE = tiny("a")
SENTINEL = Path("/tmp/govscore-security-pwned")


def _laughs(levels: int = 9, width: int = 9) -> str:
    lines = ["l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def _swap(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new, 1)


# name: (text or bytes, code, line, column); line/column None when not pinned
CASES: dict[str, tuple[str | bytes, str, int | None, int | None]] = {
    "duplicate key": (BASE + "title: again\n", "GS104", 20, 1),
    "duplicate nested key": (_swap("id: a, title: A,", "id: a, id: a2, title: A,"), "GS104", 8, 13),
    "billion laughs": (_laughs(), "GS108", None, None),
    "alias count": ("".join(f"k{i}: &a{i} x\n" for i in range(60))
                    + "".join(f"r{i}: *a{i}\n" for i in range(60))
                    + "".join(f"s{i}: *a{i}\n" for i in range(60)), "GS108", 161, 6),
    "10,000 [": ("[" * 10_000, "GS107", 1, 65),
    "10,000 {": ("{" * 10_000, "GS107", 1, 65),
    "deep flow mapping": ("a: " + "{a: " * 10_000, "GS107", 1, 256),
    "deep block sequence": ("- " * 10_000 + "x", "GS107", 1, 129),
    "deep block mapping": ("".join(" " * i + "a:\n" for i in range(100)) + " " * 100 + "x\n",
                           "GS107", 65, 65),
    "too large": ("title: " + "x" * (yaml_reader.MAX_BYTES + 1), "GS106", 1, 1),
    "NO": (_swap('version: "1"', "version: NO"), "GS109", 5, 10),
    "yes": (_swap('version: "1"', "version: yes"), "GS109", 5, 10),
    "Off": (_swap('version: "1"', "version: Off"), "GS109", 5, 10),
    "012": (_swap("max: 1000}", "max: 012}"), "GS109", 8, 50),
    "1:30": (_swap('version: "1"', "version: 1:30"), "GS109", 5, 10),
    "1e3": (_swap("max: 1000}", "max: 1e3}"), "GS109", 8, 50),
    ".inf": (_swap("max: 1000}", "max: .inf}"), "GS109", 8, 50),
    "-.inf": (_swap("max: 1000}", "max: -.inf}"), "GS109", 8, 50),
    ".nan": (_swap("max: 1000}", "max: .nan}"), "GS109", 8, 50),
    ".NaN": (_swap("max: 1000}", "max: .NaN}"), "GS109", 8, 50),
    "0x1F": (_swap("max: 1000}", "max: 0x1F}"), "GS109", 8, 50),
    "0o17": (_swap("max: 1000}", "max: 0o17}"), "GS109", 8, 50),
    "0b11": (_swap("max: 1000}", "max: 0b11}"), "GS109", 8, 50),
    "+1": (_swap("max: 1000}", "max: +1}"), "GS109", 8, 50),
    "1_000": (_swap("max: 1000}", "max: 1_000}"), "GS109", 8, 50),
    ".5": (_swap("max: 1000}", "max: .5}"), "GS109", 8, 50),
    "5.": (_swap("max: 1000}", "max: 5.}"), "GS109", 8, 50),
    "tab indentation": (_swap("  - {id: a", "\t- {id: a"), "GS103", 8, 1),
    "non-UTF-8 byte": (BASE.encode()[:40] + b"\xff" + BASE.encode()[40:], "GS102", 3, 11),
    "UTF-16": (BASE.encode("utf-16"), "GS102", 1, 1),
    "a list": ("- govscore\n- id\n", "GS105", 1, 1),
    "a scalar": ("just text\n", "GS105", 1, 1),
    "a number": ("42\n", "GS105", 1, 1),
    "null": ("~\n", "GS105", 1, 1),
    "empty": ("", "GS105", 1, 1),
    "comments only": ("# nothing here\n", "GS105", 1, 1),
    "two documents": (BASE + "---\nid: second\n", "GS111", 20, 1),
    "explicit end then more": (BASE + "...\n---\nid: x\n", "GS111", 21, 1),
    "!!python/object/apply": ("a: !!python/object/apply:os.system "
                              "['touch /tmp/govscore-security-pwned']\n", "GS110", 1, 4),
    "!!python/object/new": ("a: !!python/object/new:os.system [x]\n", "GS110", 1, 4),
    "!!python/name": ("a: !!python/name:os.system\n", "GS110", 1, 4),
    "!!python/module": ("a: !!python/module:os\n", "GS110", 1, 4),
    "!!binary": ("a: !!binary aGVsbG8=\n", "GS110", 1, 4),
    "!!set": ("a: !!set {x, y}\n", "GS110", 1, 4),
    "!!timestamp": ("a: !!timestamp 2001-12-14\n", "GS110", 1, 4),
    "!!float": (_swap("max: 1000}", "max: !!float 1000}"), "GS110", 8, 50),
    "local tag": ("a: !local x\n", "GS110", 1, 4),
    "merge key": ("base: &b {x: 1}\nother:\n  <<: *b\n", "GS110", 3, 3),
    "complex key": ("? [a, b]\n: c\n", "GS112", 1, 3),
    # aliases that form a cycle, or nest a deep anchor deeper (RecursionError escaped before)
    "alias cycle": ("a: &a [*a]\n", "GS108", 1, 8),
    "alias cycle in mapping": ("a: &a {b: *a}\n", "GS108", 1, 11),
    "alias cycle, nested": ("a: &a [x, [y, *a]]\n", "GS108", 1, 15),
    "alias nests deeper": ("a: &a " + "[" * 60 + "]" * 60 + "\nb: " + "[" * 10 + "*a"
                           + "]" * 10 + "\n", "GS107", 2, 14),
    "undefined alias": ("a: *nope\n", "GS103", 1, 4),
    "null byte": ("a: b\x00\n", "GS103", 1, 1),
    "bell": ("a: b\x07\n", "GS103", 1, 1),
    "unclosed quote": ('title: "abc\n', "GS103", None, None),
    "bad indentation": ("a:\n  b: 1\n c: 2\n", "GS103", 3, 2),
    # linear-time scalar resolution (these were quadratic: hours for a 2 MB scalar)
    "long digits then x": ("title: " + "1" * 1_000_000 + "x\n", "GS202", 1, 1),
    "long underscores": ("title: 1" + "_" * 1_000_000 + "x\n", "GS202", 1, 1),
    # a 1.9-million-digit whole number in an integer field (int() of it took minutes)
    "huge whole number": (_swap("places: 2", "places: " + "9" * 1_000_000), "GS204", 6, 21),
    "huge magnitude": (_swap("max: 1000}", "max: 10000000000000000}"), "GS204", 8, 50),
    "too many digits": (_swap("max: 1000}", "max: 0." + "3" * 40 + "}"), "GS204", 8, 50),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_yaml_is_a_coded_positioned_error(name: str, tmp_path: Path) -> None:
    text, code, line, column = CASES[name]
    raw = text if isinstance(text, bytes) else text.encode("utf-8")
    path = tmp_path / "hostile.yaml"
    path.write_bytes(raw)
    with bounded_work():
        diagnostics = govscore.check_file(path)
    assert diagnostics, name
    hit = [d for d in diagnostics if d.code == code]
    assert hit, [str(d) for d in diagnostics]
    assert all(d.code in govscore.CODES for d in diagnostics)
    assert hit[0].span is not None
    assert hit[0].span.file == str(path)
    if line is not None:
        assert (hit[0].span.line, hit[0].span.column) == (line, column), str(hit[0])
    assert not SENTINEL.exists()
    if not isinstance(text, bytes) and len(text) <= yaml_reader.MAX_BYTES:
        with bounded_work(), pytest.raises(govscore.SchemeError) as info:
            govscore.load(text=text)
        assert code in {d.code for d in info.value.diagnostics}


def test_tabs_get_a_hint() -> None:
    """PyYAML reports a tab as the two characters backslash-t; the hint must still appear."""
    (d,) = _load_diagnostics(CASES["tab indentation"][0])
    assert "tabs for indentation" in d.message


def _load_diagnostics(text: str | bytes) -> list[govscore.Diagnostic]:
    assert isinstance(text, str)
    with pytest.raises(govscore.SchemeError) as info:
        govscore.load(text=text)
    return info.value.diagnostics


def test_plain_data_only() -> None:
    """Only dict, list, str, Decimal, bool and None come out of the reader."""
    doc = yaml_reader.parse("a: [1, 2.50, true, null, text, '3']\nb: {c: -0.5}\n", "x")
    assert doc.data == {"a": [1, _dec("2.50"), True, None, "text", "3"], "b": {"c": _dec("-0.5")}}
    assert str(doc.data["a"][1]) == "2.50"


def _dec(text: str) -> object:
    from decimal import Decimal

    return Decimal(text)


FACTS_CASES = {
    "duplicate key": ("units:\n  - {id: u, facts: {a: 1, a: 2}}\n", "GS104"),
    "billion laughs": (_laughs().replace("l0:", "units: []\nl0:"), "GS108"),
    ".nan fact": ("units:\n  - {id: u, facts: {a: .nan}}\n", "GS109"),
    ".inf fact": ("units:\n  - {id: u, facts: {a: .inf}}\n", "GS109"),
    "python tag": ("units:\n  - !!python/object/apply:os.system ['touch "
                   "/tmp/govscore-security-pwned']\n", "GS110"),
    "deep": ("units: " + "[" * 10_000, "GS107"),
    "two documents": ("units: []\n---\nunits: []\n", "GS111"),
    # facts files share the facts readers' encoding detector: neither UTF-8 nor GB18030 is GS409
    "neither UTF-8 nor GB18030": (b"units: [\xff]\n", "GS409"),
}


@pytest.mark.parametrize("name", list(FACTS_CASES))
def test_hostile_facts_yaml(name: str, tmp_path: Path) -> None:
    """Facts files go through the same reader: a FactsFileError with a coded diagnostic."""
    text, code = FACTS_CASES[name]
    path = tmp_path / "facts.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with bounded_work(), pytest.raises(govscore.FactsFileError) as info:
        readers.read_facts(path)
    assert code in {d.code for d in info.value.diagnostics}
    assert not SENTINEL.exists()


# ------------------------------------------------------------- libyaml and the pure-Python reader

_REPO_YAML = sorted(p for pattern in ("schemes/*.yaml", "schemes/tests/*.yaml", "examples/*.yaml",
                                      "tests/patterns/*.yaml", "tests/invalid/*.yaml",
                                      "docs/**/*.yaml")
                    for p in ROOT.glob(pattern))


def _read(text: str, name: str, *, python_only: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as m:
        if python_only:
            m.setattr(yaml_reader, "_compose_with_libyaml", lambda _text, _file: yaml_reader._UNREAD)
        try:
            doc = yaml_reader.parse(text, name)
        except yaml_reader.YamlError as exc:
            return ("error", [str(d) for d in exc.diagnostics])
    return (doc.data, doc.value_spans, doc.key_spans, [str(d) for d in doc.problems])


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml: one reader only")
@pytest.mark.parametrize("path", _REPO_YAML, ids=[p.name for p in _REPO_YAML])
def test_libyaml_and_python_reader_agree(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same data, positions and problems whichever reader read the file."""
    text = path.read_text(encoding="utf-8")
    assert _read(text, path.name, python_only=False, monkeypatch=monkeypatch) == \
        _read(text, path.name, python_only=True, monkeypatch=monkeypatch)


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml: one reader only")
@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([*"ab: -[]{},&*!'\"#\n\t|>?%@`0.~中\r\\\ufeff\u2028\x85",
                                  "\n  ", "a: ", "- ", "key: value\n", "---\n", "...\n",
                                  "%YAML 1.1\n", "!!str ", "1.5", "true", "&a ", "*a"]),
                max_size=30).map("".join))
def test_readers_agree_on_random_text(text: str) -> None:
    """Random near-YAML: libyaml gives exactly what the Python reader gives (data, positions,
    problems, errors), or steps aside for it. (60,000 such texts agreed when this was written.)"""
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _read(text, "x", python_only=False, monkeypatch=monkeypatch) == \
            _read(text, "x", python_only=True, monkeypatch=monkeypatch)
