"""The JSON Schema of scheme files, from the models (committed as schemes/govscore.schema.json)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from govscore.language import model

_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


class _SchemeSchema(GenerateJsonSchema):
    """Decimals are JSON numbers (a scheme never writes a number as a string), and every bound
    the models check is in the schema too (pydantic writes a validated number's bounds as ge/le/
    gt/lt beside it; they are renamed to JSON Schema's words), so an editor refuses what the
    loader refuses."""

    def decimal_schema(self, schema: core_schema.DecimalSchema) -> JsonSchemaValue:
        # bounds pydantic keeps inside the decimal's own schema (an item's max, which also
        # takes infinity for unbounded) are written too: max: -1 is refused by both
        out: JsonSchemaValue = {"type": "number"}
        for key in ("ge", "le", "gt", "lt"):
            bound = schema.get(key)
            if isinstance(bound, (Decimal, int, float)):
                out[_BOUNDS[key]] = int(bound) if bound == int(bound) else float(bound)
        return out

    def generate(self, schema: core_schema.CoreSchema, mode: Any = "validation") -> JsonSchemaValue:
        generated: JsonSchemaValue = _standard_bounds(super().generate(schema, mode))
        return generated


def _standard_bounds(node: Any) -> Any:
    if isinstance(node, dict):
        numeric = node.get("type") in ("number", "integer")
        return {(_BOUNDS.get(k, k) if numeric else k): _standard_bounds(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_standard_bounds(v) for v in node]
    return node


def json_schema() -> dict[str, Any]:
    schema = model.Scheme.model_json_schema(by_alias=True, mode="validation",
                                            schema_generator=_SchemeSchema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://govscore.invalid/schema/scheme-v1.json"
    schema["title"] = "govscore scheme (language 1 and 2)"
    item = schema["$defs"]["Item"]  # max, or unbounded: true instead (不设上限), not both
    item["required"] = [k for k in item["required"] if k != "max"]
    item["oneOf"] = [{"required": ["max"], "not": {"required": ["unbounded"],
                                                   "properties": {"unbounded": {"const": True}}}},
                     {"required": ["unbounded"], "properties": {"unbounded": {"const": True}},
                      "not": {"required": ["max"]}}]
    return schema
