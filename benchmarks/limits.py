"""Work that must grow linearly, and memory that must stay flat, in one process.

    python benchmarks/limits.py [--quick]

- parsing one condition of 1,000 / 4,000 / 16,000 operands (an ``or`` of comparisons):
  time per operand should not grow with the length;
- ``check`` on synthetic rulebooks of 100 and 1,600 rules each revised on days of its
  own (before, every example compiled the whole slice of its date: 133 s and
  541 MB for 1,600 rules), with the peak traced memory of the large one;
- memory kept after 200 ``Rulebook.load()`` of the bundled rulebook and after 20 loads of
  a 450 KB enterprise file (before: 1.7 MB and 16 MB kept per load).

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402

from safety_rules import Rulebook, check_rulebook  # noqa: E402
from safety_rules.engine._expressions import parse_expression  # noqa: E402
from safety_rules.engine._rulebook import default_rules_path  # noqa: E402


def seconds(fn: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def kept_bytes(fn: Callable[[], Any], times: int, warmup: int = 5) -> int:
    """Traced memory still held after calling ``fn`` ``times`` times (after a warm-up)."""
    for _ in range(warmup):
        fn()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(times):
            fn()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def enterprise_file(path: Path, size: int = 450_000) -> Path:
    """An enterprise file of about ``size`` bytes: a tank farm with many records."""
    lines = ["enterprise: {id: BIG-1, industries: [hazchem]}", "facts:", "  hazchem_enterprise: true",
             "  hazchem_exposed_population: 120", "  hazchem_tank_farm_inventory:"]
    i = 0
    while sum(len(x) + 1 for x in lines) < size:
        lines.append(f"    - {{substance: 其他, quantity_t: {i % 97 + 1}, critical_t: 50, beta: 1}}")
        i += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes, in about a minute")
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    types = synthetic.fact_ids()

    sizes = (1_000, 4_000) if args.quick else (1_000, 4_000, 16_000)
    for n in sizes:
        text = " or ".join(f"n_{i % 60:03d} > {i}" for i in range(n))
        figures[f"parse_{n}_s"] = round(seconds(lambda text=text: parse_expression(text, types)), 3)
    small, large = sizes[0], sizes[-1]
    per_op = figures[f"parse_{large}_s"] / large / (figures[f"parse_{small}_s"] / small)

    rules = (50, 400) if args.quick else (100, 1_600)
    with tempfile.TemporaryDirectory() as tmp:
        for n in rules:
            root = synthetic.write_rulebook(Path(tmp) / f"rules-{n}", rules=n, revisions=True)
            report = check_rulebook(root)
            assert report.ok, report.problems[:3]
            figures[f"check_{n}_rules_s"] = round(seconds(lambda root=root: check_rulebook(root)), 2)
        tracemalloc.start()
        check_rulebook(root)
        figures[f"check_{rules[-1]}_rules_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
        per_rule = ((figures[f"check_{rules[-1]}_rules_s"] / rules[-1])
                    / (figures[f"check_{rules[0]}_rules_s"] / rules[0]))

        loads = 50 if args.quick else 200
        bundled = default_rules_path()
        figures[f"kept_after_{loads}_rulebook_loads_kb"] = round(
            kept_bytes(lambda: Rulebook.load(bundled), loads) / 1024, 1)
        book = Rulebook.load(bundled)
        big = enterprise_file(Path(tmp) / "big.yaml")
        figures["enterprise_file_kb"] = round(big.stat().st_size / 1024)
        figures["kept_after_20_big_enterprise_loads_kb"] = round(
            kept_bytes(lambda: book.load_enterprise(big), 20, warmup=2) / 1024, 1)

    print(f"parse, {small:,} operands: {figures[f'parse_{small}_s']} s; {large:,} operands: "
          f"{figures[f'parse_{large}_s']} s; time per operand {per_op:.2f}x that of the small one")
    print(f"check, {rules[0]:,} rules with distinct dates: {figures[f'check_{rules[0]}_rules_s']} s; "
          f"{rules[-1]:,} rules: {figures[f'check_{rules[-1]}_rules_s']} s "
          f"(peak traced {figures[f'check_{rules[-1]}_rules_peak_mb']} MB); time per rule {per_rule:.2f}x")
    print(f"memory kept after {loads} Rulebook.load(): {figures[f'kept_after_{loads}_rulebook_loads_kb']} KB; "
          f"after 20 loads of a {figures['enterprise_file_kb']} KB enterprise file: "
          f"{figures['kept_after_20_big_enterprise_loads_kb']} KB")
    figures["parse_time_per_operand_ratio"] = round(per_op, 2)
    figures["check_time_per_rule_ratio"] = round(per_rule, 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
