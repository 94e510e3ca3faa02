"""The survey builder's actions: each turns one change into a new survey, or a refusal.

A pure module: it takes and returns plain values and touches no request, database or
clock. A survey is held in the consultation file's `survey` shape
({"pages": [{"title": ..., "questions": [...]}]}), or is None when it has no questions.

Decisions:

- Every action takes the current survey and returns `Edited` (a new survey, never the
  one given, with notes in plain English on what else the change did) or `Refused`
  (what is wrong, and the form field it is about when there is one). The builder calls
  an action once to preview its notes, and again once the admin confirms.
- An edited survey always passes `survey_schema.survey_problems`, the checks an imported
  file's survey gets; if it somehow would not, the action is refused instead.
- Pages are never empty. A question is added to the end of an existing page, or to a new
  page at the end with the title given. Deleting a page's last question, or moving it
  away, deletes the page; deleting a page deletes its questions. Deleting the last
  question of the survey leaves no survey (None).
- A new question's key is made from its prompt (`survey_fields.key_for`) unless one is
  given. A key changes only when the admin edits it and it is not locked (the builder
  locks it once the survey has responses, as it names the export's column); the
  conditions that name it follow.
- Fields not given to `edit_question` keep their current values. Settings that do not
  fit the question's type (options on a number question, say) are left out, as the form
  shows only those that fit, so changing a type never fails on what was left behind.
  Options may be a list or text with one option a line; blank lines are no option.
  Conditions are set only by `set_condition`, never through a question's fields.
- A move that would put a question (or page) before one it depends on, or after one
  that depends on it, is refused, saying which.
- Deleting a question, removing an option, or changing a type to one that cannot route
  removes the conditions that named it or that option, and says so: a condition left
  with no answers goes, and so does a show_if left empty. An option relabelled in place
  keeps its conditions, under its new label.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.consultations.survey_schema import CHOICE_TYPES, YES_NO, survey_problems
from app.survey.survey_fields import FIELDS, page_title, question_from
from app.survey.survey_parts import (
    TYPE_NAMES,
    Question,
    Refusal,
    Survey,
    a_or_an,
    by_key,
    numbered,
    pages_of,
    quote,
    relabellings,
)

Notes = list[str]

SCALE_ANSWERS = tuple(str(n) for n in range(1, 6))
DELETED = "the question you deleted"


@dataclass(frozen=True)
class Edited:
    """The survey after the change (None when no question is left) and what else it did."""

    survey: Survey | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refused:
    """Why the change cannot be made, and the form field it is about when there is one."""

    message: str
    field: str | None = None


Outcome = Edited | Refused


def _action(change: Callable[..., tuple[Survey | None, Notes]]) -> Callable[..., Outcome]:
    """An action on a copy of the survey, refused rather than raising, checked at the end."""

    @functools.wraps(change)
    def act(survey: Survey | None, *args: Any, **kwargs: Any) -> Outcome:
        try:
            edited, notes = change(copy.deepcopy(survey), *args, **kwargs)
        except Refusal as refusal:  # raised to stop it
            return Refused(refusal.message, refusal.field)
        return _checked(edited, notes)

    return act


def _checked(survey: Survey | None, notes: Notes) -> Outcome:
    """The edited survey, if the file's own checks accept it."""
    if survey is not None and not survey["pages"]:
        survey = None
    if survey is None:
        return Edited(None, (*notes, "The survey has no questions left."))
    problems = survey_problems(survey)
    if problems:
        where, what = problems[0]
        field = where.rsplit(".", 1)[-1]
        return Refused(
            f"This change cannot be saved, because it would break the survey: {what}",
            field if field in FIELDS else None,
        )
    return Edited(survey, tuple(notes))


# --- finding things ---------------------------------------------------------------------


def _find(survey: Survey | None, key: Any) -> tuple[dict[str, Any], Question]:
    """The page holding the question and the question, or refused when it is gone."""
    for page in pages_of(survey):
        for question in page["questions"]:
            if question["key"] == key:
                return page, question
    raise Refusal("This question no longer exists. It may have been deleted.")


def _page(survey: Survey | None, number: Any, field: str = "page") -> dict[str, Any]:
    """The page with that number (from 1), or refused."""
    count = len(pages_of(survey))
    if isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= count:
        return survey["pages"][number - 1]
    if count == 0:
        raise Refusal("The survey has no pages yet", field)
    choose = "Choose page 1" if count == 1 else f"Choose a page from 1 to {count}"
    raise Refusal(f"There is no page {number}. {choose}", field)


def _swap(items: list, at: int, direction: Any, already: Callable[[str], str]) -> None:
    """Swap the item at `at` with the one above or below it, or refuse: it is already
    the first or last, which `already` says in words."""
    if direction not in ("up", "down"):
        raise Refusal("Choose whether to move it up or down", "direction")
    step = -1 if direction == "up" else 1
    if not 0 <= at + step < len(items):
        raise Refusal(already("first" if step < 0 else "last"))
    items[at], items[at + step] = items[at + step], items[at]


