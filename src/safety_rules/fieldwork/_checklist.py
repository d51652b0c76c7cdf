"""The inspector's checklist: the rules in force for an industry on a date, as questions.

A checklist is built from the rulebook alone (a blank one) or for a known enterprise (only
what applies to it, what is known filled in). It is grouped the way an inspector walks the
site:

1. applicability (适用性): the facts the rules' ``applies_to`` and the standards' parts read;
2. one area per standard item (the ``source`` of the rule versions in force), with its
   sub-items; the most specific industry first (dust before the 工贸 items every trade owes,
   before the general duties of 安全生产法); within an industry the major-hazard items first,
   national before provincial law, then in the order of the catalog, which is the order of
   the standard's own numbering (the rules do not record where on the site a thing is);
3. for a known enterprise, the facts it has on record that no question here asks (kept so
   that a filled workbook read back loses nothing);
4. the items in force that no rule encodes, 须人工检查, with their wording: silence is never
   compliance.

Each fact is asked once, where it first matters; later areas point back to it. For a known
enterprise the questions still open come first, ranked as :meth:`Rulebook.questions` ranks
them (those deciding major hazards first), and the areas holding them before the others.

The renderers (``_checklist_xlsx``, ``_checklist_html``, ``_checklist_text``) only lay out
what is built here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..engine._enterprise import Enterprise
from ..engine._expressions import Aggregate, Call, Compare, Const, Expr, FactRef
from ..engine._expressions import Field as FieldRef
from ..engine._facts import FieldSpec
from ..engine._loader import LoadedVersion
from ..engine._rulebook import Rulebook
from ..law._catalog import covers
from ..shared._errors import InputError, NotFoundError, did_you_mean

SEVERITY_LABELS = {"major_hazard": "重大事故隐患", "violation": "违法行为"}
ROLE_LABELS = {"defines": "条款", "duty": "义务", "penalty": "罚则", "measure": "措施", "basis": "依据"}
# units as an inspector writes them; a plain count ("1") has none
UNIT_LABELS = {"person": "人", "month": "个月", "day": "天", "1": ""}
MANUAL = "须人工检查"
_SYMBOLS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠", "in": "∈", "not in": "∉"}
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_BOUNDARY = {"<=": "含本数", ">=": "含本数", "<": "不含本数", ">": "不含本数"}


def unit_label(unit: str | None) -> str:
    return UNIT_LABELS.get(unit or "1", unit or "")


@dataclass(frozen=True)
class ChecklistField:
    """One field of a record-valued question: a column of its table."""

    id: str
    label: str
    type: str
    unit: str | None
    values: tuple[str, ...]
    minimum: float | None
    maximum: float | None
    thresholds: tuple[str, ...]


@dataclass(frozen=True)
class ChecklistQuestion:
    """A fact the inspector establishes: the question, its thresholds, and the answer if known."""

    number: str
    fact: str
    label: str
    question: str
    type: str  # bool | number | enum | string | date | records
    unit: str | None
    values: tuple[str, ...]
    minimum: float | None
    maximum: float | None
    thresholds: tuple[str, ...]  # "≥ 200 m（含本数）": where a condition compares the fact with a constant
    fields: tuple[ChecklistField, ...]  # records: one per column
    major_hazard: bool  # read by a rule version that classifies a major hazard
    known: bool
    value: Any  # the recorded value when known, else None
    open_rank: int | None  # known enterprise: place among the open questions (Rulebook.questions)


@dataclass(frozen=True)
class ChecklistReference:
    """A fact asked earlier in the checklist that this item also reads."""

    fact: str
    label: str
    number: str


Entry = ChecklistQuestion | ChecklistReference


@dataclass(frozen=True)
class ChecklistSubItem:
    """A numbered sub-item of a standard item; one no rule encodes is checked by hand."""

    label: str
    text: str
    entries: tuple[Entry, ...]
    encoded: bool


@dataclass(frozen=True)
class ChecklistRule:
    rule_id: str
    version: str
    title: str
    severity: str


@dataclass(frozen=True)
class ChecklistCitation:
    role: str
    text: str
    source_checked: bool

    @property
    def shown(self) -> str:
        return f"{ROLE_LABELS.get(self.role, self.role)}：{self.text}" + ("" if self.source_checked else "（未核对）")


@dataclass(frozen=True)
class ChecklistArea:
    """One standard item: what it says, the rules encoding it, and the questions it needs."""

    number: str
    industry: str
    title: str  # the item as printed on the day, e.g. 《…》(应急管理部令第10号) 第十一条（一）
    summary: str
    wording: str | None
    rules: tuple[ChecklistRule, ...]
    citations: tuple[ChecklistCitation, ...]
    entries: tuple[Entry, ...]  # questions not tied to one sub-item
    sub_items: tuple[ChecklistSubItem, ...]
    manual: tuple[str, ...]  # what the rules leave out of the item (partial versions)

    @property
    def major_hazard(self) -> bool:
        return any(r.severity == "major_hazard" for r in self.rules)

    def all_entries(self) -> Iterator[Entry]:
        yield from self.entries
        for sub in self.sub_items:
            yield from sub.entries


@dataclass(frozen=True)
class ManualCheck:
    """An item in force that no rule encodes: the inspector checks it by hand."""

    number: str
    label: str
    part: str
    summary: str
    wording: str
    source_checked: bool


@dataclass(frozen=True)
class ChecklistHeader:
    """Who is inspected: what an enterprise file's header holds (blank for a blank checklist)."""

    id: str | None
    name: str | None
    county: str | None
    region: str | None
    industries: tuple[str, ...]
    inspected_on: dt.date


