"""Assessment speed and memory, against references run in the same process.

    python benchmarks/engine.py [--quick]

Synthetic rulebooks of 300 rules over 200 facts (``synthetic.py``): one whose versions
share a few dates, and one whose every rule is revised on days of its own. Each
workload is timed as the median of several runs and printed as enterprises per second
and as a ratio to a three-valued plain-Python function that gives the same findings and
undetermined rules as ``assess`` (checked on every enterprise). Rates are per second of
this process's CPU time, not of the wall clock: on a shared machine the wall clock also
counts the time other jobs held the cores (the load average is printed with the figures;
one-off timings show both).

- the benchmark's old workload (each enterprise in one of five industries, naming
  none, so 60 of the 300 rules apply); every rule applicable; fact validation included;
  1,000 distinct dates with random industry sets, on both rulebooks;
- the references: the three-valued function, the old two-valued function, zen-engine
  (one fused expression, two-valued: missing facts defaulted), durable_rules 2.0.28;
- a columnar path: every rule as a Polars expression over all enterprises at once, with
  Kleene logic, checked against the three-valued function;
- the bundled rulebook: its example enterprises on one date and on 1,000 dates, load and
  ``check``;
- 100,000 enterprises on mixed dates in one process, and ``screen`` of enterprise files in
  one process and over two worker processes;
- scaling series with their exponents (time ~ size^k): load, ``compile_all`` and
  ``check`` for 100 to 10,000 rules with their own dates; assessment for 1 to 1,000 dates;
- memory as process RSS and as traced peaks; start-up (import, a CLI run).

zen-engine, durable_rules and Polars come from the optional ``bench`` extra; a missing one
is reported as null. The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import gc
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402

from safety_rules import Rulebook, check_rulebook  # noqa: E402
from safety_rules.engine._batch import screen  # noqa: E402
from safety_rules.engine._expressions import BoolOp, Compare, Const, Expr, FactRef, Not  # noqa: E402
from safety_rules.engine._loader import load_parts  # noqa: E402
from safety_rules.engine._rulebook import default_rules_path  # noqa: E402

AS_OF = synthetic.AS_OF
DEFAULTS = {"bool": False, "number": 0, "enum": ""}
ROOT = Path(__file__).resolve().parent.parent
Rules = list[tuple[Expr, Expr]]  # (applies_to, when) of each version in force, in rule order


def median_rate(fn: Callable[[], Any], count: int, repeat: int) -> float:
    """Items per CPU second for ``fn`` processing ``count`` items: the median of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return count / statistics.median(times)


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result) of one call of ``fn``."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def load_average() -> float:
    return round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else float("nan")


def rss_mb() -> float:
    """The process's resident memory now (not its peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def exponent(sizes: list[float], times: list[float]) -> float:
    """k of time ~ size^k, by least squares on the logarithms."""
    xs, ys = [math.log(s) for s in sizes], [math.log(max(t, 1e-9)) for t in times]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


# ------------------------------------------------------------------ references


def _names(e: Expr) -> list[str]:
    return sorted(e.facts)


def plain_python(rules: Rules, types: dict[str, Any]) -> Callable[[dict[str, Any]], list[int]]:
    """The old reference: one generated two-valued function, missing facts defaulted; returns
    the violated rules' indexes. Less work than ``assess``: it cannot say "undetermined"."""
    def py(e: Expr) -> str:
        if isinstance(e, FactRef):
            return f"v_{e.id}"
        if isinstance(e, Const):
            return repr(e.value)
        if isinstance(e, Not):
            return f"(not {py(e.operand)})"
        if isinstance(e, BoolOp):
            return "(" + f" {e.op} ".join(py(o) for o in e.operands) + ")"
        if isinstance(e, Compare):
            return f"({py(e.left)} {e.op} {py(e.right)})"
        raise TypeError(type(e).__name__)

    used = sorted({f for a, w in rules for f in a.facts | w.facts})
    lines = ["def plain(f):", "    g = f.get", *(f"    v_{f} = g({f!r}, {DEFAULTS[types[f].kind]!r})" for f in used),
             "    out = []", *(f"    if {py(a)} and {py(w)}: out.append({i})" for i, (a, w) in enumerate(rules)),
             "    return out"]
    ns: dict[str, Any] = {}
    exec("\n".join(lines), ns)  # noqa: S102
    fn: Callable[[dict[str, Any]], list[int]] = ns["plain"]
    return fn


