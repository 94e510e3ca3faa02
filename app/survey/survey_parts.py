"""Finding the parts of a survey held as plain data, and naming them in words.

A pure module, shared by app.survey.edits (the survey builder's actions) and
app.survey.change_kinds (what kind of change an action made), so that both find and
name questions the same way. A survey is held in the consultation file's `survey` shape
({"pages": [{"title": ..., "questions": [...]}]}), or is None when it has no questions.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Survey = dict[str, Any]
Question = dict[str, Any]

TYPE_NAMES = {
    "single": "single choice",
    "multi": "multiple choice",
    "text": "short text",
    "longtext": "long text",
    "yesno": "yes or no",
    "scale": "scale",
    "email": "email address",
    "number": "number",
}


def quote(question: Question) -> str:
    """The question's prompt in quotes, as messages name it."""
    return f"'{question['prompt']}'"


def a_or_an(words: str) -> str:
    """The words after "a" or "an", as they begin."""
    return f"an {words}" if words[0] in "aeiou" else f"a {words}"


def pages_of(survey: Survey | None) -> list[dict[str, Any]]:
    """The survey's pages; none when there is no survey."""
    return survey["pages"] if survey else []


def numbered(survey: Survey | None) -> Iterator[tuple[int, Question]]:
    """(page number, question) for every question, in order."""
    for number, page in enumerate(pages_of(survey), start=1):
        for question in page["questions"]:
            yield number, question


def by_key(survey: Survey | None) -> dict[str, Question]:
    """The survey's questions by their keys, in order."""
    return {question["key"]: question for _number, question in numbered(survey)}


def relabellings(old: list[str], new: list[str]) -> dict[str, str]:
    """{old label: new label} for options changed in place: as many options, each change
    at the same position, and no label moved elsewhere (that is a reorder)."""
    if len(old) != len(new):
        return {}
    pairs = {before: after for before, after in zip(old, new, strict=True) if before != after}
    if any(before in new or after in old for before, after in pairs.items()):
        return {}
    return pairs


class Refusal(Exception):
    """Raised by the builder's pure modules to refuse a change: what is wrong, in words,
    and the form field it is about when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
