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
- A new question's key is made from its prompt (`key_for`) unless one is given. A key
  changes only when the admin edits it and it is not locked (the builder locks it once
  the survey has responses, as it names the export's column); the conditions that name
  it follow.
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
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from app.consultations.survey_schema import (
    CHOICE_TYPES,
    CONTROL,
    QUESTION_SETTINGS,
    QUESTION_TYPES,
    YES_NO,
    survey_problems,
)
from app.survey.survey_parts import (
    TYPE_NAMES,
    Question,
    Survey,
    a_or_an,
    by_key,
    numbered,
    pages_of,
    quote,
    relabellings,
)

Notes = list[str]

KEY_LENGTH = 40  # a made key, short enough to read as a column name
LONGEST_KEY = 80  # what the file format takes
LONGEST_TITLE = 200
LONGEST_OPTION = 200
LONGEST_TEXT_LIMIT = 50_000
LARGEST_NUMBER = 10**12  # far beyond any count a survey asks for, and exact as a float
SCALE_ANSWERS = tuple(str(n) for n in range(1, 6))
SCALE_LABELS = {"min": "Strongly disagree", "max": "Strongly agree"}
FIELDS = ("key", "type", "prompt", "hint", "required", "options")
FIELDS += tuple(QUESTION_SETTINGS)
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


class _Refusal(Exception):
    """Raised inside an action to stop it; the action returns its Refused."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.refused = Refused(message, field)


def _action(change: Callable[..., tuple[Survey | None, Notes]]) -> Callable[..., Outcome]:
    """An action on a copy of the survey, refused rather than raising, checked at the end."""

    @functools.wraps(change)
    def act(survey: Survey | None, *args: Any, **kwargs: Any) -> Outcome:
        try:
            edited, notes = change(copy.deepcopy(survey), *args, **kwargs)
        except _Refusal as refusal:
            return refusal.refused
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
    raise _Refusal("This question no longer exists. It may have been deleted.")


def _page(survey: Survey | None, number: Any, field: str = "page") -> dict[str, Any]:
    """The page with that number (from 1), or refused."""
    count = len(pages_of(survey))
    if isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= count:
        return survey["pages"][number - 1]
    if count == 0:
        raise _Refusal("The survey has no pages yet", field)
    choose = "Choose page 1" if count == 1 else f"Choose a page from 1 to {count}"
    raise _Refusal(f"There is no page {number}. {choose}", field)


def _direction(direction: Any) -> int:
    if direction not in ("up", "down"):
        raise _Refusal("Choose whether to move it up or down", "direction")
    return -1 if direction == "up" else 1


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
        raise _Refusal(
            f"{quote(decider)} decides who sees {quote(dependant)}, so it must come before it."
        )


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
        raise _Refusal(
            "The key must start with a letter and use only lower-case letters, digits and"
            " underscores",
            "key",
        )
    if len(key) > LONGEST_KEY:
        raise _Refusal(f"The key must be {LONGEST_KEY} characters or fewer", "key")
    if key in taken:
        raise _Refusal(f"{quote(taken[key])} already uses this key. Enter a different key", "key")
    return key


# --- a question from the form's fields --------------------------------------------------


def _text(value: Any, field: str, missing: str | None) -> str:
    """Text stripped as the file format strips it; `missing` is the message when empty."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _Refusal(missing or "Enter text", field)
    value = value.strip()
    if missing and not value:
        raise _Refusal(missing, field)
    if CONTROL.search(value):
        raise _Refusal("Remove the hidden control character, which nobody can see or type", field)
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
            raise _Refusal("Enter each option as text, one on each line", "options")
        option = _text(item, "options", None)
        if option:
            options.append(option)
    if len(options) < 2:
        raise _Refusal("Enter at least 2 options, one on each line", "options")
    if any(len(option) > LONGEST_OPTION for option in options):
        raise _Refusal(f"Each option must be {LONGEST_OPTION} characters or fewer", "options")
    repeated = next((option for option in options if options.count(option) > 1), None)
    if repeated is not None:
        raise _Refusal(f"'{repeated}' is listed more than once. Enter each option once", "options")
    return options


def _number(value: Any, field: str, name: str) -> int | float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Refusal(f"The {name} must be a number", field)
    if not -LARGEST_NUMBER <= value <= LARGEST_NUMBER:  # also refuses infinity and NaN
        raise _Refusal(f"The {name} must be between minus and plus 1 trillion", field)
    return value


def _text_limit(value: Any) -> int | None:
    if value is None or value == "":
        return None
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole or not 1 <= value <= LONGEST_TEXT_LIMIT:
        raise _Refusal(
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
            raise _Refusal("The highest number must be more than the lowest number", "max")
    if kind == "scale":
        settings["scale"] = _scale(given.get("scale"))
    return {name: value for name, value in settings.items() if value is not None}


def _question(
    fields: Any, current: Question | None, taken: dict[str, Question], key_locked: bool = False
) -> Question:
    """The question the fields describe, over the current one when editing."""
    if not isinstance(fields, Mapping):
        raise _Refusal("Enter the question's details")
    given = {**(current or {}), **{name: fields[name] for name in FIELDS if name in fields}}
    kind = given.get("type")
    if not isinstance(kind, str) or kind not in QUESTION_TYPES:
        raise _Refusal("Select the type of question", "type")
    prompt = _text(given.get("prompt"), "prompt", "Enter the question")
    if not isinstance(given.get("hint"), str | None):
        raise _Refusal("Enter the hint as text", "hint")
    hint = _text(given.get("hint"), "hint", None)
    wanted = given.get("key")
    wanted = wanted.strip() if isinstance(wanted, str) else wanted
    if current is not None and wanted in (None, ""):
        wanted = current["key"]  # a key is only changed on purpose
    if current is not None and wanted != current["key"] and key_locked:
        raise _Refusal(
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


def _title(value: Any, field: str) -> str:
    title = _text(value, field, "Enter a title for the page")
    if len(title) > LONGEST_TITLE:
        raise _Refusal(f"The page title must be {LONGEST_TITLE} characters or fewer", field)
    return title


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
    question = _question(fields, None, by_key(survey))
    if page is None:
        title = _title(new_page_title, "new_page_title")
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
    question = _question(fields, current, taken, key_locked)
    page["questions"][page["questions"].index(current)] = question
    if question["key"] != key:
        _rename_key(survey, key, question["key"])
    renames = relabellings(current.get("options", []), question.get("options", []))
    return survey, _follow(survey, question["key"], question, renames)


@_action
def move_question(survey: Survey | None, key: Any, direction: Any) -> tuple[Survey, Notes]:
    """Move a question up or down within its page."""
    page, question = _find(survey, key)
    step = _direction(direction)
    questions = page["questions"]
    at = questions.index(question)
    if not 0 <= at + step < len(questions):
        end = "first" if step < 0 else "last"
        raise _Refusal(f"{quote(question)} is already the {end} question on its page.")
    questions[at], questions[at + step] = questions[at + step], questions[at]
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
        raise _Refusal("Choose the question and the answers that lead to it", "show_if")
    questions = by_key(survey)
    earlier = list(questions)[: list(questions).index(question["key"])]
    condition = {}
    for name, values in show_if.items():
        decider = questions.get(name)
        _can_decide(question, decider, name in earlier)
        chosen = _chosen(values)
        if not chosen:
            raise _Refusal(f"Select at least one answer to {quote(decider)}", "show_if")
        offered = answers_to(decider)
        unknown = next((value for value in chosen if value not in offered), None)
        if unknown is not None:
            raise _Refusal(f"{quote(decider)} does not offer the answer '{unknown}'.", "show_if")
        condition[name] = chosen
    question.pop("show_if", None)
    if condition:
        question["show_if"] = condition
    return survey, []


def _can_decide(question: Question, decider: Question | None, earlier: bool) -> None:
    """Refuse a question that cannot decide who sees this one."""
    who = quote(question)
    if decider is None:
        raise _Refusal(
            f"The question that {who} would depend on no longer exists. It may have been deleted.",
            "show_if",
        )
    if decider is question:
        raise _Refusal(f"{who} cannot depend on itself. Choose an earlier question", "show_if")
    if not earlier:
        raise _Refusal(
            f"{quote(decider)} comes after {who}, so it cannot decide who sees it. Choose an"
            " earlier question, or move it first",
            "show_if",
        )
    if answers_to(decider) is None:
        kind = TYPE_NAMES[decider["type"]]
        raise _Refusal(
            f"{quote(decider)} is {a_or_an(kind)} question, so its answers cannot decide who sees"
            f" {who}. Choose a question answered by choosing: single or multiple choice, yes or"
            " no, or a scale",
            "show_if",
        )


@_action
def rename_page(survey: Survey | None, page: Any, title: Any) -> tuple[Survey, Notes]:
    """Give a page a new title."""
    _page(survey, page)["title"] = _title(title, "title")
    return survey, []


@_action
def move_page(survey: Survey | None, page: Any, direction: Any) -> tuple[Survey, Notes]:
    """Move a page, with its questions, up or down the survey."""
    chosen = _page(survey, page)
    step = _direction(direction)
    pages = survey["pages"]
    at = page - 1
    if not 0 <= at + step < len(pages):
        end = "first" if step < 0 else "last"
        raise _Refusal(f"'{chosen['title']}' is already the {end} page.")
    pages[at], pages[at + step] = pages[at + step], pages[at]
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
