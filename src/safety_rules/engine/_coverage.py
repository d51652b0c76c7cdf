"""How much of each standard the rulebook encodes: per document edition and part.

An item is *encoded* when complete rule versions (not partial) citing it as their
source cover every day the edition is in force (or the day asked about); *partly
encoded* when some version covers it only in part or only for some days; otherwise
it is *not encoded*. *Unchecked* counts items whose wording or number (or a
sub-item's) is marked ``source_checked: false`` in the catalog. The parts that an
inspection team covers (those naming rulebook industries) are the *scope*: the
figure the standards team watches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from ..law._catalog import LawCatalog
from ..shared._windows import Window, uncovered
from ._loader import LoadedLineage


class _Result(BaseModel):
    # validators are built on first use, not on import: `import safety_rules` stays quick
    model_config = ConfigDict(frozen=True, defer_build=True)


class PartCoverage(_Result):
    """One part of one edition of a standard (e.g. 88号 地下矿山)."""

    document: str
    title: str = Field(description="the edition's title as printed in citations")
    edition: str
    edition_label: str
    edition_checked: bool = Field(description="the edition's number and dates were read in a source")
    effective_from: dt.date
    effective_to: dt.date | None
    part: str
    part_title: str
    industries: list[str] = Field(description="industries whose enterprises the part concerns; empty: "
                                  "no inspection team covers it")
    items: int = Field(description="items the part has in the published text")
    catalogued: int = Field(description="items the catalog lists for the part")
    encoded: int
    partly_encoded: int
    not_encoded: int
    unchecked: int = Field(description="items whose wording or number is not confirmed (source_checked: false)")
    partly: list[str] = Field(description="labels of partly encoded items")
    uncovered: list[str] = Field(description="labels of items no rule encodes")
    unchecked_items: list[str] = Field(description="labels of unconfirmed items")

    @property
    def complete(self) -> bool:
        return self.catalogued == self.items and self.encoded == self.items


class Totals(_Result):
    items: int
    encoded: int
    partly_encoded: int
    not_encoded: int
    unchecked: int


class CoverageReport(_Result):
    rulebook_version: str
    as_of: dt.date | None = Field(description="null: each edition over its whole time in force")
    parts: list[PartCoverage]
    scope: Totals = Field(description="the parts an inspection team covers")
    all: Totals = Field(description="every part of every catalogued standard")

    def part(self, document: str, edition: str, part: str) -> PartCoverage:
        for p in self.parts:
            if (p.document, p.edition, p.part) == (document, edition, part):
                return p
        raise KeyError((document, edition, part))


def _totals(parts: Iterable[PartCoverage]) -> Totals:
    parts = list(parts)
    return Totals(items=sum(p.items for p in parts), encoded=sum(p.encoded for p in parts),
                  partly_encoded=sum(p.partly_encoded for p in parts),
                  not_encoded=sum(p.not_encoded for p in parts), unchecked=sum(p.unchecked for p in parts))


def coverage(law: LawCatalog, lineages: Mapping[str, LoadedLineage], rulebook_version: str,
             as_of: dt.date | None = None) -> CoverageReport:
    by_source: dict[tuple[str, str], list[tuple[Window, bool]]] = {}
    for lineage in lineages.values():
        for v in lineage.versions:
            key = (v.spec.source.document, v.spec.source.provision)
            by_source.setdefault(key, []).append((v.window, v.partial))
    parts: list[PartCoverage] = []
    for doc in law.documents.values():
        for edition, in_force in doc.windows():
            if not edition.parts:
                continue
            window = in_force
            if as_of is not None:
                if not in_force.contains(as_of):
                    continue
                window = Window(as_of, as_of)
            for part in edition.parts:
                encoded: list[str] = []
                partly: list[str] = []
                missing: list[str] = []
                unchecked: list[str] = []
                for pid, where in doc.items(edition.id, part.id):
                    label = where.where()
                    if not where.checked:
                        unchecked.append(label)
                    versions = by_source.get((doc.id, pid), [])
                    during = [(w, p) for w, p in versions if _overlaps(w, window)]
                    complete = [w for w, p in during if not p]
                    if complete and not uncovered(window, complete):
                        encoded.append(label)
                    elif during:
                        partly.append(label)
                    else:
                        missing.append(label)
                parts.append(PartCoverage(
                    document=doc.id, title=edition.title or doc.title, edition=edition.id,
                    edition_label=edition.label, edition_checked=edition.source_checked,
                    effective_from=in_force.start, effective_to=in_force.end,
                    part=part.id, part_title=part.title, industries=list(part.industries), items=part.items,
                    catalogued=len(encoded) + len(partly) + len(missing), encoded=len(encoded),
                    partly_encoded=len(partly), not_encoded=part.items - len(encoded) - len(partly),
                    unchecked=len(unchecked), partly=partly, uncovered=missing, unchecked_items=unchecked))
    return CoverageReport(rulebook_version=rulebook_version, as_of=as_of, parts=parts,
                          scope=_totals(p for p in parts if p.industries), all=_totals(parts))


def _overlaps(a: Window, b: Window) -> bool:
    return (a.end is None or a.end >= b.start) and (b.end is None or b.end >= a.start)


def coverage_rows(report: CoverageReport) -> Sequence[tuple[str, ...]]:
    """Rows for a table: edition (its document number), part, items, encoded, partly, not encoded, unchecked."""
    return [(p.edition_label + ("" if p.edition_checked else "（日期未核对）"),
             p.part_title + ("" if p.industries else "（无检查组）"), str(p.items),
             str(p.encoded), str(p.partly_encoded), str(p.not_encoded), str(p.unchecked))
            for p in report.parts]
