"""The law and standard catalog, and citations as they read on a given day.

One file per document under ``rules/law/``. A document has editions with
effective windows, and *provisions*: a duty, a penalty or a standard's item,
under a stable id that outlives renumbering. Each provision says where it sits in
each edition (article/paragraph/item numbers, or a literal item label)::

    id: work-safety-law
    title: 中华人民共和国安全生产法
    editions:
      - {id: "2014", label: 2014年修正, effective_from: 2014-12-01}
      - {id: "2021", label: 2021年修正, effective_from: 2021-09-01}
    provisions:
      penalty-hazard-not-eliminated:
        summary: 未采取措施消除事故隐患
        editions:
          "2014": {article: 99, sanction: {...}}
          "2021": {article: 102, sanction: {...}}

So a rule cites ``work-safety-law / penalty-hazard-not-eliminated`` once, and a
2017 finding prints 《中华人民共和国安全生产法》(2014年修正) 第九十九条 while a
2022 finding prints the 2021 edition's 第一百零二条.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..shared._windows import Window, effective_windows, uncovered
from ._numerals import article_label

DOC_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FineRange(_Strict):
    min: int = Field(default=0, ge=0, description="元")
    max: int = Field(ge=0, description="元")

    @model_validator(mode="after")
    def _ordered(self) -> FineRange:
        if self.min > self.max:
            raise ValueError(f"fine min {self.min} is above max {self.max}")
        return self


class Sanction(_Strict):
    """The penalty a provision sets, as numbers a system can compare and total."""

    summary: str = Field(description="罚则原文要点")
    fine_yuan: FineRange | None = Field(default=None, description="单位罚款（首次）")
    discretionary: bool = Field(default=False, description="'可以处' rather than '处'")
    overdue_fine_yuan: FineRange | None = Field(default=None, description="逾期未改正/拒不执行时的单位罚款")
    individual_fine_yuan: FineRange | None = Field(default=None, description="对直接负责的主管人员和其他直接责任人员")
    suspension: bool = Field(default=False, description="可责令停产停业整顿")


class ProvisionEdition(_Strict):
    article: int | None = Field(default=None, ge=1)
    paragraph: int | None = Field(default=None, ge=1)
    item: int | None = Field(default=None, ge=1)
    label: str | None = Field(default=None, description="literal item label, e.g. 一、（八） or 第十一条（七）")
    text: str | None = Field(default=None, description="the provision's wording in this edition (excerpt)")
    sanction: Sanction | None = None
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


class Provision(_Strict):
    summary: str
    editions: dict[str, ProvisionEdition]


class Edition(_Strict):
    id: str
    label: str = Field(description="printed after the title, e.g. 2014年修正 or 安监总管一〔2017〕98号")
    title: str | None = Field(default=None, description="the edition's own title, if it differs")
    instrument: str | None = Field(default=None, description="e.g. 主席令第13号")
    issued: dt.date | None = None
    effective_from: dt.date
    effective_to: dt.date | None = None
    source_checked: bool = False
    note: str | None = None


class LawDocument(_Strict):
    id: str
    title: str
    kind: Literal["law", "administrative-regulation", "departmental-rule", "normative-document",
                  "national-standard", "local-regulation"]
    issuer: str
    editions: list[Edition] = Field(min_length=1)
    provisions: dict[str, Provision] = Field(default_factory=dict)
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> LawDocument:
        if not DOC_ID.match(self.id):
            raise ValueError(f"document id {self.id!r} must be lower-case letters, digits and '-'")
        ids = [e.id for e in self.editions]
        if len(set(ids)) != len(ids):
            raise ValueError("edition ids must be distinct")
        starts = [e.effective_from for e in self.editions]
        if starts != sorted(starts):
            raise ValueError("editions must be listed in order of effective_from")
        for pid, prov in self.provisions.items():
            unknown = set(prov.editions) - set(ids)
            if unknown:
                raise ValueError(f"provision {pid!r} names unknown edition(s) {sorted(unknown)}; "
                                 f"editions are {ids}")
        return self

    def windows(self) -> list[tuple[Edition, Window]]:
        spans = [(e.effective_from, e.effective_to) for e in self.editions]
        return list(zip(self.editions, effective_windows(spans), strict=True))


class ResolvedCitation(BaseModel):
    """A citation as it reads on a given day."""

    model_config = ConfigDict(frozen=True)

    document: str
    provision: str
    role: str
    edition: str
    text: str = Field(description="as printed, e.g. 《中华人民共和国安全生产法》(2014年修正) 第九十九条")
    summary: str
    sanction: Sanction | None = None
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

    def resolve(self, document: str, provision: str, day: dt.date, role: str) -> ResolvedCitation | None:
        doc = self.documents[document]
        edition = self.edition_on(document, day)
        if edition is None:
            return None
        where = doc.provisions[provision].editions.get(edition.id)
        if where is None:
            return None
        prov = doc.provisions[provision]
        title = edition.title or doc.title
        return ResolvedCitation(
            document=document, provision=provision, role=role, edition=edition.id,
            text=f"《{title}》({edition.label}) {where.where()}",
            summary=prov.summary, sanction=where.sanction,
            source_checked=where.source_checked and edition.source_checked,
        )

    def uncovered(self, document: str, provision: str, window: Window) -> list[Window]:
        """Days of ``window`` on which no edition in force contains ``provision``."""
        doc = self.documents[document]
        having = [w for e, w in self._windows[document] if e.id in doc.provisions[provision].editions]
        return uncovered(window, having)