def answers_to(question: Question) -> tuple[str, ...] | None:
    """The answers a condition may name for this question, or None when it cannot route."""
    kind = question["type"]
    if kind in CHOICE_TYPES:
        return tuple(question.get("options", ()))
    if kind == "yesno":
        return YES_NO
    if kind == "scale":
        return SCALE_ANSWERS
    return None


def _misordered(survey: Survey | None) -> tuple[Question, Question] | None:
    """The first (decider, dependant) where the dependant comes first."""
    questions = by_key(survey)
    seen: set[str] = set()
    for _number, question in numbered(survey):
        for name in question.get("show_if", {}):
            if name in questions and name not in seen:
                return questions[name], question
        seen.add(question["key"])
    return None


def _in_order(survey: Survey) -> None:
    """Refuse an order that puts a question before one that decides who sees it."""
    pair = _misordered(survey)
    if pair:
        decider, dependant = pair
        raise Refusal(
            f"{quote(decider)} decides who sees {quote(dependant)}, so it must come before it."
        )


# --- conditions that follow a change ----------------------------------------------------


def _rename_key(survey: Survey, old: str, new: str) -> None:
    """Conditions that name a question by its old key name it by its new one, in place."""
    for _number, question in numbered(survey):
        if old in question.get("show_if", {}):
            question["show_if"] = {
                (new if name == old else name): values
                for name, values in question["show_if"].items()
            }


def _follow(
    survey: Survey | None,
    key: str,
    decider: Question | None,
    renames: Mapping[str, str] | None = None,
    gone: str = DELETED,
) -> Notes:
    """Make the conditions naming `key` fit its question now (None: deleted), with a note
    for each question shown to more people because of it."""
    answers = answers_to(decider) if decider else None
    notes = []
    for number, question in numbered(survey):
        values = question.get("show_if", {}).get(key)
        if values is None:
            continue
        values = [(renames or {}).get(value, value) for value in values]
        kept = [value for value in values if answers is not None and value in answers]
        lost = [value for value in values if value not in kept]
        if kept:
            question["show_if"][key] = kept
        else:
            del question["show_if"][key]
        if not question["show_if"]:
            del question["show_if"]
        if lost:
            notes.append(_widened(question, number, decider, lost, bool(kept), gone))
    return notes


def _widened(
    question: Question,
    number: int,
    decider: Question | None,
    lost: list[str],
    some_kept: bool,
    gone: str,
) -> str:
    """A note saying who now sees a question whose condition lost some answers."""
    who = quote(question)
    name, which = gone, ""
    if decider is not None:
        name = quote(decider)
        if answers_to(decider) is None:
            which = f", which is now {a_or_an(TYPE_NAMES[decider['type']])} question"
        else:
            which = f", which no longer offers {_answers_in_words(lost)}"
    if some_kept:
        those = "that answer is" if len(lost) == 1 else "those answers are"
        return (
            f"{who} is no longer shown to those who answer {_answers_in_words(lost)} to"
            f" {name}, as {those} no longer offered."
        )
    if "show_if" not in question:
        return (
            f"{who} is now shown to everyone who reaches page {number}, because it depended"
            f" on {name}{which}."
        )
    return f"{who} no longer depends on {name}{which}; its other conditions still apply."


def _answers_in_words(values: list[str]) -> str:
    quoted = [f"'{value}'" for value in values]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _drop_if_empty(survey: Survey, page: dict[str, Any]) -> Notes:
    """Delete a page left with no questions, saying so."""
    if page["questions"]:
        return []
    number = next(n for n, p in enumerate(survey["pages"], start=1) if p is page)
    del survey["pages"][number - 1]
    return [f"Page {number}, '{page['title']}', is deleted, as it has no questions left."]


def _chosen(values: Any) -> list[str]:
    """The answers picked for a condition, as stored answers read: text, stripped, once each."""
    if not isinstance(values, list | tuple):
        values = [values]
    chosen = []
    for value in values:
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, int | float):
            value = str(value)
        if isinstance(value, str) and value.strip() and value.strip() not in chosen:
            chosen.append(value.strip())
    return chosen


# --- the actions ------------------------------------------------------------------------


@_action
def add_question(
    survey: Survey | None, fields: Any, page: Any = None, new_page_title: Any = ""
) -> tuple[Survey, Notes]:
    """Add a question to the end of a page, or (with no page) on a new page at the end."""
    survey = survey or {"pages": []}
    question = question_from(fields, None, by_key(survey))
    if page is None:
        title = page_title(new_page_title, "new_page_title")
        survey["pages"].append({"title": title, "questions": [question]})
    else:
        _page(survey, page)["questions"].append(question)
    return survey, []


