"""The law and standard catalog, and citations as they read on a given day.

One file per document under ``rules/law/``. A document has *editions* (each with
its own kind, dates and, for a 判定标准, its *parts* with the number of items each
part has) and *provisions*: a duty, a penalty, a measure or a standard's item, under
a stable id that outlives renumbering. Each provision says where it sits in each
edition (article/paragraph/item numbers, or a literal item label), what it says
there, its sub-items and, for a penalty, its sanction tiers::

    id: work-safety-law
    title: 中华人民共和国安全生产法
    jurisdiction: national
    editions:
      - {id: "2014", label: 2014年修正, kind: law, effective_from: 2014-12-01}
      - {id: "2021", label: 2021年修正, kind: law, effective_from: 2021-09-01}
    provisions:
      penalty-hazard-not-eliminated:
        summary: 未采取措施消除事故隐患
        editions:
          "2014": {article: 99, sanction: {tiers: [...]}}
          "2021": {article: 102, sanction: {tiers: [...]}}

So a rule cites ``work-safety-law / penalty-hazard-not-eliminated`` once, and a
2017 finding prints 《中华人民共和国安全生产法》(2014年修正) 第九十九条 while a
2022 finding prints the 2021 edition's 第一百零二条.

A document's ``jurisdiction`` is ``national`` or a GB/T 2260 region code; a
provincial document (``370000``) is cited only for enterprises in that province,
beside the national provisions and never instead of them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..shared._windows import Window, effective_windows, uncovered
from ._numerals import article_label

DOC_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
PROVISION_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
REGION = re.compile(r"[1-9][0-9]{5}")

Kind = Literal["law", "administrative-regulation", "departmental-rule", "normative-document",
               "national-standard", "industry-standard", "local-regulation", "local-government-rule",
               "judicial-interpretation"]
KIND_LABELS: dict[str, str] = {
    "law": "法律", "administrative-regulation": "行政法规", "departmental-rule": "部门规章",
    "normative-document": "规范性文件", "national-standard": "国家标准", "industry-standard": "行业标准",
    "local-regulation": "地方性法规", "local-government-rule": "地方政府规章",
    "judicial-interpretation": "司法解释",
}

Trigger = Literal["first_instance", "overdue", "refused", "serious", "accident", "repeated"]
TRIGGER_LABELS: dict[str, str] = {
    "first_instance": "发现违法行为（首次）", "overdue": "逾期未改正", "refused": "拒不执行（拒不改正）",
    "serious": "情节严重", "accident": "导致发生生产安全事故", "repeated": "多次受到处罚",
}
Who = Literal["responsible_persons", "principal", "other_managers", "safety_staff"]
WHO_LABELS: dict[str, str] = {
    "responsible_persons": "直接负责的主管人员和其他直接责任人员", "principal": "主要负责人",
    "other_managers": "其他负责人", "safety_staff": "安全生产管理人员",
}


class _Strict(BaseModel):
    # validators are built on first use, not on import: `import safety_rules` stays quick
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class FineRange(_Strict):
    """A fine in yuan, both ends inclusive (以上/以下 include the number)."""

    min: int = Field(default=0, ge=0, le=10**9, description="元")
    max: int = Field(ge=0, le=10**9, description="元")

    @model_validator(mode="after")
    def _ordered(self) -> FineRange:
        if self.min > self.max:
            raise ValueError(f"fine min {self.min} is above max {self.max}")
        return self


class PercentRange(_Strict):
    """A fine as a share of a person's income of the previous year (2014 第九十二条 style)."""

    min: float = Field(ge=0, le=100)
    max: float = Field(ge=0, le=100)


class IndividualFine(_Strict):
    """A fine on a person rather than on the enterprise."""

    who: Who = Field(description="responsible_persons: 直接负责的主管人员和其他直接责任人员; principal: 主要负责人")
    fine_yuan: FineRange | None = None
    percent_of_income: PercentRange | None = Field(default=None, description="上一年年收入的百分比")
    note: str | None = None

    @model_validator(mode="after")
    def _amount(self) -> IndividualFine:
        if self.fine_yuan is None and self.percent_of_income is None:
            raise ValueError("give 'fine_yuan' or 'percent_of_income'")
        return self


class ProvisionRef(_Strict):
    """A provision of this or another document; ``document`` defaults to the one it appears in."""

    provision: str
    document: str | None = None