@dataclass(frozen=True)
class Checklist:
    rulebook: str
    rulebook_version: str
    as_of: dt.date
    industries: tuple[str, ...]  # as asked
    assessed: tuple[str, ...]  # with every industry they imply
    titles: Mapping[str, str]  # industry -> its title
    enterprise: ChecklistHeader
    known_enterprise: bool
    applicability: tuple[ChecklistQuestion, ...]
    areas: tuple[ChecklistArea, ...]
    recorded: tuple[ChecklistQuestion, ...]  # known facts no question above asks
    manual: tuple[ManualCheck, ...]
    notes: tuple[str, ...]

    APPLICABILITY = "适用性（先确定哪些规则适用）"
    RECORDED = "已记录的其他事实（本表其他问题不涉及）"
    MANUAL_TITLE = f"{MANUAL}（在用标准中规则库尚未编码的条款）"

    @property
    def applicability_number(self) -> str:
        return "1"

    @property
    def recorded_number(self) -> str:
        return str(len(self.areas) + 2)

    @property
    def manual_number(self) -> str:
        return str(len(self.areas) + 2 + bool(self.recorded))

    @property
    def title(self) -> str:
        shown = "、".join(self.titles[i] for i in self.industries)
        who = f"{self.enterprise.name or self.enterprise.id}：" if self.known_enterprise else ""
        return f"{who}安全生产执法检查表（{shown}）"

    @property
    def intro(self) -> str:
        return (f"检查日期 {self.as_of.isoformat()}；适用行业 {'、'.join(self.titles[i] for i in self.assessed)}；"
                f"{self.rulebook} {self.rulebook_version}。★ 该事实决定重大事故隐患判定。查不清的留空："
                "未知不等于合格。")

    def questions(self) -> Iterator[ChecklistQuestion]:
        """Every question, once, in checklist order."""
        yield from self.applicability
        for area in self.areas:
            for entry in area.all_entries():
                if isinstance(entry, ChecklistQuestion):
                    yield entry
        yield from self.recorded