def plain_python3(rules: Rules) -> Callable[[dict[str, Any]], tuple[list[int], list[int]]]:
    """The three-valued reference: one generated function, unknown as None with Kleene logic
    written inline (what a careful programmer would write by hand); returns the indexes of
    the violated and of the undetermined rules, as ``assess`` classifies them."""
    counter = iter(range(10**9))

    def py(e: Expr) -> str:
        if isinstance(e, FactRef):
            return f"v_{e.id}"
        if isinstance(e, Const):
            return repr(e.value)
        if isinstance(e, Not):
            t = f"t{next(counter)}"
            return f"(None if ({t} := {py(e.operand)}) is None else not {t})"
        if isinstance(e, Compare):
            assert isinstance(e.left, FactRef) and isinstance(e.right, Const)
            return f"(None if v_{e.left.id} is None else v_{e.left.id} {e.op} {e.right.value!r})"
        if isinstance(e, BoolOp):
            decisive, other = ("False", "True") if e.op == "and" else ("True", "False")
            ts = [f"t{next(counter)}" for _ in e.operands]
            settle = " or ".join(f"({t} := {py(o)}) is {decisive}" for t, o in zip(ts, e.operands, strict=True))
            return f"({decisive} if {settle} else (None if {' or '.join(f'{t} is None' for t in ts)} else {other}))"
        raise TypeError(type(e).__name__)

    used = sorted({f for a, w in rules for f in a.facts | w.facts})
    lines = ["def plain3(f):", "    g = f.get", *(f"    v_{f} = g({f!r})" for f in used), "    bad, unknown = [], []"]
    for i, (a, w) in enumerate(rules):
        lines += [f"    a = {py(a)}", "    if a is None:", f"        unknown.append({i})", "    elif a:",
                  f"        w = {py(w)}", f"        if w: bad.append({i})",
                  f"        elif w is None: unknown.append({i})"]
    lines.append("    return bad, unknown")
    ns: dict[str, Any] = {}
    exec("\n".join(lines), ns)  # noqa: S102
    fn: Callable[[dict[str, Any]], tuple[list[int], list[int]]] = ns["plain3"]
    return fn


def zen_expr(e: Expr) -> str:
    if isinstance(e, FactRef):
        return e.id
    if isinstance(e, Const):
        if isinstance(e.value, bool):
            return "true" if e.value else "false"
        if isinstance(e.value, tuple):
            return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in e.value) + "]"
        return json.dumps(e.value, ensure_ascii=False)
    if isinstance(e, Not):
        return f"(not ({zen_expr(e.operand)}))"
    if isinstance(e, BoolOp):
        return "(" + f" {e.op} ".join(zen_expr(o) for o in e.operands) + ")"
    if isinstance(e, Compare):
        return f"({zen_expr(e.left)} {e.op} {zen_expr(e.right)})"
    raise TypeError(type(e).__name__)


_INVERSE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


def durable_condition(e: Expr, m: Any, negate: bool = False) -> Any:
    """A durable_rules expression for ``e`` (negations pushed down to the comparisons)."""
    if isinstance(e, Not):
        return durable_condition(e.operand, m, not negate)
    if isinstance(e, FactRef):
        return getattr(m, e.id) == (not negate)
    if isinstance(e, BoolOp):
        parts = [durable_condition(o, m, negate) for o in e.operands]
        conj = (e.op == "and") != negate
        out = parts[0]
        for p in parts[1:]:
            out = (out & p) if conj else (out | p)
        return out
    if isinstance(e, Compare):
        assert isinstance(e.left, FactRef) and isinstance(e.right, Const)
        attr, value = getattr(m, e.left.id), e.right.value
        if e.op in ("in", "not in"):
            positive = (e.op == "in") != negate
            parts = [(attr == v) if positive else (attr != v) for v in value]
            out = parts[0]
            for p in parts[1:]:
                out = (out | p) if positive else (out & p)
            return out
        op = _INVERSE[e.op] if negate else e.op
        return {"==": attr.__eq__, "!=": attr.__ne__, "<": attr.__lt__, "<=": attr.__le__,
                ">": attr.__gt__, ">=": attr.__ge__}[op](value)
    raise TypeError(type(e).__name__)


