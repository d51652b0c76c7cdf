"""Lookup tables: data a condition reads by key, versioned by edition like the law.

A table file (``rules/tables/*.yaml``) holds rows keyed by a string, with typed
columns, per edition (GB 18218-2009 表1 from 2009-12-01, GB 18218-2018 表1 from
2019-03-01)::

    id: gb18218-named-substances
    title: 危险化学品名称及其临界量（GB 18218 表1）
    key: {label: 危险化学品名称}
    columns:
      critical_t: {type: number, unit: t, label: 临界量}
    editions:
      - id: "2018"
        label: GB 18218-2018 表1
        effective_from: 2019-03-01
        source: {document: gb-18218, provision: table-1}
        rows:
          - {key: 氨, critical_t: 10, source_checked: true}

A condition reads it with ``lookup('gb18218-named-substances', t.substance,
'critical_t')``: the edition in force on the assessment date, the row whose key
matches (``match: prefix`` takes the longest matching prefix, for classification
codes), else the edition's ``default`` row, else unknown. Data belongs here rather
than in ``x if c else y`` chains: a chain of 90 substances is unreadable, slow and,
in generated code, too deeply nested to compile.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..shared._errors import Problem
from ..shared._windows import Window, effective_windows
from ._types import Type

TABLE_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
ROW_META = frozenset({"key", "aliases", "source_checked", "note"})


class _Strict(BaseModel):
    # validators are built on first use, not on import: `import safety_rules` stays quick
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ColumnSpec(_Strict):
    type: Literal["number", "string", "enum", "bool"]
    label: str = Field(min_length=1)
    unit: str | None = Field(default=None, description="numbers only; '1' for a plain ratio")
    values: list[str] | None = Field(default=None, description="enums only")
    minimum: float | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ColumnSpec:
        if (self.type == "number") != (self.unit is not None):
            raise ValueError("a number column needs a 'unit'; other columns take none")
        if (self.type == "enum") != bool(self.values):
            raise ValueError("an enum column needs 'values'; other columns take none")
        return self


class KeySpec(_Strict):
    label: str = Field(min_length=1)
    match: Literal["exact", "prefix"] = Field(default="exact", description="prefix: the longest key that "
                                              "starts the looked-up value wins (classification codes)")


class TableSource(_Strict):
    document: str = Field(description="document id in rules/law/")
    provision: str | None = None


class TableEdition(_Strict):
    id: str
    label: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    source: TableSource
    default: dict[str, Any] | None = Field(default=None, description="the row for any key not listed")
    rows: list[dict[str, Any]] = Field(min_length=1)
    note: str | None = None


class TableFile(_Strict):
    id: str
    title: str
    key: KeySpec
    columns: dict[str, ColumnSpec] = Field(min_length=1)
    editions: list[TableEdition] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _ids(self) -> TableFile:
        if not TABLE_ID.fullmatch(self.id):
            raise ValueError(f"table id {self.id!r} must be lower-case letters, digits and '-'")
        starts = [e.effective_from for e in self.editions]
        if starts != sorted(starts):
            raise ValueError("editions must be listed in order of effective_from")
        return self


def column_type(table: str, name: str, spec: ColumnSpec) -> Type:
    origin = f"{table}.{name}"
    if spec.type == "number":
        return Type("number", unit="" if spec.unit == "1" else spec.unit, origin=origin)
    if spec.type == "enum":
        return Type("enum", values=tuple(spec.values or ()), origin=origin)
    return Type(spec.type, origin=origin)


@dataclass(frozen=True)
class TableType:
    """What the condition language needs to type-check a ``lookup``."""

    id: str
    columns: Mapping[str, Type]


class Table:
    """A loaded table: rows by key, per edition; ``get`` answers a lookup."""

    def __init__(self, spec: TableFile, editions: list[tuple[Window, dict[str, dict[str, Any]],
                                                               dict[str, Any] | None]]) -> None:
        self.spec = spec
        self.id = spec.id
        self._editions = editions
        self._starts = [w.start for w, _rows, _default in editions]
        self._prefix = spec.key.match == "prefix"
        self.type = TableType(spec.id, {n: column_type(spec.id, n, c) for n, c in spec.columns.items()})

    def edition_index(self, day: dt.date) -> int | None:
        i = bisect.bisect_right(self._starts, day) - 1
        if i < 0:
            return None
        window = self._editions[i][0]
        return i if window.contains(day) else None

    def row(self, key: str, day: dt.date) -> dict[str, Any] | None:
        i = self.edition_index(day)
        if i is None:
            return None
        _window, rows, default = self._editions[i]
        found = rows.get(key)
        if found is None and self._prefix:
            for length in range(len(key) - 1, 0, -1):
                found = rows.get(key[:length])
                if found is not None:
                    break
        return found if found is not None else default

    def get(self, key: Any, column: str, day: dt.date) -> Any:
        """The column's value for ``key`` on ``day``; None (unknown) when nothing matches."""
        if key is None:
            return None
        row = self.row(str(key), day)
        return None if row is None else row.get(column)


