"""Generate ``docs/reference/scheme.md`` from the scheme language's pydantic models.

The reference is built only from what the models say about themselves: class docstrings, field
names (or aliases), annotations, constraints, defaults and attribute docstrings
(``use_attribute_docstrings=True`` puts them in ``FieldInfo.description``). A test compares the
committed page with :func:`scheme_reference`, so the page cannot drift from the code. Regenerate
it with::

    python -m govscore.language.docgen > docs/reference/scheme.md

Nothing here runs at import time; the output is deterministic (it depends only on the models).
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from govscore.language import model

REGENERATE = "python -m govscore.language.docgen > docs/reference/scheme.md"

_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


@dataclass
class _Facts:
    """What an annotation's metadata says about a type: bounds, lengths, pattern, description."""

    ge: Any = None
    gt: Any = None
    le: Any = None
    lt: Any = None
    min_length: int | None = None
    pattern: str | None = None
    description: str | None = None
    discriminator: Any = None
    extra: list[str] = field(default_factory=list)

    def absorb(self, items: Iterable[object]) -> None:
        for item in items:
            if isinstance(item, FieldInfo):
                if item.description and self.description is None:
                    self.description = item.description
                if item.discriminator is not None:
                    self.discriminator = item.discriminator
                self.absorb(item.metadata)
            elif isinstance(item, annotated_types.Ge):
                self.ge = item.ge
            elif isinstance(item, annotated_types.Gt):
                self.gt = item.gt
            elif isinstance(item, annotated_types.Le):
                self.le = item.le
            elif isinstance(item, annotated_types.Lt):
                self.lt = item.lt
            elif isinstance(item, annotated_types.MinLen):
                self.min_length = item.min_length
            else:
                pattern = getattr(item, "pattern", None)
                if isinstance(pattern, str):
                    self.pattern = pattern
                discriminator = getattr(item, "discriminator", None)
                if discriminator is not None:
                    self.discriminator = discriminator


def _rst_to_md(text: str) -> str:
    """Docstrings use reStructuredText literals (````x````); Markdown uses single backticks."""
    return text.replace("``", "`")


def _one_line(text: str) -> str:
    """Collapse a docstring into one table cell: paragraphs joined, pipes escaped."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip())]
    return _rst_to_md("<br>".join(p for p in paragraphs if p)).replace("|", "\\|")


def _anchor(cls: type[BaseModel]) -> str:
    return cls.__name__.lower()


def _link(cls: type[BaseModel]) -> str:
    return f"[{_title(cls)}](#{_anchor(cls)})"


def _kind(cls: type[BaseModel]) -> str | None:
    """The ``kind`` value that selects this model inside a discriminated union, if any."""
    info = cls.model_fields.get("kind")
    if info is None:
        return None
    args = get_args(info.annotation)
    if get_origin(info.annotation) is Literal and len(args) == 1:
        return str(args[0])
    return None


def _title(cls: type[BaseModel]) -> str:
    kind = _kind(cls)
    return f"{cls.__name__} (kind: {kind})" if kind else cls.__name__


def _is_none(tp: object) -> bool:
    return tp is type(None)


def _is_model(tp: object) -> typing.TypeGuard[type[BaseModel]]:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _strip(tp: object, facts: _Facts) -> object:
    """Unwrap ``Annotated`` layers, collecting their metadata into ``facts``."""
    while get_origin(tp) is typing.Annotated:
        base, *meta = get_args(tp)
        facts.absorb(meta)
        tp = base
    return tp


def _union_args(tp: object) -> tuple[object, ...] | None:
    origin = get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return get_args(tp)
    return None


def _num(value: object) -> str:
    return str(value)


def _range(facts: _Facts) -> str:
    low = f"≥ {_num(facts.ge)}" if facts.ge is not None else (
        f"> {_num(facts.gt)}" if facts.gt is not None else "")
    high = f"≤ {_num(facts.le)}" if facts.le is not None else (
        f"< {_num(facts.lt)}" if facts.lt is not None else "")
    if facts.ge is not None and facts.le is not None:
        return f"{_num(facts.ge)}..{_num(facts.le)}"
    return ", ".join(p for p in (low, high) if p)


def _scalar_name(tp: object, facts: _Facts) -> str:
    if tp is Decimal:
        base = "number"
    elif tp is int:
        base = "whole number"
    elif tp is bool:
        return "true/false"
    elif tp is str:
        if facts.pattern == model.ID_PATTERN:
            return "[id](#identifiers)"
        if facts.pattern == _DATE_PATTERN:
            return "date (YYYY-MM-DD)"
        if facts.description and facts.description.startswith("A formula"):
            return "[formula](#formulas)"
        return "text"
    elif tp is Any:
        return "any"
    else:
        return getattr(tp, "__name__", str(tp))
    bounds = _range(facts)
    return f"{base} {bounds}" if bounds else base


def type_name(annotation: object, metadata: Iterable[object] = (),
              description: str | None = None) -> str:
    """A short, readable name for a field's type: ``number ≥ 0``, ``list of [Band](#band)``…"""
    facts = _Facts(description=description)
    facts.absorb(metadata)
    tp = _strip(annotation, facts)
    members = _union_args(tp)
    if members is not None:
        kept = [m for m in members if not _is_none(m)]
        inner = [_strip(m, _Facts()) for m in kept]
        if facts.discriminator is not None or (
                len(inner) > 1 and all(_is_model(m) for m in inner)):
            if all(_is_model(m) and _kind(m) for m in inner):
                section = _UNION_SECTIONS.get(frozenset(inner))  # type: ignore[arg-type]
                if section is not None:
                    return f"a [{section[0]}](#{section[1]}) (chosen by `kind`)"
            return " or ".join(_link(m) for m in inner if _is_model(m))
        parts = [type_name(m) for m in kept]
        return " or ".join(parts)
    origin = get_origin(tp)
    if origin is Literal:
        return " \\| ".join(_literal(v) for v in get_args(tp))
    if origin is list:
        (item,) = get_args(tp)
        text = f"list of {type_name(item)}"
        if facts.min_length:
            text += f" (at least {facts.min_length})"
        return text
    if origin is dict:
        key, value = get_args(tp)
        text = f"mapping of {type_name(key)} → {type_name(value)}"
        if facts.min_length:
            text += f" (at least {facts.min_length} entry)"
        return text
    if _is_model(tp):
        return _link(tp)
    return _scalar_name(tp, facts)


