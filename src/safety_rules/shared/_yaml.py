"""A strict YAML reader that remembers where every value came from.

Built on libyaml (``CSafeLoader``'s composer, so parsing is fast and no Python
object can be constructed from a tag), with our own construction pass so that:

* a duplicate mapping key is an error, not a silent overwrite;
* aliases cannot expand a small file into millions of nodes ("billion laughs"),
  and a recursive alias is rejected;
* merge keys (``<<``) and non-standard tags are rejected instead of interpreted;
* every mapping and sequence records the line of each key and item, so a later
  validation error can be reported as ``path:line``.
"""

from __future__ import annotations

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


class YamlMapping(dict[Any, Any]):
    """A dict that knows the line of itself and of each of its keys (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class YamlSequence(list[Any]):
    """A list that knows the line of itself and of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


_SCALARS = SafeConstructor()
_ALLOWED_TAGS = frozenset(
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)


def _mark_line(node: Node) -> int:
    return int(node.start_mark.line) + 1


class _Builder:
    def __init__(self, path: str, max_nodes: int) -> None:
        self.path = path
        self.max_nodes = max_nodes
        self.count = 0
        self.active: set[int] = set()

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
        if isinstance(node, ScalarNode):
            try:
                return _SCALARS.construct_object(node, deep=True)
            except (ConstructorError, ValueError, OverflowError) as exc:
                raise self.error(f"cannot read scalar {node.value!r}: {exc}", node) from None
        if id(node) in self.active:
            raise self.error("recursive alias: a node contains itself", node)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                seq = YamlSequence()
                seq.line = _mark_line(node)
                seq.item_lines = []
                for item in node.value:
                    seq.append(self.build(item, depth + 1))
                    seq.item_lines.append(_mark_line(item))
                return seq
            assert isinstance(node, MappingNode)
            mapping = YamlMapping()
            mapping.line = _mark_line(node)
            mapping.key_lines = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise self.error("merge keys ('<<') are not supported; write the keys out", key_node)
                if not isinstance(key_node, ScalarNode):
                    raise self.error("mapping keys must be plain scalars", key_node)
                key = self.build(key_node, depth + 1)
                if key in mapping:
                    first = mapping.key_lines[key]
                    raise self.error(f"duplicate key {key!r} (first defined on line {first})", key_node)
                mapping[key] = self.build(value_node, depth + 1)
                mapping.key_lines[key] = _mark_line(key_node)
            return mapping
        finally:
            self.active.discard(id(node))


def parse_yaml(text: str | bytes, path: str | Path = "<string>", *,
               max_bytes: int = MAX_FILE_BYTES, max_nodes: int = MAX_NODES) -> Any:
    """Parse one YAML document strictly; raise :class:`YamlError` on any problem."""
    where = str(path)
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > max_bytes:
        raise YamlError(f"file is {size} bytes; the limit is {max_bytes}", path=where)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise YamlError(f"file is not UTF-8 text (byte {exc.start})", path=where) from None
    if "\x00" in text:
        raise YamlError("file contains a NUL character; it is not a text file", path=where)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(x for x in (exc.context, exc.problem) if x)
        raise YamlError(f"YAML syntax error: {reason}", path=where, line=line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML error: {exc}", path=where) from None
    except RecursionError:
        raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", path=where) from None
    finally:
        loader.dispose()
    if node is None:
        return None
    return _Builder(where, max_nodes).build(node)


def load_yaml(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Read and parse a YAML file; every failure is a :class:`YamlError` naming the file."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise YamlError(f"file is {size} bytes; the limit is {max_bytes}", path=p)
        data = p.read_bytes()
    except OSError as exc:
        raise YamlError(f"cannot read file: {exc.strerror or exc}", path=p) from None
    return parse_yaml(data, p, max_bytes=max_bytes)


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
