"""A strict YAML reader that remembers where every value came from.

Built on libyaml (``CSafeLoader``'s composer, so parsing is fast and no Python
object can be constructed from a tag), with our own construction pass so that:

* a duplicate mapping key is an error, not a silent overwrite;
* aliases cannot expand a small file into millions of nodes ("billion laughs"),
  and a recursive alias is rejected;
* merge keys (``<<``) and non-standard tags are rejected instead of interpreted;
* every mapping and sequence records the line of each key and item, so a later
  validation error can be reported as ``path:line``; a string value that spans
  several lines also records where each of its lines begins, so an error inside a
  folded ``when: >`` points at its own line;
* the YAML 1.1 number forms that silently change a value are refused with the reason:
  octal (``010`` is 8), sexagesimal (``1:30`` is 90), leading zeros, ``_`` digit
  separators, hexadecimal and binary; so are non-finite numbers and integers past
  2**53 (beyond it a number no longer round-trips through a float or JSON);
* only regular files are read, and never more than the size limit + 1 bytes, so a
  device or a FIFO named ``*.yaml`` cannot exhaust memory or hang the reader.

Each parse builds its own constructor: PyYAML's keeps every object it constructed
(``constructed_objects``) for as long as it lives.

Reading thousands of rule files is most of what ``check`` does, so the work per node
is kept small: tags are resolved with PyYAML's own implicit resolvers (the YAML 1.1
forms) but without the list it builds per call, and strings, nulls, booleans and the
plain numbers left after the checks above are made directly; only timestamps go
through PyYAML's constructor. A property test holds the result equal to PyYAML's.
"""

from __future__ import annotations

import bisect
import math
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ._errors import YamlError

try:  # libyaml is the normal case; the pure-Python composer is a fallback.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64
MAX_INTEGER = 2**53

_PLAIN_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_PLAIN_FLOAT = re.compile(r"[-+]?(?:(?:0|[1-9][0-9]*)\.[0-9]*|\.[0-9]+)(?:[eE][-+][0-9]+)?")


