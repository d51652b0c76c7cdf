"""Loading a rulebook directory: what the loader does around the rules themselves."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from safety_rules.engine._loader import collector_paused, load_parts

from ..conftest import RULES


def test_loading_pauses_the_garbage_collector_and_restores_it_as_it_was(tmp_path: Path) -> None:
    assert gc.isenabled()
    seen: list[bool] = []
    with collector_paused():
        seen.append(gc.isenabled())
        with collector_paused():  # nested: the inner one leaves it paused
            pass
        seen.append(gc.isenabled())
    assert seen == [False, False] and gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a load that fails")
    assert gc.isenabled()
    gc.disable()
    try:
        parts, _ = load_parts(RULES)
        assert parts is not None and not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()
    assert load_parts(tmp_path / "missing")[0] is None and gc.isenabled()
