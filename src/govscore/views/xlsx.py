"""The assessment as an Excel workbook (needs openpyxl: ``govscore[excel]``).

Sheets: one summary per scope (rank, unit, total, grade, awards, undecided, flags, outputs), 评分表
(every unit's score sheet — 项目 / 条款 / 分值 / 事实 / 得分 / 说明, the rows of
:mod:`govscore.views.sheet` — one after another, each unit's lines an outline group and each
unit on its own printed page), 明细 (one row per unit × node: rule, fact, raw and final value,
max, the caps and limits applied), 待定 (ties that need a decision), 未评分 (rejected units, one
row per problem) and 记录 (the reproducibility record). Scores are written as numbers (the exact
``Decimal``), shown with the scheme's decimal places; never as text.

Every sheet is made to be filtered and printed (:func:`tidy`): frozen header, autofilter, thin
borders, column widths from the East Asian width of the content, and A4 landscape pages fitted
to the width with the header rows repeated and the page number at the foot.

The bytes depend only on the assessment and the plan: workbook timestamps are fixed and the zip
entries carry a fixed date, so rendering twice gives the same file.
"""

from __future__ import annotations

import copy
import datetime
import importlib
import io
import re
import zipfile
from decimal import Decimal
from types import ModuleType
from typing import Any

from govscore.engine.plan import Plan
from govscore.engine.results import Assessment
from govscore.errors import UsageError
from govscore.views import sheet as score_sheet
from govscore.views.html import flags, grade_text, label
from govscore.views.ranking import ranked, scope_order
from govscore.views.sheet import display_width
from govscore.views.wording import fact_text, rule_name, step_line

FIXED_TIME = datetime.datetime(2000, 1, 1, 0, 0, 0)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def openpyxl() -> ModuleType:
    """openpyxl, imported when first needed; a clear GS409 error if it is missing."""
    try:
        return importlib.import_module("openpyxl")
    except ImportError:
        raise UsageError("GS409", "writing .xlsx needs openpyxl: pip install 'govscore[excel]' "
                         "(or write .html, .json or .csv)") from None


def workbook_bytes(book: Any) -> bytes:
    """Save an openpyxl workbook to bytes that do not depend on the clock."""
    writer = importlib.import_module("openpyxl.writer.excel")
    props = book.properties
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    props.creator = "govscore"
    props.lastModifiedBy = "govscore"
    buffer = io.BytesIO()
    archive = zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    writer.ExcelWriter(book, archive).save()  # closes the archive
    return _fixed_zip(buffer.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def sheet_title(text: str, used: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, none of []:*?/\\)."""
    base = _SHEET_BAD.sub("_", text).strip("'") or "sheet"
    name = base[:31]
    n = 2
    while name.lower() in used:
        suffix = f" {n}"
        name = base[:31 - len(suffix)] + suffix
        n += 1
    used.add(name.lower())
    return name


def number_format(places: int) -> str:
    return "0" if places == 0 else "0." + "0" * places


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_text(value: str) -> str:
    """Text a cell can hold: control characters shown as \\xNN (the XML cannot carry them)."""
    return _ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


MAX_ROWS = 1_048_576
"""Rows a sheet holds (Excel's limit; openpyxl refuses a cell beyond it with a bare
ValueError)."""


class Rows:
    """Rows written one after another into a sheet (openpyxl's own append recounts the sheet
    every time). Text is always text: a unit named "=1+1" does not become a formula. A row past
    :data:`MAX_ROWS` is GS704 (the workbook is made in memory first: nothing is written)."""

    def __init__(self, sheet: Any, number_format: str = "General") -> None:
        self.sheet = sheet
        self.row = 0
        self.number_format = number_format

    def append(self, values: list[Any], numeric: tuple[int, ...] = ()) -> int:
        """Write the next row; Decimals in the 1-based ``numeric`` columns get the number
        format. Returns the row number."""
        self.row += 1
        if self.row > MAX_ROWS:
            raise UsageError(
                "GS704", f"the workbook's sheet {self.sheet.title} needs more than "
                f"{MAX_ROWS:,} rows, the most a sheet holds (the score sheets and details take "
                "about 20 rows per unit): write the report as .csv or .parquet, which hold any "
                "number of units")
        for col, value in enumerate(values, start=1):
            if value is None:
                continue
            cell = self.sheet.cell(row=self.row, column=col,
                                   value=safe_text(value) if isinstance(value, str) else value)
            if cell.data_type == "f":
                cell.data_type = "s"
            if col in numeric and isinstance(value, Decimal):
                cell.number_format = self.number_format
        return self.row


def _header(rows: Rows, titles: list[str], widths: list[int], freeze: str = "A2") -> None:
    xl = openpyxl()
    bold = xl.styles.Font(bold=True)
    fill = xl.styles.PatternFill("solid", fgColor="F3F5F7")
    row = rows.append(list(titles))
    for col in range(1, len(titles) + 1):
        cell = rows.sheet.cell(row=row, column=col)
        cell.font = bold
        cell.fill = fill
    for i, width in enumerate(widths, start=1):  # a first guess; fit_widths measures
        rows.sheet.column_dimensions[xl.utils.get_column_letter(i)].width = width
    rows.sheet.freeze_panes = freeze


def fit_widths(sheet: Any, *, first_row: int = 1, cap: int = 60, floor: int = 6,
               caps: dict[int, int] | None = None) -> None:
    """Column widths from the content's display width (a CJK character takes two columns; a
    cell of several lines counts its longest line), between ``floor`` and ``cap`` (or the
    column's own cap in ``caps``, 1-based), so that long unit names are not cut."""
    letter = openpyxl().utils.get_column_letter
    widest: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=first_row):
        for cell in row:
            value = cell.value
            if value is None:
                continue
            text = value if isinstance(value, str) else str(value)
            w = max(display_width(line) for line in text.split("\n")) if text else 0
            if w > widest.get(cell.column, 0):
                widest[cell.column] = w
    for col, w in widest.items():
        limit = (caps or {}).get(col, cap)
        sheet.column_dimensions[letter(col)].width = min(limit, max(floor, w + 2))


