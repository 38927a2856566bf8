"""Turn pydantic validation errors into short messages a planner can act on."""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

_LIMITS = {
    "greater_than_equal": (">=", "ge"),
    "greater_than": (">", "gt"),
    "less_than_equal": ("<=", "le"),
    "less_than": ("<", "lt"),
}


def shown(value: Any, limit: int = 60) -> str:
    """A short rendering of an offending input value."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def number(value: Any) -> str:
    """``1.0`` → ``1``; other values unchanged."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def message_for(error: ErrorDetails) -> str:
    """A one-line message for one pydantic error, with the offending value where useful."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind in _LIMITS:
        symbol, key = _LIMITS[kind]
        return f"must be {symbol} {number(ctx[key])} (got {shown(value)})"
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (not part of the scenario format; check the spelling)"
    if kind in ("literal_error", "enum"):
        return f"must be one of {ctx.get('expected')} (got {shown(value)})"
    if kind == "string_pattern_mismatch":
        return f"must match the pattern {ctx.get('pattern')} (got {shown(value)})"
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_type", "date_from_datetime_inexact"):
        return f"must be a date YYYY-MM-DD (got {shown(value)})"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number (got {shown(value)})"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"must be a number (got {shown(value)})"
    if kind in ("bool_parsing", "bool_type"):
        return f"must be true or false (got {shown(value)})"
    if kind == "string_type":
        return f"must be text (got {shown(value)})"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping of fields (got {shown(value)})"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list (got {shown(value)})"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} item(s)"
    if kind == "union_tag_invalid":
        return f"unknown kind {shown(ctx.get('tag'))}; expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"needs a '{ctx.get('discriminator', 'kind').strip(chr(39))}' field saying which kind it is"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    message = error["msg"]
    return message[0].lower() + message[1:] if message else kind
