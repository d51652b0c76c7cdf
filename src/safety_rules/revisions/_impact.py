"""What a revision changes in outcomes: a reference corpus assessed under both rulebooks.

Each enterprise file of the corpus is read and assessed under the base and the head rulebook
on each date; every rule whose result differs is listed: a finding added or removed, its
severity, citations (as printed that day), sanction or sub-items changed, a rule that became
undetermined or determinable, or applicable or not. Items of the standards that no rule
encodes are compared too (an inspector checks those by hand). A file that only one rulebook
can read (a fact removed, an enum value withdrawn) is an outcome change of its own.

By default the dates are the day before and the first day of every version or edition
boundary the revision touches (:attr:`Change.days`), so each changed version is seen on its
first day and the version before it on its last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..engine._enterprise import Enterprise
from ..engine._results import Assessment
from ..shared._errors import SafetyRulesError
from ..shared._windows import ONE_DAY
from ._diff import SEVERITY_LABELS, RevisionDiff, TreeInfo, diff_trees, tree_info
from ._trees import RuleTree, read_pair

Kind = Literal["finding_added", "finding_removed", "severity", "citations", "sanction", "sub_items",
               "now_undetermined", "now_determinable", "applicability", "not_encoded", "unreadable"]
KIND_LABELS: dict[str, str] = {
    "finding_added": "新增认定", "finding_removed": "认定取消", "severity": "类别改变", "citations": "引用改变",
    "sanction": "罚则改变", "sub_items": "成立情形改变", "now_undetermined": "变为待查明",
    "now_determinable": "不再待查明", "applicability": "适用性改变", "not_encoded": "未编码条款改变",
    "unreadable": "企业文件只能由一方读取",
}
DEFAULT_CORPUS = (Path("examples/enterprises"), Path("tests/corpus"))
STATE_LABELS: dict[str, str] = {"finding": "认定", "undetermined": "待查明", "compliant": "符合",
                                "not_applicable": "不适用", "not_in_force": "无有效版本", "absent": "无此规则"}


class OutcomeChange(BaseModel):
    enterprise_id: str
    enterprise_name: str | None = None
    file: str
    as_of: dt.date | None = None
    rule_id: str = Field(description="the rule, or document/provision for a not-encoded item, or '' for a file")
    kind: Kind
    old: str | None = None
    new: str | None = None


class RuleTotal(BaseModel):
    rule_id: str
    added: int = Field(description="enterprises gaining a finding of this rule on some date")
    removed: int = Field(description="enterprises losing one")
    changed: int = Field(description="enterprises whose result of this rule changes otherwise")


class Unreadable(BaseModel):
    file: str
    side: Literal["base", "head"]
    message: str


class Impact(BaseModel):
    base: TreeInfo
    head: TreeInfo
    dates: list[dt.date]
    corpus: list[str]
    enterprises: int = Field(description="enterprise files read")
    assessments: int = Field(description="assessments made (files × dates × 2 rulebooks)")
    changes: list[OutcomeChange]
    rules: list[RuleTotal]
    unreadable: list[Unreadable] = Field(default_factory=list)

    @property
    def affected(self) -> list[str]:
        """Enterprise ids whose outcome changes, in order."""
        return sorted({c.enterprise_id for c in self.changes})


def revision_impact(base: str, head: str | None = None, corpus: Iterable[str | Path] = (),
                    dates: Iterable[dt.date] = ()) -> Impact:
    """Which enterprises of ``corpus`` (directories; default ``examples/enterprises`` and
    ``tests/corpus`` where present) get another outcome from ``base`` to ``head`` (as for
    :func:`compare_rulebooks`) on ``dates`` (default: around every boundary the revision touches)."""
    old, new = read_pair(base, head)
    days = sorted(set(dates)) or default_dates(diff_trees(old, new, budget=0))
    directories = [Path(d) for d in corpus] or [d for d in DEFAULT_CORPUS if d.is_dir()]
    return assess_impact(old, new, corpus_files(directories), days, corpus=[str(d) for d in directories])


def default_dates(diff: RevisionDiff) -> list[dt.date]:
    """The day before and the first day of every boundary the revision touches."""
    days: set[dt.date] = set()
    for change in diff.changes:
        if change.level == "wording":
            continue
        for d in change.days:
            days |= {d - ONE_DAY, d}
    return sorted(days)


def corpus_files(directories: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for d in directories:
        if not d.is_dir():
            raise SafetyRulesError(f"corpus directory {str(d)!r} does not exist", path=d)
        files += sorted(p for p in d.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return files


def _state(a: Assessment, rule_id: str) -> tuple[str, Any]:
    for f in a.findings:
        if f.rule_id == rule_id:
            return "finding", f
    for u in a.undetermined:
        if u.rule_id == rule_id:
            return "undetermined", u
    if rule_id in a.compliant:
        return "compliant", None
    if rule_id in a.not_applicable:
        return "not_applicable", None
    if rule_id in a.not_in_force:
        return "not_in_force", None
    return "absent", None


def _finding_text(f: Any) -> str:
    return f"{SEVERITY_LABELS[f.severity]}（版本 {f.rule_version}）"


def compare_assessments(old: Assessment, new: Assessment) -> list[tuple[str, Kind, str | None, str | None]]:
    """(rule id, kind, old, new) for every rule whose result differs between two assessments."""
    found: list[tuple[str, Kind, str | None, str | None]] = []
    ids = sorted({*(f.rule_id for f in (*old.findings, *new.findings)), *(u.rule_id for u in old.undetermined),
                  *(u.rule_id for u in new.undetermined), *old.compliant, *new.compliant, *old.not_applicable,
                  *new.not_applicable, *old.not_in_force, *new.not_in_force})
    for rid in ids:
        (sa, a), (sb, b) = _state(old, rid), _state(new, rid)
        if sa == sb == "finding":
            if a.severity != b.severity:
                found.append((rid, "severity", SEVERITY_LABELS[a.severity], SEVERITY_LABELS[b.severity]))
            ca, cb = [c.text for c in a.citations], [c.text for c in b.citations]
            if ca != cb:
                found.append((rid, "citations", "；".join(ca), "；".join(cb)))
            pa = a.sanction.model_dump(mode="json") if a.sanction else None
            pb = b.sanction.model_dump(mode="json") if b.sanction else None
            if pa != pb:
                found.append((rid, "sanction", a.sanction.summary if a.sanction else None,
                              b.sanction.summary if b.sanction else None))
            if a.sub_items != b.sub_items:
                found.append((rid, "sub_items", "、".join(a.sub_items), "、".join(b.sub_items)))
        elif sb == "finding":
            found.append((rid, "finding_added", STATE_LABELS[sa], _finding_text(b)))
        elif sa == "finding":
            found.append((rid, "finding_removed", _finding_text(a), STATE_LABELS[sb]))
        elif sa != sb and "undetermined" in (sa, sb):
            kind: Kind = "now_undetermined" if sb == "undetermined" else "now_determinable"
            found.append((rid, kind, STATE_LABELS[sa], STATE_LABELS[sb]))
        elif sa != sb:
            found.append((rid, "applicability", STATE_LABELS[sa], STATE_LABELS[sb]))
    ea = {f"{n.document}/{n.provision}": n.label for n in old.not_encoded}
    eb = {f"{n.document}/{n.provision}": n.label for n in new.not_encoded}
    for key in sorted(set(ea) ^ set(eb)):
        found.append((key, "not_encoded", ea.get(key, "已编码或不适用"), eb.get(key, "已编码或不适用")))
    return found


def assess_impact(base: RuleTree, head: RuleTree, files: Sequence[Path], dates: Sequence[dt.date], *,
                  corpus: Sequence[str] = (), shown: Callable[[Path], str] = str,
                  progress: Callable[[int], None] | None = None) -> Impact:
    """Assess every file under both rulebooks on every date and list what differs."""
    changes: list[OutcomeChange] = []
    unreadable: list[Unreadable] = []
    assessments = 0
    read = 0
    for path in files:
        name = shown(path)
        loaded: dict[str, Enterprise | None] = {}
        for side, tree in (("base", base), ("head", head)):
            try:
                loaded[side] = tree.book.load_enterprise(path)
            except SafetyRulesError as exc:
                loaded[side] = None
                unreadable.append(Unreadable(file=name, side=side, message=str(exc)))
        if progress is not None:
            progress(1)
        a, b = loaded["base"], loaded["head"]
        if a is None and b is None:
            continue
        read += 1
        if a is None or b is None:
            known = a or b
            assert known is not None
            changes.append(OutcomeChange(enterprise_id=known.id, enterprise_name=known.name, file=name, rule_id="",
                                         kind="unreadable", old="可读" if a else "不可读",
                                         new="可读" if b else "不可读"))
            continue
        for day in dates:
            old, new = base.book.assess(a, day), head.book.assess(b, day)
            assessments += 2
            for rid, kind, x, y in compare_assessments(old, new):
                changes.append(OutcomeChange(enterprise_id=b.id, enterprise_name=b.name, file=name, as_of=day,
                                             rule_id=rid, kind=kind, old=x, new=y))
    return Impact(base=tree_info(base), head=tree_info(head), dates=list(dates), corpus=list(corpus),
                  enterprises=read, assessments=assessments, changes=changes, rules=rule_totals(changes),
                  unreadable=unreadable)


def rule_totals(changes: Iterable[OutcomeChange]) -> list[RuleTotal]:
    """Per rule: enterprises gaining a finding (+), losing one (−), changed otherwise."""
    added: dict[str, set[str]] = {}
    removed: dict[str, set[str]] = {}
    changed: dict[str, set[str]] = {}
    for c in changes:
        if not c.rule_id or c.kind == "not_encoded":
            continue
        bucket = added if c.kind == "finding_added" else removed if c.kind == "finding_removed" else changed
        bucket.setdefault(c.rule_id, set()).add(c.file)  # files: two corpus files may share an id
    ids = sorted({*added, *removed, *changed})
    return [RuleTotal(rule_id=r, added=len(added.get(r, ())), removed=len(removed.get(r, ())),
                      changed=len(changed.get(r, ()))) for r in ids]
