"""Deadlines of the enforcement loop, counted as the law counts them.

Each period is a datum of ``deadlines.yaml``: the provision that sets it, per edition of the
document that governs it, and how it is counted:

* ``days``: calendar days; the day the period starts is not counted, so it ends ``anchor + n``;
* ``working_days``: 工作日 where the law says so (行政处罚法 2021 第八十五条 for its 二、三、五、七日,
  行政强制法 第六十九条 for periods of up to ten days, 行政复议法 for its 三、五、七、十日):
  法定节假日 and weekends are skipped and 调休 workdays count, from the maintained
  ``chinesecalendar`` package;
* ``months``: the same day of the month ``n`` months on (the last day of a shorter month);
* ``before``: the period runs backwards from the anchor (a hearing notice 7 days before the
  hearing; an extension asked 10 days before the deadline);
* ``roll``: a last day that is a 法定休假日 moves to the next working day (民事诉讼法's rule, which
  行政复议法 and 行政诉讼法 apply to their periods).

The edition is the one in force on the anchor day. The holiday calendar covers the years the
State Council has published (the package is updated when a new year's 节假日安排 comes out, usually in
November or December). A working-day period reaching a year it does not yet cover is counted
provisionally with Monday to Friday as working days, marked unverified with a note naming the
year: an officer can still record the step, and ``dossier rebuild`` recounts it once the package is
updated. :func:`is_workday` itself stays strict (a :class:`CalendarError` naming the year).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import chinese_calendar
from pydantic import BaseModel, ConfigDict, Field

from ..law._catalog import LawCatalog
from ..shared._errors import CalendarError, DossierError, NotFoundError, SchemaError, did_you_mean
from ..shared._validation import load_model

DEADLINES_FILE = Path(__file__).with_name("deadlines.yaml")
ONE_DAY = dt.timedelta(days=1)
Party = Literal["enterprise", "authority"]


def is_workday(day: dt.date) -> bool:
    """Whether ``day`` is a working day in China (调休 workdays included, 法定节假日 excluded)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        raise CalendarError(f"no holiday calendar for the year {day.year}: the chinesecalendar package installed "
                            "does not cover it; update it (pip install -U chinesecalendar) before counting "
                            f"working days in {day.year}", year=day.year) from None


def _workday(day: dt.date, uncovered: set[int] | None) -> bool:
    """:func:`is_workday`, or with ``uncovered`` given, Monday to Friday for a year the calendar does
    not cover yet (the year is added to ``uncovered``)."""
    try:
        return is_workday(day)
    except CalendarError:
        if uncovered is None:
            raise
        uncovered.add(day.year)
        return day.weekday() < 5


def add_working_days(day: dt.date, n: int, uncovered: set[int] | None = None) -> dt.date:
    """The ``n``-th working day after ``day`` (``n < 0``: before it); ``day`` itself is not counted.
    ``uncovered``: count provisionally in years the calendar does not cover, collecting them."""
    step = ONE_DAY if n >= 0 else -ONE_DAY
    left = abs(n)
    while left:
        day += step
        if _workday(day, uncovered):
            left -= 1
    return day


def add_months(day: dt.date, n: int) -> dt.date:
    month = day.month - 1 + n
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def roll_to_workday(day: dt.date, uncovered: set[int] | None = None) -> dt.date:
    while not _workday(day, uncovered):
        day += ONE_DAY
    return day


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProvisionRef(_Strict):
    document: str
    provision: str


class Period(_Strict):
    """One edition's period."""

    provision: str
    document: str | None = Field(default=None, description="default: the period's governing document")
    count: int = Field(ge=1, le=366)
    unit: Literal["days", "working_days", "months"]
    before: bool = Field(default=False, description="counted back from the anchor")
    roll: bool = Field(default=False, description="a last day on a 法定休假日 moves to the next working day")
    basis: ProvisionRef | None = Field(default=None, description="the provision that says how the days are counted")
    source_checked: bool
    note: str | None = None


class PeriodSpec(_Strict):
    label: str
    party: Party
    document: str
    editions: dict[str, Period] = Field(min_length=1)


class DeadlineFile(_Strict):
    periods: dict[str, PeriodSpec]


