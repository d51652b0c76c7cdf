"""What a revision changes: per lineage and in the catalogs, with a level and a stable id.

Levels (``level``):

* ``breaking`` — something others rely on disappears or stops validating: a rule id or
  version label withdrawn (past findings cite them), a fact removed or retyped, an enum value
  or a wider range taken away (enterprise files that were valid no longer are), a law
  document, edition, provision or table removed;
* ``outcomes`` — what an assessment returns may change: conditions, applicability, dates,
  severity, partial encoding, interpretations, citations as printed (document titles, edition
  labels and dates, article numbers), sanctions, rectification deadlines, derived facts, table
  rows, the items a standard's parts count;
* ``wording`` — nothing an assessment returns changes: titles, questions, labels, notes,
  hints, the wording of a provision, whether a source was checked, a new fact.

A change id is a hash of kind, subject, version and path: the same edit to the same place has
the same id in every run, so a changelog can name it.

Conditions are compared as normal forms (:mod:`._normalise`), so reformatting is no change;
each changed condition gets a witness (:mod:`._witness`): facts on which the old and the new
rulebook give different results, found and checked with each rulebook's own interpreter.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..engine._check import OUTCOME_NAMES
from ..engine._compiler import VIOLATED
from ..engine._expressions import Expr
from ..engine._interpreter import Environment, explain
from ..engine._loader import LoadedLineage, LoadedVersion
from ..engine._rulebook import Rulebook
from ..shared._windows import ONE_DAY
from ..shared._yaml import YamlMapping
from ._normalise import differences, normalise
from ._trees import RuleTree, read_pair
from ._witness import DEFAULT_BUDGET, search, slots_for

Level = Literal["breaking", "outcomes", "wording"]
LEVELS: tuple[Level, ...] = ("breaking", "outcomes", "wording")
LEVEL_LABELS: dict[str, str] = {"breaking": "破坏性变更", "outcomes": "改变评估结果", "wording": "不改变结果"}
OUTCOME_LABELS: dict[str, str] = {"violated": "违反", "compliant": "符合", "undetermined": "待查明",
                                  "not_applicable": "不适用"}
SEVERITY_LABELS: dict[str, str] = {"major_hazard": "重大事故隐患", "violation": "违法行为"}


class Witness(BaseModel):
    """Facts on which the old and the new rulebook give different results."""

    facts: dict[str, Any] = Field(description="the facts given; every other fact is unknown")
    as_of: dt.date
    old: str = Field(description="the result under the base rulebook")
    new: str = Field(description="the result under the head rulebook")
    definite: bool = Field(description="both results are decided (not undetermined or unknown)")
    evaluated: int = Field(description="assignments tried before this one was found")


class Change(BaseModel):
    id: str = Field(description="stable: a hash of kind, subject, version and path")
    level: Level
    kind: str = Field(description="e.g. version-condition, version-severity, rule-added, fact-removed")
    subject: str = Field(description="the rule id, or fact:/document:/provision:/table: and an id, or rulebook")
    version: str | None = Field(default=None, description="the rule version label, for version changes")
    path: str = Field(description="where in the subject: when, when.2, severity, citations.doc/provision …")
    summary: str = Field(description="one line, as the standards team reads it")
    old: Any = None
    new: Any = None
    details: list[str] = Field(default_factory=list, description="the smallest differing parts of a condition")
    witness: Witness | None = None
    witness_note: str | None = Field(default=None, description="why a changed condition has no witness")
    file: str | None = None
    line: int | None = None
    days: list[dt.date] = Field(default_factory=list, description="first days on which the change shows "
                                "(edition and version boundaries it touches)")


class TreeInfo(BaseModel):
    name: str
    commit: str | None = None
    rulebook_version: str
    path: str


class RevisionDiff(BaseModel):
    base: TreeInfo
    head: TreeInfo
    changes: list[Change]

    @property
    def level(self) -> Level | None:
        """The gravest level of any change (None: nothing changed)."""
        present = {c.level for c in self.changes}
        return next((lv for lv in LEVELS if lv in present), None)

    def by_level(self, level: Level) -> list[Change]:
        return [c for c in self.changes if c.level == level]

    @property
    def changes_outcomes(self) -> bool:
        return any(c.level != "wording" for c in self.changes)


def compare_rulebooks(base: str, head: str | None = None, *, budget: int = DEFAULT_BUDGET) -> RevisionDiff:
    """What a revision changes. ``base`` and ``head`` are rules directories or git revisions of
    the repository around the working directory; ``head`` defaults to ``./rules``. Raises
    :class:`RevisionError` when a side cannot be read."""
    return diff_trees(*read_pair(base, head), budget=budget)


def change_id(kind: str, subject: str, version: str | None, path: str) -> str:
    digest = hashlib.sha256(f"{kind}\x1f{subject}\x1f{version or ''}\x1f{path}".encode()).hexdigest()
    return "c" + digest[:10]


def tree_info(tree: RuleTree) -> TreeInfo:
    return TreeInfo(name=tree.name, commit=tree.commit, rulebook_version=tree.version, path=tree.shown_root)


def diff_trees(base: RuleTree, head: RuleTree, *, budget: int = DEFAULT_BUDGET) -> RevisionDiff:
    """Every change from ``base`` to ``head``: rules first (by id), then the catalogs."""
    d = _Differ(base, head, budget)
    for rid in sorted(set(base.parts.lineages) | set(head.parts.lineages)):
        d.lineage(rid)
    d.rulebook()
    d.facts()
    d.law()
    d.tables()
    return RevisionDiff(base=tree_info(base), head=tree_info(head), changes=d.changes)


# ------------------------------------------------------------------ witnesses


def _outcome_text(result: Hashable) -> str:
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], str):
        name, held = result
        text = f"{name}（{OUTCOME_LABELS.get(name, name)}）"
        return text + (f" 情形{'、'.join(held)}" if held else "")
    return {True: "成立", False: "不成立", None: "未知"}.get(result, repr(result)) \
        if isinstance(result, bool | None) else str(result)


def version_result(book: Rulebook, version: LoadedVersion, facts: Mapping[str, Any],
                   as_of: dt.date) -> tuple[str, tuple[str, ...]]:
    """The version's outcome by the reference interpreter, and the sub-items that hold."""
    env = Environment(facts, as_of, book.derived, book.tables)
    code, _applies, _when = book.outcome(version, env)
    held: tuple[str, ...] = ()
    if code == VIOLATED and version.sub_conditions:
        held = tuple(label for label, cond in version.sub_conditions if explain(cond, env).value is True)
    return OUTCOME_NAMES[code], held


