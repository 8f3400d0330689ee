"""``govscore validate --format sarif``: a SARIF 2.1.0 log, checked against the official JSON
Schema (tests/data/sarif-schema-2.1.0.json, vendored from the OASIS SARIF TC's repository; see
tests/data/README.md), with the same findings as the text format, relative URIs and rule metadata
for every code of docs/reference/errors.md."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest

from govscore.cli import run
from govscore.errors import CODES
from govscore.views.diagnostics import sarif

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

# two errors: an unknown key (weigth) and a max written as text
BROKEN = ('govscore: "1"\nid: x\ntitle: t\nsource: {document: d}\nversion: "1"\n'
          "score: {id: r, title: r, weigth: 1, children: [{id: a, title: a, max: \"5\","
          " rule: {kind: pass_fail}}]}\n")
# valid, with one warning: the cap 30 on 'g' can never bind (its child reaches at most 5)
WARNS = ('govscore: "1"\nid: w\ntitle: t\nsource: {document: d}\nversion: "1"\n'
         "score:\n  id: r\n  title: r\n  max: 5\n  children:\n"
         "    - {id: g, title: g, cap: 30, children: [{id: a, title: a, max: 5, rule: {kind: pass_fail}}]}\n")


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def _validator() -> jsonschema.Draft4Validator:
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    return jsonschema.Draft4Validator(SCHEMA)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository-like folder: the command runs at its root, as in CI."""
    (tmp_path / "schemes").mkdir()
    (tmp_path / "schemes" / "坏的 方案.yaml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "schemes" / "warns.yaml").write_text(WARNS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_log_is_valid_sarif_with_the_text_formats_findings(repo):
    code, out, _ = _run("validate", "--format", "sarif", "schemes")
    assert code == 1  # the broken scheme
    log = json.loads(out)
    errors = sorted(_validator().iter_errors(log), key=str)
    assert errors == [], errors[0].message if errors else ""
    assert log["version"] == "2.1.0"
    [sarif_run] = log["runs"]
    assert sarif_run["tool"]["driver"]["name"] == "govscore"

    # the same findings as the text format, finding by finding
    _, text, _ = _run("validate", "schemes")
    pattern = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<rest>(?P<code>GS\d{3}).*)$")
    expected = []
    for line in text.splitlines():
        match = pattern.match(line)
        assert match, line
        expected.append((match["file"], int(match["line"]), int(match["col"]), match["code"],
                         match["rest"]))
    got = []
    for result in sarif_run["results"]:
        [location] = result["locations"]
        physical = location["physicalLocation"]
        artifact = physical["artifactLocation"]
        assert artifact["uriBaseId"] == "SRCROOT"
        assert not artifact["uri"].startswith("/")
        got.append((str(Path(unquote(artifact["uri"]))), physical["region"]["startLine"],
                    physical["region"]["startColumn"], result["ruleId"], result["message"]["text"]))
    assert got == expected
    assert {g[0] for g in got} == {str(Path("schemes/坏的 方案.yaml")), str(Path("schemes/warns.yaml"))}


def test_levels_rules_and_key_paths(repo):
    _, out, _ = _run("validate", "--format", "sarif", "schemes/warns.yaml", "schemes/坏的 方案.yaml")
    [sarif_run] = json.loads(out)["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    by_code = {r["ruleId"]: r for r in sarif_run["results"]}
    assert by_code["GS303"]["level"] == "warning"
    assert by_code["GS201"]["level"] == "error"
    assert by_code["GS203"]["level"] == "error"
    for result in sarif_run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    # the key path travels as a logical location and a property
    gs201 = by_code["GS201"]
    assert gs201["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "/score/weigth"
    assert gs201["properties"]["path"] == "/score/weigth"
    # a URI reference, each segment percent-encoded
    uri = by_code["GS201"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "schemes/%E5%9D%8F%E7%9A%84%20%E6%96%B9%E6%A1%88.yaml"


def test_every_code_of_the_error_reference_is_a_rule():
    rules = sarif({})["runs"][0]["tool"]["driver"]["rules"]
    documented = re.findall(r"^## (GS\d{3})$", (ROOT / "docs" / "reference" / "errors.md")
                            .read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert [r["id"] for r in rules] == documented == list(CODES)
    for rule in rules:
        assert rule["shortDescription"]["text"] == CODES[rule["id"]]
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", rule["name"]), rule["name"]
        assert f"errors.md#{rule['id'].lower()}" in rule["help"]["text"]
        family = {"1": "loading", "2": "model", "3": "semantics", "4": "facts", "5": "evaluation",
                  "6": "scheme-tests", "7": "command-line", "8": "records", "9": "service"}
        assert rule["properties"]["tags"] == ["govscore", family[rule["id"][2]]]


def test_a_file_outside_the_folder_gets_an_absolute_file_uri(tmp_path, monkeypatch):
    outside = tmp_path / "elsewhere" / "bad.yaml"
    outside.parent.mkdir()
    outside.write_text(BROKEN, encoding="utf-8")
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    _, out, _ = _run("validate", "--format", "sarif", str(outside))
    log = json.loads(out)
    assert list(_validator().iter_errors(log)) == []
    artifact = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": outside.resolve().as_uri()}


def test_a_clean_run_is_a_valid_log_with_no_results(repo):
    code, out, _ = _run("validate", "--format", "sarif", "schemes/warns.yaml")
    assert code == 0  # a warning does not make the file invalid
    log = json.loads(out)
    assert list(_validator().iter_errors(log)) == []
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["GS303"]
    _, out, _ = _run("validate", "--format", "sarif", str(ROOT / "schemes" / "s1-jiange.yaml"))
    assert json.loads(out)["runs"][0]["results"] == []


def test_the_schema_check_is_not_vacuous():
    """The vendored schema does refuse a log that is not SARIF (so a pass above means something)."""
    log = sarif({})
    assert list(_validator().iter_errors(log)) == []
    del log["version"]
    assert list(_validator().iter_errors(log))
    log = sarif({})
    log["runs"][0]["results"] = [{"ruleId": "GS201", "level": "fatal", "message": {"text": "x"}}]
    assert list(_validator().iter_errors(log))


def test_gitlab_code_quality_fingerprints_follow_the_problem_not_the_line(repo):
    """--format gitlab: a problem keeps its fingerprint when unrelated lines move it (GitLab then
    shows it as old, not new); another problem has another."""
    _, before, _ = _run("validate", "--format", "gitlab", "schemes/坏的 方案.yaml")
    (repo / "schemes" / "坏的 方案.yaml").write_text("# a comment moves everything down\n" + BROKEN,
                                                  encoding="utf-8")
    _, after, _ = _run("validate", "--format", "gitlab", "schemes/坏的 方案.yaml")
    first, second = json.loads(before), json.loads(after)
    assert [i["location"]["lines"]["begin"] for i in first] == [6, 6]
    assert [i["location"]["lines"]["begin"] for i in second] == [7, 7]
    assert [i["fingerprint"] for i in first] == [i["fingerprint"] for i in second]
    assert first[0]["fingerprint"] != first[1]["fingerprint"]
    assert [i["location"]["path"] for i in first] == ["schemes/坏的 方案.yaml"] * 2
    assert [(i["check_name"], i["severity"]) for i in first] == [("GS201", "major"),
                                                                  ("GS203", "major")]