class Restyle:
    """Set the same style attributes on many cells fast: openpyxl looks each new style object
    up by hashing it (most of the time of styling a big sheet), so the result for each distinct
    style a cell had is worked out once and copied to every other cell that had it."""

    def __init__(self, **attributes: Any) -> None:
        self.attributes = attributes
        self.done: dict[tuple[int, ...], Any] = {}

    def __call__(self, cell: Any) -> None:
        style = cell._style  # noqa: SLF001 - the cell's style ids (fonts, fills, borders …)
        key = tuple(style) if style is not None else ()
        made = self.done.get(key)
        if made is None:
            for name, value in self.attributes.items():
                setattr(cell, name, value)
            self.done[key] = copy.copy(cell._style)  # noqa: SLF001
        else:
            cell._style = copy.copy(made)  # noqa: SLF001


def tidy(sheet: Any, *, header_rows: int = 1, title: str = "", filter_row: int | None = None,
         borders: bool = True) -> None:
    """Make a sheet ready to be filtered and printed: autofilter on the header, thin borders
    on the used range, A4 landscape fitted to the page width (as many pages down as needed),
    the header rows repeated on every page, the title at the top and page numbers at the
    foot."""
    xl = openpyxl()
    last_row, last_col = sheet.max_row, sheet.max_column
    letter = xl.utils.get_column_letter
    head = filter_row if filter_row is not None else header_rows
    if last_row >= head:
        sheet.auto_filter.ref = f"A{head}:{letter(last_col)}{last_row}"
    if borders:
        side = xl.styles.Side(style="thin", color="A6A6A6")
        border = xl.styles.Border(left=side, right=side, top=side, bottom=side)
        restyle = Restyle(border=border)
        for row in sheet.iter_rows(min_row=1, max_row=last_row, max_col=last_col):
            for cell in row:
                restyle(cell)
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"1:{header_rows}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    if title:
        sheet.oddHeader.center.text = title.replace("&", "&&")
        sheet.oddHeader.center.size = 9
    sheet.oddFooter.center.text = "第 &P 页 / 共 &N 页"
    sheet.oddFooter.center.size = 9


_SUMMARY = ["排名", "单位", "总分", "等次", "奖项", "待定(需决定)", "说明"]


