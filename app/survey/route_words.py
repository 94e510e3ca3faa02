"""The words the survey builder says routing in: a condition on an answer as a clause,
lists joined with "and" or "or", and page numbers.

A pure module. It is apart from app.survey.route_checks, which finds the routes through
a survey and what is wrong with them, so that how a route is said can be read (and
changed) without the search that finds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.survey import routing


@dataclass(frozen=True)
class Condition:
    """What the answer to one routing question is on a route.

    One answer: any of `picked`, or, with nothing picked, none of `refused`.
    Multiple choice: every one of `picked` chosen (with `either`, at least one of
    them), and none of `refused`.
    """

    key: str
    question: str  # the prompt in quotes, as words name it
    type: str
    picked: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    either: bool = False

    def met_by(self, answer: Any) -> bool:
        """Whether an answer to the question, once asked, meets the condition."""
        given = routing.answer_set(answer)  # as routing reads answers, lists and all
        if self.type == "multi":
            chosen = given & set(self.picked) if self.either else set(self.picked) <= given
            return bool(chosen) and not given & set(self.refused)
        if self.picked:
            return bool(given & set(self.picked))
        return not given & set(self.refused)

    @property
    def verb(self) -> str:
        """'answer', 'choose', 'do not answer' or 'do not choose'."""
        verb = "choose" if self.type == "multi" else "answer"
        return verb if self.picked else f"do not {verb}"

    def words(self, verb: bool = True) -> str:
        """The condition as a clause: "answer 'A' or 'B' to 'Q'", "choose 'A' but not 'B'
        for 'Q'" and the like (without `verb`, "'A' or 'B' to 'Q'")."""
        picked = [quoted(self.type, value) for value in self.picked]
        refused = [quoted(self.type, value) for value in self.refused]
        to = "for" if self.type == "multi" else "to"
        if picked:
            said = or_joined(picked) if self.either or self.type != "multi" else and_joined(picked)
            if refused:
                said += f" but not {or_joined(refused)}"
        else:
            said = or_joined(refused)
        said = f"{said} {to} {self.question}"
        return f"{self.verb} {said}" if verb else said


def way_in_words(way: Sequence[Condition]) -> str:
    """Conditions joined, each verb said once: "answer 'A' to 'Q', 'Yes' to 'R' and ..."."""
    clauses, before = [], None
    for condition in way:
        # Two conditions on one question keep both verbs, or they read as one.
        said = before is None or before.verb != condition.verb or before.key == condition.key
        clauses.append(condition.words(verb=said))
        before = condition
    return and_joined(clauses)


def quoted(kind: str, value: str) -> str:
    """An answer in quotes as the respondent sees it: yes and no with a capital."""
    return f"'{value.capitalize()}'" if kind == "yesno" else f"'{value}'"


def capital(text: str) -> str:
    """The text with its first letter a capital, to start a sentence."""
    return text[:1].upper() + text[1:]


def joined(items: Sequence[str], word: str) -> str:
    """'a', 'a and b', 'a, b and c' (or with 'or')."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def and_joined(items: Sequence[str]) -> str:
    """'a, b and c'."""
    return joined(items, "and")


def or_joined(items: Sequence[str]) -> str:
    """'a, b or c'."""
    return joined(items, "or")


def pages_in_words(numbers: Sequence[int]) -> str:
    """'page 2', 'pages 1, 2 and 4', 'pages 1 to 3 and 5'; 'no pages' for none."""
    if not numbers:
        return "no pages"
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    parts: list[str] = []
    for run in runs:
        # Two pages in a row read better listed: "pages 1, 2 and 4".
        parts.extend([f"{run[0]} to {run[-1]}"] if len(run) > 2 else [str(n) for n in run])
    return f"pages {and_joined(parts)}"
