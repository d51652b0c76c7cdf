"""The checklist workbook: opened with openpyxl, its validations, and filled workbooks read back."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from safety_rules import Rulebook, WorkbookError, build_checklist, checklist_workbook, read_checklist_workbook
from safety_rules.fieldwork._checklist_xlsx import ANSWER_COLUMN, KEY_COLUMN, LISTED, MAIN, NONE

from .checklists import ENTERPRISES, answer_cell, dump, fill_workbook, record_sheet

DAY = dt.date(2024, 6, 1)
WOOD = next(p for p in ENTERPRISES if p.name == "linyi-wood-products.yaml")


def validations(ws: Any) -> dict[str, Any]:
    """Cell (or column range start) → the data validation covering it."""
    found = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for row in ws[rng.coord] if ":" in rng.coord else [[ws[rng.coord]]]:
                for cell in row:
                    found[cell.coordinate] = dv
    return found


def test_workbook_opens_with_validations_frozen_header_and_a4(book: Rulebook) -> None:
    c = build_checklist(book, DAY, ["dust", "hazchem"], region="371302")
    wb = load_workbook(io.BytesIO(checklist_workbook(c)))
    ws = wb[MAIN]
    assert ws.freeze_panes == "A4" and ws.print_title_rows == "$3:$3"
    assert int(ws.page_setup.paperSize) == 9 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.column_dimensions["G"].hidden
    found = validations(ws)
    lists = wb["_lists"]
    checked = set()
    for row in ws.iter_rows(min_row=4):
        key = row[KEY_COLUMN - 1].value
        if not (isinstance(key, str) and key.startswith("fact:")):
            continue
        spec = book.facts.specs[key.removeprefix("fact:")]
        dv = found.get(row[ANSWER_COLUMN - 1].coordinate)
        if spec.type == "string":
            assert dv is None
            continue
        assert dv is not None and dv.showErrorMessage, key
        if spec.type == "bool":
            assert (dv.type, dv.formula1) == ("list", '"是,否"')
        elif spec.type == "records":
            assert (dv.type, dv.formula1) == ("list", f'"{LISTED},{NONE}"')
        elif spec.type == "enum":
            column = dv.formula1.split("!")[1].split(":")[0].replace("$", "").rstrip("0123456789")
            assert dv.type == "list" and [c.value for c in lists[column] if c.value] == spec.values
        elif spec.type == "number":
            assert dv.type in ("whole", "decimal") and dv.operator == "between"
            if spec.minimum is not None:
                assert float(dv.formula1) == spec.minimum
        checked.add(spec.type)
    assert checked == {"bool", "records", "enum", "number"}
    # a record-valued fact: its own sheet, a column per field, each column validated
    sheet, columns = record_sheet(checklist_workbook(c), "dust_collectors")
    rs = wb[sheet]
    assert rs.row_dimensions[3].hidden and rs.freeze_panes == "B4" and int(rs.page_setup.paperSize) == 9
    field_validations = validations(rs)
    assert field_validations[f"{columns['kind']}4"].type == "list"
    assert field_validations[f"{columns['venting']}10"].formula1 == '"是,否"'


@pytest.mark.parametrize("path", ENTERPRISES, ids=lambda p: p.stem)
def test_filled_blank_workbook_reads_back_to_the_same_assessment(book: Rulebook, path: Path,
                                                                    tmp_path: Path) -> None:
    original = book.load_enterprise(path)
    day = original.inspected_on or DAY
    c = build_checklist(book, day, original.industries, region=original.region)
    target = tmp_path / "filled.xlsx"
    placed = fill_workbook(book, checklist_workbook(c), original, target)
    back = read_checklist_workbook(book, target)
    assert back.facts == {f: v for f, v in original.facts.items() if f in placed}
    want, got = dump(book, original, day), dump(book, back, day)
    unasked = set(original.facts) - placed
    # what the checklist does not ask no rule of these industries in force that day reads: facts of
    # rules not yet in force, and facts only rules of undeclared industries read (the assessment
    # warns about those, and a checklist of the enterprise's own industries rightly leaves them out)
    assessed = book.expand_industries(original.industries)
    read = {f for r in book.rule_ids if book.lineage(r).spec.industry in assessed
            and (v := book.version_on(r, day)) is not None for f in book.facts_used(v)}
    assert not unasked & read
    if unasked & {f for w in want["warnings"] for f in w["facts"]}:
        want["warnings"] = got["warnings"] = []
    assert got == want


@pytest.mark.parametrize("path", ENTERPRISES, ids=lambda p: p.stem)
def test_validations_accept_every_number_the_example_enterprises_hold(book: Rulebook, path: Path) -> None:
    """Excel refuses what a validation does not allow: a slope ratio of 2.8 in a whole-number
    cell could not be typed on site."""
    enterprise = book.load_enterprise(path)
    wb = load_workbook(io.BytesIO(checklist_workbook(build_checklist(book, DAY, enterprise=enterprise))))
    for ws in wb.worksheets:
        found = validations(ws)
        for row in ws.iter_rows():
            for cell in row:
                dv = found.get(cell.coordinate)
                if dv is None or dv.type not in ("whole", "decimal") or cell.value is None:
                    continue
                assert isinstance(cell.value, int | float), (ws.title, cell.coordinate, cell.value)
                assert float(dv.formula1) <= cell.value <= float(dv.formula2), (ws.title, cell.coordinate)
                assert dv.type == "decimal" or float(cell.value).is_integer(), (ws.title, cell.coordinate, cell.value)


@pytest.mark.parametrize("path", ENTERPRISES, ids=lambda p: p.stem)
def test_prefilled_workbook_reads_back_whole(book: Rulebook, path: Path, tmp_path: Path) -> None:
    original = book.load_enterprise(path)
    c = build_checklist(book, DAY, enterprise=original)
    target = tmp_path / "prefilled.xlsx"
    target.write_bytes(checklist_workbook(c))
    back = read_checklist_workbook(book, target)
    assert back.facts == original.facts and back.industries == original.industries
    assert dump(book, back, DAY) == dump(book, original, DAY)


# ------------------------------------------------------------------- bad cells


@pytest.fixture(scope="module")
def blank(book: Rulebook) -> bytes:
    return checklist_workbook(build_checklist(book, DAY, ["dust"], region="371302"))


def read_with(book: Rulebook, blank: bytes, tmp_path: Path, cells: dict[str, Any]) -> str:
    original = book.load_enterprise(WOOD)
    target = tmp_path / "bad.xlsx"
    fill_workbook(book, blank, original, target, cells)
    with pytest.raises(WorkbookError) as info:
        read_checklist_workbook(book, target)
    problems = info.value.context["problems"]
    assert all(p.path == str(target) for p in problems)
    return "\n".join(p.message for p in problems)


def test_bool_cell_that_is_not_yes_or_no(book: Rulebook, blank: bytes, tmp_path: Path) -> None:
    cell = answer_cell(blank, "dust_zone20_present")
    message = read_with(book, blank, tmp_path, {f"{MAIN}!{cell}": "有"})
    assert f"{MAIN}!{cell}: dust_zone20_present (存在20区): expected 是 or 否, got '有'" in message


def test_number_cell_with_words(book: Rulebook, blank: bytes, tmp_path: Path) -> None:
    cell = answer_cell(blank, "general_employees")
    message = read_with(book, blank, tmp_path, {f"{MAIN}!{cell}": "约120人"})
    assert f"{MAIN}!{cell}: general_employees (从业人员人数): expected a number (person), got '约120人'" in message


def test_number_below_the_catalog_minimum(book: Rulebook, blank: bytes, tmp_path: Path) -> None:
    cell = answer_cell(blank, "general_employees")
    message = read_with(book, blank, tmp_path, {f"{MAIN}!{cell}": -3})
    assert f"{MAIN}!{cell}: fact 'general_employees' must be at least 0 person, got -3" in message


def test_enum_field_outside_its_values(book: Rulebook, blank: bytes, tmp_path: Path) -> None:
    sheet, columns = record_sheet(blank, "dust_collectors")
    message = read_with(book, blank, tmp_path, {f"{sheet}!{columns['kind']}4": "干"})
    assert f"{sheet}!{columns['kind']}4: dust_collectors.kind (除尘方式): expected one of ['干式', '湿式'], " \
           "got '干'" in message


def test_none_answered_but_things_listed(book: Rulebook, blank: bytes, tmp_path: Path) -> None:
    cell = answer_cell(blank, "dust_collectors")
    message = read_with(book, blank, tmp_path, {f"{MAIN}!{cell}": NONE})
    listed = len(book.load_enterprise(WOOD).facts["dust_collectors"])
    assert f"{MAIN}!{cell}: dust_collectors (除尘系统): answered '无', but sheet" in message
    assert f"lists {listed}" in message


def test_listed_answered_but_nothing_listed(book: Rulebook, blank: bytes, tmp_path: Path) -> None:
    cell = answer_cell(blank, "trade_confined_spaces")
    message = read_with(book, blank, tmp_path, {f"{MAIN}!{cell}": LISTED})
    assert f"{MAIN}!{cell}: trade_confined_spaces (有限空间): answered '见清单', but sheet" in message
    assert "lists nothing" in message


def test_missing_enterprise_id_and_unknown_industry(book: Rulebook, blank: bytes, tmp_path: Path) -> None:
    message = read_with(book, blank, tmp_path, {f"{MAIN}!E5": None, f"{MAIN}!E9": "dust, dusty"})
    assert f"{MAIN}!E9: unknown industry 'dusty'" in message and "(did you mean 'dust'?)" in message
    blank_id = read_with(book, blank, tmp_path, {f"{MAIN}!E5": None})
    assert f"{MAIN}!E5: enterprise id: required: the enterprise's id" in blank_id


def test_bad_date(book: Rulebook, blank: bytes, tmp_path: Path) -> None:
    message = read_with(book, blank, tmp_path, {f"{MAIN}!E10": "2024-13-01"})
    assert f"{MAIN}!E10: inspected_on (检查日期): expected a date (YYYY-MM-DD), got '2024-13-01'" in message


def test_every_bad_cell_at_once(book: Rulebook, blank: bytes, tmp_path: Path) -> None:
    zone = answer_cell(blank, "dust_zone20_present")
    people = answer_cell(blank, "general_employees")
    message = read_with(book, blank, tmp_path, {f"{MAIN}!{zone}": "x", f"{MAIN}!{people}": "y"})
    assert f"{MAIN}!{zone}" in message and f"{MAIN}!{people}" in message


def test_not_a_workbook_and_not_a_checklist(book: Rulebook, tmp_path: Path) -> None:
    text = tmp_path / "notes.xlsx"
    text.write_text("not a zip", encoding="utf-8")
    with pytest.raises(WorkbookError, match=r"not an Excel workbook \(\.xlsx\)"):
        read_checklist_workbook(book, text)
    other = tmp_path / "other.xlsx"
    Workbook().save(other)
    with pytest.raises(WorkbookError, match="not a checklist made by `safety-rules checklist`"):
        read_checklist_workbook(book, other)
