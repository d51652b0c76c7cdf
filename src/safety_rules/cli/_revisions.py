"""``safety-rules diff`` and ``impact``, and what ``check`` adds for revisions (coverage,
mutants, dead and vacuous sub-conditions, the version gate) and its machine formats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ..engine._check import CheckReport
from ..revisions._comparison import comparison_markdown, witness_text, write_comparison_xlsx
from ..revisions._condition_coverage import CoverageReport, condition_coverage
from ..revisions._diff import LEVEL_LABELS, LEVELS, Change, RevisionDiff, diff_trees
from ..revisions._gate import changelog_entry, gate_problems
from ..revisions._impact import DEFAULT_CORPUS, KIND_LABELS, Impact, assess_impact, corpus_files, default_dates
from ..revisions._mutants import Mutant, mutant_problems, mutation_check, stale_declarations
from ..revisions._trees import read_pair, read_tree, rules_dir_in_repo
from ..revisions._vacuity import vacuity_problems
from ..revisions._witness import DEFAULT_BUDGET
from ..shared._codes import CODES, code_name
from ..shared._errors import Problem, RevisionError
from ..shared._yaml import load_yaml
from . import _annotations
from ._annotations import Annotation
from ._app import app, err, fail, handled, out, print_json, progress_bar, write
from ._schema import modeline_problems

_CODE_TEXT = {code: f"{c.name}: {c.description}" for code, c in CODES.items()}


def _problem_annotation(p: Problem) -> Annotation:
    return Annotation("warning" if p.level == "warning" else "error", p.code, p.message, p.path, p.line,
                      title=code_name(p.code) + (f" {p.rule_id}" if p.rule_id else ""), group=p.rule_id or p.path)


# ====================================================================== check


@dataclass(frozen=True)
class CheckOptions:
    format: str = "text"
    coverage: bool = False
    min_coverage: float | None = None
    mutants: bool = False
    base: str | None = None


def _gate(report: CheckReport, base: str) -> list[Problem]:
    top, inside = rules_dir_in_repo(report.root)
    try:
        old = read_tree(base, rules_dir=inside, repo=top)
        new = read_tree(str(report.root))
    except RevisionError as exc:
        found = [Problem(f"--base {base}: {exc.message}（比较基准无法读取）", path=str(report.root), code="SR608")]
        return found + list(exc.context.get("problems") or [])
    raw = load_yaml(report.root / "rulebook.yaml")
    return gate_problems(diff_trees(old, new, budget=2_000), report.root, rulebook_line=raw.key_lines.get("version"),
                         shown_root=str(report.root))


def run_check(report: CheckReport, name: str, opts: CheckOptions) -> int:
    """Add what was asked for to a check report, print it in the chosen format; the exit code."""
    problems, warnings = list(report.problems), list(report.warnings)
    coverage: CoverageReport | None = None
    mutants: list[Mutant] = []
    skipped = ""
    book = report.book
    if book is not None and not report.problems:
        warnings += modeline_problems(book)
        for rid in book.rule_ids:
            warnings += vacuity_problems(book, book.lineage(rid))
        if opts.coverage:
            coverage = condition_coverage(book)
            warnings += coverage.problems()
            if opts.min_coverage is not None and coverage.total.percent < opts.min_coverage:
                problems.append(Problem(f"condition coverage {coverage.total.percent:.1f}% is below --min-coverage "
                                        f"{opts.min_coverage:g}%（条件覆盖率不足）", path=str(report.root),
                                        code="SR602"))
        if opts.mutants:
            mutants = mutation_check(book)
            problems += mutant_problems(mutants) + stale_declarations(book, mutants=mutants)
        if opts.base:
            problems += _gate(report, opts.base)
    elif opts.coverage or opts.mutants or opts.base:
        skipped = "; coverage, mutants and --base skipped until the rulebook checks clean"
    problems.sort(key=lambda p: (p.path or "", p.line or 0, p.message))
    warnings.sort(key=lambda p: (p.path or "", p.line or 0, p.message))

    summary = (f"{report.rules} rules, {report.versions} versions, {report.facts} facts, {report.documents} documents; "
               f"examples {report.examples_passed}/{report.examples} passed; {len(warnings)} warning(s)")
    if coverage is not None:
        t = coverage.total
        summary += (f"; condition coverage {t.percent:.1f}% (leaves seen true and false {t.leaves_covered}/"
                    f"{t.leaves}, {t.leaf_percent:.1f}%)")
    if opts.mutants:
        reviewed = sum(1 for m in mutants if not m.killed and m.reviewed is not None)
        summary += f"; mutants killed {sum(m.killed for m in mutants)}/{len(mutants)}"
        summary += f" ({reviewed} reviewed as equivalent)" if reviewed else ""
    summary += f"; rulebook {report.rulebook_version} at {name}{skipped}"

    if opts.format == "text":
        for p in [*problems, *warnings]:
            out.print(str(p), highlight=False, markup=False)
        if coverage is not None:
            out.print(_coverage_table(coverage))
        if problems:
            err.print(f"[bold red]error:[/] {len(problems)} problem(s); {summary}", highlight=False)
        else:
            out.print(f"ok: {summary}", highlight=False, markup=False)
    elif opts.format == "json":
        print_json(_check_json(report, name, problems, warnings, coverage, mutants, summary))
    else:
        err.print(f"{'ok' if not problems else f'{len(problems)} problem(s)'}: {summary}", highlight=False,
                  markup=False)
        annotations = [_problem_annotation(p) for p in [*problems, *warnings]]
        if opts.format == "github":
            write(_annotations.github(annotations))
        elif opts.format == "sarif":
            write(_annotations.sarif(annotations, _CODE_TEXT))
        else:
            rules = book.rule_ids if book is not None else []
            write(_annotations.junit("safety-rules check", annotations, passed=rules))
    return 1 if problems else 0


def _problem_json(p: Problem) -> dict[str, Any]:
    return {"code": p.code, "name": CODES[p.code].name if p.code in CODES else None, "level": p.level,
            "path": p.path, "line": p.line, "rule_id": p.rule_id, "fact": p.fact, "message": p.message}


def _check_json(report: CheckReport, name: str, problems: list[Problem], warnings: list[Problem],
                coverage: CoverageReport | None, mutants: list[Mutant], summary: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ok": not problems, "rulebook": name, "rulebook_version": report.rulebook_version, "rules": report.rules,
        "versions": report.versions, "facts": report.facts, "documents": report.documents,
        "examples": report.examples, "examples_passed": report.examples_passed, "summary": summary,
        "problems": [_problem_json(p) for p in problems], "warnings": [_problem_json(p) for p in warnings]}
    if coverage is not None:
        data["coverage"] = {
            "percent": round(coverage.total.percent, 2), "leaf_percent": round(coverage.total.leaf_percent, 2),
            "industries": {k: {"percent": round(f.percent, 2), "leaf_percent": round(f.leaf_percent, 2),
                               "leaves": f.leaves, "leaves_covered": f.leaves_covered, "versions": f.versions}
                           for k, f in coverage.by_industry().items()}}
    if mutants:
        data["mutants"] = {"total": len(mutants), "killed": sum(m.killed for m in mutants),
                           "surviving": [{"rule_id": m.rule_id, "version": m.version, "sub_item": m.sub_item,
                                          "original": m.original, "mutated": m.mutated, "line": m.line,
                                          "reviewed_equivalent": m.reviewed}
                                         for m in mutants if not m.killed]}
    return data


def _coverage_table(report: CoverageReport) -> Table:
    table = Table(title="条件覆盖（示例中每个子条件真假均出现；版本出现违反、符合、待查明）")
    for h in ("行业", "版本", "子条件", "真假均出现", "子条件覆盖率", "条件覆盖率"):
        table.add_column(h, justify="left" if h == "行业" else "right")
    rows = [*report.by_industry().items(), ("合计", report.total)]
    for industry, f in rows:
        table.add_row(industry, str(f.versions), str(f.leaves), str(f.leaves_covered), f"{f.leaf_percent:.1f}%",
                      f"{f.percent:.1f}%")
    return table


# ======================================================================= diff


class DiffFormat(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"
    comparison = "comparison"
    changelog = "changelog"
    junit = "junit"
    github = "github"
    sarif = "sarif"


BaseArgument = Annotated[str, typer.Argument(help="the base: a git revision (main, HEAD~1, a tag) or a rules "
                                             "directory")]
HeadArgument = Annotated[str | None, typer.Argument(help="the head: a git revision or a rules directory "
                                                    "(default: ./rules in the working tree)", show_default=False)]
BudgetOption = Annotated[int, typer.Option("--budget", min=0, help="most assignments tried per witness search")]


def _tree_line(diff: RevisionDiff) -> str:
    def one(t: Any) -> str:
        return f"{t.name}{' (' + t.commit[:7] + ')' if t.commit else ''}，规则库 {t.rulebook_version}"
    return f"{one(diff.base)} → {one(diff.head)}"


def _counts(diff: RevisionDiff) -> str:
    return "，".join(f"{LEVEL_LABELS[lv]} {len(diff.by_level(lv))} 项" for lv in ("breaking", "outcomes", "wording"))


def _subject(c: Change) -> str:
    return c.subject + (f"@{c.version}" if c.version else "")


def diff_markdown(diff: RevisionDiff) -> str:
    lines = [f"## 规则修订：{_tree_line(diff)}", "", _counts(diff) + "。", ""]
    if not diff.changes:
        return "\n".join([*lines, "无变更。", ""])
    for level in LEVELS:
        changes = diff.by_level(level)
        if not changes:
            continue
        lines += [f"### {LEVEL_LABELS[level]}", "", "| 编号 | 对象 | 变更 | 反例（新旧结果不同的事实） | 位置 |",
                  "|---|---|---|---|---|"]
        for c in changes:
            where = f"`{c.file}:{c.line}`" if c.file and c.line else (f"`{c.file}`" if c.file else "")
            text = c.summary.replace("|", "\\|")
            lines.append(f"| `{c.id}` | `{_subject(c)}` | {text} | {witness_text(c).replace('|', chr(92) + '|')} | "
                         f"{where} |")
        lines.append("")
    return "\n".join(lines)


def _diff_annotations(diff: RevisionDiff) -> list[Annotation]:
    return [Annotation("notice" if c.level == "wording" else "warning", c.kind,
                       f"{c.summary}" + (f"；{witness_text(c)}" if c.witness or c.witness_note else ""),
                       c.file, c.line, title=f"{LEVEL_LABELS[c.level]} {c.id} {_subject(c)}", group=c.subject)
            for c in diff.changes]


def _diff_table(diff: RevisionDiff) -> Any:
    table = Table(title=f"规则修订：{_tree_line(diff)}", caption=_counts(diff), show_lines=True)
    table.add_column("编号 / 影响", no_wrap=True)
    table.add_column("对象", overflow="fold", max_width=28)
    table.add_column("变更与反例", overflow="fold")
    for c in diff.changes:
        style = {"breaking": "bold red", "outcomes": "yellow", "wording": "dim"}[c.level]
        what = Text(c.summary)
        if c.witness or c.witness_note:
            what.append("\n" + witness_text(c), style="dim")
        table.add_row(Text(f"{c.id}\n{LEVEL_LABELS[c.level]}", style=style), _subject(c), what)
    return table


@app.command()
@handled
def diff(
    base: BaseArgument,
    head: HeadArgument = None,
    format: Annotated[DiffFormat, typer.Option("--format", "-f", help="table; markdown (a pull-request comment); "
                                               "json; comparison (新旧对照表 in Markdown); changelog (a CHANGELOG.md "
                                               "section); junit; github; sarif")] = DiffFormat.table,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", show_default=False,
                                              help="also write the 新旧对照表 as an Excel workbook")] = None,
    budget: BudgetOption = DEFAULT_BUDGET,
) -> None:
    """What a revision changes: per rule and in the catalogs, each change with a level, a stable id
    and, for a changed condition, facts on which old and new give different results."""
    old, new = read_pair(base, head)
    err.print(f"comparing {old.describe()} → {new.describe()}", highlight=False, markup=False)
    result = diff_trees(old, new, budget=budget)
    if xlsx is not None:
        write_comparison_xlsx(result, xlsx)
        err.print(f"wrote {xlsx}", highlight=False, markup=False)
    if format is DiffFormat.json:
        write(result.model_dump_json(indent=2) + "\n")
    elif format is DiffFormat.markdown:
        write(diff_markdown(result))
    elif format is DiffFormat.comparison:
        write(comparison_markdown(result))
    elif format is DiffFormat.changelog:
        write(changelog_entry(result))
    elif format is DiffFormat.github:
        write(_annotations.github(_diff_annotations(result)))
    elif format is DiffFormat.sarif:
        write(_annotations.sarif(_diff_annotations(result), {c.kind: c.kind for c in result.changes}))
    elif format is DiffFormat.junit:
        write(_annotations.junit("safety-rules diff", _diff_annotations(result)))
    else:
        out.print(_diff_table(result))


# ===================================================================== impact


class ImpactFormat(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"
    junit = "junit"
    github = "github"
    sarif = "sarif"


def _dates(values: list[str]) -> list[dt.date]:
    days = set()
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            try:
                days.add(dt.date.fromisoformat(part))
            except ValueError:
                fail(f"--dates: {part!r} is not a date YYYY-MM-DD")
    return sorted(days)


def impact_markdown(impact: Impact) -> str:
    dates = "、".join(str(d) for d in impact.dates) or "（无：修订不改变任何版本或条款的边界）"
    lines = [f"## 修订影响：{impact.base.name} 规则库 {impact.base.rulebook_version} → {impact.head.name} 规则库 "
             f"{impact.head.rulebook_version}", "",
             f"参考企业 {impact.enterprises} 家 × 日期 {len(impact.dates)} 个（{dates}）；结果改变的企业 "
             f"{len(impact.affected)} 家。", ""]
    if impact.rules:
        lines += ["| 规则 | 新增认定 | 取消认定 | 其他改变 |", "|---|---:|---:|---:|"]
        lines += [f"| `{r.rule_id}` | +{r.added} | −{r.removed} | {r.changed} |" for r in impact.rules]
        lines.append("")
    if impact.changes:
        lines += ["| 企业 | 日期 | 规则 | 改变 | 原 | 现 |", "|---|---|---|---|---|---|"]
        for c in impact.changes:
            old, new = (c.old or "").replace("|", "/"), (c.new or "").replace("|", "/")
            lines.append(f"| {c.enterprise_name or ''} `{c.enterprise_id}` | {c.as_of or ''} | `{c.rule_id}` | "
                         f"{KIND_LABELS[c.kind]} | {old} | {new} |")
        lines.append("")
    return "\n".join(lines)


def _impact_annotations(impact: Impact) -> list[Annotation]:
    return [Annotation("notice", c.kind, f"{c.enterprise_id} {c.as_of or ''} {c.rule_id}: {KIND_LABELS[c.kind]}"
                       f"（{c.old} → {c.new}）", c.file, None, title=f"{KIND_LABELS[c.kind]} {c.rule_id}",
                       group=c.enterprise_id) for c in impact.changes]


def _impact_table(impact: Impact) -> Any:
    table = Table(title=f"修订影响：规则库 {impact.base.rulebook_version} → {impact.head.rulebook_version}，参考企业 "
                  f"{impact.enterprises} 家，日期 {', '.join(str(d) for d in impact.dates)}",
                  caption=f"结果改变的企业 {len(impact.affected)} 家")
    for h in ("企业", "日期", "规则", "改变：原 → 现"):
        table.add_column(h, overflow="fold")
    for c in impact.changes:
        table.add_row(c.enterprise_id, str(c.as_of or ""), c.rule_id,
                      f"{KIND_LABELS[c.kind]}：{c.old or ''} → {c.new or ''}")
    totals = Table(title="按规则合计（企业数）")
    for h in ("规则", "新增认定", "取消认定", "其他改变"):
        totals.add_column(h, justify="left" if h == "规则" else "right")
    for r in impact.rules:
        totals.add_row(r.rule_id, f"+{r.added}", f"−{r.removed}", str(r.changed))
    return table, totals


@app.command()
@handled
def impact(
    base: BaseArgument,
    head: HeadArgument = None,
    corpus: Annotated[list[Path] | None, typer.Option(
        "--corpus", help="directory of enterprise files (repeatable; default: examples/enterprises and "
        "tests/corpus where present)")] = None,
    dates: Annotated[list[str] | None, typer.Option(
        "--dates", help="dates to assess on, YYYY-MM-DD, comma-separated or repeated (default: the day before and "
        "the first day of every boundary the revision touches)")] = None,
    format: Annotated[ImpactFormat, typer.Option("--format", "-f", help="output format")] = ImpactFormat.table,
) -> None:
    """Which enterprises of a reference corpus get a different outcome under the revised rulebook."""
    old, new = read_pair(base, head)
    err.print(f"comparing {old.describe()} → {new.describe()}", highlight=False, markup=False)
    days = _dates(dates or [])
    if not days:
        days = default_dates(diff_trees(old, new, budget=0))
    directories = list(corpus or []) or [d for d in DEFAULT_CORPUS if d.is_dir()]
    if not directories:
        fail("no corpus: give --corpus DIR (examples/enterprises and tests/corpus are not here)")
    files = corpus_files(directories)
    with progress_bar(len(files), "评估参考企业") as advance:
        result = assess_impact(old, new, files, days, corpus=[str(d) for d in directories], progress=advance)
    for u in result.unreadable:
        err.print(f"{u.side}: {u.message}", highlight=False, markup=False)
    if format is ImpactFormat.json:
        write(result.model_dump_json(indent=2) + "\n")
    elif format is ImpactFormat.markdown:
        write(impact_markdown(result))
    elif format is ImpactFormat.github:
        write(_annotations.github(_impact_annotations(result)))
    elif format is ImpactFormat.sarif:
        write(_annotations.sarif(_impact_annotations(result), KIND_LABELS))
    elif format is ImpactFormat.junit:
        write(_annotations.junit("safety-rules impact", _impact_annotations(result)))
    else:
        for table in _impact_table(result):
            out.print(table)