class YamlMapping(dict[Any, Any]):
    """A dict that knows the line of itself and of each of its keys (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]
    # for string values spanning several lines: (offset in the value, line) of each line
    text_lines: dict[Any, tuple[tuple[int, int], ...]]

    def line_in_value(self, key: Any, offset: int | None) -> int | None:
        """The line of character ``offset`` of the string value of ``key`` (else the key's line)."""
        spans = self.text_lines.get(key)
        if not spans or offset is None:
            return self.key_lines.get(key)
        index = bisect.bisect_right([start for start, _ in spans], offset) - 1
        return spans[max(index, 0)][1]


class YamlSequence(list[Any]):
    """A list that knows the line of itself and of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


_ALLOWED_TAGS = frozenset(
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)
_STR, _INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ = (
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq"))
_BOOLS = SafeConstructor.bool_values
_NO_RESOLVERS: list[tuple[str, re.Pattern[str]]] = []


class _Composer(_Loader):
    """libyaml's parser and composer, resolving tags as PyYAML's ``SafeLoader`` does (its
    implicit resolvers, by first character) at a fraction of the cost per node: no path
    resolvers (the reader registers none) and no list concatenated per scalar."""

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], _NO_RESOLVERS):
                    if regexp.match(value):
                        return str(tag)
            return _STR
        return _SEQ if kind is SequenceNode else _MAP


def _mark_line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _number_problem(text: str, tag: str) -> str | None:
    """Why a YAML 1.1 number is refused, or ``None`` if it is a plain decimal number."""
    if (_PLAIN_INT if tag.endswith(":int") else _PLAIN_FLOAT).fullmatch(text):
        return None
    digits = text.lstrip("+-")
    if ":" in digits:
        return f"{text} is a sexagesimal (base 60) number in YAML 1.1; 1:30 would read as 90"
    if digits[:2].lower() in ("0x", "0b", "0o"):
        return f"{text} is a hexadecimal, octal or binary number"
    if "_" in digits:
        return f"YAML 1.1 drops '_' from numbers ({text} would read as {text.replace('_', '')})"
    if digits.lower() in (".inf", ".nan"):
        return f"{text} is not a finite number"
    if tag.endswith(":int"):
        return f"{text} has a leading zero, which makes it octal in YAML 1.1 (010 would read as 8)"
    return f"{text} has leading zeros"


class _Builder:
    def __init__(self, path: str, max_nodes: int, text: str) -> None:
        self.path = path
        self.max_nodes = max_nodes
        self.count = 0
        self.active: set[int] = set()
        self.text = text
        self._lines: list[str] | None = None
        self._constructor: SafeConstructor | None = None  # for timestamps; one per parse: it keeps what it built

    def error(self, message: str, node: Node) -> YamlError:
        return YamlError(message, path=self.path, line=_mark_line(node))

    def build(self, node: Node, depth: int = 0) -> Any:
        self.count += 1
        if self.count > self.max_nodes:
            raise self.error(
                f"document expands to more than {self.max_nodes} nodes; "
                "aliases that expand hugely are not accepted", node)
        if depth > MAX_DEPTH:
            raise self.error(f"nesting deeper than {MAX_DEPTH} levels", node)
        if node.tag not in _ALLOWED_TAGS:
            raise self.error(f"tag {node.tag!r} is not allowed; only plain YAML values are", node)
        if node.__class__ is ScalarNode:
            return self.scalar(node)
        if id(node) in self.active:
            raise self.error("recursive alias: a node contains itself", node)
        self.active.add(id(node))
        try:
            build, depth = self.build, depth + 1
            if isinstance(node, SequenceNode):
                seq = YamlSequence()
                seq.line = node.start_mark.line + 1
                lines: list[int] = []
                seq.item_lines = lines
                for item in node.value:
                    seq.append(build(item, depth))
                    lines.append(item.start_mark.line + 1)
                return seq
            assert isinstance(node, MappingNode)
            mapping = YamlMapping()
            mapping.line = node.start_mark.line + 1
            key_lines: dict[Any, int] = {}
            mapping.key_lines = key_lines
            mapping.text_lines = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise self.error("merge keys ('<<') are not supported; write the keys out", key_node)
                if key_node.__class__ is not ScalarNode:
                    raise self.error("mapping keys must be plain scalars", key_node)
                key = build(key_node, depth)
                if key in mapping:
                    first = key_lines[key]
                    raise self.error(f"duplicate key {key!r} (first defined on line {first})", key_node)
                mapping[key] = value = build(value_node, depth)
                key_lines[key] = key_node.start_mark.line + 1
                if value.__class__ is str and value_node.start_mark.line != value_node.end_mark.line:
                    mapping.text_lines[key] = self.text_lines(value_node)
            return mapping
        finally:
            self.active.discard(id(node))

    def scalar(self, node: ScalarNode) -> Any:
        tag, text = node.tag, node.value
        if tag == _STR:
            return text
        if tag == _NULL:
            return None
        try:
            if tag == _BOOL:
                return _BOOLS[text.lower()]
            if tag in (_INT, _FLOAT):
                problem = _number_problem(text.strip(), tag)
                if problem:
                    raise self.error(f"cannot read number: {problem}; write the number plainly, "
                                     "or quote it if it is text", node)
                # what is left is a plain decimal number, which PyYAML reads as Python does
                value = int(text) if tag == _INT else float(text)
            else:
                if self._constructor is None:
                    self._constructor = SafeConstructor()
                value = self._constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError, OverflowError, KeyError) as exc:
            raise self.error(f"cannot read scalar {node.value!r}: {exc}", node) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(f"cannot read number: {node.value} is not a finite number", node)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
            raise self.error(f"cannot read number: {node.value} is beyond the limit of "
                             f"±{MAX_INTEGER} (2**53)", node)
        return value

    def text_lines(self, node: ScalarNode) -> tuple[tuple[int, int], ...]:
        """Where each source line of a multi-line string begins in its value, approximately:
        exact for block scalars and plain text; escapes in quoted strings may shift it."""
        if self._lines is None:
            self._lines = re.split(r"\r\n|\r|\n", self.text)
        lines = self._lines
        # a block scalar ends at the start of the line after it
        end = node.end_mark.line - (1 if node.end_mark.column == 0 else 0)
        first, last = node.start_mark.line, min(end, len(lines) - 1)
        block = node.style in ("|", ">")
        folded = node.style != "|"
        spans: list[tuple[int, int]] = []
        offset, blank_run = 0, 0
        for n in range(first + 1 if block else first, last + 1):
            raw = lines[n]
            if n == first:
                content = raw[node.start_mark.column + (1 if node.style in ("'", '"') else 0):]
            else:
                content = raw.strip()
            if not content:
                # folding turns a lone line break into a space and each blank line into "\n"
                offset += 1 if (blank_run or not folded) else 0
                blank_run += 1
                continue
            blank_run = 0
            spans.append((offset, n + 1))
            offset += len(content) + 1
        return tuple(spans)


def parse_yaml(text: str | bytes, path: str | Path = "<string>", *,
               max_bytes: int = MAX_FILE_BYTES, max_nodes: int = MAX_NODES) -> Any:
    """Parse one YAML document strictly; raise :class:`YamlError` on any problem."""
    where = str(path)
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > max_bytes:
        raise YamlError(f"file is {size} bytes; the limit is {max_bytes}", path=where)
    if isinstance(text, bytes):
        data = text
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            raise YamlError(f"file is not UTF-8 text: byte {exc.start} (column {column}) is "
                            f"{data[exc.start]:#04x}", path=where, line=line) from None
    if "\x00" in text:
        raise YamlError("file contains a NUL character; it is not a text file", path=where)
    loader = _Composer(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        syntax_line = mark.line + 1 if mark is not None else None
        reason = " ".join(x for x in (exc.context, exc.problem) if x)
        raise YamlError(f"YAML syntax error: {reason}", path=where, line=syntax_line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML error: {exc}", path=where) from None
    except RecursionError:
        raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", path=where) from None
    finally:
        loader.dispose()
    if node is None:
        return None
    return _Builder(where, max_nodes, text).build(node)


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "not a regular file")
    return f"cannot read file: it is {kind}, not a regular file"


def read_limited(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; anything else is a :class:`YamlError`.

    The file type is checked before opening (opening a FIFO would block) and again on the
    open descriptor, and at most ``max_bytes + 1`` bytes are read whatever the size claims.
    """
    p = Path(path)
    try:
        refused = _not_regular(os.stat(p).st_mode)
        if refused:
            raise YamlError(refused, path=p)
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "rb") as f:
            refused = _not_regular(os.fstat(f.fileno()).st_mode)
            if refused:
                raise YamlError(refused, path=p)
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise YamlError(f"cannot read file: {exc.strerror or exc}", path=p) from None
    if len(data) > max_bytes:
        raise YamlError(f"file is over {max_bytes} bytes; the limit is {max_bytes}", path=p)
    return data


def load_yaml(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Read and parse a YAML file; every failure is a :class:`YamlError` naming the file."""
    return parse_yaml(read_limited(path, max_bytes), Path(path), max_bytes=max_bytes)


def line_of(data: Any, loc: Sequence[Any]) -> int | None:
    """The line of the deepest element of ``loc`` (a pydantic error location) found in ``data``."""
    line = getattr(data, "line", None) or None
    current = data
    for part in loc:
        if isinstance(current, YamlMapping) and part in current:
            line = current.key_lines.get(part, line)
            current = current[part]
        elif isinstance(current, YamlSequence) and isinstance(part, int) and 0 <= part < len(current):
            line = current.item_lines[part]
            current = current[part]
        else:
            continue  # pydantic adds union-member tags and the like; skip them
    return line
