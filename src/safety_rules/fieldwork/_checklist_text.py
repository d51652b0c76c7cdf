"""The checklist as Markdown (a quick look) and as a blank enterprise file (YAML), and an
enterprise's facts written back as an enterprise file."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import yaml

from ..engine._enterprise import Enterprise
from ..engine._rulebook import Rulebook
from ._checklist import (
    MANUAL,
    SEVERITY_LABELS,
    Checklist,
    ChecklistArea,
    ChecklistQuestion,
    ChecklistReference,
    Entry,
    answer_text,
    field_hint,
)

PLACEHOLDER_ID = "待填写"


def sections(c: Checklist) -> Iterator[tuple[str, str, list[ChecklistQuestion]]]:
    """(number, title, questions asked there) for every group that asks questions."""
    yield c.applicability_number, c.APPLICABILITY, list(c.applicability)
    for area in c.areas:
        yield area.number, f"{area.title} {area.summary}", [
            e for e in area.all_entries() if isinstance(e, ChecklistQuestion)]
    if c.recorded:
        yield c.recorded_number, c.RECORDED, list(c.recorded)


# ------------------------------------------------------------------------ YAML


def _dump(key: str, value: Any) -> list[str]:
    # a list in block style, each record or scalar list on one line: `- {name: 1号, kind: 干式}`
    text = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, width=10**9,
                          default_flow_style=None if isinstance(value, list) else False)
    return text.rstrip("\n").split("\n")


def _comment(text: str) -> str:
    return "# " + " ".join(text.split())


def _fact_lines(q: ChecklistQuestion) -> list[str]:
    star = "★ " if q.major_hazard else ""
    lines = [_comment(f"{q.number} {star}{q.label}：{q.question}")]
    if q.thresholds:
        lines.append(_comment(f"判定界限：{'；'.join(q.thresholds)}"))
    if q.type == "records":
        fields = "；".join(f"{f.id} {f.label}（{'，'.join([field_hint(f), *f.thresholds])}）" for f in q.fields)
        lines.append(_comment(f"逐项列出，每项：{fields}；没有的写 []"))
    else:
        lines.append(_comment(f"填写：{field_hint(q)}" + ("（true/false）" if q.type == "bool" else "")))
    return [*lines, *_dump(q.fact, q.value if q.known else None)]


def checklist_yaml(c: Checklist) -> str:
    """A blank enterprise file (what is known filled in): every question as a comment above its
    fact, valid as it stands (an unknown fact is ``null``)."""
    e = c.enterprise
    lines = [_comment(c.title), _comment(f"检查日期 {c.as_of.isoformat()}；{c.rulebook} {c.rulebook_version}"),
             "# 逐项填写；查不清的保持 null：未知不等于合格。", "enterprise:"]
    header: dict[str, Any] = {"id": e.id or PLACEHOLDER_ID, "name": e.name, "county": e.county, "region": e.region,
                              "industries": list(e.industries), "inspected_on": e.inspected_on}
    if not e.id:
        lines.append("  # 企业编号：必填，替换“待填写”")
    lines += ["  " + line for key, value in header.items() for line in _dump(key, value)]
    lines.append("facts:")
    for number, title, questions in sections(c):
        lines.append("  " + _comment(f"── {number} {title} ──"))
        for q in questions:
            lines += ["  " + line for line in _fact_lines(q)]
    if c.manual:
        lines.append("  " + _comment(f"── {c.manual_number} {c.MANUAL_TITLE}：以下条款不由本文件的事实判定 ──"))
        lines += ["  " + _comment(f"{m.number} {m.label}") for m in c.manual]
    return "\n".join(lines) + "\n"


def enterprise_yaml(book: Rulebook, enterprise: Enterprise) -> str:
    """An enterprise file: the header, then every known fact in catalog order under its label."""
    header = {"id": enterprise.id, "name": enterprise.name, "county": enterprise.county,
              "region": enterprise.region, "industries": list(enterprise.industries),
              "inspected_on": enterprise.inspected_on}
    lines = ["enterprise:", *("  " + line for key, value in header.items() if value is not None
                              for line in _dump(key, value)), "facts:"]
    for fact, spec in book.facts.specs.items():
        if fact in enterprise.facts:
            lines.append("  " + _comment(spec.label))
            lines += ["  " + line for line in _dump(fact, enterprise.facts[fact])]
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------- Markdown


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _answer(q: ChecklistQuestion) -> str:
    if q.known:
        return f"**{answer_text(q.value, q.type)}**" if q.type != "records" else (
            f"**{len(q.value)} 项**（见下表）" if q.value else "**无**")
    if q.type == "bool":
        return "□是 □否"
    if q.type == "enum":
        return " ".join(f"□{v}" for v in q.values)
    return ""


def _entries_md(entries: Sequence[Entry], out: list[str], tables: list[ChecklistQuestion]) -> None:
    for entry in entries:
        if isinstance(entry, ChecklistReference):
            out.append(f"| | {_cell(entry.label)}：见 {entry.number} | | |")
            continue
        star = "★ " if entry.major_hazard else ""
        limits = "；".join([*entry.thresholds, field_hint(entry)])
        out.append(f"| {entry.number} | {_cell(star + entry.label + '：' + entry.question)} | {_cell(limits)} "
                   f"| {_answer(entry)} |")
        if entry.type == "records":
            tables.append(entry)


def _records_md(q: ChecklistQuestion, out: list[str]) -> None:
    out += ["", f"**{q.number} {q.label}**（每行一项）", "",
            "| 序号 | " + " | ".join(_cell(f.label + ''.join(' ' + t for t in f.thresholds)) for f in q.fields) + " |",
            "|---|" + "---|" * len(q.fields)]
    rows = list(q.value or []) if q.known else []
    for i, record in enumerate(rows, start=1):
        out.append(f"| {i} | " + " | ".join(_cell(answer_text(record.get(f.id), f.type)) for f in q.fields) + " |")
    for i in range(len(rows) + 1, len(rows) + 4):
        out.append(f"| {i} | " + " | ".join("" for _ in q.fields) + " |")


def _table(entries: Sequence[Entry], out: list[str]) -> None:
    if not entries:
        return
    tables: list[ChecklistQuestion] = []
    out += ["", "| 序号 | 检查内容 | 判定界限 / 填写要求 | 答案 |", "|---|---|---|---|"]
    _entries_md(entries, out, tables)
    for q in tables:
        _records_md(q, out)


def _area_md(area: ChecklistArea, out: list[str]) -> None:
    mark = "【重大事故隐患】" if area.major_hazard else ""
    out += ["", f"## {area.number} {mark}{area.title}", "", f"**{area.summary}**"]
    if area.wording:
        out += ["", f"> {' '.join(area.wording.split())}"]
    out += ["", "对应规则：" + "；".join(f"`{r.rule_id}`（{SEVERITY_LABELS[r.severity]}）" for r in area.rules), "",
            *(f"- {c.shown}" for c in area.citations)]
    for text in area.manual:
        out += ["", f"**{MANUAL}**：本项以下内容未纳入规则库：{text}"]
    _table(area.entries, out)
    for sub in area.sub_items:
        out += ["", f"**{sub.label}** {sub.text}" + ("" if sub.encoded else f" —— **{MANUAL}**（规则库未编码）")]
        _table(sub.entries, out)


def checklist_markdown(c: Checklist) -> str:
    e = c.enterprise
    out = [f"# {c.title}", "", c.intro]
    if c.known_enterprise:
        out += ["", f"企业：{e.name or ''}（{e.id}）{e.county or ''} {e.region or ''}"]
    out += [f"> 注意：{note}" for note in c.notes]
    out += ["", f"## {c.applicability_number} {c.APPLICABILITY}"]
    _table(c.applicability, out)
    for area in c.areas:
        _area_md(area, out)
    if c.recorded:
        out += ["", f"## {c.recorded_number} {c.RECORDED}"]
        _table(c.recorded, out)
    out += ["", f"## {c.manual_number} {c.MANUAL_TITLE}", ""]
    if not c.manual:
        out.append("无：在用标准中涉及本行业的条款均已纳入规则库。")
    for m in c.manual:
        unchecked = "" if m.source_checked else "（原文未核对）"
        out.append(f"- **{m.number} {m.label}**（{m.part}）{unchecked}：{' '.join(m.wording.split())}")
    return "\n".join(out) + "\n"
