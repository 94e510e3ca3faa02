"""Reading what the survey builder's forms give: a question from its fields, the key made
from its prompt, a page's title.

A pure module, apart from app.survey.edits (the actions) because reading a form's values
is a job of its own: each value is checked on its own and refused in words naming its
field, before an action judges the survey that results.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from typing import Any

from app.consultations.survey_schema import (
    CHOICE_TYPES,
    CONTROL,
    QUESTION_SETTINGS,
    QUESTION_TYPES,
)
from app.survey.survey_parts import Question, Refusal, quote

KEY_LENGTH = 40  # a made key, short enough to read as a column name
LONGEST_KEY = 80  # what the file format takes
LONGEST_TITLE = 200
LONGEST_OPTION = 200
LONGEST_TEXT_LIMIT = 50_000
LARGEST_NUMBER = 10**12  # far beyond any count a survey asks for, and exact as a float
SCALE_LABELS = {"min": "Strongly disagree", "max": "Strongly agree"}
# The question's fields a form may give.
FIELDS = ("key", "type", "prompt", "hint", "required", "options")
FIELDS += tuple(QUESTION_SETTINGS)


# --- keys -------------------------------------------------------------------------------


def key_for(prompt: str, taken: Collection[str] = ()) -> str:
    """A key made from the prompt: lower-case ASCII words joined by underscores, starting
    with a letter, at most 40 characters cut at a word, with _2, _3... when taken."""
    ascii_text = unicodedata.normalize("NFKD", str(prompt)).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    if not words or not words[0][0].isalpha():
        words = ["q", *words]  # a prompt without letters, or starting with a number
    key, count = _fit(words, KEY_LENGTH), 1
    while key in taken:
        count += 1
        suffix = f"_{count}"
        key = _fit(words, KEY_LENGTH - len(suffix)) + suffix
    return key


def _fit(words: list[str], longest: int) -> str:
    """The words joined by underscores, as many as fit; a first word too long is cut."""
    kept = words[0][:longest]
    for word in words[1:]:
        if len(kept) + 1 + len(word) > longest:
            break
        kept += "_" + word
    return kept


def _key(value: Any, prompt: str, taken: dict[str, Question]) -> str:
    """The key given, checked, or one made from the prompt."""
    key = value.strip() if isinstance(value, str) else value
    if key is None or key == "":
        return key_for(prompt, taken)
    if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", key):
        raise Refusal(
            "The key must start with a letter and use only lower-case letters, digits and"
            " underscores",
            "key",
        )
    if len(key) > LONGEST_KEY:
        raise Refusal(f"The key must be {LONGEST_KEY} characters or fewer", "key")
    if key in taken:
        raise Refusal(f"{quote(taken[key])} already uses this key. Enter a different key", "key")
    return key


# --- a question from the form's fields --------------------------------------------------


def _text(value: Any, field: str, missing: str | None) -> str:
    """Text stripped as the file format strips it; `missing` is the message when empty."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Refusal(missing or "Enter text", field)
    value = value.strip()
    if missing and not value:
        raise Refusal(missing, field)
    if CONTROL.search(value):
        raise Refusal("Remove the hidden control character, which nobody can see or type", field)
    return value


def _options(value: Any) -> list[str]:
    """A choice question's options: a list, or text with one a line; blank lines ignored."""
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list | tuple):
        value = []
    options = []
    for item in value:
        if isinstance(item, int | float) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str | None):
            raise Refusal("Enter each option as text, one on each line", "options")
        option = _text(item, "options", None)
        if option:
            options.append(option)
    if len(options) < 2:
        raise Refusal("Enter at least 2 options, one on each line", "options")
    if any(len(option) > LONGEST_OPTION for option in options):
        raise Refusal(f"Each option must be {LONGEST_OPTION} characters or fewer", "options")
    repeated = next((option for option in options if options.count(option) > 1), None)
    if repeated is not None:
        raise Refusal(f"'{repeated}' is listed more than once. Enter each option once", "options")
    return options


def _number(value: Any, field: str, name: str) -> int | float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Refusal(f"The {name} must be a number", field)
    if not -LARGEST_NUMBER <= value <= LARGEST_NUMBER:  # also refuses infinity and NaN
        raise Refusal(f"The {name} must be between minus and plus 1 trillion", field)
    return value


def _text_limit(value: Any) -> int | None:
    if value is None or value == "":
        return None
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole or not 1 <= value <= LONGEST_TEXT_LIMIT:
        raise Refusal(
            f"The longest answer must be a whole number of characters from 1 to"
            f" {LONGEST_TEXT_LIMIT:,}",
            "max_length",
        )
    return int(value)


def _scale(value: Any) -> dict[str, str] | None:
    """Scale labels; one left blank is the usual label, both blank is none given."""
    if not isinstance(value, Mapping):
        return None
    labels = {end: _text(value.get(end), "scale", None) for end in SCALE_LABELS}
    if not any(labels.values()):
        return None
    return {end: labels[end] or SCALE_LABELS[end] for end in SCALE_LABELS}


def _settings(kind: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """The settings that fit the type, in the file's order."""
    settings: dict[str, Any] = {}
    if kind in CHOICE_TYPES:
        settings["options"] = _options(given.get("options"))
    if kind in QUESTION_SETTINGS["allow_other"] and given.get("allow_other"):
        settings["allow_other"] = True
    if kind in QUESTION_SETTINGS["max_length"]:
        settings["max_length"] = _text_limit(given.get("max_length"))
    if kind == "number":
        low = settings["min"] = _number(given.get("min"), "min", "lowest number")
        high = settings["max"] = _number(given.get("max"), "max", "highest number")
        if low is not None and high is not None and high <= low:
            raise Refusal("The highest number must be more than the lowest number", "max")
    if kind == "scale":
        settings["scale"] = _scale(given.get("scale"))
    return {name: value for name, value in settings.items() if value is not None}


def question_from(
    fields: Any, current: Question | None, taken: dict[str, Question], key_locked: bool = False
) -> Question:
    """The question the fields describe, over the current one when editing."""
    if not isinstance(fields, Mapping):
        raise Refusal("Enter the question's details")
    given = {**(current or {}), **{name: fields[name] for name in FIELDS if name in fields}}
    kind = given.get("type")
    if not isinstance(kind, str) or kind not in QUESTION_TYPES:
        raise Refusal("Select the type of question", "type")
    prompt = _text(given.get("prompt"), "prompt", "Enter the question")
    if not isinstance(given.get("hint"), str | None):
        raise Refusal("Enter the hint as text", "hint")
    hint = _text(given.get("hint"), "hint", None)
    wanted = given.get("key")
    wanted = wanted.strip() if isinstance(wanted, str) else wanted
    if current is not None and wanted in (None, ""):
        wanted = current["key"]  # a key is only changed on purpose
    if current is not None and wanted != current["key"] and key_locked:
        raise Refusal(
            "The key cannot be changed once the survey has responses, as it names the"
            " column of the answers in the export",
            "key",
        )
    question: Question = {"key": _key(wanted, prompt, taken), "type": kind}
    question["prompt"] = prompt
    if hint:
        question["hint"] = hint
    if given.get("required"):
        question["required"] = True
    question.update(_settings(kind, given))
    if current and current.get("show_if"):
        question["show_if"] = current["show_if"]
    return question


def page_title(value: Any, field: str) -> str:
    """A page's title, stripped, or refused when empty or too long."""
    title = _text(value, field, "Enter a title for the page")
    if len(title) > LONGEST_TITLE:
        raise Refusal(f"The page title must be {LONGEST_TITLE} characters or fewer", field)
    return title
