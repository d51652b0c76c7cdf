"""The strict YAML reader: duplicate keys, aliases, tags, sizes, line numbers, robustness."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import tracemalloc
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from safety_rules import YamlError
from safety_rules.shared._yaml import line_of, load_yaml, parse_yaml, read_limited

from ..conftest import RULES


def test_values_and_lines() -> None:
    data = parse_yaml("a: 1\nb:\n  - x: 2017-09-05\n  - y: [1, 2]\n", "f.yaml")
    assert data == {"a": 1, "b": [{"x": dt.date(2017, 9, 5)}, {"y": [1, 2]}]}
    assert data.key_lines == {"a": 1, "b": 2}
    assert data["b"].item_lines == [3, 4]
    assert line_of(data, ("b", 1, "y")) == 4
    assert line_of(data, ("b", 7, "nothing")) == 2  # deepest known location


@pytest.mark.parametrize(("text", "words", "line"), [
    ("a: 1\na: 2\n", "duplicate key 'a' (first defined on line 1)", 2),
    ("a: [1,\n", "YAML syntax error", 2),
    ("a: !!python/object:os.system x\n", "tag 'tag:yaml.org,2002:python/object:os.system' is not allowed", 1),
    ("<<: {a: 1}\n", "merge keys ('<<') are not supported", 1),
    ("a: &a [*a]\n", "recursive alias", 1),
    ("? [1]\n: 2\n", "mapping keys must be plain scalars", 1),
    ("a: 2017-13-45\n", "cannot read scalar '2017-13-45'", 1),
    ("[" * 100 + "]" * 100, "nesting deeper than 64 levels", None),
])
def test_rejections(text: str, words: str, line: int | None) -> None:
    with pytest.raises(YamlError) as info:
        parse_yaml(text, "bad.yaml")
    assert words in str(info.value)
    assert info.value.path == "bad.yaml"
    if line is not None:
        assert info.value.line == line


def test_alias_expansion_is_bounded() -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdef"):
        prev = "abcdef"[i]
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    with pytest.raises(YamlError, match="aliases that expand hugely"):
        parse_yaml("\n".join(levels), "bomb.yaml")


def test_small_aliases_are_fine() -> None:
    assert parse_yaml("a: &x {k: 1}\nb: *x\n") == {"a": {"k": 1}, "b": {"k": 1}}


def test_size_limit_and_binary() -> None:
    with pytest.raises(YamlError, match="the limit is 10"):
        parse_yaml("a: 12345678901", max_bytes=10)
    with pytest.raises(YamlError, match="not UTF-8"):
        parse_yaml(b"a: \xff\xfe")
    with pytest.raises(YamlError, match="NUL"):
        parse_yaml("a: \x00")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_random_text_raises_only_yaml_error(text: str) -> None:
    with contextlib.suppress(YamlError):
        parse_yaml(text, "random.yaml")


RULE_TEXT = (RULES / "dust" / "dry-collector-explosion-control.yaml").read_text(encoding="utf-8")


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mangled_rule_file_raises_only_yaml_error(data: st.DataObject) -> None:
    text = RULE_TEXT
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 40)))
        insert = data.draw(st.sampled_from(["", ":", "- ", "{", "[", "&a ", "*a", "\n  ", "'", "!!x ", "<<: "]))
        text = text[:i] + insert + text[j:]
    with contextlib.suppress(YamlError):
        parse_yaml(text, "mangled.yaml")


def test_repeated_loads_keep_no_memory(tmp_path: Path) -> None:
    # PyYAML's constructor keeps every object it built; one shared for the process grew
    # by every parse (1.7 MB per rulebook load)
    path = RULES / "hazchem" / "tank-farm-emergency-shutoff.yaml"
    for _ in range(20):
        load_yaml(path)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(200):
            load_yaml(path)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 256 * 1024, f"{grown} bytes kept after 200 loads"


@pytest.mark.parametrize(("text", "words"), [
    ("version: 010\n", ["010 has a leading zero", "octal", "010 would read as 8"]),
    ("duration: 1:30\n", ["1:30 is a sexagesimal", "would read as 90"]),
    ("n: 007.5\n", ["007.5 has leading zeros"]),
    ("n: 1_000\n", ["drops '_'", "1_000 would read as 1000"]),
    ("n: 0x1A\n", ["0x1A is a hexadecimal"]),
    ("n: .inf\n", [".inf is not a finite number"]),
    ("n: .NaN\n", [".NaN is not a finite number"]),
    ("n: 1.0e+999\n", ["1.0e+999 is not a finite number"]),
    ("n: 9007199254740993\n", ["beyond the limit", "2**53"]),
    ("n: -99999999999999999999\n", ["beyond the limit"]),
])
def test_surprising_yaml_numbers_are_refused_with_the_reason(text: str, words: list[str]) -> None:
    with pytest.raises(YamlError) as info:
        parse_yaml("a: 1\n" + text, "numbers.yaml")
    for w in words:
        assert w in str(info.value), str(info.value)
    assert "quote it" in str(info.value) or "finite" in str(info.value) or "limit" in str(info.value)
    assert info.value.line == 2


def test_plain_numbers_still_read() -> None:
    assert parse_yaml("a: [0, -0, +7, 10, 0.5, .5, 2026.10, 1.5e+3, 9007199254740992, '010', 1e5]") == {
        "a": [0, 0, 7, 10, 0.5, 0.5, 2026.1, 1500.0, 2**53, "010", "1e5"]}


PLAIN_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30) | st.dates(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(PLAIN_VALUES, st.sampled_from([None, False]))
def test_values_are_read_as_pyyaml_reads_them(value: object, flow: bool | None) -> None:
    # the reader makes strings, numbers, booleans and nulls itself: they must be PyYAML's
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=flow)
    assert parse_yaml(text) == yaml.load(text, Loader=yaml.CSafeLoader)


def test_yaml_11_scalars_are_read_as_pyyaml_reads_them() -> None:
    text = ("a: [yes, No, ON, off, True, FALSE, y, n, ~, null, Null, '', \"\", -0, +12, 0.5, -.5, 1.5e+3, "
            "2017-09-05, 2017-09-05 10:30:00, 2017-09-05t10:30:00.5+08:00, 12:30x, '12', x1, 中文, '1']\n"
            "b: |\n  two\n  lines\n")
    assert parse_yaml(text) == yaml.load(text, Loader=yaml.CSafeLoader)


def test_an_explicit_bool_that_is_not_one_is_an_error_not_a_crash() -> None:
    with pytest.raises(YamlError, match="cannot read scalar 'maybe'"):
        parse_yaml("a: !!bool maybe\n")


def test_non_utf8_file_names_the_line_of_the_first_bad_byte() -> None:
    with pytest.raises(YamlError) as info:
        parse_yaml(b"a: 1\nb: 2\nc: \xe5\xb9\nd: 4\n", "latin.yaml")
    assert info.value.line == 3 and "column 4" in str(info.value) and "0xe5" in str(info.value)


def test_lines_inside_a_folded_value() -> None:
    data = parse_yaml("x: 1\nwhen: >\n  a and\n  b\n\n  c\nnext: plain\n  more\n  again\n")
    assert data["when"] == "a and b\nc\n"
    assert [data.line_in_value("when", data["when"].index(ch)) for ch in "abc"] == [3, 4, 6]
    assert data.line_in_value("next", data["next"].index("again")) == 9
    assert data.line_in_value("x", 0) == 1  # a one-line value: the key's line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # opening it for reading would block until a writer came
    with pytest.raises(YamlError, match="it is a FIFO, not a regular file"):
        load_yaml(fifo)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_refused_not_read_forever(tmp_path: Path) -> None:
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    with pytest.raises(YamlError, match="it is a device, not a regular file"):
        load_yaml(link)


def test_reading_stops_at_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * 100)
    with pytest.raises(YamlError, match="the limit is 50"):
        read_limited(big, 50)
    assert read_limited(big, 103) == b"a: " + b"x" * 100