@_action
def edit_question(
    survey: Survey | None, key: Any, fields: Any, key_locked: bool = False
) -> tuple[Survey, Notes]:
    """Change a question; the conditions naming it follow its key, options and type."""
    page, current = _find(survey, key)
    taken = {name: q for name, q in by_key(survey).items() if name != key}
    question = question_from(fields, current, taken, key_locked)
    page["questions"][page["questions"].index(current)] = question
    if question["key"] != key:
        _rename_key(survey, key, question["key"])
    renames = relabellings(current.get("options", []), question.get("options", []))
    return survey, _follow(survey, question["key"], question, renames)


@_action
def move_question(survey: Survey | None, key: Any, direction: Any) -> tuple[Survey, Notes]:
    """Move a question up or down within its page."""
    page, question = _find(survey, key)
    at = page["questions"].index(question)
    _swap(
        page["questions"],
        at,
        direction,
        lambda end: f"{quote(question)} is already the {end} question on its page.",
    )
    _in_order(survey)
    return survey, []


@_action
def move_question_to_page(survey: Survey | None, key: Any, page: Any) -> tuple[Survey, Notes]:
    """Move a question to the end of a page; a page it leaves empty is deleted."""
    source, question = _find(survey, key)
    target = _page(survey, page)
    source["questions"].remove(question)
    target["questions"].append(question)
    notes = _drop_if_empty(survey, source)
    _in_order(survey)
    return survey, notes


@_action
def delete_question(survey: Survey | None, key: Any) -> tuple[Survey, Notes]:
    """Delete a question, and the conditions that named it; a page left empty goes too."""
    page, question = _find(survey, key)
    page["questions"].remove(question)
    notes = _drop_if_empty(survey, page)
    return survey, notes + _follow(survey, question["key"], None)


@_action
def set_condition(survey: Survey | None, key: Any, show_if: Any) -> tuple[Survey, Notes]:
    """Show a question only to those whose earlier answers match; {} shows it to everyone."""
    _page_of, question = _find(survey, key)
    if not isinstance(show_if, Mapping):
        raise Refusal("Choose the question and the answers that lead to it", "show_if")
    questions = by_key(survey)
    earlier = list(questions)[: list(questions).index(question["key"])]
    condition = {}
    for name, values in show_if.items():
        decider = questions.get(name)
        _can_decide(question, decider, name in earlier)
        chosen = _chosen(values)
        if not chosen:
            raise Refusal(f"Select at least one answer to {quote(decider)}", "show_if")
        offered = answers_to(decider)
        unknown = next((value for value in chosen if value not in offered), None)
        if unknown is not None:
            raise Refusal(f"{quote(decider)} does not offer the answer '{unknown}'.", "show_if")
        condition[name] = chosen
    question.pop("show_if", None)
    if condition:
        question["show_if"] = condition
    return survey, []


def _can_decide(question: Question, decider: Question | None, earlier: bool) -> None:
    """Refuse a question that cannot decide who sees this one."""
    who = quote(question)
    if decider is None:
        raise Refusal(
            f"The question that {who} would depend on no longer exists. It may have been deleted.",
            "show_if",
        )
    if decider is question:
        raise Refusal(f"{who} cannot depend on itself. Choose an earlier question", "show_if")
    if not earlier:
        raise Refusal(
            f"{quote(decider)} comes after {who}, so it cannot decide who sees it. Choose an"
            " earlier question, or move it first",
            "show_if",
        )
    if answers_to(decider) is None:
        kind = TYPE_NAMES[decider["type"]]
        raise Refusal(
            f"{quote(decider)} is {a_or_an(kind)} question, so its answers cannot decide who sees"
            f" {who}. Choose a question answered by choosing: single or multiple choice, yes or"
            " no, or a scale",
            "show_if",
        )


@_action
def rename_page(survey: Survey | None, page: Any, title: Any) -> tuple[Survey, Notes]:
    """Give a page a new title."""
    _page(survey, page)["title"] = page_title(title, "title")
    return survey, []


@_action
def move_page(survey: Survey | None, page: Any, direction: Any) -> tuple[Survey, Notes]:
    """Move a page, with its questions, up or down the survey."""
    chosen = _page(survey, page)
    _swap(
        survey["pages"],
        page - 1,
        direction,
        lambda end: f"'{chosen['title']}' is already the {end} page.",
    )
    _in_order(survey)
    return survey, []


@_action
def delete_page(survey: Survey | None, page: Any) -> tuple[Survey, Notes]:
    """Delete a page and its questions, and the conditions that named them."""
    chosen = _page(survey, page)
    del survey["pages"][page - 1]
    gone = "a question on the page you deleted"
    notes: Notes = []
    for question in chosen["questions"]:
        notes += _follow(survey, question["key"], None, gone=gone)
    return survey, notes
