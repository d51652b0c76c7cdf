"""Assessment speed against reference engines, all in one process.

    python benchmarks/engine.py [--quick] [--enterprises N]

Measures, on a synthetic rulebook of 300 rules (200 facts per enterprise, 5% missing):

- ``assess``: the library, full three-valued semantics, findings with citations and
  explanations, undetermined rules with their missing facts; and ``assess_many``;
- the same rules as one generated plain-Python function for the whole rulebook
  (two-valued, missing facts defaulted: the practical limit of pure Python);
- the same rules as one fused zen-engine expression (the fastest third-party engine we
  measured);
- durable_rules 2.0.28 (the design card's engine), rulesets of 50 rules with a constant
  anchor test per rule and unique action names, facts asserted and retracted per enterprise;

plus the bundled rulebook's throughput, load + validate + compile time for 300 rules, and
peak memory. zen-engine and durable_rules come from the optional ``bench`` extra; a missing
one is reported as null. The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402

from safety_rules import Rulebook  # noqa: E402
from safety_rules.engine._expressions import BoolOp, Compare, Const, Expr, FactRef, Not  # noqa: E402
from safety_rules.engine._rulebook import default_rules_path  # noqa: E402

AS_OF = synthetic.AS_OF
DEFAULTS = {"bool": False, "number": 0, "enum": ""}


def rate(fn: Callable[[], Any], count: int, repeat: int = 3) -> float:
    """Items per second for ``fn`` processing ``count`` items, best of ``repeat``."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return count / best


# ------------------------------------------------------------------ translators


def py_expr(e: Expr) -> str:
    if isinstance(e, FactRef):
        return f"v_{e.id}"
    if isinstance(e, Const):
        return repr(e.value)
    if isinstance(e, Not):
        return f"(not {py_expr(e.operand)})"
    if isinstance(e, BoolOp):
        return "(" + f" {e.op} ".join(py_expr(o) for o in e.operands) + ")"
    if isinstance(e, Compare):
        return f"({py_expr(e.left)} {e.op} {py_expr(e.right)})"
    raise TypeError(type(e).__name__)


def plain_python(rules: list[tuple[Expr, Expr]], types: dict[str, Any]) -> Callable[[dict[str, Any]], list[int]]:
    """One generated two-valued function for the whole rulebook: returns violated rule indexes."""
    used = sorted({f for a, w in rules for f in a.facts | w.facts})
    lines = ["def plain(f):", "    g = f.get"]
    lines += [f"    v_{f} = g({f!r}, {DEFAULTS[types[f].kind]!r})" for f in used]
    lines.append("    out = []")
    for i, (a, w) in enumerate(rules):
        lines.append(f"    if {py_expr(a)} and {py_expr(w)}: out.append({i})")
    lines.append("    return out")
    ns: dict[str, Any] = {}
    exec("\n".join(lines), ns)  # noqa: S102
    fn: Callable[[dict[str, Any]], list[int]] = ns["plain"]
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
        op = {"not in": "not in"}.get(e.op, e.op)
        return f"({zen_expr(e.left)} {op} {zen_expr(e.right)})"
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


def _action(fired: list[tuple[int, int]], index: int) -> Callable[[Any], None]:
    # One parameter only: durable_rules treats a two-parameter action as asynchronous.
    def action(c: Any) -> None:
        fired.append((c.m.eid, index))

    action.__name__ = f"rule_{index}"  # durable_rules merges rules whose actions share a name
    return action


DurableRun = Callable[[dict[str, Any], int], None]