def _literal(value: object) -> str:
    """A literal as written in YAML: text that would read as a number or boolean is quoted."""
    text = str(value)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9.]+|true|false|null", text):
        return f'`"{text}"`'
    return f"`{text}`"


def _alias_descriptions() -> frozenset[str]:
    """Descriptions that belong to a type alias (Id, IsoDate, Expr), not to a field: the Type
    column already says them, so the Meaning column leaves them out."""
    out: set[str] = set()
    for alias in (model.Id, model.IsoDate, model.Expr):
        facts = _Facts()
        _strip(alias, facts)
        if facts.description:
            out.add(facts.description)
    return frozenset(out)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    if info.default_factory is not None:
        return "(computed)"
    value = info.default
    if value is None or value is PydanticUndefined:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, BaseModel):
        return "`{}` (all defaults)" if not value.model_fields_set else f"`{value!r}`"
    if isinstance(value, (list, dict)) and not value:
        return "`[]`" if isinstance(value, list) else "`{}`"
    return f"`{value}`"


def _description(info: FieldInfo) -> str:
    """The field's own attribute docstring (a type alias's description is left out)."""
    if info.description and info.description not in _alias_descriptions():
        return _one_line(info.description)
    return ""


def _since(info: FieldInfo) -> str:
    """*Language 2.* for a key (or some of its values) a scheme must declare ``govscore: "2"``
    to write (:class:`model.Since`)."""
    for mark in info.metadata:
        if isinstance(mark, model.Since):
            values = f" ({mark.what})" if mark.what else ""
            return f" *Language {mark.version}{values}.*"
    return ""


def _referenced(annotation: object) -> Iterator[type[BaseModel]]:
    """Every model mentioned in an annotation, in the order written."""
    tp = _strip(annotation, _Facts())
    if _is_model(tp):
        yield tp
        return
    for arg in get_args(tp):
        if isinstance(arg, (type, types.GenericAlias)) or get_origin(arg) is not None:
            yield from _referenced(arg)


def _union_members(alias: object) -> list[type[BaseModel]]:
    tp = _strip(alias, _Facts())
    return [m for m in (_strip(a, _Facts()) for a in get_args(tp)) if _is_model(m)]


