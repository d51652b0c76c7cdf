"""隐患预警: the warnings the dossier raises on a day, each with its provision.

* open major hazards past their deadline (安全生产法 第六十五条, and 督办 under 第四十一条);
* an enterprise with a major hazard and three penalties within 180 days or four within a year:
  提请关闭 (2021 第一百一十三条（一）; acts under an edition that has that article only);
* the same rule found again at the same enterprise within a year (a rectification that did not hold);
* refused orders: 停产停业整顿 and 提请关闭 (第一百一十三条（四）), 停止供电 (第七十条), and referral
  for 危险作业罪 (刑法 第一百三十四条之一（二）).

Each query reads an index of a read table and only the columns a warning prints, never a whole
record's document (:func:`query_plans` shows the plans; ``benchmarks/dossier.py`` prints them).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, select

from ._procedure import WSL
from ._store import Dossier, cases_table, due_query, findings_table

OVERDUE_STATES = ("ordered", "claimed", "refused")
YEAR = dt.timedelta(days=365)
HALF_YEAR = dt.timedelta(days=180)


@dataclass(frozen=True)
class DossierWarning:
    """One 隐患预警: what, where, on which day, and the provision it rests on."""

    kind: str  # major-hazard-overdue | closure | repeat | refused
    enterprise_id: str
    subjects: list[str]
    day: dt.date
    message: str
    provision: str

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "enterprise_id": self.enterprise_id, "subjects": self.subjects,
                "day": self.day.isoformat(), "message": self.message, "provision": self.provision}


def _queries(as_of: dt.date, closure_editions: list[str]) -> dict[str, Select[Any]]:
    """The queries of the warnings on ``as_of`` (and of ``due`` on it), each reading one index."""
    t, c = findings_table.c, cases_table.c
    return {
        "due": due_query(as_of),
        "major-hazard-overdue": select(t.finding_id, t.enterprise_id, t.title, t.deadline, t.state).where(
            and_(t.severity == "major_hazard", t.state.in_(OVERDUE_STATES), t.deadline < as_of)),
        "closure": select(c.enterprise_id).where(
            and_(c.decided_on > as_of - YEAR, c.decided_on <= as_of, c.edition.in_(closure_editions), c.fine > 0))
        .group_by(c.enterprise_id).having(func.count() >= 3),
        "repeat": select(t.finding_id, t.enterprise_id, t.repeat_of, t.rule_id, t.found_on, t.penalty).where(
            and_(t.repeat_of.is_not(None), t.found_on > as_of - YEAR, t.found_on <= as_of)),
        "refused": select(t.finding_id, t.enterprise_id, t.rule_id, t.found_on, t.refused_on, t.measures,
                          t.referral, t.penalty).where(and_(t.state == "refused", t.found_on <= as_of)),
    }


def _closure_editions(dossier: Dossier) -> list[str]:
    """The editions of the work-safety law that have 提请关闭 for repeated penalties (the 2021 one)."""
    return sorted(dossier.book.law.documents[WSL].provisions["closure"].editions)


def warnings(dossier: Dossier, as_of: dt.date) -> list[DossierWarning]:
    cite = dossier.procedure.cite
    queries = _queries(as_of, _closure_editions(dossier))
    found: list[DossierWarning] = []
    # rows unpacked by position: a city's warnings are tens of thousands of rows
    with dossier.store.engine.connect() as conn:
        measure = cite(WSL, "measure-major-hazard-withdrawal", as_of)
        for fid, eid, title, deadline, state in conn.execute(queries["major-hazard-overdue"]):
            found.append(DossierWarning("major-hazard-overdue", eid, [fid], deadline,
                                        f"重大事故隐患「{title}」整改期限 {deadline.isoformat()} 已过，"
                                        f"仍未销号（{state}）", measure))
        found += _closure(dossier, conn, [eid for eid, in conn.execute(queries["closure"])], as_of)
        for fid, eid, earlier, rule, found_on, penalty in conn.execute(queries["repeat"]):
            found.append(DossierWarning("repeat", eid, [earlier, fid], found_on,
                                        f"同一规则 {rule} 在本企业再次发现（前次 {earlier}）", penalty or rule))
        closure = cite(WSL, "closure", as_of)
        for fid, eid, rule, found_on, refused_on, measures_json, referral, penalty in conn.execute(
                queries["refused"]):
            measures: list[str] = json.loads(measures_json or "[]")
            parts = [f"拒不执行整改指令（{refused_on}）", *measures]
            if referral:
                parts.append(f"涉嫌危险作业罪，移送：{referral}")
            provision = closure if any("停产停业整顿" in m for m in measures) else (penalty or rule)
            found.append(DossierWarning("refused", eid, [fid], refused_on or found_on, "；".join(parts), provision))
    return sorted(found, key=lambda w: (w.kind, w.enterprise_id, w.day, w.subjects))


def _closure(dossier: Dossier, conn: Any, candidates: list[str], as_of: dt.date) -> list[DossierWarning]:
    """2021 第一百一十三条（一）: a major hazard and 3 penalties within 180 days or 4 within a year, for the
    enterprises with at least three penalties in the year."""
    if not candidates:
        return []
    c, t = cases_table.c, findings_table.c
    decided: dict[str, list[tuple[dt.date, str]]] = defaultdict(list)
    for r in conn.execute(select(c.enterprise_id, c.decided_on, c.case_id).where(and_(
            c.decided_on > as_of - YEAR, c.decided_on <= as_of, c.edition.in_(_closure_editions(dossier)),
            c.fine > 0, c.enterprise_id.in_(candidates)))):
        decided[r.enterprise_id].append((r.decided_on, r.case_id))
    majors = set(conn.execute(select(t.enterprise_id).where(and_(
        t.enterprise_id.in_(candidates), t.severity == "major_hazard", t.found_on <= as_of)).distinct()).scalars())
    out = []
    provision = dossier.procedure.cite(WSL, "closure", as_of)
    for enterprise, cases in sorted(decided.items()):
        days = sorted(d for d, _ in cases)
        within_half = any(days[i + 2] - days[i] < HALF_YEAR for i in range(len(days) - 2))
        if enterprise not in majors or not (within_half or len(days) >= 4):
            continue
        out.append(DossierWarning("closure", enterprise, [case for _, case in sorted(cases)], days[-1],
                           f"存在重大事故隐患，{'一百八十日内三次' if within_half else '一年内四次'}受到行政处罚"
                           f"（{'、'.join(d.isoformat() for d in days)}）：应当提请地方人民政府予以关闭", provision))
    return out


def query_plans(dossier: Dossier, as_of: dt.date, county: str | None = None) -> dict[str, list[str]]:
    """EXPLAIN of the due and warning queries (the very statements they run), to show they read indexes;
    with ``county``, also of ``due`` for that county."""
    engine = dossier.store.engine
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    queries = _queries(as_of, _closure_editions(dossier))
    if county is not None:
        queries["due --county"] = due_query(as_of, county=county)
    plans = {}
    with engine.connect() as conn:
        for name, query in queries.items():
            sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            plans[name] = [" ".join(str(x) for x in row) for row in conn.exec_driver_sql(prefix + sql)]
    return plans
