"""Human-readable output: rich tables for the terminal, and Markdown for reports.

JSON output is not made here: it is the pydantic models' own JSON.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.text import Text

from ..engine._results import Assessment, Question, RuleExplanation

SEVERITY_LABEL = {"major_hazard": "重大事故隐患", "violation": "违法行为"}
ROLE_LABEL = {"defines": "判定", "duty": "义务", "penalty": "罚则", "basis": "相关"}


def deadline_text(deadline: Any) -> str:
    return "立即" if deadline == "immediate" else f"{deadline}日内"


def value_text(value: Any) -> str:
    if value is None:
        return "未知"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, list):
        return f"{len(value)}条记录"
    return str(value)


# ------------------------------------------------------------------ terminal


def _fact_names(facts: dict[str, Any], labels: Callable[[str], str]) -> str:
    return "，".join(f"{labels(k)}={value_text(v)}" for k, v in facts.items())


def assessment_renderable(a: Assessment, labels: Callable[[str], str] = str) -> RenderableType:
    """One enterprise as a block of text; ``labels`` maps a fact id to its Chinese label."""
    c = a.counts
    t = Text()
    t.append(f"{a.enterprise_name or ''} {a.enterprise_id or ''}".strip() or "(unnamed)", style="bold")
    t.append(f"  检查日期 {a.as_of}  规则库 {a.rulebook_version}\n")
    t.append(f"重大事故隐患 {c.major_hazards}", style="bold red" if c.major_hazards else "")
    t.append(" · ")
    t.append(f"违法行为 {c.violations}", style="yellow" if c.violations else "")
    t.append(f" · 待查明 {c.undetermined} · 符合 {c.compliant} · 不适用 {c.not_applicable}"
             f" · 当日无有效版本 {c.not_in_force}\n")
    for f in a.findings:
        t.append("\n")
        t.append(f"[{SEVERITY_LABEL[f.severity]}]", style="bold red" if f.severity == "major_hazard" else "yellow")
        t.append(f" {f.title}\n", style="bold")
        t.append(f"  规则  {f.rule_id} 版本 {f.rule_version}")
        t.append("" if f.source_checked else "（条文未核对）", style="dim")
        t.append("\n")
        for i, cite in enumerate(f.citations):
            t.append(("  依据  " if i == 0 else "        ") + f"[{ROLE_LABEL.get(cite.role, cite.role)}] "
                     + cite.text + "\n")
        for i, r in enumerate(f.explanation):
            t.append(("  判定  " if i == 0 else "        ") + f"{r.condition}  → {value_text(r.value)}")
            if r.facts:
                t.append(f"（{_fact_names(r.facts, labels)}）", style="dim")
            t.append("\n")
        if f.sanction:
            t.append(f"  罚则  {f.sanction.summary}\n")
        t.append(f"  整改  {deadline_text(f.rectification.deadline)}：{f.rectification.hint}\n")
    if a.undetermined:
        t.append("\n待查明（缺少事实，不能视为符合）\n", style="bold")
        for u in a.undetermined:
            t.append(f"  {u.rule_id}@{u.rule_version} [{SEVERITY_LABEL[u.severity]}] 缺少：")
            t.append("、".join(labels(m) if "[" not in m else m for m in u.missing_facts) + "\n")
    return Group(Rule(style="dim"), t)


def questions_renderable(questions: Sequence[Question], title: str) -> RenderableType:
    t = Text()
    t.append(title + "\n", style="bold")
    for i, q in enumerate(questions, 1):
        t.append(f"{i:>3}. {q.question}\n")
        t.append(f"     {q.label}（{q.fact}）", style="dim")
        weight = f"  关系重大隐患规则 {len(q.major_hazard_rules)} 条，" if q.major_hazard_rules else "  "
        t.append(f"{weight}可判定待查明规则 {len(q.rules)} 条：{', '.join(q.rules)}\n", style="dim")
    return t


def _shown_path(path: str) -> str:
    """Relative to the working directory when it is below it: shorter, and the same on every machine."""
    try:
        real = os.path.realpath(path)
        return os.path.relpath(real) if not os.path.relpath(real).startswith("..") else real
    except ValueError:  # another drive
        return path


def explanation_renderable(e: RuleExplanation) -> RenderableType:
    head = Text()
    head.append(f"{e.rule_id}  {e.title}\n", style="bold")
    head.append(f"行业 {e.industry}   适用条件 {e.applies_to or '（全部）'}   文件 {_shown_path(e.path)}\n")
    if e.replaces:
        head.append(f"替代 {', '.join(e.replaces)}\n")
    if e.replaced_by:
        head.append(f"被替代 {', '.join(e.replaced_by)}\n")
    parts: list[RenderableType] = [head]
    for v in e.versions:
        mark = f" ← {e.as_of} 有效" if v.in_force else ""
        window = f"{v.effective_from} 至 {v.effective_to or '今'}"
        text = Text()
        text.append(f"版本 {v.version}  {window}  {SEVERITY_LABEL[v.severity]}{mark}\n",
                    style="bold green" if v.in_force else "bold")
        text.append(f"条件: {v.when}\n")
        for c in v.citations:
            text.append(f"· {c.text}" + ("" if c.source_checked else " [未核对]") + "\n")
        text.append(f"整改: {deadline_text(v.rectification.deadline)} — {v.rectification.hint}\n")
        parts.append(text)
    return Group(Rule(style="dim"), *parts)


# ------------------------------------------------------------------ markdown


def _md_cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", "<br>")


def assessment_markdown(a: Assessment) -> str:
    c = a.counts
    lines = [f"## {a.enterprise_name or ''} {a.enterprise_id or ''}".rstrip(), "",
             f"检查日期 {a.as_of} · 规则库 {a.rulebook_version} · 重大事故隐患 {c.major_hazards} · "
             f"违法行为 {c.violations} · 待查明 {c.undetermined} · 符合 {c.compliant} · 不适用 {c.not_applicable}",
             ""]
    if a.findings:
        lines += ["| 类别 | 规则 | 问题 | 依据（检查日有效） | 整改 |", "|---|---|---|---|---|"]
        for f in a.findings:
            cites = "<br>".join(_md_cell(x.text) for x in f.citations)
            lines.append(f"| {SEVERITY_LABEL[f.severity]} | `{f.rule_id}`@{f.rule_version} | "
                         f"{_md_cell(f.title)} | {cites} | {deadline_text(f.rectification.deadline)} |")
        lines.append("")
    if a.undetermined:
        lines += ["待查明：", ""]
        for u in a.undetermined:
            lines.append(f"- `{u.rule_id}`@{u.rule_version}（{SEVERITY_LABEL[u.severity]}）缺少："
                         + "、".join(f"`{m}`" for m in u.missing_facts))
        lines.append("")
    return "\n".join(lines)


def questions_markdown(questions: Sequence[Question]) -> str:
    lines = ["| # | 事实 | 问题 | 重大隐患规则 | 规则数 |", "|---|---|---|---|---|"]
    for i, q in enumerate(questions, 1):
        lines.append(f"| {i} | {_md_cell(q.label)} `{q.fact}` | {_md_cell(q.question)} | "
                     f"{len(q.major_hazard_rules)} | {len(q.rules)} |")
    return "\n".join(lines) + "\n"


def explanation_markdown(e: RuleExplanation) -> str:
    lines = [f"## `{e.rule_id}` {e.title}", "", f"适用条件：`{e.applies_to or '（全部）'}`", ""]
    for v in e.versions:
        mark = f"（{e.as_of} 有效）" if v.in_force else ""
        lines += [f"### 版本 {v.version}：{v.effective_from} 至 {v.effective_to or '今'} "
                  f"{SEVERITY_LABEL[v.severity]}{mark}", "", f"条件：`{v.when}`", ""]
        lines += [f"- {c.text}" for c in v.citations]
        lines += ["", f"整改：{deadline_text(v.rectification.deadline)} — {v.rectification.hint}", ""]
    return "\n".join(lines)
