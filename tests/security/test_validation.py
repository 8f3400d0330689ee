"""Nothing foreign escapes: random and mutated scheme texts, random facts and hostile files give
govscore errors with codes (the public API) or an exit code 0/1/2 (the CLI). The JSON Schema and
the loader agree on what is invalid at the schema level."""

from __future__ import annotations

import io
import json
import random
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import govscore
from govscore import cli
from govscore.language import schema, yaml_reader

from .common import PATTERNS, ROOT, SHIPPED, only_govscore_errors, tiny, tiny_plan, unit

TEXTS = {p: p.read_text(encoding="utf-8") for p in SHIPPED}
PLANS = {p: govscore.compile(str(p)) for p in SHIPPED}
JUNK_LINES = [
    "\t", "- ", "&a", "*a", "? ", ": :", "{", "[", "]", '"', "'", "---", "...", "%YAML 1.1",
    "!!python/object/apply:os.system ['true']", "x: !!binary aGk=", "<<: *a", "a: &a [*a]",
    "max: .nan", "max: 1e999", "weight: -0.0", "places: 9999999", "kind: formula",
    "formula: \"__import__('os')\"", "formula: \"1/0\"", "id: 重复", "  - id: extra", "key: NO",
    "\x00", "\ufeff", "\u202e", "title: \"\\ud800\"", "— 全角：值",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A shipped scheme with a few lines deleted, duplicated, swapped, junked or renumbered."""
    path = draw(st.sampled_from(SHIPPED))
    lines = TEXTS[path].splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "junk", "number", "indent"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            a, b = lines[i].partition(":"), lines[j].partition(":")
            if a[1] and b[1]:
                lines[i], lines[j] = a[0] + ":" + b[2], b[0] + ":" + a[2]
        elif op == "junk":
            lines.insert(i, draw(st.one_of(st.sampled_from(JUNK_LINES), st.text(max_size=20))))
        elif op == "number":
            new = draw(st.sampled_from(["0", "-1", "100.005", "1e3", "0.1", "999999999999999",
                                        "NaN", ".inf", "3.0", "2.5"]))
            lines[i] = "".join(new if c.isdigit() else c for c in lines[i])
        else:
            lines[i] = " " * draw(st.integers(0, 6)) + lines[i].lstrip()
        if not lines:
            lines = [""]
    return "\n".join(lines) + "\n"


def _score_if_loaded(text: str, facts: list[Any]) -> None:
    loaded = govscore.load(text=text, name="mutated.yaml")
    plan = govscore.compile(loaded)
    result = govscore.evaluate_all(plan, facts)
    assert len(result.results) + len(result.rejected) == result.submitted
    for entry in facts[:2]:
        only_govscore_errors(lambda e=entry: govscore.evaluate(plan, e))


VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 200), st.text(max_size=6),
              st.decimals(min_value=-10, max_value=200, places=2),
              st.sampled_from([Decimal("NaN"), Decimal("Infinity"), Decimal("1E+999999"), 0.5,
                               float("nan"), "not_applicable", {"exempt": "x"},
                               {"not_applicable": "无"}, {"done": 1, "target": 0}])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)


def _facts_for(plan: govscore.Plan, draw: st.DrawFn) -> list[Any]:
    names = sorted(plan.specs)
    units = []
    for i in range(draw(st.integers(0, 4))):
        chosen = draw(st.lists(st.sampled_from([*names, "unknown"]), max_size=6))
        units.append({"id": draw(st.sampled_from([f"u{i}", "u0", "锦江区", "省科技厅"])),
                      "facts": {n: draw(VALUES) for n in chosen},
                      **({"category": draw(st.text(max_size=4))} if draw(st.booleans()) else {})})
    return units


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_schemes_and_random_facts(data: st.DataObject) -> None:
    """load → compile → evaluate_all/evaluate on mutated shipped schemes: only coded
    GovscoreErrors, and the counts add up whenever a batch runs."""
    text = data.draw(mutated())
    facts = _facts_for(PLANS[data.draw(st.sampled_from(SHIPPED))], data.draw)
    only_govscore_errors(lambda: _score_if_loaded(text, facts))
    only_govscore_errors(lambda: _check(text))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_facts_against_shipped_plans(data: st.DataObject) -> None:
    """Random facts (wrong types, NaN, huge, nested junk) against every shipped scheme: each
    unit is scored or rejected with coded problems; evaluate raises only GovscoreErrors."""
    path = data.draw(st.sampled_from(SHIPPED))
    plan = PLANS[path]
    facts = _facts_for(plan, data.draw)
    result = govscore.evaluate_all(plan, facts)
    assert len(result.results) + len(result.rejected) == len(facts)
    for r in result.rejected:
        assert all(d.code in govscore.CODES for d in r.diagnostics)
    for entry in facts[:2]:
        only_govscore_errors(lambda e=entry: govscore.evaluate(plan, e))


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200).map(
    lambda b: b.decode("latin-1"))))
def test_random_text_is_a_scheme_or_a_scheme_error(text: str) -> None:
    """Any text: a loaded scheme or a SchemeError whose diagnostics all carry codes."""
    only_govscore_errors(lambda: govscore.compile(govscore.load(text=text)))


def _check(text: str) -> list[govscore.Diagnostic]:
    path = _write(text)
    try:
        return govscore.check_file(path)
    finally:
        path.unlink()


def _write(text: str, suffix: str = ".yaml") -> Path:
    import tempfile

    handle = tempfile.NamedTemporaryFile("wb", suffix=suffix, delete=False)  # noqa: SIM115
    with handle:
        handle.write(text.encode("utf-8", "surrogatepass"))
    return Path(handle.name)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(), st.sampled_from(["validate", "score", "explain", "test"]),
       st.sampled_from([".yaml", ".json", ".csv"]), st.binary(max_size=80))
def test_cli_never_raises(text: str, command: str, facts_suffix: str, junk: bytes) -> None:
    """govscore.cli.run returns 0, 1 or 2 for mutated schemes and junk facts files."""
    scheme = _write(text)
    facts = _write("", facts_suffix)
    facts.write_bytes(random.Random(junk).choice([
        junk, b"units: []\n", b'{"units": [{"id": "u", "facts": {}}]}',
        b"id,a\nu,1\n", (ROOT / "examples/s3-chengdu.facts.yaml").read_bytes()]))
    argv = {"validate": ["validate", str(scheme)], "test": ["test", str(scheme)],
            "score": ["score", str(scheme), str(facts)],
            "explain": ["explain", str(scheme), str(facts), "--unit", "u"]}[command]
    try:
        code = cli.run(argv, io.StringIO(), io.StringIO())
    finally:
        scheme.unlink()
        facts.unlink()
    assert code in (0, 1, 2)


# --------------------------------------------------------------------- foreign-exception bugs

def test_lone_surrogate_in_facts_is_rejected_not_raised() -> None:
    result = govscore.evaluate_all(tiny_plan("a"), [unit("\ud800", a=1), unit("ok", a=1)])
    assert set(result.results) == {"ok"}


def test_deeply_nested_facts_are_rejected_not_raised() -> None:
    deep: Any = 1
    for _ in range(5000):
        deep = [deep]
    result = govscore.evaluate_all(tiny_plan("a"), [unit("deep", a=deep), unit("ok", a=1)])
    assert set(result.results) == {"ok"}


def test_cli_score_with_surrogate_in_json_facts(tmp_path: Path) -> None:
    scheme = tmp_path / "s.yaml"
    scheme.write_text(tiny("a"), encoding="utf-8")
    facts = tmp_path / "f.json"
    facts.write_text('{"units": [{"id": "\\ud800", "facts": {"a": 1}}]}', encoding="utf-8")
    assert cli.run(["score", str(scheme), str(facts)], io.StringIO(), io.StringIO()) in (1, 2)


def test_cli_score_with_alias_cycle_in_facts(tmp_path: Path) -> None:
    """A facts file with an alias cycle used to raise RecursionError out of cli.run."""
    scheme = tmp_path / "s.yaml"
    scheme.write_text(tiny("a"), encoding="utf-8")
    facts = tmp_path / "f.yaml"
    facts.write_text("units: &u [*u]\n", encoding="utf-8")
    err = io.StringIO()
    assert cli.run(["score", str(scheme), str(facts)], io.StringIO(), err) == 2
    assert "GS108" in err.getvalue()


# ---------------------------------------------------------------- JSON Schema ⇔ the loader

VALIDATOR = jsonschema.Draft202012Validator(schema.json_schema())


def _as_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value


def _schema_invalid(text: str) -> bool:
    return any(True for _ in VALIDATOR.iter_errors(_as_json(yaml_reader.parse(text, "x").data)))


def _loader_invalid(text: str) -> bool:
    """Invalid at the schema level: the reader or the models (GS1xx/GS2xx), not the checks."""
    diagnostics = _check(text)
    return any(d.code.startswith(("GS1", "GS2")) and d.severity == "error" for d in diagnostics)


BASE = tiny("a")
INVALID = {
    "places 2.5 (decimal where whole)": ("places: 2", "places: 2.5"),
    "rounding unknown": ("rounding: half_up", "rounding: up"),
    "extra key at top": ('version: "1"', 'version: "1"\ncolour: red'),
    "extra key in precision": ("places: 2,", "places: 2, colour: red,"),
    "extra key in input": ("id: a, title: A,", "id: a, colour: red, title: A,"),
    "extra key in item": ("      max: 100\n      rule", "      max: 100\n      colour: red\n      rule"),
    "extra key in rule": ("kind: formula,", "kind: formula, colour: red,"),
    "title a number": ("title: 安全测试", "title: 12"),
    "title empty": ("title: 安全测试", 'title: ""'),
    "max as text": ("max: 100\n  children", 'max: "100"\n  children'),
    "max a boolean": ("max: 100\n  children", "max: true\n  children"),
    "max NaN (ambiguous scalar)": ("max: 100\n  children", "max: .nan\n  children"),
    "children a mapping": ("  children:\n", "  children: {}\n  x:\n"),
    "inputs a mapping": ("inputs:\n", "inputs: {}\nx:\n"),
    "precision a number": ("precision: {places: 2, rounding: half_up}", "precision: 2"),
    "language version a number": ('govscore: "1"', "govscore: 1"),
    "language version 3": ('govscore: "1"', 'govscore: "3"'),  # 1 and 2 exist (issue 11)
    "period unknown": ('version: "1"', 'version: "1"\nperiod: decade'),
    "unknown rule kind": ("kind: formula", "kind: nosuch"),
    "id with a space": ("id: tiny", "id: t iny"),
    "id with a slash": ("id: a, title: A,", "id: a/b, title: A,"),
    "missing title": ("title: 安全测试\n", ""),
    "missing score": ("score:", "scoreless:"),
    "input type unknown": ("type: number, min: 0, max: 1000}", "type: decimal, min: 0, max: 1000}"),
    "formula empty": ('formula: "a"', 'formula: ""'),
    "formula a number": ('formula: "a"', "formula: 5"),
    "id too long": ("id: tiny", "id: " + "x" * 65),
}


@pytest.mark.parametrize("name", list(INVALID))
def test_json_schema_and_loader_agree_on_invalid(name: str) -> None:
    old, new = INVALID[name]
    assert old in BASE
    text = BASE.replace(old, new, 1)
    assert _loader_invalid(text) == _schema_invalid(text) is True, name


BOUNDS = {
    "places 7 (above 6)": ("places: 2", "places: 7"),
    "places -1": ("places: 2", "places: -1"),
    "max negative": ("max: 100\n  children", "max: -5\n  children"),
}


@pytest.mark.parametrize("name", list(BOUNDS))
def test_json_schema_carries_numeric_bounds(name: str) -> None:
    old, new = BOUNDS[name]
    assert old in BASE
    text = BASE.replace(old, new, 1)
    assert _loader_invalid(text)
    assert _schema_invalid(text)


def test_json_schema_and_loader_agree_on_valid() -> None:
    assert not _loader_invalid(BASE)
    assert not _schema_invalid(BASE)
    for path in [*SHIPPED, *PATTERNS]:
        text = path.read_text(encoding="utf-8")
        assert not _schema_invalid(text), path
        assert not _loader_invalid(text), path


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(mutated())
def test_json_schema_and_loader_agree_on_mutants(text: str) -> None:
    """On mutated shipped schemes that still parse as YAML: if the loader finds a model-level
    (GS2xx) problem other than a cross-field rule, jsonschema finds one too, and vice versa."""
    try:
        yaml_reader.parse(yaml_reader.decode(text.encode("utf-8", "surrogatepass"), "x"), "x")
    except yaml_reader.YamlError:
        assume(False)
    diagnostics = _check(text)
    reader = any(d.code.startswith("GS1") for d in diagnostics)
    assume(not reader)  # YAML-level refusals (ambiguous scalars, tags) are the reader's
    cross_field = any(d.code == "GS205" for d in diagnostics)
    assume(not cross_field)  # model validators across fields: beyond JSON Schema
    too_big = any(d.code == "GS204" and "numbers in a scheme are below" in d.message
                  for d in diagnostics)
    assume(not too_big)  # magnitude and significant digits: the loader's, not JSON Schema's
    loader = any(d.code.startswith("GS2") for d in diagnostics)
    assert loader == _schema_invalid(text), [str(d) for d in diagnostics]


def test_committed_schema_matches_the_cli() -> None:
    out = io.StringIO()
    assert cli.run(["schema"], out, io.StringIO()) == 0
    committed = json.loads((ROOT / "schemes/govscore.schema.json").read_text(encoding="utf-8"))
    assert json.loads(out.getvalue()) == committed


# ------------------------------------------------------------------------------- simpleeval

KNOWN_ESCAPES = ["0.9.13", "1.0.0", "1.0.3", "1.0.4"]  # CVE-2026-32640 / GHSA-44vg-5wv2-h2hg


def test_installed_simpleeval_has_the_fixes() -> None:
    from importlib.metadata import version

    from packaging.version import Version

    assert Version(version("simpleeval")) >= Version("1.0.5")


def test_pinned_range_excludes_versions_with_known_escapes() -> None:
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (req,) = [Requirement(r) for r in project["dependencies"] if r.startswith("simpleeval")]
    assert not any(req.specifier.contains(v) for v in KNOWN_ESCAPES), str(req.specifier)
