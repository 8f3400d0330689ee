"""docs/reference/scheme.md is generated from the models and must not drift from them."""

from __future__ import annotations

import difflib
from pathlib import Path

from govscore.language import docgen, model

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "reference" / "scheme.md"


def test_reference_is_up_to_date() -> None:
    """The committed page equals what the generator produces from the current models."""
    expected = docgen.scheme_reference()
    actual = REFERENCE.read_text(encoding="utf-8") if REFERENCE.exists() else ""
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            actual.splitlines(keepends=True), expected.splitlines(keepends=True),
            "docs/reference/scheme.md (committed)", "scheme_reference() (generated)", n=1))
        lines = diff.splitlines()
        shown = "\n".join(lines[:60]) + ("\n…" if len(lines) > 60 else "")
        raise AssertionError(
            "docs/reference/scheme.md is out of date with src/govscore/language/model.py.\n"
            f"Regenerate it with:\n\n    {docgen.REGENERATE}\n\nand commit the result.\n\n{shown}")


def test_reference_is_deterministic() -> None:
    """Two runs give the same text (no set or dict-order accidents, no addresses)."""
    first = docgen.scheme_reference()
    assert first == docgen.scheme_reference()
    assert " at 0x" not in first


def _models(root: type) -> set[type]:
    """``root`` and all its subclasses, recursively."""
    out = {root}
    for sub in root.__subclasses__():
        out |= _models(sub)
    return out


def test_every_model_and_key_is_documented() -> None:
    """Every model of the language has a section, and every key of it appears in its table."""
    text = docgen.scheme_reference()
    for cls in sorted(_models(model.Model) - {model.Model, model._Node},
                      key=lambda c: c.__name__):
        assert f'<a id="{cls.__name__.lower()}"></a>' in text, f"{cls.__name__} has no section"
        section = text.split(f'<a id="{cls.__name__.lower()}"></a>', 1)[1].split("<a id=", 1)[0]
        for name, info in cls.model_fields.items():
            key = info.alias or name
            assert f"| `{key}` |" in section, f"{cls.__name__}.{key} is missing"


def test_every_rule_kind_is_named() -> None:
    """Each rule kind and modifier kind appears with its `kind` value."""
    text = docgen.scheme_reference()
    for alias in (model.Rule, model.Modifier):
        for cls in docgen._union_members(alias):
            assert f"(kind: {docgen._kind(cls)})" in text
