"""Result models built without re-validation behave exactly like validated ones."""

from __future__ import annotations

import datetime as dt

from safety_rules import Assessment, Finding, Rulebook, Undetermined

from ..conftest import EXAMPLES

DAY = dt.date(2024, 6, 1)


def test_trusted_results_equal_validated_ones(book: Rulebook) -> None:
    for path in sorted((EXAMPLES / "enterprises").glob("*.yaml")):
        a = book.assess(book.load_enterprise(path), DAY)
        again = Assessment.model_validate_json(a.model_dump_json())
        assert again == a
        assert again.model_dump() == a.model_dump()
        for f in a.findings:
            assert Finding.model_validate(f.model_dump()) == f
        for u in a.undetermined:
            assert Undetermined.model_validate(u.model_dump()) == u


def test_findings_of_one_rule_share_nothing_mutable(book: Rulebook) -> None:
    e = book.load_enterprise(EXAMPLES / "enterprises" / "linyi-wood-products.yaml")
    first, second = book.assess(e, DAY), book.assess(e, DAY)
    f1, f2 = first.findings[0], second.findings[0]
    copy = f1.model_copy(update={"title": "改过的标题"})
    assert copy.title == "改过的标题" and f1.title == f2.title != "改过的标题"
    assert f1.explanation == f2.explanation  # worked out separately, from each assessment's facts


def test_explanations_are_worked_out_on_first_read(book: Rulebook) -> None:
    e = book.load_enterprise(EXAMPLES / "enterprises" / "linyi-ammonia-cold-store.yaml")
    a = book.assess(e, DAY)
    f = a.findings[0]
    assert f._detail is None  # nothing computed yet
    reasons = f.explanation
    assert reasons and f._detail is not None and f.explanation is reasons
    u = a.undetermined[0]
    assert u.missing_facts == sorted(u.missing_facts) and u.missing_facts