def durable_engine(rules: Rules, defaults: dict[str, Any]) -> Callable[[dict[str, Any], int], None] | None:
    try:
        from durable.engine import MessageNotHandledException
        from durable.lang import assert_fact, m, retract_fact, ruleset, when_all
    except ImportError:
        return None
    names = []
    for start in range(0, len(rules), 50):  # one ruleset with all of them fails (error 303)
        name = f"bench_{start}"
        names.append(name)
        with ruleset(name):
            for i in range(start, min(start + 50, len(rules))):
                a, w = rules[i]

                def action(c: Any) -> None:  # one parameter: two make durable_rules asynchronous
                    pass

                action.__name__ = f"rule_{i}"  # durable_rules merges rules whose actions share a name
                when_all((m.anchor == 1) & durable_condition(a, m) & durable_condition(w, m))(action)

    def run(facts: dict[str, Any], eid: int) -> None:
        data = {**defaults, **facts, "anchor": 1, "eid": eid}
        for name in names:
            try:
                assert_fact(name, data)
            except MessageNotHandledException:  # no rule of this ruleset matched
                continue
            retract_fact(name, data)

    return run


def columnar(rules: Rules) -> Callable[[list[dict[str, Any]]], Any] | None:
    """Every rule as a Polars expression over a whole batch: Kleene ``&``/``|``/``~`` and
    comparisons with null give the three-valued semantics. Returns the outcome codes, one
    column per rule (0 not applicable, 1 compliant, 2 violated, 3 undetermined)."""
    try:
        import polars as pl
    except ImportError:
        return None

    def px(e: Expr) -> Any:
        if isinstance(e, FactRef):
            return pl.col(e.id)
        if isinstance(e, Not):
            return ~px(e.operand)
        if isinstance(e, BoolOp):
            out = px(e.operands[0])
            for o in e.operands[1:]:
                out = (out & px(o)) if e.op == "and" else (out | px(o))
            return out
        if isinstance(e, Compare):
            assert isinstance(e.left, FactRef) and isinstance(e.right, Const)
            col, v = pl.col(e.left.id), e.right.value
            if e.op in ("in", "not in"):
                inside = pl.when(col.is_null()).then(None).otherwise(col.is_in(list(v)))
                return inside if e.op == "in" else ~inside
            return {"==": col.__eq__, "!=": col.__ne__, "<": col.__lt__, "<=": col.__le__,
                    ">": col.__gt__, ">=": col.__ge__}[e.op](v)
        raise TypeError(type(e).__name__)

    codes = [pl.when(~px(a)).then(0).when(px(a).is_null()).then(3).when(px(w)).then(2).when(~px(w)).then(1)
             .otherwise(3).alias(f"r{i}") for i, (a, w) in enumerate(rules)]
    schema = {f: pl.Boolean if t.kind == "bool" else pl.Int64 if t.kind == "number" else pl.String
              for f, t in synthetic.fact_ids().items()}

    def run(batch: list[dict[str, Any]]) -> Any:
        return pl.DataFrame(batch, schema=schema).select(codes)

    return run


# ------------------------------------------------------------------ workloads


def scoped(book: Rulebook, raw: list[dict[str, Any]], industries: list[tuple[str, ...]]) -> list[Any]:
    return [book.enterprise(f"E{i}", f, industries=inds) for i, (f, inds) in enumerate(zip(raw, industries,
                                                                                            strict=True))]