def durable_engine(rules: list[tuple[Expr, Expr]],
                   defaults: dict[str, Any]) -> tuple[DurableRun, list[tuple[int, int]]] | None:
    try:
        from durable.engine import MessageNotHandledException
        from durable.lang import assert_fact, m, retract_fact, ruleset, when_all
    except ImportError:
        return None
    fired: list[tuple[int, int]] = []
    names = []
    for start in range(0, len(rules), 50):  # one ruleset with all of them fails (error 303)
        name = f"bench_{start}"
        names.append(name)
        with ruleset(name):
            for i in range(start, min(start + 50, len(rules))):
                a, w = rules[i]
                condition = (m.anchor == 1) & durable_condition(a, m) & durable_condition(w, m)
                when_all(condition)(_action(fired, i))

    def run(facts: dict[str, Any], eid: int) -> None:
        data = {**defaults, **facts, "anchor": 1, "eid": eid}
        for name in names:
            try:
                assert_fact(name, data)
            except MessageNotHandledException:  # no rule of this ruleset matched
                continue
            retract_fact(name, data)

    return run, fired


# ------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smaller run, under a minute")
    parser.add_argument("--enterprises", type=int, default=None)
    args = parser.parse_args()
    n = args.enterprises or (500 if args.quick else 5000)
    n_durable = 10 if args.quick else 60

    with tempfile.TemporaryDirectory() as tmp:
        root = synthetic.write_rulebook(Path(tmp) / "rules", rules=300)
        load_times = []
        for _ in range(3):
            start = time.perf_counter()
            book = Rulebook.load(root)
            book._slice(AS_OF)  # compile the slice in force on the date assessed
            load_times.append(time.perf_counter() - start)
        load_s = min(load_times)

        raw = synthetic.enterprises(n)
        firms = [book.enterprise(f"E{i}", f) for i, f in enumerate(raw)]  # validated once, outside timing

        # memory: a fresh load plus assessing every enterprise, streamed
        gc.collect()
        tracemalloc.start()
        measured = Rulebook.load(root)
        for e in raw[:500]:
            assert measured.assess(measured.enterprise("m", e), AS_OF).counts is not None
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del measured

    part = book._slice(AS_OF)
    rules = [(book.lineage(v.lineage_id).applies_to, v.when) for v in part.versions]
    types = book.facts.types
    print(f"synthetic rulebook: {len(book.rule_ids)} rules, {len(types)} facts; "
          f"{len(part.versions)} versions in force on {AS_OF}; {n} enterprises, 5% of facts missing")
    print(f"load + validate + compile: {load_s:.3f} s")

    def stream() -> int:  # a batch job: assess, read the result, move on
        return sum(len(r.findings) + r.counts.undetermined for r in (book.assess(e, AS_OF) for e in firms))

    figures: dict[str, Any] = {}
    figures["assess_per_s"] = rate(stream, n)
    figures["assess_many_per_s"] = rate(lambda: sum(len(r.findings) for r in book.assess_many(firms, AS_OF)), n)
    figures["assess_keep_all_per_s"] = rate(lambda: [book.assess(e, AS_OF) for e in firms], n)
    figures["assess_json_per_s"] = rate(lambda: [book.assess(e, AS_OF).model_dump_json() for e in firms], n)
    figures["evaluator_only_per_s"] = rate(lambda: [part.evaluate(e.facts, AS_OF) for e in firms], n)
    # As enterprise files normally are: each names its industry, so the other industries'
    # rules are not evaluated at all (the comparisons above evaluate all 300 rules).
    scoped = [book.enterprise(e.id, e.facts, industries=[i for i in synthetic.INDUSTRIES if e.facts[f"ind_{i}"]])
              for e in firms]
    figures["assess_scoped_per_s"] = rate(
        lambda: sum(len(r.findings) for r in (book.assess(e, AS_OF) for e in scoped)), n)
    sample = [book.assess(e, AS_OF) for e in firms[:200]]
    per_firm = (sum(r.counts.findings for r in sample) / len(sample),
                sum(r.counts.undetermined for r in sample) / len(sample))

    defaults = {k: DEFAULTS[t.kind] for k, t in types.items()}
    plain = plain_python(rules, types)  # type: ignore[arg-type]
    figures["plain_python_per_s"] = rate(lambda: [plain(f) for f in raw], n)

    try:
        import zen
        fused = zen.compile_expression("[" + ", ".join(f"({zen_expr(a)}) and ({zen_expr(w)})" for a, w in rules) + "]")
        figures["zen_per_s"] = rate(lambda: [fused.evaluate({**defaults, **f}) for f in raw], n)
    except ImportError:
        fused = None
        figures["zen_per_s"] = None

    durable = durable_engine(rules, defaults)  # type: ignore[arg-type]
    if durable is not None:
        run, fired = durable
        some = raw[:n_durable]
        figures["durable_rules_per_s"] = rate(lambda: [run(f, i) for i, f in enumerate(some)], n_durable, repeat=1)
    else:
        figures["durable_rules_per_s"] = None

    # The engines must agree where they can: on complete facts two-valued and three-valued coincide.
    complete = synthetic.enterprises(40, missing=0.0, seed=5)
    agree = True
    for i, f in enumerate(complete):
        mine = {part.versions.index(v) for v in part.versions
                if v.lineage_id in {x.rule_id for x in book.assess(book.enterprise("c", f), AS_OF).findings}}
        agree &= mine == set(plain(f))
        if fused is not None:
            agree &= mine == {k for k, hit in enumerate(fused.evaluate({**defaults, **f})) if hit}
        if durable is not None and i < 10:
            fired.clear()
            run(f, 10_000 + i)
            agree &= mine == {k for _, k in fired}
    print(f"engines agree on {len(complete)} enterprises with complete facts: {agree}")

    bundled = Rulebook.load(default_rules_path())
    examples = sorted((Path(__file__).resolve().parent.parent / "examples" / "enterprises").glob("*.yaml"))
    real = [bundled.load_enterprise(p) for p in examples] * max(1, n // 10)
    figures["bundled_assess_per_s"] = rate(lambda: [bundled.assess(e, dt.date(2024, 6, 1)) for e in real], len(real))

    figures["load_s"] = round(load_s, 4)
    figures["peak_mb"] = round(peak / 2**20, 1)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    base = figures["plain_python_per_s"]
    print()
    print(f"{'engine':<34}{'enterprises/s':>14}{'vs plain Python':>17}")
    print(f"per enterprise: {per_firm[0]:.1f} findings, {per_firm[1]:.1f} undetermined (mean)")
    for key, label in [("assess_per_s", "safety_rules assess (streamed)"),
                       ("assess_many_per_s", "safety_rules assess_many"),
                       ("assess_keep_all_per_s", "  assess, keeping every result"),
                       ("assess_json_per_s", "  assess + JSON with explanations"),
                       ("evaluator_only_per_s", "  compiled evaluator alone"),
                       ("assess_scoped_per_s", "  assess, enterprises name their industry"),
                       ("plain_python_per_s", "plain Python function (2-valued)"),
                       ("zen_per_s", "zen-engine, fused expression"),
                       ("durable_rules_per_s", "durable_rules 2.0.28"),
                       ("bundled_assess_per_s", "assess, bundled rulebook")]:
        v = figures[key]
        shown = f"{v:>14,.0f}{v / base:>16.2f}x" if v else f"{'n/a':>14}"
        print(f"{label:<34}{shown}")
    zen_ratio = figures["assess_per_s"] / figures["zen_per_s"] if figures["zen_per_s"] else None
    dr_ratio = figures["assess_per_s"] / figures["durable_rules_per_s"] if figures["durable_rules_per_s"] else None
    print(f"assess / zen-engine: {zen_ratio:.2f}x" if zen_ratio else "assess / zen-engine: n/a")
    print(f"assess / durable_rules: {dr_ratio:,.0f}x" if dr_ratio else "assess / durable_rules: n/a")
    print(f"peak traced memory (load 300 rules + 500 assessments streamed): {figures['peak_mb']} MB; "
          f"process max RSS {rss_mb:.0f} MB")
    for k, v in figures.items():
        if isinstance(v, float) and k.endswith("per_s"):
            figures[k] = round(v, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
