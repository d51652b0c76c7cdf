"""Expert registry files: the bundled pool and policy load; bad files are path:line errors."""

from __future__ import annotations

import datetime as dt

import pytest

from safety_rules import NotFoundError, SchemaError
from safety_rules.experts._matching import context, exclusion, slots_of
from safety_rules.experts._registry import Case, load_cases, load_experts, load_history, load_policy

from ..conftest import EXAMPLES, FIXTURES, ROOT

INDUSTRIES = {"mining", "hazchem", "metallurgy", "dust", "ammonia"}
BAD = FIXTURES / "broken_experts"


@pytest.fixture(scope="module")
def pool():  # type: ignore[no-untyped-def]
    return {e.id: e for e in load_experts(ROOT / "experts" / "experts.yaml", industries=INDUSTRIES)}


@pytest.fixture(scope="module")
def policy():  # type: ignore[no-untyped-def]
    return load_policy(ROOT / "experts" / "policy.yaml", dt.date(2017, 9, 5))


def test_bundled_data(pool, policy) -> None:  # type: ignore[no-untyped-def]
    assert len(pool) >= 40
    for industry in INDUSTRIES:
        assert sum(1 for e in pool.values() if e.level(industry)) >= 5, industry
    cases = load_cases(EXAMPLES / "cases" / "cases.yaml", industries=INDUSTRIES)
    assert len(cases) >= 15
    assert load_history(EXAMPLES / "cases" / "history.yaml")
    assert policy.experts_per_case["major"] == 3


@pytest.mark.parametrize(("name", "words", "line"), [
    ("unknown_key.yaml", ["unknown key 'max_concurent_cases'", "did you mean 'max_concurrent_cases'"], 6),
    ("unknown_industry.yaml", ["unknown industry 'dusty'", "did you mean 'dust'"], 2),
    ("duplicate_id.yaml", ["expert id 'EXP-X1' is used twice"], 3),
    ("bad_level.yaml", ["less than or equal to 3"], 5),
    ("reversed_dates.yaml", ["'to' (2017-09-01) is before 'from' (2017-09-10)"], 7),
])
def test_bad_registry_file(name: str, words: list[str], line: int) -> None:
    with pytest.raises(SchemaError) as info:
        load_experts(BAD / name, industries=INDUSTRIES)
    message = str(info.value)
    assert message.startswith(f"{BAD / name}:{line}:"), message
    for w in words:
        assert w in message, message


def case(**kw: object) -> Case:
    base = {"id": "C", "enterprise": "LY-X", "industries": ["dust"], "county": "费县",
            "date": dt.date(2017, 9, 5), "difficulty": "routine"}
    return Case.model_validate({**base, **kw})


@pytest.mark.parametrize(("expert", "kw", "rule"), [
    ("EXP-T02", {"industries": ["metallurgy"]}, "status"),
    ("EXP-H09", {"industries": ["hazchem"]}, "status"),
    ("EXP-M01", {"industries": ["dust"]}, "industry"),
    ("EXP-D06", {"difficulty": "major"}, "level"),
    ("EXP-H03", {"industries": ["hazchem"]}, "qualification"),
    ("EXP-T01", {"industries": ["metallurgy"]}, "availability"),
    ("EXP-D01", {"enterprise": "LY-DUST-007"}, "tie"),
    ("EXP-M01", {"industries": ["mining"], "enterprise": "LY-MINE-001"}, "engagement"),
    ("EXP-H01", {"industries": ["hazchem"], "county": "临沭县"}, "county"),
])
def test_each_hard_rule(pool, policy, expert: str, kw: dict[str, object], rule: str) -> None:  # type: ignore[no-untyped-def]
    why = exclusion(pool[expert], case(**kw), context(policy))
    assert why is not None and why[0] == rule, why


def test_engagement_recusal_ends_after_the_policy_years(pool, policy) -> None:  # type: ignore[no-untyped-def]
    c = case(industries=["mining"], enterprise="LY-MINE-001", date=dt.date(2019, 6, 1))
    assert exclusion(pool["EXP-M01"], c, context(policy)) is None  # ended 2016-05-31
    c = case(industries=["mining"], enterprise="LY-MINE-001", date=dt.date(2019, 5, 31))
    assert exclusion(pool["EXP-M01"], c, context(policy))[0] == "engagement"  # type: ignore[index]


def test_slots_cover_every_industry(policy) -> None:  # type: ignore[no-untyped-def]
    slots = slots_of(case(industries=["dust", "ammonia"], difficulty="routine"), policy)
    assert [(s.industry, s.count) for s in slots] == [("ammonia", 1), ("dust", 1)]
    slots = slots_of(case(industries=["dust", "ammonia"], difficulty="major"), policy)
    assert sum(s.count for s in slots) == 3 and {s.industry for s in slots} == {"dust", "ammonia"}


POLICIES = FIXTURES / "broken_policies"


@pytest.mark.parametrize(("name", "words", "line"), [
    ("overlapping_versions.yaml", ["version '2020-1'", "overlaps version '2017-1'", "give the earlier one an "
                                   "effective_to"], 27),
    ("bureau_in_version.yaml", ["names a bureau ('别的局')", "named once, at the top"], 3),
    ("no_effective_date.yaml", ["version 1 needs 'version' and 'effective_from'"], 3),
    ("bad_weight.yaml", ["versions.0.scoring.half_life_days", "greater than or equal to 1"], 22),
])
def test_bad_policy_file(name: str, words: list[str], line: int) -> None:
    with pytest.raises(SchemaError) as info:
        load_policy(POLICIES / name, dt.date(2017, 9, 5))
    message = str(info.value)
    assert message.startswith(f"{POLICIES / name}:{line}:"), message
    for w in words:
        assert w in message, message


def test_policy_versions_by_date(tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = (ROOT / "experts" / "policy.yaml").read_text(encoding="utf-8")
    body = text[text.index("  - version:"):]
    later = body.replace('"2017-1"', '"2020-1"').replace("effective_from: 2017-01-01", "effective_from: 2020-01-01")
    first = body.replace("effective_from: 2017-01-01", "effective_from: 2017-01-01\n    effective_to: 2019-12-31")
    path = tmp_path / "policy.yaml"
    path.write_text("bureau: 某局\nversions:\n" + first + later, encoding="utf-8")
    assert load_policy(path, dt.date(2019, 12, 31)).version == "2017-1"
    assert load_policy(path, dt.date(2020, 1, 1)).version == "2020-1"
    with pytest.raises(NotFoundError, match="no version of 某局's expert policy is in force on 2016-12-31"):
        load_policy(path, dt.date(2016, 12, 31))