class Tier(_Strict):
    """One stage of a sanction, with what triggers it."""

    trigger: Trigger = Field(description="first_instance: 发现时; overdue: 逾期未改正; refused: 拒不执行; "
                             "serious: 情节严重; accident: 导致事故; repeated: 多次处罚")
    order: str | None = Field(default=None, description="责令……, e.g. 责令限期改正 / 责令立即消除或者限期消除")
    fine_yuan: FineRange | None = Field(default=None, description="罚款（单位）")
    discretionary: bool = Field(default=False, description="'可以处' rather than '处'")
    individuals: list[IndividualFine] = Field(default_factory=list)
    suspension: bool = Field(default=False, description="责令停产停业整顿 (or 停产停业/停止使用)")
    other: list[str] = Field(default_factory=list, description="other measures as printed, e.g. 没收违法所得")
    related: list[ProvisionRef] = Field(default_factory=list, description="provisions this tier leads to, "
                                        "e.g. 2021 第七十条 停止供电, 刑法 第一百三十四条之一")


class Sanction(_Strict):
    """The penalty a provision sets, tier by tier, as numbers a system can compare and total."""

    summary: str = Field(description="罚则原文（或要点）")
    tiers: list[Tier] = Field(min_length=1)

    @model_validator(mode="after")
    def _tiers(self) -> Sanction:
        triggers = [t.trigger for t in self.tiers]
        for dup in sorted({t for t in triggers if triggers.count(t) > 1}):
            raise ValueError(f"tier {dup!r} is given twice")
        return self

    def tier(self, trigger: Trigger) -> Tier | None:
        return next((t for t in self.tiers if t.trigger == trigger), None)

    @property
    def first_fine(self) -> FineRange | None:
        first = self.tier("first_instance")
        return first.fine_yuan if first else None


class SubItem(_Strict):
    """A numbered sub-item of a standard's item (88号 "1." "2." …)."""

    text: str = Field(min_length=1)
    source_checked: bool = False
    note: str | None = None


class ProvisionEdition(_Strict):
    article: int | None = Field(default=None, ge=1, le=9999)
    paragraph: int | None = Field(default=None, ge=1, le=99)
    item: int | None = Field(default=None, ge=1, le=99)
    label: str | None = Field(default=None, description="literal item label as printed, e.g. 一、（八） or 冶金 3")
    part: str | None = Field(default=None, description="the edition's part this item belongs to (判定标准); "
                             "a whole article of such an edition (工贸 2023 第十四条) belongs to none")
    text: str | None = Field(default=None, description="the provision's wording in this edition")
    sub_items: dict[str, SubItem] = Field(default_factory=dict, description="numbered sub-items, in order")
    sanction: Sanction | None = None
    continues: list[str] = Field(default_factory=list, description="provisions of the previous edition this "
                                 "one continues (for 新旧对照)")
    applies_to: str | None = Field(default=None, description="items only: a condition over the fact catalog for "
                                   "the enterprises the item concerns within its part (部令第10号 第三条（三）: "
                                   "metal_smelting); false: not listed as un-encoded for them; unknown: listed")
    source_checked: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _located(self) -> ProvisionEdition:
        if (self.article is None) == (self.label is None):
            raise ValueError("give either 'article' (with optional paragraph/item) or a literal 'label'")
        if self.article is None and (self.paragraph or self.item):
            raise ValueError("'paragraph'/'item' need an 'article'")
        return self

    def where(self) -> str:
        if self.label is not None:
            return self.label
        assert self.article is not None
        return article_label(self.article, self.paragraph, self.item)

    @property
    def checked(self) -> bool:
        """Wording and number confirmed, sub-items included."""
        return self.source_checked and all(s.source_checked for s in self.sub_items.values())


class Provision(_Strict):
    summary: str
    editions: dict[str, ProvisionEdition]


class Part(_Strict):
    """A part of a 判定标准 edition (地下矿山, 专项类·粉尘, 第四条 冶金企业 …)."""

    id: str
    title: str
    items: int = Field(ge=0, description="how many items the part has in the published text")
    industries: list[str] = Field(default_factory=list, description="rulebook industries whose "
                                  "enterprises this part concerns; empty: no inspection team covers it")
    applies_to: str | None = Field(default=None, description="a condition over the fact catalog for the "
                                   "enterprises the part concerns within those industries (e.g. "
                                   "mine_tailings_pond); false: its items are not listed as un-encoded; "
                                   "unknown: they are")


