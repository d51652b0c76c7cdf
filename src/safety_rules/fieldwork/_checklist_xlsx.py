"""The checklist as an Excel workbook an inspector fills in, and reads back with ``checklist import``.

One sheet, 检查表, with a header row frozen and printed on every page, a row per group
(applicability, each standard item, 须人工检查) and a row per question; the answer column
carries a data validation per question (是/否, the enum's values, whole or decimal numbers
from the catalog's minimum, dates). Every record-valued fact gets its own sheet: a row per
thing, a column per field, each column validated the same way. Hidden cells carry what the
import needs and a person never edits: the fact id of each answer row (column G), the field
ids of each record sheet (row 3), and a hidden ``_meta`` sheet (rulebook, date, industries).
Keys travel with their rows, so rows inserted or sorted by hand do not shift the answers.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from ._checklist import (
    MANUAL,
    SEVERITY_LABELS,
    Checklist,
    ChecklistArea,
    ChecklistQuestion,
    ChecklistReference,
    Entry,
    answer_text,
    field_hint,
)

MAIN = "检查表"
LISTS = "_lists"
META = "_meta"
FORMAT = "safety-rules-checklist"
FORMAT_VERSION = "1"
ANSWER_COLUMN = 5  # E
KEY_COLUMN = 7  # G, hidden
HEADER_ROW = 3
RECORD_KEY_ROW = 3  # hidden
RECORD_FIRST_ROW = 4
RECORD_BLANK_ROWS = 20
YES, NO = "是", "否"
LISTED, NONE = "见清单", "无"
HEADER_FIELDS = (("id", "企业编号（必填）"), ("name", "企业名称"), ("county", "县区"),
                 ("region", "行政区划代码（GB/T 2260，6位）"), ("industries", "适用行业（规则库行业代码）"),
                 ("inspected_on", "检查日期"))
DATE_FORMAT = "yyyy-mm-dd"

_WRAP = Alignment(wrap_text=True, vertical="top")
_BOLD = Font(bold=True)
_GREY = Font(italic=True, color="666666")
_GROUP = PatternFill("solid", fgColor="DDEBF7")
_MAJOR = PatternFill("solid", fgColor="FCE4D6")
_ANSWER = PatternFill("solid", fgColor="FFFFE0")
_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WIDTHS = {"A": 7, "B": 62, "C": 22, "D": 34, "E": 16, "F": 18}


def checklist_workbook(checklist: Checklist) -> bytes:
    """The checklist as an ``.xlsx`` file's bytes."""
    wb = Workbook()
    main = wb.active
    assert main is not None
    main.title = MAIN
    lists = wb.create_sheet(LISTS)
    lists.sheet_state = "hidden"
    meta = wb.create_sheet(META)
    meta.sheet_state = "hidden"
    for row in (("format", FORMAT), ("format_version", FORMAT_VERSION), ("rulebook", checklist.rulebook),
                ("rulebook_version", checklist.rulebook_version), ("as_of", checklist.as_of.isoformat()),
                ("industries", " ".join(checklist.industries)), ("region", checklist.enterprise.region or "")):
        meta.append(row)
    _MainSheet(wb, main, lists, checklist).write()
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


