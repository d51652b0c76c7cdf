"""The fact catalog: every fact an inspector can establish, and every derived fact.

A catalog file (``rules/facts/*.yaml``) maps fact ids to their declarations::

    facts:
      mhs_exposed_population:
        type: number
        unit: person
        minimum: 0
        label: 厂区外可能暴露人员数
        question: 重大危险源厂区边界向外500米范围内常住人口数量是多少？
      mhs_alpha:
        type: number
        unit: "1"
        label: 暴露人员校正系数α
        derive: 2.0 if mhs_exposed_population >= 100 else 1.5 if mhs_exposed_population >= 50 else ...

Observed facts carry the ``question`` an inspector answers; derived facts carry
``derive``, an expression over other facts. Enterprise fact files are checked
against the catalog here.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..shared._errors import FactError, Problem, did_you_mean
from ._expressions import RESERVED, Arith, Expr, FactRef, IfElse, Lookup
from ._expressions import Field as FieldRef
from ._types import Type

FACT_ID = re.compile(r"[a-z][a-z0-9_]*")

FieldKind = Literal["bool", "number", "enum", "string", "date"]


class _Strict(BaseModel):
    # validators are built on first use, not on import: `import safety_rules` stays quick
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class FieldSpec(_Strict):
    """One field of a list-of-records fact."""

    type: FieldKind
    label: str = Field(min_length=1)
    unit: str | None = None
    values: list[str] | None = None
    minimum: float | None = Field(default=None, description="numbers only: the least value accepted")
    maximum: float | None = Field(default=None, description="numbers only: the greatest value accepted")

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        _check_type_extras(self.type, self.unit, self.values, self.minimum, self.maximum)
        return self


class FactSpec(_Strict):
    """One fact of the catalog."""

    type: Literal["bool", "number", "enum", "string", "date", "records"]
    label: str = Field(min_length=1, description="中文名称")
    question: str | None = Field(default=None, description="检查人员为确定该事实需回答的问题")
    unit: str | None = Field(default=None, description="numbers only: t, m, person, % ...")
    values: list[str] | None = Field(default=None, description="enums only: the allowed values")
    fields: dict[str, FieldSpec] | None = Field(default=None, description="records only")
    minimum: float | None = None
    maximum: float | None = None
    derive: str | None = Field(default=None, description="derived facts: expression over other facts")
    any_industry: bool = Field(default=False, description="a fact any enterprise may state (its economic class): "
                               "stating it is no sign that the industries whose rules read it apply")
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FactSpec:
        _check_type_extras(self.type, self.unit, self.values, self.minimum, self.maximum)
        if self.type == "records" and not self.fields:
            raise ValueError("a records fact needs 'fields'")
        if self.type != "records" and self.fields is not None:
            raise ValueError("'fields' is only for type records")
        if self.derive is None and not self.question:
            raise ValueError("an observed fact needs a 'question'; a derived one needs 'derive'")
        if self.derive is not None and self.type == "records":
            raise ValueError("a derived fact cannot be a list of records")
        return self


def _check_type_extras(kind: str, unit: str | None, values: list[str] | None,
                       minimum: float | None, maximum: float | None) -> None:
    if (minimum is not None or maximum is not None) and kind != "number":
        raise ValueError("'minimum'/'maximum' are only for numbers")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise ValueError(f"minimum {minimum} is above maximum {maximum}")
    if kind == "number" and not unit:
        raise ValueError("a number needs a 'unit' (t, m, person, %, ... or '1' for a plain count)")
    if kind != "number" and unit is not None:
        raise ValueError("'unit' is only for numbers")
    if kind == "enum":
        if not values:
            raise ValueError("an enum needs 'values'")
        if len(set(values)) != len(values):
            raise ValueError("enum 'values' must be distinct")
    elif values is not None:
        raise ValueError("'values' is only for enums")


class FactCatalogFile(_Strict):
    """A file under ``rules/facts/``."""

    description: str | None = None
    facts: dict[str, FactSpec]


def spec_type(fact_id: str, spec: FactSpec | FieldSpec) -> Type:
    unit = None if spec.unit == "1" else spec.unit
    if spec.type == "number":
        return Type("number", unit=unit or "", origin=fact_id)
    if spec.type == "enum":
        return Type("enum", values=tuple(spec.values or ()), origin=fact_id)
    if spec.type == "records":
        assert isinstance(spec, FactSpec) and spec.fields is not None
        fields = {name: spec_type(f"{fact_id}.{name}", f) for name, f in spec.fields.items()}
        return Type("records", fields=fields, origin=fact_id)
    return Type(spec.type, origin=fact_id)


def fact_id_problem(fact_id: Any) -> str | None:
    if not isinstance(fact_id, str) or not FACT_ID.fullmatch(fact_id):
        return f"fact id {fact_id!r} must be lower_snake_case (a-z, 0-9, _), starting with a letter"
    if fact_id in RESERVED:
        return f"fact id {fact_id!r} is reserved by the condition language"
    return None


class FactCatalog:
    """All declared facts, with their types; validates enterprise fact values."""

    def __init__(self, specs: Mapping[str, FactSpec]) -> None:
        self.specs: dict[str, FactSpec] = dict(specs)
        self.locations: dict[str, tuple[str, int | None]] = {}  # fact -> (file, line), when read from files
        self.types: dict[str, Type] = {k: spec_type(k, s) for k, s in self.specs.items()}
        # fact or "fact.field" -> where it divides: a 0 there is an input error, not an
        # unknown result with nothing to ask
        self.divisors: dict[str, str] = {}
        self._plain: dict[str, Any] | None = None

    def _plain_checks(self) -> dict[str, Any]:
        """What a value of each fact needs only a glance to pass: ``bool`` for a true/false
        fact, ``float`` for a number with no bounds that nothing divides by, the set of values
        of an enum. The glance is :meth:`validate`'s quick path; anything else (another type,
        a number with bounds, a string or date, records, a fact it does not know) takes the
        full check, so that every problem is still found and worded the same."""
        if self._plain is None:
            plain: dict[str, Any] = {}
            for fid, spec in self.specs.items():
                if spec.derive is not None:
                    continue
                if spec.type == "bool":
                    plain[fid] = bool
                elif spec.type == "number" and spec.minimum is None and spec.maximum is None \
                        and fid not in self.divisors:
                    plain[fid] = float
                elif spec.type == "enum":
                    plain[fid] = frozenset(spec.values or ())
            self._plain = plain
        return self._plain

    def note_divisors(self, exprs: Mapping[str, Expr]) -> None:
        """Record the facts and record fields that ``exprs`` (by where they are used) divide by."""
        for where, expr in exprs.items():
            for node in expr.walk():
                if isinstance(node, Arith):
                    for op, operand in zip(node.ops, node.operands[1:], strict=True):
                        if op == "/":
                            for name in _value_sources(operand):
                                self.divisors.setdefault(name, where)
        self._plain = None  # a fact divided by needs its full check

    def label(self, fact_id: str) -> str:
        base = fact_id.split("[", 1)[0]
        spec = self.specs.get(base)
        return spec.label if spec else fact_id

    # -- validation of values
    def validate(self, raw: Mapping[Any, Any], *, source: str = "<facts>") -> tuple[dict[str, Any], list[Problem]]:
        """Checked, normalised fact values and the problems found (all of them)."""
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        lines: Mapping[Any, int] = getattr(raw, "key_lines", {})
        plain, isfinite = self._plain_checks(), math.isfinite
        for key, value in raw.items():
            check = plain.get(key) if key.__class__ is str else None
            kind = value.__class__
            if check is not None and (
                    (check is bool and kind is bool)
                    or (check is float and (kind is int or (kind is float and isfinite(value))))
                    or (kind is str and check.__class__ is frozenset and value in check)):
                values[key] = value
                continue
            line = lines.get(key)

            def problem(message: str, fact: str = str(key), suggestion: str | None = None,
                        _line: int | None = line) -> None:
                if suggestion:
                    message += f" (did you mean {suggestion!r}?)"
                problems.append(Problem(message, path=source, line=_line, fact=fact, code="SR701"))

            spec = self.specs.get(key) if isinstance(key, str) else None
            if spec is None:
                problem(f"unknown fact {key!r}", suggestion=did_you_mean(str(key), self.specs))
                continue
            if spec.derive is not None:
                problem(f"fact {key!r} is derived ({spec.derive}); give the facts it is derived from")
                continue
            if value is None:
                continue  # explicitly unknown: the same as leaving it out
            checked, error = _check_value(spec, value, key, lines=getattr(value, "item_lines", None),
                                          divisors=self.divisors)
            if error is not None:
                problem(error[0], fact=error[1], _line=error[2] or line)
            else:
                values[key] = checked
        return values, problems

    def validated(self, raw: Mapping[Any, Any], *, source: str = "<facts>") -> dict[str, Any]:
        values, problems = self.validate(raw, source=source)
        if problems:
            raise FactError(
                "; ".join(str(p) for p in problems) if len(problems) > 1 else problems[0].message,
                path=problems[0].path, line=problems[0].line, fact=problems[0].fact,
                problems=problems)
        return values


def _check_scalar(spec: FactSpec | FieldSpec, value: Any, name: str) -> tuple[Any, str | None]:
    kind = spec.type
    if kind == "bool":
        if isinstance(value, bool):
            return value, None
        return None, f"fact {name!r} must be true or false, got {value!r}"
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                isinstance(value, float) and not math.isfinite(value)):
            return None, f"fact {name!r} must be a number ({spec.unit}), got {value!r}"
        if spec.minimum is not None and value < spec.minimum:
            return None, f"fact {name!r} must be at least {spec.minimum:g} {spec.unit}, got {value}"
        if spec.maximum is not None and value > spec.maximum:
            return None, f"fact {name!r} must be at most {spec.maximum:g} {spec.unit}, got {value}"
        return value, None
    if kind == "enum":
        assert spec.values is not None
        if isinstance(value, str) and value in spec.values:
            return value, None
        hint = did_you_mean(str(value), spec.values)
        extra = f" (did you mean {hint!r}?)" if hint else ""
        return None, (f"fact {name!r} must be one of {spec.values}, got {value!r}{extra}")
    if kind == "string":
        if isinstance(value, str):
            return value, None
        return None, f"fact {name!r} must be text, got {value!r}"
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date(), None
        if isinstance(value, dt.date):
            return value, None
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value), None
            except ValueError:
                pass
        return None, f"fact {name!r} must be a date (YYYY-MM-DD), got {value!r}"
    raise AssertionError(kind)


def _value_sources(e: Expr) -> list[str]:
    """The facts and record fields (``fact.field``) whose value ``e`` can be as it stands."""
    if isinstance(e, FactRef):
        return [e.id]
    if isinstance(e, FieldRef):
        return [f"{e.source}.{e.name}"]
    if isinstance(e, IfElse):
        return [name for branch in (*(then for _, then in e.branches), e.otherwise) for name in _value_sources(branch)]
    if isinstance(e, Lookup):
        return [f"{TABLE_SOURCE}{e.table}.{e.column}"]
    return []


TABLE_SOURCE = "table:"  # marks a table column among the divisors


def _zero_divisor(name: str, value: Any, divisors: Mapping[str, str], where: str) -> str | None:
    if value == 0 and name in divisors:
        return (f"fact {where!r} is 0, but {divisors[name]} divides by it: the result would be unknown "
                "with nothing to ask; give the real value")
    return None


def _check_value(spec: FactSpec, value: Any, key: str, lines: list[int] | None = None,
                 divisors: Mapping[str, str] | None = None) -> tuple[Any, tuple[str, str, int | None] | None]:
    divisors = divisors or {}
    if spec.type != "records":
        checked, error = _check_scalar(spec, value, key)
        error = error or _zero_divisor(key, checked, divisors, key)
        return checked, (error, key, None) if error else None
    assert spec.fields is not None
    if not isinstance(value, list):
        return None, (f"fact {key!r} must be a list of records, got {type(value).__name__}", key, None)
    records = []
    for i, item in enumerate(value):
        line = lines[i] if lines and i < len(lines) else None
        if not isinstance(item, Mapping):
            return None, (f"fact {key!r} item {i} must be a record (a mapping of fields)", key, line)
        record: dict[str, Any] = {}
        for fname, fvalue in item.items():
            fspec = spec.fields.get(fname) if isinstance(fname, str) else None
            where = f"{key}[{i}].{fname}"
            if fspec is None:
                hint = did_you_mean(str(fname), spec.fields)
                extra = f" (did you mean {hint!r}?)" if hint else ""
                return None, (f"record {key}[{i}] has unknown field {fname!r}{extra}", where, line)
            if fvalue is None:
                continue
            checked, error = _check_scalar(fspec, fvalue, where)
            error = error or _zero_divisor(f"{key}.{fname}", checked, divisors, where)
            if error:
                return None, (error, where, line)
            record[fname] = checked
        records.append(record)
    return records, None
