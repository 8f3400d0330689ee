# Minimal stub: simpleeval ships no type information. Only what govscore/_expr.py uses.
import ast
from collections.abc import Callable
from typing import Any

class InvalidExpression(Exception): ...

class SimpleEval:
    def __init__(
        self,
        operators: dict[type, Callable[..., Any]] | None = ...,
        functions: dict[str, Callable[..., Any]] | None = ...,
        names: dict[str, Any] | None = ...,
        allowed_attrs: Any = ...,
    ) -> None: ...
    def eval(self, expr: str, previously_parsed: ast.AST | None = ...) -> Any: ...
    def _eval(self, node: ast.AST) -> Any: ...
