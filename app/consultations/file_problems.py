"""Wording a consultation file's problems: which key, what was given, what would be right.

A pure module: it reads the file format's models and pydantic's error details, and
touches no request, database or clock.
"""

from __future__ import annotations

import difflib
import re
import types
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from app.consultations.lifecycle import plural

EXAMPLE_TIME = "2027-03-01T17:00:00+00:00"
# Pydantic's error types for a value of the wrong kind; their own words are generic.
WRONG_KIND = re.compile(r".*_(type|parsing)$|^int_from_float$|^datetime_from_date_parsing$")
BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}
LONGEST_SHOWN = 60


def given(value: Any) -> str:
    """What was given, as a person would recognise it in their file or form.

    Long text is cut short: a message never repeats a whole page someone pasted.
    """
    if isinstance(value, dict | BaseModel):
        return "a mapping of keys"
    if isinstance(value, list | tuple):
        return "a list" if value else "an empty list"
    if value is None or value == "":
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    shown = str(value)
    if not shown.strip():
        return "only blank space"
    return repr(shown if len(shown) <= LONGEST_SHOWN else shown[: LONGEST_SHOWN - 3] + "...")


def _short(value: Any, longest: int = 40) -> str:
    text = str(value)
    return text if len(text) <= longest else text[: longest - 3] + "..."


def listing(values: list[Any], most: int = 5) -> str:
    """'a, b, c' for a message, each cut short, with 'and 4 more' past `most`."""
    shown = ", ".join(_short(value) for value in values[:most])
    return shown if len(values) <= most else f"{shown} and {len(values) - most} more"


def _parts(annotation: Any) -> tuple[Any, list[Any]]:
    """The type under Optional and Annotated, and the constraints found on the way."""
    constraints: list[Any] = []
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            for item in extra:
                constraints.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        elif origin in (Union, types.UnionType):
            options = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation, constraints
            annotation = options[0]
        else:
            return annotation, constraints


def _bound(constraints: list[Any], name: str) -> Any:
    return next((getattr(c, name) for c in constraints if hasattr(c, name)), None)


def _number_range(kind: str, constraints: list[Any]) -> str:
    low, high = _bound(constraints, "ge"), _bound(constraints, "le")
    above = _bound(constraints, "gt")
    if low is None and above is not None:
        low = above + 1 if kind == "int" else None
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" of {low} or more"
    return f" up to {high}" if high is not None else ""


def describe(annotation: Any, constraints: list[Any] | None = None) -> str:
    """What a value of this type looks like, in words: 'text of at most 200 characters'."""
    annotation, found = _parts(annotation)
    constraints = (constraints or []) + found
    origin = get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(str(choice) for choice in get_args(annotation))
    if origin is list:
        return "a list"
    if origin is dict or annotation is dict:
        return "a mapping of keys"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "a mapping with the keys " + ", ".join(annotation.model_fields)
    if annotation is bool:
        return "true or false"
    if annotation is int:
        return "a whole number" + _number_range("int", constraints)
    if annotation is float:
        return "a number" + _number_range("float", constraints)
    if annotation is datetime:
        return f"a date and time, like {EXAMPLE_TIME}"
    if annotation is str:
        longest = _bound(constraints, "max_length")
        return f"text of at most {longest} characters" if longest else "text"
    return "a value"


def _field_at(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, list[Any]] | None:
    """The type and constraints the file format has at a key path, or None if it has none."""
    annotation: Any = model
    constraints: list[Any] = []
    for part in loc:
        annotation, found = _parts(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return None
            annotation, constraints = field.annotation, list(field.metadata)
        elif get_origin(annotation) in (list, dict):
            annotation, constraints = get_args(annotation)[-1], []
        else:
            return None
    return annotation, constraints


def expected_at(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """What would be right at a key path, in words."""
    found = _field_at(model, loc)
    return describe(*found) if found else "a value"


def _unknown_key(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    found = _field_at(model, loc[:-1])
    annotation = _parts(found[0])[0] if found else None
    if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return "unknown key"
    keys = list(annotation.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), keys, n=1)
    if close:
        return f"unknown key; did you mean '{close[0]}'?"
    return f"unknown key; the keys here are {', '.join(keys)}"


def _wrong_kind(expected: str, value: Any) -> str:
    message = f"must be {expected}; given {given(value)}"
    if expected.startswith("text") and isinstance(value, bool | int | float):
        # YAML reads yes, no, 3 and 1.5 unquoted as true, false and numbers.
        message += " (put text in quotes)"
    return message


def wording(error: dict[str, Any], model: type[BaseModel]) -> str:
    """The message for one of pydantic's error details, naming what was given."""
    kind, loc = error["type"], tuple(error["loc"])
    context, value = error.get("ctx") or {}, error.get("input")
    if kind == "missing":
        return f"required ({expected_at(model, loc)}); not given"
    if kind == "extra_forbidden":
        return _unknown_key(model, loc)
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", context.get("expected", ""))
        return f"{given(value)} is not one of {', '.join(choices)}"
    if kind == "string_too_long":
        longest = context["max_length"]
        return f"must be at most {longest} characters; given {len(value)} characters"
    if kind == "string_too_short":
        return f"must not be empty; given {given(value)}"
    if kind in ("too_short", "too_long") and isinstance(value, str):
        # Text checked after a validator of ours is measured as a sequence.
        if kind == "too_short":
            return f"must not be empty; given {given(value)}"
        longest = context["max_length"]
        return f"must be at most {longest} characters; given {len(value)} characters"
    if kind in ("too_short", "too_long"):
        bound = context["min_length"] if kind == "too_short" else context["max_length"]
        count = context.get("actual_length", len(value) if isinstance(value, list) else 0)
        side = "at least" if kind == "too_short" else "at most"
        return f"must list {side} {plural(bound, 'item')}; given {count or 'none'}"
    if kind in BOUNDS:
        name, words = BOUNDS[kind]
        return f"must be {words} {context[name]}; given {given(value)}"
    if kind == "finite_number":
        return f"must be a number, not infinity; given {given(value)}"
    if kind == "value_error":
        message = str(context.get("error", error["msg"]))
        return message if "; given" in message else f"{message}; given {given(value)}"
    if WRONG_KIND.match(kind):
        return _wrong_kind(expected_at(model, loc), value)
    message = error["msg"]
    return f"{message[:1].lower()}{message[1:]}; given {given(value)}"


def key_problem(error: dict[str, Any], model: type[BaseModel]) -> tuple[str, str]:
    """(key path, message) for one schema error."""
    path = ".".join(str(part) for part in error["loc"]) or "(top level)"
    return path, wording(error, model)
