"""``check`` on the bundled rulebook, and one deliberately broken fixture per kind of error."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from safety_rules import Rulebook, RulebookError, check_rulebook
from safety_rules.engine import _rulebook
from safety_rules.engine._compiler import CompiledRule

from ..conftest import FIXTURES, RULES

BROKEN = FIXTURES / "broken_rules"

# fixture file -> (words its message must contain, the line the problem is reported on)
CASES: dict[str, tuple[list[str], int | None]] = {
    "yaml_syntax.yaml": (["YAML syntax error"], 4),
    "duplicate_key.yaml": (["duplicate key 'title'", "first defined on line 3"], 4),
    "unknown_key.yaml": (["unknown key 'titel'", "did you mean 'title'"], 3),
    "alias_bomb.yaml": (["aliases that expand hugely"], None),
    "unknown_fact.yaml": (["unknown fact 'dust_zone21_present'", "did you mean 'dust_zone20_present'"], 9),
    "unit_mismatch.yaml": (["unit mismatch", "'mhs_exposed_population' is in person",
                            "'mine_slope_height_m' is in m"], 9),
    "type_mismatch.yaml": (["cannot compare bool", "number"], 9),
    "enum_value.yaml": (["'干 式' is not an allowed value of 'dust_collectors.kind'", "did you mean '干式'"], 9),
    "disallowed_construct.yaml": (["only the functions any, all, count, sum, len, days_since, date "
                                 "and lookup may be called"], 9),
    "attribute_access.yaml": (["attribute access not allowed"], 9),
    "condition_syntax.yaml": (["syntax error in condition"], 9),
    "duplicate_id.yaml": (["rule id 'dust.zone20-electrics' is already used by"], None),
    "wrong_industry.yaml": (["industry 'ammonia' does not match its directory 'dust'"], 2),
    "unknown_document.yaml": (["unknown document 'work-safty-law'", "did you mean 'work-safety-law'"], 11),
    "unknown_provision.yaml": (["has no provision 'duty-hazard-eliminaton'",
                                "did you mean 'duty-hazard-elimination'"], 11),
    "citation_gap.yaml": (["does not resolve from 2017-11-30 to 2023-05-14"], 11),
    "failing_example.yaml": (["example '符合'", "expected undetermined, got compliant"], 15),
    "missing_compliant_example.yaml": (["needs at least one example that expects 'compliant'"], 13),
    "example_fact_type.yaml": (["example '符合'", "'dust_zone20_present' must be true or false", "'否'"], 15),
    "replacement_cycle.yaml": (["replaces/replaced_by form a cycle"], None),
    "replacement_one_sided.yaml": (["replaces names 'dust.warning-signs'",
                                    "does not list 'dust.one-sided-replacement' in its replaced_by"], 5),
    "overlapping_versions.yaml": (["windows 2017-11-30..2023-06-30 and 2023-05-15.. overlap"], 4),
    "version_gap.yaml": (["gap from 2023-05-01 to 2023-05-14"], 4),
    "unquoted_version.yaml": (["versions.0.version: expected text, got the number 2023.1", "put it in quotes"], 6),
    "id_with_newline.yaml": (["rule id 'dust.zone20-electrics\\n' must look like 'industry.some-name'"], 1),
    "folded_condition.yaml": (["unknown fact 'dust_zone21_present'"], 11),
    "overflowing_example.yaml": (["example '极大值'", "evaluation failed: OverflowError"], 21),
    "octal_number.yaml": (["030 has a leading zero, which makes it octal", "quote it"], 12),
}

# the stable problem code (shared/_codes.py) each fixture's problem carries
FIXTURE_CODES = {
    "alias_bomb.yaml": "SR001", "attribute_access.yaml": "SR105", "citation_gap.yaml": "SR303",
    "condition_syntax.yaml": "SR106", "disallowed_construct.yaml": "SR105", "duplicate_id.yaml": "SR201",
    "duplicate_key.yaml": "SR001", "enum_value.yaml": "SR104", "example_fact_type.yaml": "SR403",
    "failing_example.yaml": "SR401", "missing_compliant_example.yaml": "SR402", "overlapping_versions.yaml": "SR205",
    "replacement_cycle.yaml": "SR207", "replacement_one_sided.yaml": "SR207", "type_mismatch.yaml": "SR103",
    "unit_mismatch.yaml": "SR102", "unknown_document.yaml": "SR301", "unknown_fact.yaml": "SR101",
    "unknown_key.yaml": "SR002", "unknown_provision.yaml": "SR302", "version_gap.yaml": "SR205",
    "wrong_industry.yaml": "SR202", "yaml_syntax.yaml": "SR001", "folded_condition.yaml": "SR101",
    "id_with_newline.yaml": "SR002", "octal_number.yaml": "SR001", "overflowing_example.yaml": "SR401",
    "unquoted_version.yaml": "SR002",
}


def test_bundled_rulebook_passes_check() -> None:
    report = check_rulebook(RULES)
    assert report.problems == []
    assert report.examples == report.examples_passed > 0
    assert report.rules >= 15


def test_bundled_rulebook_is_the_default() -> None:
    report = check_rulebook()  # no path: the rulebook the package carries
    assert report.ok and report.rules == check_rulebook(RULES).rules
    assert Rulebook.load().version == Rulebook.load(RULES).version


def test_every_broken_fixture_has_a_case() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(CASES) == sorted(FIXTURE_CODES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_fixture_is_reported(name: str, rules_copy: Path) -> None:
    words, line = CASES[name]
    target = rules_copy / "dust" / name
    shutil.copy(BROKEN / name, target)
    report = check_rulebook(rules_copy)
    # a problem belongs to the fixture if it is in the fixture or names it (a duplicate id
    # is reported on whichever of the two files loads second)
    mine = [p for p in report.problems if p.path == str(target) or str(target) in p.message]
    assert mine, f"no problem reported for {name}; got {[str(p) for p in report.problems]}"
    text = "\n".join(str(p) for p in mine)
    for w in words:
        assert w in text, f"{w!r} not in:\n{text}"
    if line is not None:
        assert line in [p.line for p in mine], text
    assert FIXTURE_CODES[name] in {p.code for p in mine}, text
    # the rest of the rulebook still checks clean: one bad file does not hide or cause others
    others = [p for p in report.problems if p not in mine]
    assert others == [], [str(p) for p in others]


def test_file_over_the_size_limit(rules_copy: Path) -> None:
    # generated here rather than committed: a fixture over 2 MiB would bloat the repository
    target = rules_copy / "dust" / "too_large.yaml"
    target.write_text("note: " + "x" * (2 * 1024 * 1024 + 1) + "\n", encoding="utf-8")
    report = check_rulebook(rules_copy)
    assert any("bytes; the limit is" in p.message and p.path == str(target) for p in report.problems)


def test_derived_fact_cycle_is_reported_with_the_cycle(rules_copy: Path) -> None:
    shutil.copy(FIXTURES / "derived_cycle_facts.yaml", rules_copy / "facts" / "cycle.yaml")
    report = check_rulebook(rules_copy)
    messages = [p.message for p in report.problems]
    assert any("derived facts form a cycle" in m and "cycle_a" in m and "cycle_b" in m for m in messages)


def test_record_field_bound_only_on_numbers(rules_copy: Path) -> None:
    shutil.copy(FIXTURES / "record_field_minimum_on_bool.yaml", rules_copy / "facts" / "bad.yaml")
    report = check_rulebook(rules_copy)
    (problem,) = [p for p in report.problems if p.path == str(rules_copy / "facts" / "bad.yaml")]
    assert "'minimum'/'maximum' are only for numbers" in problem.message
    assert problem.line == 8


def test_duplicate_fact_declaration(rules_copy: Path) -> None:
    (rules_copy / "facts" / "dup.yaml").write_text(
        "facts:\n  dust_zone20_present:\n    type: bool\n    label: 重复\n    question: 重复？\n",
        encoding="utf-8")
    report = check_rulebook(rules_copy)
    assert any("fact 'dust_zone20_present' is declared twice" in p.message for p in report.problems)


def test_retired_id_may_not_be_reused(rules_copy: Path) -> None:
    rb = rules_copy / "rulebook.yaml"
    rb.write_text(rb.read_text(encoding="utf-8").replace("retired_ids:\n", "retired_ids:\n  - dust.warning-signs\n"),
                  encoding="utf-8")
    report = check_rulebook(rules_copy)
    assert any("retired" in p.message and p.rule_id == "dust.warning-signs" for p in report.problems)


def test_retired_ids_are_checked_whole(rules_copy: Path) -> None:
    # with re.match, "x$" also matched "x\n": such an id slipped past the retired-id check
    rb = rules_copy / "rulebook.yaml"
    text = rb.read_text(encoding="utf-8")
    rb.write_text(text.replace("retired_ids:\n", 'retired_ids:\n  - "dust.warning-signs\\n"\n'), encoding="utf-8")
    report = check_rulebook(rules_copy)
    assert any("rule id 'dust.warning-signs\\n' must look like" in p.message for p in report.problems)


def test_stray_directory_is_reported(rules_copy: Path) -> None:
    (rules_copy / "dusty").mkdir()
    report = check_rulebook(rules_copy)
    assert any("'dusty' is not an industry" in p.message and "did you mean 'dust'" in p.message
               for p in report.problems)


def test_load_refuses_a_broken_rulebook_listing_every_problem(rules_copy: Path) -> None:
    shutil.copy(BROKEN / "unknown_fact.yaml", rules_copy / "dust")
    shutil.copy(BROKEN / "duplicate_key.yaml", rules_copy / "dust")
    with pytest.raises(RulebookError) as info:
        Rulebook.load(rules_copy)
    text = str(info.value)
    assert "2 problem(s)" in text
    assert "unknown fact 'dust_zone21_present'" in text and "duplicate key 'title'" in text


def test_problems_render_as_path_line_rule_message(rules_copy: Path) -> None:
    shutil.copy(BROKEN / "unknown_fact.yaml", rules_copy / "dust")
    (problem,) = check_rulebook(rules_copy).problems
    assert str(problem).startswith(f"{rules_copy / 'dust' / 'unknown_fact.yaml'}:9: dust.unknown-fact: when: ")


@pytest.mark.parametrize(("old", "new"), [
    ("    effective_from: 2014-12-01\n", "    effective_from: 2014-12-01\n    effective_to: 9999-12-31\n"),
    ("    effective_from: 2014-12-01\n", "    effective_from: 0001-01-01\n"),
], ids=["effective_to 9999-12-31", "effective_from 0001-01-01"])
def test_extreme_dates_are_problems_or_fine_never_a_crash(rules_copy: Path, old: str, new: str) -> None:
    # effective_to: 9999-12-31 crashed check (OverflowError computing the day after)
    path = rules_copy / "dust" / "warning-signs.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    report = check_rulebook(rules_copy)
    if report.ok:
        book = Rulebook.load(rules_copy)
        assert book.compile_all() > 0
        a = book.assess({"dust_explosion_hazard": True, "dust_warning_signs_posted": False}, dt.date.max)
        assert "dust.warning-signs" in {f.rule_id for f in a.findings}
    else:
        assert all("does not resolve from 0001-01-01" in p.message for p in report.problems), report.problems


def test_symlinks_leaving_the_rulebook_are_refused(rules_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(RULES / "dust" / "warning-signs.yaml", outside / "warning-signs.yaml")
    (rules_copy / "dust" / "warning-signs.yaml").unlink()
    (rules_copy / "dust" / "warning-signs.yaml").symlink_to(outside / "warning-signs.yaml")
    (rules_copy / ".kept").mkdir()
    (rules_copy / "dust" / "zone20-electrics.yaml").rename(rules_copy / ".kept" / "zone20.yaml")
    (rules_copy / "dust" / "zone20-electrics.yaml").symlink_to(rules_copy / ".kept" / "zone20.yaml")
    (rules_copy / "dust" / "loop.yaml").symlink_to(rules_copy / "dust" / "loop.yaml")
    report = check_rulebook(rules_copy)
    messages = {Path(p.path or "").name: p.message for p in report.problems}
    assert "refused: a symbolic link to" in messages["warning-signs.yaml"]
    assert "outside the rulebook directory" in messages["warning-signs.yaml"]
    assert "zone20-electrics.yaml" not in messages  # a link within the rulebook is fine
    assert "loop.yaml" in messages


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_the_rulebook_is_a_problem_not_a_hang(rules_copy: Path) -> None:
    os.mkfifo(rules_copy / "dust" / "pipe.yaml")
    report = check_rulebook(rules_copy)
    assert any("it is a FIFO, not a regular file" in p.message for p in report.problems)


def test_check_compiles_each_version_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # compiling the whole slice in force on each example's date cost rules x distinct dates:
    # 1,600 rules with distinct dates took 133 s and 541 MB (benchmarks/limits.py measures it)
    compiled: list[int] = []
    real = _rulebook.compile_rules

    def counting(rules: Sequence[CompiledRule], *args: Any, **kwargs: Any) -> Any:
        compiled.append(len(rules))
        return real(rules, *args, **kwargs)

    monkeypatch.setattr(_rulebook, "compile_rules", counting)
    report = check_rulebook(RULES)
    assert report.ok
    assert sum(compiled) == report.versions, compiled


def test_a_fact_no_rule_reads_is_a_warning(rules_copy: Path) -> None:
    facts = rules_copy / "facts" / "common.yaml"
    facts.write_text(facts.read_text(encoding="utf-8") + "  zz_unread:\n    type: bool\n    label: 无人读取\n"
                     "    question: 这是一个没有规则读取的事实吗？\n", encoding="utf-8")
    report = check_rulebook(rules_copy)
    (w,) = [w for w in report.warnings if w.fact == "zz_unread"]
    assert "is read by no rule" in w.message and w.path == str(facts) and w.line is not None
