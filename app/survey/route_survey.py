"""A survey as the survey builder's routing checks read it, however broken, and which
questions depend on an answer (in words too).

A pure module. It reads a survey in the consultation file's `survey` shape and never
raises on a broken one: it reads less of it, and
app.consultations.survey_schema.survey_problems says what is broken. It is apart from
app.survey.route_checks, which finds the routes through what is read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.survey.route_words import and_joined, capital, or_joined, quoted

YES_NO = ("yes", "no")
SCALE = ("1", "2", "3", "4", "5")
FREE_TEXT = ("text", "longtext", "email", "number")
CHOOSE = ("single", "multi")  # "chose" in words; the rest are "answered"


@dataclass(frozen=True)
class Page:
    """A page of the survey: its 1-based number and its title."""

    number: int
    title: str


@dataclass(frozen=True, eq=False)
class ReadQuestion:
    """A question as the checks see it: what routing reads, and what words name."""

    key: str
    page: int
    position: int  # on its page, from 1
    type: str
    prompt: str
    required: bool
    allow_other: bool
    options: tuple[str, ...]
    show_if: dict[str, list[str]]  # the conditions that can be read, as answers are stored

    @property
    def answers(self) -> tuple[str, ...] | None:
        """The answers it can be given, or None for free text (or an unknown type)."""
        if self.type in CHOOSE:
            return self.options
        return {"yesno": YES_NO, "scale": SCALE}.get(self.type)

    @property
    def name(self) -> str:
        """Its prompt in quotes, or where it is when it has none."""
        if self.prompt:
            return f"'{self.prompt}'"
        return f"question {self.position} on page {self.page}"

    def shown(self, value: str) -> str:
        """An answer as the respondent sees it, in quotes."""
        return quoted(self.type, value)


@dataclass(frozen=True, eq=False)
class ReadSurvey:
    pages: tuple[tuple[Page, tuple[ReadQuestion, ...]], ...]
    questions: tuple[ReadQuestion, ...]
    first: dict[str, int]  # key: where the first question with it is, the one conditions name

    def question(self, key: str) -> ReadQuestion | None:
        """The question a condition naming this key depends on, if any."""
        return self.questions[self.first[key]] if key in self.first else None

    def index(self, key: str) -> int:
        """Where the question a condition naming this key depends on comes, from 0."""
        return self.first[key]


def _option(value: Any) -> str | None:
    """An option as the file format stores it; None for what cannot be one."""
    if isinstance(value, bool):  # YAML's Yes and No
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return str(value)
    return value.strip() if isinstance(value, str) else None


def _answer(value: Any) -> str | None:
    """A value in a condition as answers are stored: yes/no answers are 'yes' and 'no'."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _option(value)


def _show_if(raw: Any) -> dict[str, list[str]]:
    """The conditions that can be read; a broken one is left out (survey_problems has it)."""
    if not isinstance(raw, dict):
        return {}
    conditions = {}
    for name, values in raw.items():
        if isinstance(name, str) and isinstance(values, list):
            answers = [_answer(value) for value in values]
            conditions[name] = list(dict.fromkeys(a for a in answers if a is not None))
    return conditions


def _question(raw: dict[str, Any], page: int, position: int) -> ReadQuestion:
    key, kind, prompt = raw.get("key"), raw.get("type"), raw.get("prompt")
    options = raw.get("options")
    read = [_option(o) for o in options] if isinstance(options, list) else []
    return ReadQuestion(
        # A key no condition could name, for a question without one.
        key=key if isinstance(key, str) else f"\0{page}.{position}",
        page=page,
        position=position,
        type=kind if isinstance(kind, str) else "",
        prompt=prompt.strip() if isinstance(prompt, str) else "",
        required=raw.get("required") is True,
        allow_other=raw.get("allow_other") is True,
        options=tuple(dict.fromkeys(o for o in read if o is not None)),
        show_if=_show_if(raw.get("show_if")),
    )


def read_survey(survey: Any) -> ReadSurvey:
    """The pages and questions that can be read from a survey in the file's shape."""
    raw_pages = survey.get("pages") if isinstance(survey, dict) else None
    pages = []
    for number, raw in enumerate(raw_pages if isinstance(raw_pages, list) else [], start=1):
        title = raw.get("title") if isinstance(raw, dict) else None
        items = raw.get("questions") if isinstance(raw, dict) else None
        questions = tuple(
            _question(item, number, position)
            for position, item in enumerate(items if isinstance(items, list) else [], start=1)
            if isinstance(item, dict)
        )
        pages.append((Page(number, title.strip() if isinstance(title, str) else ""), questions))
    questions = tuple(q for _, on_page in pages for q in on_page)
    first: dict[str, int] = {}
    for index, question in enumerate(questions):
        first.setdefault(question.key, index)
    return ReadSurvey(tuple(pages), questions, first)


@dataclass(frozen=True)
class Dependant:
    """A question shown only for some answers to another: `answers`, the ones that show it."""

    key: str
    prompt: str
    page: int
    answers: tuple[str, ...]


def dependants(survey: Any, key: str, option: str | None = None) -> list[Dependant]:
    """The questions whose conditions name question `key` (and, with `option`, that answer)."""
    wanted = _answer(option) if option is not None else None
    found = []
    for question in read_survey(survey).questions:
        values = question.show_if.get(key)
        if values is not None and (wanted is None or wanted in values):
            found.append(Dependant(question.key, question.prompt, question.page, tuple(values)))
    return found


def dependants_in_words(survey: Any, key: str, option: str | None = None) -> str:
    """Which questions are shown only for answers to `key`, to say before it changes.

    For example: "'Why?' and 'How often?' are shown only to people who chose 'A' for
    'Which describes you?'." Empty when nothing depends on it.
    """
    read = read_survey(survey)
    target = read.question(key)
    if target is None:
        return ""
    by_answers: dict[tuple[str, ...], list[str]] = {}
    for dependant in dependants(survey, key, option):
        question = next(q for q in read.questions if q.key == dependant.key)
        by_answers.setdefault(dependant.answers, []).append(question.name)
    sentences = []
    for answers, names in by_answers.items():
        shown = or_joined([target.shown(value) for value in answers]) if answers else "no answer"
        verb = "are" if len(names) > 1 else "is"
        did = f"chose {shown} for" if target.type in CHOOSE else f"answered {shown} to"
        sentences.append(
            f"{capital(and_joined(names))} {verb} shown only to people who {did} {target.name}."
        )
    return " ".join(sentences)
