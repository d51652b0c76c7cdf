"""隐患预警: the warnings the dossier raises on a day, each with its provision.

* open major hazards past their deadline (安全生产法 第六十五条, and 督办 under 第四十一条);
* an enterprise with a major hazard and three penalties within 180 days or four within a year:
  提请关闭 (2021 第一百一十三条（一）; acts under the 2021 law only);
* the same rule found again at the same enterprise within a year (a rectification that did not hold);
* refused orders: 停产停业整顿 and 提请关闭 (第一百一十三条（四）), 停止供电 (第七十条), and referral
  for 危险作业罪 (刑法 第一百三十四条之一（二）).

Each query reads an indexed read table (see ``benchmarks/dossier.py`` for the query plans).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, select

from ._model import CaseRecord, FindingRecord
from ._procedure import WSL
from ._store import Dossier, cases_table, findings_table

OVERDUE_STATES = ("ordered", "claimed", "refused")
YEAR = dt.timedelta(days=365)
HALF_YEAR = dt.timedelta(days=180)


@dataclass(frozen=True)
class Warning:
    kind: str  # major-hazard-overdue | closure | repeat | refused
    enterprise_id: str
    subjects: list[str]
    day: dt.date
    message: str
    provision: str

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "enterprise_id": self.enterprise_id, "subjects": self.subjects,
                "day": self.day.isoformat(), "message": self.message, "provision": self.provision}


def warnings(dossier: Dossier, as_of: dt.date) -> list[Warning]:
    p = dossier.procedure
    t = findings_table.c
    found: list[Warning] = []
    for f in dossier.findings(and_(t.severity == "major_hazard", t.state.in_(OVERDUE_STATES), t.deadline < as_of)):
        assert f.deadline is not None
        found.append(Warning("major-hazard-overdue", f.enterprise_id, [f.finding_id], f.deadline,
                             f"重大事故隐患「{f.issued.title}」整改期限 {f.deadline.isoformat()} 已过，"
                             f"仍未销号（{f.state}）",
                             p.cite(WSL, "measure-major-hazard-withdrawal", as_of)))
    found += _closure(dossier, as_of)
    for f in dossier.findings(and_(t.repeat_of.is_not(None), t.found_on > as_of - YEAR, t.found_on <= as_of)):
        found.append(Warning("repeat", f.enterprise_id, [f.repeat_of or "", f.finding_id], f.issued.date,
                             f"同一规则 {f.issued.rule_id} 在本企业再次发现（前次 {f.repeat_of}）",
                             f.penalty.text if f.penalty else f.issued.rule_id))
    for f in dossier.findings(and_(t.state == "refused", t.found_on <= as_of)):
        parts = [f"拒不执行整改指令（{f.refused_on}）"]
        parts += f.measures
        provision = p.cite(WSL, "closure", as_of) if any("停产停业整顿" in m for m in f.measures) else \
            (f.penalty.text if f.penalty else f.issued.rule_id)
        if f.referral:
            parts.append(f"涉嫌危险作业罪，移送：{f.referral}")
        found.append(Warning("refused", f.enterprise_id, [f.finding_id], f.refused_on or f.issued.date,
                             "；".join(parts), provision))
    return sorted(found, key=lambda w: (w.kind, w.enterprise_id, w.day, w.subjects))


def _closure(dossier: Dossier, as_of: dt.date) -> list[Warning]:
    """2021 第一百一十三条（一）: a major hazard and 3 penalties within 180 days or 4 within a year."""
    c = cases_table.c
    decided: dict[str, list[CaseRecord]] = defaultdict(list)
    for case in dossier.cases(and_(c.decided_on > as_of - YEAR, c.decided_on <= as_of)):
        if case.edition == "2021" and case.fine:
            decided[case.enterprise_id].append(case)
    out = []
    for enterprise, cases in sorted(decided.items()):
        if len(cases) < 3:
            continue
        days = sorted(x.decided_on for x in cases if x.decided_on)
        within_half = any(days[i + 2] - days[i] < HALF_YEAR for i in range(len(days) - 2))
        if not (within_half or len(days) >= 4):
            continue
        t = findings_table.c
        majors: list[FindingRecord] = dossier.findings(and_(t.enterprise_id == enterprise,
                                                            t.severity == "major_hazard", t.found_on <= as_of))
        if not majors:
            continue
        out.append(Warning("closure", enterprise, [x.case_id for x in cases], days[-1],
                           f"存在重大事故隐患，{'一百八十日内三次' if within_half else '一年内四次'}受到行政处罚"
                           f"（{'、'.join(d.isoformat() for d in days)}）：应当提请地方人民政府予以关闭",
                           dossier.procedure.cite(WSL, "closure", as_of)))
    return out


def query_plans(dossier: Dossier, as_of: dt.date) -> dict[str, list[str]]:
    """EXPLAIN of the due and warning queries, to show they use the indexes."""
    from ._store import due_table

    t, c, d = findings_table.c, cases_table.c, due_table.c
    queries = {
        "due": select(d.item_id).where(d.due_on <= as_of),
        "major-hazard-overdue": select(t.doc).where(and_(t.severity == "major_hazard", t.state.in_(OVERDUE_STATES),
                                                         t.deadline < as_of)),
        "closure": select(c.doc).where(and_(c.decided_on > as_of - YEAR, c.decided_on <= as_of)),
        "repeat": select(t.doc).where(and_(t.repeat_of.is_not(None), t.found_on > as_of - YEAR, t.found_on <= as_of)),
        "refused": select(t.doc).where(and_(t.state == "refused", t.found_on <= as_of)),
    }
    engine = dossier.store.engine
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    plans = {}
    with engine.connect() as conn:
        for name, query in queries.items():
            sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            plans[name] = [" ".join(str(x) for x in row) for row in conn.exec_driver_sql(prefix + sql)]
    return plans
