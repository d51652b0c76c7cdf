"""Event store throughput against a plain SQLAlchemy insert loop in the same process.

    python benchmarks/events.py [--quick] [--pg-url URL]

For SQLite (a temporary file) and, when a server is given (``--pg-url`` or
$SAFETY_RULES_TEST_PG_URL; a scratch database is made on it and dropped), PostgreSQL:

- single appends, each its own transaction (hash chain, lock, checkpoint);
- batched appends, 100 events per transaction;
- reading every event back, and verifying the whole store;

each as events per second and as a ratio against the same work done by plain SQLAlchemy
on a table of the same columns in the same database (an insert per transaction,
executemany per 100 rows, a SELECT of every row). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from safety_rules import EventStore, NewEvent

BATCH = 100


def payload(k: int) -> dict[str, Any]:
    return {"enterprise": "LY-DUST-011", "finding": "除尘系统未设泄爆装置", "k": k, "officer": "监察支队-李"}


def rate(n: int, work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return n / (time.perf_counter() - start)


def measure(url: str, n: int) -> dict[str, float]:
    store = EventStore(url)
    plain = sa.Table(f"plain_{uuid.uuid4().hex[:8]}", sa.MetaData(),
                     sa.Column("seq", sa.BigInteger, primary_key=True), sa.Column("stream", sa.String(200)),
                     sa.Column("kind", sa.String(100)), sa.Column("recorded_at", sa.String(40)),
                     sa.Column("payload", sa.Text), sa.Column("prev_hash", sa.String(64)),
                     sa.Column("hash", sa.String(64)))
    engine = sa.create_engine(url)
    plain.create(engine)
    stream = f"bench/{uuid.uuid4().hex[:8]}"

    def row(k: int) -> dict[str, Any]:
        return {"seq": k, "stream": stream, "kind": "finding", "recorded_at": "2024-06-01T08:00:00.000000+00:00",
                "payload": json.dumps(payload(k), ensure_ascii=False), "prev_hash": "0" * 64, "hash": "0" * 64}

    def plain_single() -> None:
        for k in range(n):
            with engine.begin() as c:
                c.execute(plain.insert(), row(k))

    def plain_batched() -> None:
        for start in range(n, 2 * n, BATCH):
            with engine.begin() as c:
                c.execute(plain.insert(), [row(k) for k in range(start, min(start + BATCH, 2 * n))])

    def plain_read() -> None:
        with engine.connect() as c:
            for r in c.execute(sa.select(plain)):
                json.loads(r.payload)

    def single() -> None:
        for k in range(n):
            store.append([NewEvent(stream, "finding", payload(k))])

    def batched() -> None:
        for start in range(0, n, BATCH):
            store.append([NewEvent(stream, "finding", payload(k)) for k in range(start, min(start + BATCH, n))])

    figures = {"plain_single_per_s": rate(n, plain_single), "single_per_s": rate(n, single),
               "plain_batched_per_s": rate(n, plain_batched), "batched_per_s": rate(n, batched)}
    total = store.head()[0]
    figures["plain_read_per_s"] = rate(2 * n, plain_read)
    figures["read_per_s"] = rate(total, lambda: sum(1 for _ in store.events()))
    result: list[Any] = []
    figures["verify_per_s"] = rate(total, lambda: result.append(store.verify()))
    assert result[0].ok, result[0]
    plain.drop(engine)
    engine.dispose()
    store.dispose()
    return {k: round(v, 1) for k, v in figures.items()}


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


def report(label: str, f: dict[str, float]) -> None:
    print(f"{label}:")
    print("| operation | events/s | plain SQLAlchemy, events/s | ratio |")
    print("|---|---:|---:|---:|")
    for name, ours, plain in [("append, one per transaction", "single_per_s", "plain_single_per_s"),
                              (f"append, {BATCH} per transaction", "batched_per_s", "plain_batched_per_s"),
                              ("read every event", "read_per_s", "plain_read_per_s"),
                              ("verify the whole store", "verify_per_s", "plain_read_per_s")]:
        print(f"| {name} | {f[ours]:,.0f} | {f[plain]:,.0f} | {f[ours] / f[plain]:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer events, a few seconds")
    parser.add_argument("--pg-url", default=os.environ.get("SAFETY_RULES_TEST_PG_URL"))
    args = parser.parse_args()
    n = 300 if args.quick else 3000
    os.environ.pop("SAFETY_RULES_HMAC_KEY", None)  # the same work on every run
    figures: dict[str, Any] = {"events": n}
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite"] = measure(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", n)
    report(f"SQLite, {n} events", figures["sqlite"])
    figures["postgresql"] = None
    if args.pg_url:
        with scratch_database(args.pg_url) as url:
            figures["postgresql"] = measure(url, n)
        report(f"PostgreSQL, {n} events", figures["postgresql"])
    else:
        print("PostgreSQL: not measured (no --pg-url / $SAFETY_RULES_TEST_PG_URL)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