def rules_in_force(book: Rulebook, day: dt.date) -> tuple[list[str], Rules]:
    ids, rules = [], []
    for rule_id in book.rule_ids:
        v = book.version_on(rule_id, day)
        if v is not None:
            ids.append(rule_id)
            rules.append((book.lineage(rule_id).applies_to, v.when))  # type: ignore[arg-type]
    return ids, rules


def agree3(book: Rulebook, ids: list[str], plain3: Callable[..., Any], firms: list[Any], raw: list[dict[str, Any]],
           day: dt.date) -> bool:
    """Whether the three-valued reference gives each enterprise exactly assess's findings and
    undetermined rules."""
    for firm, facts in zip(firms, raw, strict=True):
        result = book.assess(firm, day)
        bad, unknown = plain3(facts)
        if {ids[i] for i in bad} != {f.rule_id for f in result.findings} or \
                {ids[i] for i in unknown} != {u.rule_id for u in result.undetermined}:
            return False
    return True


def mixed(rng: random.Random, n: int, days: int) -> tuple[list[dt.date], list[tuple[str, ...]]]:
    """``days`` distinct dates from 2013 to 2025 and a random set of one to three industries,
    for each of ``n`` enterprises."""
    pool = sorted(rng.sample(range(365 * 12), days))
    dates = [dt.date(2013, 1, 1) + dt.timedelta(days=pool[rng.randrange(days)]) for _ in range(n)]
    return dates, [tuple(rng.sample(synthetic.INDUSTRIES, rng.randint(1, 3))) for _ in range(n)]


def stream(book: Rulebook, firms: list[Any], days: list[dt.date] | dt.date) -> int:
    """A batch job: assess, read the result, move on."""
    if isinstance(days, dt.date):
        return sum(len(r.findings) + r.counts.undetermined for r in (book.assess(e, days) for e in firms))
    return sum(len(r.findings) + r.counts.undetermined for r in (book.assess(e, d) for e, d in zip(firms, days,
                                                                                                   strict=True)))


def yaml_dump(data: Any) -> str:
    import yaml

    return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def cycle(items: list[Any], n: int) -> Iterator[Any]:
    for i in range(n):
        yield items[i % len(items)]


def subprocess_cpu(code: str, repeat: int) -> float:
    """Median CPU seconds of ``code`` in a fresh interpreter (what start-up costs on an idle core)."""
    probe = "import time\n_t = time.process_time()\n" + code + "\nprint(time.process_time() - _t)"
    runs = [float(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                                 cwd=ROOT).stdout.split()[-1]) for _ in range(repeat)]
    return statistics.median(runs)


# ------------------------------------------------------------------------ main