@dataclass(frozen=True)
class Deadline:
    """A computed deadline with what it rests on."""

    period: str
    label: str
    party: Party
    due: dt.date
    provision: str  # as printed, e.g. 《中华人民共和国行政处罚法》(2021年修订) 第六十一条第一款
    checked: bool
    note: str | None = None

    @property
    def basis(self) -> str:
        """The provision, flagged when its period or article was not seen in a text."""
        return self.provision if self.checked else f"{self.provision} [未核实]"


class DeadlineTable:
    """The periods of ``deadlines.yaml`` against a law catalog; every reference is checked on loading."""

    def __init__(self, law: LawCatalog, path: Path = DEADLINES_FILE) -> None:
        self.law = law
        self.path = path
        model, _raw = load_model(DeadlineFile, path)
        self.periods = model.periods
        problems = []
        for pid, spec in self.periods.items():
            doc = law.documents.get(spec.document)
            if doc is None:
                problems.append(f"period {pid}: unknown document {spec.document!r}")
                continue
            editions = {e.id for e in doc.editions}
            for eid, period in spec.editions.items():
                if eid not in editions:
                    problems.append(f"period {pid}: {spec.document} has no edition {eid!r}")
                refs = [ProvisionRef(document=period.document or spec.document, provision=period.provision)]
                refs += [period.basis] if period.basis else []
                for ref in refs:
                    target = law.documents.get(ref.document)
                    if target is None or ref.provision not in target.provisions:
                        problems.append(f"period {pid} edition {eid}: no provision {ref.document}/{ref.provision}")
        if problems:
            raise SchemaError("; ".join(problems), path=path, problems=problems)

    def _spec(self, period: str) -> PeriodSpec:
        try:
            return self.periods[period]
        except KeyError:
            raise NotFoundError(f"no period {period!r}", suggestion=did_you_mean(period, self.periods)) from None

    def period_on(self, period: str, anchor: dt.date) -> tuple[PeriodSpec, Period, str, bool]:
        """The period in force on ``anchor``: (spec, period, the provision as printed, checked)."""
        spec = self._spec(period)
        edition = self.law.edition_on(spec.document, anchor)
        datum = spec.editions.get(edition.id) if edition is not None else None
        if edition is None or datum is None:
            raise DossierError(f"no edition of {spec.document} with the period {period!r} ({spec.label}) is in force "
                               f"on {anchor.isoformat()}", period=period)
        document = datum.document or spec.document
        cited = self.law.resolve(document, datum.provision, anchor, "basis")
        if cited is None:
            raise DossierError(f"{document}/{datum.provision} is not in force on {anchor.isoformat()}", period=period)
        checked = datum.source_checked and cited.source_checked
        if datum.basis is not None:
            counted = self.law.resolve(datum.basis.document, datum.basis.provision, anchor, "basis")
            if counted is None:
                raise DossierError(f"{datum.basis.document}/{datum.basis.provision} (how {period!r} is counted) is not "
                                   f"in force on {anchor.isoformat()}", period=period)
            checked = checked and counted.source_checked
            text = f"{cited.text}、{counted.text.split(' ', 1)[1]}" if counted.document == document else \
                f"{cited.text}、{counted.text}"
        else:
            text = cited.text
        return spec, datum, text, checked

    def deadline(self, period: str, anchor: dt.date) -> Deadline:
        """The deadline of ``period`` for a period starting (or, for ``before``, ending) on ``anchor``."""
        spec, datum, text, checked = self.period_on(period, anchor)
        n = -datum.count if datum.before else datum.count
        uncovered: set[int] = set()
        if datum.unit == "working_days":
            due = add_working_days(anchor, n, uncovered)
        elif datum.unit == "months":
            due = add_months(anchor, n)
        else:
            due = anchor + dt.timedelta(days=n)
        if datum.roll:
            due = roll_to_workday(due, uncovered)
        note = datum.note
        if uncovered:
            years = "、".join(str(y) for y in sorted(uncovered))
            provisional = (f"{years}年的节假日安排不在所装的 chinesecalendar 中，暂按周一至周五为工作日推算；"
                           "更新该包后运行 dossier rebuild 重算")
            checked, note = False, "；".join(x for x in (provisional, note) if x)
        return Deadline(period, spec.label, spec.party, due, text, checked, note)


def later(*deadlines: Deadline) -> Deadline:
    """The latest of several deadlines ("later of" rules: an extension never shortens a deadline,
    court enforcement waits for both the review and the suit periods)."""
    return max(deadlines, key=lambda d: d.due)
