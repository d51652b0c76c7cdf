"""Helpers for the checklist tests: fill a workbook as an inspector would, and compare assessments."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from safety_rules import Enterprise, Rulebook
from safety_rules.fieldwork._checklist_xlsx import (
    ANSWER_COLUMN,
    KEY_COLUMN,
    LISTED,
    MAIN,
    NO,
    NONE,
    RECORD_FIRST_ROW,
    RECORD_KEY_ROW,
    YES,
)

from ..conftest import EXAMPLES

ENTERPRISES = sorted((EXAMPLES / "enterprises").glob("*.yaml"))


def typed(value: Any, kind: str) -> Any:
    """What an inspector types: 是/否 for true/false, dates and numbers as they are."""
    if kind == "bool":
        return YES if value else NO
    return value


def fill_workbook(book: Rulebook, data: bytes, enterprise: Enterprise, target: Path,
                  cells: Mapping[str, Any] | None = None) -> set[str]:
    """Write the enterprise's header and facts into the answer cells of a blank checklist
    workbook (and ``cells``, "sheet!A1" → value, over them); returns the facts it found a
    place for."""
    wb = load_workbook(io.BytesIO(data))
    main = wb[MAIN]
    header = {"id": enterprise.id, "name": enterprise.name, "county": enterprise.county,
              "region": enterprise.region, "industries": " ".join(enterprise.industries),
              "inspected_on": enterprise.inspected_on}
    placed = set()
    for row in main.iter_rows(min_row=1):
        key = row[KEY_COLUMN - 1].value
        cell = row[ANSWER_COLUMN - 1]
        if not isinstance(key, str):
            continue
        kind, _, name = key.partition(":")
        if kind == "enterprise" and header.get(name) is not None:
            cell.value = header[name]
        elif kind == "fact" and name in enterprise.facts:
            placed.add(name)
            spec = book.facts.specs[name]
            value = enterprise.facts[name]
            if spec.type == "records":
                cell.value = LISTED if value else NONE
            else:
                cell.value = typed(value, spec.type)
    for ws in wb.worksheets:
        key = ws.cell(row=RECORD_KEY_ROW, column=1).value
        if not (isinstance(key, str) and key.startswith("records:")):
            continue
        fact = key.removeprefix("records:")
        columns = {c.value.removeprefix("field:"): c.column for c in ws[RECORD_KEY_ROW][1:] if c.value}
        fields = book.facts.specs[fact].fields or {}
        for i, record in enumerate(enterprise.facts.get(fact) or []):
            for name, value in record.items():
                ws.cell(row=RECORD_FIRST_ROW + i, column=columns[name], value=typed(value, fields[name].type))
    for where, value in (cells or {}).items():
        sheet, cell = where.split("!")
        wb[sheet][cell] = value
    wb.save(target)
    return placed


def answer_cell(data: bytes, fact: str) -> str:
    """The main sheet's answer cell of ``fact``, e.g. E23."""
    ws = load_workbook(io.BytesIO(data))[MAIN]
    for row in ws.iter_rows(min_row=1):
        if row[KEY_COLUMN - 1].value == f"fact:{fact}":
            return str(row[ANSWER_COLUMN - 1].coordinate)
    raise AssertionError(f"no answer row for {fact}")


def record_sheet(data: bytes, fact: str) -> tuple[str, dict[str, str]]:
    """The sheet of a record-valued fact and the column letter of each field."""
    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        if ws.cell(row=RECORD_KEY_ROW, column=1).value == f"records:{fact}":
            return ws.title, {str(c.value).removeprefix("field:"): str(c.column_letter)
                              for c in ws[RECORD_KEY_ROW][1:] if c.value}
    raise AssertionError(f"no sheet for {fact}")


def dump(book: Rulebook, enterprise: Enterprise, as_of: dt.date) -> dict[str, Any]:
    return book.assess(enterprise, as_of).model_dump(mode="json")
