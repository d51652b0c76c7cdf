"""The package's rooms and which rooms each may import: no lower room imports a higher one.

A new subpackage must be added here, with the rooms below it that it may use.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import safety_rules

PACKAGE = Path(safety_rules.__file__).parent

MAY_IMPORT: dict[str, set[str]] = {
    "shared": set(),
    "law": {"shared"},
    "engine": {"shared", "law"},
    "experts": {"shared"},
    "dossier": {"shared", "law", "engine", "experts"},
    "revisions": {"shared", "law", "engine"},
    "fieldwork": {"shared", "law", "engine", "experts", "dossier"},
    "cli": {"shared", "law", "engine", "experts", "dossier", "revisions", "fieldwork"},
}


def _imported_rooms(path: Path, room: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rooms = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.startswith("safety_rules."):
                rooms.add(node.module.split(".")[1])
            elif node.level == 2 and node.module:
                rooms.add(node.module.split(".")[0])
            elif node.level == 1:
                rooms.add(room)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("safety_rules."):
                    rooms.add(alias.name.split(".")[1])
    return rooms


def test_every_room_is_declared() -> None:
    rooms = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert rooms <= set(MAY_IMPORT), f"undeclared subpackage(s): {sorted(rooms - set(MAY_IMPORT))}"


def test_no_room_imports_a_higher_one() -> None:
    wrong = []
    for room, allowed in MAY_IMPORT.items():
        for path in sorted((PACKAGE / room).rglob("*.py")) if (PACKAGE / room).is_dir() else []:
            for used in _imported_rooms(path, room) - {room} - allowed:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {used}")
    assert not wrong, "\n".join(wrong)


def test_public_api_is_one_sorted_list() -> None:
    names = safety_rules.__all__
    assert names == sorted(names, key=lambda n: (n[0].islower(), n)), "keep __all__ alphabetised"
    missing = [n for n in names if not hasattr(safety_rules, n)]
    assert not missing


def test_the_dossier_is_imported_on_first_use() -> None:
    """``import safety_rules`` stays clear of the dossier room and its holiday calendar; its names are there
    when asked for."""
    probe = ("import sys, safety_rules\n"
             "before = sorted(m for m in sys.modules\n"
             "                if m.startswith('safety_rules.dossier') or m == 'chinese_calendar')\n"
             "assert safety_rules.Dossier.__name__ == 'Dossier' and 'Dossier' in dir(safety_rules)\n"
             "print(before, 'chinese_calendar' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["[]", "True"]