def render(assessment: Assessment, plan: Plan) -> bytes:
    """The workbook as bytes."""
    xl = openpyxl()
    book = xl.Workbook()
    fmt = number_format(plan.scheme.precision.places)
    used: set[str] = set()
    outputs = [o.id for o in plan.scheme.outputs]
    numeric = (3, *range(8, 8 + len(outputs)))
    scopes = scope_order(assessment, plan)
    for i, scope in enumerate(scopes or ["汇总"]):
        title = sheet_title(label(assessment, scope), used)
        if i == 0:
            sheet = book.active
            sheet.title = title
        else:
            sheet = book.create_sheet(title)
        rows = Rows(sheet, fmt)
        _header(rows, [*_SUMMARY, *(label(assessment, o) for o in outputs)],
                [6, 28, 10, 10, 14, 14, 40, *(12 for _ in outputs)], freeze="C2")
        for unit in ranked(assessment, scope) if scopes else []:
            r, p = assessment.results[unit], assessment.placements[unit]
            rows.append([p.rank, unit, r.total, grade_text(p),
                         "、".join(label(assessment, a) for a in p.awards),
                         "、".join(label(assessment, a) for a in p.undecided),
                         "; ".join(flags(assessment, r)),
                         *(r.outputs.get(o) for o in outputs)], numeric)
        fit_widths(sheet, caps={7: 60})
        _wrap(sheet, 7)
        scheme_title = assessment.labels.get("scheme", plan.scheme.title)
        tidy(sheet, title=f"{scheme_title} — {label(assessment, scope)}")
    sheets = _sheets(Rows(book.create_sheet(sheet_title("评分表", used)), fmt), assessment, plan)
    tidy(sheets, title=f"{assessment.labels.get('scheme', plan.scheme.title)} — 评分表")
    detail = book.create_sheet(sheet_title("明细", used))
    _detail(Rows(detail, fmt), assessment, plan)
    fit_widths(detail, caps={4: 50, 9: 30, 14: 70})
    tidy(detail, title="明细")
    for name, fill in (("待定", _ties), ("未评分", _rejected), ("记录", _record)):
        extra = book.create_sheet(sheet_title(name, used))
        fill(Rows(extra), assessment)
        fit_widths(extra, cap=90)
        tidy(extra, title=name)
    return workbook_bytes(book)


def _wrap(sheet: Any, column: int) -> None:
    wrap = openpyxl().styles.Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
        for cell in row:
            cell.alignment = wrap


_SHEET_HEAD = ["单位", *score_sheet.HEADERS["zh"]]


def _sheets(rows: Rows, assessment: Assessment, plan: Plan) -> Any:
    """Every unit's score sheet, one after another: a heading row with the unit and its total,
    the sheet's lines (项目 indented by level), the total's working and the placing; the lines
    are an outline group under the heading, and each unit starts a printed page. Column A
    repeats the unit so that the autofilter shows one unit's sheet."""
    xl = openpyxl()
    styles = xl.styles
    sheet = rows.sheet
    _header(rows, _SHEET_HEAD, [], freeze="B2")
    bold = styles.Font(bold=True)
    top = styles.Alignment(wrap_text=True, vertical="top")
    heading = Restyle(font=bold, alignment=top,
                      fill=styles.PatternFill("solid", fgColor="DDEBF7"))
    plain = Restyle(alignment=top)
    strong = Restyle(font=bold, alignment=top)
    group = Restyle(fill=styles.PatternFill("solid", fgColor="F3F5F7"))
    indents = {depth: Restyle(alignment=styles.Alignment(wrap_text=True, vertical="top",
                                                         indent=2 * (depth - 1)))
               for depth in range(1, 8)}
    breaks = xl.worksheet.pagebreak
    first = True
    for scope in scope_order(assessment, plan):
        for unit in ranked(assessment, scope):
            result = assessment.results[unit]
            sh = score_sheet.build(result, plan, assessment)
            if not first:
                sheet.row_breaks.append(breaks.Break(id=rows.row))
            first = False
            head = rows.append([unit, f"{unit} — 总分 {sh.total}", sh.where, None, None,
                                sh.amount, "; ".join(sh.placing)], (6,))
            for col in range(1, len(_SHEET_HEAD) + 1):
                heading(sheet.cell(head, col))
            for line in sh.lines:
                row = rows.append([unit, line.title, line.clause or None,
                                   Decimal(line.points) if line.points else None,
                                   line.fact or None,
                                   line.amount if line.counted else (line.score or None),
                                   "\n".join(line.notes) or None], (6,))
                sheet.row_dimensions[row].outlineLevel = 1
                for col in range(1, len(_SHEET_HEAD) + 1):
                    cell = sheet.cell(row, col)
                    (indents[min(line.depth, 7)] if col == 2 else plain)(cell)  # noqa: PLR2004
                    if line.kind == "group" and col > 1:
                        group(cell)
            total = rows.append([unit, "总分", None, None, None, sh.amount,
                                 "\n".join(sh.total_notes) or None], (6,))
            sheet.row_dimensions[total].outlineLevel = 1
            for col in range(1, len(_SHEET_HEAD) + 1):
                strong(sheet.cell(total, col))
            sign = rows.append([unit, "考核小组成员签字:", None, None, "日期:", None, None])
            sheet.row_dimensions[sign].outlineLevel = 1
            sheet.row_dimensions[sign].height = 30
    sheet.sheet_properties.outlinePr.summaryBelow = False
    fit_widths(sheet, caps={1: 16, 2: 50, 3: 24, 5: 24, 7: 60})
    return sheet