class Escalation(_Strict):
    """A provision that follows any penalty of the edition (2021 第一百一十二条 按日连续处罚 …)."""

    trigger: Trigger
    provision: str
    note: str | None = None


class Edition(_Strict):
    id: str
    label: str = Field(description="printed after the title, e.g. 2014年修正 or 安监总管一〔2017〕98号")
    title: str | None = Field(default=None, description="the edition's own title, if it differs")
    kind: Kind | None = Field(default=None, description="default: the document's kind")
    instrument: str | None = Field(default=None, description="e.g. 主席令第13号")
    issued: dt.date | None = Field(default=None, description="signed / adopted")
    published: dt.date | None = Field(default=None, description="first public (earliest publication seen)")
    effective_from: dt.date
    effective_to: dt.date | None = None
    parts: list[Part] = Field(default_factory=list)
    escalations: list[Escalation] = Field(default_factory=list)
    source_checked: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _dates(self) -> Edition:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"effective_to {self.effective_to} is before effective_from {self.effective_from}")
        if self.issued and self.published and self.published < self.issued:
            raise ValueError(f"published {self.published} is before issued {self.issued}")
        ids = [p.id for p in self.parts]
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"part {dup!r} is declared twice")
        return self


class LawDocument(_Strict):
    id: str
    title: str
    kind: Kind
    issuer: str
    jurisdiction: str = Field(default="national", description="'national' or a GB/T 2260 region code "
                              "(370000 山东省, 371300 临沂市)")
    editions: list[Edition] = Field(min_length=1)
    provisions: dict[str, Provision] = Field(default_factory=dict)
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> LawDocument:
        if not DOC_ID.fullmatch(self.id):
            raise ValueError(f"document id {self.id!r} must be lower-case letters, digits and '-'")
        if self.jurisdiction != "national" and not REGION.fullmatch(self.jurisdiction):
            raise ValueError(f"jurisdiction {self.jurisdiction!r} must be 'national' or a 6-digit GB/T 2260 code")
        ids = [e.id for e in self.editions]
        if len(set(ids)) != len(ids):
            raise ValueError("edition ids must be distinct")
        starts = [e.effective_from for e in self.editions]
        if starts != sorted(starts):
            raise ValueError("editions must be listed in order of effective_from")
        parts = {e.id: {p.id for p in e.parts} for e in self.editions}
        for pid, prov in self.provisions.items():
            if not PROVISION_ID.fullmatch(pid):
                raise ValueError(f"provision id {pid!r} must be lower-case letters, digits and '-'")
            unknown = set(prov.editions) - set(ids)
            if unknown:
                raise ValueError(f"provision {pid!r} names unknown edition(s) {sorted(unknown)}; "
                                 f"editions are {ids}")
            for eid, where in prov.editions.items():
                if where.part is not None and where.part not in parts[eid]:
                    raise ValueError(f"provision {pid!r} edition {eid!r}: unknown part {where.part!r}; "
                                     f"the edition's parts are {sorted(parts[eid])}")
                # A general article of a 判定标准 (工贸 2023 第十四条) is no part's item: it
                # stays out of the part counts and the not-encoded list, yet rules may cite it.
                is_item = where.label is not None or where.item is not None
                if where.part is None and parts[eid] and is_item:
                    raise ValueError(f"provision {pid!r} edition {eid!r}: give its 'part' (one of "
                                     f"{sorted(parts[eid])})")
        return self

    def windows(self) -> list[tuple[Edition, Window]]:
        spans = [(e.effective_from, e.effective_to) for e in self.editions]
        return list(zip(self.editions, effective_windows(spans), strict=True))

    def edition(self, edition_id: str) -> Edition:
        return next(e for e in self.editions if e.id == edition_id)

    def items(self, edition_id: str, part: str | None = None) -> Iterator[tuple[str, ProvisionEdition]]:
        """The provisions of one edition (optionally one part), in catalog order."""
        for pid, prov in self.provisions.items():
            where = prov.editions.get(edition_id)
            if where is not None and (part is None or where.part == part):
                yield pid, where

    def part_count_problems(self) -> list[str]:
        """Parts whose catalogued items do not add up to the count the part declares."""
        messages = []
        for edition in self.editions:
            counted = Counter(w.part for _pid, w in self.items(edition.id) if w.part is not None)
            for part in edition.parts:
                if counted[part.id] != part.items:
                    messages.append(f"edition {edition.id}, part {part.id} ({part.title}): declares "
                                    f"{part.items} item(s), the catalog lists {counted[part.id]}")
        return messages