def _decided(result: Hashable) -> bool:
    if isinstance(result, tuple):
        return bool(result[0] != "undetermined")
    return result is not None and result != "undetermined"


class _Differ:
    def __init__(self, base: RuleTree, head: RuleTree, budget: int) -> None:
        self.base, self.head, self.budget = base, head, budget
        self.changes: list[Change] = []

    # -- helpers
    def add(self, kind: str, level: Level, subject: str, path: str, summary: str, *, version: str | None = None,
            old: Any = None, new: Any = None, details: Sequence[str] = (), place: tuple[str | None, int | None] = (
                None, None), days: Iterable[dt.date] = (), witness: tuple[Witness | None, str | None] = (None, None)
            ) -> None:
        self.changes.append(Change(
            id=change_id(kind, subject, version, path), level=level, kind=kind, subject=subject, version=version,
            path=path, summary=summary, old=_plain(old), new=_plain(new), details=list(details), witness=witness[0],
            witness_note=witness[1], file=place[0], line=place[1], days=sorted(set(days))))

    def witness(self, exprs: Sequence[Expr], as_of: dt.date, old: Callable[[Mapping[str, Any]], Hashable],
                new: Callable[[Mapping[str, Any]], Hashable]) -> tuple[Witness | None, str | None]:
        slots = slots_for(exprs, (self.base.book, self.head.book), as_of)
        found = search(slots, old, new, _decided, self.budget)
        if found.facts is None:
            how = "在全部" if found.complete else "在预算内的前"
            return None, (f"{how} {found.evaluated} 组取值中新旧结果都相同（取值来自条件中的常量）；"
                          "请人工确认这一改写是否等价")
        return Witness(facts=found.facts, as_of=as_of, old=_outcome_text(found.old), new=_outcome_text(found.new),
                       definite=found.definite, evaluated=found.evaluated), None

    # -- rules
    def lineage(self, rid: str) -> None:
        old = self.base.parts.lineages.get(rid)
        new = self.head.parts.lineages.get(rid)
        if old is None and new is not None:
            first = new.versions[0] if new.versions else None
            self.add("rule-added", "outcomes", rid, "", f"新增规则 {rid} {new.spec.title}"
                     + (f"（{len(new.versions)} 个版本，{first.window.start} 起）" if first else ""),
                     new=new.spec.title, place=self._place(self.head, new), days=_boundaries(new))
            return
        if new is None and old is not None:
            retired = rid in self.head.parts.rulebook.retired_ids
            self.add("rule-removed", "breaking", rid, "", f"删除规则 {rid} {old.spec.title}"
                     + ("（已列入 retired_ids）" if retired else "（未列入 retired_ids：此编号今后可能被误用）"),
                     old=old.spec.title, place=self._place(self.base, old), days=_boundaries(old))
            return
        assert old is not None and new is not None
        days = _boundaries(old) | _boundaries(new)
        if old.spec.title != new.spec.title:
            self.add("rule-title", "wording", rid, "title", f"标题：{old.spec.title} → {new.spec.title}",
                     old=old.spec.title, new=new.spec.title, place=self._place(self.head, new, "title"))
        if old.spec.industry != new.spec.industry:
            self.add("rule-industry", "outcomes", rid, "industry", f"行业：{old.spec.industry} → {new.spec.industry}",
                     old=old.spec.industry, new=new.spec.industry, place=self._place(self.head, new, "industry"),
                     days=days)
        for key in ("replaces", "replaced_by"):
            a, b = getattr(old.spec, key), getattr(new.spec, key)
            if a != b:
                self.add("rule-links", "wording", rid, key, f"{key}：{a} → {b}", old=a, new=b,
                         place=self._place(self.head, new, key))
        for key, label in (("note", "说明（note）改写"),
                           ("before_first_version", "首版之前的说明（before_first_version）改写")):
            a, b = getattr(old.spec, key), getattr(new.spec, key)
            if a != b:
                self.add("rule-note", "wording", rid, key, label, old=a, new=b, place=self._place(self.head, new, key))
        self.applies_to(old, new, days)
        labels = [v.spec.version for v in old.versions]
        labels += [v.spec.version for v in new.versions if v.spec.version not in labels]
        old_versions = {v.spec.version: v for v in old.versions}
        new_versions = {v.spec.version: v for v in new.versions}
        for label in labels:
            ov, nv = old_versions.get(label), new_versions.get(label)
            if ov is None and nv is not None:
                self.add("version-added", "outcomes", rid, "", f"新增版本 {label}：{_window_text(nv)}，"
                         f"{SEVERITY_LABELS[nv.spec.severity]}", version=label,
                         new=_version_summary(nv), place=self._version_place(self.head, new, nv),
                         days=_window_days(nv))
            elif nv is None and ov is not None:
                self.add("version-removed", "breaking", rid, "", f"删除版本 {label}（{_window_text(ov)}）：已作出的"
                         "认定引用此版本号", version=label, old=_version_summary(ov),
                         place=self._version_place(self.base, old, ov), days=_window_days(ov))
            elif ov is not None and nv is not None:
                self.version(old, new, ov, nv)

    def applies_to(self, old: LoadedLineage, new: LoadedLineage, days: set[dt.date]) -> None:
        a = normalise(old.applies_to) if old.applies_to is not None else None
        b = normalise(new.applies_to) if new.applies_to is not None else None
        if a == b:
            return
        rid = new.spec.id
        details = [d.describe() for d in differences(a, b)] if a is not None and b is not None else []
        common = [v for v in new.versions if any(o.spec.version == v.spec.version for o in old.versions)]
        witness: tuple[Witness | None, str | None] = (None, "没有新旧共有的版本可比较")
        if common:
            nv = common[-1]
            ov = next(o for o in old.versions if o.spec.version == nv.spec.version)
            day = _common_day(ov, nv)
            exprs = [e for e in (old.applies_to, new.applies_to) if e is not None]
            witness = self.witness(exprs, day, lambda f: version_result(self.base.book, ov, f, day),
                                   lambda f: version_result(self.head.book, nv, f, day))
        self.add("rule-applies-to", "outcomes", rid, "applies_to",
                 f"适用条件：{a.text if a else '（全部）'} → {b.text if b else '（全部）'}",
                 old=old.spec.applies_to, new=new.spec.applies_to, details=details,
                 place=self._place(self.head, new, "applies_to"), days=days, witness=witness)

    def version(self, old: LoadedLineage, new: LoadedLineage, ov: LoadedVersion, nv: LoadedVersion) -> None:
        rid, label = new.spec.id, nv.spec.version
        os_, ns = ov.spec, nv.spec
        days = _window_days(ov) | _window_days(nv)

        def place(*keys: str) -> tuple[str | None, int | None]:
            return self._version_place(self.head, new, nv, *keys)

        last_old, last_new = old.versions[-1] is ov, new.versions[-1] is nv
        if os_.effective_from != ns.effective_from:
            self.add("version-dates", "outcomes", rid, "effective_from",
                     f"版本 {label} 生效日期：{os_.effective_from} → {ns.effective_from}", version=label,
                     old=os_.effective_from, new=ns.effective_from, place=place("effective_from"),
                     days={os_.effective_from, ns.effective_from})
        if os_.effective_to != ns.effective_to:
            ended = last_old and last_new and os_.effective_to is None
            kind = "rule-ended" if ended else "version-dates"
            summary = (f"规则自 {ns.effective_to} 后终止（版本 {label} 增加 effective_to）" if ended
                       else f"版本 {label} 截止日期：{os_.effective_to or '未定'} → {ns.effective_to or '未定'}")
            ends = [d + ONE_DAY for d in (os_.effective_to, ns.effective_to) if d is not None]
            self.add(kind, "outcomes", rid, "effective_to", summary, version=label, old=os_.effective_to,
                     new=ns.effective_to, place=place("effective_to"), days=ends)
        if os_.severity != ns.severity:
            self.add("version-severity", "outcomes", rid, "severity", f"版本 {label} 类别："
                     f"{SEVERITY_LABELS[os_.severity]} → {SEVERITY_LABELS[ns.severity]}", version=label,
                     old=os_.severity, new=ns.severity, place=place("severity"), days=days)
        self.condition(old, new, ov, nv, days)
        if ov.partial != nv.partial:
            self.add("version-partial", "outcomes", rid, "partial",
                     f"版本 {label} " + ("改为部分编码（不再可能判为符合）" if nv.partial
                                         else "不再是部分编码（可判为符合）"),
                     version=label, old=os_.partial, new=ns.partial, place=place("partial"), days=days)
        elif os_.partial != ns.partial:
            self.add("version-partial", "wording", rid, "partial", f"版本 {label} 未编码说明（partial）改写",
                     version=label, old=os_.partial, new=ns.partial, place=place("partial"))
        self.interpretation(new, ov, nv, days)
        if (os_.source.document, os_.source.provision) != (ns.source.document, ns.source.provision):
            self.add("version-source", "outcomes", rid, "source", f"版本 {label} 判定依据："
                     f"{os_.source.document}/{os_.source.provision} → {ns.source.document}/{ns.source.provision}",
                     version=label, old=f"{os_.source.document}/{os_.source.provision}",
                     new=f"{ns.source.document}/{ns.source.provision}", place=place("source"), days=days)
        if (os_.source.source_checked, os_.source.note) != (ns.source.source_checked, ns.source.note):
            self.add("version-source-checked", "wording", rid, "source.source_checked",
                     f"版本 {label} 核对状态：{'已核对' if os_.source.source_checked else '未核对'} → "
                     f"{'已核对' if ns.source.source_checked else '未核对'}", version=label,
                     old=os_.source.source_checked, new=ns.source.source_checked, place=place("source"))
        self.citations(new, ov, nv, days)
        if os_.rectification.deadline != ns.rectification.deadline:
            self.add("version-deadline", "outcomes", rid, "rectification.deadline",
                     f"版本 {label} 整改期限：{os_.rectification.deadline} → {ns.rectification.deadline}",
                     version=label, old=os_.rectification.deadline, new=ns.rectification.deadline,
                     place=place("rectification"), days=days)
        if os_.rectification.hint != ns.rectification.hint:
            self.add("version-hint", "wording", rid, "rectification.hint", f"版本 {label} 整改要求改写",
                     version=label, old=os_.rectification.hint, new=ns.rectification.hint,
                     place=place("rectification"))
        if os_.note != ns.note:
            self.add("version-note", "wording", rid, "note", f"版本 {label} 说明（note）改写", version=label,
                     old=os_.note, new=ns.note, place=place("note"))

    def condition(self, old: LoadedLineage, new: LoadedLineage, ov: LoadedVersion, nv: LoadedVersion,
                  days: set[dt.date]) -> None:
        rid, label = new.spec.id, nv.spec.version
        day = _common_day(ov, nv)

        def base_result(facts: Mapping[str, Any]) -> Hashable:
            return version_result(self.base.book, ov, facts, day)

        def head_result(facts: Mapping[str, Any]) -> Hashable:
            return version_result(self.head.book, nv, facts, day)

        applies = [e for e in (old.applies_to, new.applies_to) if e is not None]
        if ov.sub_conditions and nv.sub_conditions:
            a, b = dict(ov.sub_conditions), dict(nv.sub_conditions)
            for item in [*a, *(k for k in b if k not in a)]:
                x = normalise(a[item]) if item in a else None
                y = normalise(b[item]) if item in b else None
                if x == y:
                    continue
                path = f"when.{item}"
                if x is None or y is None:
                    exprs = [*applies, *(e for e in (a.get(item), b.get(item)) if e is not None)]
                    witness = self.witness(exprs, day, base_result, head_result)
                    what = f"新增情形{item}：{y.text}" if y is not None else f"删除情形{item}（改为未编码）"
                    self.add("version-condition", "outcomes", rid, path, f"版本 {label} {what}", version=label,
                             old=_source_text(ov, item) if x else None, new=_source_text(nv, item) if y else None,
                             place=self._version_place(self.head, new, nv, "when", item), days=days, witness=witness)
                    continue
                witness = self.witness([*applies, a[item], b[item]], day,
                                       functools.partial(_sub_item_result, self.base.book, old, a[item], as_of=day),
                                       functools.partial(_sub_item_result, self.head.book, new, b[item], as_of=day))
                details = [d.describe() for d in differences(x, y)]
                self.add("version-condition", "outcomes", rid, path, f"版本 {label} 情形{item}：" + "；".join(details),
                         version=label, old=_source_text(ov, item), new=_source_text(nv, item), details=details,
                         place=self._version_place(self.head, new, nv, "when", item), days=days, witness=witness)
            return
        x, y = normalise(ov.when), normalise(nv.when)
        if x == y and bool(ov.sub_conditions) == bool(nv.sub_conditions):
            return
        details = [d.describe() for d in differences(x, y)]
        if bool(ov.sub_conditions) != bool(nv.sub_conditions):
            details.insert(0, "按子项编码" if nv.sub_conditions else "不再按子项编码")
        witness = self.witness([*applies, ov.when, nv.when], day, base_result, head_result)
        self.add("version-condition", "outcomes", rid, "when", f"版本 {label} 条件：" + "；".join(details),
                 version=label, old=_source_text(ov), new=_source_text(nv), details=details,
                 place=self._version_place(self.head, new, nv, "when"), days=days, witness=witness)

    def interpretation(self, new: LoadedLineage, ov: LoadedVersion, nv: LoadedVersion, days: set[dt.date]) -> None:
        rid, label = new.spec.id, nv.spec.version
        a, b = ov.spec.interpretation, nv.spec.interpretation
        place = self._version_place(self.head, new, nv, "interpretation")
        status_a = a.status if a else None
        status_b = b.status if b else None
        if status_a != status_b:
            self.add("version-interpretation", "outcomes", rid, "interpretation.status",
                     f"版本 {label} 解释：{status_a or '无'} → {status_b or '无'}", version=label, old=status_a,
                     new=status_b, place=place, days=days)
        x = normalise(ov.undetermined_when) if ov.undetermined_when is not None else None
        y = normalise(nv.undetermined_when) if nv.undetermined_when is not None else None
        if x != y:
            day = _common_day(ov, nv)
            exprs = [e for e in (ov.undetermined_when, nv.undetermined_when, ov.when, nv.when) if e is not None]
            witness = self.witness(exprs, day, lambda f: version_result(self.base.book, ov, f, day),
                                   lambda f: version_result(self.head.book, nv, f, day))
            details = [d.describe() for d in differences(x, y)] if x is not None and y is not None else []
            self.add("version-undetermined-when", "outcomes", rid, "interpretation.undetermined_when",
                     f"版本 {label} 暂不下结论的情形：{x.text if x else '无'} → {y.text if y else '无'}",
                     version=label, old=x.text if x else None, new=y.text if y else None, details=details,
                     place=place, days=days, witness=witness)
        if (a.note if a else None, a.basis if a else None) != (b.note if b else None, b.basis if b else None) \
                and a is not None and b is not None:
            self.add("version-interpretation-note", "wording", rid, "interpretation.note",
                     f"版本 {label} 解释说明改写", version=label, old=a.note, new=b.note, place=place)

    def citations(self, new: LoadedLineage, ov: LoadedVersion, nv: LoadedVersion, days: set[dt.date]) -> None:
        rid, label = new.spec.id, nv.spec.version
        a = {(c.document, c.provision): c for c in ov.spec.citations}
        b = {(c.document, c.provision): c for c in nv.spec.citations}
        place = self._version_place(self.head, new, nv, "citations")
        for key in [*a, *(k for k in b if k not in a)]:
            x, y = a.get(key), b.get(key)
            path = f"citations.{key[0]}/{key[1]}"
            if x is None and y is not None:
                self.add("version-citation", "outcomes", rid, path, f"版本 {label} 增加引用 {key[0]}/{key[1]}"
                         f"（{y.role}{'，建议适用' if y.preferred else ''}）", version=label, new=y.model_dump(),
                         place=place, days=days)
            elif y is None and x is not None:
                self.add("version-citation", "outcomes", rid, path, f"版本 {label} 删除引用 {key[0]}/{key[1]}"
                         f"（{x.role}）", version=label, old=x.model_dump(), place=place, days=days)
            elif x is not None and y is not None and (x.role, x.preferred) != (y.role, y.preferred):
                self.add("version-citation", "outcomes", rid, path, f"版本 {label} 引用 {key[0]}/{key[1]}："
                         f"{x.role}{'（建议适用）' if x.preferred else ''} → {y.role}"
                         f"{'（建议适用）' if y.preferred else ''}", version=label, old=x.model_dump(),
                         new=y.model_dump(), place=place, days=days)
            elif x is not None and y is not None and x.reason != y.reason:
                self.add("version-citation-reason", "wording", rid, path, f"版本 {label} 引用 {key[0]}/{key[1]} "
                         "的适用理由改写", version=label, old=x.reason, new=y.reason, place=place)

    # -- places
    def _place(self, tree: RuleTree, lineage: LoadedLineage, key: str | None = None) -> tuple[str | None, int | None]:
        raw = lineage.raw
        line = raw.key_lines.get(key) if key and isinstance(raw, YamlMapping) else getattr(raw, "line", None)
        return tree.shown(lineage.path), line or (raw.key_lines.get("id") if isinstance(raw, YamlMapping) else None)

    def _version_place(self, tree: RuleTree, lineage: LoadedLineage, version: LoadedVersion,
                       *keys: str) -> tuple[str | None, int | None]:
        line = version.line
        node: Any = None
        try:
            index = [v.version for v in lineage.spec.versions].index(version.spec.version)
            node = lineage.raw["versions"][index]
        except (ValueError, KeyError, IndexError, TypeError):
            node = None
        for key in keys:
            if isinstance(node, YamlMapping) and key in node:
                line = node.key_lines.get(key, line)
                node = node[key]
            else:
                break
        return tree.shown(lineage.path), line

    def _catalog_place(self, kind: str, key: str) -> tuple[str | None, int | None]:
        return self.head.places.get((kind, key)) or self.base.places.get((kind, key)) or (None, None)

    # -- catalogs
    def rulebook(self) -> None:
        a, b = self.base.parts.rulebook, self.head.parts.rulebook
        place = self.head.places.get(("rulebook", ""), (None, None))
        if a.version != b.version:
            self.add("rulebook-version", "wording", "rulebook", "version", f"规则库版本：{a.version} → {b.version}",
                     old=a.version, new=b.version, place=place)
        if a.name != b.name:
            self.add("rulebook-name", "wording", "rulebook", "name", f"规则库名称：{a.name} → {b.name}",
                     old=a.name, new=b.name, place=place)
        for name in [*a.industries, *(k for k in b.industries if k not in a.industries)]:
            x, y = a.industries.get(name), b.industries.get(name)
            if x is None and y is not None:
                self.add("rulebook-industry", "wording", "rulebook", f"industries.{name}", f"新增行业 {name}"
                         f"（{y.title}）", new=y.model_dump(), place=place)
            elif y is None and x is not None:
                self.add("rulebook-industry", "breaking", "rulebook", f"industries.{name}",
                         f"删除行业 {name}（{x.title}）：声明该行业的企业文件不再有效", old=x.model_dump(), place=place)
            elif x is not None and y is not None and x.implies != y.implies:
                self.add("rulebook-industry", "outcomes", "rulebook", f"industries.{name}.implies",
                         f"行业 {name} 包含的行业：{x.implies} → {y.implies}", old=x.implies, new=y.implies,
                         place=place)
            elif x is not None and y is not None and x.title != y.title:
                self.add("rulebook-industry-title", "wording", "rulebook", f"industries.{name}.title",
                         f"行业 {name} 名称：{x.title} → {y.title}", old=x.title, new=y.title, place=place)
        if a.retired_ids != b.retired_ids:
            self.add("rulebook-retired", "wording", "rulebook", "retired_ids", f"停用编号：{a.retired_ids} → "
                     f"{b.retired_ids}", old=a.retired_ids, new=b.retired_ids, place=place)
        ma = [f"{m.document}/{m.provision}" for m in a.major_hazard_measures]
        mb = [f"{m.document}/{m.provision}" for m in b.major_hazard_measures]
        if ma != mb:
            self.add("rulebook-measures", "outcomes", "rulebook", "major_hazard_measures",
                     f"重大事故隐患措施：{ma} → {mb}", old=ma, new=mb, place=place)

    def facts(self) -> None:
        a, b = self.base.parts.facts.specs, self.head.parts.facts.specs
        for fid in [*a, *(k for k in b if k not in a)]:
            x, y = a.get(fid), b.get(fid)
            subject = f"fact:{fid}"
            place = self._catalog_place("fact", fid)
            if x is None and y is not None:
                self.add("fact-added", "wording", subject, "", f"新增事实 {fid}（{y.label}）", new=y.model_dump(),
                         place=place)
                continue
            if y is None and x is not None:
                self.add("fact-removed", "breaking", subject, "", f"删除事实 {fid}（{x.label}）：给出该事实的企业"
                         "文件不再有效", old=x.model_dump(), place=place)
                continue
            assert x is not None and y is not None
            days = self._days_using(fid)
            if (x.type, x.unit, x.fields) != (y.type, y.unit, y.fields) or (x.derive is None) != (y.derive is None):
                self.add("fact-type", "breaking", subject, "type", f"事实 {fid} 的类型、单位或字段改变："
                         f"{_fact_type(x)} → {_fact_type(y)}", old=_fact_type(x), new=_fact_type(y), place=place,
                         days=days)
                continue
            removed = sorted(set(x.values or ()) - set(y.values or ()))
            added = sorted(set(y.values or ()) - set(x.values or ()))
            if removed or added:
                self.add("fact-values", "breaking" if removed else "wording", subject, "values",
                         f"事实 {fid} 的取值：" + "；".join(p for p in (f"删除 {removed}" if removed else "",
                                                               f"增加 {added}" if added else "") if p),
                         old=x.values, new=y.values, place=place, days=days)
            tighter = ((y.minimum is not None and (x.minimum is None or y.minimum > x.minimum))
                       or (y.maximum is not None and (x.maximum is None or y.maximum < x.maximum)))
            if (x.minimum, x.maximum) != (y.minimum, y.maximum):
                self.add("fact-range", "breaking" if tighter else "wording", subject, "range",
                         f"事实 {fid} 的取值范围：[{x.minimum}, {x.maximum}] → [{y.minimum}, {y.maximum}]",
                         old=[x.minimum, x.maximum], new=[y.minimum, y.maximum], place=place, days=days)
            if x.derive is not None and y.derive is not None:
                self.derive(fid, place, days)
            for key, what in (("label", "名称"), ("question", "问题"), ("note", "说明")):
                if getattr(x, key) != getattr(y, key):
                    self.add("fact-wording", "wording", subject, key, f"事实 {fid} 的{what}：{getattr(x, key)} → "
                             f"{getattr(y, key)}", old=getattr(x, key), new=getattr(y, key), place=place)

    def derive(self, fid: str, place: tuple[str | None, int | None], days: set[dt.date]) -> None:
        ex, ey = self.base.book.derived.get(fid), self.head.book.derived.get(fid)
        if ex is None or ey is None:
            return  # a derived fact in a cycle: the loader reported it
        x, y = normalise(ex), normalise(ey)
        if x == y:
            return
        day = max(days) if days else _latest_start(self.head)
        witness = self.witness([ex, ey], day, lambda f: _derived_value(self.base.book, fid, f, day),
                               lambda f: _derived_value(self.head.book, fid, f, day))
        details = [d.describe() for d in differences(x, y)]
        self.add("fact-derive", "outcomes", f"fact:{fid}", "derive", f"派生事实 {fid} 的计算：" + "；".join(details),
                 old=x.text, new=y.text, details=details, place=place, days=days, witness=witness)

    def _days_using(self, fid: str) -> set[dt.date]:
        found: set[dt.date] = set()
        for tree in (self.base, self.head):
            for lineage in tree.parts.lineages.values():
                if any(fid in tree.book.facts_used(v) for v in lineage.versions):
                    found |= _boundaries(lineage)
        return found

    def law(self) -> None:
        a, b = self.base.parts.law.documents, self.head.parts.law.documents
        for doc_id in [*a, *(k for k in b if k not in a)]:
            x, y = a.get(doc_id), b.get(doc_id)
            subject = f"document:{doc_id}"
            place = self._catalog_place("document", doc_id)
            if x is None and y is not None:
                with_parts = any(p.industries for e in y.editions for p in e.parts)
                self.add("document-added", "outcomes" if with_parts else "wording", subject, "",
                         f"新增文件 {doc_id}《{y.title}》" + ("（含检查组适用的判定标准条款，未编码条款清单将变化）"
                                                       if with_parts else ""), new=y.title, place=place,
                         days=[e.effective_from for e in y.editions])
                continue
            if y is None and x is not None:
                self.add("document-removed", "breaking", subject, "", f"删除文件 {doc_id}《{x.title}》", old=x.title,
                         place=place, days=[e.effective_from for e in x.editions])
                continue
            assert x is not None and y is not None
            starts = {e.effective_from for e in (*x.editions, *y.editions)}
            for key, level in (("title", "outcomes"), ("jurisdiction", "outcomes"), ("kind", "outcomes"),
                               ("issuer", "wording"), ("note", "wording")):
                if getattr(x, key) != getattr(y, key):
                    self.add(f"document-{key}", level, subject, key,  # type: ignore[arg-type]
                             f"文件 {doc_id} 的 {key}：{getattr(x, key)} → {getattr(y, key)}",
                             old=getattr(x, key), new=getattr(y, key), place=place, days=starts)
            self.editions(doc_id, x.editions, y.editions, place)
            for pid in [*x.provisions, *(k for k in y.provisions if k not in x.provisions)]:
                self.provision(doc_id, pid, x.provisions.get(pid), y.provisions.get(pid), starts)

    def editions(self, doc_id: str, old: Sequence[Any], new: Sequence[Any],
                 place: tuple[str | None, int | None]) -> None:
        a = {e.id: e for e in old}
        b = {e.id: e for e in new}
        subject = f"document:{doc_id}"
        for eid in [*a, *(k for k in b if k not in a)]:
            x, y = a.get(eid), b.get(eid)
            path = f"editions.{eid}"
            if x is None and y is not None:
                self.add("edition-added", "outcomes", subject, path, f"文件 {doc_id} 新增版本 {y.label}"
                         f"（{y.effective_from} 起施行）", new=y.label, place=place, days=[y.effective_from])
                continue
            if y is None and x is not None:
                self.add("edition-removed", "breaking", subject, path, f"文件 {doc_id} 删除版本 {x.label}", old=x.label,
                         place=place, days=[x.effective_from])
                continue
            assert x is not None and y is not None
            days = {x.effective_from, y.effective_from}
            if (x.effective_from, x.effective_to) != (y.effective_from, y.effective_to):
                self.add("edition-dates", "outcomes", subject, f"{path}.dates", f"文件 {doc_id} 版本 {eid} 施行日期："
                         f"{x.effective_from}–{x.effective_to or ''} → {y.effective_from}–{y.effective_to or ''}",
                         old=[x.effective_from, x.effective_to], new=[y.effective_from, y.effective_to],
                         place=place, days=days | {d + ONE_DAY for d in (x.effective_to, y.effective_to) if d})
            for key in ("label", "title", "kind", "issued", "published"):
                if getattr(x, key) != getattr(y, key):
                    self.add("edition-citation-text", "outcomes", subject, f"{path}.{key}",
                             f"文件 {doc_id} 版本 {eid} 的 {key}：{getattr(x, key)} → {getattr(y, key)}（引用文字或"
                             "发布标记随之改变）", old=getattr(x, key), new=getattr(y, key), place=place, days=days)
            parts_x = [p.model_dump() for p in x.parts]
            parts_y = [p.model_dump() for p in y.parts]
            if parts_x != parts_y:
                self.add("edition-parts", "outcomes", subject, f"{path}.parts", f"文件 {doc_id} 版本 {eid} 的部分划分"
                         "（条款数或适用行业）改变：未编码条款清单随之改变", old=parts_x, new=parts_y, place=place,
                         days=days)
            if [e.model_dump() for e in x.escalations] != [e.model_dump() for e in y.escalations]:
                self.add("edition-escalations", "outcomes", subject, f"{path}.escalations",
                         f"文件 {doc_id} 版本 {eid} 的后续处罚条款改变", old=[e.model_dump() for e in x.escalations],
                         new=[e.model_dump() for e in y.escalations], place=place, days=days)
            if (x.source_checked, x.note, x.instrument) != (y.source_checked, y.note, y.instrument):
                self.add("edition-wording", "wording", subject, f"{path}.note", f"文件 {doc_id} 版本 {eid} 的说明、"
                         "文号或核对状态改变", old=[x.instrument, x.source_checked, x.note],
                         new=[y.instrument, y.source_checked, y.note], place=place)

    def provision(self, doc_id: str, pid: str, x: Any, y: Any, days: set[dt.date]) -> None:
        subject = f"provision:{doc_id}/{pid}"
        place = self._catalog_place("provision", f"{doc_id}/{pid}")
        if x is None:
            is_item = any(w.part for w in y.editions.values())
            self.add("provision-added", "outcomes" if is_item else "wording", subject, "",
                     f"新增条款 {doc_id}/{pid}（{y.summary}）" + ("：判定标准条款，未编码清单随之改变"
                                                             if is_item else ""),
                     new=y.summary, place=place, days=days)
            return
        if y is None:
            self.add("provision-removed", "breaking", subject, "", f"删除条款 {doc_id}/{pid}（{x.summary}）",
                     old=x.summary, place=place, days=days)
            return
        if x.summary != y.summary:
            self.add("provision-summary", "wording", subject, "summary", f"条款 {doc_id}/{pid} 摘要改写",
                     old=x.summary, new=y.summary, place=place)
        for eid in [*x.editions, *(k for k in y.editions if k not in x.editions)]:
            a, b = x.editions.get(eid), y.editions.get(eid)
            path = f"editions.{eid}"
            if a is None or b is None:
                self.add("provision-edition", "outcomes" if b is not None else "breaking", subject, path,
                         f"条款 {doc_id}/{pid} {'新增' if b is not None else '删除'}在版本 {eid} 中的位置",
                         old=a.where() if a else None, new=b.where() if b else None, place=place, days=days)
                continue
            if (a.where(), a.part) != (b.where(), b.part):
                self.add("provision-location", "outcomes", subject, f"{path}.location",
                         f"条款 {doc_id}/{pid} 在版本 {eid} 中的位置：{a.where()} → {b.where()}", old=a.where(),
                         new=b.where(), place=place, days=days)
            if list(a.sub_items) != list(b.sub_items):
                self.add("provision-sub-items", "outcomes", subject, f"{path}.sub_items",
                         f"条款 {doc_id}/{pid} 版本 {eid} 的子项：{list(a.sub_items)} → {list(b.sub_items)}",
                         old=list(a.sub_items), new=list(b.sub_items), place=place, days=days)
            elif [s.text for s in a.sub_items.values()] != [s.text for s in b.sub_items.values()]:
                self.add("provision-sub-item-text", "wording", subject, f"{path}.sub_items.text",
                         f"条款 {doc_id}/{pid} 版本 {eid} 的子项文字改写", place=place)
            sa = a.sanction.model_dump() if a.sanction else None
            sb = b.sanction.model_dump() if b.sanction else None
            if sa != sb:
                self.add("provision-sanction", "outcomes", subject, f"{path}.sanction",
                         f"条款 {doc_id}/{pid} 版本 {eid} 的罚则改变", old=sa, new=sb, place=place, days=days)
            if a.text != b.text:
                self.add("provision-text", "wording", subject, f"{path}.text", f"条款 {doc_id}/{pid} 版本 {eid} "
                         "的条文改写", old=a.text, new=b.text, place=place)
            if (a.source_checked, a.note, a.continues) != (b.source_checked, b.note, b.continues):
                self.add("provision-checked", "wording", subject, f"{path}.source_checked",
                         f"条款 {doc_id}/{pid} 版本 {eid} 的核对状态、说明或沿革改变", old=a.source_checked,
                         new=b.source_checked, place=place)

    def tables(self) -> None:
        a, b = self.base.parts.tables, self.head.parts.tables
        for tid in [*a, *(k for k in b if k not in a)]:
            x, y = a.get(tid), b.get(tid)
            subject = f"table:{tid}"
            place = self._catalog_place("table", tid)
            if x is None and y is not None:
                self.add("table-added", "wording", subject, "", f"新增数据表 {tid}（{y.spec.title}）", new=y.spec.title,
                         place=place)
                continue
            if y is None and x is not None:
                self.add("table-removed", "breaking", subject, "", f"删除数据表 {tid}（{x.spec.title}）",
                         old=x.spec.title, place=place)
                continue
            assert x is not None and y is not None
            ea = {e.id: e for e in x.spec.editions}
            eb = {e.id: e for e in y.spec.editions}
            for eid in [*ea, *(k for k in eb if k not in ea)]:
                p, q = ea.get(eid), eb.get(eid)
                path = f"editions.{eid}"
                if p is None or q is None:
                    self.add("table-edition", "outcomes" if q is not None else "breaking", subject, path,
                             f"数据表 {tid} {'新增' if q is not None else '删除'}版本 {eid}", place=place,
                             days=[e.effective_from for e in (p, q) if e is not None])
                    continue
                if (p.effective_from, p.effective_to) != (q.effective_from, q.effective_to):
                    self.add("table-edition", "outcomes", subject, f"{path}.dates", f"数据表 {tid} 版本 {eid} 施行日期"
                             f"：{p.effective_from} → {q.effective_from}", old=[p.effective_from, p.effective_to],
                             new=[q.effective_from, q.effective_to], place=place,
                             days=[p.effective_from, q.effective_from])
                rows_p = {r.get("key"): r for r in p.rows}
                rows_q = {r.get("key"): r for r in q.rows}
                changed = sorted(str(k) for k in set(rows_p) | set(rows_q) if rows_p.get(k) != rows_q.get(k))
                if changed or p.default != q.default:
                    self.add("table-rows", "outcomes", subject, f"{path}.rows", f"数据表 {tid} 版本 {eid} 的行改变："
                             + "、".join(changed + (["default"] if p.default != q.default else [])),
                             old=[rows_p.get(k) for k in changed], new=[rows_q.get(k) for k in changed],
                             place=place, days=[p.effective_from, q.effective_from])