def build_table(spec: TableFile, path: str, raw_editions: Any) -> tuple[Table, list[Problem]]:
    """Check every row against the columns and index the editions; ``raw_editions`` is the
    YAML sequence the spec was read from, for line numbers."""
    problems: list[Problem] = []
    windows = effective_windows([(e.effective_from, e.effective_to) for e in spec.editions])
    editions = []
    for ei, (edition, window) in enumerate(zip(spec.editions, windows, strict=True)):
        line = raw_editions.item_lines[ei]
        row_lines = raw_editions[ei]["rows"].item_lines

        def problem(message: str, _edition: str = edition.id, _line: int | None = line) -> None:
            problems.append(Problem(f"table {spec.id}, edition {_edition}: {message}", path=path, line=_line,
                                    code="SR506"))

        rows: dict[str, dict[str, Any]] = {}
        for ri, row in enumerate(edition.rows):
            row_line = row_lines[ri]
            key = row.get("key")
            if not isinstance(key, str) or not key.strip():
                problem(f"row {ri + 1} needs a text 'key'", _line=row_line)
                continue
            checked = _check_row(spec, row, require_all=True)
            if isinstance(checked, str):
                problem(f"row {key!r}: {checked}", _line=row_line)
                continue
            if not isinstance(row.get("source_checked"), bool):
                problem(f"row {key!r}: give source_checked: true or false", _line=row_line)
            for name in [key, *(row.get("aliases") or [])]:
                if name in rows:
                    problem(f"key {name!r} is listed twice", _line=row_line)
                rows[name] = checked
        default = None
        if edition.default is not None:
            checked_default = _check_row(spec, edition.default, require_all=False)
            if isinstance(checked_default, str):
                problem(f"default: {checked_default}")
            else:
                default = checked_default
        editions.append((window, rows, default))
    return Table(spec, editions), problems


def _check_row(spec: TableFile, row: Mapping[str, Any], *, require_all: bool) -> dict[str, Any] | str:
    values: dict[str, Any] = {}
    for name in row:
        if name not in spec.columns and name not in ROW_META:
            return f"unknown column {name!r}; the columns are {sorted(spec.columns)}"
    for name, col in spec.columns.items():
        value = row.get(name)
        if value is None:
            if require_all and name in row:
                continue  # explicitly unknown
            continue
        if col.type == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f"{name} must be a number ({col.unit}), got {value!r}"
            if col.minimum is not None and value < col.minimum:
                return f"{name} must be at least {col.minimum}, got {value}"
        elif col.type == "enum" and value not in (col.values or ()):
            return f"{name} must be one of {col.values}, got {value!r}"
        elif col.type == "string" and not isinstance(value, str):
            return f"{name} must be text, got {value!r}"
        elif col.type == "bool" and not isinstance(value, bool):
            return f"{name} must be true or false, got {value!r}"
        values[name] = value
    return values
