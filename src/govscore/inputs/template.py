"""Facts templates: the sheet an assessor fills in.

One row per unit the scheme names (category and tier members) — or empty rows when it names
none — and one column per fact the assessor supplies (items and inputs whose ``assessor`` names
them; every fact without an assessor filter). Row 1 holds the column names the wide reader of
:mod:`govscore.inputs.tables` expects; row 2 (starting with ``#``, so the reader skips it) the Chinese
titles and the allowed values. In ``.xlsx``, Excel data validation checks the ranges while the
sheet is filled in: decimals between min and max, whole counts ≥ 0, 是/否 lists, choice lists.
Cells of facts that do not apply to a unit's category are greyed out.

Facts whose value is a list (series, checklist, rater_groups) cannot be typed into one cell; they
are listed on the 说明 sheet and must come in a YAML or JSON facts file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from decimal import Decimal

from govscore import rules
from govscore.engine.facts import FactSpec
from govscore.engine.plan import Plan
from govscore.errors import UsageError
from govscore.language import model
from govscore.rules.base import COUNT_CELL, FLAG_CELL, Validation, decimal_cell, num, span
from govscore.textsafe import csv_row

EMPTY_ROWS = 200
"""Rows offered (and validated) when the scheme names no units."""
NAMED_IN_HINT = 5
"""Units named in the hint of a fact for named units only (the rest are counted)."""
_SPLIT = re.compile(r"[、,，;；/]")
_PAREN = re.compile(r"[(（][^)）]*[)）]")


@dataclass(frozen=True)
class Column:
    """One column of a template."""

    name: str
    """The header the wide reader expects: ``fact`` or ``fact.key``."""
    fact: str
    title: str
    hint: str
    """Allowed values, in words."""
    validation: Validation | None
    categories: frozenset[str] | None
    """Categories whose units have this fact (None: all)."""
    units: frozenset[str] | None = None
    """The named units whose item this is (``units``; None: every unit of its categories)."""


@dataclass(frozen=True)
class Template:
    """What a template holds: its units (id, category, tier), columns, and the facts left out."""

    units: list[tuple[str, str | None, str | None]]
    columns: list[Column]
    unit_columns: list[str]
    """category and/or tier, when the scheme has them."""
    left_out: list[tuple[str, str]]
    """(fact, why) for facts a sheet cannot hold."""
    assessor: str | None
    category: str | None
    unit: str | None = None
    """The one unit a unit's template is for (its facts only)."""


def assessor_names(assessor: str) -> set[str]:
    """The names an ``assessor`` entry answers to: the whole text, each name of a list
    (省委办公厅、省政府办公厅) and the name without a parenthesised remark."""
    whole = assessor.strip()
    names = {whole, _PAREN.sub("", whole).strip()}
    for piece in _SPLIT.split(whole):
        part = piece.strip()
        if part:
            names.update({part, _PAREN.sub("", part).strip()})
    return {n for n in names if n}


def assessors(plan: Plan) -> list[str]:
    """Every assessor the scheme names, in the scheme's order."""
    seen: dict[str, None] = {}
    for spec in plan.specs.values():
        who = assessor_of(spec)
        if who:
            seen.setdefault(who)
    return list(seen)


def assessor_of(spec: FactSpec) -> str | None:
    """Who supplies a fact: its item's or input's assessor (None when the scheme does not say)."""
    if spec.item is not None:
        return spec.item.assessor
    assert spec.input is not None
    return spec.input.assessor


_COUNT = COUNT_CELL
_FLAG = FLAG_CELL


def _default_hint(default: object) -> str:
    if default is None:
        return ""
    if isinstance(default, bool):
        return f"; 留空 = {'是' if default else '否'}"
    if isinstance(default, Decimal):
        return f"; 留空 = {num(default)}"
    return f"; 留空 = {default}"