# ------------------------------------------------------------------ small helpers


def _sub_item_result(book: Rulebook, lineage: LoadedLineage, condition: Expr, facts: Mapping[str, Any],
                     as_of: dt.date) -> Hashable:
    """A sub-item's value where the rule applies: not applicable, True, False or None (unknown)."""
    env = Environment(facts, as_of, book.derived, book.tables)
    if lineage.applies_to is not None:
        applies = explain(lineage.applies_to, env).value
        if applies is False:
            return "not_applicable"
        if applies is None:
            return None
    value: Hashable = explain(condition, env).value
    return value


def _derived_value(book: Rulebook, fid: str, facts: Mapping[str, Any], as_of: dt.date) -> Hashable:
    value = Environment(facts, as_of, book.derived, book.tables).fact_value(fid)
    return value if isinstance(value, Hashable) else repr(value)


def _common_day(old: LoadedVersion, new: LoadedVersion) -> dt.date:
    """A day both versions are in force on (the later start), else the new version's first day."""
    day = max(old.window.start, new.window.start)
    return day if old.window.contains(day) and new.window.contains(day) else new.window.start


def _source_text(v: LoadedVersion, item: str | None = None) -> Any:
    """A condition as its author wrote it (whitespace folded): the 新旧对照表 quotes it."""
    when = v.spec.when
    if item is not None:
        return " ".join(when[item].split()) if isinstance(when, dict) and item in when else None
    if isinstance(when, str):
        return " ".join(when.split())
    return {k: " ".join(c.split()) for k, c in when.items()}


