"""The JSON Schema of scheme files, from the models (committed as schemes/govscore.schema.json)."""

from __future__ import annotations

from typing import Any

from govscore import model


def json_schema() -> dict[str, Any]:
    schema = model.Scheme.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://govscore.invalid/schema/scheme-v1.json"
    schema["title"] = "govscore scheme (language v1)"
    return schema