def _item_columns(spec: FactSpec, item: model.Item) -> list[Column] | str:
    """The columns of an item's fact, or why a sheet cannot hold it."""
    rule = item.rule
    cats = spec.categories
    name, title = spec.name, item.title
    extra = _default_hint(item.default)
    if spec.readers:  # one fact, several items: the assessor fills it in once
        extra += "; 同时用于: " + "、".join(r.title for r in spec.readers)

    def col(key: str | None, hint: str, validation: Validation | None, sub: str = "") -> Column:
        return Column(f"{name}.{key}" if key else name, name, title + (f" — {sub}" if sub else ""),
                      hint + extra, validation, cats)

    kind = rules.of(item)
    if kind.list_fact:
        return f"{rule.kind}: a list per unit; give it in a YAML or JSON facts file"
    if not kind.has_fact:
        return f"{rule.kind}: computed from inputs"
    out = [col(c.key, c.hint, c.validation, c.sub) for c in kind.cells(rule, item)]
    if item.exemptions:
        reasons = tuple(item.exemptions)
        out.append(Column(f"{name}.exempt", name, f"{title} — 免扣原因",
                          "免扣时选: " + " / ".join(reasons) + " (此时得分列留空)",
                          Validation("list", options=reasons), cats))
        out.append(Column(f"{name}.note", name, f"{title} — 免扣说明",
                          "免扣时写明情况 (可留空)", None, cats))
    if item.optional:
        instead = "; 按同类统计值计分" if item.not_applicable_score else ""
        out.append(Column(f"{name}.not_applicable", name, f"{title} — 不适用",
                          f"不适用时写原因 (此时其他列留空{instead})", None, cats))
    return out


def _input_columns(spec: FactSpec, inp: model.Input) -> list[Column]:
    extra = _default_hint(inp.default)
    validation: Validation | None
    if inp.type == "flag":
        hint, validation = "是/否", _FLAG
    elif inp.type == "count":
        low = max(inp.min, Decimal(0)) if inp.min is not None else Decimal(0)
        hint = f"整数 {span(low, inp.max)}"
        validation = Validation("whole", "between" if inp.max is not None else
                                "greaterThanOrEqual", low, inp.max)
    elif inp.type == "rate":
        low = inp.min if inp.min is not None else Decimal(0)
        high = inp.max if inp.max is not None else Decimal(1)
        hint, validation = f"比率 {span(low, high)}", decimal_cell(low, high)
    elif inp.type == "number":
        hint, validation = span(inp.min, inp.max), decimal_cell(inp.min, inp.max)
    else:
        hint, validation = "文字", None
    return [Column(spec.name, spec.name, inp.title, hint + extra, validation, spec.categories)]


def build(plan: Plan, assessor: str | None = None, category: str | None = None,
          unit: str | None = None) -> Template:
    """The template's rows and columns. Raises UsageError for an unknown assessor or category,
    or when the assessor supplies no fact (for that category). With ``unit``, the template of
    one unit: its row only, and only the facts of the items that apply to it (its category's,
    less those whose ``units`` do not name it)."""
    scheme = plan.scheme
    if unit is not None:
        listed = plan.category_of.get(unit)
        if listed is not None and category is not None and listed != category:
            raise UsageError("GS406", f"unit {unit!r} is listed in category {listed!r} by the "
                             f"scheme, not {category!r}")
        category = listed or category
        if scheme.categories and category is None:
            known = ", ".join(c.id for c in scheme.categories)
            raise UsageError("GS402", f"the scheme does not list unit {unit!r} in a category; "
                             f"give its category (one of {known})")
    if category is not None and category not in {c.id for c in scheme.categories}:
        known = ", ".join(c.id for c in scheme.categories) or "none"
        raise UsageError("GS407", f"unknown category {category!r}; the scheme's are: {known}")
    if assessor is not None and not any(
            assessor.strip() in assessor_names(a) for a in assessors(plan)):
        known = "; ".join(assessors(plan)) or "none (no item or input names an assessor)"
        raise UsageError("GS409", f"no item or input has assessor {assessor!r}; the scheme's "
                         f"assessors are: {known}")
    columns: list[Column] = []
    left_out: list[tuple[str, str]] = []
    for spec in plan.specs.values():
        who = assessor_of(spec)
        if assessor is not None and (who is None or assessor.strip() not in assessor_names(who)):
            continue
        if category is not None and spec.categories is not None and \
                category not in spec.categories:
            continue
        if unit is not None and not spec.applies(category, unit):
            continue  # a unit's template: only the facts of items that apply to it
        if spec.item is not None:
            got = _item_columns(spec, spec.item)
            if isinstance(got, str):
                left_out.append((spec.name, got))
                continue
            columns.extend(got if spec.units is None else _for_units(got, spec.units))
        else:
            assert spec.input is not None
            columns.extend(_input_columns(spec, spec.input))
    if not columns and not left_out:
        raise UsageError("GS409", f"assessor {assessor!r} supplies no fact"
                         + (f" for category {category!r}" if category else "")
                         + (f" for unit {unit!r}" if unit is not None else ""))
    if unit is not None:
        return Template([(unit, category, plan.tier_of.get(unit))], columns,
                        _unit_columns(scheme), left_out, assessor, category, unit)
    units: list[tuple[str, str | None, str | None]] = []
    seen: set[str] = set()
    for cat in scheme.categories:
        if category is not None and cat.id != category:
            continue
        for member in cat.members:
            if member not in seen:
                seen.add(member)
                units.append((member, cat.id, plan.tier_of.get(member)))
    for tier in scheme.tiers:
        for member in tier.members:
            cat_of = plan.category_of.get(member)
            if member in seen or (category is not None and cat_of != category):
                continue
            seen.add(member)
            units.append((member, cat_of, tier.id))
    for profile in plan.profiles.values():  # units only a units list names
        for named in profile.units:
            if named not in seen and (category is None or profile.category == category) and (
                    sum(named in p.units for p in plan.profiles.values()) == 1):
                seen.add(named)
                units.append((named, profile.category, plan.tier_of.get(named)))
    return Template(units, columns, _unit_columns(scheme), left_out, assessor, category)


