"""What the rulebook tests read from an assessment: one example enterprise assessed on a day, the
one finding or undetermined result of a rule, the citation texts of a role, the records named."""

from __future__ import annotations

import datetime as dt

from safety_rules import Assessment, Finding, Rulebook, Undetermined

from ..conftest import EXAMPLES

ENTERPRISES = EXAMPLES / "enterprises"

LAW_2014 = "《中华人民共和国安全生产法》(2014年修正)"
LAW_2021 = "《中华人民共和国安全生产法》(2021年修正)"
CRITERIA_2017 = "《工贸行业重大生产安全事故隐患判定标准（2017版）》(安监总管四〔2017〕129号)"
CRITERIA_2023 = "《工贸企业重大事故隐患判定标准》(应急管理部令第10号)"


def assess(book: Rulebook, file: str, day: dt.date) -> Assessment:
    return book.assess(book.load_enterprise(ENTERPRISES / file), day)


def finding(a: Assessment, rule_id: str) -> Finding:
    (f,) = [f for f in a.findings if f.rule_id == rule_id]
    return f


def undetermined(a: Assessment, rule_id: str) -> Undetermined:
    (u,) = [u for u in a.undetermined if u.rule_id == rule_id]
    return u


def texts(f: Finding, role: str | None = None) -> list[str]:
    return [c.text for c in f.citations if role is None or c.role == role]


def named(f: Finding) -> list[str]:
    return [r.name for r in f.records]
