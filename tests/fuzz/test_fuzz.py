"""Hypothesis fuzzers over schemes, facts and formulas (see README.md: a short CI profile, a long
local mode). Each target states what every outcome must be in tests/fuzz/doors.py."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govscore import textsafe
from tests.security.common import SHIPPED, tiny

from .doors import EXAMPLES, facts_door, formula_door, scheme_door

FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

NASTY = ["=1+1", "+1", "-0", "@x", "\t", "\r", "\x1b[2J", "\u202e", "\u200b", "Ｕ1", "1e3", "1E+999999",
         "85%", "27。5", "NaN", "inf", "#N/A", "007", ".5", "1,000", "是", "TRUE", "\ud800", "😀",
         "9" * 40, "'=x", '"', ",", "\n", "；", "０.５", "-", "%", "e", "0x1F"]
"""Cells and values that broke, or nearly broke, some reader: the fuzzers mix them in."""

cell = st.one_of(st.sampled_from(NASTY), st.text(max_size=12),
                 st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str))


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(["U1", "U2", "Ｕ1", " U1", "=U", "U\u200b", "u"]), cell,
                          cell), min_size=0, max_size=8),
       st.sampled_from(["id,a,b", "id,a", "unit,fact,value", "id,a.x,a", "a,b"]))
def test_csv_facts(tmp_path_factory, rows, header):
    path = tmp_path_factory.mktemp("f") / "f.csv"
    lines = [header] + [",".join(json.dumps(c, ensure_ascii=False) if isinstance(c, str) and
                                  ("," in c or "\n" in c or '"' in c) else str(c) for c in row)
                        for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    facts_door(path)


@FUZZ
@given(st.lists(st.fixed_dictionaries({"id": st.one_of(st.sampled_from(NASTY), st.text(max_size=6)),
                                       "facts": st.dictionaries(st.sampled_from(["a", "b", "p", "x"]),
                                                                cell, max_size=3)}),
                max_size=6), st.sampled_from(["json", "yaml"]))
def test_json_and_yaml_facts(tmp_path_factory, units, kind):
    path = tmp_path_factory.mktemp("f") / f"f.{kind}"
    text = json.dumps({"units": units}, ensure_ascii=False)  # JSON is YAML too
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    facts_door(path)


@st.composite
def mutated_scheme(draw: st.DrawFn) -> str:
    lines = (draw(st.sampled_from(SHIPPED)).read_text(encoding="utf-8").splitlines()
             if draw(st.booleans()) else tiny().splitlines())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "dup", "junk", "number", "indent"]))
        if action == "drop":
            del lines[at]
        elif action == "dup":
            lines.insert(at, lines[at])
        elif action == "junk":
            lines.insert(at, draw(st.sampled_from(NASTY)) * draw(st.integers(1, 300)))
        elif action == "number":
            lines[at] = re.sub(r"\d+(\.\d+)?", draw(st.sampled_from(NASTY)), lines[at], count=1)
        else:
            lines[at] = "  " + lines[at]
        if not lines:
            lines = ["x"]
    return "\n".join(lines)


@FUZZ
@given(mutated_scheme())
def test_mutated_schemes(text):
    scheme_door(text)


@FUZZ
@given(st.text(max_size=300))
def test_random_scheme_text(text):
    scheme_door(text)


TOKENS = ["a", "b", "p", "1", "0", "2.5", "-", "+", "*", "/", "//", "%", "**", "(", ")", " ",
          "min(", "max(", "round(", "abs(", ",", "<", ">=", "==", " and ", " or ", "not ",
          " if ", " else ", "9" * 20, "1e3", "_x", "__import__", ".real", "[0]", "'s'", "ｔ"]


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join),
       st.dictionaries(st.sampled_from(["a", "b"]),
                       st.decimals(allow_nan=False, allow_infinity=False, places=4,
                                   min_value=Decimal(-10**6), max_value=Decimal(10**6)),
                       max_size=2))
def test_formulas(text, env):
    formula_door(text, dict(env))


@FUZZ
@given(st.text())
def test_text_safety_rules(text):
    cell_out = textsafe.csv_cell(text)
    assert isinstance(cell_out, str)
    assert not cell_out.startswith(textsafe.CSV_TRIGGERS)
    shown = textsafe.terminal(text, one_line=True)
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", shown)
    shown.encode("utf-8")  # lone surrogates escaped too
    assert len(textsafe.excerpt(text)) <= 4 * textsafe.MAX_EXCERPT + 40
    if textsafe.id_problem(text) is None:
        assert textsafe.id_key(text) == textsafe.id_key(textsafe.id_key(text))


def test_profile_is_short_in_ci():
    # the CI profile stays a few dozen examples per target (README.md); a long run sets more
    assert EXAMPLES >= 1
    assert Path(__file__).with_name("README.md").exists()
