"""``diff``: a revision named change by change, reformatting is no change, and every changed
condition comes with a witness that really separates old and new."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safety_rules import Rulebook, compare_rulebooks
from safety_rules.engine._expressions import parse_expression
from safety_rules.engine._interpreter import evaluate
from safety_rules.engine._types import Type
from safety_rules.revisions._diff import change_id, diff_trees
from safety_rules.revisions._normalise import normalise
from safety_rules.revisions._trees import read_pair, read_tree
from safety_rules.shared._errors import RevisionError

from ..conftest import run_cli
from .conftest import EXITS, SLOPE, edit, raise_threshold


def _state(book: Rulebook, rule_id: str, facts: dict[str, object], day: object) -> tuple[str, list[str]]:
    """The rule's result in a full assessment (the compiled evaluator ``assess`` uses)."""
    result = book.assess(facts, day)  # type: ignore[arg-type]
    for f in result.findings:
        if f.rule_id == rule_id:
            return "violated", list(f.sub_items)
    if any(u.rule_id == rule_id for u in result.undetermined):
        return "undetermined", []
    return ("compliant" if rule_id in result.compliant else "not_applicable"), []


def test_a_threshold_change_is_named_exactly_with_a_witness(pair: tuple[Path, Path]) -> None:
    base, head = pair
    raise_threshold(head)
    diff = compare_rulebooks(str(base), str(head))
    (change,) = diff.changes
    assert change.subject == "mining.open-pit-slope-monitoring" and change.version == "2022"
    assert change.kind == "version-condition" and change.level == "outcomes"
    assert change.details == ["mine_slope_height_m >= 200 → mine_slope_height_m > 200"]
    assert change.file is not None and change.file.endswith(SLOPE) and change.line is not None
    w = change.witness
    assert w is not None and w.facts["mine_slope_height_m"] == 200
    # the witness separates old and new through the real evaluators, not just the search's own
    old, new = Rulebook.load(base), Rulebook.load(head)
    assert _state(old, change.subject, w.facts, w.as_of) != _state(new, change.subject, w.facts, w.as_of)


def test_fifty_to_thirty_is_reported_as_exactly_that(pair: tuple[Path, Path]) -> None:
    base, head = pair
    edit(head, EXITS, "mine_exit_spacing_m < 30", "mine_exit_spacing_m < 50")
    (change,) = diff_trees(*read_pair(str(base), str(head))).changes
    assert change.details == ["mine_exit_spacing_m < 30 → mine_exit_spacing_m < 50（30 → 50）"]
    w = change.witness
    assert w is not None and w.definite and w.facts["mine_exit_spacing_m"] in (30, 31, 49, 50)
    old, new = Rulebook.load(base), Rulebook.load(head)
    assert _state(old, change.subject, w.facts, w.as_of) != _state(new, change.subject, w.facts, w.as_of)


def test_reformatting_is_no_change(pair: tuple[Path, Path]) -> None:
    base, head = pair
    # operands swapped, mirrored comparison, extra parentheses, a double negation, other line breaks
    edit(head, SLOPE, "(mine_slope_height_m >= 200 and not mine_slope_online_monitoring)",
         "((not (not (not mine_slope_online_monitoring))) and (200 <= mine_slope_height_m))")
    assert diff_trees(*read_pair(str(base), str(head))).changes == []


def test_wording_and_catalog_changes_have_levels(pair: tuple[Path, Path]) -> None:
    base, head = pair
    edit(head, "facts/mining.yaml", "question: 露天采场边坡的最大高度是多少米？",
         "question: 露天采场边坡最大高度（米）？")
    edit(head, SLOPE, "title: 高度200米及以上的边坡、排土场未进行监测", "title: 高度200米以上的边坡、排土场未进行监测")
    edit(head, "nonferrous/gas-drainer-water-seal.yaml", "before_first_version: 30kPa 由本项首次规定",
         "before_first_version: 30 kPa 由本项首次规定")
    diff = diff_trees(*read_pair(str(base), str(head)))
    kinds = {(c.kind, c.level, c.path) for c in diff.changes}
    assert kinds == {("fact-wording", "wording", "question"), ("rule-title", "wording", "title"),
                     ("rule-note", "wording", "before_first_version")}
    assert not diff.changes_outcomes