def main() -> None:  # noqa: PLR0915 - one script, one printout
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, about a minute")
    args = parser.parse_args()
    quick = args.quick
    n = 1000 if quick else 5000
    repeat = 3 if quick else 5
    rng = random.Random(5)
    fig: dict[str, Any] = {"load_average_start": load_average(), "cores": os.cpu_count()}
    tmp = Path(tempfile.mkdtemp())

    book = Rulebook.load(synthetic.write_rulebook(tmp / "plain", rules=300))
    revised = Rulebook.load(synthetic.write_rulebook(tmp / "revised", rules=300, revisions=True))
    types = book.facts.types
    raw = synthetic.enterprises(n)
    own = [tuple(i for i in synthetic.INDUSTRIES if f[f"ind_{i}"]) for f in raw]
    firms = [book.enterprise(f"E{i}", f) for i, f in enumerate(raw)]  # validated once, outside timing
    everything = [{**f, **{f"ind_{i}": True for i in synthetic.INDUSTRIES}} for f in raw]
    firms_all = [book.enterprise(f"A{i}", f) for i, f in enumerate(everything)]
    ids, rules = rules_in_force(book, AS_OF)
    plain = plain_python(rules, types)
    plain3 = plain_python3(rules)
    defaults = {k: DEFAULTS[t.kind] for k, t in types.items()}
    print(f"synthetic rulebook: {len(book.rule_ids)} rules, {len(types)} facts, {len(rules)} in force on {AS_OF}; "
          f"{n} enterprises, 5% of facts missing; median of {repeat} runs")
    fig["agree_three_valued"] = agree3(book, ids, plain3, firms[:300], raw[:300], AS_OF) and \
        agree3(book, ids, plain3, firms_all[:300], everything[:300], AS_OF)

    # -- the old workload: one industry each, named nowhere, so 60 rules apply
    fig["plain3_per_s"] = median_rate(lambda: [plain3(f) for f in raw], n, repeat)
    fig["plain2_per_s"] = median_rate(lambda: [plain(f) for f in raw], n, repeat)
    fig["assess_per_s"] = median_rate(lambda: stream(book, firms, AS_OF), n, repeat)
    fig["assess_many_per_s"] = median_rate(lambda: sum(len(r.findings) for r in book.assess_many(firms, AS_OF)),
                                           n, repeat)
    fig["assess_keep_all_per_s"] = median_rate(lambda: [book.assess(e, AS_OF) for e in firms], n, repeat)
    fig["assess_json_per_s"] = median_rate(lambda: [book.assess(e, AS_OF).model_dump_json() for e in firms[:n // 5]],
                                           n // 5, repeat)
    k = bisect.bisect_right(book._bounds, AS_OF)
    evaluators = book._plan(k, ()).evaluators

    def evaluate_only() -> None:
        for e in firms:
            out: Any = ([], [], [], [])
            for evaluate in evaluators:
                evaluate(e.facts, AS_OF, k, out)

    fig["evaluator_per_s"] = median_rate(evaluate_only, n, repeat)
    # -- each enterprise names its industry (as enterprise files do): the others' rules are skipped
    named = scoped(book, raw, own)
    fig["assess_named_per_s"] = median_rate(lambda: stream(book, named, AS_OF), n, repeat)
    # -- every rule applicable
    fig["plain3_all_per_s"] = median_rate(lambda: [plain3(f) for f in everything], n, repeat)
    fig["assess_all_per_s"] = median_rate(lambda: stream(book, firms_all, AS_OF), n, repeat)
    # -- fact validation included: the mapping as it arrives
    fig["assess_validating_per_s"] = median_rate(lambda: [book.assess(f, AS_OF) for f in raw], n, repeat)
    # -- 1,000 distinct dates and random industry sets, on both rulebooks
    dates, sets = mixed(rng, n, 1000)
    mixed_firms = scoped(book, raw, sets)
    fig["assess_mixed_per_s"] = median_rate(lambda: stream(book, mixed_firms, dates), n, repeat)
    fig["assess_mixed_sets_one_date_per_s"] = median_rate(lambda: stream(book, mixed_firms, AS_OF), n, repeat)
    revised_firms = scoped(revised, raw, sets)
    fig["revised_one_date_per_s"] = median_rate(lambda: stream(revised, revised_firms, AS_OF), n, repeat)
    rss_before = rss_mb()
    fig["revised_mixed_per_s"] = median_rate(lambda: stream(revised, revised_firms, dates), n, repeat)
    fig["revised_mixed_rss_growth_mb"] = round(rss_mb() - rss_before, 1)
    fig["revised_stretches"] = len(revised._bounds) + 1

    # -- third-party engines, on the old workload and with every rule applicable
    try:
        import zen
        fused = zen.compile_expression("[" + ", ".join(f"({zen_expr(a)}) and ({zen_expr(w)})" for a, w in rules) + "]")
        fig["zen_per_s"] = median_rate(lambda: [fused.evaluate({**defaults, **f}) for f in raw], n, repeat)
        fig["zen_all_per_s"] = median_rate(lambda: [fused.evaluate({**defaults, **f}) for f in everything], n, repeat)
        complete = synthetic.enterprises(40, missing=0.0, seed=5)
        fig["zen_agrees_on_complete_facts"] = all(
            {k for k, hit in enumerate(fused.evaluate({**defaults, **f})) if hit} == set(plain(f)) ==
            set(plain3(f)[0]) for f in complete)
    except ImportError:
        fig["zen_per_s"] = fig["zen_all_per_s"] = fig["zen_agrees_on_complete_facts"] = None
    durable = durable_engine(rules, defaults)
    some = raw[:10 if quick else 60]
    fig["durable_rules_per_s"] = median_rate(lambda: [durable(f, i) for i, f in enumerate(some)], len(some), 1) \
        if durable else None

    # -- the columnar path
    batch = columnar(rules)
    if batch is not None:
        import polars as pl
        frame = pl.DataFrame(raw, schema={f: pl.Boolean if t.kind == "bool" else pl.Int64 if t.kind == "number"
                                          else pl.String for f, t in types.items()})
        codes = batch(raw).rows()
        ok = True
        for row, facts in zip(codes, raw, strict=True):
            bad, unknown = plain3(facts)
            ok &= {i for i, c in enumerate(row) if c == 2} == set(bad) and {i for i, c in enumerate(row) if c == 3} == \
                set(unknown)
        fig["columnar_agrees"] = ok
        fig["columnar_per_s"] = median_rate(lambda: batch(raw), n, repeat)
        fig["columnar_frame_only_per_s"] = median_rate(lambda: pl.DataFrame(raw, schema=frame.schema), n, repeat)
    else:
        fig["columnar_agrees"] = fig["columnar_per_s"] = fig["columnar_frame_only_per_s"] = None

    # -- the bundled rulebook: its example enterprises (named industries, provinces, records)
    wall, cpu, bundled = timed(lambda: Rulebook.load(default_rules_path()))
    fig["bundled_load_s"], fig["bundled_load_cpu_s"] = round(wall, 2), round(cpu, 2)
    wall, cpu, _ = timed(lambda: check_rulebook(default_rules_path()))
    fig["bundled_check_s"], fig["bundled_check_cpu_s"] = round(wall, 2), round(cpu, 2)
    fig["bundled_rules"], fig["bundled_versions"] = len(bundled.rule_ids), len(bundled._versions)
    examples = [bundled.load_enterprise(p) for p in sorted((ROOT / "examples" / "enterprises").glob("*.yaml"))]
    fig["bundled_enterprises"] = len(examples)
    real = list(cycle(examples, n))
    fig["bundled_per_s"] = median_rate(lambda: stream(bundled, real, dt.date(2024, 6, 1)), n, repeat)
    bundled_days, _ = mixed(random.Random(3), n, 1000)
    fig["bundled_mixed_per_s"] = median_rate(lambda: stream(bundled, real, bundled_days), n, repeat)
    fig["bundled_json_per_s"] = median_rate(lambda: [bundled.assess(e, dt.date(2024, 6, 1)).model_dump_json()
                                                     for e in real[:n // 5]], n // 5, repeat)

    # -- 100,000 enterprises on mixed dates, one process, results streamed
    big = 20_000 if quick else 100_000
    big_dates, big_sets = mixed(random.Random(9), big, 1000)
    gc.collect()
    rss_before = rss_mb()
    fig["big_n"] = big
    wall, cpu, _ = timed(lambda: [book.assess(book.enterprise(f"B{i}", raw[i % n], industries=big_sets[i]),
                                              big_dates[i]).counts.findings for i in range(big)][-1])
    fig["big_mixed_s"], fig["big_mixed_cpu_s"] = round(wall, 2), round(cpu, 2)
    fig["big_rss_growth_mb"] = round(rss_mb() - rss_before, 1)

    # -- screen: enterprise files in, JSON lines out, in one process and over two workers
    files = tmp / "enterprises"
    files.mkdir()
    screened = 500 if quick else 2000
    for i in range(screened):
        (files / f"e{i:05d}.yaml").write_text(yaml_dump({
            "enterprise": {"id": f"S{i}", "industries": list(sets[i % n]), "inspected_on": dates[i % n]},
            "facts": raw[i % n]}), encoding="utf-8")
    paths = sorted(files.iterdir())
    wall, cpu, one = timed(lambda: list(screen(book, paths)))
    fig["screen_n"], fig["screen_s"], fig["screen_cpu_s"] = screened, round(wall, 2), round(cpu, 2)
    wall, _cpu, two = timed(lambda: list(screen(book, paths, jobs=2)))
    fig["screen_2_jobs_s"] = round(wall, 2)  # the workers' CPU is not this process's
    fig["screen_same_lines"] = one == two

    # -- memory: a fresh load plus 500 assessments streamed, traced
    gc.collect()
    tracemalloc.start()
    measured = Rulebook.load(tmp / "plain")
    for i, f in enumerate(raw[:500]):
        measured.assess(measured.enterprise("m", f, industries=sets[i]), dates[i])
    fig["traced_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    tracemalloc.stop()
    del measured

    # -- scaling: dates
    series_days = [1, 10, 100, 1000]
    per_day = []
    for d in series_days:
        ds, _ = mixed(random.Random(d), n, d)
        fresh = Rulebook.load(tmp / "revised")
        fresh_firms = scoped(fresh, raw, sets)
        per_day.append(1 / median_rate(lambda fresh=fresh, fresh_firms=fresh_firms, ds=ds: stream(
            fresh, fresh_firms, ds), n, repeat))
    fig["dates_series"] = dict(zip(series_days, [round(1 / t) for t in per_day], strict=True))
    fig["dates_exponent"] = round(exponent(series_days, per_day), 3)

    # -- scaling: rules with their own dates
    sizes = [100, 300, 1000] if quick else [100, 1000, 3000, 10000]
    series: dict[int, dict[str, float]] = {}
    for size in sizes:
        root = synthetic.write_rulebook(tmp / f"r{size}", rules=size, revisions=True)
        wall, cpu, (parts, _) = timed(lambda root=root: load_parts(root))
        row = series[size] = {"load_s": round(wall, 2), "load_cpu_s": round(cpu, 2)}
        assert parts is not None
        wall, cpu, _ = timed(lambda parts=parts: Rulebook(parts).compile_all())
        row["compile_all_s"], row["compile_all_cpu_s"] = round(wall, 2), round(cpu, 2)
        del parts
        wall, cpu, report = timed(lambda root=root: check_rulebook(root))
        row["check_s"], row["check_cpu_s"] = round(wall, 2), round(cpu, 2)
        assert report.ok, report.problems[:3]
    fig["rules_series"] = series
    for what in ("load", "compile_all", "check"):
        fig[f"{what}_exponent"] = round(exponent(sizes, [series[s][f"{what}_cpu_s"] for s in sizes]), 2)

    # -- start-up
    fig["import_cpu_s"] = round(subprocess_cpu("import safety_rules", repeat), 3)
    fig["cli_assess_cpu_s"] = round(subprocess_cpu(
        "import sys, contextlib, io\nsys.argv = ['safety-rules', 'assess', *sorted(__import__('glob').glob("
        "'examples/enterprises/*.yaml')), '--as-of', '2024-06-01']\nfrom safety_rules.cli._app import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    try:\n        main()\n    except SystemExit:\n"
        "        pass", repeat), 3)
    fig["rss_mb"] = round(rss_mb(), 1)
    fig["load_average_end"] = load_average()

    report_figures(fig)


def report_figures(fig: dict[str, Any]) -> None:
    base = fig["plain3_per_s"]

    def row(label: str, key: str, ref: float | None = None) -> None:
        v = fig[key]
        ref = ref or base
        shown = f"{v:>12,.0f}{v / ref:>10.2f}x" if v else f"{'n/a':>12}"
        print(f"  {label:<58}{shown}")

    print(f"\nload average {fig['load_average_start']} at the start, {fig['load_average_end']} at the end, "
          f"{fig['cores']} cores; rates per CPU second of this process")
    print(f"three-valued reference gives assess's findings and undetermined rules: {fig['agree_three_valued']}")
    print(f"\n{'':<60}{'per second':>12}{'vs ref.':>11}")
    print("one date, each enterprise in one of five industries, naming none (60 of 300 rules apply):")
    row("three-valued plain Python (the reference)", "plain3_per_s")
    row("two-valued plain Python, missing facts defaulted", "plain2_per_s")
    row("zen-engine, one fused expression (two-valued)", "zen_per_s")
    row("durable_rules 2.0.28 (two-valued)", "durable_rules_per_s")
    row("assess, results streamed", "assess_per_s")
    row("assess_many", "assess_many_per_s")
    row("assess, every result kept", "assess_keep_all_per_s")
    row("assess + JSON with explanations", "assess_json_per_s")
    row("the compiled evaluators alone", "evaluator_per_s")
    row("assess, enterprises naming their industry", "assess_named_per_s")
    row("assess, facts validated as they arrive", "assess_validating_per_s")
    row("columnar: Polars, Kleene logic, the whole batch at once", "columnar_per_s")
    row("  of which building the data frame from the dicts", "columnar_frame_only_per_s")
    print("every rule applicable:")
    row("three-valued plain Python", "plain3_all_per_s", fig["plain3_all_per_s"])
    row("zen-engine (two-valued)", "zen_all_per_s", fig["plain3_all_per_s"])
    row("assess", "assess_all_per_s", fig["plain3_all_per_s"])
    print("1,000 distinct dates, random sets of 1-3 industries (vs the same enterprises on one date):")
    row("assess, rulebook of shared dates", "assess_mixed_per_s", fig["assess_mixed_sets_one_date_per_s"])
    row(f"assess, every rule revised on its own days ({fig['revised_stretches']} stretches)", "revised_mixed_per_s",
        fig["revised_one_date_per_s"])
    print(f"  process RSS growth over those runs: {fig['revised_mixed_rss_growth_mb']} MB")
    print(f"bundled rulebook ({fig['bundled_rules']} rules, {fig['bundled_versions']} versions), its "
          f"{fig['bundled_enterprises']} example enterprises, streamed: {fig['bundled_per_s']:,.0f}/s on 2024-06-01, "
          f"{fig['bundled_mixed_per_s']:,.0f}/s on 1,000 dates from 2013 to 2024, {fig['bundled_json_per_s']:,.0f}/s "
          f"with JSON; "
          f"load {fig['bundled_load_s']} s (CPU {fig['bundled_load_cpu_s']} s), check {fig['bundled_check_s']} s "
          f"(CPU {fig['bundled_check_cpu_s']} s)")
    print(f"{fig['big_n']:,} enterprises on 1,000 distinct dates in one process, streamed: {fig['big_mixed_s']} s "
          f"(CPU {fig['big_mixed_cpu_s']} s); RSS growth {fig['big_rss_growth_mb']} MB")
    print(f"screen, {fig['screen_n']:,} enterprise files: {fig['screen_s']} s in one process (CPU "
          f"{fig['screen_cpu_s']} s), {fig['screen_2_jobs_s']} s over two workers; same lines: "
          f"{fig['screen_same_lines']}")
    print(f"traced peak, load + 500 assessments on mixed dates: {fig['traced_peak_mb']} MB; "
          f"process RSS now {fig['rss_mb']} MB")
    print(f"dates 1 -> 1,000 (every rule revised on its own days): {fig['dates_series']} per s; "
          f"time per enterprise ~ dates^{fig['dates_exponent']}")
    print("rules with their own dates, wall (CPU) seconds:")
    for size, v in fig["rules_series"].items():
        print(f"  {size:>6,}: load {v['load_s']} ({v['load_cpu_s']}), compile_all {v['compile_all_s']} "
              f"({v['compile_all_cpu_s']}), check {v['check_s']} ({v['check_cpu_s']})")
    print(f"  exponents of CPU time: load {fig['load_exponent']}, compile_all {fig['compile_all_exponent']}, "
          f"check {fig['check_exponent']}")
    print(f"start-up, CPU: import safety_rules {fig['import_cpu_s']} s; "
          f"safety-rules assess on the {fig['bundled_enterprises']} example files {fig['cli_assess_cpu_s']} s")
    print(f"columnar path agrees with the three-valued reference: {fig['columnar_agrees']}; "
          f"zen-engine agrees on complete facts: {fig['zen_agrees_on_complete_facts']}")
    out = {k: (round(v, 1) if isinstance(v, float) and k.endswith("per_s") else v) for k, v in fig.items()}
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
