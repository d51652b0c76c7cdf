"""``impact``: exactly the enterprises whose outcome flips, with totals per rule."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from safety_rules import revision_impact
from safety_rules.revisions._diff import diff_trees
from safety_rules.revisions._impact import assess_impact, corpus_files, default_dates
from safety_rules.revisions._trees import read_pair

from ..conftest import run_cli
from .conftest import raise_threshold

PIT = """enterprise: {{id: {id}, name: {name}, industries: [mining], region: "371302"}}
facts:
  mine_open_pit: true
  mine_slope_height_m: {height}
  mine_slope_online_monitoring: false
  mine_op_waste_dumps: []
  mine_monitoring_tampered: false
"""


def _corpus(directory: Path) -> Path:
    directory.mkdir()
    for eid, height in (("AT-200", 200), ("ABOVE-250", 250), ("BELOW-150", 150), ("AT-200-B", 200)):
        (directory / f"{eid}.yaml").write_text(PIT.format(id=eid, name=f"采场边坡{height}米", height=height),
                                               encoding="utf-8")
    (directory / "unknown-height.yaml").write_text(PIT.format(id="UNKNOWN", name="未量", height="null"),
                                                   encoding="utf-8")
    return directory


def test_impact_names_exactly_the_enterprises_whose_outcome_flips(pair: tuple[Path, Path], tmp_path: Path) -> None:
    base, head = pair
    raise_threshold(head)
    old, new = read_pair(str(base), str(head))
    days = default_dates(diff_trees(old, new, budget=0))
    assert days == [dt.date(2022, 8, 31), dt.date(2022, 9, 1)]  # the day before and the first day of 2022
    corpus = _corpus(tmp_path / "corpus")
    impact = assess_impact(old, new, corpus_files([corpus]), days)
    assert impact.affected == ["AT-200", "AT-200-B"]
    assert {(c.enterprise_id, c.as_of, c.kind) for c in impact.changes} == {
        ("AT-200", dt.date(2022, 9, 1), "finding_removed"), ("AT-200-B", dt.date(2022, 9, 1), "finding_removed")}
    (total,) = impact.rules
    assert (total.rule_id, total.added, total.removed, total.changed) == ("mining.open-pit-slope-monitoring", 0, 2, 0)
    assert impact.enterprises == 5 and impact.assessments == 5 * 2 * 2


def test_the_library_call_gives_the_same_answer(pair: tuple[Path, Path], tmp_path: Path) -> None:
    base, head = pair
    raise_threshold(head)
    impact = revision_impact(str(base), str(head), corpus=[_corpus(tmp_path / "corpus")])
    assert impact.affected == ["AT-200", "AT-200-B"] and impact.dates == [dt.date(2022, 8, 31), dt.date(2022, 9, 1)]


def test_impact_markdown_and_json(pair: tuple[Path, Path], tmp_path: Path) -> None:
    base, head = pair
    raise_threshold(head)
    corpus = _corpus(tmp_path / "corpus")
    code, out, err = run_cli("impact", str(base), str(head), "--corpus", str(corpus), "-f", "json")
    data = json.loads(out)
    assert code == 0 and sorted({c["enterprise_id"] for c in data["changes"]}) == ["AT-200", "AT-200-B"]
    assert data["dates"] == ["2022-08-31", "2022-09-01"] and "comparing" in err
    code, out, _ = run_cli("impact", str(base), str(head), "--corpus", str(corpus), "-f", "markdown",
                           "--dates", "2023-01-01,2022-09-01")
    assert "| `mining.open-pit-slope-monitoring` | +0 | −2 | 0 |" in out
    assert "`AT-200`" in out and "`AT-200-B`" in out and "ABOVE-250" not in out and "BELOW-150" not in out
    assert "结果改变的企业 2 家" in out and "2022-09-01、2023-01-01" in out


def test_a_file_only_one_rulebook_reads_is_an_outcome_change(pair: tuple[Path, Path], tmp_path: Path) -> None:
    base, head = pair
    facts = head / "facts" / "mining.yaml"
    facts.write_text(facts.read_text(encoding="utf-8") + "  mine_dump_inspected:\n    type: bool\n"
                     "    label: 排土场已巡查\n    question: 排土场是否已巡查？\n", encoding="utf-8")
    old, new = read_pair(str(base), str(head))
    diff = diff_trees(old, new, budget=0)
    assert [(c.kind, c.level, c.subject) for c in diff.changes] == [
        ("fact-added", "wording", "fact:mine_dump_inspected")]
    corpus = _corpus(tmp_path / "corpus")
    (corpus / "new-fact.yaml").write_text(PIT.format(id="NEW", name="新事实", height=10)
                                          + "  mine_dump_inspected: true\n", encoding="utf-8")
    impact = assess_impact(old, new, corpus_files([corpus]), [dt.date(2022, 9, 1)])
    assert [(c.enterprise_id, c.kind, c.old, c.new) for c in impact.changes] == [
        ("NEW", "unreadable", "不可读", "可读")]
    assert [(u.side, "unknown fact 'mine_dump_inspected'" in u.message) for u in impact.unreadable] == [("base", True)]
