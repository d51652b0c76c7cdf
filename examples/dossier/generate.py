"""Generate the sample campaigns of the enforcement dossier (一企一册) from the example enterprises.

Two campaigns in the seed notice's shape (its 2017 campaign moved to 2024, when every rule of the
rulebook and the 2021 law are in force): ``2024-06`` (a June city-wide inspection to compare with)
and ``2024-09`` (five teams, 50 enterprises, 2-8 September 2024). Each enterprise
is a variant of one of ``examples/enterprises/*.yaml`` (its boolean facts flipped at random with a
fixed seed); each inspection is assessed by the rulebook and frozen as issued, and each finding
then moves through the loop — corrected on the spot, ordered and re-inspected, extended, failed
and penalised at the 逾期未改正 tier, suspended, refused, withdrawn — with penalty cases from 立案 to
结案 or court enforcement. The dates follow the legal deadlines the dossier itself computes.

    python examples/dossier/generate.py        # rewrites campaigns.jsonl and evidence/

The output is committed, so the report is reproducible without running this.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import shutil
from pathlib import Path
from typing import Any

from safety_rules import Rulebook
from safety_rules.dossier._deadlines import DeadlineTable, add_working_days
from safety_rules.dossier._model import Officer
from safety_rules.dossier._replay import freeze
from safety_rules.law._catalog import Sanction

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
TEAMS = {  # team → the example enterprises it inspects, and its officers (name, 执法证号; sample data)
    "矿山组": (["linyi-open-pit-quarry", "linyi-underground-iron-mine"], [("孙建国", "SD-0101"), ("刘海涛", "SD-0102")]),
    "危化组": (["linyi-hazchem-storage"], [("周文斌", "SD-0201"), ("吴晓东", "SD-0202")]),
    "冶炼组": (["linyi-steel-works"], [("郑立新", "SD-0301"), ("王志刚", "SD-0302")]),
    "涉尘组": (["linyi-wood-products", "linyi-food-processor-dust-ammonia"], [("陈卫东", "SD-0401"),
                                                                          ("赵明", "SD-0402")]),
    "涉氨组": (["linyi-ammonia-cold-store"], [("李红梅", "SD-0501"), ("张伟", "SD-0502")]),
}
COUNTIES = ["兰山区", "罗庄区", "河东区", "沂南县", "郯城县", "沂水县", "兰陵县", "费县", "平邑县", "莒南县", "蒙阴县", "临沭县"]
# The chance that an inspector finds each applicable rule violated: the 2024-09 campaign then comes close to
# the seed notice's 50 enterprises and 927 problems.
VIOLATIONS = 0.38
PROPOSED = 0.2  # the chance that a violation with a first-instance fine is proposed for penalty (seed: 161 of 927)
CAMPAIGNS = [("2024-06", dt.date(2024, 6, 11), 5, 30), ("2024-09", dt.date(2024, 9, 2), 7, 50)]


class Campaign:
    def __init__(self, book: Rulebook, rng: random.Random, violations: float = 0.75) -> None:
        """``violations``: the chance that an inspector finds each applicable rule violated."""
        self.book, self.rng, self.violations = book, rng, violations
        self.deadlines = DeadlineTable(book.law)
        self.events: list[tuple[dt.date, int, str, str, dict[str, Any]]] = []
        self.evidence: dict[str, bytes] = {}
        self.counter = 0

    def add(self, day: dt.date, enterprise: str, kind: str, payload: dict[str, Any]) -> None:
        self.counter += 1
        dated = kind == "evidence" or "date" in payload
        self.events.append((day, self.counter, enterprise, kind, {**payload, **({} if dated else
                                                                              {"date": day.isoformat()})}))

    def officers(self, team: str) -> list[Officer]:
        return [Officer(name=n, certificate=c) for n, c in TEAMS[team][1]]

    def run(self, campaign: str, start: dt.date, days: int, count: int) -> None:
        slots = [(team, example) for team, (examples, _) in TEAMS.items() for example in examples]
        for n in range(count):
            team, example = slots[n % len(slots)]
            day = start + dt.timedelta(days=self.rng.randrange(days))
            self.inspect(campaign, team, example, n, day)

    def inspect(self, campaign: str, team: str, example: str, n: int, day: dt.date, *, eid: str | None = None,
                visit: int = 1) -> None:
        """Inspect a variant of ``example`` as enterprise ``eid`` (default: numbered in the campaign), its
        ``visit``-th inspection, and move each finding through the loop."""
        base = self.book.load_enterprise(ROOT / "examples" / "enterprises" / f"{example}.yaml")
        facts = {k: (not v if isinstance(v, bool) and self.rng.random() < 0.2 else v) for k, v in base.facts.items()}
        for rule_id in self.book.rule_ids:  # what an inspector finds: some rules' violating examples
            version = self.book.version_on(rule_id, day)
            industry = self.book.lineage(rule_id).spec.industry
            if version is None or industry not in self.book.expand_industries(base.industries):
                continue
            bad = [e for e in version.spec.examples if e.expect == "violated"]
            if bad and self.rng.random() < self.violations:
                facts.update(self.rng.choice(bad).facts)
        eid = eid or f"LY-{campaign.replace('-', '')}-{n + 1:03d}"
        county = self.rng.choice(COUNTIES)
        enterprise = self.book.enterprise(eid, facts, name=f"{county}{base.name}（样例{n + 1}）", county=county,
                                          region=base.region, industries=base.industries)
        inspection_id = f"{eid}-I{visit}"
        proposed: dict[str, Any] = {}  # finding → its first-instance tier, for the inspection's one case
        for kind, payload in freeze(self.book, enterprise, inspection_id=inspection_id, team=team, campaign=campaign,
                                    officers=self.officers(team), date=day):
            self.add(day, eid, kind, payload)
            if kind == "finding":
                self.follow(eid, team, payload, day, proposed)
        if proposed:  # one case for the violations proposed for penalty (分别裁量、合并处罚)
            self.case(eid, team, f"{inspection_id}-C1", "first_instance", proposed, day)

    def fine_in(self, tier: Any) -> int:
        fine = tier.fine_yuan
        low = 0 if tier.discretionary else fine.min
        return max(low, round(self.rng.uniform(max(low, fine.max * 0.1), fine.max) / 1000) * 1000)

    def follow(self, eid: str, team: str, finding: dict[str, Any], day: dt.date, proposed: dict[str, Any]) -> None:
        """Move one finding through the loop, and any case of its own it leads to; add it to ``proposed`` if it
        is proposed for penalty at the first instance."""
        fid = finding["finding_id"]
        sanction = Sanction.model_validate(finding["sanction"]) if finding["sanction"] else None
        first = sanction.tier("first_instance") if sanction else None
        major = finding["severity"] == "major_hazard"
        roll = self.rng.random()
        if not major and roll < 0.12:
            self.add(day, eid, "finding.corrected", {"finding_id": fid})
            self.add(day, eid, "finding.closed", {"finding_id": fid})
            return
        if major and roll < 0.15:
            self.add(day, eid, "finding.suspended", {"finding_id": fid, "measures": ["撤出作业人员", "暂时停产停业"]})
            claim = day + dt.timedelta(days=self.rng.randrange(20, 60))
            self.claim(eid, fid, claim)
            self.add(claim + dt.timedelta(days=self.rng.randrange(1, 10)), eid, "finding.reinspected",
                     {"finding_id": fid, "result": "pass", "officers": [o.model_dump() for o in self.officers(team)]})
            return
        days = self.rng.choice([7, 15, 30]) if major else None
        self.add(day, eid, "finding.ordered", {"finding_id": fid, **({"days": days} if days else {})})
        rule_days = finding["rectification"]["deadline"]
        deadline = day + dt.timedelta(days=days if days is not None else (0 if rule_days == "immediate" else rule_days))
        if first is not None and first.fine_yuan is not None and self.rng.random() < PROPOSED:
            proposed[fid] = first
        if roll > 0.97:
            self.add(day + dt.timedelta(days=self.rng.randrange(30, 90)), eid, "finding.withdrawn",
                     {"finding_id": fid, "by": "review", "decision_no": f"临政复决字〔2024〕{self.rng.randrange(1, 99)}号"})
            return
        if roll > 0.93 and major:
            refused = deadline + dt.timedelta(days=2)
            self.add(refused, eid, "finding.refused", {"finding_id": fid, "real_danger": True})
            tier = sanction.tier("refused") if sanction else None
            if tier is not None and tier.fine_yuan is not None:
                self.case(eid, team, f"{fid}-C2", "refused", {fid: tier}, refused + dt.timedelta(days=3))
            return
        if roll > 0.88 and deadline > day:
            asked = deadline - dt.timedelta(days=self.rng.randrange(10, 12))
            if asked > day:
                self.add(asked, eid, "finding.extension-requested", {"finding_id": fid, "reason": "设备到货延迟（不可抗力）"})
                deadline += dt.timedelta(days=15)
                self.add(asked + dt.timedelta(days=3), eid, "finding.extended",
                         {"finding_id": fid, "until": deadline.isoformat()})
        if roll > 0.75:  # not rectified: the re-inspection fails and the overdue tier applies
            check = deadline + dt.timedelta(days=self.rng.randrange(1, 9))
            overdue = (sanction.tier("overdue") or sanction.tier("refused")) if sanction else None
            needs = overdue is not None and (overdue.fine_yuan is not None or overdue.suspension
                                             or bool(overdue.individuals))
            case_id = f"{fid}-C2" if needs else None
            self.add(check, eid, "finding.reinspected", {
                "finding_id": fid, "result": "fail", "days": 15,
                "officers": [o.model_dump() for o in self.officers(team)], **({"case_id": case_id} if case_id else {})})
            if case_id is not None and overdue is not None:
                self.case(eid, team, case_id, overdue.trigger, {fid: overdue}, check, opened=True)
            deadline = check + dt.timedelta(days=15)
        if self.rng.random() < 0.85:
            claim = deadline - dt.timedelta(days=self.rng.randrange(0, 3))
            claim = max(claim, day)
            self.claim(eid, fid, claim)
            self.add(claim + dt.timedelta(days=self.rng.randrange(2, 9)), eid, "finding.reinspected",
                     {"finding_id": fid, "result": "pass", "officers": [o.model_dump() for o in self.officers(team)]})

    def claim(self, eid: str, fid: str, day: dt.date) -> None:
        content = f"{fid} 整改报告：已按整改指令完成整改，附整改前后照片。\n".encode()
        sha = hashlib.sha256(content).hexdigest()
        self.evidence[f"{fid}.txt"] = content
        self.add(day, eid, "evidence", {
            "sha256": sha, "filename": f"{fid}.txt", "size": len(content), "kind": "书证", "method": "企业提交整改报告",
            "made_at": f"{day.isoformat()}T09:00:00+08:00", "made_by": "企业安全负责人", "proves": "隐患已整改",
            "source": "企业", "finding_ids": [fid]})
        self.add(day, eid, "finding.claimed", {"finding_id": fid, "evidence": [sha]})

    def case(self, eid: str, team: str, cid: str, trigger: str, tiers: dict[str, Any], day: dt.date,
             opened: bool = False) -> None:
        """A case of the findings ``tiers`` names (each at its tier) from 立案 to 结案 (or court enforcement)."""
        if not opened:
            self.add(day, eid, "case.opened", {"case_id": cid, "finding_ids": list(tiers), "tier": trigger})
        investigated = day + dt.timedelta(days=self.rng.randrange(1, 6))
        self.add(investigated, eid, "case.investigated",
                 {"case_id": cid, "officers": [o.model_dump() for o in self.officers(team)]})
        notified = investigated + dt.timedelta(days=self.rng.randrange(2, 8))
        hearing = any(t.suspension for t in tiers.values()) or self.rng.random() < 0.1
        self.add(notified, eid, "case.notified", {"case_id": cid, "hearing_offered": hearing})
        step = notified
        if hearing and self.rng.random() < 0.5:
            self.add(notified + dt.timedelta(days=1), eid, "case.hearing-requested", {"case_id": cid})
            served = notified + dt.timedelta(days=2)
            held_on = add_working_days(served, 8)
            self.add(served, eid, "case.hearing-scheduled", {"case_id": cid, "hearing_on": held_on.isoformat()})
            self.add(held_on, eid, "case.hearing-held", {"case_id": cid})
            self.add(held_on + dt.timedelta(days=1), eid, "case.reviewed", {"case_id": cid})
            step = held_on + dt.timedelta(days=1)
        if self.rng.random() < 0.08 and trigger == "first_instance":
            self.add(step + dt.timedelta(days=3), eid, "case.not-penalised", {"case_id": cid,
                                                                              "ground": "违法行为轻微并及时改正，没有造成危害后果"})
            self.add(step + dt.timedelta(days=5), eid, "case.closed", {"case_id": cid})
            return
        decided = step + dt.timedelta(days=self.rng.randrange(4, 10))
        self.add(decided, eid, "case.discussed", {"case_id": cid})
        fines = {fid: self.fine_in(t) if t.fine_yuan is not None else 0 for fid, t in tiers.items()}
        fine = sum(fines.values())
        several = {"finding_fines": [{"finding_id": f, "amount": a} for f, a in fines.items()]} \
            if len(fines) > 1 else {}
        self.add(decided, eid, "case.decided", {"case_id": cid, "number": f"（临）安监罚〔{decided.year}〕{cid[-9:]}号",
                                               "fine": fine, **several, "on_the_spot": self.rng.random() < 0.5})
        delivered = decided if self.events[-1][4]["on_the_spot"] else decided + dt.timedelta(days=2)
        if delivered != decided:
            self.add(delivered, eid, "case.delivered", {"case_id": cid})
        payment_due = self.deadlines.deadline("payment", delivered).due
        if fine == 0 or self.rng.random() < 0.8:
            paid = delivered + dt.timedelta(days=self.rng.randrange(3, 14))
            self.add(paid, eid, "case.paid", {"case_id": cid, "amount": fine})
            self.add(paid + dt.timedelta(days=5), eid, "case.closed", {"case_id": cid})
            return
        demanded = payment_due + dt.timedelta(days=self.rng.randrange(5, 20))
        self.add(demanded, eid, "case.demanded", {"case_id": cid})
        lapse = max(self.deadlines.deadline("review-application", delivered).due,
                    self.deadlines.deadline("direct-suit", delivered).due)
        applied = max(lapse + dt.timedelta(days=self.rng.randrange(5, 40)),
                      self.deadlines.deadline("court-demand-wait", demanded).due)
        self.add(applied, eid, "case.enforcement-applied", {"case_id": cid})
        if self.rng.random() < 0.5:
            self.add(applied + dt.timedelta(days=30), eid, "case.closed", {"case_id": cid})


def build() -> tuple[str, dict[str, bytes]]:
    """The sample as it should be committed: the events file's text and the evidence files."""
    book = Rulebook.load(ROOT / "rules")
    campaign = Campaign(book, random.Random(20240922), VIOLATIONS)
    for name, start, days, count in CAMPAIGNS:
        campaign.run(name, start, days, count)
    events = sorted(campaign.events, key=lambda e: (e[0], e[1]))
    text = "".join(json.dumps({"enterprise": enterprise, "kind": kind, "payload": payload}, ensure_ascii=False,
                              sort_keys=True) + "\n" for _day, _n, enterprise, kind, payload in events)
    return text, dict(sorted(campaign.evidence.items()))


def main() -> None:
    text, evidence = build()
    (HERE / "campaigns.jsonl").write_text(text, encoding="utf-8")
    shutil.rmtree(HERE / "evidence", ignore_errors=True)
    (HERE / "evidence").mkdir()
    for name, content in evidence.items():
        (HERE / "evidence" / name).write_bytes(content)
    print(f"{text.count(chr(10))} events, {len(evidence)} evidence files")


if __name__ == "__main__":
    main()
