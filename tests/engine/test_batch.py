"""Screening many files: one JSON line each, in input order, in one process or several."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from safety_rules import Rulebook
from safety_rules.engine._batch import enterprise_files, screen

from ..conftest import EXAMPLES, FIXTURES

FILES = sorted((EXAMPLES / "enterprises").glob("*.yaml"))
BAD = FIXTURES / "broken_enterprises" / "wrong_type.yaml"
DAY = dt.date(2024, 6, 1)


def test_each_file_gives_its_assessment_in_input_order(book: Rulebook) -> None:
    paths = [*reversed(FILES), BAD, FILES[0]]
    lines = list(screen(book, paths, DAY))
    assert [read for read, _ in lines] == [True] * len(FILES) + [False, True]
    for path, (read, line) in zip(paths, lines, strict=True):
        if read:
            assert json.loads(line) == json.loads(book.assess(book.load_enterprise(path), DAY).model_dump_json())
    error = json.loads(lines[len(FILES)][1])
    assert error["path"] == str(BAD) and "wrong_type.yaml:4" in error["errors"][0]


def test_several_processes_give_the_same_lines_in_the_same_order(book: Rulebook) -> None:
    paths = [*FILES, BAD, *FILES] * 3  # more files than one chunk per worker
    assert list(screen(book, paths, DAY, jobs=2)) == list(screen(book, paths, DAY))


def test_directories_give_their_yaml_files_sorted(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    shutil.copy(FILES[0], tmp_path / "b" / "z.yaml")
    shutil.copy(FILES[1], tmp_path / "a.yml")
    (tmp_path / "notes.txt").write_text("not an enterprise", encoding="utf-8")
    assert list(enterprise_files([FILES[2], tmp_path])) == [FILES[2], tmp_path / "a.yml", tmp_path / "b" / "z.yaml"]


def test_each_file_is_assessed_on_its_own_inspection_date(book: Rulebook) -> None:
    (read, line), = screen(book, [FILES[0]])
    assert read and json.loads(line)["as_of"] == str(book.load_enterprise(FILES[0]).inspected_on)
