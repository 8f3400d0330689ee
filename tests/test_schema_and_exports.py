"""The committed JSON Schema is current and every shipped scheme validates against it with the
jsonschema package as well as with the models; the public API is exactly __all__."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import govscore
from govscore.language import schema, yaml_reader

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "schemes" / "govscore.schema.json"
SHIPPED = sorted((ROOT / "schemes").glob("*.yaml"))


def test_committed_schema_is_current():
    current = schema.json_schema()
    assert json.loads(COMMITTED.read_text(encoding="utf-8")) == current, (
        "schemes/govscore.schema.json is stale: run `govscore schema > schemes/govscore.schema.json`")


def _as_json(value):
    """The loader's data as JSON would carry it (decimals as numbers)."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scheme_validates_with_jsonschema_and_models(path):
    data = yaml_reader.parse(path.read_text(encoding="utf-8"), str(path)).data
    validator = jsonschema.Draft202012Validator(schema.json_schema())
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(_as_json(data))]
    assert errors == []
    assert [d for d in govscore.check_file(path) if d.severity == "error"] == []


def test_every_scheme_starts_with_the_editor_schema_line():
    for path in SHIPPED:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=govscore.schema.json", path


def test_public_api_is_all():
    assert len(set(govscore.__all__)) == len(govscore.__all__)
    import pkgutil

    submodules = {m.name for m in pkgutil.iter_modules(govscore.__path__)}
    public = {n for n in dir(govscore)
              if not n.startswith(("_", "@")) and n not in submodules and n != "annotations"}
    assert public <= set(govscore.__all__)
    for name in govscore.__all__:
        assert hasattr(govscore, name), name