def covers(jurisdiction: str, region: str | None) -> bool:
    """Whether a document of ``jurisdiction`` binds an enterprise in ``region`` (GB/T 2260).

    370000 covers 37xxxx, 371300 covers 3713xx; an enterprise without a region is bound
    only by national documents.
    """
    if jurisdiction == "national":
        return True
    if region is None:
        return False
    prefix = jurisdiction
    while prefix.endswith("00"):
        prefix = prefix[:-2]
    return region.startswith(prefix)


class ResolvedCitation(BaseModel):
    """A citation as it reads on a given day."""

    # validators are built on first use, not on import: `import safety_rules` stays quick

    model_config = ConfigDict(frozen=True, defer_build=True)

    document: str
    provision: str
    role: str
    edition: str
    text: str = Field(description="as printed, e.g. 《中华人民共和国安全生产法》(2014年修正) 第九十九条")
    kind: str = Field(description="the edition's kind, e.g. 法律, 部门规章, 规范性文件")
    jurisdiction: str = Field(description="'national' or the GB/T 2260 code of the region it binds")
    summary: str
    wording: str | None = Field(default=None, description="the provision's text in this edition")
    sanction: Sanction | None = None
    escalations: list[ResolvedCitation] = Field(default_factory=list, description="provisions that follow any "
                                                "penalty of this edition (按日连续处罚, 提请关闭 …)")
    preferred: bool = Field(default=False, description="penalties: the one the rule recommends")
    reason: str | None = Field(default=None, description="penalties: why it is preferred")
    unpublished: bool = Field(default=False, description="the day falls after the edition was issued but before "
                              "its earliest known publication")
    source_checked: bool


class LawCatalog:
    """All documents; resolves a (document, provision) to the edition in force on a day."""

    def __init__(self, documents: Mapping[str, LawDocument]) -> None:
        self.documents = dict(documents)
        self._windows = {d.id: d.windows() for d in self.documents.values()}

    def edition_on(self, document: str, day: dt.date) -> Edition | None:
        for edition, window in self._windows[document]:
            if window.contains(day):
                return edition
        return None

    def window_of(self, document: str, edition_id: str) -> Window:
        return next(w for e, w in self._windows[document] if e.id == edition_id)

    def resolve(self, document: str, provision: str, day: dt.date, role: str, *,
                preferred: bool = False, reason: str | None = None) -> ResolvedCitation | None:
        doc = self.documents[document]
        edition = self.edition_on(document, day)
        if edition is None:
            return None
        prov = doc.provisions[provision]
        where = prov.editions.get(edition.id)
        if where is None:
            return None
        title = edition.title or doc.title
        escalations = []
        if role == "penalty" and where.sanction is not None:
            for esc in edition.escalations:
                resolved = self.resolve(document, esc.provision, day, "escalation")
                if resolved is not None:
                    escalations.append(resolved)
        published = edition.published
        return ResolvedCitation(
            document=document, provision=provision, role=role, edition=edition.id,
            text=f"《{title}》({edition.label}) {where.where()}",
            kind=KIND_LABELS[edition.kind or doc.kind], jurisdiction=doc.jurisdiction,
            summary=prov.summary, wording=where.text, sanction=where.sanction, escalations=escalations,
            preferred=preferred, reason=reason,
            unpublished=published is not None and day < published,
            source_checked=where.checked and edition.source_checked,
        )

    def uncovered(self, document: str, provision: str, window: Window) -> list[Window]:
        """Days of ``window`` on which no edition in force contains ``provision``."""
        doc = self.documents[document]
        having = [w for e, w in self._windows[document] if e.id in doc.provisions[provision].editions]
        return uncovered(window, having)

    def editions_during(self, document: str, window: Window) -> list[tuple[Edition, Window]]:
        """Editions of ``document`` in force on some day of ``window``."""
        return [(e, w) for e, w in self._windows[document]
                if (w.end is None or w.end >= window.start) and (window.end is None or w.start <= window.end)]
