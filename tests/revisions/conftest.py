from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ..conftest import RULES

SLOPE = "mining/open-pit-slope-monitoring.yaml"
EXITS = "mining/underground-safety-exits.yaml"


def edit(root: Path, relative: str, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` by ``new`` in a rule file (``count`` occurrences from the end when negative)."""
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    if count < 0:
        head, _, tail = text.rpartition(old)
        text = head + new + tail
    else:
        text = text.replace(old, new, count)
    path.write_text(text, encoding="utf-8")


@pytest.fixture()
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """Two private copies of the bundled rulebook: base and head (tests edit the head)."""
    base, head = tmp_path / "base", tmp_path / "head"
    shutil.copytree(RULES, base)
    shutil.copytree(RULES, head)
    return base, head


def raise_threshold(head: Path) -> None:
    """The revision of the issue: the 2022 pit-slope threshold from '>= 200' (200 m 及以上) to '> 200',
    with the boundary example that pins it brought along (else the revision fails its own examples)."""
    edit(head, SLOPE, "mine_slope_height_m >= 200 and not mine_slope_online_monitoring",
         "mine_slope_height_m > 200 and not mine_slope_online_monitoring", count=-1)
    path = head / SLOPE
    text = path.read_text(encoding="utf-8")
    start = text.index("      - name: 采场边坡恰好200米，无在线监测\n")  # the 2022 example (earlier ones name more)
    end = text.index("      - name:", start + 1)
    block = text[start:end].replace("expect: violated\n        sub_items: [\"1\"]", "expect: compliant")
    assert "expect: compliant" in block
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")
