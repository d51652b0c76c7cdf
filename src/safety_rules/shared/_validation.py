"""Turning pydantic validation errors on YAML data into ``path:line`` problems."""

from __future__ import annotations

import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ._errors import Problem, SchemaError, did_you_mean
from ._yaml import line_of, load_yaml

M = TypeVar("M", bound=BaseModel)


def _field_names(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> Iterator[str]:
    """Every field name of ``model`` and of the models nested in it (for "did you mean")."""
    seen = seen if seen is not None else set()
    if model in seen:
        return
    seen.add(model)
    for name, info in model.model_fields.items():
        yield name
        stack: list[Any] = [info.annotation]
        while stack:
            t = stack.pop()
            if isinstance(t, type) and issubclass(t, BaseModel):
                yield from _field_names(t, seen)
            stack.extend(typing.get_args(t))


def _describe(error: Any, known: list[str]) -> str:
    loc = [p for p in error["loc"] if isinstance(p, str | int)]
    kind = error["type"]
    key = loc[-1] if loc else None
    path = ".".join(str(p) for p in loc)
    if kind == "extra_forbidden":
        hint = did_you_mean(str(key), known)
        if hint == key:
            # a real key in the wrong place: suggesting it back would say nothing
            where = ".".join(str(p) for p in loc[:-1]) or "the top level"
            return f"key {key!r} does not belong at {where}; see the file format for where it goes"
        return f"unknown key {key!r}" + (f" (did you mean {hint!r}?)" if hint else "")
    if kind == "missing":
        parent = ".".join(str(p) for p in loc[:-1])
        return f"missing required key {key!r}" + (f" in {parent}" if parent else "")
    got = error.get("input")
    if kind == "string_type" and isinstance(got, int | float) and not isinstance(got, bool):
        # versions and edition ids: unquoted, YAML reads 2026.10 as the number 2026.1
        return (f"{path}: expected text, got the number {got!r}; put it in quotes (e.g. \"2026.10\"): "
                "unquoted, YAML reads it as a number and may change it (2026.10 becomes 2026.1)")
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    shown = "" if isinstance(got, dict | list) or kind.startswith("value_error") else f", got {got!r}"
    return f"{path}: {message}{shown}" if path else f"{message}{shown}"


def validate(model: type[M], data: Any, *, path: str, rule_id: str | None = None) -> tuple[M | None, list[Problem]]:
    """Validate ``data`` against ``model``; on failure return every problem with its line."""
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        return None, [Problem(f"expected a mapping of keys at the top level, found {found}",
                              path=path, line=getattr(data, "line", None) or 1, rule_id=rule_id,
                              code="SR002")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        known = sorted(set(_field_names(model)))
        problems = [
            Problem(_describe(err, known), path=path, line=line_of(data, err["loc"]),
                    rule_id=rule_id, code="SR002")
            for err in exc.errors(include_url=False)
        ]
        return None, problems


def schema_error(problems: Sequence[Problem], path: str | Path | None = None) -> SchemaError:
    """One :class:`SchemaError` carrying every problem (``context["problems"]``)."""
    return SchemaError("; ".join(p.message for p in problems), path=path if path is not None else problems[0].path,
                       line=problems[0].line, problems=list(problems))


def load_model(model: type[M], path: str | Path) -> tuple[M, Any]:
    """Read a YAML file and validate it against ``model``; raise :class:`SchemaError` listing every problem."""
    raw = load_yaml(path)
    result, problems = validate(model, raw, path=str(path))
    if result is None:
        raise schema_error(problems, path)
    return result, raw