_RULE_KINDS = _union_members(model.Rule)
_MODIFIERS = _union_members(model.Modifier)
_UNION_SECTIONS: dict[frozenset[type[BaseModel]], tuple[str, str]] = {
    frozenset(_RULE_KINDS): ("rule kind", "rule-kinds"),
    frozenset(_MODIFIERS): ("modifier", "modifiers"),
}

# Sections in reading order. Each lists its root models; models reachable from a root that no
# earlier section placed and that are not another section's root follow it in the same section.
_SECTIONS: list[tuple[str, str, str, list[type[BaseModel]]]] = [
    ("The scheme file", "the-scheme-file",
     "The top-level keys of a scheme file.", [model.Scheme]),
    ("Metadata", "metadata", "Where the rules come from, when they apply, how scores are "
     "rounded, and what the scheme assumes.",
     [model.Source, model.Effective, model.Precision, model.Assumption]),
    ("Units and inputs", "units-and-inputs", "Kinds of unit, tiers, and facts that are not an "
     "item's own value.", [model.Category, model.Tier, model.Input]),
    ("Nodes: groups and items", "nodes", "The score tree under `score`. A mapping with "
     "`children` is a group; a mapping with `rule` is an item.",
     [model.Group, model.Item, model.Gate, model.Limit]),
    ("Rule kinds", "rule-kinds", "What an item's fact is turned into. Every rule has a `kind`; "
     "the item's value is always bounded to 0..`max` afterwards.", _RULE_KINDS),
    ("Modifiers", "modifiers", "Entries of an item's `modifiers` list. Each has a `kind`.",
     _MODIFIERS),
    ("After the total: vetoes, outputs, ranking, grades, awards", "after-the-total",
     "Population steps run over all units of one assessment.",
     [model.Veto, model.Condition, model.Output, model.Ranking, model.TieBreaker, model.Grades,
      model.GradeBand, model.GradeQuota, model.Award, model.Eligibility]),
]


def _reachable(root: type[BaseModel],
               stop: frozenset[type[BaseModel]] = frozenset()) -> Iterator[type[BaseModel]]:
    """Models reachable from ``root`` in field order, not descending into ``stop`` models."""
    seen: set[type[BaseModel]] = set()

    def visit(cls: type[BaseModel]) -> Iterator[type[BaseModel]]:
        if cls in seen:
            return
        seen.add(cls)
        yield cls
        if cls in stop and cls is not root:
            return
        for info in cls.model_fields.values():
            for sub in _referenced(info.annotation):
                yield from visit(sub)

    yield from visit(root)


def _layout() -> list[tuple[str, str, str, list[type[BaseModel]]]]:
    """Assign every model reachable from Scheme to exactly one section, deterministically."""
    roots = frozenset(cls for *_, section_roots in _SECTIONS for cls in section_roots)
    placed: set[type[BaseModel]] = set()
    out: list[tuple[str, str, str, list[type[BaseModel]]]] = []
    for title, anchor, intro, section_roots in _SECTIONS:
        models: list[type[BaseModel]] = []
        for root in section_roots:
            if root not in placed:
                placed.add(root)
                models.append(root)
            if root is model.Scheme:
                continue
            for cls in _reachable(root, roots):
                if cls not in placed and cls not in roots:
                    placed.add(cls)
                    models.append(cls)
        out.append((title, anchor, intro, models))
    rest = [cls for cls in _reachable(model.Scheme) if cls not in placed]
    if rest:
        out.append(("Other", "other", "Models not placed in a section above.", rest))
    return out


def _model_section(cls: type[BaseModel]) -> list[str]:
    lines = [f'<a id="{_anchor(cls)}"></a>', "", f"### {_title(cls)}", ""]
    doc = cls.__doc__
    if doc and doc is not BaseModel.__doc__:
        lines += [_rst_to_md(inspect.cleandoc(doc)), ""]
    checked = _validator_messages(cls)
    if checked:
        lines += ["Also checked: " + "; ".join(checked) + ".", ""]
    bases = [b for b in cls.__mro__[1:]
             if _is_model(b) and b.__name__ in _PUBLIC_BASES]
    if bases:
        lines += [f"Also has every key of {_link(bases[0])}.", ""]
    rows = ["| Key | Type | Default | Meaning |", "|---|---|---|---|"]
    for name, info in cls.model_fields.items():
        key = info.alias or name
        since = _since(info)
        if key == "kind" and _kind(cls):
            rows.append(f"| `kind` | `{_kind(cls)}` | **required** | Selects this kind.{since} |")
            continue
        type_text = type_name(info.annotation, info.metadata, info.description)
        rows.append(f"| `{key}` | {type_text} | {_default(info)} | "
                    f"{_description(info)}{since} |")
    return [*lines, *rows, ""]


