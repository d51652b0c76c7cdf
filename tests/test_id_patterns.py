"""Every id pattern is checked against the whole id: with ``re.match`` and ``$``, an id
with a trailing newline passed, and then slipped past the duplicate and retired-id checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from safety_rules.engine._facts import fact_id_problem
from safety_rules.engine._rule_files import RuleFile
from safety_rules.experts._registry import Expert
from safety_rules.law._catalog import LawDocument

from .conftest import RULES

PACKAGE = RULES.parent / "src" / "safety_rules"


def _valid(check: Callable[[str], object], value: str) -> bool:
    try:
        check(value)
    except (ValueError, ValidationError):
        return False
    return True


def _document(doc_id: str) -> LawDocument:
    return LawDocument.model_validate({
        "id": doc_id, "title": "t", "kind": "law", "issuer": "i",
        "editions": [{"id": "1", "label": "l", "effective_from": dt.date(2020, 1, 1)}]})


def _fact(fact_id: str) -> None:
    problem = fact_id_problem(fact_id)
    if problem:
        raise ValueError(problem)


@pytest.mark.parametrize(("check", "good"), [
    (_fact, "dust_zone20_present"),
    (RuleFile._id, "dust.zone20-electrics"),
    (Expert._id, "E-001"),
    (_document, "work-safety-law"),
], ids=["fact", "rule", "expert", "document"])
def test_id_with_trailing_newline_is_refused(check: Callable[[str], object], good: str) -> None:
    assert _valid(check, good)
    assert not _valid(check, good + "\n")


def test_no_id_pattern_is_checked_with_match() -> None:
    offenders = [f"{p.relative_to(PACKAGE)}:{n}" for p in sorted(PACKAGE.rglob("*.py"))
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if "_ID.match(" in line or "_ID.search(" in line]
    assert not offenders, offenders
