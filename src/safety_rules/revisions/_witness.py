"""Witnesses: a smallest set of facts on which an old and a new condition give different results.

How: an exhaustive search over the facts the two conditions read, with values taken from the
constants they compare against (each constant itself, one unit either side, a value between
two constants, every enum value, true and false), each fact either given or left unknown,
fewer facts first; every candidate is evaluated by the reference interpreter of each
rulebook, the definition of what a condition means.

Why not an SMT solver: the semantics to match are three-valued (unknown is a value, ``x / 0``
is unknown, ``any`` over records, a derived fact read through a lookup table edition on the
date); encoding all of that for ``z3`` would be a second definition of the language that can
drift from the interpreter, and a witness it found would still have to be replayed through
the interpreter to be trusted. The conditions of a rulebook read a handful of facts each and
compare them with a few constants, and between two neighbouring constants every value of a
fact gives the same result for such comparisons, so the search is small and, for them,
complete. It is bounded by a budget of evaluations; a search cut short says so.

Records (a list of dust collectors) are searched as an empty list, or one record whose used
fields are given one by one, or two such records alike (``count(...) == 2`` needs two).

The same search answers the static warnings of ``check``: a sub-condition that no candidate
makes true is dead, one that none makes false is vacuous.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..engine._expressions import Aggregate, Compare, Const, Expr, FactRef, Field
from ..engine._facts import FactSpec, FieldSpec
from ..engine._rulebook import Rulebook

DEFAULT_BUDGET = 60_000
# date offsets tried beyond the day counts the conditions name (days_since(...) > 183)
_NEAR_DAYS = (0, 1, 365)


@dataclass(frozen=True)
class Slot:
    """One thing the search may set: a scalar fact, or one field of the first record of a records fact."""

    name: str  # "fact" or "fact[0].field"
    fact: str
    field: str | None
    candidates: tuple[Any, ...]


@dataclass
class SearchResult:
    facts: dict[str, Any] | None
    old: Hashable = None
    new: Hashable = None
    definite: bool = False
    evaluated: int = 0
    complete: bool = True  # the whole space was searched (no budget cut)


def expression_constants(exprs: Iterable[Expr]) -> tuple[list[float], list[dt.date], list[str]]:
    """Number, date and text constants the expressions use (``in`` lists included)."""
    numbers: set[float] = set()
    dates: set[dt.date] = set()
    texts: set[str] = set()
    for expr in exprs:
        for node in expr.walk():
            if not isinstance(node, Const):
                continue
            values = node.value if isinstance(node.value, tuple) else (node.value,)
            for v in values:
                if isinstance(v, bool):
                    continue
                if isinstance(v, int | float):
                    numbers.add(v)
                elif isinstance(v, dt.date):
                    dates.add(v)
                elif isinstance(v, str):
                    texts.add(v)
    return sorted(numbers), sorted(dates), sorted(texts)


def number_candidates(constants: Sequence[float], minimum: float | None = None,
                      maximum: float | None = None) -> list[float]:
    """One value per stretch between and at the constants, nearest the boundary first.

    For ``x >= 200`` that is 200, 201 and 199; between 0.5 and 1 it is 0.75. Integers are
    preferred where one fits, since most quantities an inspector records are counts or
    whole metres.
    """
    cs = sorted(set(constants)) or [0]
    out: list[float] = []
    for c in cs:
        out.append(c)
    for a, b in zip(cs, cs[1:], strict=False):
        above = math.floor(a) + 1
        out.append(above if above < b else (a + b) / 2)
    out.append(cs[-1] + 1)
    out.append(cs[0] - 1)
    if minimum is not None and minimum < cs[0] and minimum not in out:
        out.append(minimum)
    if maximum is not None and maximum > cs[-1] and maximum not in out:
        out.append(maximum)
    kept = []
    for v in out:
        v = int(v) if isinstance(v, float) and v.is_integer() else v
        if (minimum is not None and v < minimum) or (maximum is not None and v > maximum) or v in kept:
            continue
        kept.append(v)
    return kept


def _scalar_candidates(spec: FactSpec | FieldSpec, numbers: Sequence[float], dates: Sequence[dt.date],
                       texts: Sequence[str], as_of: dt.date) -> tuple[Any, ...]:
    if spec.type == "bool":
        return (True, False)
    if spec.type == "enum":
        return tuple(spec.values or ())
    if spec.type == "number":
        return tuple(number_candidates(numbers, spec.minimum, spec.maximum))
    if spec.type == "date":
        found: list[dt.date] = []
        for d in dates:
            found += [d, d - dt.timedelta(days=1), d + dt.timedelta(days=1)]
        for n in numbers:
            if float(n).is_integer() and 0 <= n <= 36_600:
                found += [as_of - dt.timedelta(days=int(n) + k) for k in (-1, 0, 1)]
        found += [as_of - dt.timedelta(days=k) for k in _NEAR_DAYS]
        return tuple(dict.fromkeys(found))
    # text: the strings compared against, and one that is none of them
    return (*texts, "（其他）")


def used_fields(exprs: Iterable[Expr]) -> dict[str, list[str]]:
    """For each records fact, the fields the expressions read, in first-use order."""
    found: dict[str, list[str]] = {}
    for expr in exprs:
        for node in expr.walk():
            if isinstance(node, Field) and node.name not in found.setdefault(node.source, []):
                found[node.source].append(node.name)
            elif isinstance(node, Aggregate):
                found.setdefault(node.source.id, [])
    return found


def observed_facts(exprs: Iterable[Expr], book: Rulebook) -> list[str]:
    """The observed facts behind ``exprs``, derived facts expanded, in first-use order."""
    pending = [f for e in exprs for f in e.sorted_facts]
    seen: list[str] = []
    done: set[str] = set()
    while pending:
        fid = pending.pop(0)
        if fid in done:
            continue
        done.add(fid)
        if fid in book.derived:
            pending[:0] = list(book.derived[fid].sorted_facts)
        else:
            seen.append(fid)
    return seen


def slots_for(exprs: Sequence[Expr], books: Sequence[Rulebook], as_of: dt.date) -> list[Slot]:
    """What the search may set for these expressions (read through each book's derived facts)."""
    everything: list[Expr] = list(exprs)
    facts: list[str] = []
    for book in books:
        for fid in observed_facts(exprs, book):
            if fid not in facts:
                facts.append(fid)
        everything += [book.derived[f] for f in _derived_behind(exprs, book)]
    numbers, dates, texts = expression_constants(everything)
    records = used_fields(everything)
    slots: list[Slot] = []
    for fid in facts:
        spec = next((b.facts.specs[fid] for b in books if fid in b.facts.specs), None)
        if spec is None:
            continue
        if spec.type == "records":
            assert spec.fields is not None
            slots.append(Slot(fid, fid, None, ((),)))
            for fname in records.get(fid, []):
                fspec = spec.fields.get(fname)
                if fspec is not None:
                    slots.append(Slot(f"{fid}[0].{fname}", fid, fname,
                                      _scalar_candidates(fspec, numbers, dates, texts, as_of)))
        else:
            slots.append(Slot(fid, fid, None, _scalar_candidates(spec, numbers, dates, texts, as_of)))
    return slots


def _derived_behind(exprs: Iterable[Expr], book: Rulebook) -> list[str]:
    pending = [f for e in exprs for f in e.sorted_facts]
    found: list[str] = []
    while pending:
        fid = pending.pop(0)
        if fid in book.derived and fid not in found:
            found.append(fid)
            pending += list(book.derived[fid].sorted_facts)
    return found


def assignments(slots: Sequence[Slot]) -> Iterator[dict[str, Any]]:
    """Every assignment of the slots, fewer facts given first (a records fact given whole as
    an empty list, or as one record built from its field slots, then as two such records)."""
    for k in range(len(slots) + 1):
        for chosen in itertools.combinations(slots, k):
            whole = {s.fact for s in chosen if s.field is None and s.candidates == ((),)}
            if any(s.field is not None and s.fact in whole for s in chosen):
                continue  # an empty list and a record of the same fact: say one or the other
            built = sorted({s.fact for s in chosen if s.field is not None})
            for values in itertools.product(*(s.candidates for s in chosen)):
                facts: dict[str, Any] = {}
                for s, v in zip(chosen, values, strict=True):
                    if s.field is None:
                        facts[s.fact] = list(v) if isinstance(v, tuple) else v
                    else:
                        record = facts.setdefault(s.fact, [{}])[0]
                        record[s.field] = v
                yield facts
                # the same records twice: count(...) == 2 and "two exits" need two of them
                for twice in itertools.chain.from_iterable(
                        itertools.combinations(built, n) for n in range(1, len(built) + 1)):
                    yield {**facts, **{f: [facts[f][0], dict(facts[f][0])] for f in twice}}


def search(slots: Sequence[Slot], old: Callable[[Mapping[str, Any]], Hashable],
           new: Callable[[Mapping[str, Any]], Hashable], definite: Callable[[Hashable], bool],
           budget: int = DEFAULT_BUDGET) -> SearchResult:
    """The first assignment, fewest facts first, on which ``old`` and ``new`` differ, preferring
    one on which both are decided; ``definite`` says whether a result is decided."""
    fallback: SearchResult | None = None
    evaluated = 0
    for facts in assignments(slots):
        if evaluated >= budget:
            if fallback is not None:
                fallback.complete = False
                fallback.evaluated = evaluated
                return fallback
            return SearchResult(None, evaluated=evaluated, complete=False)
        evaluated += 1
        a, b = old(facts), new(facts)
        if a == b:
            continue
        if definite(a) and definite(b):
            return SearchResult(facts, a, b, True, evaluated)
        if fallback is None:
            fallback = SearchResult(facts, a, b, False)
    if fallback is not None:
        fallback.evaluated = evaluated
        return fallback
    return SearchResult(None, evaluated=evaluated)


@dataclass
class Reach:
    """Which values a condition took over the whole search."""

    values: set[Any] = field(default_factory=set)
    complete: bool = True


def reach(slots: Sequence[Slot], value: Callable[[Mapping[str, Any]], Any],
          budget: int = DEFAULT_BUDGET, stop_at: frozenset[Any] = frozenset({True, False})) -> Reach:
    """The values ``value`` takes over every assignment (stopping once it has taken all of ``stop_at``)."""
    seen = Reach()
    for n, facts in enumerate(assignments(slots)):
        if n >= budget:
            seen.complete = False
            break
        seen.values.add(value(facts))
        if stop_at <= seen.values:
            break
    return seen


def compared_facts(expr: Expr) -> set[str]:
    """Facts compared directly with a constant somewhere in ``expr`` (for the boundary corpus)."""
    found = set()
    for node in expr.walk():
        if isinstance(node, Compare):
            for side, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(side, FactRef) and isinstance(other, Const):
                    found.add(side.id)
    return found