def _window_text(v: LoadedVersion) -> str:
    return f"{v.window.start} 至 {v.window.end or '今'}"


def _window_days(v: LoadedVersion) -> set[dt.date]:
    days = {v.window.start}
    if v.window.end is not None:
        days.add(v.window.end + ONE_DAY)
    return days


def _boundaries(lineage: LoadedLineage) -> set[dt.date]:
    found: set[dt.date] = set()
    for v in lineage.versions:
        found |= _window_days(v)
    return found


def _latest_start(tree: RuleTree) -> dt.date:
    starts = [v.window.start for lin in tree.parts.lineages.values() for v in lin.versions]
    return max(starts) if starts else dt.date(2000, 1, 1)


def _version_summary(v: LoadedVersion) -> dict[str, Any]:
    return {"version": v.spec.version, "effective_from": v.window.start, "effective_to": v.window.end,
            "severity": v.spec.severity, "when": v.spec.when}


def _fact_type(spec: Any) -> str:
    text = str(spec.type) + (f"（{spec.unit}）" if spec.unit else "")
    if spec.fields:
        text += "{" + ", ".join(f"{k}: {f.type}" for k, f in spec.fields.items()) + "}"
    return text + ("，派生" if spec.derive is not None else "")


def _plain(value: Any) -> Any:
    """JSON-friendly copies (pydantic models dumped, dates kept for the model to serialise)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
