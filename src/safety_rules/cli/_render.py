"""Human-readable output: rich tables for the terminal, and Markdown for reports.

JSON output is not made here: it is the pydantic models' own JSON.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from ..engine._coverage import CoverageReport, coverage_rows
from ..engine._results import FLAG_LABELS, Assessment, Finding, Question, RuleExplanation
from ..law._catalog import TRIGGER_LABELS, WHO_LABELS, FineRange, ResolvedCitation, Sanction

SEVERITY_LABEL = {"major_hazard": "重大事故隐患", "violation": "违法行为"}
ROLE_LABEL = {"defines": "判定", "duty": "义务", "penalty": "罚则", "measure": "措施", "basis": "相关"}


def _yuan(r: FineRange) -> str:
    def w(n: int) -> str:
        return f"{n / 10000:g}万元" if n >= 10000 and n % 1000 == 0 else f"{n}元"
    if r.min and r.max:
        return f"{w(r.min)}以上{w(r.max)}以下"
    return f"{w(r.max)}以下"


def sanction_lines(s: Sanction) -> list[str]:
    """Each tier of a sanction on its own line, as an inspector reads it."""
    lines = []
    for t in s.tiers:
        parts = [t.order] if t.order else []
        if t.fine_yuan:
            parts.append(("可以" if t.discretionary else "") + "处" + _yuan(t.fine_yuan) + "罚款")
        if t.suspension:
            parts.append("责令停产停业整顿")
        for ind in t.individuals:
            amount = _yuan(ind.fine_yuan) if ind.fine_yuan else (
                f"上一年年收入{ind.percent_of_income.min:g}%至{ind.percent_of_income.max:g}%"
                if ind.percent_of_income else "")
            parts.append(f"对{WHO_LABELS[ind.who]}处{amount}罚款")
        parts += t.other
        lines.append(f"{TRIGGER_LABELS[t.trigger]}：{'，'.join(parts) or '—'}")
    return lines


def citation_label(c: ResolvedCitation) -> str:
    text = f"[{ROLE_LABEL.get(c.role, c.role)}] {c.text}"
    if c.jurisdiction != "national":
        text += "（地方性规定）"
    if c.role == "penalty" and c.preferred and c.reason:  # only where there is a choice to explain
        text += f"（建议适用：{c.reason}）"
    if not c.source_checked:
        text += " [未核对]"
    return text


def records_text(f: Finding) -> str:
    return "、".join(r.name for r in f.records)


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


def _alert_lines(a: Assessment) -> list[str]:
    """Rules that could not be evaluated, and industries whose facts are stated but not declared."""
    lines = [f"评估出错（不能视为符合）：{e.rule_id}@{e.rule_version} [{SEVERITY_LABEL[e.severity]}] {e.message}"
             for e in a.errors]
    lines += [f"提示：已填写仅“{w.industry}”行业规则使用的事实（{'、'.join(w.facts)}），但企业未申报该行业："
              f"该行业 {len(w.rules)} 条规则（其中重大事故隐患 {len(w.major_hazard_rules)} 条）未评估"
              for w in a.warnings]
    return lines


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
    if c.not_encoded:
        t.append(f"另有 {c.not_encoded} 项判定标准条款未纳入规则库，须人工逐项检查（JSON 输出列出各项）\n",
                 style="bold yellow")
    for line in _alert_lines(a):
        t.append(line + "\n", style="bold yellow")
    for f in a.findings:
        t.append("\n")
        t.append(f"[{SEVERITY_LABEL[f.severity]}]", style="bold red" if f.severity == "major_hazard" else "yellow")
        t.append(f" {f.title}", style="bold")
        for flag in f.flags:
            t.append(f" 〔{FLAG_LABELS[flag]}〕", style="bold magenta")
        t.append("\n")
        t.append(f"  规则  {f.rule_id} 版本 {f.rule_version}")
        t.append("" if f.source_checked else "（条文未核对）", style="dim")
        t.append("\n")
        if f.sub_items:
            t.append(f"  情形  第{'、'.join(f.sub_items)}项\n")
        if f.records:
            t.append(f"  涉及  {records_text(f)}\n")
        for i, cite in enumerate(f.citations):
            t.append(("  依据  " if i == 0 else "        ") + citation_label(cite) + "\n")
        for i, r in enumerate(f.explanation):
            t.append(("  判定  " if i == 0 else "        ") + f"{r.condition}  → {value_text(r.value)}")
            if r.facts:
                t.append(f"（{_fact_names(r.facts, labels)}）", style="dim")
            t.append("\n")
        if f.interpretation:
            t.append(f"  解释  {f.interpretation.note}\n", style="magenta")
        if f.sanction:
            for i, line in enumerate(sanction_lines(f.sanction)):
                t.append(("  罚则  " if i == 0 else "        ") + line + "\n")
        for m in f.measures:
            t.append(f"  措施  {m.text}：{m.summary}\n")
        t.append(f"  整改  {deadline_text(f.rectification.deadline)}：{f.rectification.hint}\n")
    if a.undetermined:
        t.append("\n待查明（不能视为符合）\n", style="bold")
        for u in a.undetermined:
            t.append(f"  {u.rule_id}@{u.rule_version} [{SEVERITY_LABEL[u.severity]}]")
            if u.missing_facts:
                t.append(" 缺少：" + "、".join(labels(m) if "[" not in m else m for m in u.missing_facts))
            if u.not_encoded:
                t.append(" 未编码：" + "；".join(u.not_encoded))
            if u.interpretation and u.interpretation.status == "contested":
                t.append(f" 解释存疑：{u.interpretation.note}")
            t.append("\n")
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
        if isinstance(v.when, str):
            text.append(f"条件: {v.when}\n")
        else:
            for label, cond in v.when.items():
                text.append(f"情形{label}: {cond}\n")
        if v.not_encoded:
            text.append("未编码: " + "；".join(v.not_encoded) + "\n", style="yellow")
        if v.interpretation:
            status = "存疑" if v.interpretation.status == "contested" else "已确定"
            text.append(f"解释（{status}）: {v.interpretation.note}\n", style="magenta")
        for c in v.citations:
            text.append("· " + citation_label(c) + "\n")
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
    if c.not_encoded:
        lines += [f"**另有 {c.not_encoded} 项判定标准条款未纳入规则库，须人工逐项检查。**", ""]
    lines += [f"**{_md_cell(line)}**\n" for line in _alert_lines(a)]
    if a.findings:
        lines += ["| 类别 | 规则 | 问题 | 依据（检查日有效） | 罚则 | 整改 |", "|---|---|---|---|---|---|"]
        for f in a.findings:
            cites = "<br>".join(_md_cell(citation_label(x)) for x in f.citations)
            title = f.title + "".join(f"〔{FLAG_LABELS[flag]}〕" for flag in f.flags)
            if f.sub_items:
                title += f"（第{'、'.join(f.sub_items)}项）"
            if f.records:
                title += f"：{records_text(f)}"
            tiers = "<br>".join(_md_cell(x) for x in sanction_lines(f.sanction)) if f.sanction else ""
            lines.append(f"| {SEVERITY_LABEL[f.severity]} | `{f.rule_id}`@{f.rule_version} | "
                         f"{_md_cell(title)} | {cites} | {tiers} | {deadline_text(f.rectification.deadline)} |")
        lines.append("")
    if a.undetermined:
        lines += ["待查明（不能视为符合）：", ""]
        for u in a.undetermined:
            why = []
            if u.missing_facts:
                why.append("缺少：" + "、".join(f"`{m}`" for m in u.missing_facts))
            if u.not_encoded:
                why.append("未编码：" + "；".join(u.not_encoded))
            if u.interpretation and u.interpretation.status == "contested":
                why.append(f"解释存疑：{u.interpretation.note}")
            lines.append(f"- `{u.rule_id}`@{u.rule_version}（{SEVERITY_LABEL[u.severity]}）" + "；".join(why))
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
                  f"{SEVERITY_LABEL[v.severity]}{mark}", ""]
        if isinstance(v.when, str):
            lines += [f"条件：`{v.when}`", ""]
        else:
            lines += [f"- 情形{k}：`{c}`" for k, c in v.when.items()] + [""]
        if v.not_encoded:
            lines += ["未编码：" + "；".join(v.not_encoded), ""]
        if v.interpretation:
            lines += [f"解释（{'存疑' if v.interpretation.status == 'contested' else '已确定'}）："
                      f"{v.interpretation.note}", ""]
        lines += [f"- {citation_label(c)}" for c in v.citations]
        lines += ["", f"整改：{deadline_text(v.rectification.deadline)} — {v.rectification.hint}", ""]
    return "\n".join(lines)


# ------------------------------------------------------------------ coverage

COVERAGE_HEADER = ("版本", "部分", "条款", "已编码", "部分编码", "未编码", "未核对")


def coverage_renderable(report: CoverageReport) -> RenderableType:
    table = Table(title=f"规则库 {report.rulebook_version} 覆盖情况" + (f"（{report.as_of}）" if report.as_of else ""))
    for h in COVERAGE_HEADER:
        table.add_column(h, justify="right" if h in COVERAGE_HEADER[2:] else "left")
    for row in coverage_rows(report):
        table.add_row(*row)
    s, a = report.scope, report.all
    foot = Text(f"检查组范围：{s.items} 项，已编码 {s.encoded}，部分编码 {s.partly_encoded}，未编码 {s.not_encoded}，"
                f"未核对 {s.unchecked}\n全部：{a.items} 项，已编码 {a.encoded}，部分编码 {a.partly_encoded}，"
                f"未编码 {a.not_encoded}，未核对 {a.unchecked}\n")
    for p in report.parts:
        if p.industries and (p.uncovered or p.partly):
            foot.append(f"{p.edition_label} {p.part_title}：", style="bold")
            if p.uncovered:
                foot.append("未编码 " + "、".join(p.uncovered))
            if p.partly:
                foot.append(("；" if p.uncovered else "") + "部分编码 " + "、".join(p.partly))
            foot.append("\n")
    return Group(table, foot)


def coverage_markdown(report: CoverageReport) -> str:
    lines = ["| " + " | ".join(COVERAGE_HEADER) + " |", "|" + "---|" * len(COVERAGE_HEADER)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in coverage_rows(report)]
    s = report.scope
    lines += ["", f"检查组范围：{s.items} 项，已编码 {s.encoded}，部分编码 {s.partly_encoded}，"
              f"未编码 {s.not_encoded}，未核对 {s.unchecked}", ""]
    for p in report.parts:
        if p.industries and (p.uncovered or p.partly):
            lines.append(f"- {p.edition_label} {p.part_title}：未编码 {'、'.join(p.uncovered) or '无'}；"
                         f"部分编码 {'、'.join(p.partly) or '无'}")
    return "\n".join(lines) + "\n"