def _unit_columns(scheme: model.Scheme) -> list[str]:
    return [k for k, present in (("category", bool(scheme.categories)),
                                 ("tier", bool(scheme.tiers))) if present]


def _for_units(columns: list[Column], units: frozenset[str]) -> list[Column]:
    """The columns of an item for named units only: marked, and said in the first one's hint."""
    names = "、".join(sorted(units)[:NAMED_IN_HINT]) + (
        f" 等 {len(units)} 个单位" if len(units) > NAMED_IN_HINT else "")
    out = [replace(c, units=units) for c in columns]
    out[0] = replace(out[0], hint=f"{out[0].hint}; 仅适用于 {names}")
    return out


def _title_cells(plan: Plan, template: Template) -> list[str]:
    labels = {"category": "类别", "tier": "圈层"}
    return ["# 单位", *(labels[k] for k in template.unit_columns),
            *(f"{c.title}\n{c.hint}" for c in template.columns)]


def _unit_cells(template: Template, unit: tuple[str, str | None, str | None]) -> list[str | None]:
    uid, cat, tier = unit
    given = {"category": cat, "tier": tier}
    return [uid, *(given[k] for k in template.unit_columns)]


def render_csv(plan: Plan, template: Template) -> bytes:
    """The template as CSV (UTF-8 with BOM, so that Excel shows the Chinese), without
    validation."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_row(["id", *template.unit_columns, *(c.name for c in template.columns)]))
    writer.writerow(csv_row([t.replace("\n", " ") for t in _title_cells(plan, template)]))
    blank = [""] * len(template.columns)
    for unit in template.units:
        writer.writerow(csv_row([v or "" for v in _unit_cells(template, unit)] + blank))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _formula_number(value: Decimal) -> str:
    return format(value, "f")


def render_xlsx(plan: Plan, template: Template) -> bytes:
    """The template as an Excel workbook with data validation."""
    from govscore.views.xlsx import Rows, openpyxl, sheet_title, workbook_bytes

    xl = openpyxl()
    styles = xl.styles
    letter = xl.utils.get_column_letter
    book = xl.Workbook()
    sheet = book.active
    sheet.title = "事实"
    rows = Rows(sheet)
    header = ["id", *template.unit_columns, *(c.name for c in template.columns)]
    rows.append(header)
    rows.append(_title_cells(plan, template))
    first_fact = 2 + len(template.unit_columns)
    bold = styles.Font(bold=True)
    head_fill = styles.PatternFill("solid", fgColor="DDEBF7")
    title_fill = styles.PatternFill("solid", fgColor="F3F5F7")
    grey = styles.PatternFill("solid", fgColor="D9D9D9")
    wrap = styles.Alignment(wrap_text=True, vertical="top")
    for col in range(1, len(header) + 1):
        sheet.cell(1, col).font = bold
        sheet.cell(1, col).fill = head_fill
        sheet.cell(2, col).fill = title_fill
        sheet.cell(2, col).alignment = wrap
        sheet.column_dimensions[letter(col)].width = 24 if col == 1 else 16
    sheet.row_dimensions[2].height = 96
    n_rows = len(template.units) or EMPTY_ROWS
    last = 2 + n_rows
    for unit in template.units:
        row = rows.append(list(_unit_cells(template, unit)))
        for i, column in enumerate(template.columns):
            if (column.categories is not None and unit[1] not in column.categories) or (
                    column.units is not None and unit[0] not in column.units):
                sheet.cell(row, first_fact + i).fill = grey
    for row in range(3, last + 1):
        sheet.cell(row, 1).number_format = "@"  # ids stay text: leading zeros, long numbers
    sheet.freeze_panes = sheet.cell(3, 2).coordinate
    lists = None
    list_rows = 0
    validations: dict[tuple[Validation, int], list[str]] = {}
    for i, column in enumerate(template.columns):
        if column.validation is not None:
            ref = f"{letter(first_fact + i)}3:{letter(first_fact + i)}{last}"
            # a custom formula names its own column's first cell: one validation per column
            own = i if column.validation.kind == "custom" else -1
            validations.setdefault((column.validation, own), []).append(ref)
    dv_cls = xl.worksheet.datavalidation.DataValidation
    for (validation, _), refs in validations.items():
        if validation.kind == "list":
            if validation.options == ("是", "否"):
                formula1 = '"是,否"'
            else:
                if lists is None:
                    lists = book.create_sheet("选项")
                    lists.sheet_state = "hidden"
                start = list_rows + 1
                for option in validation.options:
                    list_rows += 1
                    lists.cell(list_rows, 1).value = option
                    lists.cell(list_rows, 1).data_type = "s"
                formula1 = f"'选项'!$A${start}:$A${list_rows}"
            dv = dv_cls(type="list", formula1=formula1, allow_blank=True)
            dv.error = "请从列表中选择: " + " / ".join(validation.options)
        elif validation.kind == "custom":
            cell = refs[0].split(":")[0]
            low, high = _formula_number(validation.low or Decimal(0)), \
                _formula_number(validation.high or Decimal(0))
            dv = dv_cls(type="custom", allow_blank=True,
                        formula1=f"OR({cell}=0,AND({cell}>={low},{cell}<={high}))")
            dv.error = f"请填 0 或 {low}–{high} 之间的数"
        else:
            low = _formula_number(validation.low) if validation.low is not None else ""
            high = _formula_number(validation.high) if validation.high is not None else ""
            if validation.operator == "between":
                dv = dv_cls(type=validation.kind, operator="between", formula1=low,
                            formula2=high, allow_blank=True)
                dv.error = f"请填 {low}–{high} 之间的" + ("整数" if validation.kind == "whole"
                                                          else "数")
            elif validation.operator == "greaterThanOrEqual":
                dv = dv_cls(type=validation.kind, operator="greaterThanOrEqual", formula1=low,
                            allow_blank=True)
                dv.error = f"请填 ≥ {low} 的" + ("整数" if validation.kind == "whole" else "数")
            else:
                dv = dv_cls(type=validation.kind, operator="lessThanOrEqual", formula1=high,
                            allow_blank=True)
                dv.error = f"请填 ≤ {high} 的数"
        dv.errorTitle = "超出允许范围"
        dv.showErrorMessage = True
        sheet.add_data_validation(dv)
        for ref in refs:
            dv.add(ref)
    _print_ready(sheet, f"{plan.scheme.title} — 事实表")
    notes = book.create_sheet(sheet_title("说明", {"事实", "选项"}))
    info = Rows(notes)
    info.append(["方案", f"{plan.scheme.title} ({plan.scheme.id}, 版本 {plan.scheme.version})"])
    info.append(["评分单位", template.assessor or "全部"])
    if template.category:
        info.append(["类别", template.category])
    if template.unit is not None:
        info.append(["单位", template.unit + " (只列出适用于该单位的事实)"])
    info.append(["填写", "每行一个单位; 第 1 行是列名, 请勿改动; 第 2 行以 # 开头, 读取时跳过。"])
    info.append(["", "留空 = 未提供 (方案有默认值时用默认值, 否则评分时报缺少)。"])
    info.append(["", "是/否 列填 是 或 否; 灰色单元格对该单位不适用, 请留空。"])
    info.append(["", "单位 id 列是文本格式: 编号的前导零和长数字不会丢失。"])
    info.append(["", "多份表格合并评分: govscore score 方案.yaml 表1.xlsx 表2.xlsx -o 结果.xlsx"])
    for fact, why in template.left_out:
        info.append(["未列入", f"{fact}: {why}"])
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 100
    return workbook_bytes(book)


def _print_ready(sheet: object, title: str) -> None:
    """Widths from the content (a CJK character counts 2; the wrapped hints at most 24), thin
    borders, an autofilter on the titles, A4 landscape fitted to the width with both header
    rows repeated on every printed page (:func:`govscore.views.xlsx.tidy`)."""
    from govscore.views.xlsx import fit_widths, tidy

    fit_widths(sheet, cap=24, caps={1: 44})
    tidy(sheet, header_rows=2, title=title)


def render(plan: Plan, assessor: str | None = None, category: str | None = None,
           fmt: str = "xlsx") -> bytes:
    """The template as ``xlsx`` (with validation) or ``csv`` bytes."""
    template = build(plan, assessor, category)
    return render_csv(plan, template) if fmt == "csv" else render_xlsx(plan, template)
