"""Static types of facts and expressions, with units for numbers.

Units are short strings (``t``, ``m``, ``person``, ``%`` ...). A number literal has
no unit (``unit=None``) and fits any unit; a computed dimensionless number (a count,
a ratio of like quantities) has the empty unit ``""``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["bool", "number", "string", "enum", "date", "records", "record", "list"]


@dataclass(frozen=True)
class Type:
    kind: Kind
    unit: str | None = None
    values: tuple[str, ...] = ()
    fields: Mapping[str, Type] = field(default_factory=dict, compare=False, hash=False)
    origin: str = ""  # the fact (or fact.field) the type was declared on, for messages

    def describe(self) -> str:
        if self.kind == "number":
            return f"number ({self.unit})" if self.unit else "number"
        if self.kind == "enum":
            shown = ", ".join(self.values[:6]) + (", ..." if len(self.values) > 6 else "")
            return f"one of [{shown}]"
        if self.kind == "records":
            return "list of records"
        return self.kind


BOOL = Type("bool")
STRING = Type("string")
DATE = Type("date")
LITERAL_NUMBER = Type("number", unit=None)
COUNT = Type("number", unit="")


def units_compatible(a: Type, b: Type) -> bool:
    return a.unit is None or b.unit is None or a.unit == b.unit


def combine_units(op: str, a: str | None, b: str | None) -> str | None:
    """The unit of ``a op b`` for ``*`` and ``/``."""
    if a is None and b is None:
        return None
    if op == "*":
        parts = [u for u in (a, b) if u]
        return "*".join(parts)
    # division
    if not b:
        return a if a is not None else ""
    if a == b:
        return ""
    return f"{a or '1'}/{b}"
