"""The checklist as a blank enterprise file and as Markdown."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from safety_rules import Rulebook, build_checklist, checklist_markdown, checklist_yaml

from ..conftest import EXAMPLES

DAY = dt.date(2024, 6, 1)


def test_blank_enterprise_file_is_valid_with_every_question_above_its_fact(book: Rulebook, tmp_path: Path) -> None:
    c = build_checklist(book, DAY, ["dust"], region="371302")
    text = checklist_yaml(c)
    path = tmp_path / "blank.yaml"
    path.write_text(text, encoding="utf-8")
    enterprise = book.load_enterprise(path)
    assert enterprise.facts == {} and enterprise.industries == ("dust",) and enterprise.inspected_on == DAY
    lines = text.split("\n")
    for q in c.questions():
        at = lines.index(f"  {q.fact}: null")
        above = lines[at - 3:at]
        assert any(q.question.split()[0] in line and line.lstrip().startswith("#") for line in above), q.fact
    result = book.assess(enterprise, DAY)
    assert result.counts.findings == 0 and result.counts.compliant == 0  # unknown is never compliant


def test_enterprise_file_keeps_what_is_known(book: Rulebook, tmp_path: Path) -> None:
    original = book.load_enterprise(EXAMPLES / "enterprises" / "linyi-wood-products.yaml")
    path = tmp_path / "known.yaml"
    path.write_text(checklist_yaml(build_checklist(book, DAY, enterprise=original)), encoding="utf-8")
    back = book.load_enterprise(path)
    assert back.facts == original.facts and back.id == original.id and back.region == original.region


def test_markdown_lists_groups_questions_and_items_to_check_by_hand(book: Rulebook) -> None:
    c = build_checklist(book, DAY, ["dust"])
    text = checklist_markdown(c)
    assert text.startswith(f"# {c.title}\n")
    assert f"## 1 {c.APPLICABILITY}" in text and f"## {c.manual_number} {c.MANUAL_TITLE}" in text
    for area in c.areas:
        assert f"## {area.number} " in text and area.title in text
    for q in c.questions():
        assert f"| {q.number} | " in text
    for m in c.manual:
        assert m.label in text
