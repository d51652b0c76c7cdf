"""The strict YAML reader: duplicate keys, aliases, tags, sizes, line numbers, robustness."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safety_rules import YamlError
from safety_rules.shared._yaml import line_of, parse_yaml

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
