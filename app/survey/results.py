"""What survey respondents chose, counted for the admin's charts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select

from app.extensions import db
from app.models import ChoiceAnswer, Consultation, Question, Response
from app.survey import routing, versions
from app.survey.forms import OTHER, OTHER_PREFIX, SET_ANSWER_TYPES, choice_pairs

OTHER_LABEL = "Other"
OPTION_LENGTH = 200  # ChoiceAnswer.option


def other_label(question: Question) -> str:
    """What answers typed under "Other" are counted as: "Other", unless the question has
    an option of that name, which they must not be mixed with."""
    return "Other (own words)" if OTHER_LABEL in question.options else OTHER_LABEL


def chosen(questions: Sequence[Question], answers: dict[str, Any]) -> list[tuple[str, str]]:
    """(question key, option label) for every option chosen on the respondent's route.

    An answer typed under "Other" counts as "Other": the text itself is in the export.
    """
    kept = routing.kept_answers(questions, answers)
    found = []
    for question in questions:
        if question.type not in SET_ANSWER_TYPES or kept.get(question.key) in (None, "", []):
            continue
        labels = dict(choice_pairs(question))
        values = kept[question.key]
        for value in values if isinstance(values, list) else [values]:
            text = str(value)
            if text not in labels and text.startswith(OTHER_PREFIX):
                label = other_label(question)
            else:
                label = labels.get(text, text)
            found.append((question.key, label[:OPTION_LENGTH]))
    return found


def record(response: Response, questions: Sequence[Question]) -> None:
    """Keep the response's choices where the charts count them (in the caller's transaction)."""
    rows = [
        {
            "response_id": response.id,
            "consultation_id": response.consultation_id,
            "question_key": key,
            "option": label,
        }
        for key, label in chosen(questions, response.answers)
    ]
    if rows:  # one statement for them all
        db.session.execute(insert(ChoiceAnswer), rows)


@dataclass
class Tally:
    """One choice question's answers: how many chose each option, of how many answered."""

    question: Question
    counts: list[tuple[str, int]] = field(default_factory=list)
    answered: int = 0
    taken_out: bool = False  # a question an earlier version of the survey asked

    @property
    def most(self) -> int:
        return max((count for _, count in self.counts), default=0)


def tallies(consultation: Consultation) -> list[Tally]:
    """A tally for each choice question of the survey, options in the order offered; then
    one for each choice question taken out of the survey since people answered it."""
    questions = [q for q in consultation.questions if q.type in SET_ANSWER_TYPES]
    counted: dict[tuple[str, str], int] = {
        (key, option): count
        for key, option, count in db.session.execute(
            select(ChoiceAnswer.question_key, ChoiceAnswer.option, func.count())
            .where(ChoiceAnswer.consultation_id == consultation.id)
            .group_by(ChoiceAnswer.question_key, ChoiceAnswer.option)
        )
    }
    answered: dict[str, int] = dict(
        db.session.execute(
            select(ChoiceAnswer.question_key, func.count(func.distinct(ChoiceAnswer.response_id)))
            .where(ChoiceAnswer.consultation_id == consultation.id)
            .group_by(ChoiceAnswer.question_key)
        ).all()
    )
    taken_out = [q for q in _taken_out(consultation) if answered.get(q.key)]
    result = []
    for question in questions + taken_out:
        labels = [_offered_label(question, value, label) for value, label in choice_pairs(question)]
        # Options removed from the survey since someone chose them still count.
        labels += sorted(
            option for key, option in counted if key == question.key and option not in labels
        )
        result.append(
            Tally(
                question,
                [(label, counted.get((question.key, label), 0)) for label in labels],
                answered.get(question.key, 0),
                question in taken_out,
            )
        )
    return result


def _taken_out(consultation: Consultation) -> list[Any]:
    """The choice questions earlier versions asked that the survey no longer has, each as
    the newest version that had it asked it."""
    keys = {q.key for q in consultation.questions}
    found: dict[str, Any] = {}
    for questions in reversed(versions.by_number(consultation).values()):
        for question in questions:
            if question.key not in keys and question.type in SET_ANSWER_TYPES:
                found.setdefault(question.key, question)
    return list(found.values())


def _offered_label(question: Question, value: str, label: str) -> str:
    """An option's label as counted: typed answers under their own name, long labels cut."""
    return other_label(question) if value == OTHER else label[:OPTION_LENGTH]
