"""What an assessment returns. These field names are a stable interface: the JSON
output of ``safety-rules assess --format json`` is exactly these models, and
``docs/output.md`` documents them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal, TypeVar

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
from ._rule_files import Interpretation, Rectification, Severity

Flag = Literal["contested_interpretation", "before_publication"]
FLAG_LABELS: dict[str, str] = {
    "contested_interpretation": "解释存疑",
    "before_publication": "标准已签发、尚未见公开发布",
}


class _Result(BaseModel):
    # validators are built on first use, not on import: `import safety_rules` stays quick
    model_config = ConfigDict(frozen=True, defer_build=True)


R = TypeVar("R", bound=BaseModel)

# Every field is always given, so every object of a class can share one fields-set (frozen
# models never change it; model_copy copies it).
_ALL_FIELDS: dict[type[BaseModel], set[str]] = {}
_MAKERS: dict[type[BaseModel], Callable[[dict[str, Any], dict[str, Any] | None], Any]] = {}


def maker(cls: type[R]) -> Callable[[dict[str, Any], dict[str, Any] | None], R]:
    """A function ``(values, private) -> cls`` building a result model from values the engine
    produced itself, without re-validating them.

    ``model_construct`` costs about 3 µs a call, and an assessment builds dozens of
    findings; this sets the same four slots pydantic's own ``model_construct`` sets, with
    everything it needs bound once. ``values`` becomes the object's ``__dict__`` as it is:
    the engine passes one cached dict to every finding of a rule version (frozen models
    never write to it, and ``model_copy`` copies it), which keeps the garbage collector's
    work per finding small. ``tests/engine/test_results.py`` checks that such objects equal
    validated ones, so a change in pydantic's internals fails a test rather than the output.
    """
    made = _MAKERS.get(cls)
    if made is None:
        new, setattr_, every = cls.__new__, object.__setattr__, _ALL_FIELDS.get(cls)

        def made(values: dict[str, Any], private: dict[str, Any] | None) -> R:
            obj = new(cls)
            setattr_(obj, "__dict__", values)
            setattr_(obj, "__pydantic_fields_set__", every if every is not None else set(values))
            setattr_(obj, "__pydantic_extra__", None)
            setattr_(obj, "__pydantic_private__", private)
            return obj

        _MAKERS[cls] = made
    return made


def trusted(cls: type[R], values: dict[str, Any], private: dict[str, Any] | None = None) -> R:
    """One result model built by :func:`maker`."""
    return maker(cls)(values, private)


class RecordRef(_Result):
    """One record of a list-of-records fact (a dust collector, a tank) that decided a condition."""

    fact: str = Field(description="the list-of-records fact")
    index: int = Field(description="0-based position in the enterprise file")
    record: dict[str, Any] = Field(description="the record's fields as recorded")

    @property
    def name(self) -> str:
        """What an inspector writes down: the record's name, else its position."""
        for key in ("name", "id", "label"):
            if isinstance(self.record.get(key), str):
                return str(self.record[key])
        return f"{self.fact}[{self.index}]"


class Reason(_Result):
    """A sub-condition that decided the outcome, with the facts and records it read."""

    condition: str = Field(description="the sub-condition as written in the rule")
    value: bool | None = Field(description="its value; null = unknown")
    facts: dict[str, Any] = Field(default_factory=dict, description="facts it read, null = missing")
    sub_item: str | None = Field(default=None, description="the item's sub-item this condition encodes")
    records: list[RecordRef] = Field(default_factory=list, description="the records that made it hold "
                                     "(for any/count), or fail (for all)")


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
    citations: list[ResolvedCitation] = Field(description="as in force on the date assessed, for the "
                                              "enterprise's region: the item, duties, penalties (the "
                                              "preferred one marked), measures")
    sanction: Sanction | None = Field(description="the preferred penalty's sanction, every tier, as in force")
    measures: list[ResolvedCitation] = Field(description="major hazards: the measures the law attaches to "
                                             "every major hazard (report, withdrawal, resumption after review)")
    rectification: Rectification
    interpretation: Interpretation | None = Field(description="the reading the rule takes of a contestable text")
    flags: list[Flag] = Field(description="contested_interpretation (解释存疑); before_publication (the "
                              "standard was issued but not yet seen published on that day)")
    source_checked: bool = Field(description="false if the rule's wording was not checked against its source")
    # until first read: where to work the details out, and for which rule version
    _source: Any = PrivateAttr(default=None)
    _version: Any = PrivateAttr(default=None)
    _detail: tuple[dict[str, Any], list[Reason], list[str]] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _read_details(cls, data: Any, handler: ModelWrapValidatorHandler[Finding]) -> Finding:
        # facts and explanation are computed fields: keep them when a finding is read back
        # from its JSON, instead of silently dropping them
        details = None
        if isinstance(data, dict) and ("facts" in data or "explanation" in data):
            data = dict(data)
            details = (dict(data.pop("facts", {})),
                       [Reason.model_validate(r) for r in data.pop("explanation", [])],
                       [str(s) for s in data.pop("sub_items", [])])
        finding = handler(data)
        if details is not None:
            finding._detail = details
        return finding

    def _worked_out(self) -> tuple[dict[str, Any], list[Reason], list[str]]:
        if self._detail is None:
            self._detail = self._source.finding_detail(self._version) if self._source else ({}, [], [])
        return self._detail

    @computed_field(description="every fact the rule reads, with its value (null = missing)")  # type: ignore[prop-decorator]
    @property
    def facts(self) -> dict[str, Any]:
        return self._worked_out()[0]

    @computed_field(description="the sub-conditions that decided, in order")  # type: ignore[prop-decorator]
    @property
    def explanation(self) -> list[Reason]:
        return self._worked_out()[1]

    @computed_field(description="the item's sub-items that hold (empty when the item has none)")  # type: ignore[prop-decorator]
    @property
    def sub_items(self) -> list[str]:
        return self._worked_out()[2]

    @property
    def records(self) -> list[RecordRef]:
        """Every record named by the explanation, once each."""
        seen: dict[tuple[str, int], RecordRef] = {}
        for reason in self.explanation:
            for ref in reason.records:
                seen.setdefault((ref.fact, ref.index), ref)
        return list(seen.values())


