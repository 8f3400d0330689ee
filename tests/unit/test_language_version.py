"""The language-version gate (issue 11): language-2 keys under ``govscore: "1"`` are an error that
names the key, where it is and the fix; language-1 schemes load and score as before."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

import govscore
from govscore.errors import SchemeError
from govscore.language import model
from govscore.scheme import version

ROOT = Path(__file__).resolve().parents[2]
ALL_V2 = ROOT / "tests" / "language_v2" / "v2-all-keys.yaml"


def _marked_fields() -> set[str]:
    """Class.field of every key the models mark as language 2."""
    found: set[str] = set()
    stack: list[type[BaseModel]] = [model.Scheme]
    seen: set[type[BaseModel]] = set()
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        for name, info in cls.model_fields.items():
            if any(isinstance(m, model.Since) and m.version == "2" for m in info.metadata):
                found.add(f"{cls.__name__}.{name}")
            stack.extend(_models_in(info.annotation))
    return found


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _as_language_1(text: str) -> str:
    return text.replace('govscore: "2"', 'govscore: "1"', 1)


def test_every_language_2_key_under_language_1_is_named_with_its_place_and_the_fix():
    text = _as_language_1(ALL_V2.read_text(encoding="utf-8"))
    with pytest.raises(SchemeError) as info:
        govscore.load(text=text, name="old.yaml")
    gate = [d for d in info.value.diagnostics if d.code == "GS346"]
    assert [d for d in info.value.diagnostics if d.severity == "error"] == gate  # nothing else
    # every mark of the models is met once in the file (three shares "1/3": one criterion each)
    met = {f"{type(owner).__name__}.{where[-1]}" for owner, where in _owners(text)}
    assert met == _marked_fields()
    by_path = {"/".join(map(str, d.path)): d for d in gate}
    reads = by_path["score/children/0/children/1/reads"]
    assert reads.message == "key 'reads' is language 2, but the scheme declares govscore: \"1\""
    assert (reads.span.file, reads.span.line, reads.span.column) == ("old.yaml", 27, 47)
    assert reads.hint == ('declare govscore: "2" at the top of the file: language 2 scores '
                          "every language-1 scheme the same")
    kind = by_path["score/children/7/rule/kind"]  # a kind is named by its value, at the value
    assert kind.message.startswith("kind 'per_missing' is language 2")
    assert (kind.span.line, kind.span.column) == (64, 20)
    started = by_path["score/children/0/children/3/rule/partial"]
    assert started.message.startswith("'partial' with started_steps is language 2")
    assert len(gate) == 22  # 20 keys, kinds and values (units on a group and an item) + two more "1/3" shares


def _owners(text: str) -> list[tuple[BaseModel, tuple[str | int, ...]]]:
    """(the model that holds a marked key, the key's path) for each GS346 the gate gives."""
    scheme = govscore.load(text=text.replace('govscore: "1"', 'govscore: "2"', 1)).scheme
    out = []
    for diagnostic in version.problems(scheme.model_copy(update={"govscore": "1"})):
        owner: object = scheme
        for key in diagnostic.path[:-1]:
            owner = owner[key] if isinstance(owner, (list, dict)) else getattr(owner, str(key))
        assert isinstance(owner, BaseModel)
        out.append((owner, diagnostic.path))
    return out


def test_the_same_file_declaring_2_is_valid_and_needs_2():
    loaded = govscore.load(ALL_V2)
    assert version.problems(loaded.scheme) == []
    assert version.newest_used(loaded.scheme) == "2"


@pytest.mark.parametrize("path", sorted((ROOT / "schemes").glob("*.yaml")), ids=lambda p: p.name)
def test_language_1_schemes_load_and_score_the_same_under_either_version(path: Path):
    """The shipped schemes are language 1: they load under "1", and declaring "2" changes no
    score (language 2 reads every language-1 scheme the same)."""
    text = path.read_text(encoding="utf-8")
    assert 'govscore: "1"' in text
    one = govscore.load(text=text, name=path.name)
    assert version.newest_used(one.scheme) == "1"
    two = govscore.load(text=text.replace('govscore: "1"', 'govscore: "2"', 1), name=path.name)
    facts = govscore.read_facts(ROOT / "examples" / path.name.replace(".yaml", ".facts.yaml"))
    first = govscore.evaluate_all(govscore.compile(one), facts)
    second = govscore.evaluate_all(govscore.compile(two), facts)
    assert {u: r.total for u, r in first.results.items()} == \
        {u: r.total for u, r in second.results.items()}
    assert first.results  # the example facts score some units


def test_a_language_1_value_of_a_language_2_key_is_not_refused():
    """Only the new values are language 2: partial: whole_steps, a number default and a decimal
    share are language 1."""
    text = """\
govscore: "1"
id: old
title: 旧方案
source: {document: 测试细则}
version: "1"
score:
  id: root
  title: 总分
  children:
    - {id: s, title: 办结率, max: 5, rule: {kind: shortfall, target: 0.9, per: 1,
       partial: whole_steps}}
    - {id: n, title: 次数, max: 2, default: 0, rule: {kind: per_occurrence, per: 1}}
    - {id: c, title: 两项, max: 2, rule: {kind: checklist, criteria: [{id: a, title: 甲,
       share: 0.5}, {id: b, title: 乙, share: 0.5}]}}
"""
    loaded = govscore.load(text=text)
    assert version.newest_used(loaded.scheme) == "1"


def test_an_unknown_version_names_both_versions_in_its_hint():
    with pytest.raises(SchemeError) as info:
        govscore.load(text='govscore: "3"\nid: x\ntitle: x\nsource: {document: x}\n'
                      'version: "1"\nscore: {id: r, title: r, children: [{id: a, title: a, '
                      'max: 1, rule: {kind: pass_fail}}]}\n')
    (d,) = info.value.diagnostics
    assert d.path == ("govscore",)
    assert "'1' or '2'" in d.message
    assert d.hint is not None
    assert 'govscore: "2"' in d.hint
