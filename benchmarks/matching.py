"""Expert matching at scale, and evaluation-log write throughput.

    python benchmarks/matching.py [--quick] [--pg-url URL]

Matches 1,000 cases needing 3 experts each against 2,000 experts (five industries,
recusals, unavailability, expired qualifications, past assignments), prints the wall
time and peak traced memory, then appends evaluations to a SQLite log and, when a
server is given (``--pg-url`` or $SAFETY_RULES_TEST_PG_URL), a PostgreSQL log. The last
line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

from safety_rules.experts._evaluation_log import Evaluation, EvaluationLog
from safety_rules.experts._matching import match
from safety_rules.experts._registry import Case, Expert, PastAssignment, Policy

INDUSTRIES = ["mining", "hazchem", "metallurgy", "dust", "ammonia"]
COUNTIES = ["兰山区", "罗庄区", "河东区", "沂南县", "郯城县", "沂水县",
            "兰陵县", "费县", "平邑县", "莒南县", "蒙阴县", "临沭县"]
START = dt.date(2024, 6, 3)


def instance(n_experts: int, n_cases: int, seed: int = 3) -> tuple[list[Expert], list[Case], list[PastAssignment]]:
    rng = random.Random(seed)
    enterprises = [f"ENT-{k:05d}" for k in range(n_cases * 2)]
    experts = []
    for k in range(n_experts):
        inds = rng.sample(INDUSTRIES, rng.choice([1, 1, 2]))
        experts.append(Expert.model_validate({
            "id": f"E{k:05d}", "name": f"专家{k}", "home_county": rng.choice(COUNTIES),
            "status": "active" if rng.random() > 0.03 else "retired",
            "industries": [{"industry": i, "level": rng.randint(1, 3)} for i in inds],
            "qualifications": [{"name": "注册安全工程师",
                                "expires": START + dt.timedelta(days=rng.randint(-200, 2000))}],
            "engagements": [{"enterprise": rng.choice(enterprises), "role": "consultant",
                             "from": dt.date(2020, 1, 1), "to": dt.date(2023, 1, 1)}] if rng.random() < 0.3 else [],
            "ties": [{"enterprise": rng.choice(enterprises), "kind": "relative"}] if rng.random() < 0.05 else [],
            "max_concurrent_cases": rng.choice([2, 3, 3, 4]),
            "unavailable": [{"from": START, "to": START + dt.timedelta(days=2)}] if rng.random() < 0.05 else [],
        }))
    cases = [Case.model_validate({
        "id": f"C{k:05d}", "enterprise": enterprises[k], "industries": [rng.choice(INDUSTRIES)],
        "county": rng.choice(COUNTIES), "date": START + dt.timedelta(days=rng.randint(0, 6)), "difficulty": "major",
    }) for k in range(n_cases)]
    history = [PastAssignment(case=f"H{k}", expert=rng.choice(experts).id, enterprise=rng.choice(enterprises),
                              date=START - dt.timedelta(days=rng.randint(1, 400))) for k in range(n_cases)]
    return experts, cases, history


POLICY = Policy.model_validate({
    "experts_per_case": {"routine": 1, "difficult": 2, "major": 3},
    "min_level": {"routine": 1, "difficult": 1, "major": 1},
    "recusal": {"former_engagement_years": 3, "exclude_home_county": True, "repeat_enterprise_months": 12},
    "workload": {"case_days": 30, "max_concurrent_cases": 3},
    "scoring": {"level_weight": 0.6, "evaluation_weight": 0.4, "prior_mean": 3.5, "prior_weight": 3,
                "min_evaluations": 3, "suspend_below": 2.5},
    "candidates_per_case": 8,
})


def writes_per_s(url: str, n: int) -> float:
    log = EvaluationLog(url)
    tag = uuid.uuid4().hex[:6]
    start = time.perf_counter()
    for k in range(n):
        log.append(Evaluation(case_id=f"B{tag}-{k}", expert_id="E1", enterprise_id="ENT", case_date=START,
                              timeliness=4, quality=4, advice_adopted=True, recorded_by="bench"))
    elapsed = time.perf_counter() - start
    assert log.verify().ok
    log.store.dispose()
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smaller instance, under a minute")
    parser.add_argument("--pg-url", default=os.environ.get("SAFETY_RULES_TEST_PG_URL"))
    args = parser.parse_args()
    n_experts, n_cases, n_writes = (400, 200, 300) if args.quick else (2000, 1000, 2000)

    experts, cases, history = instance(n_experts, n_cases)
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    result = match(cases, experts, POLICY, history)
    match_s = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # tracing slows Python down; time a second run without it
    start = time.perf_counter()
    match(cases, experts, POLICY, history)
    match_s = min(match_s, time.perf_counter() - start)

    print(f"{n_experts} experts x {n_cases} cases x 3 experts per case: {match_s:.2f} s "
          f"(target under 5 s); {result.filled_slots}/{result.required_slots} seats filled, "
          f"{sum(not c.filled for c in result.cases)} cases not filled; flow solved {result.rounds} time(s), "
          f"verified optimal over all eligible candidates")
    print(f"peak traced memory: {peak / 2**20:.1f} MB")

    figures: dict[str, Any] = {"match_s": round(match_s, 3), "peak_mb": round(peak / 2**20, 1)}
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite_writes_per_s"] = round(writes_per_s(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", n_writes), 1)
    print(f"evaluation log, SQLite: {figures['sqlite_writes_per_s']:.0f} appends/s (each its own transaction)")
    figures["postgres_writes_per_s"] = None
    if args.pg_url:
        try:
            figures["postgres_writes_per_s"] = round(writes_per_s(args.pg_url, n_writes), 1)
            print(f"evaluation log, PostgreSQL: {figures['postgres_writes_per_s']:.0f} appends/s")
        except Exception as exc:  # noqa: BLE001 - a benchmark reports an unreachable server and goes on
            print(f"evaluation log, PostgreSQL: not measured ({str(exc).splitlines()[0]})")
    else:
        print("evaluation log, PostgreSQL: not measured (no --pg-url / $SAFETY_RULES_TEST_PG_URL)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