def test_ids_are_stable_and_depend_on_kind_subject_version_and_path() -> None:
    a = change_id("version-condition", "mining.x", "2022", "when")
    assert a == change_id("version-condition", "mining.x", "2022", "when") and a.startswith("c") and len(a) == 11
    assert len({a, change_id("version-condition", "mining.x", "2017", "when"),
                change_id("version-severity", "mining.x", "2022", "when"),
                change_id("version-condition", "mining.x", "2022", "when.1")}) == 4


def test_an_unreadable_base_fails_and_never_reads_as_no_changes(pair: tuple[Path, Path], tmp_path: Path) -> None:
    base, head = pair
    (base / "rulebook.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(RevisionError) as info:
        read_pair(str(base), str(head))
    assert "cannot be read" in str(info.value)
    code, out, err = run_cli("diff", str(base), str(head), "-f", "json")
    assert code == 2 and out == "" and "cannot be read" in err and "rulebook.yaml" in err
    with pytest.raises(RevisionError, match="neither a directory nor a git revision"):
        read_tree("no-such-branch-anywhere", repo=tmp_path)


def test_markdown_json_and_comparison_output(pair: tuple[Path, Path], tmp_path: Path) -> None:
    base, head = pair
    raise_threshold(head)
    code, out, _ = run_cli("diff", str(base), str(head), "-f", "json")
    data = json.loads(out)
    assert code == 0 and [c["details"] for c in data["changes"]] == [
        ["mine_slope_height_m >= 200 → mine_slope_height_m > 200"]]
    assert data["changes"][0]["witness"]["facts"]["mine_slope_height_m"] == 200
    code, out, _ = run_cli("diff", str(base), str(head), "-f", "markdown")
    assert "### 改变评估结果" in out and "mine_slope_height_m >= 200 → mine_slope_height_m > 200" in out
    assert "mine_slope_height_m=200" in out
    xlsx = tmp_path / "对照表.xlsx"
    code, out, _ = run_cli("diff", str(base), str(head), "-f", "comparison", "--xlsx", str(xlsx))
    assert code == 0 and "| 原规定 | 修订后 |" in out
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert rows[0][:6] == ["序号", "对象", "版本", "项目", "原规定", "修订后"]
    assert rows[1][1] == "mining.open-pit-slope-monitoring" and ">= 200" in rows[1][4] and "> 200" in rows[1][5]
    code, out, _ = run_cli("diff", str(base), str(head), "-f", "github")
    assert out.startswith("::warning file=") and "title=改变评估结果 c" in out


FACTS = {"x": Type("number", unit="m"), "y": Type("number", unit="m"), "a": Type("bool"), "b": Type("bool")}
LEAVES = ["x >= 200", "200 <= x", "not (x < 200)", "x > 3", "y == 2", "a", "not b", "x < y", "a == b",
          "x - y - 1 >= 0", "x + y * 2 > 3", "x / (y - 2) < 1", "(1 if a else 2 if b else 3) == y"]
EXPRESSIONS = st.recursive(
    st.sampled_from(LEAVES),
    lambda kids: st.one_of(
        st.tuples(st.sampled_from(["and", "or"]), st.lists(kids, min_size=2, max_size=3)).map(
            lambda t: "(" + f" {t[0]} ".join(t[1]) + ")"),
        kids.map(lambda k: f"not ({k})")),
    max_leaves=8)
VALUES = st.fixed_dictionaries({}, optional={"x": st.sampled_from([0, 3, 199, 200, 201]),
                                             "y": st.sampled_from([1, 2, 200]), "a": st.booleans(),
                                             "b": st.booleans()})


@settings(max_examples=200, deadline=None)
@given(EXPRESSIONS, VALUES)
def test_a_normal_form_means_what_the_condition_means(text: str, facts: dict[str, object]) -> None:
    """Sound: on every partial set of facts, three-valued, the normal form gives the condition's value;
    and normalising twice changes nothing."""
    expr = parse_expression(text, FACTS)
    normal = normalise(expr)
    day = dt.date(2024, 1, 1)
    assert evaluate(normal, facts, day) == evaluate(expr, facts, day)
    assert normalise(normal) == normal
    assert normalise(parse_expression(normal.text, FACTS)) == normal  # the canonical text reads back
