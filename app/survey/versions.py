"""A survey's versions: its questions as respondents were asked them.

Whatever changes a consultation's questions (a file imported, a consultation copied, the
survey builder), the commit that changes them records the version too: it replaces the
newest version while nobody has answered it, and adds the next one once anybody has, a
draft included. Each survey response says which version it answered, the one in force
when it was last saved or sent, so its answers are always read under the words and
options they were given for, however the survey has changed since.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import event, exists, inspect, select
from sqlalchemy.orm import Session, object_session

from app.consultations.files import survey_shape
from app.extensions import db
from app.models import Consultation, Question, Response, SurveyVersion
from app.runtime import clock
from app.survey.questions import SurveyQuestion, survey_questions

# The consultations whose questions the session's transaction has changed.
_DUE = "survey_versions_due"


def questions_answered(response: Response) -> Sequence[SurveyQuestion]:
    """The questions as the response was asked them: its survey version's."""
    consultation = response.consultation
    number = response.survey_version
    if number is None or number == consultation.survey_version:
        return survey_questions(consultation)  # kept between requests: the usual case
    return by_number(consultation).get(number) or survey_questions(consultation)


def by_number(consultation: Consultation) -> dict[int, tuple[SurveyQuestion, ...]]:
    """Every version's questions, by version number, oldest first."""
    rows = db.session.execute(
        select(SurveyVersion.number, SurveyVersion.survey)
        .where(SurveyVersion.consultation_id == consultation.id)
        .order_by(SurveyVersion.number)
    )
    return {number: questions_in(survey, consultation.id) for number, survey in rows}


def questions_in(survey: dict[str, Any], consultation_id: int) -> tuple[SurveyQuestion, ...]:
    """A survey in the file's shape as question copies, like those respondents are asked."""
    return tuple(
        SurveyQuestion(
            id=0,  # a version's questions are not rows
            consultation_id=consultation_id,
            key=item["key"],
            page=page_number,
            page_title=page["title"],
            position=position,
            type=item["type"],
            prompt=item["prompt"],
            hint=item.get("hint", ""),
            required=item.get("required", False),
            options=list(item.get("options", [])),
            # As an import stores them: allow_other always, the others when given.
            settings={"allow_other": False}
            | {name: item[name] for name in SETTINGS if name in item},
            show_if={key: list(values) for key, values in item.get("show_if", {}).items()},
        )
        for page_number, page in enumerate(survey["pages"], start=1)
        for position, item in enumerate(page["questions"], start=1)
    )


SETTINGS = ("allow_other", "max_length", "min", "max", "scale")


def record(session: Session, consultation_id: int, now: datetime) -> None:
    """Make the consultation's newest version what its questions now are (in the
    caller's transaction): in place while no response or draft has answered it, else
    as the next version, which respondents answer from then on."""
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:  # deleted, questions and all
        return
    questions = session.scalars(
        select(Question)
        .where(Question.consultation_id == consultation_id)
        .order_by(Question.page, Question.position)
    )
    survey = survey_shape(questions)
    newest = session.scalar(
        select(SurveyVersion)
        .where(SurveyVersion.consultation_id == consultation_id)
        .order_by(SurveyVersion.number.desc())
        .limit(1)
    )
    if survey is None or (newest is not None and newest.survey == survey):
        return  # a survey taken away keeps its versions for the responses that answered them
    if newest is not None and not _answered(session, newest):
        newest.survey = survey
        newest.made_at = now
        return
    number = newest.number + 1 if newest is not None else 1
    session.add(
        SurveyVersion(consultation_id=consultation_id, number=number, survey=survey, made_at=now)
    )
    consultation.survey_version = number


def _answered(session: Session, version: SurveyVersion) -> bool:
    """Whether any response or draft has answered this version."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    Response.consultation_id == version.consultation_id,
                    Response.survey_version == version.number,
                )
            )
        )
    )


@event.listens_for(Question, "after_insert")
@event.listens_for(Question, "after_update")
@event.listens_for(Question, "after_delete")
def _note_the_change(_mapper, _connection, question: Question) -> None:
    session = object_session(question)
    if session is not None:
        # A question moved to another survey changes both.
        moved_from = inspect(question).attrs.consultation_id.history.deleted or ()
        session.info.setdefault(_DUE, set()).update({question.consultation_id, *moved_from})


@event.listens_for(Session, "before_commit")
def _record_the_versions(session: Session) -> None:
    """Record the versions of the surveys this transaction changed, before it commits."""
    session.flush()  # changes not yet flushed are noted as they are
    due = session.info.pop(_DUE, None)
    if due:
        now = clock.now()
        for consultation_id in sorted(due):
            record(session, consultation_id, now)


@event.listens_for(Session, "after_rollback")
def _forget_the_changes(session: Session) -> None:
    session.info.pop(_DUE, None)
