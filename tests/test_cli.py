"""The command line in-process: exit codes 0 / 1 / 2, text and machine formats."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

from govscore.cli import run

ROOT = Path(__file__).resolve().parents[1]


def _run(*argv):
    out, err = StringIO(), StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_validate_shipped_schemes_is_clean():
    code, out, err = _run("validate", str(ROOT / "schemes"))
    assert code == 0, out + err
    assert "0 invalid" in err


def test_validate_reports_every_error_with_position(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text('govscore: "1"\nid: x\ntitle: t\nsource: {document: d}\nversion: "1"\n'
                   "score: {id: r, title: r, weigth: 1, children: [{id: a, title: a, max: \"5\","
                   " rule: {kind: pass_fail}}]}\n", encoding="utf-8")
    code, out, _ = _run("validate", str(bad))
    assert code == 1
    lines = out.splitlines()
    assert [line.split(" ")[1] for line in lines] == ["GS201", "GS203"]
    assert lines[0].startswith(f"{bad}:6:")
    code, out, _ = _run("validate", "--format", "json", str(bad))
    assert [d["code"] for d in json.loads(out)[str(bad)]] == ["GS201", "GS203"]
    code, out, _ = _run("validate", "--format", "github", str(bad))
    assert out.startswith("::error file=")


def test_github_format_escapes_properties_and_message(tmp_path):
    """GitHub workflow commands: in properties %, CR, LF, ':' and ',' are escaped; in the
    message %, CR and LF (a raw ',' or ':' in file= would cut the path or start the message)."""
    bad = tmp_path / "a,b:c 100%.yaml"
    bad.write_text('govscore: "1"\nid: x\ntitle: t\nsource: {document: d}\nversion: "1"\n'
                   "score: {id: r, title: r, weigth: 1, children: [{id: a, title: a, max: 5,"
                   " rule: {kind: pass_fail}}]}\n", encoding="utf-8")
    code, out, _ = _run("validate", "--format", "github", str(bad))
    assert code == 1
    [line] = out.splitlines()
    folder = str(tmp_path).replace("%", "%25").replace(":", "%3A").replace(",", "%2C")
    assert line.startswith(f"::error file={folder}/a%2Cb%3Ac 100%25.yaml,line=6,col=")
    head, message = line.split("::", 2)[1:]
    assert head.endswith(",title=GS201")
    assert message.startswith("GS201 ")  # the message keeps its ':' and ','


def test_github_escaping_functions():
    from govscore.views.diagnostics import github_data, github_property

    assert github_property("a%b\r\nc:d,e") == "a%25b%0D%0Ac%3Ad%2Ce"
    assert github_data("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"


def test_usage_and_missing_files_exit_2(tmp_path):
    assert _run("validate", str(tmp_path / "nope.yaml"))[0] == 2
    assert _run("frobnicate")[0] == 2
    assert _run("score", str(ROOT / "schemes" / "s3-chengdu.yaml"), str(tmp_path / "x.yaml"))[0] == 2


def test_score_and_explain_the_s3_example():
    scheme = str(ROOT / "schemes" / "s3-chengdu.yaml")
    facts = str(ROOT / "examples" / "s3-chengdu.facts.yaml")
    code, out, err = _run("score", scheme, facts)
    assert code == 0, err
    assert "20 unit(s): 20 scored, 0 rejected" in err
    code, out, _ = _run("explain", scheme, facts, "--unit", "锦江区")
    assert code == 0
    assert out.startswith("锦江区")
    assert "排名" in out


def test_score_exits_1_when_a_unit_is_rejected(tmp_path):
    facts = tmp_path / "f.yaml"
    facts.write_text("units:\n  - {id: 锦江区, facts: {base: true, lead: 9}}\n", encoding="utf-8")
    code, _, err = _run("score", str(ROOT / "schemes" / "s3-chengdu.yaml"), str(facts))
    assert code == 1
    assert "0 scored, 1 rejected" in err


def test_schema_command_prints_json():
    code, out, _ = _run("schema")
    assert code == 0
    assert json.loads(out)["title"].startswith("govscore scheme")


def test_version():
    code, _, _ = _run("--version")
    assert code == 0