def build_checklist(book: Rulebook, as_of: dt.date, industries: Iterable[str] = (), *,
                    enterprise: Enterprise | None = None, region: str | None = None) -> Checklist:
    """The checklist of the rules in force on ``as_of`` for ``industries`` and those they imply.

    With an ``enterprise``: only the rules that apply to it (not applicable ones left out),
    what it has on record filled in, open questions first; ``industries`` then defaults to
    the enterprise's and ``region`` is its own. Without one, ``region`` (GB/T 2260) decides
    whether provincial provisions are included, as it does for an enterprise.
    """
    asked = tuple(dict.fromkeys(industries))
    if enterprise is not None:
        book.check_facts(enterprise.facts, source=enterprise.id)
        if asked and asked != enterprise.industries:
            enterprise = dataclasses.replace(enterprise, industries=asked)
        asked = enterprise.industries
        region = enterprise.region
    if not asked:
        raise InputError("a checklist needs an industry: name one (--industry), or an enterprise that names its own")
    for industry in asked:
        if industry not in book.industries:
            raise NotFoundError(f"unknown industry {industry!r}; the rulebook has {sorted(book.industries)}",
                                suggestion=did_you_mean(industry, book.industries))
    return _Builder(book, as_of, asked, enterprise, region).build()


class _Builder:
    def __init__(self, book: Rulebook, as_of: dt.date, industries: tuple[str, ...],
                 enterprise: Enterprise | None, region: str | None) -> None:
        self.book, self.as_of, self.industries = book, as_of, industries
        self.enterprise, self.region = enterprise, region
        self.assessed = book.expand_industries(industries)
        self.assessment = book.assess(enterprise, as_of) if enterprise is not None else None
        self.known: Mapping[str, Any] = enterprise.facts if enterprise is not None else {}
        self.asked: dict[str, str] = {}  # fact -> number of the question asking it
        self.open_rank: dict[str, int] = {}
        self.notes: list[str] = []
        if enterprise is not None:
            questions = book.questions(enterprise, as_of)
            # an undeclared industry whose facts are stated is a question about the enterprise, not a fact
            self.notes = [q.question for q in questions if q.fact == "industries"]
            for q in questions:
                if q.fact != "industries":
                    self.open_rank[q.fact] = len(self.open_rank)

    # ------------------------------------------------------------------ rules
    def versions(self) -> list[LoadedVersion]:
        """The versions in force for these industries (in this region), minus those not
        applicable to the enterprise, in the order an inspector walks the site."""
        book = self.book
        left_out = set(self.assessment.not_applicable) if self.assessment is not None else set()
        # the more industries one implies, the more specific it is: dust (3) before trade (2) before general
        specific = {i: len(book.expand_industries([i])) for i in self.assessed}
        documents = {d: i for i, d in enumerate(book.law.documents)}
        found = []
        for rule_id in book.rule_ids:
            lineage = book.lineage(rule_id)
            version = book.version_on(rule_id, self.as_of)
            if version is None or lineage.spec.industry not in self.assessed or rule_id in left_out:
                continue
            source = version.spec.source
            doc = book.law.documents[source.document]
            if not covers(doc.jurisdiction, self.region):
                continue  # provincial law binds only inside its province
            order = list(doc.provisions).index(source.provision)
            found.append(((-specific[lineage.spec.industry], version.spec.severity != "major_hazard",
                           doc.jurisdiction != "national", documents[source.document], order, rule_id), version))
        return [v for _key, v in sorted(found, key=lambda kv: kv[0])]

    def observed(self, expr: Expr | None) -> list[str]:
        """The observed facts ``expr`` reads, derived facts expanded, in order of appearance."""
        out: list[str] = []

        def visit(e: Expr) -> None:
            for node in e.walk():
                if isinstance(node, FactRef):
                    derived = self.book.derived.get(node.id)
                    if derived is not None:
                        visit(derived)
                    elif node.id not in out:
                        out.append(node.id)

        if expr is not None:
            visit(expr)
        return out

    def part_conditions(self) -> list[Expr]:
        """Conditions narrowing the parts (or single items) of the standards in force that concern
        these industries: they decide which un-encoded items are listed, so they are applicability
        questions too."""
        found = []
        for (document, edition, part_id), condition in self.book.part_conditions.items():
            in_force = self.book.law.edition_on(document, self.as_of)
            if in_force is None or in_force.id != edition:
                continue
            if part_id.startswith("#"):  # one item's condition: it belongs to the item's part
                where = self.book.law.documents[document].provisions[part_id[1:]].editions[edition]
                part_id = where.part or ""
            industries = next((p.industries for p in in_force.parts if p.id == part_id), [])
            if set(industries) & set(self.assessed):
                found.append(condition)
        return found

    # -------------------------------------------------------------- questions
    def question(self, fact: str, number: str, thresholds: Mapping[tuple[str, str | None], list[str]],
                 major: set[str]) -> ChecklistQuestion:
        spec = self.book.facts.specs[fact]
        fields = tuple(_field(name, f, thresholds.get((fact, name), [])) for name, f in (spec.fields or {}).items())
        return ChecklistQuestion(
            number=number, fact=fact, label=spec.label, question=spec.question or spec.label, type=spec.type,
            unit=spec.unit, values=tuple(spec.values or ()), minimum=spec.minimum, maximum=spec.maximum,
            thresholds=tuple(thresholds.get((fact, None), [])), fields=fields, major_hazard=fact in major,
            known=fact in self.known, value=self.known.get(fact), open_rank=self.open_rank.get(fact))

    def ordered(self, facts: Iterable[str]) -> list[str]:
        """Facts in checklist order: for a known enterprise, open ones first, by rank."""
        facts = list(dict.fromkeys(facts))
        if self.enterprise is None:
            return facts
        return sorted(facts, key=lambda f: (f in self.known, self.open_rank.get(f, len(self.open_rank)),
                                            facts.index(f)))

    def entries(self, facts: Iterable[str], group: str, counter: list[int],
                thresholds: Mapping[tuple[str, str | None], list[str]], major: set[str]) -> tuple[Entry, ...]:
        out: list[Entry] = []
        for fact in self.ordered(facts):
            if fact in self.asked:
                out.append(ChecklistReference(fact, self.book.facts.label(fact), self.asked[fact]))
                continue
            counter[0] += 1
            number = f"{group}.{counter[0]}"
            self.asked[fact] = number
            out.append(self.question(fact, number, thresholds, major))
        return tuple(out)

    # ------------------------------------------------------------------ build
    def build(self) -> Checklist:
        book, as_of = self.book, self.as_of
        versions = self.versions()
        applies = [book.lineage(v.lineage_id).applies_to for v in versions]
        conditions = [*applies, *self.part_conditions()]
        exprs: list[Expr | None] = [*conditions, *(e for v in versions for e in (v.when, v.undetermined_when))]
        thresholds = self.thresholds(exprs)
        major = {f for v in versions if v.spec.severity == "major_hazard"
                 for e in (book.lineage(v.lineage_id).applies_to, v.when, v.undetermined_when)
                 for f in self.observed(e)}

        applicability = [f for e in conditions for f in self.observed(e)]
        counter = [0]
        first = self.entries(applicability, "1", counter, thresholds, major)  # nothing is asked before

        items: dict[tuple[str, str], list[LoadedVersion]] = {}
        for v in versions:
            items.setdefault((v.spec.source.document, v.spec.source.provision), []).append(v)
        groups = list(items.values())
        if self.enterprise is not None:
            # the areas holding the open questions that decide the most first; the rest in site order
            def first_open(vs: list[LoadedVersion]) -> int:
                facts = [f for v in vs for e in (v.when, v.undetermined_when) for f in self.observed(e)]
                return min((self.open_rank[f] for f in facts if f in self.open_rank), default=len(self.open_rank))
            groups.sort(key=first_open)
        areas = [self.area(vs, str(i + 2), thresholds, major) for i, vs in enumerate(groups)]

        recorded: list[ChecklistQuestion] = []
        unasked = [f for f in book.facts.specs if f in self.known and f not in self.asked]
        if unasked:
            number = str(len(areas) + 2)
            recorded = [self.question(f, f"{number}.{i + 1}", thresholds, major) for i, f in enumerate(unasked)]
        manual_number = str(len(areas) + 2 + bool(recorded))
        not_encoded = (self.assessment.not_encoded if self.assessment is not None
                       else book.not_encoded(as_of, self.assessed))
        manual = [self.manual(item.document, item.edition, item.provision, item.label, item.part,
                              item.summary, item.source_checked, f"{manual_number}.{i + 1}")
                  for i, item in enumerate(not_encoded)]

        e = self.enterprise
        header = ChecklistHeader(
            id=e.id if e else None, name=e.name if e else None, county=e.county if e else None,
            region=self.region, industries=self.industries,
            inspected_on=as_of)
        return Checklist(
            rulebook=book.name, rulebook_version=book.version, as_of=as_of, industries=self.industries,
            assessed=self.assessed, titles=dict(book.industries), enterprise=header,
            known_enterprise=e is not None, applicability=tuple(q for q in first if isinstance(q, ChecklistQuestion)),
            areas=tuple(areas), recorded=tuple(recorded), manual=tuple(manual), notes=tuple(self.notes))

    def area(self, versions: list[LoadedVersion], number: str,
             thresholds: Mapping[tuple[str, str | None], list[str]], major: set[str]) -> ChecklistArea:
        book, as_of = self.book, self.as_of
        first = versions[0]
        source = first.spec.source
        doc = book.law.documents[source.document]
        edition = book.law.edition_on(doc.id, as_of)
        where = doc.provisions[source.provision].editions.get(edition.id) if edition else None
        citations: dict[tuple[str, str], ChecklistCitation] = {}
        for v in versions:
            for c in book.citations(v, as_of, self.region):
                citations.setdefault((c.role, c.text), ChecklistCitation(c.role, c.text, c.source_checked))
        title = next((c.text for c in citations.values() if c.role == "defines"), doc.title)

        # the sub-items of the item as catalogued, each with the facts of the conditions encoding it
        sub_facts: dict[str, list[str]] = {label: [] for label in (where.sub_items if where else {})}
        encoded: set[str] = set()
        item_facts: list[str] = []
        manual: list[str] = []
        for v in versions:
            if v.sub_conditions:
                for label, condition in v.sub_conditions:
                    encoded.add(label)
                    sub_facts.setdefault(label, []).extend(self.observed(condition))
            else:
                item_facts += self.observed(v.when)
            item_facts += self.observed(v.undetermined_when)
            if v.spec.partial:
                manual.append(v.spec.partial)
        counter = [0]
        entries = self.entries(item_facts, number, counter, thresholds, major)
        sub_items = tuple(
            ChecklistSubItem(label, where.sub_items[label].text if where and label in where.sub_items else "",
                             self.entries(facts, number, counter, thresholds, major), label in encoded)
            for label, facts in sub_facts.items())
        rules = tuple(ChecklistRule(v.lineage_id, v.spec.version, book.lineage(v.lineage_id).spec.title,
                                    v.spec.severity) for v in versions)
        return ChecklistArea(
            number=number, industry=book.lineage(first.lineage_id).spec.industry, title=title,
            summary=doc.provisions[source.provision].summary, wording=where.text if where else None,
            rules=rules, citations=tuple(citations.values()), entries=entries, sub_items=sub_items,
            manual=tuple(dict.fromkeys(manual)))

    def manual(self, document: str, edition: str, provision: str, label: str, part: str, summary: str,
               checked: bool, number: str) -> ManualCheck:
        where = self.book.law.documents[document].provisions[provision].editions[edition]
        lines = [where.text or summary, *(f"{k} {s.text}" for k, s in where.sub_items.items())]
        return ManualCheck(number, label, part, summary, "\n".join(lines), checked)

    # ------------------------------------------------------------- thresholds
    def thresholds(self, exprs: Iterable[Expr | None]) -> dict[tuple[str, str | None], list[str]]:
        """(fact, record field or None) → the comparisons with a constant that read it, as
        an inspector reads them, derived facts followed down to what is observed."""
        found: dict[tuple[str, str | None], list[str]] = {}
        seen: set[str] = set()

        def visit(e: Expr) -> None:
            for node in e.walk():
                if isinstance(node, FactRef) and node.id in self.book.derived and node.id not in seen:
                    seen.add(node.id)
                    visit(self.book.derived[node.id])
                elif isinstance(node, Compare):
                    shown = threshold(node, self.book.derived)
                    if shown is not None and shown[1] not in found.setdefault(shown[0], []):
                        found[shown[0]].append(shown[1])

        for expr in exprs:
            if expr is not None:
                visit(expr)
        return found

