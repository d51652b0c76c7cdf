"""Expert matching at scale, and evaluation-log write throughput.

    python benchmarks/matching.py [--quick] [--experts N --cases M] [--pg-url URL]

Matches 1,000 cases needing 3 experts each against 2,000 experts (five industries,
recusals, unavailability, expired qualifications, past assignments; cases within one
week, so the day ranges nest and the min-cost flow is exact), or any size given; prints
the wall time, the peak traced memory and the growth of the process's resident memory.
On the quick size it also solves the same batch with CP-SAT over every eligible pair
(the reference: the same optimum, in the same process) and a batch spread over 60 days,
whose day ranges cross, with CP-SAT as ``match`` then does. Then it appends evaluations to
a SQLite log and, when a server is given (``--pg-url`` or $SAFETY_RULES_TEST_PG_URL), a
PostgreSQL log. The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import resource
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


def instance(n_experts: int, n_cases: int, seed: int = 3,
             days: int = 7) -> tuple[list[Expert], list[Case], list[PastAssignment]]:
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
        "county": rng.choice(COUNTIES), "date": START + dt.timedelta(days=rng.randint(0, days - 1)),
        "difficulty": "major",
    }) for k in range(n_cases)]
    history = [PastAssignment(case=f"H{k}", expert=rng.choice(experts).id, enterprise=rng.choice(enterprises),
                              date=START - dt.timedelta(days=rng.randint(1, 400))) for k in range(n_cases)]
    return experts, cases, history


POLICY = Policy.model_validate({
    "bureau": "benchmark", "version": "bench-1", "effective_from": "2024-01-01",
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


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smaller instance, under a minute")
    parser.add_argument("--experts", type=int, help="experts in the pool, e.g. 10000 (with --cases)")
    parser.add_argument("--cases", type=int, help="cases in the batch, e.g. 5000")
    parser.add_argument("--pg-url", default=os.environ.get("SAFETY_RULES_TEST_PG_URL"))
    args = parser.parse_args()
    n_experts, n_cases, n_writes = (400, 200, 300) if args.quick else (2000, 1000, 2000)
    n_experts, n_cases = args.experts or n_experts, args.cases or n_cases

    experts, cases, history = instance(n_experts, n_cases)
    gc.collect()
    # untraced first (tracing slows Python down): wall time and resident memory
    rss_before = rss_mb()
    start = time.perf_counter()
    result = match(cases, experts, POLICY, history)
    match_s = time.perf_counter() - start
    rss_growth = rss_mb() - rss_before
    tracemalloc.start()
    match(cases, experts, POLICY, history)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"{n_experts} experts x {n_cases} cases x 3 experts per case: {match_s:.2f} s; "
          f"{result.filled_slots}/{result.required_slots} seats filled, "
          f"{sum(not c.filled for c in result.cases)} cases not filled; {result.method} solved {result.rounds} "
          f"time(s), verified optimal over all eligible candidates: {result.verified_optimal}")
    print(f"peak traced memory {peak / 2**20:.1f} MB; resident memory grew {rss_growth:.0f} MB "
          f"(from {rss_before:.0f} MB)")
    figures: dict[str, Any] = {"experts": n_experts, "cases": n_cases, "match_s": round(match_s, 3),
                               "peak_mb": round(peak / 2**20, 1), "rss_growth_mb": round(rss_growth),
                               "method": result.method, "verified_optimal": result.verified_optimal}
    if n_cases <= 200:
        start = time.perf_counter()
        reference = match(cases, experts, POLICY, history, method="cp-sat")
        cp_sat_s = time.perf_counter() - start
        same = (reference.filled_slots, reference.total_score) == (result.filled_slots, result.total_score)
        print(f"reference, CP-SAT over every eligible pair: {cp_sat_s:.2f} s ({match_s / cp_sat_s:.2f}x the time); "
              f"same optimum: {same}")
        spread_experts, spread_cases, spread_history = instance(n_experts, n_cases, days=60)
        start = time.perf_counter()
        spread = match(spread_cases, spread_experts, POLICY, spread_history)
        spread_s = time.perf_counter() - start
        print(f"cases over 60 days (day ranges cross): {spread.method} {spread_s:.2f} s, "
              f"{spread.filled_slots}/{spread.required_slots} seats, proved optimal: {spread.verified_optimal}")
        figures.update(cp_sat_s=round(cp_sat_s, 3), same_optimum=same, spread_s=round(spread_s, 3),
                       spread_method=spread.method)

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