class Undetermined(_Lazy):
    """A rule that the known facts cannot decide. Unknown is never compliant."""

    rule_id: str
    rule_version: str
    industry: str
    severity: Severity
    title: str
    not_encoded: list[str] = Field(description="what of the item the rule does not encode (sub-items, "
                                   "other parts): why it cannot be compliant")
    interpretation: Interpretation | None = Field(description="a contested reading; the version answers "
                                                  "undetermined where the reading is open")
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


class NotEncoded(_Result):
    """An item of a standard in force for the enterprise's industries that no rule encodes
    (未纳入规则库): silence is never compliance."""

    document: str
    edition: str
    provision: str
    label: str = Field(description="the item as printed, e.g. 《…》(矿安〔2022〕88号) 一、（五）")
    part: str = Field(description="the part's title, e.g. 地下矿山")
    part_id: str
    summary: str
    source_checked: bool


class EvaluationFailure(_Result):
    """A rule version whose evaluation failed on these facts (an arithmetic overflow on
    extreme values, say). Never counted compliant; the other rules are assessed as usual."""

    rule_id: str
    rule_version: str
    industry: str
    severity: Severity
    title: str
    message: str = Field(description="what failed, e.g. OverflowError: int too large to convert to float")


class AssessmentWarning(_Result):
    """Input that may hide a hazard: facts only the rules of an industry the enterprise does
    not declare read (those rules were not assessed)."""

    kind: Literal["other_industry_facts"] = "other_industry_facts"
    industry: str
    facts: list[str] = Field(description="the facts stated that only this industry's rules read")
    rules: list[str] = Field(description="this industry's rules in force, not assessed")
    major_hazard_rules: list[str] = Field(description="those of them whose version is a major hazard")
    message: str


class Counts(_Result):
    findings: int
    major_hazards: int
    violations: int
    undetermined: int
    compliant: int
    not_applicable: int
    not_in_force: int
    not_encoded: int
    errors: int = 0


class Assessment(_Result):
    enterprise_id: str | None
    enterprise_name: str | None = None
    as_of: dt.date
    region: str | None = Field(default=None, description="GB/T 2260 code; provincial law is cited only inside it")
    industries: list[str] = Field(default_factory=list, description="the industries assessed, implied ones included")
    rulebook_version: str
    findings: list[Finding]
    undetermined: list[Undetermined]
    not_applicable: list[str] = Field(description="rule ids whose applies_to is false, or whose industry "
                                      "is not among the enterprise's declared industries")
    compliant: list[str] = Field(description="rule ids checked and not violated")
    not_in_force: list[str] = Field(description="rule lineages with no version in force on as_of")
    not_encoded: list[NotEncoded] = Field(description="items in force for these industries that no rule "
                                          "encodes (未纳入规则库): to be checked by hand")
    errors: list[EvaluationFailure] = Field(default_factory=list, description="rule versions whose "
                                            "evaluation failed on these facts; never compliant")
    warnings: list[AssessmentWarning] = Field(default_factory=list)
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
    when: str | dict[str, str]
    not_encoded: list[str]
    interpretation: Interpretation | None
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
