"""The survey part of a consultation file: its schema and the checks on its routing.

A pure module: it takes plain data and touches no request, database or clock. It is
apart from app.consultations.files, which reads, writes and saves whole files, so that
the survey builder (app.survey.edits) holds a survey to the same rules as an imported
file without importing Flask or the models. The pieces of the schema the rest of the
file shares (`Strict`, `Text`, `Name`, `OptionText`) and the control characters no text
may hold (`CONTROL`) live here too: the survey needs them, and files.py builds on them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from app.consultations.file_problems import given, key_problem, listing

QUESTION_TYPES = ("single", "multi", "text", "longtext", "yesno", "scale", "email", "number")
CHOICE_TYPES = ("single", "multi")
YES_NO = ("yes", "no")
# The questions each type-specific setting is for.
QUESTION_SETTINGS = {
    "allow_other": ("multi",),
    "max_length": ("text", "longtext"),
    "min": ("number",),
    "max": ("number",),
    "scale": ("scale",),
}
# C0 control characters other than tab, line feed and carriage return: nobody types them,
# and PostgreSQL cannot store NUL.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _as_text(value: Any) -> Any:
    """YAML reads Yes, No, 3 and 1.5 as bools and numbers; options are words, so keep them so."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return str(value)
    return value


def _as_answer(value: Any) -> Any:
    """show_if values compare with stored answers, which for yes/no are 'yes' and 'no'."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _as_text(value)


Text = Annotated[str, Field(min_length=1)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Number = Annotated[float, Field(allow_inf_nan=False)]
OptionText = Annotated[str, BeforeValidator(_as_text), Field(min_length=1, max_length=200)]
AnswerText = Annotated[str, BeforeValidator(_as_answer), Field(min_length=1)]


class Strict(BaseModel):
    """Unknown keys are refused, so a typo is reported instead of silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ScaleLabels(Strict):
    min: Text = "Strongly disagree"
    max: Text = "Strongly agree"


