"""A longer fuzzing run over rule, enterprise and expert files (not in CI).

    python benchmarks/fuzz.py [--examples N] [--target rules|enterprises|experts] [--seed S]

The same targets and mutations as ``tests/test_fuzz.py`` (which runs a few with a fixed
seed in ``make test``), with a random seed and many more examples. Any exception other
than the library's own errors, or a hang, is a failure; hypothesis prints the smallest
file it found. The last line is one JSON object with the counts and the time taken.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from tests.test_fuzz import RULES, TARGETS  # noqa: E402

from safety_rules import Rulebook  # noqa: E402


def fuzzer(target: Callable[..., None], arguments: tuple[Any, ...], examples: int,
           run_seed: int) -> Callable[[], None]:
    """``target`` as a hypothesis test of ``examples`` examples from ``run_seed``."""

    @seed(run_seed)
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data: st.DataObject) -> None:
        target(data, *arguments)

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=500, help="examples per target")
    parser.add_argument("--target", choices=sorted(TARGETS), action="append", help="default: all")
    parser.add_argument("--seed", type=int, default=None, help="default: a random one, printed")
    args = parser.parse_args()
    run_seed = args.seed if args.seed is not None else random.randrange(2**32)
    figures: dict[str, object] = {"seed": run_seed, "examples_per_target": args.examples}
    book = Rulebook.load(RULES)
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "rules"
        shutil.copytree(RULES, scratch)
        extra: dict[str, tuple[Any, ...]] = {"rules": (scratch,), "enterprises": (book, Path(tmp)),
                                             "experts": (Path(tmp),)}
        for name in args.target or sorted(TARGETS):
            run = fuzzer(TARGETS[name], extra[name], args.examples, run_seed)
            start = time.perf_counter()
            try:
                run()
                status = "ok"
            except Exception as exc:  # noqa: BLE001 - reported, and the run goes on to the next target
                status = f"FAILED: {type(exc).__name__}: {str(exc)[:300]}"
                failed = True
            seconds = round(time.perf_counter() - start, 1)
            print(f"{name}: {args.examples} examples in {seconds} s: {status}")
            figures[f"{name}_s"] = seconds
            figures[f"{name}_status"] = status
    print(json.dumps(figures, ensure_ascii=False))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
