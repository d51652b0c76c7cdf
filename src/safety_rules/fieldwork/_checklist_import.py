"""Reading a filled checklist workbook back into an enterprise.

Every answer cell is converted by the type its fact has in the catalog, then the whole set
of facts is checked against the catalog as an enterprise file's would be (ranges, enum
values, a 0 that a condition divides by). Every bad cell is reported at once, by sheet and
cell, with what was expected; nothing is half-read. An empty answer is unknown, never 否.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import ValidationError

from ..engine._enterprise import Enterprise, EnterpriseHeader
from ..engine._facts import FactSpec, FieldSpec
from ..engine._rulebook import Rulebook
from ..shared._errors import Problem, WorkbookError, did_you_mean
from ._checklist_xlsx import (
    ANSWER_COLUMN,
    FORMAT,
    KEY_COLUMN,
    LISTED,
    MAIN,
    META,
    NO,
    NONE,
    RECORD_FIRST_ROW,
    RECORD_KEY_ROW,
    YES,
)

_SEPARATORS = re.compile(r"[\s,，、;；]+")


class _Reader:
    def __init__(self, book: Rulebook, path: Path) -> None:
        self.book, self.path = book, path
        self.problems: list[Problem] = []
        self.where: dict[str, str] = {}  # fact, or fact[i].field -> "sheet!cell"

    def problem(self, where: str, message: str, fact: str | None = None) -> None:
        self.problems.append(Problem(f"{where}: {message}", path=str(self.path), fact=fact, code="WorkbookError"))

    # ------------------------------------------------------------- values
    def value(self, spec: FactSpec | FieldSpec, raw: Any, where: str, name: str) -> Any:
        """The cell's answer as the catalog types it; ``None`` (and a problem) when it does not fit."""
        what = f"{name} ({spec.label})"
        if isinstance(raw, str):
            raw = raw.strip()
        kind = spec.type
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            if raw in (YES, NO):
                return raw == YES
            return self.problem(where, f"{what}: expected {YES} or {NO}, got {raw!r}", name)
        if kind == "number":
            number = raw
            if isinstance(raw, str):
                try:
                    number = float(raw)
                except ValueError:
                    number = None
            if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
                unit = f" ({spec.unit})" if spec.unit and spec.unit != "1" else ""
                return self.problem(where, f"{what}: expected a number{unit}, got {raw!r}", name)
            return int(number) if isinstance(number, float) and number.is_integer() else number
        if kind == "enum":
            values = spec.values or []
            if isinstance(raw, str) and raw in values:
                return raw
            hint = did_you_mean(str(raw), values)
            return self.problem(where, f"{what}: expected one of {values}, got {raw!r}"
                                + (f" (did you mean {hint!r}?)" if hint else ""), name)
        if kind == "date":
            if isinstance(raw, dt.datetime):
                return raw.date()
            if isinstance(raw, dt.date):
                return raw
            try:
                return dt.date.fromisoformat(str(raw))
            except ValueError:
                return self.problem(where, f"{what}: expected a date (YYYY-MM-DD), got {raw!r}", name)
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)  # a code typed into a text cell that Excel stored as a number
        return str(raw)

    # -------------------------------------------------------------- sheets
    def records(self, ws: Worksheet, fact: str, spec: FactSpec) -> list[dict[str, Any]]:
        fields: dict[int, str] = {}
        for cell in ws[RECORD_KEY_ROW][1:]:
            key = cell.value
            if isinstance(key, str) and key.startswith("field:") and cell.column is not None:
                fields[cell.column] = key[len("field:"):]
        assert spec.fields is not None
        records: list[dict[str, Any]] = []
        for row in ws.iter_rows(min_row=RECORD_FIRST_ROW):
            cells = [c for c in row if c.column in fields and c.value is not None and str(c.value).strip() != ""]
            if not cells:
                continue
            where_index = len(records)
            record: dict[str, Any] = {}
            for cell in cells:
                name = fields[cell.column]
                where = f"{ws.title}!{cell.coordinate}"
                field_spec = spec.fields.get(name)
                if field_spec is None:
                    self.problem(where, f"{fact} has no field {name!r}; the rulebook has changed since the "
                                 "checklist was made: make a new one", fact)
                    continue
                self.where[f"{fact}[{where_index}].{name}"] = where
                value = self.value(field_spec, cell.value, where, f"{fact}.{name}")
                if value is not None:
                    record[name] = value
            records.append(record)
            self.where.setdefault(f"{fact}[{where_index}]", f"{ws.title}!A{row[0].row}")
        return records

    def read(self) -> Enterprise:
        try:
            wb = load_workbook(self.path, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise WorkbookError(f"not an Excel workbook (.xlsx): {exc}", path=self.path) from None
        except OSError as exc:
            raise WorkbookError(f"cannot read the workbook: {exc.strerror or exc}", path=self.path) from None
        meta = {str(row[0]): row[1] for row in wb[META].iter_rows(values_only=True) if row and row[0]} \
            if META in wb.sheetnames else {}
        if meta.get("format") != FORMAT or MAIN not in wb.sheetnames:
            raise WorkbookError(f"not a checklist made by `safety-rules checklist`: no sheet {MAIN!r} with its "
                                f"hidden {META!r} sheet", path=self.path)

        header: dict[str, Any] = {}
        header_where: dict[str, str] = {}
        answers: dict[str, Any] = {}
        listed: dict[str, tuple[Any, str]] = {}
        main = wb[MAIN]
        for row in main.iter_rows(min_row=1):
            if len(row) < KEY_COLUMN:
                continue
            key, cell = row[KEY_COLUMN - 1].value, row[ANSWER_COLUMN - 1]
            if not isinstance(key, str):
                continue
            where = f"{MAIN}!{cell.coordinate}"
            raw = cell.value.strip() if isinstance(cell.value, str) else cell.value
            if key.startswith("enterprise:"):
                header[key[len("enterprise:"):]] = raw
                header_where[key[len("enterprise:"):]] = where
                continue
            if not key.startswith("fact:"):
                continue  # manual checks: a conclusion in words, not a fact
            fact = key[len("fact:"):]
            if fact in self.where:
                self.problem(where, f"{fact} is answered twice (also at {self.where[fact]}); keep one row", fact)
                continue
            self.where[fact] = where
            spec = self.book.facts.specs.get(fact)
            if spec is None:
                self.problem(where, f"unknown fact {fact!r}: the rulebook has changed since the checklist was made",
                             fact)
                continue
            if spec.type == "records":
                listed[fact] = (raw, where)
            elif raw is not None and raw != "":
                value = self.value(spec, raw, where, fact)
                if value is not None:
                    answers[fact] = value

        for ws in wb.worksheets:
            key = ws.cell(row=RECORD_KEY_ROW, column=1).value
            if not (isinstance(key, str) and key.startswith("records:")):
                continue
            fact = key[len("records:"):]
            spec = self.book.facts.specs.get(fact)
            if spec is None or spec.type != "records":
                self.problem(f"{ws.title}!A{RECORD_KEY_ROW}", f"unknown list fact {fact!r}: the rulebook has "
                             "changed since the checklist was made", fact)
                continue
            records = self.records(ws, fact, spec)
            said, where = listed.pop(fact, (None, f"{ws.title}!A{RECORD_KEY_ROW}"))
            if said == NONE and records:
                self.problem(where, f"{fact} ({spec.label}): answered {NONE!r}, but sheet "
                             f"{ws.title!r} lists {len(records)}", fact)
            elif said == LISTED and not records:
                self.problem(where, f"{fact} ({spec.label}): answered {LISTED!r}, but sheet "
                             f"{ws.title!r} lists nothing", fact)
            elif said not in (None, "", NONE, LISTED):
                self.problem(where, f"{fact} ({spec.label}): expected {LISTED} or {NONE}, got {said!r}",
                             fact)
            elif records or said == NONE:
                answers[fact] = records
        for fact, (_said, where) in listed.items():
            self.problem(where, f"{fact}: its sheet is missing from the workbook", fact)

        enterprise = self.enterprise(header, header_where, answers)
        if self.problems or enterprise is None:
            raise WorkbookError(f"{len(self.problems)} bad cell(s) in the checklist workbook", path=self.path,
                                problems=self.problems)
        return enterprise

    def enterprise(self, header: dict[str, Any], where: dict[str, str], facts: dict[str, Any]) -> Enterprise | None:
        for problem in self.book.facts.validate(facts, source=str(self.path))[1]:
            fact = problem.fact or ""
            place = self.where.get(fact) or self.where.get(fact.split(".", 1)[0]) or self.where.get(
                fact.split("[", 1)[0], MAIN)
            self.problem(place, problem.message, fact)
        values = {k: v for k, v in header.items() if v is not None and v != ""}
        if "region" in values and isinstance(values["region"], int | float):
            values["region"] = str(int(values["region"]))
        industries = _SEPARATORS.split(str(values.pop("industries", "")).strip())
        industries = [i for i in industries if i]
        for industry in industries:
            if industry not in self.book.industries:
                hint = did_you_mean(industry, self.book.industries)
                self.problem(where.get("industries", MAIN), f"unknown industry {industry!r}; the rulebook has "
                             f"{sorted(self.book.industries)}" + (f" (did you mean {hint!r}?)" if hint else ""))
        if "inspected_on" in values:
            values["inspected_on"] = self.value(FieldSpec(type="date", label="检查日期"), values["inspected_on"],
                                                where["inspected_on"], "inspected_on")
        try:
            model = EnterpriseHeader(**values, industries=industries)
        except ValidationError as exc:
            for error in exc.errors():
                name = str(error["loc"][0]) if error["loc"] else "id"
                expected = "required: the enterprise's id" if error["type"] == "missing" else error["msg"]
                self.problem(where.get(name, MAIN), f"enterprise {name}: {expected}")
            return None
        if self.problems:
            return None
        return self.book.enterprise(model.id, facts, name=model.name, county=model.county, region=model.region,
                                    industries=model.industries, inspected_on=model.inspected_on,
                                    source=str(self.path))


def read_checklist_workbook(book: Rulebook, path: str | Path) -> Enterprise:
    """The enterprise a filled checklist workbook describes, its facts checked against ``book``'s
    catalog; raises :class:`WorkbookError` naming every bad cell."""
    return _Reader(book, Path(path)).read()
