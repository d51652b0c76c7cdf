"""The enforcement dossier at scale: 10,000 enterprises and 500,000 events.

    python benchmarks/dossier.py [--quick] [--pg-url URL]

For SQLite (a temporary file) and, when a server is given (``--pg-url`` or
$SAFETY_RULES_TEST_PG_URL; a scratch database is made on it and dropped), PostgreSQL:

- the store is filled through :class:`Dossier` (every event checked by the legal procedure,
  the read tables maintained in each append's transaction) with the histories that
  ``examples/dossier/generate.py`` writes for the sample campaigns: every enterprise a variant
  of an example enterprise, inspected and assessed by the bundled rulebook, each finding moved
  through the loop (orders, claims, re-inspections, extensions, suspensions, refusals, penalty
  cases to 结案 or court enforcement) on the dates the legal deadlines give. Every enterprise is
  inspected in 2023, and again 270-390 days later until the store holds the number of events
  asked for; nothing dated after the day the store is read on (``AS_OF``) is recorded;
- ``due`` (within 3 days) and ``warnings`` are timed on that day (median of 5 runs), and their
  query plans printed (EXPLAIN QUERY PLAN / EXPLAIN, after VACUUM ANALYZE on PostgreSQL, as
  autovacuum would do): each reads an index, or (PostgreSQL's choice when the query returns
  most of a small table) scans ``dossier_due``, which holds open deadlines only;
- appends are timed on the full store, one event per transaction and 100 per transaction
  (events of enterprises not yet in it), against plain SQLAlchemy inserting rows of the same
  columns and payloads into a plain table of the same database, and against the event store
  alone (the same payloads, no procedure and no read tables).

``--quick`` (1,000 enterprises, 50,000 events) takes about a minute. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from safety_rules import Rulebook
from safety_rules.dossier._store import Dossier
from safety_rules.dossier._warnings import query_plans
from safety_rules.shared._events import NewEvent

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2024, 11, 29)  # the day the store is read on: nothing later is recorded
BATCH = 100
LOAD_BATCH = 500
Event = tuple[str, str, dict[str, Any]]


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("dossier_sample", ROOT / "examples" / "dossier" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Histories:
    """Enterprise histories from the sample generator, one enterprise visit at a time (bounded memory)."""

    def __init__(self, book: Rulebook, seed: int) -> None:
        self.sample = _generator()
        self.campaign = self.sample.Campaign(book, random.Random(seed), VIOLATIONS)
        self.slots = [(team, example) for team, (examples, _) in self.sample.TEAMS.items() for example in examples]

    def visit(self, eid: str, n: int, visit: int, day: dt.date) -> list[Event]:
        """The events of the ``visit``-th inspection of enterprise ``eid`` on ``day`` and all that follows it, in
        date order, up to AS_OF."""
        team, example = self.slots[n % len(self.slots)]
        self.campaign.inspect(f"{day.year}", team, example, n, day, eid=eid, visit=visit)
        events = sorted(self.campaign.events, key=lambda e: (e[0], e[1]))
        self.campaign.events.clear()
        self.campaign.evidence.clear()
        return [(enterprise, kind, payload) for day_, _n, enterprise, kind, payload in events if day_ <= AS_OF]

    def day(self, start: dt.date, days: int) -> dt.date:
        return start + dt.timedelta(days=self.campaign.rng.randrange(days))


FIRST = (dt.date(2023, 1, 2), 365)  # first inspections during 2023
AGAIN = (270, 120)  # inspected again 270-390 days later, if that is before AS_OF
VIOLATIONS = 0.02  # each applicable rule's violating example, besides facts flipped at random (the sample: 0.45)


def workload(book: Rulebook, enterprises: int, target: int) -> Iterator[Event]:
    """``target`` events over ``enterprises``: each enterprise's first inspection and what has followed it by
    AS_OF, then re-inspections and what has followed them, until the target is reached."""
    histories = Histories(book, 20241129)
    first = [histories.day(*FIRST) for _ in range(enterprises)]
    count = 0
    for n, day in enumerate(first):
        history = histories.visit(f"E{n + 1:05d}", n, 1, day)
        count += len(history)
        if count > target:
            raise SystemExit(f"{enterprises} first inspections come to more than {target} events: ask for more")
        yield from history
    for n, day in enumerate(first):
        again = day + dt.timedelta(days=AGAIN[0] + histories.campaign.rng.randrange(AGAIN[1]))
        if again <= AS_OF:
            history = histories.visit(f"E{n + 1:05d}", n, 2, again)[:target - count]  # the last one cut short
            count += len(history)
            yield from history
            if count == target:
                return
    raise SystemExit(f"only {count} events for {enterprises} enterprises: ask for fewer")


def extra(book: Rulebook, count: int) -> list[Event]:
    """``count`` events of enterprises not in the store, for timing appends."""
    histories = Histories(book, 7)
    found: list[Event] = []
    n = 0
    while len(found) < count:
        found += histories.visit(f"X{n + 1:05d}", n, 1, histories.day(dt.date(2024, 6, 3), 60))
        n += 1
    return found[:count]


def rate(n: int, work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return n / (time.perf_counter() - start)


def median_seconds(work: Callable[[], object], runs: int = 5) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def load(dossier: Dossier, events: Iterator[Event]) -> tuple[int, float]:
    """Record the events in batches of LOAD_BATCH; (events, seconds)."""
    start, count, pending = time.perf_counter(), 0, []
    for event in events:
        pending.append(event)
        if len(pending) == LOAD_BATCH:
            dossier.record(pending)
            count += len(pending)
            pending = []
            if count % 50_000 == 0:
                print(f"  {count:,} events recorded, {count / (time.perf_counter() - start):,.0f}/s", flush=True)
    if pending:
        dossier.record(pending)
        count += len(pending)
    return count, time.perf_counter() - start


def appends(dossier: Dossier, url: str, fresh: list[Event], singles: int) -> dict[str, float]:
    """Appends on the full store: one per transaction, then BATCH per transaction; against plain SQLAlchemy
    and against the event store without the dossier."""
    one, batched = fresh[:singles], fresh[singles:]
    rows = [json.dumps(p, ensure_ascii=False, sort_keys=True) for _e, _k, p in fresh]
    plain = sa.Table(f"plain_{uuid.uuid4().hex[:8]}", sa.MetaData(),
                     sa.Column("seq", sa.BigInteger, primary_key=True), sa.Column("stream", sa.String(200)),
                     sa.Column("kind", sa.String(100)), sa.Column("recorded_at", sa.String(40)),
                     sa.Column("payload", sa.Text), sa.Column("prev_hash", sa.String(64)),
                     sa.Column("hash", sa.String(64)))
    engine = sa.create_engine(url)
    plain.create(engine)

    def row(k: int) -> dict[str, Any]:
        enterprise, kind, _ = fresh[k]
        return {"seq": k, "stream": f"dossier/{enterprise}", "kind": kind,
                "recorded_at": "2024-11-29T08:00:00.000000+00:00", "payload": rows[k], "prev_hash": "0" * 64,
                "hash": "0" * 64}

    def plain_single() -> None:
        for k in range(len(one)):
            with engine.begin() as c:
                c.execute(plain.insert(), row(k))

    def plain_batched() -> None:
        for start in range(len(one), len(fresh), BATCH):
            with engine.begin() as c:
                c.execute(plain.insert(), [row(k) for k in range(start, min(start + BATCH, len(fresh)))])

    bare = f"bench/{uuid.uuid4().hex[:8]}"

    def store_single() -> None:
        for _e, kind, payload in one:
            dossier.store.append([NewEvent(bare, kind, payload)])

    def store_batched() -> None:
        for start in range(0, len(batched), BATCH):
            dossier.store.append([NewEvent(bare, k, p) for _e, k, p in batched[start:start + BATCH]])

    def dossier_single() -> None:
        for event in one:
            dossier.record([event])

    def dossier_batched() -> None:
        for start in range(0, len(batched), BATCH):
            dossier.record(batched[start:start + BATCH])

    figures = {
        "plain_single_per_s": rate(len(one), plain_single), "store_single_per_s": rate(len(one), store_single),
        "single_per_s": rate(len(one), dossier_single),
        "plain_batched_per_s": rate(len(batched), plain_batched),
        "store_batched_per_s": rate(len(batched), store_batched), "batched_per_s": rate(len(batched), dossier_batched),
    }
    plain.drop(engine)
    engine.dispose()
    return figures


def uses_indexes(dialect: str, plan: list[str]) -> bool:
    text = " ".join(plan)
    if dialect == "sqlite":
        return "USING INDEX" in text or "USING COVERING INDEX" in text or "PRIMARY KEY" in text
    return "Index" in text and "Seq Scan" not in text


def measure(url: str, book: Rulebook, enterprises: int, target: int, singles: int, batched: int) -> dict[str, Any]:
    dossier = Dossier(url, book=book)
    count, seconds = load(dossier, workload(book, enterprises, target))
    with dossier.store.engine.connect() as c:
        stored = c.execute(sa.text("SELECT count(*) FROM dossier_enterprises")).scalar()
        open_deadlines = c.execute(sa.text("SELECT count(*) FROM dossier_due")).scalar()
    if dossier.store.engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load
        with dossier.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    figures: dict[str, Any] = {"enterprises": stored, "events": count, "load_per_s": round(count / seconds, 1),
                               "open_deadlines": open_deadlines}
    due_s, due = median_seconds(lambda: dossier.due(AS_OF, 3))
    county = due[0].county
    county_s, in_county = median_seconds(lambda: dossier.due(AS_OF, 3, county=county))
    warn_s, found = median_seconds(lambda: dossier.warnings(AS_OF))
    figures |= {"due_s": round(due_s, 4), "due_items": len(due), "due_county_s": round(county_s, 4),
                "due_county_items": len(in_county), "warnings_s": round(warn_s, 4),
                "warnings": len(found), "warnings_by_kind": {k: sum(1 for w in found if w.kind == k)
                                                             for k in sorted({w.kind for w in found})}}
    plans = query_plans(dossier, AS_OF, county)
    dialect = dossier.store.engine.dialect.name
    figures["plans"] = plans
    figures["indexes_used"] = {name: uses_indexes(dialect, plan) for name, plan in plans.items()}
    figures |= {k: round(v, 1) for k, v in appends(dossier, url, extra(book, singles + batched), singles).items()}
    dossier.store.dispose()
    return figures


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield sa.make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def report(label: str, f: dict[str, Any]) -> None:
    print(f"{label}: {f['enterprises']:,} enterprises, {f['events']:,} events recorded at {f['load_per_s']:,.0f}/s "
          f"({LOAD_BATCH} per append)")
    print(f"  due --as-of {AS_OF} --within 3: {f['due_items']:,} items (of {f['open_deadlines']:,} open deadlines) "
          f"in {f['due_s'] * 1000:.1f} ms")
    print(f"  due --as-of {AS_OF} --within 3 --county …: {f['due_county_items']:,} items in "
          f"{f['due_county_s'] * 1000:.1f} ms")
    print(f"  warnings --as-of {AS_OF}: {f['warnings']:,} warnings {f['warnings_by_kind']} in "
          f"{f['warnings_s'] * 1000:.1f} ms")
    for name, plan in f["plans"].items():
        print(f"  plan {name} ({'index' if f['indexes_used'][name] else 'NO INDEX'}):")
        for line in plan:
            print(f"    {line}")
    print("| append | dossier events/s | event store alone | plain SQLAlchemy | dossier vs plain | store vs plain |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, key in (("one per transaction", "single"), (f"{BATCH} per transaction", "batched")):
        ours, store, plain = f[f"{key}_per_s"], f[f"store_{key}_per_s"], f[f"plain_{key}_per_s"]
        print(f"| {name} | {ours:,.0f} | {store:,.0f} | {plain:,.0f} | {ours / plain:.2f}x | {store / plain:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 enterprises and 50,000 events")
    parser.add_argument("--pg-url", default=os.environ.get("SAFETY_RULES_TEST_PG_URL"))
    args = parser.parse_args()
    enterprises, target = (1_000, 50_000) if args.quick else (10_000, 500_000)
    singles, batched = (100, 1_000) if args.quick else (300, 3_000)
    os.environ.pop("SAFETY_RULES_HMAC_KEY", None)  # the same work on every run
    book = Rulebook.load(ROOT / "rules")
    # the machine's load (other processes) beside the figures: absolute rates depend on it, ratios less
    figures: dict[str, Any] = {"as_of": AS_OF.isoformat(), "rulebook": book.version,
                               "load_average_at_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite"] = measure(f"sqlite:///{Path(tmp) / 'dossier.sqlite3'}", book, enterprises, target, singles,
                                    batched)
    report("SQLite", figures["sqlite"])
    figures["postgresql"] = None
    if args.pg_url:
        with scratch_database(args.pg_url) as url:
            figures["postgresql"] = measure(url, book, enterprises, target, singles, batched)
        report("PostgreSQL", figures["postgresql"])
    else:
        print("PostgreSQL: not measured (no --pg-url / $SAFETY_RULES_TEST_PG_URL)")
    figures["load_average_at_end"] = os.getloadavg()[0]
    print(f"load average (1 min): {figures['load_average_at_start']:.1f} at the start, "
          f"{figures['load_average_at_end']:.1f} at the end, on {os.cpu_count()} CPUs")
    print(json.dumps(figures, ensure_ascii=False))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