def threshold(node: Compare, derived: Collection[str] = ()) -> tuple[tuple[str, str | None], str] | None:
    """A comparison of an observed fact, a record field or a count with a constant, as an inspector
    reads it: ((fact, field or None), "≥ 200 m（含本数）"); ``None`` for any other comparison."""
    left, op, right = node.left, node.op, node.right
    if isinstance(left, Const) and op in _FLIPPED:
        left, right, op = right, left, _FLIPPED[op]  # type: ignore[assignment]
    if not isinstance(right, Const) or right.type.kind not in ("number", "list"):
        return None
    if right.type.kind == "list" and left.type.kind != "number":
        return None  # an enum's values are the answer's choices already
    prefix, unit = "", left.type.unit
    key: tuple[str, str | None]
    if isinstance(left, FactRef) and left.id not in derived:
        key = (left.id, None)
    elif isinstance(left, FieldRef):
        key = (left.source, left.name)
    elif isinstance(left, Call) and left.func == "len" and isinstance(left.args[0], FactRef):
        key, prefix, unit = (left.args[0].id, None), "数量 ", None
    elif isinstance(left, Aggregate) and left.func == "count":
        key, prefix, unit = (left.source.id, None), "符合条件的数量 ", None
    else:
        return None
    values = right.value if isinstance(right.value, tuple) else (right.value,)
    shown = ", ".join(_number(v) for v in values)
    if right.type.kind == "list":
        shown = "{" + shown + "}"
    text = f"{prefix}{_SYMBOLS[op]} {shown}"
    if unit_label(unit):
        text += f" {unit_label(unit)}"
    if op in _BOUNDARY:
        text += f"（{_BOUNDARY[op]}）"
    return key, text


def _field(name: str, spec: FieldSpec, thresholds: list[str]) -> ChecklistField:
    return ChecklistField(id=name, label=spec.label, type=spec.type, unit=spec.unit, values=tuple(spec.values or ()),
                          minimum=spec.minimum, maximum=spec.maximum, thresholds=tuple(thresholds))


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def answer_text(value: Any, kind: str) -> str:
    """A known value as the inspector reads it: 是/否 for true/false."""
    if value is None:
        return ""
    if kind == "bool":
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return _number(value)
    return str(value)


def field_hint(f: ChecklistField | ChecklistQuestion) -> str:
    """What an answer must be: the unit, the allowed values, the range."""
    if f.type == "bool":
        return "是/否"
    if f.type == "enum":
        return "/".join(f.values)
    if f.type == "date":
        return "日期 YYYY-MM-DD"
    if f.type == "number":
        bounds = []
        if f.minimum is not None:
            bounds.append(f"≥ {_number(f.minimum)}")
        if f.maximum is not None:
            bounds.append(f"≤ {_number(f.maximum)}")
        return " ".join(x for x in (unit_label(f.unit) or "数值", *bounds) if x)
    if f.type == "records":
        return "逐项列出"
    return "文字"