def _detail(rows: Rows, assessment: Assessment, plan: Plan) -> None:
    _header(rows, ["单位", "范围", "节点", "名称", "类型", "规则", "加/减", "适用", "事实",
                   "规则得分", "得分", "满分", "不计入总分", "调整(封顶、限额、免扣…)"],
            [24, 14, 20, 40, 6, 14, 6, 6, 24, 10, 10, 10, 8, 50], freeze="D2")
    for scope in scope_order(assessment, plan):
        for unit in ranked(assessment, scope):
            result = assessment.results[unit]
            names = {**assessment.labels, **{n.id: n.title for n in result.nodes.values()}}
            steps: dict[str, list[str]] = {}
            for step in result.trace:
                node = result.nodes.get(step.rule)
                steps.setdefault(step.rule, []).append(step_line(
                    step, node_kind=None if node is None else node.kind, names=names))
            for node in sorted(result.nodes.values(), key=lambda n: n.order):
                rows.append([
                    unit, label(assessment, scope), node.id, node.title,
                    "项" if node.kind == "item" else "组", rule_name(node.kind, node.rule),
                    "减" if node.role == "subtract" else "加",
                    "是" if node.applicable else "否", fact_text(node.fact),
                    node.raw, node.value,
                    node.max if node.max.is_finite() else "不设上限",  # unbounded: 不设上限
                    "是" if node.outside_total else None,
                    "; ".join(steps.get(node.id, [])) or None,
                ], (10, 11, 12))
            for veto in result.vetoes:
                rows.append([unit, label(assessment, scope), veto, label(assessment, veto),
                             "否决", None, None, None, None, None, None, None, None,
                             "; ".join(steps.get(veto, [])) or None])


def _ties(rows: Rows, assessment: Assessment) -> None:
    _header(rows, ["奖项", "范围", "单位数", "名额", "已获得", "并列待定", "剩余名额"],
            [14, 20, 8, 8, 30, 30, 10])
    for decision in assessment.ties:
        rows.append([label(assessment, decision.award), label(assessment, decision.scope),
                     decision.size, decision.places, "、".join(decision.winners) or None,
                     "、".join(decision.undecided), decision.open_places])
    for unit in sorted(u for u, p in assessment.placements.items() if p.grade_undecided):
        p = assessment.placements[unit]
        rows.append(["等次 " + " / ".join(p.grade_undecided), label(assessment, p.scope),
                     p.scope_size, None, None, unit, None])


def _rejected(rows: Rows, assessment: Assessment) -> None:
    _header(rows, ["单位", "序号", "代码", "事实", "问题"], [24, 6, 8, 20, 80])
    for rejected in assessment.rejected:
        for d in rejected.diagnostics:
            rows.append([rejected.unit, rejected.index + 1, d.code, d.item, d.message])


def _record(rows: Rows, assessment: Assessment) -> None:
    record = assessment.record
    _header(rows, ["项目", "值"], [18, 70])
    for key, value in (("方案", record.scheme_id), ("方案名称", assessment.labels.get("scheme")),
                       ("方案版本", record.scheme_version), ("方案 sha256", record.scheme_sha256),
                       ("事实 sha256", record.facts_sha256),
                       ("govscore 版本", record.govscore_version),
                       ("提交单位数", assessment.submitted),
                       ("已评分", len(assessment.results)),
                       ("未评分", len(assessment.rejected))):
        rows.append([key, value])