class QuestionSpec(Strict):
    """One question. Each setting is checked against the type, so a problem names its key."""

    key: Annotated[str, Field(max_length=80)]
    type: Literal[QUESTION_TYPES]  # type: ignore[valid-type]
    prompt: Text
    hint: str = ""
    required: bool = False
    options: Annotated[list[OptionText], Field(validate_default=True)] = []
    allow_other: bool = False
    max_length: Annotated[int, Field(gt=0, le=50_000)] | None = None
    min: Number | None = None
    max: Number | None = None
    scale: ScaleLabels | None = None
    show_if: dict[str, list[AnswerText]] = {}

    @field_validator("key")
    @classmethod
    def _key_shape(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            raise ValueError(
                "use lower-case letters, digits and underscores, starting with a letter"
            )
        return value

    @field_validator("options")
    @classmethod
    def _options_fit_type(cls, options: list[str], info: ValidationInfo) -> list[str]:
        kind = info.data.get("type")
        if kind in CHOICE_TYPES:
            if len(options) < 2:
                shown = f"only {options[0]!r}" if options else "none"
                raise ValueError(f"a {kind} question needs at least 2 options; given {shown}")
            repeated = [option for option in dict.fromkeys(options) if options.count(option) > 1]
            if repeated:
                shown = listing([repr(option) for option in repeated])
                raise ValueError(f"must not repeat; given {shown} more than once")
        elif options and kind is not None:
            raise ValueError(f"a {kind} question takes no options; given {listing(options)}")
        return options

    @field_validator("allow_other", "max_length", "min", "max", "scale")
    @classmethod
    def _setting_fits_type(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("type")
        allowed = QUESTION_SETTINGS[info.field_name]
        # 0 and 0.0 are settings too: compare with None and False by identity.
        unset = value is None or value is False
        if not unset and kind is not None and kind not in allowed:
            raise ValueError(
                f"only for {' and '.join(allowed)} questions, and this is a {kind} question;"
                f" given {given(value)}"
            )
        low = info.data.get("min")
        if info.field_name == "max" and None not in (value, low) and value <= low:
            raise ValueError(f"must be more than min ({low:g}); given {value:g}")
        return value


class PageSpec(Strict):
    title: Name
    questions: Annotated[list[QuestionSpec], Field(min_length=1)]


class SurveySpec(Strict):
    pages: Annotated[list[PageSpec], Field(min_length=1)]


def _answer(value: Any) -> Any:
    """An answer as it is stored: text, stripped as the schema strips it."""
    value = _as_answer(value)
    return value.strip() if isinstance(value, str) else value


def _answer_values(question: dict[str, Any]) -> list[str] | None:
    """The answers a show_if may name for this (raw) question, or None for free text."""
    kind = question.get("type")
    if kind in CHOICE_TYPES:
        options = question.get("options")
        return [_answer(o) for o in options] if isinstance(options, list) else []
    if kind == "yesno":
        return list(YES_NO)
    if kind == "scale":
        return [str(n) for n in range(1, 6)]
    return None


def _raw_questions(data: dict[str, Any]):
    """(key path, question) for every question-shaped mapping in the survey, however broken."""
    survey = data.get("survey")
    pages = survey.get("pages") if isinstance(survey, dict) else None
    for p, page in enumerate(pages if isinstance(pages, list) else []):
        questions = page.get("questions") if isinstance(page, dict) else None
        for q, question in enumerate(questions if isinstance(questions, list) else []):
            if isinstance(question, dict):
                yield f"survey.pages.{p}.questions.{q}", question


def _routable(earlier: dict[str, list[str] | None]) -> str:
    """The earlier keys a show_if could name, for a message."""
    keys = [key for key, answers in earlier.items() if answers is not None]
    if not keys:
        return "no earlier question can route (route on a single, multi, yesno or scale question)"
    return f"route on one of {listing(keys, most=10)}"


def routing_problems(data: dict[str, Any]) -> list[str]:
    """Keys must be unique and show_if may only name an earlier question and its answers.

    Worked on the raw data, so that these are listed even when other parts are wrong.
    """
    problems: list[str] = []
    earlier: dict[str, list[str] | None] = {}
    kinds: dict[str, Any] = {}
    for where, question in _raw_questions(data):
        key = question.get("key")
        if isinstance(key, str) and key in earlier:
            problems.append(f"{where}.key: '{key}' is used by an earlier question")
        show_if = question.get("show_if")
        for name, values in show_if.items() if isinstance(show_if, dict) else []:
            if name not in earlier:
                problems.append(
                    f"{where}.show_if.{name}: no earlier question has the key '{name}';"
                    f" {_routable(earlier)}"
                )
                continue
            allowed = earlier[name]
            if kinds[name] not in QUESTION_TYPES:
                continue  # its type is reported; what it can be answered with is unknown
            if allowed is None:
                problems.append(
                    f"{where}.show_if.{name}: '{name}' is a {kinds[name]} question, whose"
                    f" answers are free text; {_routable(earlier)}"
                )
                continue
            for value in values if isinstance(values, list) else []:
                if _answer(value) not in allowed:
                    problems.append(
                        f"{where}.show_if.{name}: {given(_answer(value))} is not an answer to"
                        f" '{name}' (choose from {listing(allowed, most=10)})"
                    )
        if isinstance(key, str) and key not in earlier:
            earlier[key] = _answer_values(question)
            kinds[key] = question.get("type")
    return problems


def survey_problems(survey: Any) -> list[tuple[str, str]]:
    """(key path, message) for everything wrong with a survey in the file's `survey` shape.

    The checks an imported file's survey gets, for a survey made some other way (the
    builder), so that both are held to the same rules.
    """
    by_key = [tuple(problem.split(": ", 1)) for problem in routing_problems({"survey": survey})]
    try:
        SurveySpec.model_validate(survey)
    except ValidationError as error:
        for detail in error.errors():
            key, what = key_problem(detail, SurveySpec)
            by_key.append((f"survey.{key}" if key != "(top level)" else "survey", what))
    return by_key
