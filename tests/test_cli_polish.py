"""The command line's edges: report permissions, usage errors → exit 2, the GB18030 note."""

from __future__ import annotations

import os
import stat
import sys
from io import StringIO
from pathlib import Path

import pytest

from govscore import cli
from govscore.errors import UsageError
from govscore.views import report

ROOT = Path(__file__).resolve().parents[1]
S3 = str(ROOT / "schemes" / "s3-chengdu.yaml")
S3_FACTS = str(ROOT / "examples" / "s3-chengdu.facts.yaml")
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = cli.run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def umask():
    """Set the umask for one test and restore it after."""
    saved = os.umask(0o022)

    def set_to(mask: int) -> None:
        os.umask(mask)

    yield set_to
    os.umask(saved)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ------------------------------------------------------------------------------ permissions


@posix_only
@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_atomic_write_gives_the_mode_open_would(tmp_path, umask, mask, mode):
    umask(mask)
    target = tmp_path / "out.json"
    report.atomic_write(target, b"{}\n")
    assert _mode(target) == mode
    assert os.umask(mask) == mask  # the umask was read, not changed
    # an existing file replaced the same way
    report.atomic_write(target, b"[]\n")
    assert _mode(target) == mode
    assert target.read_bytes() == b"[]\n"


@posix_only
def test_score_report_is_0644_under_umask_022(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "report.html"
    code, _, err = _run("score", S3, S3_FACTS, "-o", str(target))
    assert code == 0, err
    assert _mode(target) == 0o644


# ------------------------------------------------------------------------------ usage errors


def test_a_usage_error_under_a_command_exits_2(monkeypatch):
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise UsageError("GS409", "this cannot work")

    monkeypatch.setattr(cli.api, "compile", refuse)
    for argv in (("score", S3, S3_FACTS), ("explain", S3, S3_FACTS, "--unit", "锦江区")):
        code, out, err = _run(*argv)
        assert code == 2
        assert err == "govscore: GS409 this cannot work\n"
        assert out == ""


@pytest.mark.parametrize("name", ["results.pdf", "results"])
def test_score_with_an_unknown_output_suffix_exits_2_and_writes_nothing(tmp_path, name):
    target = tmp_path / name
    code, out, err = _run("score", S3, S3_FACTS, "-o", str(target))
    assert code == 2
    assert "GS701 cannot write" in err
    assert "use .json, .csv, .html, .xlsx, .parquet or .txt" in err
    assert "scored" not in err  # refused before any scoring
    assert out == ""
    assert list(tmp_path.iterdir()) == []


def test_report_write_refuses_an_unknown_suffix(tmp_path):
    with pytest.raises(UsageError, match=r"cannot write \.pdf"):
        report.write(None, None, tmp_path / "r.pdf")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("examples", ["0", "-3", "many"])
def test_test_properties_refuses_a_bad_example_count(examples):
    code, out, err = _run("test", "--properties", "--examples", examples, S3)
    assert code == 2
    assert "--examples" in err
    assert out == ""


@pytest.mark.parametrize("command", [("score",), ("explain", "--unit", "锦江区"),
                                     ("template", "-o", "x.csv")])
def test_a_missing_scheme_file_exits_2(tmp_path, command):
    missing = str(tmp_path / "nope.yaml")
    name, *rest = command
    argv = [name, missing, *rest] if name == "template" else [name, missing, S3_FACTS, *rest]
    code, _, err = _run(*argv)
    assert code == 2
    assert f"{missing}:1:1: GS101 cannot read" in err


def test_an_invalid_scheme_still_exits_1(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("govscore: '1'\nid: x\n", encoding="utf-8")
    code, _, err = _run("score", str(bad), S3_FACTS)
    assert code == 1
    assert "GS202" in err


# ------------------------------------------------------------------------------ GB18030


CSV = "id,base,bonus_leadership\n锦江区,是,3\n"


def test_score_and_explain_say_which_file_was_read_as_gb18030(tmp_path):
    gb = tmp_path / "国标.csv"
    gb.write_bytes(CSV.encode("gb18030"))
    utf8 = tmp_path / "utf8.csv"
    utf8.write_bytes(CSV.replace("锦江区", "青羊区").encode("utf-8"))
    note = f"govscore: {gb} is not UTF-8; read it as GB18030"
    for argv in (("score", S3, str(gb), str(utf8)),
                 ("explain", S3, str(gb), str(utf8), "--unit", "锦江区")):
        _, out, err = _run(*argv)
        assert "锦江区" in out + err  # decoded right (the unit lacks facts, so it is rejected)
        assert err.splitlines().count(note) == 1
        assert "GB18030" not in err.replace(note, "")  # the UTF-8 file is not named
        assert "GB18030" not in out


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_no_encoding_note_for_unicode_files(tmp_path, encoding):
    path = tmp_path / "f.csv"
    path.write_bytes(CSV.encode(encoding))
    _, _, err = _run("score", S3, str(path))
    assert "rejected 锦江区" in err  # read and decoded (the unit lacks facts)
    assert "GB18030" not in err


def test_load_facts_reports_the_encoding(tmp_path):
    from govscore.inputs import readers

    path = tmp_path / "f.csv"
    path.write_bytes(CSV.encode("gb18030"))
    read = readers.load_facts(path)
    assert read.encoding == "gb18030"
    assert read.guessed
    assert read.units == readers.read_facts(path)
    yaml = readers.load_facts(S3_FACTS)
    assert yaml.encoding == "utf-8"
    assert not yaml.guessed


def test_help_lists_every_command_and_the_exit_codes():
    code, out, _ = _run("--help")
    assert code == 0
    for command in ("validate", "schema", "score", "explain", "test", "template"):
        assert f"    {command} " in out
    assert "exit codes:" in out
    assert "  2  usage or I/O error" in out


def test_properties_on_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    """`govscore test --properties nope.yaml` used to print SKIP and exit 0."""
    err = StringIO()
    code = cli.run(["test", "--properties", str(tmp_path / "nope.yaml")], StringIO(), err)
    assert code == 2
    assert "no such file or folder" in err.getvalue()
