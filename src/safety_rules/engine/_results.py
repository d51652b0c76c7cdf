"""What an assessment returns. These field names are a stable interface: the JSON
output of ``safety-rules assess --format json`` is exactly these models, and
``docs/output.md`` documents them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    computed_field,
    model_validator,
)

from ..law._catalog import ResolvedCitation, Sanction
from ._rule_files import Rectification, Severity


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


R = TypeVar("R", bound=BaseModel)

# Every field is always given, so every object of a class can share one fields-set (frozen
# models never change it; model_copy copies it).
_ALL_FIELDS: dict[type[BaseModel], set[str]] = {}


def trusted(cls: type[R], values: dict[str, Any], private: dict[str, Any] | None = None) -> R:
    """A result model built from values the engine produced itself, without re-validating them.

    ``model_construct`` costs about 3 µs a call, and an assessment builds dozens of
    findings; this sets the same four slots pydantic's own ``model_construct`` sets.
    ``values`` becomes the object's ``__dict__`` as it is: the engine passes one cached
    dict to every finding of a rule version (frozen models never write to it, and
    ``model_copy`` copies it), which keeps the garbage collector's work per finding small.
    ``tests/test_results.py`` checks that such objects equal validated ones, so a change
    in pydantic's internals fails a test rather than the output.
    """
    obj = cls.__new__(cls)
    setattr_ = object.__setattr__
    setattr_(obj, "__dict__", values)
    setattr_(obj, "__pydantic_fields_set__", _ALL_FIELDS[cls] if cls in _ALL_FIELDS else set(values))
    setattr_(obj, "__pydantic_extra__", None)
    setattr_(obj, "__pydantic_private__", private)
    return obj


class Reason(_Result):
    """A sub-condition that decided the outcome, with the facts it read."""

    condition: str = Field(description="the sub-condition as written in the rule")
    value: bool | None = Field(description="its value; null = unknown")
    facts: dict[str, Any] = Field(default_factory=dict, description="facts it read, null = missing")


class _Lazy(_Result):
    """A result with fields computed on first read: equal to another when their dumps are
    equal (computed fields included), whatever private state they are computed from."""

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    def __hash__(self) -> int:
        return hash((type(self).__name__, getattr(self, "rule_id", None), getattr(self, "rule_version", None)))


class Finding(_Lazy):
    """A rule version whose condition holds: a violation or a major accident hazard.

    ``facts`` and ``explanation`` are worked out by the reference interpreter the first
    time they are read (or serialised): most callers count and list findings, and the
    explanation costs more than the classification.
    """

    rule_id: str
    rule_version: str
    rulebook_version: str
    industry: str
    severity: Severity
    title: str
    citations: list[ResolvedCitation] = Field(description="as in force on the date assessed")
    sanction: Sanction | None = Field(description="from the penalty citation, as in force")
    rectification: Rectification
    source_checked: bool = Field(description="false if the rule's wording was not checked against its source")
    # until first read: where to work the details out, and for which rule version
    _source: Any = PrivateAttr(default=None)
    _version: Any = PrivateAttr(default=None)
    _detail: tuple[dict[str, Any], list[Reason]] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _read_details(cls, data: Any, handler: ModelWrapValidatorHandler[Finding]) -> Finding:
        # facts and explanation are computed fields: keep them when a finding is read back
        # from its JSON, instead of silently dropping them
        details = None
        if isinstance(data, dict) and ("facts" in data or "explanation" in data):
            data = dict(data)
            details = (dict(data.pop("facts", {})),
                       [Reason.model_validate(r) for r in data.pop("explanation", [])])
        finding = handler(data)
        if details is not None:
            finding._detail = details
        return finding

    def _worked_out(self) -> tuple[dict[str, Any], list[Reason]]:
        if self._detail is None:
            self._detail = self._source.finding_detail(self._version) if self._source else ({}, [])
        return self._detail

    @computed_field(description="every fact the rule reads, with its value (null = missing)")  # type: ignore[prop-decorator]
    @property
    def facts(self) -> dict[str, Any]:
        return self._worked_out()[0]

    @computed_field(description="the sub-conditions that decided, in order")  # type: ignore[prop-decorator]
    @property
    def explanation(self) -> list[Reason]:
        return self._worked_out()[1]


class Undetermined(_Lazy):
    """A rule that the known facts cannot decide. Unknown is never compliant."""

    rule_id: str
    rule_version: str
    industry: str
    severity: Severity
    title: str
    _source: Any = PrivateAttr(default=None)
    _version: Any = PrivateAttr(default=None)
    _missing: list[str] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _read_missing(cls, data: Any, handler: ModelWrapValidatorHandler[Undetermined]) -> Undetermined:
        missing = None
        if isinstance(data, dict) and "missing_facts" in data:
            data = dict(data)
            missing = [str(m) for m in data.pop("missing_facts")]
        entry = handler(data)
        if missing is not None:
            entry._missing = missing
        return entry

    @computed_field(description="facts that would decide it; a record field is written "  # type: ignore[prop-decorator]
                    "fact[index].field")
    @property
    def missing_facts(self) -> list[str]:
        if self._missing is None:
            self._missing = self._source.missing_facts(self._version) if self._source else []
        return self._missing


class Counts(_Result):
    findings: int
    major_hazards: int
    violations: int
    undetermined: int
    compliant: int
    not_applicable: int
    not_in_force: int


class Assessment(_Result):
    enterprise_id: str | None
    enterprise_name: str | None = None
    as_of: dt.date
    rulebook_version: str
    findings: list[Finding]
    undetermined: list[Undetermined]
    not_applicable: list[str] = Field(description="rule ids whose applies_to is false, or whose industry "
                                      "is not among the enterprise's declared industries")
    compliant: list[str] = Field(description="rule ids checked and not violated")
    not_in_force: list[str] = Field(description="rule lineages with no version in force on as_of")
    counts: Counts


class Question(_Result):
    """A missing fact worth establishing next, with what it would decide."""

    fact: str
    label: str
    question: str
    major_hazard_rules: list[str] = Field(description="undetermined major-hazard rules it bears on")
    rules: list[str] = Field(description="all undetermined rules it bears on")


class VersionInfo(_Result):
    version: str
    effective_from: dt.date
    effective_to: dt.date | None = Field(description="inclusive, after applying the open-end convention")
    in_force: bool
    severity: Severity
    when: str
    citations: list[ResolvedCitation] = Field(description="as in force on the requested date, or on "
                                              "the version's first day if it is not in force then")
    rectification: Rectification
    source_checked: bool


class RuleExplanation(_Result):
    rule_id: str
    industry: str
    title: str
    applies_to: str | None
    path: str
    replaces: list[str]
    replaced_by: list[str]
    as_of: dt.date
    versions: list[VersionInfo]


for _model in (Finding, Undetermined, Counts, Assessment):
    _ALL_FIELDS[_model] = set(_model.model_fields)
