"""The CI recipes of docs/integrations.md (and its Chinese twin) are real: each is read as YAML, and
every govscore and pytest command it contains is run in a copy of this repository's schemes/, as
the CI job would run it there. The SARIF log it writes is checked against the SARIF 2.1.0 schema and
the JUnit report is read back. With a broken scheme added, the checking steps fail and the SARIF log
is still written, with the problem in it.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from govscore.cli import run

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "docs" / "integrations.md", ROOT / "docs" / "integrations.zh.md"]
SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))
_RECIPE = re.compile(r"<!--\s*recipe:\s*(?P<name>\w+)\s*-->\s*\n(?:<!--.*?-->\s*\n)*```yaml\n"
                     r"(?P<body>.*?)\n```", re.S)
BROKEN = ('govscore: "1"\nid: x\ntitle: t\nsource: {document: d}\nversion: "1"\n'
          "score: {id: r, title: r, weigth: 1, children: [{id: a, title: a, max: \"5\","
          " rule: {kind: pass_fail}}]}\n")


def recipes(page: Path) -> dict[str, Any]:
    found = {m["name"]: yaml.safe_load(m["body"])
             for m in _RECIPE.finditer(page.read_text(encoding="utf-8"))}
    assert set(found) == {"github", "gitlab"}, f"{page.name}: recipes {sorted(found)}"
    return found


def github_commands(workflow: dict[Any, Any]) -> list[str]:
    # PyYAML reads the key 'on' as YAML 1.1's True, as GitHub's own parser does not
    assert "on" in workflow or True in workflow
    [job] = workflow["jobs"].values()
    return [line for step in job["steps"] if "run" in step
            for line in str(step["run"]).splitlines() if line.strip()]


def gitlab_commands(pipeline: dict[str, Any]) -> list[str]:
    [job] = pipeline.values()
    return [str(line) for line in job["script"]]


@dataclass
class Ran:
    command: str
    code: int
    output: str


def run_command(line: str, cwd: Path) -> Ran | None:
    """One line of a recipe, as its shell would run it: ``pip install`` is not run (govscore is
    installed here); ``> FILE`` writes stdout to FILE; ``|| true`` makes any exit a success."""
    command = line.split("#", maxsplit=1)[0].strip()
    if command.startswith("pip install"):
        return None
    forgiving = command.endswith("|| true")
    argv = shlex.split(command.removesuffix("|| true"))
    target = None
    if ">" in argv:
        at = argv.index(">")
        argv, target = argv[:at], argv[at + 1]
    if argv[0] == "govscore":
        out, err = StringIO(), StringIO()
        code = run(argv[1:], out, err)
        stdout, output = out.getvalue(), out.getvalue() + err.getvalue()
    elif argv[0] == "pytest":
        done = subprocess.run([sys.executable, "-m", *argv], cwd=cwd, capture_output=True,
                              text=True, timeout=600, check=False)
        code, stdout, output = done.returncode, done.stdout, done.stdout + done.stderr
    else:
        pytest.fail(f"a recipe runs {argv[0]!r}; the test knows govscore, pytest and pip")
    if target is not None:
        (cwd / target).write_text(stdout, encoding="utf-8")
    return Ran(command, 0 if forgiving else code, output)


@pytest.fixture
def repository(tmp_path, monkeypatch) -> Path:
    """A checkout: this repository's schemes and their tests."""
    shutil.copytree(ROOT / "schemes", tmp_path / "schemes",
                    ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_both_pages_carry_the_same_commands():
    english, chinese = (recipes(page) for page in PAGES)
    assert github_commands(english["github"]) == github_commands(chinese["github"])
    assert gitlab_commands(english["gitlab"]) == gitlab_commands(chinese["gitlab"])
    assert english["gitlab"] == chinese["gitlab"]


def test_the_github_workflow_runs_and_uploads_a_valid_sarif_log(repository):
    workflow = recipes(PAGES[0])["github"]
    ran = [r for line in github_commands(workflow) if (r := run_command(line, repository))]
    assert [r.command.split()[1] for r in ran] == ["validate", "test", "validate"]
    for r in ran:
        assert r.code == 0, f"{r.command} failed:\n{r.output[-3000:]}"
    [upload] = [s for s in next(iter(workflow["jobs"].values()))["steps"]
                if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")]
    log = json.loads((repository / upload["with"]["sarif_file"]).read_text(encoding="utf-8"))
    assert list(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(log)) == []
    # the shipped schemes: one warning (s3's cap 30 on the bonus, which the text states)
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["GS303"]
    assert workflow["permissions"]["security-events"] == "write"


def test_the_github_workflow_fails_on_a_broken_scheme_and_still_writes_the_log(repository):
    (repository / "schemes" / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    workflow = recipes(PAGES[0])["github"]
    ran = [r for line in github_commands(workflow) if (r := run_command(line, repository))]
    check = ran[0]
    assert check.code == 1
    assert "::error file=schemes/broken.yaml,line=6,col=26,title=GS201::GS201 " in check.output
    log = json.loads((repository / "govscore.sarif").read_text(encoding="utf-8"))
    assert list(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(log)) == []
    broken = [r for r in log["runs"][0]["results"]
              if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
              == "schemes/broken.yaml"]
    assert [r["ruleId"] for r in broken] == ["GS201", "GS203"]


def check_code_quality(report: Any) -> None:
    """The fields GitLab's code quality report needs, in their types and values."""
    assert isinstance(report, list)
    for issue in report:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert isinstance(issue["location"]["path"], str)
        assert not issue["location"]["path"].startswith("/")  # relative to the checkout
        assert isinstance(issue["location"]["lines"]["begin"], int)
    fingerprints = [issue["fingerprint"] for issue in report]
    assert len(set(fingerprints)) == len(fingerprints)


def test_the_gitlab_job_runs_and_gives_both_reports(repository):
    pipeline = recipes(PAGES[0])["gitlab"]
    ran = [r for line in gitlab_commands(pipeline) if (r := run_command(line, repository))]
    assert [r.command.split()[0:2] for r in ran] == [
        ["govscore", "validate"], ["govscore", "validate"], ["pytest", "schemes/"]]
    for r in ran:
        assert r.code == 0, f"{r.command} failed:\n{r.output[-3000:]}"
    [job] = pipeline.values()
    reports = job["artifacts"]["reports"]
    quality = json.loads((repository / reports["codequality"]).read_text(encoding="utf-8"))
    check_code_quality(quality)
    # the shipped schemes: one warning (s3's cap 30 on the bonus, which the text states)
    assert [(i["check_name"], i["severity"], i["location"]["path"]) for i in quality] == [
        ("GS303", "minor", "schemes/s3-chengdu.yaml")]
    report = ET.parse(repository / reports["junit"]).getroot()
    suite = report if report.tag == "testsuite" else report.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    shipped = sum(len(yaml.safe_load(f.read_text(encoding="utf-8"))["cases"])
                  for f in (ROOT / "schemes" / "tests").glob("*.test.yaml"))
    assert len(cases) == int(suite.get("tests", -1)) == shipped  # one test per case
    assert (suite.get("failures"), suite.get("errors")) == ("0", "0")
    files = {c.get("classname", "") for c in cases}
    assert {f"schemes.tests.{name}.test.yaml" for name in ("s3-chengdu", "s4-anhui")} <= files


def test_the_gitlab_job_fails_on_a_broken_scheme_and_reports_it(repository):
    (repository / "schemes" / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    pipeline = recipes(PAGES[0])["gitlab"]
    ran = [r for line in gitlab_commands(pipeline)
           if line.startswith("govscore") and (r := run_command(line, repository))]
    assert [r.code for r in ran] == [0, 1]  # the report is written; the check fails the job
    assert "schemes/broken.yaml:6:26: GS201 " in ran[1].output
    [job] = pipeline.values()
    quality = json.loads((repository / job["artifacts"]["reports"]["codequality"])
                         .read_text(encoding="utf-8"))
    check_code_quality(quality)
    broken = [i for i in quality if i["location"]["path"] == "schemes/broken.yaml"]
    assert [(i["check_name"], i["severity"], i["location"]["lines"]["begin"]) for i in broken] == [
        ("GS201", "major", 6), ("GS203", "major", 6)]
    assert broken[0]["description"].startswith("GS201 unknown key 'weigth'")


def test_the_float_message_the_page_shows_is_the_one_given():
    pd = pytest.importorskip("pandas", reason="pandas is not installed (pip install pandas)")
    import govscore

    with pytest.raises(govscore.FactsFileError) as exc:
        govscore.read_frame(pd.DataFrame({"id": ["一中"], "a": [2.675], "b": [1]}))
    message = exc.value.diagnostics[0].message
    for page in PAGES:
        shown = re.search(r"```text\n(column B \(a\).*?)\n```", page.read_text(encoding="utf-8"), re.S)
        assert shown is not None, page.name
        assert shown.group(1) == message, page.name