class _Lists:
    """The enums' values, on a hidden sheet: an inline list is limited to 255 characters and
    cannot hold a value with a comma. One column per distinct list, shared by every sheet."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self.ranges: dict[tuple[str, ...], str] = {}

    def range(self, values: tuple[str, ...]) -> str:
        found = self.ranges.get(values)
        if found is None:
            column = len(self.ranges) + 1
            for i, value in enumerate(values, start=1):
                self.ws.cell(row=i, column=column, value=value)
            letter = get_column_letter(column)
            found = self.ranges[values] = f"{quote_sheetname(LISTS)}!${letter}$1:${letter}${len(values)}"
        return found


class _Validations:
    """One data validation per kind of answer on a sheet, shared by every cell that takes it."""

    def __init__(self, ws: Worksheet, lists: _Lists) -> None:
        self.ws, self.lists = ws, lists
        self.made: dict[tuple[Any, ...], DataValidation] = {}

    def _get(self, key: tuple[Any, ...], **kwargs: Any) -> DataValidation:
        dv = self.made.get(key)
        if dv is None:
            dv = DataValidation(allow_blank=True, showErrorMessage=True, **kwargs)
            self.ws.add_data_validation(dv)
            self.made[key] = dv
        return dv

    def add(self, cell: str, kind: str, *, values: tuple[str, ...] = (), unit: str | None = None,
            minimum: float | None = None, maximum: float | None = None) -> None:
        if kind == "bool":
            dv = self._get(("bool",), type="list", formula1=f'"{YES},{NO}"', error=f"请填“{YES}”或“{NO}”",
                           errorTitle="答案")
        elif kind == "records":
            dv = self._get(("records",), type="list", formula1=f'"{LISTED},{NONE}"',
                           error=f"请填“{LISTED}”（在对应工作表逐项列出）或“{NONE}”", errorTitle="答案")
        elif kind == "enum":
            dv = self._get(("enum", values), type="list", formula1=self.lists.range(values),
                           error="请从下拉列表中选择", errorTitle="答案")
        elif kind == "number":
            # only people and things are surely counted: the catalog's plain "1" is a count as often as a
            # ratio (a slope 1:n, a safety factor, a sum of q/Q), and a whole-number check would refuse those
            whole = unit in ("person", "台")
            low = -1e15 if minimum is None else minimum
            high = 1e15 if maximum is None else maximum
            dv = self._get(("number", whole, low, high), type="whole" if whole else "decimal", operator="between",
                           formula1=_formula_number(low), formula2=_formula_number(high),
                           error=f"请填{'整数' if whole else '数值'}" + (f"，不小于 {_formula_number(low)}"
                                                                        if minimum is not None else ""),
                           errorTitle="答案")
        elif kind == "date":
            dv = self._get(("date",), type="date", operator="greaterThanOrEqual", formula1="1",
                           error="请填日期（YYYY-MM-DD）", errorTitle="答案")
        else:
            return  # free text
        dv.add(cell)


def _formula_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _set_answer(cell: Any, value: Any, kind: str) -> None:
    if value is None:
        return
    if kind == "bool":
        cell.value = answer_text(value, kind)
    elif kind == "date":
        cell.value = value
        cell.number_format = DATE_FORMAT
    else:
        cell.value = value


def _page_setup(ws: Worksheet, title_rows: str) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as it takes
    ws.print_title_rows = title_rows
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5


class _MainSheet:
    def __init__(self, wb: Workbook, ws: Worksheet, lists: Worksheet, checklist: Checklist) -> None:
        self.wb, self.ws, self.c = wb, ws, checklist
        self.lists = _Lists(lists)
        self.validations = _Validations(ws, self.lists)
        self.row = 0
        self.record_sheets: dict[str, str] = {}

    def put(self, *values: Any, key: str | None = None, font: Font | None = None, fill: PatternFill | None = None,
            merge: bool = False) -> int:
        self.row += 1
        for column, value in enumerate(values, start=1):
            if value is not None and value != "":
                cell = self.ws.cell(row=self.row, column=column, value=value)
                cell.alignment = _WRAP
                if font is not None:
                    cell.font = font
        for column in range(1, 7):
            cell = self.ws.cell(row=self.row, column=column)
            cell.border = _BOX
            if fill is not None:
                cell.fill = fill
        if merge:
            self.ws.merge_cells(start_row=self.row, start_column=2, end_row=self.row, end_column=6)
        if key is not None:
            self.ws.cell(row=self.row, column=KEY_COLUMN, value=key)
        return self.row

    def write(self) -> None:
        ws, c = self.ws, self.c
        for letter, width in _WIDTHS.items():
            ws.column_dimensions[letter].width = width
        ws.column_dimensions[get_column_letter(KEY_COLUMN)].hidden = True
        ws.cell(row=1, column=1, value=c.title).font = Font(bold=True, size=14)
        ws.merge_cells("A1:F1")
        ws.cell(row=2, column=1, value=c.intro).alignment = _WRAP
        ws.merge_cells("A2:F2")
        ws.row_dimensions[2].height = 32
        self.row = HEADER_ROW - 1
        self.put("序号", "检查内容", "判定界限 / 填写要求", "依据（按检查日期施行的版本）", "答案", "备注", font=_BOLD,
                 fill=_GROUP)
        ws.freeze_panes = f"A{HEADER_ROW + 1}"
        _page_setup(ws, f"{HEADER_ROW}:{HEADER_ROW}")

        self.put("", "企业信息", font=_BOLD, fill=_GROUP, merge=True)
        header = c.enterprise
        values = {"id": header.id, "name": header.name, "county": header.county, "region": header.region,
                  "industries": " ".join(header.industries), "inspected_on": header.inspected_on}
        for name, label in HEADER_FIELDS:
            row = self.put("", label, "", "", None, key=f"enterprise:{name}")
            cell = ws.cell(row=row, column=ANSWER_COLUMN)
            cell.fill = _ANSWER
            if name == "region":
                cell.number_format = "@"  # six digits are a code, not a number
            if name == "inspected_on":
                self.validations.add(cell.coordinate, "date")
            _set_answer(cell, values[name], "date" if name == "inspected_on" else "string")
        for note in c.notes:
            self.put("", f"注意：{note}", font=_BOLD, merge=True)

        self.put(c.applicability_number, c.APPLICABILITY, font=_BOLD, fill=_GROUP, merge=True)
        self.entries(c.applicability)
        for area in c.areas:
            self.area(area)
        if c.recorded:
            self.put(c.recorded_number, c.RECORDED, font=_BOLD, fill=_GROUP, merge=True)
            self.entries(c.recorded)
        self.put(c.manual_number, c.MANUAL_TITLE, font=_BOLD, fill=_MAJOR, merge=True)
        if not c.manual:
            self.put("", "无：在用标准中涉及本行业的条款均已纳入规则库。", merge=True)
        for item in c.manual:
            row = self.put(item.number, f"{item.label}\n{item.wording}", MANUAL, item.part,
                           key=f"manual:{item.number}")
            self.ws.cell(row=row, column=ANSWER_COLUMN).fill = _ANSWER

    def area(self, area: ChecklistArea) -> None:
        mark = "【重大事故隐患】" if area.major_hazard else ""
        self.put(area.number, f"{mark}{area.title}  {area.summary}", font=_BOLD,
                 fill=_MAJOR if area.major_hazard else _GROUP, merge=True)
        rules = "；".join(f"{r.rule_id}（{SEVERITY_LABELS[r.severity]}）" for r in area.rules)
        body = "\n".join(x for x in (area.wording, f"对应规则：{rules}") if x)
        self.put("", body, "", "\n".join(c.shown for c in area.citations), font=_GREY)
        for text in area.manual:
            self.put("", f"本项以下内容未纳入规则库：{text}", MANUAL)
        self.entries(area.entries)
        for sub in area.sub_items:
            self.put(sub.label, sub.text, "" if sub.encoded else f"{MANUAL}（规则库未编码）", font=_BOLD)
            self.entries(sub.entries)

    def entries(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            if isinstance(entry, ChecklistReference):
                self.put("", f"{entry.label}：见 {entry.number}", font=_GREY)
            else:
                self.question(entry)

    def question(self, q: ChecklistQuestion) -> None:
        star = "★ " if q.major_hazard else ""
        demands = "\n".join([*q.thresholds, field_hint(q)])
        if q.type == "records":
            sheet = self.records(q)
            demands = "\n".join([*q.thresholds, f"在工作表“{sheet}”逐项列出；没有的填“{NONE}”"])
        row = self.put(q.number, f"{star}{q.label}：{q.question}", demands, "", None, key=f"fact:{q.fact}")
        cell = self.ws.cell(row=row, column=ANSWER_COLUMN)
        cell.fill = _ANSWER
        if q.type == "records":
            if q.known:
                cell.value = LISTED if q.value else NONE
        else:
            _set_answer(cell, q.value, q.type)
        self.validations.add(cell.coordinate, q.type, values=q.values, unit=q.unit, minimum=q.minimum,
                             maximum=q.maximum)

    def records(self, q: ChecklistQuestion) -> str:
        """A sheet for a record-valued fact: a row per thing, a column per field."""
        name = _sheet_name(f"{q.number} {q.label}", self.wb.sheetnames)
        ws = self.wb.create_sheet(name, index=len(self.record_sheets) + 1)
        self.record_sheets[q.fact] = name
        last = len(q.fields) + 1
        ws.cell(row=1, column=1, value=f"{q.number} {q.label}：{q.question}").alignment = _WRAP
        ws.cell(row=1, column=1).font = _BOLD
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
        ws.row_dimensions[1].height = 48
        ws.cell(row=2, column=1, value="序号").font = _BOLD
        ws.cell(row=RECORD_KEY_ROW, column=1, value=f"records:{q.fact}")
        ws.column_dimensions["A"].width = 6
        validations = _Validations(ws, self.lists)
        records = list(q.value or []) if q.known else []
        rows = range(RECORD_FIRST_ROW, RECORD_FIRST_ROW + len(records) + RECORD_BLANK_ROWS)
        for column, f in enumerate(q.fields, start=2):
            head = ws.cell(row=2, column=column, value="\n".join([f.label, *f.thresholds, f"（{field_hint(f)}）"]))
            head.font, head.alignment, head.fill, head.border = _BOLD, _WRAP, _GROUP, _BOX
            ws.cell(row=RECORD_KEY_ROW, column=column, value=f"field:{f.id}")
            letter = get_column_letter(column)
            ws.column_dimensions[letter].width = max(10, min(30, 2 * len(f.label) + 4))
            validations.add(f"{letter}{rows.start}:{letter}{rows.stop - 1}", f.type, values=f.values, unit=f.unit,
                            minimum=f.minimum, maximum=f.maximum)
            for i, record in enumerate(records):
                cell = ws.cell(row=RECORD_FIRST_ROW + i, column=column)
                _set_answer(cell, record.get(f.id), f.type)
        for i, row in enumerate(rows, start=1):
            ws.cell(row=row, column=1, value=i)
            for column in range(1, last + 1):
                ws.cell(row=row, column=column).border = _BOX
        ws.row_dimensions[2].height = 60
        ws.row_dimensions[RECORD_KEY_ROW].hidden = True
        ws.freeze_panes = f"B{RECORD_FIRST_ROW}"
        _page_setup(ws, "2:2")
        return name


def _sheet_name(wanted: str, taken: list[str]) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\, not taken yet."""
    name = "".join("_" if ch in "[]:*?/\\" else ch for ch in wanted)[:31].strip("'")
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name[:28]}~{n}"
    return candidate
