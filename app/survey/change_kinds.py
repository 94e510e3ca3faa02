"""What kind of change the survey builder made: a wording fix, or structural.

A pure module, apart from app.survey.edits (which makes each change) because it judges
any two versions of a survey, however they came about. A survey is held in the
consultation file's `survey` shape, or is None when it has no questions.

`classify` says whether a change is a wording fix (it applies at once) or structural
(the builder shows its impact and asks to confirm). Questions are matched by key, so a
changed key reads as a question removed and another added; keys change only before
there are responses. An option relabelled in place is a wording fix: responses keep the
words they were answered with, and `option_renames` lists the relabellings for the
caller to record.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.consultations.survey_schema import CHOICE_TYPES
from app.survey.survey_parts import (
    TYPE_NAMES,
    Question,
    Survey,
    a_or_an,
    by_key,
    numbered,
    quote,
    relabellings,
)


@dataclass(frozen=True)
class Change:
    """What changed between two versions of a survey.

    `structural` lists in words what changes who is asked what, or what an answer may be;
    empty for a wording fix. `changed` says whether anything differs at all.
    """

    structural: tuple[str, ...]
    changed: bool

    @property
    def wording_only(self) -> bool:
        """A change of words and order within pages only: it applies at once."""
        return self.changed and not self.structural


def option_renames(old: Survey | None, new: Survey | None) -> dict[str, dict[str, str]]:
    """{question key: {old label: new label}} for the options relabelled in place."""
    before, after = by_key(old), by_key(new)
    renames = {}
    for key, question in after.items():
        if key in before:
            relabelled = relabellings(before[key].get("options", []), question.get("options", []))
            if relabelled:
                renames[key] = relabelled
    return renames


def classify(old: Survey | None, new: Survey | None) -> Change:
    """Whether going from `old` to `new` is a wording fix or structural, and how."""
    before = {q["key"]: (n, q) for n, q in numbered(old)}
    after = {q["key"]: (n, q) for n, q in numbered(new)}
    renames = option_renames(old, new)
    lines = [f"Removes the question {quote(q)}." for k, (_n, q) in before.items() if k not in after]
    lines += [f"Adds the question {quote(q)}." for k, (_n, q) in after.items() if k not in before]
    lines += _page_moves(before, after, new)
    for key, (_n, question) in after.items():
        if key in before:
            lines += _question_changes(before[key][1], question, renames)
    return Change(tuple(lines), changed=old != new)


def _page_moves(
    before: dict[str, tuple[int, Question]], after: dict[str, tuple[int, Question]], new: Survey
) -> list[str]:
    """Questions now on another page: a whole page moved is one line, as a page."""
    moved: dict[tuple[int, int], list[Question]] = {}
    for key, (old_number, question) in after.items():
        if key in before and before[key][0] != old_number:
            moved.setdefault((before[key][0], old_number), []).append(question)
    lines = []
    for (was, now), questions in moved.items():
        keys = {q["key"] for q in questions}
        left = {k for k, (n, _q) in before.items() if n == was and k in after}
        joined = {k for k, (n, _q) in after.items() if n == now and k in before}
        if keys == left == joined:
            title = new["pages"][now - 1]["title"]
            lines.append(f"Page {was}, '{title}', becomes page {now}.")
        else:
            lines += [f"Moves {quote(q)} from page {was} to page {now}." for q in questions]
    return lines


def _question_changes(
    old: Question, new: Question, renames: dict[str, dict[str, str]]
) -> list[str]:
    """The structural changes to one question, in words."""
    who = quote(new)
    lines = []
    if old["type"] != new["type"]:
        was, now = TYPE_NAMES[old["type"]], TYPE_NAMES[new["type"]]
        lines.append(f"Changes {who} from {a_or_an(was)} question to {a_or_an(now)} question.")
    if bool(old.get("required")) != bool(new.get("required")):
        lines.append(f"Makes {who} {'required' if new.get('required') else 'optional'}.")
    if old["type"] == new["type"] or {old["type"], new["type"]} <= set(CHOICE_TYPES):
        lines += _option_changes(old, new, renames.get(new["key"], {}))
        lines += _setting_changes(old, new)
    if _conditions(old, renames) != _conditions(new, {}):
        lines.append(f"Changes who sees {who}.")
    return lines


def _option_changes(old: Question, new: Question, relabelled: dict[str, str]) -> list[str]:
    """Options removed or added; one relabelled in place is neither."""
    who = quote(new)
    before, after = old.get("options", []), new.get("options", [])
    removed = [o for o in before if o not in after and o not in relabelled]
    added = [o for o in after if o not in before and o not in relabelled.values()]
    return [f"Removes the option '{o}' from {who}." for o in removed] + [
        f"Adds the option '{o}' to {who}." for o in added
    ]


SETTING_CHANGES = {
    "max_length": "Changes how long an answer to {who} may be.",
    "min": "Changes the lowest number {who} accepts.",
    "max": "Changes the highest number {who} accepts.",
}


def _setting_changes(old: Question, new: Question) -> list[str]:
    """Changes to the settings a type takes: what answers may be given."""
    who = quote(new)
    lines = []
    if bool(old.get("allow_other")) != bool(new.get("allow_other")):
        other = "'Other, please specify'"
        if new.get("allow_other"):
            lines.append(f"Adds {other} to {who}.")
        else:
            lines.append(f"Removes {other} from {who}.")
    lines += [
        line.format(who=who)
        for name, line in SETTING_CHANGES.items()
        if old.get(name) != new.get(name)
    ]
    return lines


def _conditions(question: Question, renames: dict[str, dict[str, str]]) -> dict[str, set[str]]:
    """What a question's show_if means, relabelled answers read under their new labels."""
    return {
        name: {renames.get(name, {}).get(value, value) for value in values}
        for name, values in question.get("show_if", {}).items()
    }