_PUBLIC_BASES = frozenset({"Bounds"})


def _validator_messages(cls: type[BaseModel]) -> list[str]:
    """The fixed messages of the model's own validators (``msg = "give exactly one of …"``), read
    from their source, so that rules spanning several keys appear in the reference too."""
    decorators = cls.__pydantic_decorators__
    found: list[Any] = [*decorators.model_validators.values(),
                        *decorators.field_validators.values()]
    out: list[str] = []
    for decorator in found:
        func = getattr(decorator.func, "__func__", decorator.func)
        if getattr(func, "__qualname__", "").split(".")[0] != cls.__name__:
            continue  # inherited: documented on the base
        try:
            source = textwrap.dedent(inspect.getsource(func))
        except (OSError, TypeError):  # pragma: no cover - no source available
            continue
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)
                    and any(isinstance(t, ast.Name) and t.id == "msg" for t in node.targets)):
                out.append(node.value.value)
    return out

_PREFACE = """\
<!-- Generated from src/govscore/language/model.py by `{regenerate}`. Do not edit by hand:
     tests/test_docs_reference.py fails when this page and the models differ. -->

# Scheme language reference (v{version})

> **中文导读** 本页列出方案文件（考核方案 YAML）中每一个键：名称、类型、默认值和含义。
> 本页由程序从模型代码自动生成，因此内容为英文，并且永远与校验器一致。
> 第一次写方案，请先读 [教程](../guide/zh/tutorial.md) 和 [概念](../guide/zh/concepts.md)；
> 公式的语法、函数和可用的名字见 [公式](../guide/zh/formulas.md)；
> 错误代码（GS101 等）的中文说明见 [错误代码](errors.md)。
> 表格中 **required** 表示必填；“—” 表示可以省略；`number` 为十进制数（不要加引号），
> `true/false` 为布尔值（不要写 yes/no）。

If this is your first scheme, start with the [tutorial](../guide/en/tutorial.md) and the
[concepts](../guide/en/concepts.md). Error codes are explained in [errors](errors.md); facts files
and scheme tests in [facts and tests](facts-and-tests.md).

## Reading this page

- **Key** is what you write in the file. Keys not listed are an error (GS201).
- **Default**: **required** keys must be written (GS202); "—" means the key may be left out.
- **number** is a decimal written without quotes: `5`, `0.5`. `"5"` is text, not a number (GS203).
  Numbers are exact decimals; `1e3`, `.5` and `05` are refused (GS109).
- **true/false** is written `true` or `false`; `yes`, `no`, `on` and `off` are refused (GS109).
- <a id="identifiers"></a>**id**: 1 to 64 characters without spaces, dots, slashes, colons,
  brackets or `#`. Chinese is fine (`创新举措`). The scheme's own `id` is stricter: lowercase
  ASCII letters, digits, `-` and `_`.
- <a id="formulas"></a>**formula**: a short arithmetic expression over declared inputs, `params`
  and, where stated, node ids and `total`. Formulas are checked when the scheme is loaded (GS306);
  their syntax, functions and the names each may use are in the guide's
  [formulas](../guide/en/formulas.md) page.
- A range such as `0..1` includes both ends.
- *Language 2.* marks a key, a kind or a value that language 2 added: a scheme that writes one
  declares `govscore: "2"` (under `govscore: "1"` it is an error, GS346). Language 2 scores
  every language-1 scheme the same.

## Contents

"""


def scheme_reference() -> str:
    """The whole reference page as Markdown (deterministic)."""
    layout = _layout()
    parts = [_PREFACE.format(regenerate=REGENERATE, version=model.LANGUAGE_VERSION)]
    for title, anchor, _, models in layout:
        parts.append(f"- [{title}](#{anchor}): " + ", ".join(_link(m) for m in models) + "\n")
    for title, anchor, intro, models in layout:
        parts.append(f'\n<a id="{anchor}"></a>\n\n## {title}\n\n{intro}\n\n')
        for cls in models:
            parts.append("\n".join(_model_section(cls)) + "\n")
    text = "".join(parts)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


def main() -> None:
    sys.stdout.buffer.write(scheme_reference().encode("utf-8"))


if __name__ == "__main__":
    main()
