"""A synthetic rulebook and synthetic enterprises for the benchmarks.

The rulebook has the bundled rulebook's shape (five industries, a fact catalog, a law
catalog whose editions renumber the articles, rule lineages with versions and
examples) but 300 rules over 200 facts, written to a directory so that it goes through
the same loader, validation and compiler as the real one. With ``revisions`` every
rule's versions start and end on days of their own (as when rules are revised one by
one), so that the timeline has about two stretches per rule. Everything is drawn from
a seeded generator: the same arguments give the same files.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import yaml

from safety_rules.engine._expressions import parse_expression
from safety_rules.engine._interpreter import evaluate
from safety_rules.engine._types import BOOL, Type

INDUSTRIES = ["mining", "hazchem", "metallurgy", "dust", "ammonia"]
ENUM_VALUES = ["甲", "乙", "丙", "丁"]
UNITS = ["m", "t", "person"]
AS_OF = dt.date(2022, 1, 1)


def fact_ids() -> dict[str, Type]:
    types: dict[str, Type] = {f"ind_{i}": BOOL for i in INDUSTRIES}
    types |= {f"b_{k:03d}": BOOL for k in range(120)}
    types |= {f"n_{k:03d}": Type("number", unit=UNITS[k % 3]) for k in range(60)}
    types |= {f"e_{k:03d}": Type("enum", values=tuple(ENUM_VALUES), origin=f"e_{k:03d}") for k in range(15)}
    return types


def _leaf(rng: random.Random) -> str:
    kind = rng.choice(["b", "b", "notb", "n", "n", "e", "ein"])
    if kind == "b":
        return f"b_{rng.randrange(120):03d}"
    if kind == "notb":
        return f"not b_{rng.randrange(120):03d}"
    if kind == "n":
        op = rng.choice([">", ">=", "<", "<="])
        return f"n_{rng.randrange(60):03d} {op} {rng.randrange(0, 100)}"
    if kind == "e":
        return f"e_{rng.randrange(15):03d} == '{rng.choice(ENUM_VALUES)}'"
    return f"e_{rng.randrange(15):03d} in {rng.sample(ENUM_VALUES, 2)!r}"


def _condition(rng: random.Random) -> str:
    """Shaped like real items ("hazard present and protection missing"): two or three
    groups, mostly joined by ``and``, so that about a fifth of applicable rules are violated."""
    groups = []
    for _ in range(rng.randint(2, 3)):
        leaves = [_leaf(rng) for _ in range(rng.randint(1, 2))]
        groups.append("(" + f" {rng.choice(['and', 'or'])} ".join(leaves) + ")")
    return f" {'and' if rng.random() < 0.85 else 'or'} ".join(groups)


def _random_facts(rng: random.Random, names: list[str], types: dict[str, Type]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n in names:
        t = types[n]
        if t.kind == "bool":
            out[n] = rng.random() < 0.5
        elif t.kind == "number":
            out[n] = rng.randrange(0, 100)
        else:
            out[n] = rng.choice(ENUM_VALUES)
    return out


def _examples(rng: random.Random, applies: str, when: str, types: dict[str, Type]) -> list[dict[str, Any]]:
    """One violated and one compliant example, found by sampling with the reference interpreter."""
    expr = parse_expression(when, types)
    names = sorted(expr.facts)
    found: dict[str, dict[str, Any]] = {}
    for _ in range(2000):
        facts = _random_facts(rng, names, types)
        outcome = "violated" if evaluate(expr, facts, AS_OF) else "compliant"
        found.setdefault(outcome, facts)
        if len(found) == 2:
            break
    # with none of the condition's facts known, the condition is unknown
    return [*({"name": f"synthetic {k}", "facts": {applies: True, **v}, "expect": k} for k, v in sorted(found.items())),
            {"name": "synthetic undetermined", "facts": {applies: True}, "expect": "undetermined"}]


LAW_EDITIONS = [("2002", dt.date(2002, 11, 1), None), ("2014", dt.date(2014, 12, 1), dt.date(2014, 10, 20)),
                ("2021", dt.date(2021, 9, 1), dt.date(2021, 6, 15))]


def _spans(rng: random.Random, k: int, revisions: bool) -> list[tuple[dt.date, dt.date | None]]:
    if not revisions:
        return [(dt.date(2015, 1, 1), dt.date(2020, 12, 31)), (dt.date(2021, 1, 1), None)] if k % 3 == 0 \
            else [(dt.date(2015, 1, 1), None)]
    start = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(1500))
    spans: list[tuple[dt.date, dt.date | None]] = []
    for _ in range(rng.choice([1, 2, 2, 3])):
        end = start + dt.timedelta(days=rng.randrange(400, 1600))
        spans.append((start, end))
        start = end + dt.timedelta(days=1)
    last = spans[-1]
    spans[-1] = (last[0], None if rng.random() < 0.8 else last[1])  # most rules are still in force
    return spans


def write_rulebook(root: Path, rules: int = 300, seed: int = 7, revisions: bool = False) -> Path:
    """Write a synthetic rulebook of ``rules`` lineages under ``root``; returns ``root``."""
    rng = random.Random(seed)
    types = fact_ids()
    root.mkdir(parents=True, exist_ok=True)
    (root / "facts").mkdir(exist_ok=True)
    (root / "law").mkdir(exist_ok=True)

    def dump(path: Path, data: Any) -> None:
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    dump(root / "rulebook.yaml", {"name": "synthetic", "version": "synthetic-1",
                                  "industries": {i: {"title": i} for i in INDUSTRIES}})
    facts: dict[str, Any] = {}
    for name, t in types.items():
        spec: dict[str, Any] = {"type": t.kind, "label": name, "question": f"{name}?"}
        if t.kind == "number":
            spec["unit"] = t.unit
        if t.kind == "enum":
            spec["values"] = list(ENUM_VALUES)
        facts[name] = spec
    dump(root / "facts" / "synthetic.yaml", {"facts": facts})
    # three editions, the later two renumbering every article: citations change with the date
    dump(root / "law" / "synthetic-law.yaml", {
        "id": "synthetic-law", "title": "合成法规", "kind": "law", "issuer": "benchmark",
        "editions": [{"id": eid, "label": f"{eid}年修正", "effective_from": start, "source_checked": True,
                      **({"published": published} if published else {})}
                     for eid, start, published in LAW_EDITIONS],
        "provisions": {f"p{k}": {"summary": f"条款{k}", "editions": {
            eid: {"article": k + 1 + 3 * n} for n, (eid, _s, _p) in enumerate(LAW_EDITIONS)}} for k in range(10)},
    })
    for k in range(rules):
        industry = INDUSTRIES[k % len(INDUSTRIES)]
        applies = f"ind_{industry}"
        versions = []
        for v, (start, end) in enumerate(_spans(rng, k, revisions), 1):
            when, examples = _condition(rng), []
            while len(examples) < 3:  # a tautology or contradiction has no example of one kind
                when = _condition(rng)
                examples = _examples(rng, applies, when, types)
            version: dict[str, Any] = {
                "version": str(v), "effective_from": start, "severity": rng.choice(["major_hazard", "violation"]),
                "when": when,
                "source": {"document": "synthetic-law", "provision": f"p{k % 10}", "source_checked": True},
                "citations": [{"document": "synthetic-law", "provision": f"p{(k + 1) % 10}", "role": "penalty"}],
                "rectification": {"deadline": 30, "hint": "整改"},
                "examples": examples,
            }
            if end is not None:
                version["effective_to"] = end
            versions.append(version)
        (root / industry).mkdir(exist_ok=True)
        dump(root / industry / f"rule-{k:03d}.yaml", {
            "id": f"{industry}.rule-{k:03d}", "industry": industry, "title": f"合成规则{k}",
            "applies_to": applies, "versions": versions})
    return root


def enterprises(n: int, missing: float = 0.05, seed: int = 11) -> list[dict[str, Any]]:
    """``n`` fact sets of about 200 facts each; a share ``missing`` of them left out."""
    rng = random.Random(seed)
    types = fact_ids()
    out = []
    for _ in range(n):
        industry = rng.choice(INDUSTRIES)
        facts: dict[str, Any] = {f"ind_{i}": i == industry for i in INDUSTRIES}
        others = [k for k in types if not k.startswith("ind_")]
        for name, value in _random_facts(rng, others, types).items():
            if rng.random() >= missing:
                facts[name] = value
        out.append(facts)
    return out
